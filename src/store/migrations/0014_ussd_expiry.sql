-- A USSD session the provider has ended before its report was sent is `expired`; its draft
-- may still be taken up (by dialling again or by SMS) for 30 minutes, as an open one.
DROP INDEX ussd_sessions_open;
CREATE INDEX ussd_sessions_unfinished ON ussd_sessions (phone, updated_at)
    WHERE status IN ('open', 'expired');
-- Open sessions by age, for the sweep that expires them.
CREATE INDEX ussd_sessions_idle ON ussd_sessions (updated_at) WHERE status = 'open';

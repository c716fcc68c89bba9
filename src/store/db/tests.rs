use super::Dialect;
use crate::store::testing::on_both;

#[test]
fn values_go_in_and_come_out_the_same_on_both_backends() {
    on_both(|db| {
        let id: i64 = db.value(
            "INSERT INTO inbound_messages (channel, provider_message_id, sender, recipient,
                 text, truncated, provider_ts, received_at, content_hash, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING id",
            args![
                "at",
                Some("ATXid_1"),
                "+22376000001",
                None::<&str>,
                "ATT Koro 3 morts, blessés: 2 ?",
                true,
                None::<i64>,
                1_700_000_000_123_i64,
                -42_i64,
                String::from("{}")
            ],
        )?;
        let (text, truncated, provider_ts, recipient, hash): (
            String,
            bool,
            Option<i64>,
            Option<String>,
            i64,
        ) = db.query_one(
            "SELECT text, truncated, provider_ts, recipient, content_hash
             FROM inbound_messages WHERE id = ?1",
            args![id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )?;
        assert_eq!(text, "ATT Koro 3 morts, blessés: 2 ?");
        assert!(truncated);
        assert_eq!((provider_ts, recipient, hash), (None, None, -42));
        Ok(())
    });
}

#[test]
fn literals_comparisons_and_counts_read_as_integers_on_both_backends() {
    on_both(|db| {
        let row: (i64, bool, i64, f64, Option<String>, f64) = db.query_one(
            "SELECT 1, 2 > 1, count(*), 1.5, NULL, -20001.25 FROM inbound_messages",
            args![],
            |r| {
                let get = |i| r.get::<f64>(i);
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, get(3)?, r.get(4)?, get(5)?))
            },
        )?;
        assert_eq!(row, (1, true, 0, 1.5, None, -20001.25));
        let none = db.query_opt("SELECT id FROM inbound_messages", args![], |r| {
            r.get::<i64>(0)
        })?;
        assert_eq!(none, None);
        Ok(())
    });
}

#[test]
fn many_rows_come_back_in_order_and_changes_are_counted() {
    on_both(|db| {
        for n in 1..=3_i64 {
            db.execute(
                "INSERT INTO inbound_messages (channel, sender, text, received_at,
                     content_hash, raw) VALUES ('at', ?1, 'x', ?2, ?2, '')",
                args![format!("+2237600000{n}"), n],
            )?;
        }
        let senders = db.query_map(
            "SELECT sender FROM inbound_messages WHERE received_at >= ?1 ORDER BY id DESC",
            args![2],
            |r| r.get::<String>(0),
        )?;
        assert_eq!(senders, ["+22376000003", "+22376000002"]);
        let changed = db.execute(
            "UPDATE inbound_messages SET state = 'read' WHERE received_at <= ?1",
            args![2_i64],
        )?;
        assert_eq!(changed, 2);
        let dialect = db.dialect();
        assert!(matches!(dialect, Dialect::Sqlite | Dialect::Postgres));
        Ok(())
    });
}

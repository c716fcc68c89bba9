//! Reviews: a coordinator verifies, dismisses or closes an incident within their zones,
//! with an optional note, audited. Verifying lets an incident alert in zones that wait for
//! it; dismissing or closing stops its escalation. Called by the API and the console alike.

use std::sync::Arc;

use serde_json::json;

use crate::access::Caller;
use crate::fanout::{Fanout, Tx, Whereabouts};
use crate::outbound::Outbound;
use crate::store::{Store, StoreError, alerts, audit, incident_views};

/// Notes are kept to this many characters.
const NOTE_CHARS: usize = 1000;

/// What a review came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Verified,
    Dismissed,
    Closed,
}

impl Review {
    /// The review an action asks for: `verify`, `dismiss`, `close`.
    pub fn of_action(action: &str) -> Option<Self> {
        Some(match action {
            "verify" => Self::Verified,
            "dismiss" => Self::Dismissed,
            "close" => Self::Closed,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Dismissed => "dismissed",
            Self::Closed => "closed",
        }
    }

    fn action(self) -> &'static str {
        match self {
            Self::Verified => "verify",
            Self::Dismissed => "dismiss",
            Self::Closed => "close",
        }
    }
}

/// Why a review was not made.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("no action `{0}`: verify, dismiss or close")]
    UnknownAction(String),
    #[error("no incident {0}")]
    NoIncident(i64),
    #[error("incident {0} is outside this token's zones")]
    OutsideZones(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What reviewing needs.
#[derive(Debug, Clone)]
pub struct Reviews {
    pub store: Store,
    pub fanout: Arc<Fanout>,
    pub outbound: Arc<Outbound>,
}

impl Reviews {
    /// Reviews incident `id` as `action` asks (a verification may release alerts); returns
    /// the review it came to.
    pub async fn review(
        &self,
        caller: &Caller,
        id: i64,
        action: &str,
        note: &str,
    ) -> Result<Review, ReviewError> {
        let review = Review::of_action(action)
            .ok_or_else(|| ReviewError::UnknownAction(action.to_owned()))?;
        let incident = self
            .store
            .read(move |c| incident_views::one(c, id))
            .await?
            .ok_or(ReviewError::NoIncident(id))?;
        let zones = self.fanout.zones_of(&Whereabouts::of_incident(&incident));
        if !caller.covers(zones.into_iter()) {
            return Err(ReviewError::OutsideZones(id));
        }
        let (outbound, fanout, who) = (
            self.outbound.clone(),
            self.fanout.clone(),
            caller.who.clone(),
        );
        let now = self.store.now_ms();
        let note: String = note.chars().take(NOTE_CHARS).collect();
        self.store
            .write(move |conn| {
                alerts::review(conn, id, review.as_str(), &note, now)?;
                let detail = json!({ "review": review.as_str(), "note": note });
                let action = format!("incident.{}", review.action());
                audit::append(conn, &who, &action, &format!("incident {id}"), &detail, now)?;
                let tx = Tx {
                    conn,
                    outbound: &outbound,
                    now,
                };
                fanout.after_change(&tx, id)
            })
            .await?;
        Ok(review)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_name_reviews_and_back() {
        for review in [Review::Verified, Review::Dismissed, Review::Closed] {
            assert_eq!(Review::of_action(review.action()), Some(review));
        }
        assert_eq!(Review::of_action("delete"), None);
    }
}

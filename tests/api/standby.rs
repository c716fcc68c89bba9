//! A PostgreSQL primary with a synchronous standby (issue 18): a webhook's 2xx means the
//! message is on both machines. With the standby away, commits wait on the primary, so no
//! webhook is acknowledged and readiness fails; once the standby is back, the waiting
//! message is committed and the provider's retry of it creates nothing new.
//!
//! Runs when `POSTGRES_SYNC_URL` names a primary whose `synchronous_standby_names` waits
//! for the standby cluster `POSTGRES_SYNC_STANDBY` ("15 standby", for `pg_ctlcluster`).
//! `.ci/run` makes the pair; the shared server of the other tests has no standby, since
//! stopping one would stall every other test's commits.

use std::time::Duration;

use crate::database::Database;
use crate::helpers::{PUBLIC_URL, TestApp, channels, spawn_configured};

/// Stops or starts the standby cluster, as an operator (or a failing machine) would.
fn standby(cluster: &str, action: &str) {
    let mut args: Vec<&str> = cluster.split_whitespace().collect();
    args.push(action);
    if action == "stop" {
        args.extend(["-m", "immediate"]);
    }
    let status = std::process::Command::new("pg_ctlcluster")
        .args(&args)
        .status()
        .unwrap();
    assert!(status.success(), "pg_ctlcluster {args:?}: {status}");
}

/// The standby, stopped; started again when dropped, even by a failing assertion, so
/// the tests after this one find their commits answered.
struct Away<'a>(&'a str);

impl<'a> Away<'a> {
    fn stop(cluster: &'a str) -> Self {
        standby(cluster, "stop");
        Self(cluster)
    }
}

impl Drop for Away<'_> {
    fn drop(&mut self) {
        standby(self.0, "start");
    }
}

/// The sim provider's SMS with id `id`; the answer's status, or none within `patience`
/// (the provider gives up and will retry).
async fn sms(app: &TestApp, id: &str, patience: Duration) -> Option<u16> {
    let body = format!("from=76123456&text=RAS&id={id}");
    let sent = app.post_form("/webhooks/sim/sms", &body);
    let answer = tokio::time::timeout(patience, sent).await.ok()?;
    Some(answer.status().as_u16())
}

fn stored(database: &Database) -> Vec<String> {
    database.read(|db| {
        let sql = "SELECT provider_message_id FROM inbound_messages ORDER BY id";
        db.query_map(sql, &[], |r| r.get(0)).unwrap()
    })
}

#[tokio::test]
async fn no_webhook_is_acknowledged_while_the_synchronous_standby_is_away() {
    let (Ok(server), Ok(cluster)) = (
        std::env::var("POSTGRES_SYNC_URL"),
        std::env::var("POSTGRES_SYNC_STANDBY"),
    ) else {
        eprintln!(
            "skipped: POSTGRES_SYNC_URL and POSTGRES_SYNC_STANDBY are not set (.ci/run sets them)"
        );
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let database = Database::postgres_for_dir(dir.path(), server);
    let server_settings = format!("public_url = \"{PUBLIC_URL}\"\nrequest_timeout_secs = 8\n");
    let rest = format!("[inbound]\n{}", channels());
    let app = spawn_configured(&server_settings, "", &rest, dir).await;
    let patience = Duration::from_secs(10);
    assert_eq!(sms(&app, "before", patience).await, Some(200));

    let away_standby = Away::stop(&cluster);
    // The commit waits for the standby: the request times out (408 after 8 s), never 2xx.
    let away = sms(&app, "away", patience).await;
    assert!(away.is_none_or(|s| !(200..300).contains(&s)), "{away:?}");
    assert_eq!(app.get("/readyz").await.status(), 503);
    assert_eq!(
        stored(&database),
        ["before"],
        "nothing visible while it waits"
    );

    drop(away_standby);
    // The waiting commit completes; the provider's retry is the message already stored.
    let mut retried = None;
    for _ in 0..60 {
        retried = sms(&app, "away", patience).await;
        if retried == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(retried, Some(200));
    assert_eq!(sms(&app, "after", patience).await, Some(200));
    assert_eq!(app.get("/readyz").await.status(), 200);
    assert_eq!(stored(&database), ["before", "away", "after"]);
}

//! `vigie serve --demo`: a first look at the whole loop. The demo configuration
//! (`config/demo.toml`: a sim channel, a zone, one report enough to alert) gets the demo
//! contacts (`data/demo_contacts.csv`), and the newcomer is told what to try.

use crate::config::{ChannelKind, Config};

/// The demo's contacts, shipped with the binary's sources.
const CONTACTS: &str = include_str!("../data/demo_contacts.csv");

/// Stores the demo contacts (again: they are upserted) and returns what to try.
pub async fn prepare(config: &Config) -> anyhow::Result<String> {
    if !config.server.listen.ip().is_loopback() {
        anyhow::bail!("--demo: the demo's admin token is public; listen on 127.0.0.1 only");
    }
    if config.channels.iter().any(|c| c.kind != ChannelKind::Sim) {
        anyhow::bail!(
            "--demo: the demo contacts would get real SMS; use it with sim channels only \
             (config/demo.toml)"
        );
    }
    let (store, writer) = crate::store::Store::connect(&config.storage, None).await?;
    let imported = crate::contacts::import_file(&store, config, "demo", CONTACTS).await;
    writer.stop().await;
    let (imported, rejected) = imported?;
    if let Some(row) = rejected.first() {
        anyhow::bail!("demo contacts, line {}: {}", row.line, row.reason);
    }
    let base = format!("http://{}", config.server.listen);
    Ok(format!(
        "Vigie demo: {imported} contacts (2 monitors, 3 responders), zone koro-bankass.\n\
         1. Open {base}/ and log in with the token `demo`.\n\
         2. A monitor reports (or use the console's Simulator as 76000001):\n   \
            curl -d from=76000001 -d 'text=ATT Koro 3 morts' {base}/webhooks/sim/sms\n\
         3. The incident appears live; responders 70000001 and 70000002 are alerted\n   \
            (Simulator, phone 70000001, to see the alert).\n\
         4. A responder acknowledges: curl -d from=70000001 -d 'text=OK 1' {base}/webhooks/sim/sms\n\
         Unanswered, an alert escalates to Mopti after 5 minutes (the Responses page counts down)."
    ))
}

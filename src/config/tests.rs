use std::path::Path;

use super::*;

fn error_of(toml: &str) -> String {
    Config::from_toml(toml)
        .expect_err("should be refused")
        .to_string()
}

#[test]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail API returns its own large error"
)]
fn the_shipped_config_is_valid_and_serves_the_sim_channel() {
    // In a Jail: `load` reads VIGIE_ variables, which the environment test sets meanwhile.
    figment::Jail::expect_with(|_| {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/config/vigie.toml"));
        let config = Config::load(path).map_err(|e| e.to_string())?;
        assert_eq!(config.server.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.storage.path, Path::new("vigie.db"));
        assert_eq!(config.storage.synchronous, Synchronous::Full);
        assert_eq!(config.channels.len(), 1);
        assert_eq!(config.channels[0].kind, ChannelKind::Sim);
        assert!(config.channels[0].secret.is_none());
        Ok(())
    });
}

#[test]
fn a_sim_channel_with_a_secret_or_on_loopback_may_serve() {
    for toml in [
        "[server]\nlisten = \"0.0.0.0:8080\"\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\nsecret = \"s\"",
        "[server]\nlisten = \"[::1]:8080\"\n[[channels]]\nid = \"sim\"\nkind = \"sim\"",
        "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\nsecret = \"s\"",
    ] {
        Config::from_toml(toml).unwrap();
    }
}

#[test]
fn an_empty_file_takes_the_defaults() {
    let config = Config::from_toml("").unwrap();
    assert_eq!(config.inbound.max_text_chars, 1600);
    assert_eq!(config.inbound.dedupe_window_secs, 120);
    assert!(config.admin_token.is_none());
}

#[test]
fn bad_values_are_refused_naming_the_field() {
    let cases = [
        ("[server]\nlisten = \"nowhere\"", "server.listen"),
        (
            "[storage]\nsynchronous = \"sometimes\"",
            "storage.synchronous",
        ),
        ("[inbound]\nmax_text_chars = 0", "inbound.max_text_chars"),
        ("[storage]\nurl = \"mysql://db/vigie\"", "storage.url"),
        ("[storage]\nurl = \"sqlite:\"", "storage.url"),
        (
            "[inbound]\ndefault_country = \"XX\"",
            "inbound.default_country",
        ),
        (
            "[inbound.rate_limit]\nper_minute = 0",
            "inbound.rate_limit.per_minute",
        ),
        (
            "[server]\npublic_url = \"gateway.example.org\"",
            "server.public_url",
        ),
        ("[server]\nworker_threads = 0", "server.worker_threads"),
        (
            "[server]\nlisten = \"0.0.0.0:8080\"\n[[channels]]\nid = \"sim\"\nkind = \"sim\"",
            "channels[0].secret: a sim channel without a secret on 0.0.0.0:8080",
        ),
        (
            "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n[[channels]]\nid = \"sim\"\nkind = \"sim\"",
            "channels[0].secret: a sim channel without a secret behind server.trusted_proxies",
        ),
        (
            "[[channels]]\nid = \"at\"\nkind = \"africastalking\"\nsecret = \" \"",
            "channels[0].secret",
        ),
        ("admin_token = \"\"", "admin_token"),
        ("unknown_key = 1", "unknown_key"),
        (
            "[[channels]]\nid = \"Bad Id\"\nkind = \"sim\"",
            "channels[0].id",
        ),
        (
            "[[channels]]\nid = \"x\"\nkind = \"pigeon\"",
            "channels[0].kind",
        ),
        (
            "[[channels]]\nid = \"at\"\nkind = \"africastalking\"",
            "channels[0].secret",
        ),
        (
            "[[channels]]\nid = \"a\"\nkind = \"sim\"\n[[channels]]\nid = \"a\"\nkind = \"sim\"",
            "channels[1].id",
        ),
        (
            "[[channels]]\nid = \"a\"\nkind = \"sim\"\ncountry = \"Mali\"",
            "channels[0].country",
        ),
        (
            "[[channels]]\nid = \"t\"\nkind = \"twilio\"\nsecret = \"s\"",
            "channels[0].auth_token",
        ),
        (
            "[[channels]]\nid = \"t\"\nkind = \"twilio\"\nsecret = \"s\"\nauth_token = \"x\"",
            "server.public_url",
        ),
        (
            "[reports]\ntime_zone = \"Mars/Olympus\"",
            "reports.time_zone",
        ),
        (
            "[reports.severity.base]\nXYZ = 3",
            "reports.severity.base.XYZ",
        ),
        (
            "[reports.severity.base]\nATT = 9",
            "reports.severity.base.ATT: must be 1 to 5",
        ),
        (
            "[reports]\nunknown_senders = \"maybe\"",
            "reports.unknown_senders",
        ),
        (
            "[reports]\nussd_session_timeout_secs = 0",
            "reports.ussd_session_timeout_secs: must be 10 to 600",
        ),
        ("[incidents]\nwindow_hours = 0", "incidents.window_hours"),
        ("[silence]\nhistory_days = 0", "silence.history_days"),
        ("[silence]\nseveral = 0", "silence.several"),
        ("[silence]\nmin_monitors = 0", "silence.min_monitors"),
        (
            "[silence.operators]\n\"2237\" = \"Orange\"",
            "silence.operators.\"2237\": an E.164 prefix",
        ),
        (
            "[silence.operators]\n\"+2237\" = \" \"",
            "silence.operators.\"+2237\": the operator's name is empty",
        ),
        (
            "[incidents.windows_hours]\nXYZ = 3",
            "incidents.windows_hours.XYZ",
        ),
        (
            "[incidents]\nfamilies = [[\"ATT\", \"BOOM\"]]",
            "incidents.families[0]",
        ),
        ("[incidents]\nradius_km = -1.0", "incidents.radius_km"),
        (
            "[alerts]\nseverity_threshold = 6",
            "alerts.severity_threshold",
        ),
        ("[alerts]\nsources = 0", "alerts.sources"),
        ("[alerts]\nsource_steps = [5, 3]", "alerts.source_steps"),
        ("[alerts]\ndeadline_mins = 0", "alerts.deadline_mins"),
        ("[[zones]]\ncode = \"a\"", "zones[0].units"),
        (
            "[[zones]]\ncode = \"a\"\nunits = [\"Koro\"]\n[[zones]]\ncode = \"A\"\nunits = [\"Koro\"]",
            "zones[1].code",
        ),
        (
            "[[zones]]\ncode = \"a\"\ncircles = [{ lat = 91.0, lon = 0.0, radius_km = 5.0 }]",
            "zones[0].circles[0]",
        ),
        (
            "[[zones]]\ncode = \"a\"\nunits = [\"Koro\"]\ncategories = [\"BOOM\"]",
            "zones[0].categories",
        ),
        (
            "[[zones]]\ncode = \"a\"\nunits = [\"Koro\"]\nsubscribers = [{ phone = \"70000000\" }]",
            "zones[0].subscribers[0].phone",
        ),
        (
            "[[zones]]\ncode = \"a\"\nunits = [\"Koro\"]\nsubscribers = [{ phone = \"+22370000000\", min_severity = 7 }]",
            "zones[0].subscribers[0].min_severity",
        ),
        (
            "[outbound]\nclaim_timeout_secs = 10\nsend_timeout_secs = 30",
            "outbound.claim_timeout_secs",
        ),
        (
            "[[channels]]\nid = \"sim\"\nkind = \"sim\"\n[[outbound.routes]]\nprefix = \"223\"\nchannel = \"sim\"",
            "outbound.routes[0].prefix",
        ),
        (
            "[[channels]]\nid = \"sim\"\nkind = \"sim\"\n[outbound.default_route]\nchannel = \"nope\"",
            "outbound.default_route.channel: no channel `nope`",
        ),
        (
            "[[channels]]\nid = \"at\"\nkind = \"africastalking\"\nsecret = \"s\"\n[outbound.default_route]\nchannel = \"at\"",
            "cannot send: set its `username`",
        ),
    ];
    for (toml, field) in cases {
        let message = error_of(toml);
        assert!(
            message.contains(field),
            "{toml:?}: {message:?} should name {field}"
        );
    }
}

#[test]
#[expect(
    clippy::result_large_err,
    reason = "figment's Jail API returns its own large error"
)]
fn environment_variables_override_the_file() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "vigie.toml",
            "[server]\nlisten = \"127.0.0.1:8080\"\n[[channels]]\nid = \"sim\"\nkind = \"sim\"\nsecret = \"s\"",
        )?;
        jail.set_env("VIGIE_SERVER__LISTEN", "0.0.0.0:9000");
        jail.set_env("VIGIE_ADMIN_TOKEN", "012345");
        jail.set_env("VIGIE_STORAGE__SYNCHRONOUS", "normal");
        let config = Config::load(Path::new("vigie.toml")).map_err(|e| e.to_string())?;
        assert_eq!(config.server.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(config.storage.synchronous, Synchronous::Normal);
        let token = config
            .admin_token
            .as_ref()
            .map(secrecy::ExposeSecret::expose_secret);
        assert_eq!(
            token,
            Some("012345"),
            "a numeric-looking token stays as written"
        );
        jail.set_env("VIGIE_INBOUND__MAX_TEXT_CHARS", "lots");
        let message = Config::load(Path::new("vigie.toml"))
            .expect_err("bad env value")
            .to_string();
        assert!(message.contains("inbound.max_text_chars"), "{message}");
        Ok(())
    });
}

#[test]
fn secrets_never_reach_debug_output() {
    let config = Config::from_toml("admin_token = \"hunter2\"\n[storage]\nurl = \"postgres://vigie:opensesame@db/vigie\"\n[[channels]]\nid = \"at\"\nkind = \"africastalking\"\nsecret = \"sesame\"").unwrap();
    let debug = format!("{config:?}");
    assert!(
        !debug.contains("hunter2") && !debug.contains("sesame"),
        "{debug}"
    );
}

#[test]
fn a_storage_url_names_sqlite_or_postgres() {
    let config = Config::from_toml("[storage]\nurl = \"sqlite:/var/lib/vigie/v.db\"").unwrap();
    assert_eq!(
        config.storage.backend(),
        Backend::Sqlite(Path::new("/var/lib/vigie/v.db"))
    );
    let config = Config::from_toml("[storage]\nurl = \"postgres://u:p@db/vigie\"").unwrap();
    assert_eq!(
        config.storage.backend(),
        Backend::Postgres("postgres://u:p@db/vigie")
    );
    let config = Config::from_toml("").unwrap();
    assert_eq!(
        config.storage.backend(),
        Backend::Sqlite(Path::new("vigie.db"))
    );
}

//! The `vigie` command line.

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use tokio_util::sync::CancellationToken;
use vigie::app::Application;
use vigie::config::Config;
use vigie::reports::Reports;

/// Webhook handling allocates many short strings; mimalloc serves them faster than glibc's
/// allocator under two busy threads (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cli;

use cli::{Audit, Cli, Command, Import, Token};

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("vigie: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve {
            config,
            listen,
            demo,
        } => {
            let default = if demo {
                "config/demo.toml"
            } else {
                "config/vigie.toml"
            };
            serve(&config.unwrap_or_else(|| default.into()), listen, demo)
        }
        Command::Check { config } => {
            let config = Config::load(&config)?;
            vigie::provider::Channels::from_config(&config)?;
            let reports = Reports::load(&config.reports)?;
            vigie::fanout::Zones::compile(&config.zones, &reports.gazetteer, &config.alerts)
                .map_err(|e| anyhow::anyhow!("invalid zone: {e}"))?;
            println!(
                "configuration is valid: {} channel(s), {} language(s), {} places, {} zone(s); every reply fits one SMS",
                config.channels.len(),
                reports.vocabulary.languages().len(),
                reports.gazetteer.len(),
                config.zones.len(),
            );
            Ok(())
        }
        Command::Import {
            what: Import::Contacts { file, config },
        } => import_contacts(&config, &file),
        Command::Parse {
            config,
            json: _,
            lang,
            home,
            at,
            text,
        } => parse(
            &config,
            lang.as_deref(),
            home.as_deref(),
            at.as_deref(),
            &text.join(" "),
        ),
        Command::Token { what, config } => token(&config, what),
        Command::Purge { config } => {
            let config = Config::load(&config)?;
            let days = config.storage.retention_days;
            if days == 0 {
                anyhow::bail!("storage.retention_days is 0: set how many days to keep");
            }
            let purged = on_store(&config, |store| async move {
                Ok(vigie::retention::purge_now(&store, days).await?)
            })?;
            println!(
                "purged past {days} days: {}",
                serde_json::to_string(&purged)?
            );
            Ok(())
        }
        Command::Audit { what, config } => audit(&what, &config),
        Command::CopyTo { url, config } => copy_to(&url, &config),
        Command::Migrate { config } => {
            let config = Config::load(&config)?;
            if let vigie::config::Backend::Postgres(url) = config.storage.backend() {
                let applied = on_one_thread(vigie::store::postgres::migrate(url))??;
                println!("PostgreSQL is up to date (applied now: {applied:?})");
                return Ok(());
            }
            vigie::store::migrate(&config.storage)?;
            println!("database {} is up to date", config.storage.path.display());
            Ok(())
        }
    }
}

/// `vigie copy-to URL`: the SQLite database, brought up to date, copied into PostgreSQL.
fn copy_to(url: &str, path: &std::path::Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let conn = vigie::store::migrate(&config.storage)?;
    let copied = on_one_thread(vigie::store::postgres::copy::from_sqlite(&conn, url))??;
    let total: u64 = copied.iter().map(|(_, n)| n).sum();
    for (table, n) in &copied {
        println!("{table}: {n}");
    }
    println!("copied {total} rows from {}", config.storage.path.display());
    Ok(())
}

/// Runs one task to its end on this thread (a command talking to PostgreSQL).
fn on_one_thread<T>(task: impl std::future::Future<Output = T>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(task))
}

/// `vigie token ...`.
fn token(path: &std::path::Path, what: Token) -> anyhow::Result<()> {
    use vigie::tokens::{self, NewToken};
    let config = Config::load(path)?;
    let reports = std::sync::Arc::new(Reports::load(&config.reports)?);
    let config = &config;
    on_store(config, |store| async move {
        let now = store.now_ms();
        match what {
            Token::Create { role, zones, name } => {
                let compiled = vigie::zoning::in_force(&store, config, &reports.gazetteer).await?;
                let made = store
                    .write(move |db| {
                        let names = vigie::fanout::ZoneNames::new(
                            &reports.gazetteer,
                            std::sync::Arc::clone(&compiled),
                        );
                        let new = NewToken {
                            role: &role,
                            zones: &zones,
                            name: &name,
                            by: "cli",
                        };
                        tokens::in_write(tokens::create(db, &names, &new, now))
                            .map(|made| made.map(|made| (made, role.clone())))
                    })
                    .await?;
                let ((id, token), role) = made?;
                println!("{token}");
                eprintln!("token {id} ({role}) made; it is shown this once");
            }
            Token::List => {
                for t in store.read(vigie::store::tokens::list).await? {
                    println!("{}", serde_json::to_string(&t)?);
                }
            }
            Token::Revoke { id } => {
                store
                    .write(move |db| tokens::in_write(tokens::revoke(db, id, "cli", now)))
                    .await??;
                println!("token {id} revoked");
            }
        }
        Ok(())
    })
}

/// Runs `task` on the database `config` names, SQLite or PostgreSQL, and returns once its
/// writes are committed.
fn on_store<T, F, Fut>(config: &Config, task: F) -> anyhow::Result<T>
where
    F: FnOnce(vigie::store::Store) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    on_one_thread(async {
        let (store, writer) = vigie::store::Store::connect(&config.storage, None).await?;
        let result = task(store).await;
        writer.stop().await;
        result
    })?
}

/// `vigie import contacts FILE.csv`: one transaction for the good rows.
fn import_contacts(path: &std::path::Path, file: &std::path::Path) -> anyhow::Result<()> {
    let config = Config::load(path)?;
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let config = &config;
    let (imported, rejected) = on_store(config, |store| async move {
        vigie::contacts::import_file(&store, config, "cli", &text).await
    })?;
    println!("imported {imported} contact(s)");
    for row in &rejected {
        println!("line {}: {}", row.line, row.reason);
    }
    Ok(())
}

/// `vigie parse --json -- TEXT`: one JSON object on stdout, whatever the text.
fn parse(
    path: &std::path::Path,
    lang: Option<&str>,
    home: Option<&str>,
    at: Option<&str>,
    text: &str,
) -> anyhow::Result<()> {
    let config = if path.exists() {
        Config::load(path)?
    } else {
        Config::from_toml("")?
    };
    let reports = Reports::load(&config.reports)?;
    let home = match home {
        Some(given) => Some(
            reports
                .home(given)
                .with_context(|| format!("--home: no single place `{given}` in the gazetteer"))?,
        ),
        None => None,
    };
    let received = match at {
        Some(at) => chrono::DateTime::parse_from_rfc3339(at)
            .with_context(|| format!("--at: `{at}` is not an RFC 3339 time"))?
            .with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    println!("{}", reports.parse_json(text, lang, home, received));
    Ok(())
}

fn audit(what: &Audit, config: &std::path::Path) -> anyhow::Result<()> {
    let config = Config::load(config)?;
    let audit_key = config.storage.audit_key_path();
    let (key, entries) = on_store(&config, |store| async move {
        Ok(store
            .read(move |db| {
                let (key, _) = vigie::store::audit::key(db, &audit_key)?;
                Ok((key, vigie::store::audit::all(db)?))
            })
            .await?)
    })?;
    vigie::audit::verify(&entries, &key).context("the audit chain is broken")?;
    match what {
        Audit::Head => println!("{}", vigie::audit::head(&entries)),
        Audit::Verify { head } => {
            if let Some(kept) = head {
                vigie::audit::check_head(&entries, kept).context("the audit log is not whole")?;
            }
            println!("audit chain intact: {} entries", entries.len());
        }
    }
    Ok(())
}

fn serve(path: &std::path::Path, listen: Option<SocketAddr>, demo: bool) -> anyhow::Result<()> {
    let mut config = Config::load(path)?;
    if let Some(listen) = listen {
        config.server.listen = listen;
        config.validate()?;
    }
    let _log_guard = vigie::telemetry::init(&config.log)?;
    // A panic's message may quote the data it choked on (a reporter's text): the log says
    // where it happened, never what it said.
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map_or_else(String::new, |l| format!("{}:{}", l.file(), l.line()));
        tracing::error!(at = %at, "panic");
    }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.server.worker_threads())
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        if demo {
            eprintln!("{}", vigie::demo::prepare(&config).await?);
        }
        let app = Application::build(config).await?;
        let shutdown = CancellationToken::new();
        tokio::spawn(cancel_on_signal(shutdown.clone()));
        app.run(shutdown).await
    })
}

/// Cancels `token` on Ctrl-C or SIGTERM.
async fn cancel_on_signal(token: CancellationToken) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
    token.cancel();
}

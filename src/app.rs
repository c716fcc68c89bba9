//! Builds the gateway from its configuration and runs it until shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::clock::Clock;
use crate::config::{Backend, Config};
use crate::delivery::Delivery;
use crate::fanout::Fanout;
use crate::http::{self, AppState, Shared};
use crate::inbound::{Inbound, Triage};
use crate::incident::fuse::FusionRules;
use crate::intake::Intake;
use crate::live::Live;
use crate::metrics::Metrics;
use crate::outbound::Outbound;
use crate::provider::Channels;
use crate::reports::Reports;
use crate::retention::Retention;
use crate::silence::{self, Sweeper, operators::Operators};
use crate::store::{Store, WriterThread, contacts, zones};
use crate::ussd::Ussd;

/// Housekeeping (expired concatenation parts, idle rate-limit keys) runs at least this often.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(10);

/// A built gateway: storage open, listener bound, nothing served yet.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    writer: WriterThread,
    live: Arc<Live>,
    retention: Arc<Retention>,
    silence: Arc<Sweeper>,
    request_timeout: Duration,
    limits: http::Limits,
    shutdown_grace: Duration,
    housekeeping_every: Duration,
}

impl Application {
    /// Opens storage (running migrations) and binds `config.server.listen`.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Clock::system()).await
    }

    /// The same, with every stage reading the time from `clock` (a test's).
    pub async fn build_with_clock(config: Config, clock: Clock) -> anyhow::Result<Self> {
        let metrics = Arc::new(Metrics::new());
        let (store, writer) = Store::connect(&config.storage, Some(metrics.batch_sizes()))
            .await
            .with_context(|| match config.storage.backend() {
                Backend::Sqlite(path) => format!("cannot open the database {}", path.display()),
                Backend::Postgres(_) => "cannot open the PostgreSQL database".to_owned(),
            })?;
        let store = store.with_clock(clock);
        let channels = Arc::new(Channels::from_config(&config)?);
        let outbound = Arc::new(
            Outbound::new(
                &config,
                store.clone(),
                Arc::clone(&channels),
                Arc::clone(&metrics),
            )
            .context("cannot set up sending")?,
        );
        let woken = Arc::downgrade(&outbound);
        store.set_waker(move |channel| {
            if let Some(outbound) = woken.upgrade() {
                outbound.wake(channel);
            }
        });
        let reports = Arc::new(Reports::load(&config.reports)?.with_channels(&config.channels));
        let inbound = Inbound::new(
            store.clone(),
            Arc::clone(&channels),
            Arc::clone(&metrics),
            &config.inbound,
            Triage::new(&reports.vocabulary),
        );
        let fusion = FusionRules::from_config(&config.incidents);
        let fanout = Arc::new(fanout(&config, &store, &reports, &metrics).await?);
        let operators = Arc::new(Operators::new(&config.silence.operators));
        let pseudonyms =
            crate::store::pseudonyms(&config.storage).context("cannot read the pseudonym key")?;
        let ussd = Ussd::new(store.clone(), Arc::clone(&reports), &config.reports)
            .with_operators(Arc::clone(&operators));
        let intake = Intake::new(
            store.clone(),
            reports,
            Arc::clone(&outbound),
            &config.reports,
            fusion,
            Arc::clone(&fanout),
        )
        .with_operators(Arc::clone(&operators))
        .with_pseudonyms(pseudonyms.clone());
        let silence = Arc::new(Sweeper::new(
            silence::Parts {
                store: store.clone(),
                outbound: Arc::clone(&outbound),
                fanout,
                pseudonyms: pseudonyms.clone(),
                operators: Arc::clone(&operators),
                metrics: Arc::clone(&metrics),
            },
            &config.silence,
        ));
        let retention = Retention::new(store.clone(), config.storage.retention_days);
        let live = Live::new(store.clone());
        let console = if config.console.enabled {
            Some(
                http::ConsoleState::new(
                    &config.console,
                    &config.server,
                    &config.reports,
                    Arc::clone(&live),
                )
                .context("cannot load the console")?,
            )
        } else {
            None
        };
        let state = AppState::new(Shared {
            pseudonyms,
            intake: Arc::new(intake),
            ussd: Arc::new(ussd),
            outbound,
            channels,
            inbound: Arc::new(inbound),
            delivery: Delivery::new(store.clone(), Arc::clone(&metrics), operators),
            store,
            metrics,
            admin_token: config.admin_token,
            loopback_only: config.server.local_only(),
            public_url: config.server.public_url,
            console,
            silence: Arc::clone(&silence),
        });
        let listener = TcpListener::bind(config.server.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.server.listen))?;
        Ok(Self {
            listener,
            state,
            writer,
            live,
            retention: Arc::new(retention),
            silence,
            request_timeout: Duration::from_secs(config.server.request_timeout_secs),
            limits: http::Limits {
                header_read_timeout: Duration::from_secs(config.server.header_read_timeout_secs),
                max_connections: config.server.max_connections,
            },
            shutdown_grace: Duration::from_secs(config.server.shutdown_grace_secs),
            // Often enough that incomplete parts wait little longer than their timeout.
            housekeeping_every: Duration::from_secs(config.inbound.concat_timeout_secs / 2)
                .clamp(Duration::from_secs(1), HOUSEKEEPING_EVERY),
        })
    }

    /// The outbound stage, to queue messages before (or while) the gateway runs.
    pub fn outbound(&self) -> Arc<Outbound> {
        Arc::clone(&self.state.outbound)
    }

    /// The address actually bound (port 0 becomes a real port).
    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    /// Serves until `shutdown` is cancelled, then stops accepting, finishes in-flight
    /// requests and worker steps, and commits every queued write before returning.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let addr = self.local_addr()?;
        tracing::info!("listening on http://{addr}");
        let workers = TaskTracker::new();
        self.state
            .outbound
            .start(&workers, &shutdown)
            .await
            .context("cannot start sending")?;
        workers.spawn(Arc::clone(&self.state.intake).run(shutdown.clone()));
        workers.spawn(Arc::clone(&self.live).run(shutdown.clone()));
        workers.spawn(Arc::clone(&self.silence).run(shutdown.clone()));
        workers.spawn(housekeeping(
            Arc::clone(&self.state.inbound),
            Arc::clone(&self.state.intake),
            Arc::clone(&self.state.outbound),
            Arc::clone(&self.retention),
            self.housekeeping_every,
            shutdown.clone(),
        ));
        let app = http::router(self.state.clone(), self.request_timeout);
        let serve = http::serve(
            self.listener,
            app,
            self.limits,
            shutdown.clone().cancelled_owned(),
        );
        let grace_over = async {
            shutdown.cancelled().await;
            tokio::time::sleep(self.shutdown_grace).await;
        };
        tokio::select! {
            () = serve => {}
            () = grace_over => tracing::warn!("shutdown grace period over; closing open requests"),
        }
        shutdown.cancel();
        workers.close();
        workers.wait().await;
        drop(self.state);
        self.writer.stop().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// The fan-out stage, with the zones of the configuration and those added through the
/// API. A configured zone is stored at every start, replacing one of the same code changed
/// through the API; zones only the API made stay.
async fn fanout(
    config: &Config,
    store: &Store,
    reports: &Arc<Reports>,
    metrics: &Arc<Metrics>,
) -> anyhow::Result<Fanout> {
    let configured = config.zones.clone();
    let now = store.now_ms();
    let definitions = store
        .write(move |conn| {
            contacts::index_zones(conn)?;
            for zone in &configured {
                zones::put(conn, zone, now)?;
            }
            zones::all(conn)
        })
        .await
        .context("cannot store the configured zones")?;
    Fanout::new(
        &definitions,
        Arc::clone(reports),
        &config.alerts,
        Arc::clone(metrics),
    )
    .map_err(|e| anyhow::anyhow!("invalid zone: {e}"))
}

/// Periodic upkeep; a step in progress is finished before shutdown is honoured.
async fn housekeeping(
    inbound: Arc<Inbound>,
    intake: Arc<Intake>,
    outbound: Arc<Outbound>,
    retention: Arc<Retention>,
    every: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        if let Err(e) = inbound.flush_expired_parts().await {
            tracing::error!(error = %e, "cannot store expired concatenation parts");
        }
        inbound.forget_quiet_senders();
        if let Err(e) = intake.expire_choices().await {
            tracing::error!(error = %e, "cannot expire place choices");
        }
        if let Err(e) = intake.sweep_alerts().await {
            tracing::error!(error = %e, "cannot send due updates and escalations");
        }
        if let Err(e) = outbound.housekeeping().await {
            tracing::error!(error = %e, "outbound upkeep failed");
        }
        if let Err(e) = retention.run_if_due().await {
            tracing::error!(error = %e, "cannot purge past retention");
        }
    }
}

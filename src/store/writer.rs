//! The single writer: one thread owns the write connection and commits in batches.
//!
//! SQLite allows one writer at a time, and with `synchronous=FULL` every commit waits for the
//! disk. One transaction per webhook would cap ingest at one fsync per request. Instead,
//! requests queue here; the thread takes whatever has queued up (up to `batch_max`), runs
//! each job in its own savepoint (so one failing job never undoes its neighbours), commits
//! once, and only then answers every caller. A caller that got `Ok` is on disk.

use std::thread::JoinHandle;

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::StoreError;

type Job = Box<dyn Work>;
type Completion = Box<dyn FnOnce(Result<(), StoreError>) + Send>;

/// One caller's write.
trait Work: Send {
    /// Runs against the open transaction; returns what to tell the caller once the commit is known.
    fn run(self: Box<Self>, tx: &mut Transaction<'_>) -> Completion;
    /// Tells the caller its write never ran.
    fn abort(self: Box<Self>, err: StoreError);
}

struct Pending<T, F> {
    f: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Work for Pending<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(self: Box<Self>, tx: &mut Transaction<'_>) -> Completion {
        let Pending { f, reply } = *self;
        let result = in_savepoint(tx, f);
        Box::new(move |commit| {
            // The caller may have gone (client hung up); the write stands regardless.
            let _ = reply.send(commit.and(result));
        })
    }

    fn abort(self: Box<Self>, err: StoreError) {
        let _ = self.reply.send(Err(err));
    }
}

enum Msg {
    Job(Job),
    Shutdown,
}

/// Submits writes to the writer thread. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct WriterHandle {
    tx: mpsc::Sender<Msg>,
}

/// Owns the writer thread; `join` waits for queued writes to be committed.
#[derive(Debug)]
pub struct WriterThread {
    handle: WriterHandle,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Msg::Job(_) => "Job",
            Msg::Shutdown => "Shutdown",
        })
    }
}

pub(crate) fn spawn(
    conn: Connection,
    batch_max: usize,
    batch_sizes: Option<Histogram>,
) -> std::io::Result<(WriterHandle, WriterThread)> {
    // Bounded so a flood waits for the disk instead of filling memory.
    let (tx, rx) = mpsc::channel(batch_max * 4);
    let thread = std::thread::Builder::new()
        .name("vigie-writer".into())
        .spawn(move || run(conn, rx, batch_max, batch_sizes))?;
    let handle = WriterHandle { tx };
    Ok((
        handle.clone(),
        WriterThread {
            handle,
            thread: Some(thread),
        },
    ))
}

impl WriterHandle {
    /// Runs `f` in the next batch and returns its result once the batch is committed.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(Pending { f, reply });
        self.tx
            .send(Msg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

impl WriterThread {
    /// Commits everything already queued, then stops the thread.
    pub fn join(mut self) {
        // If the queue is full the thread is alive and draining, so this send completes.
        let _ = self.handle.tx.blocking_send(Msg::Shutdown);
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("writer thread panicked");
        }
    }
}

/// Runs one job in its own savepoint, so a failing job is undone alone. The statements are
/// cached: rusqlite's `Savepoint` re-parses its SQL every time.
fn in_savepoint<T>(
    tx: &mut Transaction<'_>,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    tx.prepare_cached("SAVEPOINT job")?.execute([])?;
    match f(tx) {
        Ok(value) => {
            tx.prepare_cached("RELEASE job")?.execute([])?;
            Ok(value)
        }
        Err(e) => {
            tx.prepare_cached("ROLLBACK TO job")?.execute([])?;
            tx.prepare_cached("RELEASE job")?.execute([])?;
            Err(e)
        }
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Msg>,
    batch_max: usize,
    sizes: Option<Histogram>,
) {
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.blocking_recv() else {
            break;
        };
        let mut jobs = Vec::with_capacity(batch_max);
        match first {
            Msg::Job(job) => jobs.push(job),
            Msg::Shutdown => stopping = true,
        }
        // After a shutdown request, drain everything already queued.
        while stopping || jobs.len() < batch_max {
            match rx.try_recv() {
                Ok(Msg::Job(job)) => jobs.push(job),
                Ok(Msg::Shutdown) => stopping = true,
                Err(_) => break,
            }
        }
        if jobs.is_empty() {
            continue;
        }
        if let Some(sizes) = &sizes {
            sizes.observe(jobs.len() as f64);
        }
        commit_batch(&mut conn, jobs);
    }
    tracing::debug!("writer stopped");
}

fn commit_batch(conn: &mut Connection, jobs: Vec<Job>) {
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => {
            tracing::error!(error = %e, "cannot begin write transaction");
            let err = StoreError::Commit(e.to_string());
            for job in jobs {
                job.abort(err.clone());
            }
            return;
        }
    };
    let completions: Vec<Completion> = jobs.into_iter().map(|job| job.run(&mut tx)).collect();
    let outcome = tx.commit().map_err(|e| {
        tracing::error!(error = %e, "write batch failed to commit");
        StoreError::Commit(e.to_string())
    });
    for complete in completions {
        complete(outcome.clone());
    }
}

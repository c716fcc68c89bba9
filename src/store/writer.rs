//! The single writer: one thread owns the write connection and commits in batches.
//!
//! SQLite allows one writer at a time, and with `synchronous=FULL` every commit waits for the
//! disk. One transaction per webhook would cap ingest at one fsync per request. Instead,
//! requests queue here; the thread takes whatever has queued up (up to `batch_max`), runs the
//! jobs in one transaction, commits once, and only then answers every caller. A caller that
//! got `Ok` is on disk.
//!
//! One failing job must not undo its neighbours. Savepoints around every job would cost as
//! much as the jobs, so the batch runs optimistically; only if a job fails is the batch rolled
//! back and replayed with a savepoint per job. Jobs are therefore `Fn`: they may run twice,
//! and only the run that is committed counts. A job that panics fails the same way, alone:
//! the thread, and every write after it, must not die with one bug.

use std::thread::JoinHandle;

use prometheus_client::metrics::histogram::Histogram;
use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot, watch};

use super::StoreError;

type Job = Box<dyn Work>;

/// One caller's write.
trait Work: Send {
    /// Runs against the open transaction and keeps the result; `false` if it failed.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Tells the caller the outcome, now that the commit's is known.
    fn finish(self: Box<Self>, commit: Result<(), StoreError>);
}

struct Pending<T, F> {
    f: F,
    result: Option<Result<T, StoreError>>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Work for Pending<T, F>
where
    T: Send + 'static,
    F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
{
    fn run(&mut self, conn: &Connection) -> bool {
        let f = &self.f;
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
            .unwrap_or_else(|_| {
                // What the panic said may quote the data it choked on: not logged, not kept.
                tracing::error!("a write job panicked; it alone is undone");
                Err(StoreError::Panicked("a write job".into()))
            });
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), StoreError>) {
        let result = self.result.unwrap_or(Err(StoreError::Closed));
        // The caller may have gone (client hung up); the write stands regardless.
        let _ = self.reply.send(commit.and(result));
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
    commits: watch::Receiver<u64>,
}

/// Owns the writer thread; `join` waits for queued writes to be committed.
#[derive(Debug)]
pub struct WriterThread {
    /// None on PostgreSQL, which has no writer thread.
    handle: Option<WriterHandle>,
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
    let (committed, commits) = watch::channel(0);
    let thread = std::thread::Builder::new()
        .name("vigie-writer".into())
        .spawn(move || run(conn, rx, batch_max, batch_sizes, &committed))?;
    let handle = WriterHandle { tx, commits };
    Ok((
        handle.clone(),
        WriterThread {
            handle: Some(handle),
            thread: Some(thread),
        },
    ))
}

impl WriterHandle {
    /// Runs `f` in the next batch and returns its result once the batch is committed.
    /// A counter of commits: changes when a batch is committed (live consoles look then).
    pub(crate) fn commits(&self) -> watch::Receiver<u64> {
        self.commits.clone()
    }

    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Fn(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(Pending {
            f,
            result: None,
            reply,
        });
        self.tx
            .send(Msg::Job(job))
            .await
            .map_err(|_| StoreError::Closed)?;
        answer.await.map_err(|_| StoreError::Closed)?
    }
}

impl WriterThread {
    /// Nothing to join: PostgreSQL's writes commit in their callers' transactions.
    pub fn none() -> Self {
        Self {
            handle: None,
            thread: None,
        }
    }

    /// `join`, from async code: on the blocking pool.
    pub async fn stop(self) {
        if tokio::task::spawn_blocking(move || self.join())
            .await
            .is_err()
        {
            tracing::error!("writer thread panicked");
        }
    }

    /// Commits everything already queued, then stops the thread.
    pub fn join(mut self) {
        // If the queue is full the thread is alive and draining, so this send completes.
        if let Some(handle) = &self.handle {
            let _ = handle.tx.blocking_send(Msg::Shutdown);
        }
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("writer thread panicked");
        }
    }
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Msg>,
    batch_max: usize,
    sizes: Option<Histogram>,
    committed: &watch::Sender<u64>,
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
        if commit_batch(&mut conn, jobs) {
            committed.send_modify(|n| *n += 1);
        }
    }
    tracing::debug!("writer stopped");
}

/// Whether the batch was committed.
fn commit_batch(conn: &mut Connection, mut jobs: Vec<Job>) -> bool {
    let outcome = run_batch(conn, &mut jobs).map_err(|e| {
        tracing::error!(error = %e, "write batch failed to commit");
        StoreError::Commit(e.to_string())
    });
    let committed = outcome.is_ok();
    for job in jobs {
        job.finish(outcome.clone());
    }
    committed
}

/// Runs every job and commits; replays the batch job by job if one failed.
fn run_batch(conn: &mut Connection, jobs: &mut [Job]) -> rusqlite::Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if jobs.iter_mut().all(|job| job.run(&tx)) {
        return tx.commit();
    }
    tx.rollback()?;
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    for job in jobs.iter_mut() {
        tx.execute_batch("SAVEPOINT job")?;
        if !job.run(&tx) {
            tx.execute_batch("ROLLBACK TO job")?;
        }
        tx.execute_batch("RELEASE job")?;
    }
    tx.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{StorageConfig, Synchronous};
    use crate::store::Store;

    /// A failing or panicking write answers an error and leaves its batch neighbours
    /// committed, their effects after commit done once though they ran twice; the writer
    /// goes on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_or_panicking_job_is_undone_alone() {
        use std::sync::atomic::{AtomicI64, Ordering};
        let dir = tempfile::tempdir().unwrap();
        let config = StorageConfig {
            path: dir.path().join("w.db"),
            synchronous: Synchronous::Full,
            batch_max: 64,
            readers: 1,
            ..StorageConfig::default()
        };
        let (store, writer) = Store::open(&config, None).unwrap();
        let effects = std::sync::Arc::new(AtomicI64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..200i64 {
            let (store, effects) = (store.clone(), std::sync::Arc::clone(&effects));
            tasks.spawn(async move {
                let result = store
                    .write(move |conn| {
                        conn.execute(
                            "UPDATE heartbeat SET checked_at = checked_at + 1 WHERE id = 1",
                            crate::store::db::args![],
                        )?;
                        let effects = std::sync::Arc::clone(&effects);
                        conn.after_commit(move || {
                            effects.fetch_add(1, Ordering::Relaxed);
                        });
                        if i % 7 == 0 {
                            return Err(StoreError::Sqlite(format!("job {i} fails")));
                        }
                        assert!(i % 11 != 0, "job {i} trips a bug");
                        Ok(i)
                    })
                    .await;
                (i, result)
            });
        }
        while let Some(done) = tasks.join_next().await {
            let (i, result) = done.unwrap();
            let panicked = i % 11 == 0 && i % 7 != 0;
            assert_eq!(
                result.is_err(),
                i % 7 == 0 || panicked,
                "job {i}: {result:?}"
            );
            if panicked {
                assert!(
                    matches!(result, Err(StoreError::Panicked(_))),
                    "job {i}: {result:?}"
                );
            }
        }
        let count = store
            .read(|c| {
                c.value::<i64>(
                    "SELECT checked_at FROM heartbeat",
                    crate::store::db::args![],
                )
            })
            .await
            .unwrap();
        // 29 multiples of 7 fail, and 16 multiples of 11 that are not of 7 panic.
        assert_eq!(count, 200 - 29 - 16, "only the successful jobs counted");
        assert_eq!(effects.load(Ordering::Relaxed), count, "each effect once");
        assert_eq!(store.write(|_| Ok(1)).await.unwrap(), 1, "still writing");
        tokio::task::spawn_blocking(move || writer.join())
            .await
            .unwrap();
    }
}

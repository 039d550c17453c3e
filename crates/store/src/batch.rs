//! Group commit: writes that arrive while the store is busy go in together, in one transaction.
//!
//! A cold poll of a few hundred sources ends in as many small write transactions, one per
//! poll. On SQLite only one can write at a time, and each commit appends every page it touched
//! to the WAL: the same index pages, again and again. Here a writer queues its work and the
//! first one to find a free writer slot takes everything queued (up to [`MAX_JOBS`]) and runs
//! it in one transaction; the others wait for their answer. An idle store still writes each job
//! at once, on its own.
//!
//! If anything in a batch fails, the whole transaction is rolled back and every job is run
//! again in a transaction of its own, so one bad write cannot lose another's, and each caller
//! gets exactly its own result. Jobs must therefore be safe to run twice over the same store
//! state (they are `FnMut`; a rolled-back run left nothing behind).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Semaphore, oneshot};

use super::{Backend, DbConn, Store, StoreError, relax_durability, transaction};

/// Jobs written in one transaction at most.
pub const MAX_JOBS: usize = 64;

type Work<T> = Box<dyn FnMut(&mut DbConn) -> Result<T, StoreError> + Send>;

/// Run once per transaction after its jobs, with their results.
type FinishFn<T> = dyn Fn(&mut DbConn, &[T]) -> Result<(), StoreError> + Send + Sync;
type Finish<T> = Arc<FinishFn<T>>;

struct Job<T> {
    work: Work<T>,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

/// A group-commit queue for one kind of write. Cheap to clone.
pub struct Batcher<T> {
    store: Store,
    queue: Arc<Mutex<Vec<Job<T>>>>,
    /// Batches written at the same time: one on SQLite (one writer at a time anyway), a few on
    /// Postgres, whose writers do not block each other.
    writers: Arc<Semaphore>,
    /// Transactions committed so far (a batch counts once).
    committed: Arc<AtomicU64>,
    finish: Option<Finish<T>>,
}

impl<T> Clone for Batcher<T> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            queue: Arc::clone(&self.queue),
            writers: Arc::clone(&self.writers),
            committed: Arc::clone(&self.committed),
            finish: self.finish.clone(),
        }
    }
}

impl<T: Send + 'static> Batcher<T> {
    pub fn new(store: Store) -> Self {
        let writers = match store.backend() {
            Backend::Sqlite => 1,
            Backend::Postgres => 2,
        };
        Self {
            store,
            queue: Arc::new(Mutex::new(Vec::new())),
            writers: Arc::new(Semaphore::new(writers)),
            committed: Arc::new(AtomicU64::new(0)),
            finish: None,
        }
    }

    /// Run `finish` at the end of every transaction, after its jobs, with their results: the
    /// place for a write that every job would otherwise repeat, such as touching a row that
    /// all of them share (holding its lock for the rest of a batch would make other writers
    /// wait on it).
    pub fn finishing_with(
        mut self,
        finish: impl Fn(&mut DbConn, &[T]) -> Result<(), StoreError> + Send + Sync + 'static,
    ) -> Self {
        self.finish = Some(Arc::new(finish));
        self
    }

    /// Jobs waiting for a writer.
    pub fn queued(&self) -> usize {
        self.lock().len()
    }

    /// Transactions committed so far; a batch of many jobs counts once.
    pub fn transactions(&self) -> u64 {
        self.committed.load(Ordering::Relaxed)
    }

    /// Run `work` in a transaction (shared with other queued work; Postgres may skip waiting
    /// for the WAL flush, see [`relax_durability`]) and return its result once committed.
    pub async fn write(
        &self,
        work: impl FnMut(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (reply, mut answer) = oneshot::channel();
        self.lock().push(Job {
            work: Box::new(work),
            reply,
        });
        loop {
            tokio::select! {
                biased;
                result = &mut answer => return result.unwrap_or(Err(StoreError::Cancelled)),
                permit = Arc::clone(&self.writers).acquire_owned() => {
                    let permit = permit.map_err(|_| StoreError::Cancelled)?;
                    let jobs: Vec<Job<T>> = {
                        let mut queue = self.lock();
                        let take = queue.len().min(MAX_JOBS);
                        queue.drain(..take).collect()
                    };
                    if jobs.is_empty() {
                        // Another writer took this job; its answer is on the way.
                        drop(permit);
                        return answer.await.unwrap_or(Err(StoreError::Cancelled));
                    }
                    // A task of its own, so that the batch (other callers' work too) is
                    // written and answered even if this caller stops waiting.
                    let store = self.store.clone();
                    let committed = Arc::clone(&self.committed);
                    let finish = self.finish.clone();
                    let written = tokio::spawn(async move {
                        let result = store.run_writer(move |conn| {
                            let n = write_batch(conn, jobs, finish.as_deref());
                            committed.fetch_add(n, Ordering::Relaxed);
                            Ok(())
                        }).await;
                        drop(permit);
                        result
                    });
                    if let Ok(Err(e)) = written.await {
                        // The batch never reached a connection (pool timeout, shutdown): its
                        // jobs were dropped and their callers see `Cancelled`; say why.
                        tracing::warn!(error = %e, "a batch of writes could not run");
                    }
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Job<T>>> {
        // A poisoned queue only means a thread panicked while pushing or draining; the
        // vector itself is intact.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Write `jobs` in one transaction, or, when that fails, each in its own; answer every job.
/// Returns how many transactions committed.
fn write_batch<T>(conn: &mut DbConn, mut jobs: Vec<Job<T>>, finish: Option<&FinishFn<T>>) -> u64 {
    if jobs.len() > 1 {
        let together = transaction(conn, |conn| {
            relax_durability(conn)?;
            let results = jobs
                .iter_mut()
                .map(|job| (job.work)(conn))
                .collect::<Result<Vec<T>, StoreError>>()?;
            if let Some(finish) = finish {
                finish(conn, &results)?;
            }
            Ok(results)
        });
        match together {
            Ok(results) => {
                for (job, result) in jobs.into_iter().zip(results) {
                    let _ = job.reply.send(Ok(result));
                }
                return 1;
            }
            Err(e) => {
                tracing::debug!(error = %e, jobs = jobs.len(), "batch failed; writing its jobs one by one");
            }
        }
    }
    let mut committed = 0;
    for mut job in jobs {
        let result = transaction(conn, |conn| {
            relax_durability(conn)?;
            let result = (job.work)(conn)?;
            if let Some(finish) = finish {
                finish(conn, std::slice::from_ref(&result))?;
            }
            Ok(result)
        });
        committed += u64::from(result.is_ok());
        let _ = job.reply.send(result);
    }
    committed
}

//! The store: one diesel code path over Postgres (production) and SQLite (embedded default).
//! Owns the connection pool, the embedded migrations and the queries, which live beside their
//! table. It never imports HTTP or fetching code.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

// The crates beneath this one, under the names its modules use for them.
use crossfeed_config as config;
use crossfeed_domain as domain;
use crossfeed_rules::dedupe;

pub mod articles;
pub mod bands;
pub mod batch;
pub mod fetch_log;
pub mod item_tags;
pub mod item_topics;
pub mod items;
mod keyset;
pub mod locks;
pub mod meta;
pub mod retention;
pub mod schema;
pub mod search;
pub mod sources;
pub mod stats;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// The Postgres advisory lock key held while migrating ("crossfeed" in ASCII, truncated).
const MIGRATION_LOCK: i64 = 0x6372_6f73_7366_6565;

/// How long a SQLite connection waits for a lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

/// A connection to either backend. Simple queries and transactions work on it directly; a
/// query a backend must compile on its own (upserts, RETURNING) goes through [`on_backend!`].
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Run the same diesel expression on whichever concrete connection `conn` holds, so that
/// backend-specific query builders (ON CONFLICT, RETURNING) are written once.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::DbConn::Pg($c) => $body,
            $crate::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Write new link rows (`$rows`, a `Vec` of a row type insertable into `$table`): one binary
/// `COPY` on Postgres (the server takes the rows in batches), multi-row INSERTs of `$chunk` rows
/// on SQLite. A macro because `COPY` and `INSERT` need the row type's diesel impls per backend;
/// it reads only what it is given.
macro_rules! write_rows {
    ($conn:expr, $table:expr, $rows:expr, $chunk:expr) => {{
        let rows = $rows;
        match $conn {
            $crate::DbConn::Pg(c) if !rows.is_empty() => {
                diesel::copy_from($table).from_insertable(rows).execute(c)?;
            }
            $crate::DbConn::Pg(_) => {}
            $crate::DbConn::Sqlite(c) => {
                for chunk in rows.chunks($chunk) {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
        }
    }};
}
pub(crate) use write_rows;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported database URL {0:?}: {expected}", expected = DatabaseUrl::EXPECTED
    )]
    BadUrl(String),
    #[error("cannot prepare the SQLite database at {path}: {source}")]
    Directory {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the store is unreachable: {0}")]
    Pool(#[from] r2d2::PoolError),
    #[error("cannot connect to the store: {0}")]
    Connect(diesel::ConnectionError),
    #[error("query failed: {0}")]
    Query(diesel::result::Error),
    /// Postgres cancelled a statement at `database.statement_timeout` or `database.lock_timeout`.
    #[error(
        "query cancelled by database.{setting}: {source} (raise the setting if such work is \
         expected to take longer)"
    )]
    TimedOut {
        source: diesel::result::Error,
        setting: &'static str,
    },
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("the store task was cancelled")]
    Cancelled,
}

impl From<diesel::result::Error> for StoreError {
    fn from(e: diesel::result::Error) -> Self {
        // Postgres says which limit fired only in its message (SQLSTATE 57014 and 55P03).
        let setting = match &e {
            diesel::result::Error::DatabaseError(_, info) => {
                let message = info.message();
                if message.contains("statement timeout") {
                    Some("statement_timeout")
                } else if message.contains("lock timeout") {
                    Some("lock_timeout")
                } else {
                    None
                }
            }
            _ => None,
        };
        match setting {
            Some(setting) => StoreError::TimedOut { source: e, setting },
            None => StoreError::Query(e),
        }
    }
}

/// A database URL split into its backend and what that backend's driver takes.
pub use crate::domain::database_url::{Backend, DatabaseUrl, Limits};

/// Connections open or being opened in this process, in every pool. r2d2 opens and closes
/// connections on threads of its own (refilling the pool in the background, reaping old
/// connections, closing a pool whose last handle such a thread held), which nothing joins.
/// A process that returned from `main` while one of them was inside libpq's TLS handshake
/// crashed: the exit handlers had torn OpenSSL down under it (seen about once in 80 runs of
/// `crossfeed fetch` on Postgres). [`await_connections_closed`] waits for this to reach zero.
static LIVE_CONNECTIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Connections open or being opened by one pool (a shared count that outlives the pool).
#[derive(Debug, Clone, Default)]
pub struct OpenConnections(Arc<std::sync::atomic::AtomicUsize>);

impl OpenConnections {
    pub fn get(&self) -> usize {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// One count in [`LIVE_CONNECTIONS`] and in its pool's [`OpenConnections`], from before a
/// connection is opened until after it is closed.
#[derive(Debug)]
struct LiveCount(OpenConnections);

impl LiveCount {
    fn new(pool: &OpenConnections) -> Self {
        LIVE_CONNECTIONS.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        pool.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Self(pool.clone())
    }
}

impl Drop for LiveCount {
    fn drop(&mut self) {
        self.0.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
        LIVE_CONNECTIONS.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A pooled connection and its count. The fields drop in order: the connection is closed
/// before the count goes down.
struct Pooled {
    conn: DbConn,
    _live: LiveCount,
}

/// How many connections are open (or being opened) in this process.
pub fn live_connections() -> usize {
    LIVE_CONNECTIONS.load(std::sync::atomic::Ordering::SeqCst)
}

/// Wait, at most `within`, until every store connection of this process is closed, so that the
/// process exits with none of them half-opened or half-closed on another thread. Call it after
/// the last [`Store`] handle is dropped; returns whether all were closed in time.
pub fn await_connections_closed(within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    while live_connections() > 0 {
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    true
}

/// Opens connections for the pool, tuned per backend.
#[derive(Debug)]
struct Manager {
    url: DatabaseUrl,
    open: OpenConnections,
    limits: Limits,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let live = LiveCount::new(&self.open);
        let conn = self.open()?;
        Ok(Pooled { conn, _live: live })
    }

    fn is_valid(&self, conn: &mut Pooled) -> Result<(), r2d2::Error> {
        conn.conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Pooled) -> bool {
        std::thread::panicking() || conn.conn.is_broken()
    }
}

impl Manager {
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match self.url.backend() {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(self.url.target())
                    .map_err(r2d2::Error::ConnectionError)?;
                // Every query here is a short index walk; starting parallel workers for one
                // (which Postgres does for a LIMIT over a few thousand rows) costs more than the
                // walk (BENCHMARKS.md, "Discovery at scale").
                conn.batch_execute("SET max_parallel_workers_per_gather = 0")
                    .map_err(r2d2::Error::QueryError)?;
                // No request or job waits forever behind a lock or a runaway statement.
                conn.batch_execute(&postgres_timeouts(
                    self.limits.statement_timeout,
                    self.limits.lock_timeout,
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(self.url.target())
                    .map_err(r2d2::Error::ConnectionError)?;
                // The busy timeout queues writers instead of failing with "database is
                // locked". WAL mode is set once per file, in `Store::open`. Statement journals
                // (a multi-row INSERT inside a batch transaction keeps one, to undo just that
                // statement) stay in memory: written to temporary files they were a seventh
                // of the ingest writer's time.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;"
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Postgres limits of a migration (a rewrite of a large table, or waiting for another
/// process's migration).
const MIGRATION_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The SQL that sets a Postgres connection's statement and lock timeouts.
pub(crate) fn postgres_timeouts(statement: Duration, lock: Duration) -> String {
    format!(
        "SET statement_timeout = {}; SET lock_timeout = {}",
        statement.as_millis(),
        lock.as_millis()
    )
}

/// The same, for the current transaction only (`SET LOCAL`): a job that needs longer than a
/// request, inside its own transaction.
pub(crate) fn postgres_local_timeouts(statement: Duration, lock: Duration) -> String {
    format!(
        "SET LOCAL statement_timeout = {}; SET LOCAL lock_timeout = {}",
        statement.as_millis(),
        lock.as_millis()
    )
}

/// Create the SQLite file's directory (0700 when crossfeed creates it) and the file itself,
/// readable by its owner only (0600): it holds source URLs with their credentials. SQLite
/// gives its `-wal` and `-shm` files the database file's mode. An existing file keeps its mode.
fn create_private(path: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if path.as_os_str() == ":memory:" || path.to_string_lossy().starts_with("file:") {
        return Ok(());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|source| StoreError::Directory {
                path: dir.to_owned(),
                source,
            })?;
    }
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Directory {
            path: path.to_owned(),
            source,
        }),
    }
}

/// The store: a connection pool, the backend it talks to, and on SQLite the one connection
/// ingest writes through. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    /// One permit per pooled connection: async callers wait here, as tasks, rather than on
    /// blocking threads parked in the pool. Under a burst of requests the blocking pool would
    /// otherwise grow to hundreds of threads (each with its own allocator arena) all waiting
    /// for a connection.
    gate: Arc<tokio::sync::Semaphore>,
    open: OpenConnections,
    /// SQLite only: the connection ingest writes through, kept apart from the pool.
    writer: Option<Arc<Writer>>,
    limits: Limits,
}

/// Page cache of SQLite's ingest writer, in KiB (SQLite's default is 2 MiB per connection).
/// A new item touches one page in each of the items table's indexes, most of them keyed by
/// values that arrive in no order (identities, links, dates); once those indexes outgrow the
/// cache, every insert reads pages back from the OS, on the one thread that writes for the
/// whole process; a larger cache bought nothing more (BENCHMARKS.md, "Fetching"). The cache
/// fills only as far as the database needs, and only this connection has it.
const WRITER_CACHE_KIB: u32 = 16 * 1024;

/// SQLite's ingest writer connection: one, since SQLite has one writer at a time anyway, so
/// that only it carries the large page cache. Pooled connections keep the default, so the
/// cache is paid once, not once per connection of the pool.
struct Writer {
    manager: Manager,
    conn: std::sync::Mutex<Option<Pooled>>,
}

impl Writer {
    fn run<T>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        // A writer that panicked may have left its transaction open: start again on a fresh
        // connection, as the pool does with a connection it finds broken.
        let mut slot = self.conn.lock().unwrap_or_else(|poisoned| {
            let mut slot = poisoned.into_inner();
            *slot = None;
            slot
        });
        let conn = match &mut *slot {
            Some(conn) => conn,
            empty => {
                let mut conn = self.manager.connect().map_err(|e| match e {
                    r2d2::Error::ConnectionError(e) => StoreError::Connect(e),
                    r2d2::Error::QueryError(e) => StoreError::Query(e),
                })?;
                conn.conn
                    .batch_execute(&format!("PRAGMA cache_size = -{WRITER_CACHE_KIB}"))?;
                empty.insert(conn)
            }
        };
        let result = f(&mut conn.conn);
        if conn.conn.is_broken() {
            // A transaction that could not be closed: the next write opens a new connection.
            *slot = None;
        }
        result
    }
}

impl Store {
    /// Connect to `url` and run pending migrations.
    pub fn open(url: &str, limits: Limits) -> Result<Self, StoreError> {
        let store = Self::connect(url, limits)?;
        store.migrate()?;
        Ok(store)
    }

    /// Connect to `url` without migrating (`crossfeed migrate` migrates and says what it did).
    pub fn connect(url: &str, limits: Limits) -> Result<Self, StoreError> {
        let pool_size = limits.pool_size;
        let url = DatabaseUrl::parse(url)
            .ok_or_else(|| StoreError::BadUrl(crate::domain::redact::redact(url)))?;
        if url.backend() == Backend::Sqlite {
            let path = PathBuf::from(url.target());
            create_private(&path)?;
            // WAL lets readers work during ingest and makes a commit one append to the log
            // instead of a journal file created, synced and deleted. Switching needs the file
            // to itself, so it happens here, once, before the pool opens connections.
            let mut conn =
                SqliteConnection::establish(url.target()).map_err(StoreError::Connect)?;
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
            ))?;
        }
        let backend = url.backend();
        let open = OpenConnections::default();
        let pool = r2d2::Pool::builder()
            .max_size(pool_size.max(1))
            // Open connections as work needs them rather than all of them before starting.
            .min_idle(Some(1))
            // No test query on every checkout: a broken connection fails its query, is
            // dropped (`has_broken`), and the work is retried by its caller (the next poll).
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(10))
            .build(Manager {
                url: url.clone(),
                open: open.clone(),
                limits,
            })?;
        let gate = Arc::new(tokio::sync::Semaphore::new(pool_size.max(1) as usize));
        let writer = (backend == Backend::Sqlite).then(|| {
            Arc::new(Writer {
                manager: Manager {
                    url,
                    open: open.clone(),
                    limits,
                },
                conn: std::sync::Mutex::new(None),
            })
        });
        Ok(Self {
            pool,
            backend,
            gate,
            open,
            writer,
            limits,
        })
    }

    /// This store's connections open (or being opened) now; the count stays readable after
    /// the store is dropped, and reaches zero once the pool's threads have closed them all.
    pub fn open_connections(&self) -> OpenConnections {
        self.open.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Apply every migration not yet applied; returns the versions applied now, oldest first.
    pub fn migrate(&self) -> Result<Vec<String>, StoreError> {
        let mut conn = self.pool.get()?;
        let result = match &mut conn.conn {
            DbConn::Pg(c) => {
                // A migration may rewrite a large table, and a second process waits here for
                // the first one's: longer limits than a request's, then the pool's again.
                c.batch_execute(&postgres_timeouts(MIGRATION_TIMEOUT, MIGRATION_TIMEOUT))?;
                // Processes starting together take turns; the second finds nothing to do.
                c.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
                let result = c
                    .run_pending_migrations(PG_MIGRATIONS)
                    .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
                c.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
                let limits = self.limits;
                c.batch_execute(&postgres_timeouts(
                    limits.statement_timeout,
                    limits.lock_timeout,
                ))?;
                result
            }
            // One IMMEDIATE transaction around the lot: a second process waits for the write
            // lock, then finds nothing pending.
            DbConn::Sqlite(c) => {
                use diesel::connection::{AnsiTransactionManager, TransactionManager};
                AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
                let result = c
                    .run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|v| v.iter().map(ToString::to_string).collect::<Vec<_>>());
                match &result {
                    Ok(_) => AnsiTransactionManager::commit_transaction(c)?,
                    Err(_) => AnsiTransactionManager::rollback_transaction(c)?,
                }
                result
            }
        };
        result.map_err(|e| StoreError::Migration(e.to_string()))
    }

    /// Run blocking store work on a connection from the pool.
    pub fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let mut conn = self.pool.get()?;
        f(&mut conn.conn)
    }

    /// Run store work on a blocking thread, for async callers.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = Arc::clone(&self.gate)
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Cancelled)?;
        let store = self.clone();
        tokio::task::spawn_blocking(move || {
            let result = store.with_conn(f);
            drop(permit);
            result
        })
        .await
        .map_err(|_| StoreError::Cancelled)?
    }

    /// Run ingest's writes on a blocking thread: on SQLite through the one writer connection
    /// (see [`WRITER_CACHE_KIB`]), on Postgres like [`Store::run`].
    pub async fn run_writer<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        let Some(writer) = self.writer.clone() else {
            return self.run(f).await;
        };
        tokio::task::spawn_blocking(move || writer.run(f))
            .await
            .map_err(|_| StoreError::Cancelled)?
    }

    /// Run store work in one transaction on a blocking thread: all of it lands, or none.
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, StoreError> + Send + 'static,
    {
        self.run(move |conn| transaction(conn, f)).await
    }

    /// Open and idle connections of this process's pool.
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// Check that the store answers a trivial query.
    pub fn ping(&self) -> Result<(), StoreError> {
        self.with_conn(|c| c.ping().map_err(StoreError::from))
    }
}

/// How many blocking threads a runtime that does store work may keep, for a pool of
/// `pool_size` connections: one per connection (store work waits for a connection before it
/// takes a thread, see [`Store::run`]), one per core for parsing, and a few for the rest
/// (file reads, health checks). Tokio's default (512) let a busy server start a new thread
/// whenever a finished job's thread had not yet gone back to idle: 46 of them after a minute
/// of the soak, each keeping its own allocator heap.
pub fn blocking_threads(pool_size: u32) -> usize {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    pool_size as usize + cores + 4
}

/// SQLite allows one writer at a time. Writers of this process queue here, where the lock is
/// handed over at once, instead of in SQLite's busy handler, which sleeps in steps of up to
/// 100 ms and made many concurrent polls take several times longer than on Postgres. (Other
/// processes on the same file still meet the busy timeout.)
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Run `f` in a transaction: commit when it returns Ok, roll back otherwise. On SQLite the
/// transaction is IMMEDIATE: it takes the write lock up front, where the busy timeout applies.
/// A deferred one that read first would fail at once with "database is locked" when it tried
/// to write while another connection was writing. Not reentrant: `f` must not call it again.
pub fn transaction<T>(
    conn: &mut DbConn,
    f: impl FnOnce(&mut DbConn) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let _writer = match conn {
        DbConn::Pg(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            None
        }
        DbConn::Sqlite(c) => {
            // A poisoned lock only means another writer panicked; the database is intact.
            let guard = SQLITE_WRITER
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
            Some(guard)
        }
    };
    let result = f(conn);
    let finished = match &result {
        Ok(_) => on_backend!(conn, |c| AnsiTransactionManager::commit_transaction(c)),
        Err(_) => on_backend!(conn, |c| AnsiTransactionManager::rollback_transaction(c)),
    };
    match (result, finished) {
        (Ok(v), Ok(())) => Ok(v),
        (Ok(_), Err(commit)) => {
            // A failed commit leaves the transaction open; close it before the connection
            // goes back to the pool.
            let _ = on_backend!(conn, |c| AnsiTransactionManager::rollback_transaction(c));
            Err(commit.into())
        }
        (Err(e), _) => Err(e),
    }
}

/// Let the current transaction commit without waiting for Postgres to flush its WAL to disk
/// (`synchronous_commit = off`, for this transaction only). For a poll's writes this is safe:
/// a Postgres crash can lose at most the last fraction of a second of commits, whole (items and
/// the source's state together, never half), and the next poll fetches the same items again.
/// It is what makes a cold poll of many sources on Postgres cost little more than on SQLite.
/// SQLite in WAL mode with `synchronous = NORMAL` already commits without syncing.
pub fn relax_durability(conn: &mut DbConn) -> Result<(), StoreError> {
    if let DbConn::Pg(c) = conn {
        c.batch_execute("SET LOCAL synchronous_commit = off")?;
    }
    Ok(())
}

/// Decode a JSON list stored in a TEXT column.
pub(crate) fn json_list<T: serde::de::DeserializeOwned>(raw: &str) -> Result<Vec<T>, StoreError> {
    serde_json::from_str(raw)
        .map_err(|e| StoreError::Corrupt(format!("bad JSON list {raw:?}: {e}")))
}

/// Encode a list for a TEXT column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    // Serializing plain strings and structs of them cannot fail.
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

//! Database URLs: which backend a URL points at, read the same way by the configuration's
//! check and by the store, so that a URL the file accepts is one the store opens.

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// A database URL split into its backend and what that backend's driver takes. Its `Debug`
/// shows the URL redacted: it holds the database's password.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    target: String,
}

impl DatabaseUrl {
    /// What the configuration says when a URL is refused.
    pub const EXPECTED: &str = "expected sqlite://path, sqlite:///abs/path or postgres://…";

    /// Choose the backend by scheme (never by trying each driver in turn, which hides errors);
    /// None for another scheme or an SQLite URL without a path.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Some(Self {
                backend: Backend::Postgres,
                target: raw.to_owned(),
            });
        }
        match raw.strip_prefix("sqlite://") {
            // sqlite://relative/path and sqlite:///absolute/path
            Some(path) if !path.is_empty() => Some(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            }),
            _ => None,
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the driver opens: the whole URL for Postgres, the file's path for SQLite.
    pub fn target(&self) -> &str {
        &self.target
    }
}

/// What a store is opened with besides its URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections in the pool.
    pub pool_size: u32,
    /// Postgres: the longest one statement may run; a request never waits forever.
    pub statement_timeout: std::time::Duration,
    /// Postgres: the longest a statement may wait for a lock held by another.
    pub lock_timeout: std::time::Duration,
}

impl Limits {
    /// `database.statement_timeout` when the file gives none.
    pub const STATEMENT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
    /// `database.lock_timeout` when the file gives none.
    pub const LOCK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

    /// The defaults with `pool_size` connections.
    pub const fn with_pool(pool_size: u32) -> Self {
        Self {
            pool_size,
            statement_timeout: Self::STATEMENT_TIMEOUT,
            lock_timeout: Self::LOCK_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseUrl")
            .field("backend", &self.backend)
            .field("target", &super::redact::redact(&self.target))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_choose_their_backend_by_scheme() {
        let rel = DatabaseUrl::parse("sqlite://data/x.db").unwrap();
        assert_eq!(
            (rel.backend(), rel.target()),
            (Backend::Sqlite, "data/x.db")
        );
        let abs = DatabaseUrl::parse("sqlite:///var/lib/x.db").unwrap();
        assert_eq!(abs.target(), "/var/lib/x.db");
        let pg = DatabaseUrl::parse("postgres://u@h/db").unwrap();
        assert_eq!(pg.backend(), Backend::Postgres);
        assert_eq!(DatabaseUrl::parse("mysql://h/db"), None);
        assert_eq!(DatabaseUrl::parse("sqlite://"), None);
    }
}

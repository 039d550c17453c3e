//! Reloading the configuration in a running process: the configuration and rules in force,
//! replaced whole, and a generation number that caches built from them watch. A leaf under
//! the server and the scheduler: it knows the store and the rules, not who reads them.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Context as _;
use chrono::Utc;

use crate::config::Config;
use crate::reclassify::{self, Report};
use crate::rules::{Live, Rules};
use crate::store::{Store, sources};

/// What a running process holds of its configuration, replaced whole on reload.
#[derive(Clone)]
pub struct Reloader {
    pub config: Arc<Live<Config>>,
    pub rules: Arc<Live<Rules>>,
    /// Moves on every reload: what was made from the old configuration (rendered feeds hold
    /// titles and topics) is stale once it differs.
    generation: Arc<AtomicU64>,
    store: Store,
}

/// What a reload did.
#[derive(Debug, Clone, Default)]
pub struct ReloadReport {
    pub sources_added: usize,
    pub sources_updated: usize,
    pub sources_disabled: usize,
    /// Set when the topic or tag rules changed and stored items were reclassified.
    pub reclassified: Option<Report>,
    /// Settings that changed in the file but only take effect after a restart.
    pub restart_needed: Vec<&'static str>,
}

impl Reloader {
    pub fn new(config: Config, rules: Rules, store: Store) -> Self {
        Self {
            generation: Arc::new(AtomicU64::new(0)),
            config: Arc::new(Live::new(config)),
            rules: Arc::new(Live::new(rules)),
            store,
        }
    }

    /// Re-read the configuration file (with the environment overrides) and put its sources,
    /// topics and tag rules in force, reclassifying stored items if the rules changed. A bad
    /// file changes nothing and the error says where it is wrong. The store and the listen
    /// address stay as they are (they need a restart).
    pub async fn reload(&self) -> anyhow::Result<ReloadReport> {
        let old = self.config.get();
        let mut fresh = Config::load(&old.path)?;
        fresh
            .apply_env(|k| std::env::var(k).ok())
            .map_err(anyhow::Error::msg)?;
        let rules = Rules::new(&fresh)?;
        let mut report = ReloadReport::default();
        let sections: [(&'static str, bool); 6] = [
            (
                "server",
                format!("{:?}", fresh.server) != format!("{:?}", old.server),
            ),
            ("database", fresh.database.url != old.database.url),
            (
                "fetch",
                format!("{:?}", fresh.fetch) != format!("{:?}", old.fetch),
            ),
            (
                "schedule",
                format!("{:?}{:?}", fresh.default_schedule, fresh.timing)
                    != format!("{:?}{:?}", old.default_schedule, old.timing),
            ),
            (
                "database.pool_size",
                fresh.database.pool_size != old.database.pool_size,
            ),
            // The worker's hub publisher is built at start.
            ("websub", fresh.websub != old.websub),
        ];
        report.restart_needed = sections
            .iter()
            .filter(|(_, changed)| *changed)
            .map(|(name, _)| *name)
            .collect();
        fresh.database = old.database.clone();
        fresh.server.listen = old.server.listen;

        let configured = fresh.sources.clone();
        let synced = self
            .store
            .run(move |c| sources::sync_from_config(c, &configured, Utc::now()))
            .await
            .context("cannot load the reloaded sources into the store")?;
        report.sources_added = synced.added;
        report.sources_updated = synced.updated;
        report.sources_disabled = synced.disabled;
        self.rules.set(rules.clone());
        self.config.set(fresh);
        report.reclassified = self.apply_rules().await?;
        self.generation.fetch_add(1, Ordering::Relaxed);
        tracing::info!(
            sources_added = report.sources_added,
            sources_updated = report.sources_updated,
            sources_disabled = report.sources_disabled,
            reclassified = report.reclassified.as_ref().map_or(0, |r| r.changed_items),
            restart_needed = ?report.restart_needed,
            "configuration reloaded"
        );
        Ok(report)
    }

    /// How many reloads have been put in force.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Reclassify stored items if the rules in force differ from those they were classified
    /// with.
    pub async fn apply_rules(&self) -> anyhow::Result<Option<Report>> {
        let rules = self.rules.get();
        let report = self
            .store
            .run(move |c| reclassify::apply_if_changed(c, &rules))
            .await
            .context("cannot reclassify stored items")?;
        if let Some(r) = &report {
            tracing::info!(
                items = r.items,
                changed = r.changed_items,
                retagged = r.retagged_items,
                "topic and tag rules changed; stored items reclassified"
            );
        }
        Ok(report)
    }
}

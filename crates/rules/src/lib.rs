//! What an item says, in pure functions over its text: folding for matching (`fold`), topics
//! (`classify`), tags (`tags`), search tokens and queries (`search`) and the signatures and
//! story assignment of near-duplicate folding (`dedupe`). The crate root holds the topic and tag
//! rules of one configuration, compiled, with a fingerprint that tells whether the stored
//! classification was made with them; shared by ingest, `reclassify` and the server, and swapped
//! whole on reload. No I/O.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

pub mod classify;
pub mod dedupe;
pub mod fold;
pub mod search;
pub mod tags;

// The crates beneath this one, under the names its modules use for them.
use crossfeed_config as config;
use crossfeed_domain::{self as domain, text};

use std::sync::{Arc, RwLock};

use sha2::{Digest, Sha256};

use crate::classify::{Classifier, ClassifyError, SourceCtx};
use crate::config::{Config, DedupeConfig};
use crate::domain::{Item, Tag, TopicMatch};
use crate::fold::Folded;
use crate::tags::Tagger;

/// Compiled rules.
#[derive(Debug, Clone)]
pub struct Rules {
    pub classifier: Classifier,
    pub tagger: Tagger,
    /// How new items are folded into stories already stored (`dedupe:`).
    pub clustering: DedupeConfig,
    /// Changes whenever anything that decides topics or tags changes (including crossfeed's
    /// version, whose matching may have improved).
    pub fingerprint: String,
}

impl Rules {
    pub fn new(config: &Config) -> Result<Self, ClassifyError> {
        let classifier = Classifier::new(&config.topics, &config.classify)?;
        let tagger = Tagger::new(&config.tags, classifier.folder());
        Ok(Self {
            classifier,
            tagger,
            clustering: config.dedupe.clone(),
            fingerprint: fingerprint(config),
        })
    }

    /// The topics of `item` from `source`, and the tags that need no segmenter (categories,
    /// source tags): what ingest stores at once.
    pub fn apply(
        &self,
        item: &Item,
        folded: &Folded,
        source: SourceCtx<'_>,
    ) -> (Vec<TopicMatch>, Vec<Tag>) {
        (
            self.classifier.classify_folded(item, folded, source),
            self.tagger.base(item, source.tags),
        )
    }

    /// The topics and all the tags of `item`, extracted keywords included.
    pub fn apply_full(&self, item: &Item, source: SourceCtx<'_>) -> (Vec<TopicMatch>, Vec<Tag>) {
        (
            self.classifier.classify(item, source),
            self.tagger.tags(item, source.tags),
        )
    }
}

fn fingerprint(config: &Config) -> String {
    let mut sources: Vec<(&str, &[String])> = config
        .sources
        .iter()
        .map(|s| (s.id.as_str(), s.tags.as_slice()))
        .collect();
    sources.sort();
    let text = format!(
        "{}\n{:?}\n{:?}\n{:?}\n{:?}",
        env!("CARGO_PKG_VERSION"),
        config.topics,
        config.classify,
        config.tags,
        sources
    );
    let digest = Sha256::digest(text.as_bytes());
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// A value that is read often and replaced whole now and then (the rules, the configuration):
/// readers take a cheap snapshot that stays valid while they use it.
#[derive(Debug)]
pub struct Live<T>(RwLock<Arc<T>>);

impl<T> Live<T> {
    pub fn new(value: T) -> Self {
        Self(RwLock::new(Arc::new(value)))
    }

    pub fn get(&self) -> Arc<T> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    pub fn set(&self, value: T) {
        let value = Arc::new(value);
        match self.0.write() {
            Ok(mut g) => *g = value,
            Err(poisoned) => *poisoned.into_inner() = value,
        }
    }
}

//! Re-running the topic rules over stored items, without refetching: after the topics in the
//! configuration change, or to see what a change would do (`--dry-run`).

use std::collections::BTreeMap;

use crate::classify::Classifier;
use crate::domain::TopicMatch;
use crate::store::items::{self, StoredItem};
use crate::store::{DbConn, StoreError, item_topics, transaction};

/// Items read and rewritten per batch.
const BATCH: i64 = 500;

/// Examples kept per topic and direction for the report.
const EXAMPLES: usize = 3;

/// What reclassifying did (or would do) to one topic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TopicChange {
    pub added: usize,
    pub removed: usize,
    /// Titles of a few added and removed items.
    pub added_examples: Vec<String>,
    pub removed_examples: Vec<String>,
}

/// The whole report: per topic slug, and how many items were looked at and changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub items: usize,
    pub changed_items: usize,
    pub topics: BTreeMap<String, TopicChange>,
}

/// Re-run `classifier` over every stored item. With `only`, only that topic's membership is
/// considered (others stay as stored). With `dry_run`, nothing is written.
pub fn reclassify(
    conn: &mut DbConn,
    classifier: &Classifier,
    only: Option<&str>,
    dry_run: bool,
) -> Result<Report, StoreError> {
    let mut report = Report::default();
    let mut after = 0;
    loop {
        let page = items::page_by_id(conn, after, BATCH)?;
        let Some(last) = page.last() else { break };
        after = last.id;
        report.items += page.len();
        let mut rewrites: Vec<(i64, Vec<TopicMatch>)> = Vec::new();
        for stored in &page {
            let fresh = new_topics(stored, classifier, only);
            if stored.topics == fresh {
                continue;
            }
            note_changes(&mut report, stored, &fresh);
            rewrites.push((stored.id, fresh));
        }
        report.changed_items += rewrites.len();
        if !dry_run && !rewrites.is_empty() {
            let rows: Vec<(i64, &[TopicMatch])> =
                rewrites.iter().map(|(id, t)| (*id, t.as_slice())).collect();
            transaction(conn, |conn| item_topics::replace_many(conn, &rows))?;
        }
    }
    Ok(report)
}

/// The topics `stored` should have now; with `only`, other topics keep their stored state.
fn new_topics(stored: &StoredItem, classifier: &Classifier, only: Option<&str>) -> Vec<TopicMatch> {
    let computed = classifier.classify(&stored.item);
    let mut out: Vec<TopicMatch> = match only {
        None => computed,
        Some(slug) => {
            let mut kept: Vec<TopicMatch> = stored
                .topics
                .iter()
                .filter(|t| t.slug != slug)
                .cloned()
                .collect();
            kept.extend(computed.into_iter().filter(|t| t.slug == slug));
            kept
        }
    };
    // Stored topics come back in slug order; compare like with like.
    out.sort_by(|a, b| a.slug.cmp(&b.slug));
    out
}

fn note_changes(report: &mut Report, stored: &StoredItem, fresh: &[TopicMatch]) {
    let title = stored
        .item
        .title
        .clone()
        .unwrap_or_else(|| format!("item {}", stored.id));
    for t in fresh
        .iter()
        .filter(|t| !stored.topics.iter().any(|o| o.slug == t.slug))
    {
        let change = report.topics.entry(t.slug.clone()).or_default();
        change.added += 1;
        if change.added_examples.len() < EXAMPLES {
            change.added_examples.push(title.clone());
        }
    }
    for t in stored
        .topics
        .iter()
        .filter(|o| !fresh.iter().any(|t| t.slug == o.slug))
    {
        let change = report.topics.entry(t.slug.clone()).or_default();
        change.removed += 1;
        if change.removed_examples.len() < EXAMPLES {
            change.removed_examples.push(title.clone());
        }
    }
}

//! Re-running the topic and tag rules over stored items, without refetching: after the rules
//! in the configuration change (at start and on reload, when the rules' fingerprint differs from
//! the one stored), or to see what a change would do (`--dry-run`).

use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDateTime, Utc};

use crate::classify::SourceCtx;
use crate::domain::StoredItem;
use crate::domain::{Tag, TopicMatch};
use crate::rules::Rules;
use crate::store::items;
use crate::store::locks::Links;
use crate::store::{
    DbConn, StoreError, item_tags, item_topics, meta, search, sources, transaction,
};
use crate::text::text_of_sanitized;

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
    /// Items whose tags changed.
    pub retagged_items: usize,
    pub topics: BTreeMap<String, TopicChange>,
}

/// Re-run `rules` over every stored item. With `only`, only that topic's membership is
/// considered (other topics and all tags stay as stored). With `dry_run`, nothing is written.
pub fn reclassify(
    conn: &mut DbConn,
    rules: &Rules,
    only: Option<&str>,
    dry_run: bool,
) -> Result<Report, StoreError> {
    let source_tags: HashMap<String, Vec<String>> = sources::list(conn)?
        .into_iter()
        .map(|s| {
            let tags = s.tags().unwrap_or_default();
            (s.id, tags)
        })
        .collect();
    let mut report = Report::default();
    let mut after = 0;
    loop {
        let page = items::page_by_id(conn, after, BATCH)?;
        let Some(last) = page.last() else { break };
        after = last.id.get();
        report.items += page.len();
        let mut topic_rewrites: Vec<(i64, NaiveDateTime, Vec<TopicMatch>)> = Vec::new();
        let mut tag_rewrites: Vec<(i64, NaiveDateTime, Vec<Tag>)> = Vec::new();
        for stored in &page {
            let source = SourceCtx {
                id: stored.source_id.as_str(),
                tags: source_tags
                    .get(stored.source_id.as_str())
                    .map_or(&[][..], Vec::as_slice),
            };
            let (topics, tags) = rules.apply_full(&stored.item, source);
            let fresh = new_topics(stored, topics, only);
            if stored.topics != fresh {
                note_changes(&mut report, stored, &fresh);
                topic_rewrites.push((stored.id.get(), stored.sort_at.naive_utc(), fresh));
            }
            if only.is_none() && !same_tags(&stored.tags, &tags) {
                tag_rewrites.push((stored.id.get(), stored.sort_at.naive_utc(), tags));
            }
        }
        report.changed_items += topic_rewrites.len();
        report.retagged_items += tag_rewrites.len();
        let extracted: Vec<i64> = if only.is_none() {
            page.iter().map(|s| s.id.get()).collect()
        } else {
            Vec::new()
        };
        let nothing_to_write =
            topic_rewrites.is_empty() && tag_rewrites.is_empty() && extracted.is_empty();
        if !dry_run && !nothing_to_write {
            let topic_rows: Vec<Links<'_, [TopicMatch]>> = topic_rewrites
                .iter()
                .map(|(id, at, t)| Links {
                    item_id: *id,
                    sort_at: *at,
                    values: t.as_slice(),
                })
                .collect();
            let tag_rows: Vec<Links<'_, [Tag]>> = tag_rewrites
                .iter()
                .map(|(id, at, t)| Links {
                    item_id: *id,
                    sort_at: *at,
                    values: t.as_slice(),
                })
                .collect();
            transaction(conn, |conn| {
                item_topics::replace_many(conn, &topic_rows)?;
                item_tags::replace_many(conn, &tag_rows)?;
                items::mark_keywords_done(conn, &extracted, Utc::now())?;
                meta::touch_items(conn)
            })?;
        }
    }
    Ok(report)
}

/// Reclassify every stored item when `rules` differ from the ones the store was classified
/// with, then record their fingerprint. Returns the report when it ran.
pub fn apply_if_changed(conn: &mut DbConn, rules: &Rules) -> Result<Option<Report>, StoreError> {
    if meta::get(conn, meta::RULES_FINGERPRINT)?.as_deref() == Some(rules.fingerprint.as_str()) {
        return Ok(None);
    }
    let report = reclassify(conn, rules, None, false)?;
    meta::set(conn, meta::RULES_FINGERPRINT, &rules.fingerprint)?;
    Ok(Some(report))
}

/// Items whose keywords one call of [`extract_pending`] handles.
pub const KEYWORD_BATCH: i64 = 200;

/// Extract keywords (jieba for Chinese) for up to `limit` items that ingest stored without
/// them, add them to the items' tags, index the items for search, and mark them done, in one
/// transaction. Returns how many items were done; 0 means none is waiting.
pub fn extract_pending(conn: &mut DbConn, rules: &Rules, limit: i64) -> Result<usize, StoreError> {
    transaction(conn, |conn| {
        let pending = items::pending_keywords(conn, limit)?;
        if pending.is_empty() {
            return Ok(0);
        }
        let tags: Vec<(i64, NaiveDateTime, Vec<Tag>)> = pending
            .iter()
            .map(|s| {
                let tags = rules.tagger.with_keywords(&s.item, s.tags.clone());
                (s.id.get(), s.sort_at.naive_utc(), tags)
            })
            .collect();
        let rows: Vec<Links<'_, [Tag]>> = tags
            .iter()
            .map(|(id, at, t)| Links {
                item_id: *id,
                sort_at: *at,
                values: t.as_slice(),
            })
            .collect();
        item_tags::replace_many(conn, &rows)?;
        let docs: Vec<search::Document> = pending.iter().map(search_document).collect();
        search::index(conn, &docs)?;
        let ids: Vec<i64> = pending.iter().map(|s| s.id.get()).collect();
        items::mark_keywords_done(conn, &ids, Utc::now())?;
        meta::touch_items(conn)?;
        Ok(ids.len())
    })
}

/// What an item is found by: its title, and its summary and content as text.
fn search_document(s: &StoredItem) -> search::Document {
    let title = s.item.title.as_deref().unwrap_or("");
    let summary = s.item.summary.as_deref().map(text_of_sanitized);
    let content = s.item.content.as_deref().map(text_of_sanitized);
    let body = match (summary, content) {
        (Some(a), Some(b)) if b.starts_with(&a) => b,
        (Some(a), Some(b)) => format!("{a} {b}"),
        (a, b) => a.or(b).unwrap_or_default(),
    };
    let (title, body) = crate::search::item_tokens(title, &body);
    search::Document {
        item_id: s.id.get(),
        title,
        body,
    }
}

/// Record that the stored items are classified with `rules` (an empty store is).
pub fn mark_applied(conn: &mut DbConn, rules: &Rules) -> Result<(), StoreError> {
    meta::set(conn, meta::RULES_FINGERPRINT, &rules.fingerprint)
}

/// Tags compare as sets: the store gives them back in its own order.
fn same_tags(stored: &[Tag], fresh: &[Tag]) -> bool {
    stored.len() == fresh.len()
        && fresh.iter().all(|t| {
            stored
                .iter()
                .any(|s| s.key == t.key && s.label == t.label && s.kind == t.kind)
        })
}

/// The topics `stored` should have now; with `only`, other topics keep their stored state.
fn new_topics(
    stored: &StoredItem,
    computed: Vec<TopicMatch>,
    only: Option<&str>,
) -> Vec<TopicMatch> {
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

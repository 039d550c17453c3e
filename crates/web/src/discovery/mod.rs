//! What to read next: hot reads, search results in order, trending searches, related items
//! and per-tag recommendations. Each ranking reads a bounded set of candidates from the store
//! (through its indexes) and orders them here, the same way on both backends, keeping the
//! parts of each score so that an order can be explained and tuned.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::config::RecommendWeights;
use crate::domain::{ItemId, SourceId, StoredItem};
use crate::search::{self, Query};
use crate::store::items;
use crate::store::search::{self as index, Filter};
use crate::store::stats::{self, Window};
use crate::store::{DbConn, StoreError};
use crate::text::is_junk_query;

mod related;

pub use related::related;

/// An item with its rank and why.
#[derive(Debug, Clone)]
pub struct Scored {
    pub item: StoredItem,
    pub views: i64,
    pub score: f64,
    /// The named parts the score was made of.
    pub parts: BTreeMap<&'static str, f64>,
}

/// How many different sources told an item's story.
pub fn story_sources(item: &StoredItem) -> usize {
    let mut sources: HashSet<&str> = item
        .also_reported_by
        .iter()
        .map(|m| m.source_id.as_str())
        .collect();
    sources.insert(item.source_id.as_str());
    sources.len()
}

/// The key of an item's story: its cluster, or itself when it stands alone.
fn story(item: &StoredItem) -> ItemId {
    item.cluster_id.unwrap_or(item.id)
}

/// 2^(−age / half-life), with age and half-life in hours; 1 for items dated in the future.
fn decay(at: DateTime<Utc>, now: DateTime<Utc>, half_life_hours: f64) -> f64 {
    let hours = (now - at).num_seconds().max(0) as f64 / 3600.0;
    (-hours / half_life_hours).exp2()
}

/// Keep the best-scored item of each story, best first (ties: newer first).
fn best_per_story(mut scored: Vec<Scored>, limit: usize) -> Vec<Scored> {
    scored.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.item.sort_at.cmp(&a.item.sort_at))
            .then(b.item.id.cmp(&a.item.id))
    });
    let mut stories = HashSet::new();
    scored.retain(|s| stories.insert(story(&s.item)));
    scored.truncate(limit);
    scored
}

/// Views of each item (0 for items never viewed).
fn views(conn: &mut DbConn, items: &[StoredItem]) -> Result<HashMap<ItemId, i64>, StoreError> {
    let ids: Vec<ItemId> = items.iter().map(|i| i.id).collect();
    stats::views_of(conn, &ids)
}

/// Hot reads: the most viewed stories of the window, each view weighing less as it ages
/// (half-life 6 hours for a day, 42 for a week), boosted by how many sources told the story
/// (× 1 + ln sources). One item per story: its most viewed; the story's views are its
/// members' together.
pub fn hot(
    conn: &mut DbConn,
    window: Window,
    topic: Option<&str>,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Scored>, StoreError> {
    let wanted = i64::try_from(limit * 4 + 20).unwrap_or(i64::MAX);
    let viewed = stats::hottest(conn, window, topic, now, wanted)?;
    let ids: Vec<ItemId> = viewed.iter().map(|v| v.item_id).collect();
    let found = items::by_ids(conn, &ids)?;
    Ok(rank_hot(
        &viewed,
        found,
        window.half_life_hours(),
        limit,
        now,
    ))
}

/// Rank the viewed items `found` for hot reads (see [`hot`]): each story's decayed views
/// together, times 1 + ln(sources), shown by its most viewed member.
fn rank_hot(
    viewed: &[stats::Viewed],
    found: Vec<StoredItem>,
    half_life: f64,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<Scored> {
    let by_id: HashMap<ItemId, &stats::Viewed> = viewed.iter().map(|v| (v.item_id, v)).collect();
    let mut story_views: HashMap<ItemId, f64> = HashMap::new();
    for item in &found {
        if let Some(v) = by_id.get(&item.id) {
            *story_views.entry(story(item)).or_default() += v.heat.decayed(now, half_life);
        }
    }
    let scored = found
        .into_iter()
        .filter_map(|item| {
            let v = by_id.get(&item.id)?;
            let own = v.heat.decayed(now, half_life);
            let together = story_views.get(&story(&item)).copied().unwrap_or(own);
            let sources = story_sources(&item) as f64;
            let boost = 1.0 + sources.ln();
            // The story's score, nudged by the item's own share so that its most viewed
            // member is the one shown.
            let score = together * boost + own * 1e-6;
            Some(Scored {
                views: v.views,
                parts: BTreeMap::from([
                    ("views_decayed", together),
                    ("sources", sources),
                    ("source_boost", boost),
                ]),
                score,
                item,
            })
        })
        .collect();
    best_per_story(scored, limit)
}

/// Stories for a hot-reads box that real views do not fill (a fresh install has none): first
/// the stories most sources told in the last week, most sources first, then the newest. One
/// item per story, none of the stories in `taken` (those the box already shows). Ranked here,
/// over the newest stories the store hands over, so that it is the same on both stores.
pub fn told_most(
    candidates: Vec<StoredItem>,
    taken: &HashSet<ItemId>,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<StoredItem> {
    let recent = now - chrono::Duration::days(7);
    let mut seen = taken.clone();
    let mut stories: Vec<(usize, StoredItem)> = candidates
        .into_iter()
        .filter(|i| seen.insert(story(i)))
        .map(|i| {
            let sources = story_sources(&i);
            // Only a recent story told more than once ranks by how many told it.
            let told = if i.sort_at >= recent && sources > 1 {
                sources
            } else {
                1
            };
            (told, i)
        })
        .collect();
    stories.sort_by(|(ta, a), (tb, b)| {
        tb.cmp(ta)
            .then(b.sort_at.cmp(&a.sort_at))
            .then(b.id.cmp(&a.id))
    });
    stories.into_iter().take(limit).map(|(_, i)| i).collect()
}

/// Searches to suggest where too few people have searched yet: the operator's list first, then
/// each topic's leading keyword, in order; none already in `shown` (compared folded), none
/// twice, none that [`is_junk_query`] would hide.
pub fn suggested_searches<'a>(
    operator: &'a [String],
    topic_keywords: impl IntoIterator<Item = &'a str>,
    shown: &[String],
    limit: usize,
) -> Vec<String> {
    let fold = |q: &str| search::normalize_query(q);
    let mut seen: HashSet<String> = shown.iter().map(|q| fold(q)).collect();
    operator
        .iter()
        .map(String::as_str)
        .chain(topic_keywords)
        .map(str::trim)
        .filter(|q| !q.is_empty() && !is_junk_query(q))
        .filter(|q| seen.insert(fold(q)))
        .take(limit)
        .map(str::to_owned)
        .collect()
}

/// Matches read from the index per search; results are ranked among these (the newest
/// matches). A query matching more than this ranks its newest matches only.
pub const SEARCH_CANDIDATES: i64 = 500;

/// Recency halves a search result's weight beyond relevance every this many hours (a week).
const SEARCH_HALF_LIFE_HOURS: f64 = 7.0 * 24.0;

/// One search result.
#[derive(Debug, Clone)]
pub struct Found {
    pub scored: Scored,
    /// The title with the matches in `<mark>` (HTML, escaped).
    pub title_html: String,
    /// Some text around the first match, likewise.
    pub snippet_html: String,
}

/// One page of search results.
#[derive(Debug, Clone)]
pub struct SearchPage {
    pub items: Vec<Found>,
    /// The offset of the next page, when there is one.
    pub next_offset: Option<usize>,
    /// How many items matched (at most [`SEARCH_CANDIDATES`]).
    pub total: usize,
    /// True when more matched than were ranked.
    pub truncated: bool,
}

/// Search: items matching every word of `query`, ranked by relevance (the backend's BM25 or
/// ts_rank, scaled to the best match) times a recency factor from 1 (new) falling towards ½.
pub fn search(
    conn: &mut DbConn,
    query: &Query,
    filter: &Filter,
    offset: usize,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<SearchPage, StoreError> {
    let hits = index::matches(conn, query, filter, SEARCH_CANDIDATES)?;
    let truncated = i64::try_from(hits.len()).unwrap_or(i64::MAX) >= SEARCH_CANDIDATES;
    let best = hits
        .iter()
        .map(|h| h.relevance)
        .fold(0.0_f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut ranked: Vec<(ItemId, f64, f64, f64)> = hits
        .iter()
        .map(|h| {
            let relevance = h.relevance.max(0.0) / best;
            let recency = decay(h.sort_at.and_utc(), now, SEARCH_HALF_LIFE_HOURS);
            (h.id, relevance * (0.5 + 0.5 * recency), relevance, recency)
        })
        .collect();
    // Ties: the newer first (hits come newest first and the sort is stable).
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total = ranked.len();
    let page: Vec<(ItemId, f64, f64, f64)> = ranked.into_iter().skip(offset).take(limit).collect();
    let ids: Vec<ItemId> = page.iter().map(|p| p.0).collect();
    let found = items::by_ids(conn, &ids)?;
    let views = views(conn, &found)?;
    let by_id: HashMap<ItemId, &(ItemId, f64, f64, f64)> = page.iter().map(|p| (p.0, p)).collect();
    let items = found
        .into_iter()
        .filter_map(|item| {
            let &&(_, score, relevance, recency) = by_id.get(&item.id)?;
            let text = item.item.summary_text();
            Some(Found {
                title_html: search::highlight(item.item.title.as_deref().unwrap_or(""), query),
                snippet_html: search::snippet(&text, query, 160),
                scored: Scored {
                    views: views.get(&item.id).copied().unwrap_or(0),
                    score,
                    parts: BTreeMap::from([("relevance", relevance), ("recency", recency)]),
                    item,
                },
            })
        })
        .collect();
    Ok(SearchPage {
        items,
        next_offset: (offset + limit < total).then_some(offset + limit),
        total,
        truncated,
    })
}

/// A query many people searched for.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    pub query: String,
    /// Searches in the window, each weighing less as it ages (the hot-read half-lives).
    pub score: f64,
    pub searches: i64,
}

/// What people searched for in the window, most popular first.
pub fn trending(
    conn: &mut DbConn,
    window: Window,
    limit: usize,
    now: DateTime<Utc>,
) -> Result<Vec<Trend>, StoreError> {
    let since = stats::hour_of(now - window.duration());
    let rows = stats::queries_since(conn, since)?;
    let mut by_query: HashMap<String, (f64, i64)> = HashMap::new();
    for (query, hour, count) in rows {
        if is_junk_query(&query) {
            continue;
        }
        // A count stands for searches spread over its hour: weigh it at the middle.
        let at = hour.and_utc() + chrono::Duration::minutes(30);
        let weight = decay(at.min(now), now, window.half_life_hours());
        let entry = by_query.entry(query).or_default();
        entry.0 += count as f64 * weight;
        entry.1 += count;
    }
    let mut out: Vec<Trend> = by_query
        .into_iter()
        .map(|(query, (score, searches))| Trend {
            query,
            score,
            searches,
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.searches.cmp(&a.searches))
            .then(a.query.cmp(&b.query))
    });
    out.truncate(limit);
    Ok(out)
}

/// A chosen candidate's score and parts, before its item is loaded.
struct Choice {
    id: ItemId,
    source_id: SourceId,
    story: ItemId,
    score: f64,
    parts: BTreeMap<&'static str, f64>,
}

/// Load the chosen items, in the given order, and pair them with their scores.
fn load_chosen(conn: &mut DbConn, chosen: Vec<Choice>) -> Result<Vec<Scored>, StoreError> {
    let ids: Vec<ItemId> = chosen.iter().map(|c| c.id).collect();
    let found = items::by_ids(conn, &ids)?;
    let views = views(conn, &found)?;
    let mut by_id: HashMap<ItemId, Choice> = chosen.into_iter().map(|c| (c.id, c)).collect();
    Ok(found
        .into_iter()
        .filter_map(|item| {
            let c = by_id.remove(&item.id)?;
            Some(Scored {
                views: views.get(&item.id).copied().unwrap_or(0),
                score: c.score,
                parts: c.parts,
                item,
            })
        })
        .collect())
}

/// The best of each story, best first (ties: the newer id first).
fn best_choice_per_story(mut pool: Vec<Choice>) -> Vec<Choice> {
    pool.sort_by(|a, b| b.score.total_cmp(&a.score).then(b.id.cmp(&a.id)));
    let mut stories = HashSet::new();
    pool.retain(|c| stories.insert(c.story));
    pool
}

/// Candidates read per tag for recommendations: its newest items.
const RECOMMEND_CANDIDATES: i64 = 300;

/// The items most worth reading for a tag: a blend of views (log-scaled to the most viewed
/// candidate), story size (sources, log-scaled likewise) and recency (halving every
/// `weights.half_life`), times the source's weight. One item per story; candidates are the
/// tag's newest [`RECOMMEND_CANDIDATES`] items, scored before any is loaded whole.
pub fn recommendations(
    conn: &mut DbConn,
    tag: &str,
    limit: usize,
    now: DateTime<Utc>,
    weights: &RecommendWeights,
    source_weight: impl Fn(&str) -> f64,
) -> Result<Vec<Scored>, StoreError> {
    let ids = items::newest_ids(conn, None, Some(tag), RECOMMEND_CANDIDATES)?;
    let briefs = items::briefs(conn, &ids)?;
    let views = stats::views_of(conn, &ids)?;
    let clusters: Vec<ItemId> = briefs.iter().filter_map(|b| b.cluster_id).collect();
    let stories = items::story_sources(conn, &clusters)?;
    let sources_of = |b: &items::Brief| {
        b.cluster_id
            .and_then(|c| stories.get(&c).copied())
            .unwrap_or(1)
            .max(1)
    };
    let max_views = views.values().copied().max().unwrap_or(0);
    let max_sources = briefs.iter().map(sources_of).max().unwrap_or(1);
    let half_life = weights.half_life.as_secs_f64() / 3600.0;
    let pool: Vec<Choice> = briefs
        .iter()
        .map(|b| {
            let v = views.get(&b.id).copied().unwrap_or(0);
            let views_part = if max_views > 0 {
                (1.0 + v as f64).ln() / (1.0 + max_views as f64).ln()
            } else {
                0.0
            };
            let cluster_part = if max_sources > 1 {
                (sources_of(b) as f64).ln() / (max_sources as f64).ln()
            } else {
                0.0
            };
            let recency = decay(b.sort_at.and_utc(), now, half_life.max(f64::MIN_POSITIVE));
            let weight = source_weight(b.source_id.as_str());
            let blend = weights.views * views_part
                + weights.cluster * cluster_part
                + weights.recency * recency;
            Choice {
                id: b.id,
                source_id: b.source_id.clone(),
                story: b.cluster_id.unwrap_or(b.id),
                score: blend * weight,
                parts: BTreeMap::from([
                    ("views", views_part),
                    ("cluster", cluster_part),
                    ("recency", recency),
                    ("source_weight", weight),
                ]),
            }
        })
        .collect();
    let mut chosen = best_choice_per_story(pool);
    chosen.truncate(limit);
    load_chosen(conn, chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(id: i64, hours_ago: i64, sources: &[&str], now: DateTime<Utc>) -> StoredItem {
        let at = now - chrono::Duration::hours(hours_ago);
        StoredItem {
            id: ItemId::from(id),
            source_id: SourceId::parse(sources[0]).unwrap(),
            item: crate::domain::Item {
                id: id.to_string(),
                guid: None,
                title: Some(format!("story {id}")),
                link: None,
                published: Some(at),
                updated: None,
                authors: Vec::new(),
                summary: None,
                content: None,
                categories: Vec::new(),
                language: None,
                enclosures: Vec::new(),
                image: None,
            },
            sort_at: at,
            date_is_first_seen: false,
            first_seen_at: at,
            changed_at: at,
            topics: Vec::new(),
            tags: Vec::new(),
            cluster_id: (sources.len() > 1).then_some(ItemId::from(id)),
            also_reported_by: (1_i64..)
                .zip(&sources[1..])
                .map(|(n, other)| crate::domain::ClusterMember {
                    id: ItemId::from(id * 100 + n),
                    source_id: SourceId::parse(other).unwrap(),
                    title: None,
                    link: None,
                })
                .collect(),
        }
    }

    fn viewed(item_id: i64, views: u64, hours_ago: i64, now: DateTime<Utc>) -> stats::Viewed {
        let at = now - chrono::Duration::hours(hours_ago);
        stats::Viewed {
            item_id: ItemId::from(item_id),
            views: i64::try_from(views).unwrap(),
            heat: stats::Heat::of(views, at, 6.0),
        }
    }

    #[test]
    fn a_hot_story_counts_its_members_views_and_shows_the_most_viewed() {
        let now = Utc::now();
        // Story 1, told by two sources: 2 views on its first report, 5 on the second.
        let first = stored(1, 2, &["a", "b"], now);
        let mut second = stored(101, 1, &["b", "a"], now);
        second.cluster_id = Some(ItemId::from(1));
        // A story told once, with more views than either report of story 1.
        let alone = stored(2, 1, &["c"], now);
        // Viewed six hours ago: its views count half.
        let older = stored(3, 8, &["d"], now);
        let views = [
            viewed(1, 2, 0, now),
            viewed(101, 5, 0, now),
            viewed(2, 6, 0, now),
            viewed(3, 8, 6, now),
        ];
        let found = vec![first, second, alone, older];
        let ranked = rank_hot(&views, found, 6.0, 10, now);
        let ids: Vec<i64> = ranked.iter().map(|s| s.item.id.get()).collect();
        assert_eq!(ids, [101, 2, 3]);
        let story = &ranked[0];
        assert!((story.parts["views_decayed"] - 7.0).abs() < 1e-6);
        assert!((story.parts["source_boost"] - (1.0 + 2f64.ln())).abs() < 1e-9);
        assert_eq!(story.views, 5);
        assert!((ranked[2].parts["views_decayed"] - 4.0).abs() < 1e-6);
        assert_eq!(rank_hot(&views, Vec::new(), 6.0, 10, now).len(), 0);
        assert_eq!(
            rank_hot(&views, stored_ids(&[2, 3], now), 6.0, 1, now).len(),
            1
        );
    }

    fn stored_ids(ids: &[i64], now: DateTime<Utc>) -> Vec<StoredItem> {
        ids.iter().map(|id| stored(*id, 1, &["x"], now)).collect()
    }

    #[test]
    fn fallback_stories_are_the_most_told_recent_ones_then_the_newest() {
        let now = Utc::now();
        let candidates = vec![
            stored(1, 1, &["a"], now),
            stored(2, 5, &["a", "b"], now),
            stored(3, 30, &["a", "b", "c"], now),
            // Told by four, but a month ago: no more than any old story.
            stored(4, 24 * 30, &["a", "b", "c", "d"], now),
            stored(5, 2, &["b"], now),
            // Already in the box.
            stored(6, 3, &["a", "b", "c", "d", "e"], now),
        ];
        let taken = HashSet::from([ItemId::from(6)]);
        let ids: Vec<i64> = told_most(candidates, &taken, 10, now)
            .iter()
            .map(|i| i.id.get())
            .collect();
        assert_eq!(ids, [3, 2, 1, 5, 4]);
        assert_eq!(told_most(Vec::new(), &taken, 10, now).len(), 0);
    }

    #[test]
    fn suggested_searches_come_from_the_operator_then_the_topics_without_repeats() {
        let operator = vec![
            "TikTok Shop".to_owned(),
            "  ".to_owned(),
            "亚马逊".to_owned(),
        ];
        let topics = [
            "TikTok",
            "tiktok shop",
            "Amazon",
            "https://x.example",
            "Shopee",
        ];
        let shown = vec!["amazon".to_owned()];
        assert_eq!(
            suggested_searches(&operator, topics, &shown, 4),
            ["TikTok Shop", "亚马逊", "TikTok", "Shopee"]
        );
        assert!(suggested_searches(&[], topics, &shown, 0).is_empty());
    }

    #[test]
    fn decay_halves_per_half_life_and_never_exceeds_one() {
        let now = Utc::now();
        assert!((decay(now - chrono::Duration::hours(6), now, 6.0) - 0.5).abs() < 1e-9);
        assert_eq!(decay(now + chrono::Duration::hours(6), now, 6.0), 1.0);
    }
}

//! Related reading: the items worth reading after an article, from the candidates the store
//! holds for it (its tags' and topics' newest items and those sharing a word of its title),
//! ranked by a pure function of those candidates.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};

use super::{Choice, Scored, best_choice_per_story, decay, load_chosen};
use crate::classify::Classifier;
use crate::domain::{ItemId, SourceId, StoredItem, Tag, TopicMatch};
use crate::search::{self, Query};
use crate::store::items;
use crate::store::search::{self as index, Filter};
use crate::store::{DbConn, StoreError, item_tags, item_topics};

/// Recency halves a related item's weight beyond similarity every this many hours (two weeks).
const RELATED_HALF_LIFE_HOURS: f64 = 14.0 * 24.0;

/// Each further item from a source already listed counts this much less (spreads the list).
const SAME_SOURCE_PENALTY: f64 = 0.7;

/// The words an item is compared by: its title (twice: it says what the item is about) and
/// the start of its summary, as search tokens of two or more characters.
fn similarity_words(title: Option<&str>, summary: &str) -> Vec<String> {
    let lead: String = summary.chars().take(300).collect();
    let mut words = search::index_tokens(title.unwrap_or(""));
    words.extend(words.clone());
    words.extend(search::index_tokens(&lead));
    words.retain(|w| w.chars().count() >= 2 && !search::is_stop_word(w));
    words
}
/// For an article with topics, the best items sharing one, one per story and spread over
/// sources; the others only fill the places those leave.
fn on_topic_first(pool: Vec<Choice>, has_topics: bool, limit: usize) -> Vec<Choice> {
    let (on_topic, rest): (Vec<Choice>, Vec<Choice>) = pool
        .into_iter()
        .partition(|c| !has_topics || c.parts.get("shared_topics").is_some_and(|n| *n > 0.0));
    let mut chosen = spread_over_sources(best_choice_per_story(on_topic), limit);
    if chosen.len() < limit {
        let taken: HashSet<ItemId> = chosen.iter().map(|c| c.story).collect();
        let others = best_choice_per_story(rest)
            .into_iter()
            .filter(|c| !taken.contains(&c.story))
            .collect();
        chosen.extend(spread_over_sources(others, limit - chosen.len()));
    }
    chosen
}

/// Candidates read per tag and per topic of the item, and by its title's words.
const RELATED_PER_TAG: i64 = 30;
const RELATED_PER_TOPIC: i64 = 40;
const RELATED_BY_TEXT: i64 = 80;

/// The items related reading chooses from: the newest of each of the item's tags and topics,
/// and the newest sharing a word of its title; never the item or its own story's members.
fn related_candidates(conn: &mut DbConn, item: &StoredItem) -> Result<Vec<ItemId>, StoreError> {
    let mut own: HashSet<ItemId> = item.also_reported_by.iter().map(|m| m.id).collect();
    own.insert(item.id);

    // Candidates: the newest items of each of its tags and topics, and the newest items
    // sharing a word of its title.
    let mut ids: Vec<ItemId> = Vec::new();
    for tag in item.tags.iter().take(6) {
        ids.extend(items::newest_ids(
            conn,
            None,
            Some(&tag.key),
            RELATED_PER_TAG,
        )?);
    }
    for topic in &item.topics {
        ids.extend(items::newest_ids(
            conn,
            Some(&topic.slug),
            None,
            RELATED_PER_TOPIC,
        )?);
    }
    let mut title_words: Vec<String> =
        search::index_tokens(item.item.title.as_deref().unwrap_or(""))
            .into_iter()
            .filter(|w| w.chars().count() >= 2 && !search::is_stop_word(w))
            .collect();
    title_words.dedup();
    title_words.truncate(12);
    if let Some(q) = Query::any_of(&title_words) {
        ids.extend(
            index::matches(conn, &q, &Filter::default(), RELATED_BY_TEXT)?
                .into_iter()
                .map(|h| h.id),
        );
    }
    let mut seen = HashSet::new();
    ids.retain(|i| !own.contains(i) && seen.insert(*i));
    Ok(ids)
}

/// Recommended reading (推荐阅读) for the item `id`: the candidates the store holds for it (see
/// [`related_candidates`]), ranked by [`rank`]. None when there is no such item.
pub fn related(
    conn: &mut DbConn,
    id: ItemId,
    limit: usize,
    now: DateTime<Utc>,
    classifier: &Classifier,
) -> Result<Option<Vec<Scored>>, StoreError> {
    let Some(item) = items::get(conn, id)? else {
        return Ok(None);
    };
    let ids = related_candidates(conn, &item)?;
    let briefs = items::briefs(conn, &ids)?;
    let ids: Vec<i64> = briefs.iter().map(|c| c.id.get()).collect();
    let mut their_topics = item_topics::for_items(conn, &ids)?;
    let mut their_tags = item_tags::for_items(conn, &ids)?;
    let candidates = briefs
        .into_iter()
        .map(|brief| Candidate {
            topics: their_topics.remove(&brief.id.get()).unwrap_or_default(),
            tags: their_tags.remove(&brief.id.get()).unwrap_or_default(),
            // Read once as plain text, for similarity and for false friends.
            summary: brief
                .summary
                .as_deref()
                .map(crate::text::text_of_sanitized)
                .unwrap_or_default(),
            brief,
        })
        .collect();
    let chosen = rank(&item, candidates, classifier, limit, now);
    Ok(Some(load_chosen(conn, chosen)?))
}

/// A candidate for related reading, with what it is compared by.
struct Candidate {
    brief: items::Brief,
    topics: Vec<TopicMatch>,
    tags: Vec<Tag>,
    /// Its summary as plain text.
    summary: String,
}

/// Rank `candidates` for `item`: items sharing its topics and tags and similar in text (TF-IDF
/// cosine over Chinese-aware tokens, document frequencies from the candidates), favouring
/// recent ones, never the item's own story, one per story, spread over sources. An article
/// with topics gets items sharing one first, the others only where those run out; and no item
/// is recommended on the strength of a topic's false friend (see
/// [`Classifier::excluded_topics`]).
fn rank(
    item: &StoredItem,
    candidates: Vec<Candidate>,
    classifier: &Classifier,
    limit: usize,
    now: DateTime<Utc>,
) -> Vec<Choice> {
    let candidates: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| item.cluster_id.is_none() || c.brief.cluster_id != item.cluster_id)
        .collect();
    let similarity = Similarity::new(
        similarity_words(item.item.title.as_deref(), &item.item.summary_text()),
        candidates
            .iter()
            .map(|c| similarity_words(c.brief.title.as_deref(), &c.summary))
            .collect(),
    );
    let topics: HashSet<&str> = item.topics.iter().map(|t| t.slug.as_str()).collect();
    let tags: HashSet<&str> = item.tags.iter().map(|t| t.key.as_str()).collect();
    // False friends: the topics whose exclusions the article itself contains.
    let article_vetoes = classifier.excluded_topics(&format!(
        "{}\n{}",
        item.item.title.as_deref().unwrap_or(""),
        item.item.summary_text()
    ));
    let pool: Vec<Choice> = candidates
        .into_iter()
        .enumerate()
        .filter_map(|(n, c)| {
            // Never on the strength of a false friend: not a candidate holding one of the
            // article's topics' exclusions (the rainforest under an Amazon article), nor one
            // of a topic whose exclusion the article holds (Amazon news under the rainforest).
            let vetoes = classifier.excluded_topics(&format!(
                "{}\n{}",
                c.brief.title.as_deref().unwrap_or(""),
                c.summary
            ));
            if vetoes.iter().any(|v| topics.contains(v.as_str()))
                || c.topics
                    .iter()
                    .any(|t| article_vetoes.contains(t.slug.as_str()))
            {
                return None;
            }
            let similarity = similarity.to_target(n);
            let shared_topics = c
                .topics
                .iter()
                .filter(|t| topics.contains(t.slug.as_str()))
                .count();
            let shared_tags = c
                .tags
                .iter()
                .filter(|t| tags.contains(t.key.as_str()))
                .count();
            let relatedness =
                similarity + 0.1 * shared_topics.min(3) as f64 + 0.15 * shared_tags.min(4) as f64;
            if relatedness <= 0.0 {
                return None;
            }
            let b = c.brief;
            let recency = decay(b.sort_at.and_utc(), now, RELATED_HALF_LIFE_HOURS);
            Some(Choice {
                id: b.id,
                story: b.cluster_id.unwrap_or(b.id),
                source_id: b.source_id,
                score: relatedness * (0.6 + 0.4 * recency),
                parts: BTreeMap::from([
                    ("similarity", similarity),
                    ("shared_topics", shared_topics as f64),
                    ("shared_tags", shared_tags as f64),
                    ("recency", recency),
                ]),
            })
        })
        .collect();
    on_topic_first(pool, !topics.is_empty(), limit)
}

/// TF-IDF vectors of a target and its candidates, document frequencies over all of them.
struct Similarity {
    target: HashMap<String, f64>,
    target_norm: f64,
    candidates: Vec<HashMap<String, f64>>,
}

impl Similarity {
    fn new(target: Vec<String>, candidates: Vec<Vec<String>>) -> Self {
        let mut df: HashMap<&str, usize> = HashMap::new();
        for doc in std::iter::once(&target).chain(&candidates) {
            let unique: HashSet<&str> = doc.iter().map(String::as_str).collect();
            for w in unique {
                *df.entry(w).or_default() += 1;
            }
        }
        let n = (candidates.len() + 1) as f64;
        let vector = |doc: &[String]| -> HashMap<String, f64> {
            let mut tf: HashMap<String, f64> = HashMap::new();
            for w in doc {
                *tf.entry(w.clone()).or_default() += 1.0;
            }
            for (w, v) in tf.iter_mut() {
                let d = df.get(w.as_str()).copied().unwrap_or(1) as f64;
                *v *= ((n + 1.0) / (d + 1.0)).ln() + 1.0;
            }
            tf
        };
        let target_vector = vector(&target);
        let candidate_vectors = candidates.iter().map(|d| vector(d)).collect();
        Self {
            target_norm: norm(&target_vector).max(f64::MIN_POSITIVE),
            target: target_vector,
            candidates: candidate_vectors,
        }
    }

    /// The cosine of candidate `n` with the target.
    fn to_target(&self, n: usize) -> f64 {
        let Some(v) = self.candidates.get(n) else {
            return 0.0;
        };
        let dot: f64 = v
            .iter()
            .filter_map(|(w, x)| self.target.get(w).map(|y| x * y))
            .sum();
        dot / (self.target_norm * norm(v).max(f64::MIN_POSITIVE))
    }
}

fn norm(v: &HashMap<String, f64>) -> f64 {
    v.values().map(|x| x * x).sum::<f64>().sqrt()
}

/// Pick greedily by score, each further item of a source already picked counting
/// [`SAME_SOURCE_PENALTY`] times less; `score` becomes the adjusted one.
fn spread_over_sources(mut pool: Vec<Choice>, limit: usize) -> Vec<Choice> {
    let mut picked: Vec<Choice> = Vec::new();
    let mut per_source: HashMap<SourceId, i32> = HashMap::new();
    while picked.len() < limit && !pool.is_empty() {
        let adjusted = |c: &Choice| {
            c.score * SAME_SOURCE_PENALTY.powi(per_source.get(&c.source_id).copied().unwrap_or(0))
        };
        let (best, _) = pool.iter().enumerate().map(|(i, c)| (i, adjusted(c))).fold(
            (0, f64::NEG_INFINITY),
            |acc, (i, v)| if v > acc.1 { (i, v) } else { acc },
        );
        let mut chosen = pool.remove(best);
        chosen.score = adjusted(&chosen);
        *per_source.entry(chosen.source_id.clone()).or_default() += 1;
        picked.push(chosen);
    }
    picked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{ClassifyConfig, TopicConfig};
    use crate::domain::{Item, TagKind, TopicSlug};

    fn classifier() -> Classifier {
        let slug = |s: &str| TopicSlug::parse(s).unwrap();
        let amazon = TopicConfig {
            exclude: vec!["亚马逊雨林".into(), "rainforest".into()],
            ..TopicConfig::new(
                slug("amazon"),
                "Amazon",
                vec!["Amazon".into(), "亚马逊".into()],
            )
        };
        let tiktok = TopicConfig::new(slug("tiktok"), "TikTok", vec!["TikTok".into()]);
        Classifier::new(&[amazon, tiktok], &ClassifyConfig::default()).unwrap()
    }

    fn matches(slugs: &[&str]) -> Vec<TopicMatch> {
        slugs
            .iter()
            .map(|s| TopicMatch {
                slug: (*s).to_owned(),
                matched: vec![],
            })
            .collect()
    }

    fn tags(keys: &[&str]) -> Vec<Tag> {
        keys.iter()
            .map(|k| Tag {
                key: (*k).to_owned(),
                label: (*k).to_owned(),
                kind: TagKind::Keyword,
            })
            .collect()
    }

    fn article(
        title: &str,
        topics: &[&str],
        cluster: Option<i64>,
        now: DateTime<Utc>,
    ) -> StoredItem {
        StoredItem {
            id: ItemId::from(1),
            source_id: SourceId::parse("wire").unwrap(),
            item: Item {
                id: "1".into(),
                title: Some(title.into()),
                published: Some(now),
                ..Item::default()
            },
            sort_at: now,
            date_is_first_seen: false,
            first_seen_at: now,
            changed_at: now,
            topics: matches(topics),
            tags: tags(&["fees"]),
            cluster_id: cluster.map(ItemId::from),
            also_reported_by: vec![],
        }
    }

    /// A candidate `hours` old.
    fn candidate(
        id: i64,
        source: &str,
        title: &str,
        topics: &[&str],
        hours: i64,
        now: DateTime<Utc>,
    ) -> Candidate {
        Candidate {
            brief: items::Brief {
                id: ItemId::from(id),
                source_id: SourceId::parse(source).unwrap(),
                sort_at: (now - chrono::Duration::hours(hours)).naive_utc(),
                cluster_id: None,
                title: Some(title.into()),
                summary: None,
            },
            topics: matches(topics),
            tags: vec![],
            summary: String::new(),
        }
    }

    fn ids(chosen: &[Choice]) -> Vec<i64> {
        chosen.iter().map(|c| c.id.get()).collect()
    }

    #[test]
    fn items_sharing_a_topic_come_first_and_the_own_story_never() {
        let now = Utc::now();
        let item = article("Amazon raises FBA fees for 2027", &["amazon"], Some(1), now);
        let mut own_story = candidate(
            2,
            "mirror",
            "Amazon raises FBA fees for 2027",
            &["amazon"],
            1,
            now,
        );
        own_story.brief.cluster_id = Some(ItemId::from(1));
        let candidates = vec![
            own_story,
            // The closest in text, but of another platform.
            candidate(
                3,
                "news",
                "TikTok Shop raises fees for 2027",
                &["tiktok"],
                1,
                now,
            ),
            candidate(
                4,
                "news",
                "Amazon opens a warehouse in Poland",
                &["amazon"],
                2,
                now,
            ),
            candidate(
                5,
                "blog",
                "Amazon sellers brace for Prime Day",
                &["amazon"],
                3,
                now,
            ),
        ];
        let chosen = rank(&item, candidates, &classifier(), 3, now);
        assert_eq!(ids(&chosen[..2]).len(), 2);
        assert!(ids(&chosen[..2]).iter().all(|id| [4, 5].contains(id)));
        assert_eq!(
            chosen[2].id.get(),
            3,
            "the other platform only fills the last place"
        );
        assert!(chosen[2].parts["similarity"] > chosen[0].parts["similarity"]);
        assert!(!ids(&chosen).contains(&2));
    }

    #[test]
    fn an_article_without_topics_is_ranked_by_relatedness_alone() {
        let now = Utc::now();
        let item = article("Cross-border fees rise for 2027", &[], None, now);
        let candidates = vec![
            candidate(
                3,
                "news",
                "TikTok Shop fees rise for 2027",
                &["tiktok"],
                1,
                now,
            ),
            candidate(
                4,
                "news",
                "A warehouse opens in Poland as fees rise",
                &["amazon"],
                1,
                now,
            ),
            // Nothing in common: never recommended.
            candidate(
                5,
                "blog",
                "A warehouse opens in Poland",
                &["amazon"],
                1,
                now,
            ),
        ];
        let chosen = rank(&item, candidates, &classifier(), 5, now);
        assert_eq!(ids(&chosen), [3, 4]);
        assert!(chosen[0].score > chosen[1].score);
    }

    #[test]
    fn false_friends_are_never_recommended_either_way() {
        let now = Utc::now();
        let amazon = article("亚马逊上调物流费用", &["amazon"], None, now);
        let candidates = vec![
            candidate(3, "eco", "亚马逊雨林物流费用上调", &[], 1, now),
            candidate(4, "news", "亚马逊物流费用明年上调", &["amazon"], 1, now),
        ];
        assert_eq!(ids(&rank(&amazon, candidates, &classifier(), 5, now)), [4]);

        let forest = article("亚马逊雨林保护区扩大", &[], None, now);
        let candidates = vec![
            candidate(3, "eco", "雨林保护区再扩大", &[], 1, now),
            candidate(4, "news", "亚马逊保护卖家权益", &["amazon"], 1, now),
        ];
        assert_eq!(ids(&rank(&forest, candidates, &classifier(), 5, now)), [3]);
    }

    #[test]
    fn a_source_already_listed_counts_less() {
        let now = Utc::now();
        let item = article("Amazon raises FBA fees", &["amazon"], None, now);
        let candidates = vec![
            candidate(
                3,
                "news",
                "Amazon raises FBA fees again",
                &["amazon"],
                1,
                now,
            ),
            candidate(
                4,
                "news",
                "Amazon raises FBA fees in Europe",
                &["amazon"],
                1,
                now,
            ),
            candidate(5, "blog", "Amazon FBA fees explained", &["amazon"], 1, now),
        ];
        let chosen = rank(&item, candidates, &classifier(), 3, now);
        assert_eq!(chosen[1].source_id.as_str(), "blog", "{:?}", ids(&chosen));
        assert_eq!(chosen.len(), 3);
        let last = &chosen[2];
        assert_eq!(last.source_id.as_str(), "news");
        // Its score is its own times the penalty for the source's second place.
        let own = (last.parts["similarity"] + 0.1) * (0.6 + 0.4 * last.parts["recency"]);
        assert!(
            (last.score / own - SAME_SOURCE_PENALTY).abs() < 1e-9,
            "{}",
            last.score
        );
    }
}

//! Topic matching. Every topic's keywords, `all_of` words and exclusions go into one
//! Aho-Corasick automaton, run over text folded the same way as the words (Unicode NFKC,
//! lowercase, optionally Traditional→Simplified), so ＴｉｋＴｏｋ matches TikTok and 亞馬遜
//! matches 亚马逊. Latin words match on word boundaries (Amazon, not Amazonas); CJK words match
//! inside unsegmented text (亚马逊 in 亚马逊卖家).
//!
//! How a topic's rules combine, per item:
//! - evidence: a keyword or regex found in the lead (title, categories, or the first
//!   `lead_chars` characters of summary/content) — or found `min_hits` times further down —
//!   or an upstream category equal to one of `categories`; a topic with only `all_of`
//!   groups needs no other evidence;
//! - every `all_of` group must match somewhere in the fields the topic reads;
//! - `sources`/`source_tags` (when set) must name the item's source or one of its tags;
//! - an exclusion cancels the keyword occurrences it overlaps (亚马逊雨林 cancels its 亚马逊,
//!   not a 亚马逊 elsewhere) and vetoes the topic when it overlaps none.

use std::collections::{HashMap, HashSet};

use aho_corasick::{AhoCorasick, MatchKind};
use regex::Regex;

use crate::config::{ClassifyConfig, Fields, TopicConfig, compile_topic_regex};
use crate::domain::{Item, Matched, PlainText, TopicMatch};
use crate::fold::{Folded, Folder};
use crate::text::is_cjk;

#[derive(Debug, thiserror::Error)]
#[error("cannot build the topic matcher: {0}")]
pub struct ClassifyError(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Keyword,
    /// A word of the topic's n-th `all_of` group.
    Group(usize),
    Exclude,
    /// A word other platforms use too: evidence only in the topic's context (see
    /// [`Classifier::classify_folded`]).
    Shared,
    /// The name of a platform without a topic (`classify.platforms`): in the title or lead,
    /// it makes that platform a subject of the item (a topic's own evidence there does the
    /// same for its platform).
    Platform,
}

/// One configured word of one topic (`usize::MAX` for a name in `classify.platforms`).
#[derive(Debug, Clone)]
struct Use {
    topic: usize,
    role: Role,
    /// As written in the configuration, for explaining a match.
    original: String,
}

/// One distinct folded pattern in the automaton, and every topic word it stands for.
#[derive(Debug, Clone)]
struct Pattern {
    uses: Vec<Use>,
    /// Whether the pattern starts/ends with a word character that needs a boundary.
    bound_start: bool,
    bound_end: bool,
}

#[derive(Debug, Clone)]
struct Rule {
    slug: String,
    fields: Fields,
    min_hits: u32,
    groups: usize,
    /// True when keywords, regexes or categories are configured (else `all_of` decides).
    needs_evidence: bool,
    sources: Vec<String>,
    source_tags: Vec<String>,
    /// Folded category → as written.
    categories: HashMap<String, String>,
    regexes: Vec<(Regex, String)>,
}

/// The item's source, for `sources`/`source_tags` rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceCtx<'a> {
    pub id: &'a str,
    pub tags: &'a [String],
}

/// Sorts items into the configured topics.
#[derive(Debug, Clone)]
pub struct Classifier {
    rules: Vec<Rule>,
    patterns: Vec<Pattern>,
    automaton: Option<AhoCorasick>,
    folder: Folder,
    lead_chars: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Summary,
    Content,
    Categories,
}

impl Field {
    fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Summary => "summary",
            Field::Content => "content",
            Field::Categories => "categories",
        }
    }

    fn read_by(self, f: &Fields) -> bool {
        match self {
            Field::Title => f.title,
            Field::Summary => f.summary,
            Field::Content => f.content,
            Field::Categories => f.categories,
        }
    }

    /// Title and categories are all lead; summary and content only at their start.
    fn always_lead(self) -> bool {
        matches!(self, Field::Title | Field::Categories)
    }
}

/// What one topic has found so far in one item.
#[derive(Default)]
struct Found {
    lead: bool,
    body_hits: u32,
    groups: Vec<bool>,
    vetoed: bool,
    matched: Vec<Matched>,
    /// Shared words seen, waiting for the context to decide: (word, field, in the lead).
    shared: Vec<(String, Field, bool)>,
}

impl Found {
    fn note(&mut self, term: &str, rule: &str, field: Field) {
        if !self
            .matched
            .iter()
            .any(|m| m.term == term && m.rule == rule && m.field == field.name())
        {
            self.matched.push(Matched {
                term: term.to_owned(),
                rule: rule.to_owned(),
                field: field.name().to_owned(),
            });
        }
    }
}

impl Classifier {
    /// Compile the rules of `topics` into one automaton.
    pub fn new(topics: &[TopicConfig], settings: &ClassifyConfig) -> Result<Self, ClassifyError> {
        let folder = Folder {
            t2s: settings.traditional_to_simplified,
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut folded: Vec<String> = Vec::new();
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut rules = Vec::with_capacity(topics.len());
        for (topic, t) in topics.iter().enumerate() {
            let words = t
                .keywords
                .iter()
                .map(|k| (k, Role::Keyword))
                .chain(
                    t.all_of
                        .iter()
                        .enumerate()
                        .flat_map(|(g, ws)| ws.iter().map(move |w| (w, Role::Group(g)))),
                )
                .chain(t.exclude.iter().map(|k| (k, Role::Exclude)))
                .chain(t.shared.iter().map(|k| (k, Role::Shared)));
            for (word, role) in words {
                let f = folder.fold(word);
                if let Some(at) = intern(f, &mut index, &mut folded, &mut patterns) {
                    patterns[at].uses.push(Use {
                        topic,
                        role,
                        original: word.clone(),
                    });
                }
            }
            let regexes = t
                .regex
                .iter()
                .map(|r| {
                    compile_topic_regex(r)
                        .map(|re| (re, r.clone()))
                        .map_err(|e| ClassifyError(format!("topic {}: regex {r:?}: {e}", t.slug)))
                })
                .collect::<Result<Vec<_>, _>>()?;
            rules.push(Rule {
                slug: t.slug.to_string(),
                fields: t.fields,
                min_hits: t.min_hits.unwrap_or(settings.min_hits).max(1),
                groups: t.all_of.len(),
                needs_evidence: !(t.keywords.is_empty()
                    && t.shared.is_empty()
                    && t.regex.is_empty()
                    && t.categories.is_empty()),
                sources: t.sources.clone(),
                source_tags: t.source_tags.iter().map(|s| folder.fold(s)).collect(),
                categories: t
                    .categories
                    .iter()
                    .map(|c| (folder.fold(c.trim()), c.clone()))
                    .collect(),
                regexes,
            });
        }
        // Platforms without a topic matter only to topics with shared words.
        if topics.iter().any(|t| !t.shared.is_empty()) {
            for name in &settings.platforms {
                let f = folder.fold(name);
                let Some(at) = intern(f, &mut index, &mut folded, &mut patterns) else {
                    continue;
                };
                // A name that is some topic's keyword already names that topic's platform.
                if !patterns[at].uses.iter().any(|u| u.role == Role::Keyword) {
                    patterns[at].uses.push(Use {
                        topic: usize::MAX,
                        role: Role::Platform,
                        original: name.clone(),
                    });
                }
            }
        }
        let automaton = if folded.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::Standard)
                    .build(&folded)
                    .map_err(|e| ClassifyError(e.to_string()))?,
            )
        };
        Ok(Self {
            rules,
            patterns,
            automaton,
            folder,
            lead_chars: settings.lead_chars,
        })
    }

    /// The topics whose `exclude` phrases occur in `text` (a false friend of theirs is
    /// there: 亚马逊雨林 for Amazon), by slug. Recommended reading uses it to keep a topic's
    /// false friends away from its articles.
    pub fn excluded_topics(&self, text: &str) -> HashSet<String> {
        let Some(ac) = &self.automaton else {
            return HashSet::new();
        };
        let text = self.folder.fold(text);
        ac.find_overlapping_iter(&text)
            .filter(|m| {
                at_boundaries(
                    &text,
                    m.start(),
                    m.end(),
                    &self.patterns[m.pattern().as_usize()],
                )
            })
            .flat_map(|m| self.patterns[m.pattern().as_usize()].uses.iter())
            .filter(|u| u.role == Role::Exclude)
            .map(|u| self.rules[u.topic].slug.clone())
            .collect()
    }

    /// How text is folded before matching (the same fold tags use).
    pub fn folder(&self) -> Folder {
        self.folder
    }

    /// The topics `item` (from `source`) belongs to, in configuration order, each with what
    /// matched.
    pub fn classify(&self, item: &Item, source: SourceCtx<'_>) -> Vec<TopicMatch> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let folded = Folded::of(item, &PlainText::of(item), self.folder);
        self.classify_folded(item, &folded, source)
    }

    /// [`Classifier::classify`] with the item's text already folded (by this classifier's
    /// [`Folder`]).
    pub fn classify_folded(
        &self,
        item: &Item,
        folded: &Folded,
        source: SourceCtx<'_>,
    ) -> Vec<TopicMatch> {
        if self.rules.is_empty() {
            return Vec::new();
        }
        let mut found: Vec<Found> = self
            .rules
            .iter()
            .map(|r| Found {
                groups: vec![false; r.groups],
                ..Found::default()
            })
            .collect();
        let categories: Vec<String> = item
            .categories
            .iter()
            .map(|c| self.folder.fold(c.trim()))
            .collect();
        let texts = [
            (Field::Title, folded.title.as_deref()),
            (Field::Summary, folded.summary.as_deref()),
            (Field::Content, folded.content.as_deref()),
        ]
        .into_iter()
        .filter_map(|(field, text)| Some((field, text?)))
        .chain(categories.iter().map(|c| (Field::Categories, c.as_str())));

        let mut hits: Vec<(usize, usize, usize)> = Vec::new();
        // A platform without a topic (`classify.platforms`) named in the title or lead.
        let mut platform_in_view = false;
        for (field, text) in texts {
            if let Some(ac) = &self.automaton {
                hits.clear();
                hits.extend(
                    ac.find_overlapping_iter(text)
                        .map(|m| (m.start(), m.end(), m.pattern().as_usize()))
                        .filter(|&(s, e, p)| at_boundaries(text, s, e, &self.patterns[p])),
                );
                hits.sort_unstable();
                self.scan_words(
                    field,
                    text,
                    &hits,
                    ac.max_pattern_len(),
                    (&mut found, &mut platform_in_view),
                );
            }
            for (r, rule) in self.rules.iter().enumerate() {
                if !field.read_by(&rule.fields) {
                    continue;
                }
                for (re, original) in &rule.regexes {
                    for m in re.find_iter(text) {
                        self.count(&mut found[r], field, text, m.start());
                        found[r].note(original, "regex", field);
                    }
                }
            }
            if field == Field::Categories {
                for (r, rule) in self.rules.iter().enumerate() {
                    if let Some(original) = rule.categories.get(text) {
                        found[r].lead = true;
                        found[r].note(original, "category", field);
                    }
                }
            }
        }

        self.settle_shared(&mut found, platform_in_view);
        let source_tags: Vec<String> = if self.rules.iter().any(|r| !r.source_tags.is_empty()) {
            source.tags.iter().map(|t| self.folder.fold(t)).collect()
        } else {
            Vec::new()
        };
        self.rules
            .iter()
            .zip(found)
            .filter(|(rule, f)| {
                let from_source = (rule.sources.is_empty() && rule.source_tags.is_empty())
                    || rule.sources.iter().any(|s| s == source.id)
                    || rule.source_tags.iter().any(|t| source_tags.contains(t));
                let evidence = !rule.needs_evidence || f.lead || f.body_hits >= rule.min_hits;
                from_source && evidence && f.groups.iter().all(|g| *g) && !f.vetoed
            })
            .map(|(rule, f)| TopicMatch {
                slug: rule.slug.clone(),
                matched: f.matched,
            })
            .collect()
    }

    /// Apply the automaton's hits in one field (sorted by start): exclusions mask the hits they
    /// overlap, and veto their topic when they overlap none. A hit can only overlap hits that
    /// start less than the longest pattern (`reach` bytes) before it, so each hit looks at a
    /// window found by binary search: linear in the hits, however often a text repeats a word.
    fn scan_words(
        &self,
        field: Field,
        text: &str,
        hits: &[(usize, usize, usize)],
        reach: usize,
        (found, platform_in_view): (&mut [Found], &mut bool),
    ) {
        let overlaps =
            |a: &(usize, usize, usize), b: &(usize, usize, usize)| a.0 < b.1 && b.0 < a.1;
        for hit in hits {
            let from = hits.partition_point(|h| h.0 + reach <= hit.0);
            let to = hits.partition_point(|h| h.0 < hit.1);
            let near = &hits[from..to.max(from)];
            for u in &self.patterns[hit.2].uses {
                let in_lead_here = || field.always_lead() || in_lead(text, hit.0, self.lead_chars);
                if u.role == Role::Platform {
                    *platform_in_view |= in_lead_here();
                    continue;
                }
                let rule = &self.rules[u.topic];
                if !field.read_by(&rule.fields) {
                    continue;
                }
                // Does an exclusion of the same topic overlap this hit (or, for an
                // exclusion, does it overlap a word of its topic)?
                let other_role = |want_exclude: bool| {
                    near.iter().any(|h| {
                        overlaps(h, hit)
                            && self.patterns[h.2].uses.iter().any(|o| {
                                o.topic == u.topic && ((o.role == Role::Exclude) == want_exclude)
                            })
                    })
                };
                match u.role {
                    Role::Exclude if !other_role(false) => found[u.topic].vetoed = true,
                    Role::Keyword if !other_role(true) => {
                        self.count(&mut found[u.topic], field, text, hit.0);
                        found[u.topic].note(&u.original, "keyword", field);
                    }
                    Role::Group(g) if !other_role(true) => {
                        found[u.topic].groups[g] = true;
                        found[u.topic].note(&u.original, "all_of", field);
                    }
                    Role::Shared if !other_role(true) => {
                        found[u.topic]
                            .shared
                            .push((u.original.clone(), field, in_lead_here()));
                    }
                    _ => {}
                }
            }
        }
    }

    /// Shared words count for their topic only in its context: one of its own keywords (or
    /// regexes, or categories) in the title or lead, or no other platform there. "Brand
    /// Registry" is Amazon evidence in "Amazon expands Brand Registry" and in "Brand Registry
    /// fees rise", not in "Walmart launches its own Brand Registry".
    /// A topic's platform is in view when its own evidence is in the lead.
    fn settle_shared(&self, found: &mut [Found], platform_in_view: bool) {
        if found.iter().all(|f| f.shared.is_empty()) {
            return;
        }
        let own: Vec<bool> = found.iter().map(|f| f.lead && !f.vetoed).collect();
        for (t, f) in found.iter_mut().enumerate() {
            let shared = std::mem::take(&mut f.shared);
            let other_in_view =
                platform_in_view || own.iter().enumerate().any(|(u, o)| *o && u != t);
            let in_context = own[t] || !other_in_view;
            if shared.is_empty() || !in_context {
                continue;
            }
            for (word, field, lead) in shared {
                if lead {
                    f.lead = true;
                } else {
                    f.body_hits = f.body_hits.saturating_add(1);
                }
                f.note(&word, "shared", field);
            }
        }
    }

    /// Count one occurrence of a keyword or regex at byte `start` of `text`.
    fn count(&self, found: &mut Found, field: Field, text: &str, start: usize) {
        if field.always_lead() || in_lead(text, start, self.lead_chars) {
            found.lead = true;
        } else {
            found.body_hits = found.body_hits.saturating_add(1);
        }
    }
}

/// The index of folded pattern `f`, added when new; None for an empty one.
fn intern(
    f: String,
    index: &mut HashMap<String, usize>,
    folded: &mut Vec<String>,
    patterns: &mut Vec<Pattern>,
) -> Option<usize> {
    if f.is_empty() {
        return None;
    }
    Some(*index.entry(f.clone()).or_insert_with(|| {
        patterns.push(Pattern {
            uses: Vec::new(),
            bound_start: f.chars().next().is_some_and(is_word_char),
            bound_end: f.chars().next_back().is_some_and(is_word_char),
        });
        folded.push(f);
        patterns.len() - 1
    }))
}

/// Whether byte offset `start` lies within the first `chars` characters of `text`.
fn in_lead(text: &str, start: usize, chars: usize) -> bool {
    // A char is at most 4 bytes and at least 1: decide most cases without counting.
    if start < chars {
        return true;
    }
    if start >= chars.saturating_mul(4) {
        return false;
    }
    text[..start].chars().count() < chars
}

/// A character that belongs to a Latin-script word; CJK characters are never boundaries'
/// concern because CJK text has no spaces.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

fn at_boundaries(text: &str, start: usize, end: usize, p: &Pattern) -> bool {
    let before_ok = !p.bound_start || !text[..start].chars().next_back().is_some_and(is_word_char);
    let after_ok = !p.bound_end || !text[end..].chars().next().is_some_and(is_word_char);
    before_ok && after_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TopicSlug;
    use crate::fold::{fold, is_inert, lowercase};
    use unicode_normalization::UnicodeNormalization;

    fn topic(slug: &str, keywords: &[&str], exclude: &[&str]) -> TopicConfig {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
        TopicConfig {
            exclude: strings(exclude),
            ..TopicConfig::new(TopicSlug::parse(slug).unwrap(), slug, strings(keywords))
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn item(title: &str) -> Item {
        Item {
            id: "x".into(),
            guid: None,
            title: Some(title.into()),
            link: None,
            published: None,
            updated: None,
            authors: vec![],
            summary: None,
            content: None,
            categories: vec![],
            language: None,
            enclosures: vec![],
            image: None,
        }
    }

    fn with(topics: Vec<TopicConfig>) -> Classifier {
        Classifier::new(&topics, &ClassifyConfig::default()).unwrap()
    }

    fn slugs_of(c: &Classifier, item: &Item) -> Vec<String> {
        c.classify(item, SourceCtx::default())
            .into_iter()
            .map(|m| m.slug)
            .collect()
    }

    fn slugs(c: &Classifier, title: &str) -> Vec<String> {
        slugs_of(c, &item(title))
    }

    fn classifier() -> Classifier {
        with(vec![
            topic("tiktok", &["TikTok", "抖音", "TikTok Shop"], &[]),
            topic(
                "amazon",
                &["Amazon", "亚马逊"],
                &["亚马逊雨林", "Amazon rainforest", "巴西"],
            ),
        ])
    }

    #[test]
    fn shared_words_count_only_with_their_platform_or_no_other_in_view() {
        let mut amazon = topic("amazon", &["Amazon", "亚马逊"], &["Amazon River"]);
        amazon.shared = vec!["Brand Registry".into(), "品牌备案".into()];
        let c = Classifier::new(
            &[
                amazon,
                topic("tiktok", &["TikTok", "抖音"], &[]),
                topic("walmart", &["Walmart", "沃尔玛"], &[]),
            ],
            &ClassifyConfig {
                platforms: vec!["Etsy".into(), "Amazon".into()],
                ..ClassifyConfig::default()
            },
        )
        .unwrap();
        // Its own platform in view, or none at all: evidence.
        assert_eq!(
            slugs(&c, "Amazon expands Brand Registry to Mexico"),
            ["amazon"]
        );
        assert_eq!(slugs(&c, "Brand Registry fees rise next month"), ["amazon"]);
        assert_eq!(slugs(&c, "品牌备案新规下月生效"), ["amazon"]);
        // Another platform is the subject: not evidence.
        assert!(slugs(&c, "Walmart launches its own Brand Registry").eq(&["walmart"]));
        assert_eq!(slugs(&c, "TikTok Shop 开放品牌备案入口"), ["tiktok"]);
        assert!(slugs(&c, "Etsy tests a Brand Registry for makers").is_empty());
        // The river is no platform (its exclusion masks the name), so it keeps no one else's
        // shared word out; and the Amazon keyword itself is cancelled.
        let river = c.classify(
            &item("Amazon River floods delay Brand Registry checks"),
            SourceCtx::default(),
        );
        assert_eq!(river.len(), 1);
        assert!(
            river[0].matched.iter().all(|m| m.rule == "shared"),
            "{river:?}"
        );
        // The match says why.
        let m = c.classify(&item("Brand Registry fees rise"), SourceCtx::default());
        assert_eq!(m[0].matched[0].rule, "shared");
        assert_eq!(m[0].matched[0].term, "Brand Registry");
        // Deep in the body, a shared word counts like a keyword there.
        let mut body = item("卖家如何准备年终促销");
        body.content = Some(format!(
            "<p>{}</p><p>品牌备案 品牌备案</p>",
            "准备。".repeat(120)
        ));
        assert_eq!(slugs_of(&c, &body), ["amazon"]);
    }

    #[test]
    fn excluded_topics_name_the_false_friends_a_text_holds() {
        let c = classifier();
        assert_eq!(
            c.excluded_topics("巴西亚马逊雨林大火影响物流"),
            HashSet::from(["amazon".to_owned()])
        );
        assert_eq!(
            c.excluded_topics("Amazon rainforest fires"),
            HashSet::from(["amazon".to_owned()])
        );
        assert!(c.excluded_topics("亚马逊卖家物流新规").is_empty());
        assert!(c.excluded_topics("").is_empty());
    }

    #[test]
    fn folding_matches_full_nfkc_and_lowercase() {
        for text in [
            "TikTok Shop",
            "ＴｉｋＴｏｋ 美区",
            "亚马逊 Prime Day",
            "Ａmazon ＦＢＡ费用",
            "ｶﾀｶﾅ",
            "Straße",
        ] {
            let slow: String = text.nfkc().flat_map(char::to_lowercase).collect();
            assert_eq!(fold(text), slow, "{text}");
        }
    }

    #[test]
    fn inert_characters_are_their_own_fold() {
        for c in ('\u{2000}'..='\u{A000}').filter(|&c| is_inert(c)) {
            let s = c.to_string();
            assert_eq!(s.nfkc().collect::<String>(), s, "{c:?} changes under NFKC");
            assert_eq!(s.to_lowercase(), s, "{c:?} has a lowercase");
            assert_eq!(
                unicode_normalization::char::canonical_combining_class(c),
                0,
                "{c:?} is not a starter"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn folding_in_runs_is_folding_the_whole(
            text in "[a-zA-ZΣσ0-9 亚马逊東南亞賣家，。、「」《》“”ＡＢａ１\u{0301}\u{0308}\u{3099}ｶﾞ①ﬁ\u{3400}]{0,40}"
        ) {
            let whole = text.nfkc().collect::<String>().to_lowercase();
            proptest::prop_assert_eq!(fold(&text), whole);
        }

        #[test]
        fn lowercase_is_the_standard_library_s(
            text in "[a-zA-Z0-9 亚马逊東南亞セールΣσςΑΒİẞÀÉ，。「」ＡＢａ\u{3400}\u{20000}]{0,40}"
        ) {
            proptest::prop_assert_eq!(lowercase(&text), text.to_lowercase());
        }
    }

    #[test]
    fn full_width_and_case_fold_to_the_keyword() {
        let c = classifier();
        assert_eq!(slugs(&c, "ＴｉｋＴｏｋ Shop美区大促"), vec!["tiktok"]);
        assert_eq!(slugs(&c, "tiktok shop sellers"), vec!["tiktok"]);
    }

    #[test]
    fn traditional_chinese_folds_to_simplified_when_asked() {
        let c = classifier();
        assert_eq!(slugs(&c, "亞馬遜賣家旺季備貨"), vec!["amazon"]);
        let plain = Classifier::new(
            &[topic("amazon", &["亚马逊"], &[])],
            &ClassifyConfig {
                traditional_to_simplified: false,
                ..ClassifyConfig::default()
            },
        )
        .unwrap();
        assert!(slugs(&plain, "亞馬遜賣家旺季備貨").is_empty());
        assert_eq!(slugs(&plain, "亚马逊卖家"), vec!["amazon"]);
    }

    #[test]
    fn latin_keywords_need_word_boundaries_and_cjk_ones_do_not() {
        let c = classifier();
        assert!(slugs(&c, "Amazonas state floods").is_empty());
        assert!(slugs(&c, "GoTikToker launches").is_empty());
        assert_eq!(slugs(&c, "Amazon's Prime Day"), vec!["amazon"]);
        assert_eq!(slugs(&c, "亚马逊卖家旺季备货"), vec!["amazon"]);
        assert_eq!(slugs(&c, "在Amazon开店"), vec!["amazon"]);
        assert_eq!(slugs(&c, "amazon.com fees"), vec!["amazon"]);
    }

    #[test]
    fn an_overlapping_exclusion_cancels_only_the_words_it_covers() {
        let c = classifier();
        assert!(slugs(&c, "亚马逊雨林再遭砍伐").is_empty());
        assert!(slugs(&c, "Amazon rainforest fires").is_empty());
        // The second 亚马逊 is the company: the exclusion covers only the first.
        assert_eq!(slugs(&c, "亚马逊雨林保护基金获亚马逊捐款"), vec!["amazon"]);
    }

    #[test]
    fn a_separate_exclusion_vetoes_the_topic() {
        let c = classifier();
        assert!(slugs(&c, "巴西亚马逊州洪灾").is_empty());
        assert_eq!(slugs(&c, "亚马逊美国站新规"), vec!["amazon"]);
    }

    #[test]
    fn matches_explain_rule_term_and_field() {
        let c = classifier();
        let m = c.classify(&item("TikTok Shop与抖音电商"), SourceCtx::default());
        let terms: Vec<(&str, &str, &str)> = m[0]
            .matched
            .iter()
            .map(|x| (x.term.as_str(), x.rule.as_str(), x.field.as_str()))
            .collect();
        assert_eq!(
            terms,
            vec![
                ("TikTok", "keyword", "title"),
                ("TikTok Shop", "keyword", "title"),
                ("抖音", "keyword", "title")
            ]
        );
    }

    #[test]
    fn one_mention_deep_in_the_body_is_not_enough_but_several_are() {
        let c = classifier();
        let filler = "物流与仓储的话题。".repeat(40);
        let mut passing = item("旺季备货指南");
        passing.content = Some(format!("<p>{filler}顺便一提，Amazon也有类似规定。</p>"));
        assert!(slugs_of(&c, &passing).is_empty());

        let mut repeated = item("旺季备货指南");
        repeated.content = Some(format!("<p>{filler}Amazon的规定……Amazon的费用……</p>"));
        assert_eq!(slugs_of(&c, &repeated), vec!["amazon"]);

        let mut lead = item("旺季备货指南");
        lead.content = Some(format!("<p>Amazon卖家注意：{filler}</p>"));
        assert_eq!(slugs_of(&c, &lead), vec!["amazon"]);
        assert_eq!(
            c.classify(&lead, SourceCtx::default())[0].matched[0].field,
            "content"
        );

        let mut strict = topic("amazon", &["Amazon"], &[]);
        strict.min_hits = Some(3);
        let c3 = with(vec![strict]);
        assert!(slugs_of(&c3, &repeated).is_empty());
    }

    #[test]
    fn keywords_in_categories_count_as_lead() {
        let c = classifier();
        let mut j = item("物流");
        j.categories = vec!["抖音电商".into()];
        assert_eq!(slugs_of(&c, &j), vec!["tiktok"]);
    }

    #[test]
    fn fields_limit_where_a_topic_looks() {
        let mut t = topic("tiktok", &["TikTok"], &[]);
        t.fields = Fields {
            title: true,
            summary: false,
            content: false,
            categories: false,
        };
        let c = with(vec![t]);
        let mut i = item("海外仓动态");
        i.summary = Some("<p>TikTok sellers</p>".into());
        i.categories = vec!["TikTok".into()];
        assert!(slugs_of(&c, &i).is_empty());
        assert_eq!(slugs(&c, "TikTok news"), vec!["tiktok"]);
    }

    #[test]
    fn all_of_groups_must_each_match() {
        let mut t = topic("tiktok-us", &[], &[]);
        t.all_of = vec![
            strings(&["TikTok", "抖音"]),
            strings(&["美区", "US", "美国"]),
        ];
        let c = with(vec![t]);
        assert_eq!(slugs(&c, "TikTok美区小店新政"), vec!["tiktok-us"]);
        assert_eq!(slugs(&c, "TikTok US shop rules"), vec!["tiktok-us"]);
        assert!(slugs(&c, "TikTok英国站上线").is_empty());
        assert!(slugs(&c, "美国关税新政").is_empty());

        let mut both = topic("amazon-ads", &["Amazon"], &[]);
        both.all_of = vec![strings(&["广告", "ads", "DSP"])];
        let c = with(vec![both]);
        assert_eq!(slugs(&c, "Amazon DSP update"), vec!["amazon-ads"]);
        assert!(slugs(&c, "Amazon fee update").is_empty());
        assert!(slugs(&c, "Google ads update").is_empty());
    }

    #[test]
    fn regexes_match_the_folded_text() {
        let mut t = topic("fba", &[], &[]);
        t.regex = vec![r"\bfba\s*(费用|fees?)".into()];
        let c = with(vec![t]);
        assert_eq!(slugs(&c, "ＦＢＡ费用上调"), vec!["fba"]);
        assert_eq!(slugs(&c, "New FBA fees in 2027"), vec!["fba"]);
        assert!(slugs(&c, "FBA capacity").is_empty());
        let m = c.classify(&item("FBA fee"), SourceCtx::default());
        assert_eq!(m[0].matched[0].rule, "regex");
    }

    #[test]
    fn categories_rule_matches_an_upstream_category() {
        let mut t = topic("policy", &[], &[]);
        t.categories = strings(&["Policy", "政策"]);
        let c = with(vec![t]);
        let mut i = item("新规发布");
        i.categories = vec!["  ＰＯＬＩＣＹ ".into()];
        assert_eq!(slugs_of(&c, &i), vec!["policy"]);
        i.categories = vec!["政策解读".into()];
        assert!(slugs_of(&c, &i).is_empty(), "equality, not containment");
    }

    #[test]
    fn sources_and_source_tags_restrict_a_topic() {
        let mut t = topic("tiktok", &["TikTok"], &[]);
        t.sources = strings(&["tk-news"]);
        t.source_tags = strings(&["短视频"]);
        let c = with(vec![t]);
        let i = item("TikTok Shop update");
        let from = |id: &'static str, tags: &'static [String]| {
            c.classify(&i, SourceCtx { id, tags }).len()
        };
        assert_eq!(from("tk-news", &[]), 1);
        assert_eq!(from("other", &[]), 0);
        static TAGS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| vec!["短視頻".to_owned()]);
        assert_eq!(
            c.classify(
                &i,
                SourceCtx {
                    id: "other",
                    tags: &TAGS
                }
            )
            .len(),
            1
        );
    }

    #[test]
    fn one_word_in_several_topics_counts_for_each() {
        let c = with(vec![
            topic("a", &["Temu"], &[]),
            topic("b", &["temu", "拼多多"], &["Temu river"]),
        ]);
        assert_eq!(slugs(&c, "Temu expands"), vec!["a", "b"]);
        assert_eq!(slugs(&c, "The Temu river"), vec!["a"]);
    }
}

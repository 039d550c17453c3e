//! Topic matching: one Aho-Corasick automaton over every topic's keywords and exclusions,
//! run on text folded the same way as the keywords (Unicode NFKC, lowercase), so ＴｉｋＴｏｋ
//! matches TikTok. Latin keywords match on word boundaries (Amazon, not Amazonas); CJK keywords
//! match inside unsegmented text (亚马逊 in 亚马逊卖家).

use aho_corasick::{AhoCorasick, MatchKind};
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::config::TopicConfig;
use crate::domain::{Item, TopicMatch};
use crate::text::text_of_sanitized;

#[derive(Debug, thiserror::Error)]
#[error("cannot build the topic matcher: {0}")]
pub struct ClassifyError(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Keyword,
    Exclude,
}

#[derive(Debug, Clone)]
struct Pattern {
    topic: usize,
    role: Role,
    /// As written in the configuration, for explaining a match.
    original: String,
    /// Whether the pattern starts/ends with a word character that needs a boundary.
    bound_start: bool,
    bound_end: bool,
}

/// Sorts items into the configured topics.
#[derive(Debug, Clone)]
pub struct Classifier {
    slugs: Vec<String>,
    patterns: Vec<Pattern>,
    automaton: Option<AhoCorasick>,
}

impl Classifier {
    /// Compile the rules of `topics` into one automaton.
    pub fn new(topics: &[TopicConfig]) -> Result<Self, ClassifyError> {
        let mut folded = Vec::new();
        let mut patterns = Vec::new();
        for (topic, t) in topics.iter().enumerate() {
            let roles = t
                .keywords
                .iter()
                .map(|k| (k, Role::Keyword))
                .chain(t.exclude.iter().map(|k| (k, Role::Exclude)));
            for (word, role) in roles {
                let f = fold(word);
                if f.is_empty() {
                    continue;
                }
                patterns.push(Pattern {
                    topic,
                    role,
                    original: word.clone(),
                    bound_start: f.chars().next().is_some_and(is_word_char),
                    bound_end: f.chars().next_back().is_some_and(is_word_char),
                });
                folded.push(f);
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
            slugs: topics.iter().map(|t| t.slug.to_string()).collect(),
            patterns,
            automaton,
        })
    }

    /// The topics `item` belongs to, in configuration order, each with the keywords that
    /// matched. A topic with a matching exclusion is vetoed.
    pub fn classify(&self, item: &Item) -> Vec<TopicMatch> {
        let Some(ac) = &self.automaton else {
            return Vec::new();
        };
        let mut hits: Vec<Vec<&str>> = vec![Vec::new(); self.slugs.len()];
        let mut vetoed = vec![false; self.slugs.len()];
        for text in fields(item) {
            let text = fold(&text);
            for m in ac.find_overlapping_iter(&text) {
                let p = &self.patterns[m.pattern().as_usize()];
                if !at_boundaries(&text, m.start(), m.end(), p) {
                    continue;
                }
                match p.role {
                    Role::Exclude => vetoed[p.topic] = true,
                    Role::Keyword => {
                        if !hits[p.topic].contains(&p.original.as_str()) {
                            hits[p.topic].push(&p.original);
                        }
                    }
                }
            }
        }
        hits.into_iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !vetoed[*i])
            .map(|(i, h)| TopicMatch {
                slug: self.slugs[i].clone(),
                matched: h.into_iter().map(String::from).collect(),
            })
            .collect()
    }
}

/// The texts a topic is looked for in: title, summary, content and categories.
fn fields(item: &Item) -> Vec<String> {
    let mut out = Vec::with_capacity(3 + item.categories.len());
    out.extend(item.title.clone());
    out.extend(item.summary.as_deref().map(text_of_sanitized));
    out.extend(item.content.as_deref().map(text_of_sanitized));
    out.extend(item.categories.iter().cloned());
    out
}

/// Fold text for matching: NFKC (full-width to ASCII, compatibility forms) and lowercase.
/// Most text is already in NFKC (all ASCII is), so the normalization pass is skipped when a
/// quick check says so.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => text.to_lowercase(),
        _ => text.nfkc().collect::<String>().to_lowercase(),
    }
}

/// A character that belongs to a Latin-script word; CJK characters are never boundaries'
/// concern because CJK text has no spaces.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{2E80}'..='\u{2FDF}' | '\u{3040}'..='\u{30FF}' | '\u{3100}'..='\u{312F}'
        | '\u{3190}'..='\u{31FF}' | '\u{3400}'..='\u{4DBF}' | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7AF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
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

    fn topic(slug: &str, keywords: &[&str], exclude: &[&str]) -> TopicConfig {
        TopicConfig {
            slug: TopicSlug::parse(slug).unwrap(),
            title: slug.into(),
            description: None,
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            exclude: exclude.iter().map(|s| s.to_string()).collect(),
        }
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
        }
    }

    fn slugs(c: &Classifier, title: &str) -> Vec<String> {
        c.classify(&item(title))
            .into_iter()
            .map(|m| m.slug)
            .collect()
    }

    fn classifier() -> Classifier {
        Classifier::new(&[
            topic("tiktok", &["TikTok", "抖音", "TikTok Shop"], &[]),
            topic(
                "amazon",
                &["Amazon", "亚马逊"],
                &["亚马逊雨林", "Amazon rainforest"],
            ),
        ])
        .unwrap()
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
    fn full_width_and_case_fold_to_the_keyword() {
        let c = classifier();
        assert_eq!(slugs(&c, "ＴｉｋＴｏｋ Shop美区大促"), vec!["tiktok"]);
        assert_eq!(slugs(&c, "tiktok shop sellers"), vec!["tiktok"]);
    }

    #[test]
    fn latin_keywords_need_word_boundaries_and_cjk_ones_do_not() {
        let c = classifier();
        assert!(slugs(&c, "Amazonas state floods").is_empty());
        assert_eq!(slugs(&c, "Amazon's Prime Day"), vec!["amazon"]);
        assert_eq!(slugs(&c, "亚马逊卖家旺季备货"), vec!["amazon"]);
        assert_eq!(slugs(&c, "在Amazon开店"), vec!["amazon"]);
    }

    #[test]
    fn exclusions_veto_a_topic_and_matches_explain_themselves() {
        let c = classifier();
        assert!(slugs(&c, "亚马逊雨林再遭砍伐").is_empty());
        let m = c.classify(&item("TikTok Shop与抖音电商"));
        assert_eq!(
            m[0].matched,
            vec![
                "TikTok".to_owned(),
                "TikTok Shop".to_owned(),
                "抖音".to_owned()
            ]
        );
    }

    #[test]
    fn keywords_in_content_and_categories_count() {
        let c = classifier();
        let mut i = item("旺季备货指南");
        i.content = Some("<p>Lazada and <b>Amazon</b> sellers</p>".into());
        assert_eq!(c.classify(&i)[0].slug, "amazon");
        let mut j = item("物流");
        j.categories = vec!["抖音电商".into()];
        assert_eq!(c.classify(&j)[0].slug, "tiktok");
    }
}

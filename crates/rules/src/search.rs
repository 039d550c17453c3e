//! Chinese-aware search, the pure part: the tokens an item is indexed under, a query parsed
//! into what must match, and highlighted snippets. The store runs the queries.
//!
//! Chinese has no spaces between words, and a word-segmenter's guesses at index time and at
//! query time can disagree ("美区开放" may come out as 美/区/开放 in an article and 美区 in a
//! query). So a run of CJK text is indexed three ways: each character, each pair of adjacent
//! characters, and the longer words jieba finds (`cut_for_search`). A query is segmented by
//! jieba too, and a word matches when the article holds it as a word or holds all its
//! character pairs: one- and two-character queries (物流, 跨境) find every article that
//! contains them, and longer words still rank higher where jieba agrees. Latin words are
//! folded (case, full-width forms) and indexed whole.

use crate::text::is_cjk;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// The most terms a query may have after segmentation.
const MAX_TERMS: usize = 16;
/// Characters of an item's text (after the title) that are indexed.
pub const BODY_CHARS: usize = 6000;
/// Longer "words" (hashes, base64, run-together URLs) are not worth indexing.
const MAX_TOKEN_CHARS: usize = 40;

/// Function words dropped from a query that has other terms (they would only narrow it).
const STOP_WORDS: &[&str] = &[
    "的", "了", "和", "与", "及", "在", "是", "a", "an", "and", "for", "in", "of", "on", "or",
    "the", "to", "with",
];

/// A function word (的, the, …): ignored by similarity, dropped from queries with other words.
pub fn is_stop_word(word: &str) -> bool {
    STOP_WORDS.contains(&word)
}

/// One character folded for matching: full-width ASCII forms to ASCII, the ideographic space
/// to a space, lower case. Always one character for one, so positions carry over.
pub fn fold_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    };
    if c.is_ascii() {
        c.to_ascii_lowercase()
    } else {
        let mut lower = c.to_lowercase();
        match (lower.next(), lower.next()) {
            (Some(l), None) => l,
            _ => c,
        }
    }
}

/// A query as it is counted for trending and shown back: folded, whitespace collapsed.
pub fn normalize_query(raw: &str) -> String {
    let folded: String = raw.chars().map(fold_char).collect();
    crate::text::fold_whitespace(&folded)
}

/// A run of text of one kind.
#[derive(Debug, PartialEq, Eq)]
enum Run {
    /// Letters and digits of spaced scripts (Latin, Cyrillic, …), folded.
    Word(String),
    /// CJK characters.
    Cjk(String),
}

/// Split folded text into runs; everything else (spaces, punctuation, symbols) separates.
fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut cjk = false;
    let flush = |current: &mut String, cjk: bool, out: &mut Vec<Run>| {
        if !current.is_empty() {
            let s = std::mem::take(current);
            out.push(if cjk { Run::Cjk(s) } else { Run::Word(s) });
        }
    };
    for c in text.chars().map(fold_char) {
        if is_cjk(c) {
            if !cjk {
                flush(&mut current, cjk, &mut out);
                cjk = true;
            }
            current.push(c);
        } else if c.is_alphanumeric() {
            if cjk {
                flush(&mut current, cjk, &mut out);
                cjk = false;
            }
            current.push(c);
        } else {
            flush(&mut current, cjk, &mut out);
        }
    }
    flush(&mut current, cjk, &mut out);
    out
}

/// The tokens `text` is indexed under (see the module documentation), in text order, repeats
/// kept (they count for relevance).
pub fn index_tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for run in runs(text) {
        match run {
            Run::Word(w) => {
                if w.chars().count() <= MAX_TOKEN_CHARS {
                    out.push(w);
                }
            }
            Run::Cjk(s) => {
                let chars: Vec<char> = s.chars().collect();
                for (i, c) in chars.iter().enumerate() {
                    out.push(c.to_string());
                    if let Some(next) = chars.get(i + 1) {
                        out.push([*c, *next].iter().collect());
                    }
                }
                if chars.len() > 2 {
                    let (jieba, _) = crate::tags::jieba();
                    for token in jieba.cut_for_search(&s, true) {
                        if token.word.chars().count() > 2 {
                            out.push(token.word.to_owned());
                        }
                    }
                }
            }
        }
    }
    out
}

/// The title's and the body's tokens for an item; the body is cut at [`BODY_CHARS`].
pub fn item_tokens(title: &str, body: &str) -> (Vec<String>, Vec<String>) {
    let body: String = body.chars().take(BODY_CHARS).collect();
    (index_tokens(title), index_tokens(&body))
}

/// One thing a query asks for: found when any of `any_of` is, where each alternative is a set
/// of tokens that must all be present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    /// The word as the query has it (folded): what snippets highlight.
    pub text: String,
    pub any_of: Vec<Vec<String>>,
}

/// A parsed search query: every term must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The query folded and with whitespace collapsed (how trending counts it).
    pub normalized: String,
    pub terms: Vec<Term>,
    /// Any term is enough (for finding related items), rather than every term.
    pub match_any: bool,
}

/// Why a query was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("the query is empty")]
    Empty,
    #[error("the query is {0} characters long; at most {MAX_QUERY_CHARS} are allowed")]
    TooLong(usize),
    #[error("the query has no letters, digits or CJK characters to search for")]
    NothingToSearch,
    #[error("the query has {0} words; at most {MAX_TERMS} are allowed")]
    TooManyTerms(usize),
}

/// Parse what a user typed. Latin words must appear whole; a CJK run is segmented by jieba
/// and each word must appear as a word or as all of its character pairs.
pub fn parse_query(raw: &str) -> Result<Query, QueryError> {
    let normalized = normalize_query(raw);
    if normalized.is_empty() {
        return Err(QueryError::Empty);
    }
    let length = normalized.chars().count();
    if length > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(length));
    }
    let mut words: Vec<String> = Vec::new();
    for run in runs(&normalized) {
        match run {
            Run::Word(w) => words.push(w),
            Run::Cjk(s) if s.chars().count() <= 2 => words.push(s),
            Run::Cjk(s) => {
                let (jieba, _) = crate::tags::jieba();
                let cut: Vec<String> = jieba
                    .cut_for_search(&s, true)
                    .into_iter()
                    .map(|t| t.word.to_owned())
                    .collect();
                // cut_for_search also gives the parts of long words; a part adds nothing
                // the whole word does not already require.
                for w in &cut {
                    if !cut
                        .iter()
                        .any(|o| o.len() > w.len() && o.contains(w.as_str()))
                    {
                        words.push(w.clone());
                    }
                }
            }
        }
    }
    if words.is_empty() {
        return Err(QueryError::NothingToSearch);
    }
    let mut seen = std::collections::HashSet::new();
    words.retain(|w| seen.insert(w.clone()));
    if words.iter().any(|w| !STOP_WORDS.contains(&w.as_str())) {
        words.retain(|w| !STOP_WORDS.contains(&w.as_str()));
    }
    if words.len() > MAX_TERMS {
        return Err(QueryError::TooManyTerms(words.len()));
    }
    let terms = words
        .into_iter()
        .map(|w| {
            let chars: Vec<char> = w.chars().collect();
            let any_of = if chars.len() > 2 && chars.iter().all(|c| is_cjk(*c)) {
                let pairs = chars.windows(2).map(|p| p.iter().collect()).collect();
                vec![vec![w.clone()], pairs]
            } else {
                vec![vec![w.clone()]]
            };
            Term { text: w, any_of }
        })
        .collect();
    Ok(Query {
        normalized,
        terms,
        match_any: false,
    })
}

impl Query {
    /// The query as Postgres `tsquery` text; lexemes are quoted, so they are taken verbatim.
    pub fn to_tsquery(&self) -> String {
        let quote = |t: &str| format!("'{}'", t.replace('\\', "\\\\").replace('\'', "''"));
        self.join(" & ", " | ", quote)
    }

    /// The query in SQLite FTS5 syntax; every token is a quoted string.
    pub fn to_fts5(&self) -> String {
        let quote = |t: &str| format!("\"{}\"", t.replace('"', "\"\""));
        self.join(" AND ", " OR ", quote)
    }

    fn join(&self, and: &str, or: &str, quote: impl Fn(&str) -> String) -> String {
        let between_terms = if self.match_any { or } else { and };
        self.terms
            .iter()
            .map(|term| {
                let alternatives: Vec<String> = term
                    .any_of
                    .iter()
                    .map(|all| {
                        let parts: Vec<String> = all.iter().map(|t| quote(t)).collect();
                        format!("({})", parts.join(and))
                    })
                    .collect();
                format!("({})", alternatives.join(or))
            })
            .collect::<Vec<_>>()
            .join(between_terms)
    }

    /// A query matching items that share any of `words` (already folded tokens), for finding
    /// related items; None when there are none.
    pub fn any_of(words: &[String]) -> Option<Query> {
        if words.is_empty() {
            return None;
        }
        Some(Query {
            normalized: words.join(" "),
            terms: words
                .iter()
                .map(|w| Term {
                    text: w.clone(),
                    any_of: vec![vec![w.clone()]],
                })
                .collect(),
            match_any: true,
        })
    }

    /// What to highlight, longest first: each term's text, and the character pairs of long
    /// CJK words (which may match only in parts).
    fn needles(&self) -> Vec<Vec<char>> {
        let mut out: Vec<Vec<char>> = Vec::new();
        for term in &self.terms {
            for all in &term.any_of {
                for t in all {
                    let chars: Vec<char> = t.chars().collect();
                    if !out.contains(&chars) {
                        out.push(chars);
                    }
                }
            }
        }
        out.sort_by_key(|n| std::cmp::Reverse(n.len()));
        out
    }
}

/// Where the query's words occur in `text`, as character ranges that do not overlap. A Latin
/// word matches only whole ("shop" not inside "shopee"); CJK matches anywhere.
fn hits(text: &[char], needles: &[Vec<char>]) -> Vec<(usize, usize)> {
    let folded: Vec<char> = text.iter().map(|c| fold_char(*c)).collect();
    let word_char = |i: usize| {
        folded
            .get(i)
            .is_some_and(|c| c.is_alphanumeric() && !is_cjk(*c))
    };
    let mut out = Vec::new();
    let mut i = 0;
    while i < folded.len() {
        let found = needles.iter().find(|n| {
            folded[i..].starts_with(n) && {
                let latin = n.iter().all(|c| !is_cjk(*c));
                !latin || ((i == 0 || !word_char(i - 1)) && !word_char(i + n.len()))
            }
        });
        match found {
            Some(n) => {
                out.push((i, i + n.len()));
                i += n.len();
            }
            None => i += 1,
        }
    }
    out
}

/// `text` as HTML with the query's words in `<mark>`; everything else escaped.
pub fn highlight(text: &str, query: &Query) -> String {
    let chars: Vec<char> = text.chars().collect();
    mark(&chars, &hits(&chars, &query.needles()))
}

fn mark(chars: &[char], hits: &[(usize, usize)]) -> String {
    let mut out = String::new();
    let mut at = 0;
    let escaped = |s: &[char]| html_escape::encode_text(&s.iter().collect::<String>()).into_owned();
    for &(start, end) in hits {
        out.push_str(&escaped(&chars[at..start]));
        out.push_str("<mark>");
        out.push_str(&escaped(&chars[start..end]));
        out.push_str("</mark>");
        at = end;
    }
    out.push_str(&escaped(&chars[at..]));
    out
}

/// About `width` characters of `text` around the first place the query matches, as HTML
/// with the matches in `<mark>` and "…" where text was cut; the start of the text when
/// nothing matches.
pub fn snippet(text: &str, query: &Query, width: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    let all = hits(&chars, &query.needles());
    // Start a little before the first match, at a word boundary when one is near.
    let mut start = all.first().map_or(0, |h| h.0.saturating_sub(width / 4));
    if start > 0 {
        let back = chars[..start]
            .iter()
            .rev()
            .take(12)
            .position(|c| c.is_whitespace() || matches!(c, '，' | '。' | '；' | '、'));
        if let Some(b) = back {
            start -= b;
        }
    }
    let end = (start + width).min(chars.len());
    let window: Vec<(usize, usize)> = all
        .iter()
        .filter(|h| h.0 >= start && h.1 <= end)
        .map(|h| (h.0 - start, h.1 - start))
        .collect();
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(mark(&chars[start..end], &window).trim());
    if end < chars.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_handles_width_case_and_the_ideographic_space() {
        assert_eq!(
            normalize_query("  ＴｉｋＴｏｋ\u{3000}Shop   美区 "),
            "tiktok shop 美区"
        );
    }

    #[test]
    fn cjk_runs_are_indexed_by_character_pair_and_word() {
        let tokens = index_tokens("TikTok Shop美区物流");
        for t in ["tiktok", "shop", "美", "美区", "区物", "物流", "流"] {
            assert!(
                tokens.contains(&t.to_owned()),
                "{t} missing from {tokens:?}"
            );
        }
        // jieba's longer words are there too.
        let tokens = index_tokens("亚马逊发布电子商务新规");
        for t in ["亚马逊", "电子商务"] {
            assert!(
                tokens.contains(&t.to_owned()),
                "{t} missing from {tokens:?}"
            );
        }
    }

    #[test]
    fn overlong_runs_of_letters_are_not_indexed() {
        let long = "x".repeat(MAX_TOKEN_CHARS + 1);
        assert_eq!(index_tokens(&format!("ok {long}")), vec!["ok".to_owned()]);
    }

    #[test]
    fn queries_are_segmented_and_refused_when_empty_or_long() {
        let q = parse_query("TikTok Shop 美区").unwrap();
        let texts: Vec<&str> = q.terms.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["tiktok", "shop", "美区"]);
        assert_eq!(parse_query("   "), Err(QueryError::Empty));
        assert_eq!(parse_query("？！…"), Err(QueryError::NothingToSearch));
        assert!(matches!(
            parse_query(&"物".repeat(101)),
            Err(QueryError::TooLong(101))
        ));
        // A three-character word may match whole or by its pairs.
        let q = parse_query("亚马逊").unwrap();
        assert_eq!(
            q.terms[0].any_of[1],
            vec!["亚马".to_owned(), "马逊".to_owned()]
        );
        assert_eq!(q.to_fts5(), r#"(("亚马逊") OR ("亚马" AND "马逊"))"#);
        assert_eq!(q.to_tsquery(), "(('亚马逊') | ('亚马' & '马逊'))");
    }

    #[test]
    fn stop_words_go_unless_they_are_all_there_is() {
        let q = parse_query("the Amazon").unwrap();
        assert_eq!(q.terms.len(), 1);
        assert_eq!(parse_query("the").unwrap().terms[0].text, "the");
    }

    #[test]
    fn quotes_cannot_escape_the_query_syntax() {
        let q = Query {
            match_any: false,
            normalized: String::new(),
            terms: vec![Term {
                text: "x".into(),
                any_of: vec![vec![r#"a"b'c\"#.into()]],
            }],
        };
        assert_eq!(q.to_fts5(), r#"(("a""b'c\"))"#);
        assert_eq!(q.to_tsquery(), r#"(('a"b''c\\'))"#);
    }

    #[test]
    fn snippets_mark_matches_escape_text_and_cut_around_the_first_hit() {
        let q = parse_query("物流 shop").unwrap();
        let text = format!(
            "{}TikTok Shop<b>美区</b>物流新规出台，shopee 不受影响",
            "开头".repeat(40)
        );
        let s = snippet(&text, &q, 40);
        assert!(s.starts_with('…'), "{s}");
        assert!(
            s.contains("<mark>Shop</mark>&lt;b&gt;美区&lt;/b&gt;<mark>物流</mark>"),
            "{s}"
        );
        assert!(
            !s.contains("<mark>shop</mark>ee"),
            "a whole-word match only: {s}"
        );
        assert_eq!(highlight("Amazon 物流", &q), "Amazon <mark>物流</mark>");
    }
}

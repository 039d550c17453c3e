//! Folding text for matching, as topics, tags, duplicate signatures and search read it: Unicode
//! NFKC (full-width to ASCII, compatibility forms), lowercase, and optionally Traditional to
//! Simplified Chinese; fast over Chinese text, which it mostly leaves alone.

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

use crate::domain::{Item, PlainText};
use crate::text::is_cjk;

/// Folds text for matching: NFKC (full-width to ASCII, compatibility forms), lowercase, and
/// optionally Traditional→Simplified Chinese.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Folder {
    pub t2s: bool,
}

/// An item's title and plain-text summary and content, folded: worked out once per item for
/// the stages that read them folded (topic matching, duplicate signatures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Folded {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub content: Option<String>,
}

impl Folded {
    pub fn of(item: &Item, plain: &PlainText, folder: Folder) -> Self {
        Self {
            title: item.title.as_deref().map(|t| folder.fold(t)),
            summary: plain.summary.as_deref().map(|t| folder.fold(t)),
            content: plain.content.as_deref().map(|t| folder.fold(t)),
        }
    }
}

impl Folder {
    pub fn fold(&self, text: &str) -> String {
        let folded = fold(text);
        if self.t2s && folded.chars().any(is_cjk) {
            fast2s::convert(&folded)
        } else {
            folded
        }
    }
}

/// Fold text for matching: NFKC (full-width to ASCII, compatibility forms) and lowercase.
///
/// Chinese text is mostly ideographs, which both steps leave alone and which nothing around
/// them changes (no decomposition, no composition, no case): they are copied as they are, and
/// only the runs between them (punctuation, Latin words, full-width forms) are normalized and
/// lowercased, each run skipping normalization when a quick check says it is in NFKC already.
/// The result is the same as folding the whole text at once.
pub fn fold(text: &str) -> String {
    if text.is_ascii() {
        return text.to_ascii_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    let mut run = None;
    for (i, c) in text.char_indices() {
        if is_inert(c) {
            if let Some(start) = run.take() {
                fold_run(&text[start..i], &mut out);
            }
            out.push(c);
        } else if run.is_none() {
            run = Some(i);
        }
    }
    if let Some(start) = run {
        fold_run(&text[start..], &mut out);
    }
    out
}

/// Characters that folding leaves as they are whatever surrounds them: CJK ideographs
/// (unified and extension A) and common CJK punctuation that has no compatibility form.
pub(crate) fn is_inert(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}'
        | '\u{3001}' | '\u{3002}' | '\u{3008}'..='\u{3011}' | '\u{2018}' | '\u{2019}'
        | '\u{201C}' | '\u{201D}')
}

fn fold_run(run: &str, out: &mut String) {
    if run.is_ascii() {
        out.extend(run.chars().map(|c| c.to_ascii_lowercase()));
        return;
    }
    match is_nfkc_quick(run.chars()) {
        IsNormalized::Yes => out.push_str(&lowercase(run)),
        _ => out.push_str(&lowercase(&run.nfkc().collect::<String>())),
    }
}

/// `str::to_lowercase`, with the characters that have no case (ASCII aside, most of what
/// crossfeed folds is Chinese) copied without a table lookup each. Capital sigma is the one
/// character whose lowercase depends on its neighbours; text with it goes to the standard
/// library whole.
pub(crate) fn lowercase(text: &str) -> String {
    if text.contains('Σ') {
        return text.to_lowercase();
    }
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else if is_cjk(c) || ('\u{3000}'..='\u{303F}').contains(&c) {
            out.push(c);
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

//! An item's language: from the item, else the feed, else told from its text when that is sure.

/// ISO 639-3 codes whatlang reports, and the ISO 639-1 codes feeds use for them.
pub(super) const LANGUAGE_CODES: &[(&str, &str)] = &[
    ("cmn", "zh"),
    ("eng", "en"),
    ("jpn", "ja"),
    ("kor", "ko"),
    ("vie", "vi"),
    ("tha", "th"),
    ("ind", "id"),
    ("spa", "es"),
    ("por", "pt"),
    ("fra", "fr"),
    ("deu", "de"),
    ("rus", "ru"),
    ("ita", "it"),
    ("nld", "nl"),
    ("pol", "pl"),
    ("tur", "tr"),
    ("ara", "ar"),
    ("ukr", "uk"),
    ("hin", "hi"),
    ("tgl", "tl"),
    ("heb", "he"),
    ("swe", "sv"),
    ("dan", "da"),
    ("fin", "fi"),
];

/// The language of an item that does not say, when the text is long enough for whatlang to be
/// sure; `None` rather than a guess.
pub(super) fn detect_language(title: Option<&str>, body_text: Option<&str>) -> Option<String> {
    // The title and the start of the text say which language an item is in. Scripts with
    // one main language are told by counting characters; whatlang's trigram scoring (slow:
    // it was most of ingest's CPU time on whole articles) only sees a short Latin sample.
    let title = title.unwrap_or_default();
    let body = body_text.unwrap_or_default();
    let text = || {
        title
            .chars()
            .chain(body_text.map(|_| ' '))
            .chain(body.chars().take(DETECT_CHARS))
    };
    let (mut letters, mut han, mut kana, mut hangul, mut thai) = (0usize, 0, 0, 0, 0);
    for c in text().filter(|c| c.is_alphabetic()) {
        letters += 1;
        match c {
            '\u{3040}'..='\u{30FF}' | '\u{31F0}'..='\u{31FF}' => kana += 1,
            '\u{AC00}'..='\u{D7AF}' | '\u{1100}'..='\u{11FF}' => hangul += 1,
            '\u{0E00}'..='\u{0E7F}' => thai += 1,
            c if crate::text::is_cjk(c) => han += 1,
            _ => {}
        }
    }
    // A CJK character carries a word's worth of meaning: a fifth of the letters is a lot.
    let share = |n: usize| n > 0 && n * 5 >= letters;
    if share(kana) {
        return Some("ja".into());
    }
    if share(hangul) {
        return Some("ko".into());
    }
    if share(han) {
        return Some("zh".into());
    }
    if share(thai) {
        return Some("th".into());
    }
    let sample: String = text().take(WHATLANG_CHARS).collect();
    if looks_english(&sample) {
        return Some("en".into());
    }
    let info = detector().detect(&sample)?;
    if !info.is_reliable() {
        return None;
    }
    let code = info.lang().code();
    LANGUAGE_CODES
        .iter()
        .find(|(three, _)| *three == code)
        .map(|(_, two)| (*two).to_owned())
}

/// English function words: three different ones, "the" or "and" among them, say English more
/// cheaply than trigram scoring (which was up to two fifths of parse time). Other languages
/// share a few of the short ones ("in", "was", "will" in German; "on" in French) but never "the"
/// or "and". Text that gets here has no script share that decided it (a Chinese paragraph
/// would have): English with a few Chinese names in it is English.
pub(super) const ENGLISH_WORDS: &[&str] = &[
    "the", "and", "of", "to", "in", "for", "is", "on", "with", "that", "by", "from", "at", "as",
    "are", "was", "will", "its", "this", "has", "have", "said", "their", "more", "than",
];

pub(super) fn looks_english(sample: &str) -> bool {
    let mut seen: Vec<&str> = Vec::new();
    for word in sample
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| (2..=5).contains(&w.len()))
    {
        let lower = word.to_ascii_lowercase();
        if let Some(w) = ENGLISH_WORDS.iter().find(|w| **w == lower)
            && !seen.contains(w)
        {
            seen.push(w);
            if seen.len() >= 3 && seen.iter().any(|w| matches!(*w, "the" | "and")) {
                return true;
            }
        }
    }
    false
}

/// Characters of an item's text language detection reads (besides the title), and how many of
/// them whatlang scores.
pub(super) const DETECT_CHARS: usize = 200;

pub(super) const WHATLANG_CHARS: usize = 160;

/// whatlang limited to the languages we can name, built once.
pub(super) fn detector() -> &'static whatlang::Detector {
    static DETECTOR: std::sync::OnceLock<whatlang::Detector> = std::sync::OnceLock::new();
    DETECTOR.get_or_init(|| {
        whatlang::Detector::with_allowlist(
            LANGUAGE_CODES
                .iter()
                .filter_map(|(three, _)| whatlang::Lang::from_code(*three))
                .collect(),
        )
    })
}

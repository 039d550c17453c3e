//! Near-duplicate detection: the same story reposted by several sources becomes one cluster.
//!
//! Two items are the same story when their canonical links are equal (tracking parameters
//! such as `utm_*` removed, `http`/`https` and `www.` ignored) — a sure match — or when their
//! texts are alike enough (`dedupe.threshold`): the Jaccard similarity of their character
//! 4-grams, or, where one text is shorter, the share of it found in the other (see
//! [`Signature::likeness`]). Text is folded the way topics fold (NFKC, lowercase,
//! Traditional→Simplified) with everything but letters and digits dropped, so it works on
//! unsegmented Chinese and on English alike. The text is the start of the body (reposts copy
//! it; their headlines are often reworded), or the title too when an item has next to no body.
//! Similarity is estimated with one-permutation MinHash sketches of the body's start and of
//! its first lines; candidates are found through their bands, which the store indexes, and
//! [`assign`] decides which story each new item joins.

pub mod assign;

pub use assign::assign;

use url::Url;

use crate::domain::Item;
pub use crate::domain::Signature;
use crate::domain::signature::{LEAD_LEN, SIGNATURE_LEN, Sketch, mix};
use crate::fold::{Folded, Folder};

/// Query parameters that only say where a click came from.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "msclkid",
    "yclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "spm",
    "scm",
    "from",
    "share",
    "share_source",
    "share_medium",
    "share_token",
    "ref",
    "ref_src",
    "ref_url",
    "_hsenc",
    "_hsmi",
    "cmpid",
    "wt_mc",
    "wtmc",
    "ncid",
    "sr_share",
    "s_cid",
    "at_medium",
    "at_campaign",
    "source",
    "feed",
    "rss",
    "isappinstalled",
    "timestamp",
    "tt_from",
    "wxshare",
];

/// The link with what does not identify the article removed: scheme (http = https), a leading
/// `www.`, the fragment, tracking parameters, a trailing slash; remaining parameters sorted.
pub fn canonical_link(link: &str) -> Option<String> {
    let url = Url::parse(link).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let host = url.host_str()?.to_ascii_lowercase();
    let host = host.strip_prefix("www.").unwrap_or(&host);
    let mut params: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
        })
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    params.sort();
    let path = url.path();
    let path = if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        ""
    };
    let mut out = format!("//{host}");
    if let Some(port) = url.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(path);
    if !params.is_empty() {
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push('?');
        out.push_str(&query.join("&"));
    }
    Some(out)
}

/// Characters of the body that go into the signature: the start of a story is what reposts
/// share; their endings differ (bylines, related links, boilerplate).
const TEXT_CHARS: usize = 600;

/// Characters at the start of the signed text that the lead sketch covers: about what a feed's
/// summary of an article holds.
const LEAD_CHARS: usize = 160;

/// Below this many letters and digits the body says too little, and the title is used too.
const MIN_BODY: usize = 40;

/// How many times a shingle with a digit counts.
const DIGIT_WEIGHT: u64 = 3;

/// Shingle length in characters.
const SHINGLE: usize = 4;

/// The MinHash signature of an item's title and plain text; None when there are fewer than eight
/// shingles to go on.
pub fn signature(folder: Folder, title: &str, text: &str) -> Option<Signature> {
    signature_of_folded(&folder.fold(title), &folder.fold(text))
}

/// [`signature`] of a title and text already folded (by the classifier's [`Folder`]): what
/// ingest uses, with the text it folded for topic matching.
pub fn signature_of_folded(title: &str, text: &str) -> Option<Signature> {
    // The letters and digits signed, as UTF-8 (each shingle is hashed over its bytes), and how
    // many there are.
    let mut signed = String::with_capacity(TEXT_CHARS * 3);
    let mut count = 0;
    for c in text.chars().take(TEXT_CHARS).filter(|&c| signable(c)) {
        signed.push(c);
        count += 1;
    }
    if count < MIN_BODY {
        let mut with_title = String::with_capacity(signed.len() + title.len());
        for c in title.chars().filter(|&c| signable(c)) {
            with_title.push(c);
            count += 1;
        }
        with_title.push_str(&signed);
        signed = with_title;
    }
    if count < SHINGLE + 7 {
        return None;
    }
    let bounds: Vec<usize> = signed
        .char_indices()
        .map(|(i, _)| i)
        .chain(std::iter::once(signed.len()))
        .collect();
    let mut body = Sketcher::<SIGNATURE_LEN>::new();
    let mut lead = Sketcher::<LEAD_LEN>::new();
    for (start, window) in bounds.windows(SHINGLE + 1).enumerate() {
        let gram = &signed.as_bytes()[window[0]..window[SHINGLE]];
        // Numbers tell template stories apart (today's exchange rate, this week's freight
        // index): shingles with a digit weigh more, as several salted copies. (An ASCII digit's
        // byte never occurs inside another character's UTF-8.)
        let copies = if gram.iter().any(u8::is_ascii_digit) {
            DIGIT_WEIGHT
        } else {
            1
        };
        let in_lead = start + SHINGLE <= LEAD_CHARS;
        let base = hash_gram(gram);
        for copy in 0..copies {
            let h = if copy == 0 { base } else { mix(base ^ copy) };
            body.add(h);
            if in_lead {
                lead.add(h);
            }
        }
    }
    Some(Signature {
        body: body.finish()?,
        lead: lead.finish(),
    })
}

/// One-permutation MinHash: each shingle's hash picks one of the `N` bins (its top bits) and
/// competes for its minimum (the low 32 bits); empty bins borrow from the next filled one
/// (rotation densification). One hash per shingle instead of `N`.
struct Sketcher<const N: usize> {
    mins: [u32; N],
    filled: [bool; N],
    size: u32,
}

impl<const N: usize> Sketcher<N> {
    const BIN_SHIFT: u32 = 64 - N.ilog2();

    fn new() -> Self {
        Self {
            mins: [u32::MAX; N],
            filled: [false; N],
            size: 0,
        }
    }

    fn add(&mut self, h: u64) {
        let bin = (h >> Self::BIN_SHIFT) as usize;
        let v = h as u32;
        if v < self.mins[bin] {
            self.mins[bin] = v;
        }
        self.filled[bin] = true;
        self.size = self.size.saturating_add(1);
    }

    /// The sketch; None when no shingle was added. Signatures are stored: the values must never
    /// change for the same text.
    fn finish(self) -> Option<Sketch<N>> {
        let mut out = self.mins;
        for (i, value) in out.iter_mut().enumerate() {
            if self.filled[i] {
                continue;
            }
            let step = (1..N).find(|d| self.filled[(i + d) % N])?;
            let from = self.mins[(i + step) % N];
            *value = (mix(u64::from(from) ^ (step as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
                >> 32) as u32;
        }
        Some(Sketch {
            values: out,
            size: Some(self.size),
        })
    }
}

/// What clustering needs of an item: its canonical link and the signature of its text (the
/// start of the content, else the summary, and the title), from the item's text folded (see
/// [`Folded`]).
pub fn fingerprint(item: &Item, folded: &Folded) -> (Option<String>, Option<Signature>) {
    let text = folded
        .content
        .as_deref()
        .or(folded.summary.as_deref())
        .unwrap_or_default();
    (
        item.link.as_deref().and_then(canonical_link),
        signature_of_folded(folded.title.as_deref().unwrap_or(""), text),
    )
}

/// Whether a character goes into a signature: a letter or a digit. ASCII and the CJK
/// ideographs (all letters) are decided without Unicode's tables.
fn signable(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}') || c.is_alphanumeric()
    }
}

/// A stable 64-bit hash of one shingle, its characters' UTF-8 bytes (FNV-1a, then a SplitMix64
/// finish). Signatures are stored: this must never change.
fn hash_gram(gram: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in gram {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    mix(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> Folder {
        Folder { t2s: true }
    }

    #[test]
    fn canonical_links_drop_tracking_scheme_www_and_fragments() {
        let a = canonical_link(
            "https://www.Example.com/news/1001.html?utm_source=rss&utm_medium=feed&id=7#top",
        );
        let b = canonical_link("http://example.com/news/1001.html?id=7&spm=a2.b3");
        assert_eq!(a, b);
        assert_eq!(a.as_deref(), Some("//example.com/news/1001.html?id=7"));
        assert_ne!(
            canonical_link("https://example.com/news/1001.html?id=8"),
            a,
            "a real parameter still tells articles apart"
        );
        assert_eq!(
            canonical_link("https://example.com/a/"),
            canonical_link("https://example.com/a")
        );
        assert_eq!(canonical_link("mailto:x@example.com"), None);
    }

    /// Ingest signs the whole text it folded for topic matching; only its start counts, and
    /// folding happens before the cut.
    #[test]
    fn long_texts_are_signed_by_their_folded_start() {
        let f = folder();
        let traditional =
            "亞馬遜宣布自明年一月起調整ＦＢＡ配送費，服裝類平均上漲１５美分；".repeat(30);
        let simplified = "亚马逊宣布自明年一月起调整fba配送费，服装类平均上涨15美分；".repeat(30);
        let a = signature(f, "Amazon raises FBA fees", &traditional);
        assert!(a.is_some());
        assert_eq!(
            a,
            signature_of_folded("amazon raises fba fees", &simplified)
        );
        // Past the first 600 characters nothing counts.
        let longer = format!("{simplified}{}", "Temu 英国仓".repeat(100));
        assert_eq!(a, signature_of_folded("", &longer));
        // A body too short to sign alone: the title goes in too.
        let short = signature(f, "蝦皮調整佣金 Shopee commission change", "見官網");
        assert!(short.is_some());
        assert_ne!(short, signature(f, "Lazada 调整佣金", "见官网"));
        assert_eq!(signature_of_folded("短", ""), None);
    }

    #[test]
    fn ideographs_are_signed_as_the_unicode_tables_say() {
        for c in ('\u{3400}'..='\u{4dbf}').chain('\u{4e00}'..='\u{9fff}') {
            assert!(c.is_alphanumeric(), "{c:?}");
            assert!(signable(c));
        }
        for c in ['a', 'Z', '7', 'é', 'ß', 'к', 'ア', '가', '١'] {
            assert!(signable(c), "{c:?}");
        }
        for c in [' ', '-', '，', '。', '「', '·', '\u{3000}', '\u{200b}'] {
            assert!(!signable(c), "{c:?}");
        }
    }

    #[test]
    fn signatures_ignore_width_case_and_script_and_survive_storage() {
        let a = signature(folder(), "亞馬遜調整退貨政策", "服裝類退貨窗口縮短").unwrap();
        let b = signature(folder(), "亚马逊调整退货政策", "服装类退货窗口缩短").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.likeness(&b), 1.0);
        assert_eq!(Signature::from_hex(&a.to_hex()), Some(a.clone()));
        assert_eq!(Signature::from_hex("zz"), None);
        assert_eq!(signature(folder(), "短", ""), None);
        // Stored values must not change between versions.
        assert_eq!(hash_gram(b"abcd"), 0x9268_2c7e_124e_7502);
        assert_eq!(hash_gram("亚马逊卖".as_bytes()), 0xdd28_31af_5166_fca7);
    }

    #[test]
    fn similar_texts_share_a_band_and_distinct_ones_rarely_do() {
        let body = "Amazon said on Tuesday it will raise FBA fulfillment fees by an average of 15 cents per unit starting January 15, while cutting referral fees for apparel.";
        let a = signature(folder(), "Amazon raises FBA fees", body).unwrap();
        let b = signature(
            folder(),
            "Amazon to lift FBA fees",
            &format!("{body} The changes affect sellers in the US."),
        )
        .unwrap();
        let c = signature(folder(), "Temu opens UK warehouses", "Temu has opened two local warehouses near Birmingham, allowing sellers to ship orders within the UK in two to three days.").unwrap();
        assert!(a.likeness(&b) > 0.6, "{}", a.likeness(&b));
        assert!(a.likeness(&c) < 0.2, "{}", a.likeness(&c));
        let shared =
            |x: &Signature, y: &Signature| x.bands().iter().zip(y.bands()).any(|(p, q)| *p == q);
        assert!(shared(&a, &b));
        assert!(!shared(&a, &c));
    }
}

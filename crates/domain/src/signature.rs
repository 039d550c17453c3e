//! MinHash signatures of an item's text, as stored: how alike two items are, and the band
//! values the store indexes to find candidates. Computed by `dedupe::signature`.
//!
//! A signature holds two sketches of the item's shingles. The *body* covers the start of the
//! text (several hundred characters) and finds reposts that copy an article with a new headline,
//! a trimmed or reordered lead, or another publisher's boilerplate around it. The *lead* covers
//! only the first characters, so that a summary-only repost, whose whole text is an article's
//! opening, meets that article through the lead's bands although its body sketch shares only a
//! few values with the article's.

/// Values in the body sketch, and how they are banded for candidate lookup.
pub const SIGNATURE_LEN: usize = 64;
pub const BANDS: usize = 16;
const ROWS: usize = SIGNATURE_LEN / BANDS;

/// Values in the lead sketch, and its bands: two rows each, so that a summary whose text covers
/// about two thirds of an article's lead (it starts a sentence in, or stops short) still shares
/// a band with it almost surely; the candidates this adds are checked with [`Signature::likeness`].
pub const LEAD_LEN: usize = 32;
pub const LEAD_BANDS: usize = 16;
const LEAD_ROWS: usize = LEAD_LEN / LEAD_BANDS;

/// Fewer shingles than this in the shorter text, and only Jaccard counts: a few words found in
/// a long article say little.
const MIN_CONTAINED: u32 = 40;

/// Below this ratio of the shorter body's size to the longer one's, the body sketches share too
/// few values for their overlap to be estimated; the lead decides.
const MIN_SIZE_RATIO: f64 = 0.25;

/// The lead compares two items only when the shorter one's text is hardly longer than its lead
/// (its body at most this many times its lead's size): a summary-only repost, whose lead sketch
/// covers all of it. Longer texts are compared by their bodies, so that a series opening every
/// post with the same introduction is not one story.
const LEAD_ONLY: f64 = 1.25;

/// A MinHash sketch of a set of shingles and, when known, the set's size (shingles with digits
/// count several times; see `dedupe`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sketch<const N: usize> {
    pub values: [u32; N],
    pub size: Option<u32>,
}

impl<const N: usize> Sketch<N> {
    /// The estimated Jaccard similarity of the two shingle sets.
    pub fn jaccard(&self, other: &Self) -> f64 {
        let same = self
            .values
            .iter()
            .zip(other.values.iter())
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / N as f64
    }

    /// How alike the two sets are on Jaccard's scale, reading a shorter text found within a
    /// longer one as alike: the share of the smaller set that the larger holds (|A∩B| =
    /// J·(|A|+|B|)/(1+J)), mapped back to the Jaccard two sets of equal size with that share
    /// would have (J = D/(2−D) for the share D). For two sets of one size it is their Jaccard.
    /// Plain Jaccard when a size is unknown, the smaller set is tiny, or the sizes are too far
    /// apart for the estimate to hold.
    fn likeness(&self, other: &Self) -> f64 {
        let j = self.jaccard(other);
        let (Some(a), Some(b)) = (self.size, other.size) else {
            return j;
        };
        let (small, large) = (a.min(b), a.max(b));
        if small < MIN_CONTAINED || f64::from(small) < MIN_SIZE_RATIO * f64::from(large) {
            return j;
        }
        let shared = j * f64::from(a + b) / (1.0 + j);
        let d = (shared / f64::from(small)).min(1.0);
        (d / (2.0 - d)).max(j)
    }
}

/// An item's signature: the body sketch and, for signatures stored in the current form, the
/// lead sketch and both sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub body: Sketch<SIGNATURE_LEN>,
    pub lead: Option<Sketch<LEAD_LEN>>,
}

impl Signature {
    /// How alike two items' texts are, 0–1, on the scale of `dedupe.threshold`: the Jaccard
    /// similarity of their bodies, or, for a shorter text contained in a longer one, as alike
    /// as its share found there says (see [`Sketch`]), by body or, for a summary-only item, by
    /// lead.
    pub fn likeness(&self, other: &Self) -> f64 {
        let body = self.body.likeness(&other.body);
        let (Some(a), Some(b)) = (self.body.size, other.body.size) else {
            return body;
        };
        let (Some(lead), Some(other_lead)) = (&self.lead, &other.lead) else {
            return body;
        };
        let (shorter_body, shorter_lead) = if a <= b { (a, lead) } else { (b, other_lead) };
        let summary_only = shorter_lead
            .size
            .is_some_and(|l| f64::from(shorter_body) <= LEAD_ONLY * f64::from(l));
        if summary_only {
            body.max(lead.likeness(other_lead))
        } else {
            body
        }
    }

    /// The band values, as stored and indexed: the body's (one per band, the band's number
    /// mixed in), then the lead's. Two items that [`likeness`](Self::likeness) would call alike
    /// very likely agree on at least one.
    pub fn bands(&self) -> Vec<i64> {
        let mut out: Vec<i64> = (0..BANDS)
            .map(|b| band(b, &self.body.values[b * ROWS..(b + 1) * ROWS]))
            .collect();
        if let Some(lead) = &self.lead {
            out.extend(
                (0..LEAD_BANDS)
                    .map(|b| band(BANDS + b, &lead.values[b * LEAD_ROWS..(b + 1) * LEAD_ROWS])),
            );
        }
        out
    }

    /// Hex, as stored: the body's values; then the lead's values and the body's and lead's
    /// sizes (eight digits each).
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity((SIGNATURE_LEN + LEAD_LEN + 2) * 8);
        push_hex(&mut out, &self.body.values);
        if let Some(lead) = &self.lead {
            push_hex(&mut out, &lead.values);
            push_hex(
                &mut out,
                &[
                    self.body.size.unwrap_or_default(),
                    lead.size.unwrap_or_default(),
                ],
            );
        }
        out
    }

    /// Reads [`to_hex`](Self::to_hex)'s form, and the shorter form of the body's values alone
    /// (no lead, sizes unknown), which compares by Jaccard only.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if !hex.is_ascii() {
            return None;
        }
        let words: Vec<u32> = (0..hex.len() / 8)
            .map(|i| u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok())
            .collect::<Option<_>>()?;
        let body_values: [u32; SIGNATURE_LEN] = words.get(..SIGNATURE_LEN)?.try_into().ok()?;
        if hex.len() == SIGNATURE_LEN * 8 {
            return Some(Self {
                body: Sketch {
                    values: body_values,
                    size: None,
                },
                lead: None,
            });
        }
        if hex.len() != (SIGNATURE_LEN + LEAD_LEN + 2) * 8 {
            return None;
        }
        let lead_values: [u32; LEAD_LEN] = words[SIGNATURE_LEN..SIGNATURE_LEN + LEAD_LEN]
            .try_into()
            .ok()?;
        let sizes = &words[SIGNATURE_LEN + LEAD_LEN..];
        Some(Self {
            body: Sketch {
                values: body_values,
                size: Some(sizes[0]),
            },
            lead: Some(Sketch {
                values: lead_values,
                size: Some(sizes[1]),
            }),
        })
    }
}

/// One band's value: its number and its rows, mixed.
fn band(number: usize, rows: &[u32]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (number as u64);
    for v in rows {
        h = mix(h ^ u64::from(*v));
    }
    h as i64
}

fn push_hex(out: &mut String, values: &[u32]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for v in values {
        for shift in (0..8).rev() {
            out.push(char::from(HEX[((v >> (shift * 4)) & 0xf) as usize]));
        }
    }
}

/// SplitMix64's finalizer.
pub fn mix(mut h: u64) -> u64 {
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sketch<const N: usize>(values: &[u32], size: Option<u32>) -> Sketch<N> {
        Sketch {
            values: values.try_into().unwrap(),
            size,
        }
    }

    proptest! {
        /// The hand-written hex matches `format!`'s, and both forms read back.
        #[test]
        fn hex_matches_format(
            body in proptest::collection::vec(any::<u32>(), SIGNATURE_LEN),
            lead in proptest::collection::vec(any::<u32>(), LEAD_LEN),
            sizes in (any::<u32>(), any::<u32>()),
        ) {
            let short = Signature { body: sketch(&body, None), lead: None };
            let expected: String = body.iter().map(|v| format!("{v:08x}")).collect();
            prop_assert_eq!(short.to_hex(), expected.clone());
            prop_assert_eq!(Signature::from_hex(&short.to_hex()), Some(short));

            let full = Signature {
                body: sketch(&body, Some(sizes.0)),
                lead: Some(sketch(&lead, Some(sizes.1))),
            };
            let expected = format!(
                "{expected}{}{:08x}{:08x}",
                lead.iter().map(|v| format!("{v:08x}")).collect::<String>(),
                sizes.0,
                sizes.1
            );
            prop_assert_eq!(full.to_hex(), expected);
            prop_assert_eq!(Signature::from_hex(&full.to_hex()), Some(full));
        }
    }

    #[test]
    fn other_lengths_and_digits_are_refused() {
        let hex = "0".repeat(SIGNATURE_LEN * 8);
        assert!(Signature::from_hex(&hex).is_some());
        assert_eq!(Signature::from_hex(&hex[1..]), None);
        assert_eq!(Signature::from_hex(&format!("{hex}00000000")), None);
        assert_eq!(Signature::from_hex(&hex.replace('0', "z")), None);
        assert_eq!(Signature::from_hex("é"), None);
    }

    /// A sketch that agrees with every other such sketch in the first `same` places.
    fn agreeing<const N: usize>(same: usize, size: u32) -> Sketch<N> {
        Sketch {
            values: std::array::from_fn(|i| if i < same { i as u32 } else { 1000 + i as u32 }),
            size: Some(size),
        }
    }

    #[test]
    fn a_shorter_text_inside_a_longer_one_counts_as_alike() {
        let long: Sketch<64> = agreeing(64, 600);
        // 160 shingles of 600 all found: Jaccard 0.27, but the whole of the shorter text.
        let inside: Sketch<64> = agreeing(17, 160);
        assert!((long.jaccard(&inside) - 17.0 / 64.0).abs() < 1e-9);
        assert!(long.likeness(&inside) > 0.95, "{}", long.likeness(&inside));
        // Equal sizes: the likeness is the Jaccard.
        let half: Sketch<64> = agreeing(32, 600);
        assert!((long.likeness(&half) - 0.5).abs() < 1e-9);
        // Sizes unknown, a tiny text, or sizes too far apart: Jaccard.
        let unknown = Sketch {
            size: None,
            ..inside.clone()
        };
        assert_eq!(long.likeness(&unknown), long.jaccard(&unknown));
        let tiny: Sketch<64> = agreeing(17, 30);
        assert_eq!(long.likeness(&tiny), long.jaccard(&tiny));
        let far: Sketch<64> = agreeing(6, 100);
        assert_eq!(long.likeness(&far), long.jaccard(&far));
    }

    #[test]
    fn the_lead_compares_a_summary_with_an_article_and_not_two_articles() {
        let article = Signature {
            body: agreeing(64, 600),
            lead: Some(agreeing(32, 160)),
        };
        // A summary: its body is the article's opening, its lead about the article's lead.
        let summary = Signature {
            body: agreeing(8, 110),
            lead: Some(agreeing(21, 110)),
        };
        assert!(article.likeness(&summary) > 0.9);
        assert_eq!(article.likeness(&summary), summary.likeness(&article));
        // Another article with the same opening: its body decides.
        let sibling = Signature {
            body: agreeing(10, 600),
            lead: Some(agreeing(32, 160)),
        };
        assert!(article.likeness(&sibling) < 0.2);
        // Two summaries of a series, longer than their leads, which are its introduction.
        let episode = |n: u32| Signature {
            body: Sketch {
                values: std::array::from_fn(|i| if i < 20 { i as u32 } else { n * 100 + i as u32 }),
                size: Some(260),
            },
            lead: Some(agreeing(32, 160)),
        };
        assert!(episode(1).likeness(&episode(2)) < 0.35);
        // A signature of the short form: its body, by Jaccard.
        let short = Signature {
            body: Sketch {
                size: None,
                ..summary.body.clone()
            },
            lead: None,
        };
        assert_eq!(article.likeness(&short), 8.0 / 64.0);
    }

    #[test]
    fn bands_of_the_lead_follow_the_bodys_and_differ_from_them() {
        let sig = Signature {
            body: agreeing(64, 600),
            lead: Some(agreeing(32, 160)),
        };
        let bands = sig.bands();
        assert_eq!(bands.len(), BANDS + LEAD_BANDS);
        let body_only = Signature {
            lead: None,
            ..sig.clone()
        };
        assert_eq!(body_only.bands(), bands[..BANDS]);
        let distinct: std::collections::HashSet<i64> = bands.iter().copied().collect();
        assert_eq!(distinct.len(), bands.len());
    }
}

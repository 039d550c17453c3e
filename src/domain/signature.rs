//! A MinHash signature of an item's text, as stored: how similar two items are, and the band
//! values the store indexes to find candidates. Computed by `dedupe::signature`.

/// Values in a signature, and how they are banded for candidate lookup.
pub const SIGNATURE_LEN: usize = 64;
pub const BANDS: usize = 16;
const ROWS: usize = SIGNATURE_LEN / BANDS;

/// An item's MinHash signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(pub [u32; SIGNATURE_LEN]);

impl Signature {
    /// The estimated Jaccard similarity of the two items' shingle sets.
    pub fn similarity(&self, other: &Self) -> f64 {
        let same = self
            .0
            .iter()
            .zip(other.0.iter())
            .filter(|(a, b)| a == b)
            .count();
        same as f64 / SIGNATURE_LEN as f64
    }

    /// One value per band (the band's number mixed in), as stored and indexed: two items with
    /// similar text very likely agree on at least one.
    pub fn bands(&self) -> [i64; BANDS] {
        std::array::from_fn(|b| {
            let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ (b as u64);
            for v in &self.0[b * ROWS..(b + 1) * ROWS] {
                h = mix(h ^ u64::from(*v));
            }
            h as i64
        })
    }

    /// Hex, as stored.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(SIGNATURE_LEN * 8);
        for v in self.0 {
            for shift in (0..8).rev() {
                out.push(char::from(HEX[((v >> (shift * 4)) & 0xf) as usize]));
            }
        }
        out
    }

    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != SIGNATURE_LEN * 8 || !hex.is_ascii() {
            return None;
        }
        let mut out = [0u32; SIGNATURE_LEN];
        for (i, v) in out.iter_mut().enumerate() {
            *v = u32::from_str_radix(&hex[i * 8..i * 8 + 8], 16).ok()?;
        }
        Some(Self(out))
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

    proptest! {
        /// The hand-written hex matches `format!`'s, and reads back.
        #[test]
        fn hex_matches_format(values in proptest::collection::vec(any::<u32>(), SIGNATURE_LEN)) {
            let mut words = [0u32; SIGNATURE_LEN];
            words.copy_from_slice(&values);
            let sig = Signature(words);
            let expected: String = words.iter().map(|v| format!("{v:08x}")).collect();
            prop_assert_eq!(sig.to_hex(), expected);
            prop_assert_eq!(Signature::from_hex(&sig.to_hex()), Some(sig));
        }
    }
}

//! Which story each new item belongs to, decided over what the store fetched: the stories
//! that share a canonical link or a band with the new items. The store reads the candidates and
//! writes the outcome (`store::bands`); the decision is here, without a database.

use std::collections::HashMap;

use crate::domain::Signature;

/// An item waiting for its story.
#[derive(Debug, Clone)]
pub struct Pending {
    pub id: i64,
    pub source_id: String,
    pub canonical_link: Option<String>,
    pub signature: Option<Signature>,
}

/// A stored story a new item may join, as its head: the head's source and signature, and the
/// bands under which the store found it.
#[derive(Debug, Clone)]
pub struct Story {
    pub cluster: i64,
    pub source_id: String,
    pub signature: Option<Signature>,
    pub bands: Vec<i64>,
}

/// The outcome for a batch of pending items.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Assignment {
    /// Items that start a story of their own, in the order given.
    pub heads: Vec<i64>,
    /// Items that join a story, by the story's cluster id.
    pub joins: HashMap<i64, Vec<i64>>,
}

/// Give each pending item, oldest first, its story: the cluster of a stored item with the same
/// canonical link (any source, from `by_link`), else the story from another source whose head
/// is most like it (at least `threshold`, by [`Signature::likeness`]; among equals the oldest),
/// else a story of its own. A new story joins the candidates at once, so that later items of
/// the batch can join it; its head is its first report.
pub fn assign(
    pending: &[Pending],
    mut by_link: HashMap<String, i64>,
    mut stories: Vec<Story>,
    threshold: f64,
) -> Assignment {
    let mut by_band: HashMap<i64, Vec<usize>> = HashMap::new();
    for (at, story) in stories.iter().enumerate() {
        for band in &story.bands {
            by_band.entry(*band).or_default().push(at);
        }
    }
    let mut out = Assignment::default();
    for p in pending {
        let by_canonical = p
            .canonical_link
            .as_deref()
            .and_then(|l| by_link.get(l))
            .copied();
        let found = by_canonical.or_else(|| most_alike(p, &stories, &by_band, threshold));
        if let Some(cluster) = found {
            out.joins.entry(cluster).or_default().push(p.id);
            continue;
        }
        out.heads.push(p.id);
        if let Some(link) = &p.canonical_link {
            by_link.entry(link.clone()).or_insert(p.id);
        }
        if let Some(sig) = &p.signature {
            let at = stories.len();
            let bands = sig.bands();
            for band in &bands {
                by_band.entry(*band).or_default().push(at);
            }
            stories.push(Story {
                cluster: p.id,
                source_id: p.source_id.clone(),
                signature: Some(sig.clone()),
                bands,
            });
        }
    }
    out
}

/// The cluster of the story from another source, sharing a band with `p`, that is most like it
/// and alike enough.
fn most_alike(
    p: &Pending,
    stories: &[Story],
    by_band: &HashMap<i64, Vec<usize>>,
    threshold: f64,
) -> Option<i64> {
    let sig = p.signature.as_ref()?;
    let mut best: Option<(f64, i64)> = None;
    for band in sig.bands() {
        for &at in by_band.get(&band).into_iter().flatten() {
            let story = &stories[at];
            if story.source_id == p.source_id {
                continue;
            }
            let Some(other) = &story.signature else {
                continue;
            };
            let s = sig.likeness(other);
            if s < threshold {
                continue;
            }
            if best.is_none_or(|(bs, bc)| s > bs || (s == bs && story.cluster < bc)) {
                best = Some((s, story.cluster));
            }
        }
    }
    best.map(|(_, cluster)| cluster)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dedupe::signature;
    use crate::fold::Folder;

    const ARTICLE: &str = "Shopee said on Monday it will open a second sorting centre in Klang Valley next month, doubling the capacity of its Malaysian logistics arm as order volumes from cross-border sellers keep rising. The new facility near Port Klang will handle up to 1.5 million parcels a day once fully running. Sellers shipping from its Shenzhen and Yiwu consolidation warehouses should see delivery times to Kuala Lumpur fall from five days to three. Shopee Express has been expanding across Southeast Asia as the platform tries to cut its reliance on third-party couriers.";

    fn pending(id: i64, source: &str, link: Option<&str>, title: &str, text: &str) -> Pending {
        Pending {
            id,
            source_id: source.into(),
            canonical_link: link.map(Into::into),
            signature: signature(Folder { t2s: true }, title, text),
        }
    }

    fn stored(cluster: i64, p: &Pending) -> Story {
        Story {
            cluster,
            source_id: p.source_id.clone(),
            signature: p.signature.clone(),
            bands: p
                .signature
                .as_ref()
                .map(Signature::bands)
                .unwrap_or_default(),
        }
    }

    #[test]
    fn a_summary_only_repost_joins_the_article_and_a_new_story_stands_alone() {
        let article = pending(1, "wire", None, "Shopee doubles capacity", ARTICLE);
        let summary = pending(
            7,
            "mirror",
            None,
            "Shopee to open second Malaysian sorting centre",
            &format!("{}…", &ARTICLE[..200]),
        );
        let other = pending(
            8,
            "mirror",
            None,
            "Lazada opens a Johor hub",
            "Lazada said on Tuesday it will open a regional logistics hub in Johor next quarter, adding capacity for cross-border parcels from its Guangzhou and Yiwu warehouses.",
        );
        let out = assign(
            &[summary, other],
            HashMap::new(),
            vec![stored(1, &article)],
            0.6,
        );
        assert_eq!(out.joins, HashMap::from([(1, vec![7])]));
        assert_eq!(out.heads, vec![8]);
    }

    #[test]
    fn links_decide_first_and_a_source_never_joins_its_own_story() {
        let first = pending(3, "wire", Some("//e.com/a"), "Temu UK", ARTICLE);
        let same_source = pending(4, "wire", None, "Temu UK again", ARTICLE);
        let same_link = pending(
            5,
            "mirror",
            Some("//e.com/a"),
            "A different text",
            "Temu has opened two local warehouses near Birmingham, allowing sellers to ship orders within the UK in two to three days.",
        );
        let copy = pending(6, "mirror", None, "Copy", ARTICLE);
        let out = assign(
            &[first, same_source, same_link, copy],
            HashMap::new(),
            Vec::new(),
            0.6,
        );
        // The first report heads its story within the batch; its own source's copy does not
        // join it, and is a story of its own that the next report may join (the oldest wins
        // among equals).
        assert_eq!(out.heads, vec![3, 4]);
        assert_eq!(out.joins, HashMap::from([(3, vec![5, 6])]));

        // A link already stored wins over text.
        let out = assign(
            &[pending(9, "mirror", Some("//e.com/b"), "Copy", ARTICLE)],
            HashMap::from([("//e.com/b".to_string(), 2)]),
            vec![stored(1, &pending(1, "wire", None, "Shopee", ARTICLE))],
            0.6,
        );
        assert_eq!(out.joins, HashMap::from([(2, vec![9])]));
    }

    #[test]
    fn a_story_is_found_only_under_the_bands_the_store_found_it_by() {
        let head = pending(1, "wire", None, "Shopee", ARTICLE);
        let mut story = stored(1, &head);
        story.bands.clear();
        let out = assign(
            &[pending(2, "mirror", None, "Copy", ARTICLE)],
            HashMap::new(),
            vec![story],
            0.6,
        );
        assert_eq!(out.heads, vec![2]);
        assert!(out.joins.is_empty());
    }
}

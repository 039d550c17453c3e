//! The JSON shapes of an item's parts, the same in every API answer: its source, its topics,
//! its tags and the other reports of its story. The item's own page adds what matched for each
//! topic and where each tag came from; lists leave those out.

use serde::Serialize;

use crate::config::Config;
use crate::domain::{ClusterMember, ItemId, Matched, Tag, TopicMatch};

#[derive(Serialize)]
pub(super) struct SourceRef {
    pub(super) id: String,
    pub(super) title: String,
}

#[derive(Serialize)]
pub(super) struct TopicRef {
    slug: String,
    title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    matched: Option<Vec<Matched>>,
}

impl TopicRef {
    /// A topic named by its configured title (its slug when the topic is no longer configured).
    pub(super) fn of(config: &Config, t: &TopicMatch) -> Self {
        Self {
            title: config
                .topic(&t.slug)
                .map_or_else(|| t.slug.clone(), |c| c.title.clone()),
            slug: t.slug.clone(),
            matched: None,
        }
    }

    /// The same, with what matched.
    pub(super) fn with_evidence(config: &Config, t: TopicMatch) -> Self {
        let mut out = Self::of(config, &t);
        out.matched = Some(t.matched);
        out
    }
}

#[derive(Serialize)]
pub(super) struct TagRef {
    tag: String,
    label: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    kind: Option<&'static str>,
}

impl TagRef {
    pub(super) fn of(t: &Tag) -> Self {
        Self {
            tag: t.key.clone(),
            label: t.label.clone(),
            kind: None,
        }
    }

    /// The same, with where the tag came from.
    pub(super) fn with_kind(t: Tag) -> Self {
        Self {
            kind: Some(t.kind.as_str()),
            tag: t.key,
            label: t.label,
        }
    }
}

#[derive(Serialize)]
pub(super) struct ReportRef {
    id: ItemId,
    source: String,
    title: Option<String>,
    url: Option<String>,
}

impl From<&ClusterMember> for ReportRef {
    fn from(m: &ClusterMember) -> Self {
        Self {
            id: m.id,
            source: m.source_id.to_string(),
            title: m.title.clone(),
            url: m.link.clone(),
        }
    }
}

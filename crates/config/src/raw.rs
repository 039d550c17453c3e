//! The configuration file's shape, as written: what serde reads before anything is checked.
//! Every value that can be wrong is `Spanned`, so that its issue names its line and column.

use serde::Deserialize;
use serde_saphyr::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// Globs of further files holding `sources:` and `topics:`, relative to this file.
    #[serde(default)]
    pub(super) include: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) server: RawServer,
    #[serde(default)]
    pub(super) database: RawDatabase,
    #[serde(default)]
    pub(super) fetch: RawFetch,
    #[serde(default)]
    pub(super) schedule: RawSchedule,
    #[serde(default)]
    pub(super) sources: Vec<RawSource>,
    #[serde(default)]
    pub(super) topics: Vec<RawTopic>,
    #[serde(default)]
    pub(super) classify: RawClassify,
    #[serde(default)]
    pub(super) tags: RawTags,
    #[serde(default)]
    pub(super) dedupe: RawDedupe,
    #[serde(default)]
    pub(super) websub: RawWebSub,
    #[serde(default)]
    pub(super) log: RawLog,
    #[serde(default)]
    pub(super) discovery: RawDiscovery,
    #[serde(default)]
    pub(super) site: RawSite,
    #[serde(default)]
    pub(super) retention: RawRetention,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRetention {
    pub(super) max_age: Option<Spanned<String>>,
    pub(super) max_items_per_source: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSite {
    pub(super) timezone: Option<Spanned<String>>,
    pub(super) sample_pages: Option<Spanned<String>>,
    pub(super) suggested_searches: Option<Vec<Spanned<String>>>,
    pub(super) image_proxy: Option<bool>,
    pub(super) image_proxy_in_feeds: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDiscovery {
    pub(super) flush_interval: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) recommend: RawRecommend,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRecommend {
    pub(super) views: Option<Spanned<f64>>,
    pub(super) cluster: Option<Spanned<f64>>,
    pub(super) recency: Option<Spanned<f64>>,
    pub(super) half_life: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebSub {
    pub(super) hub: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLog {
    pub(super) format: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDedupe {
    pub(super) threshold: Option<Spanned<f64>>,
    pub(super) window: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassify {
    pub(super) traditional_to_simplified: Option<bool>,
    pub(super) min_hits: Option<Spanned<u64>>,
    pub(super) lead_chars: Option<Spanned<u64>>,
    #[serde(default)]
    pub(super) platforms: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTags {
    pub(super) max_per_item: Option<Spanned<u64>>,
    pub(super) extract: Option<u64>,
    #[serde(default)]
    pub(super) synonyms: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub(super) stop_words: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) listen: Option<Spanned<String>>,
    pub(super) public_url: Option<Spanned<String>>,
    pub(super) admin_token_env: Option<String>,
    pub(super) feed_max_age: Option<Spanned<String>>,
    pub(super) feed_cache: Option<Spanned<String>>,
    pub(super) change_poll: Option<Spanned<String>>,
    pub(super) trusted_proxies: Option<Vec<Spanned<String>>>,
    pub(super) trust_forwarded: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDatabase {
    pub(super) url: Option<Spanned<String>>,
    pub(super) pool_size: Option<Spanned<u64>>,
    pub(super) statement_timeout: Option<Spanned<String>>,
    pub(super) lock_timeout: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFetch {
    pub(super) timeout: Option<Spanned<String>>,
    pub(super) connect_timeout: Option<Spanned<String>>,
    pub(super) max_body: Option<Spanned<String>>,
    pub(super) max_concurrency: Option<Spanned<u64>>,
    pub(super) per_host_concurrency: Option<Spanned<u64>>,
    pub(super) user_agent: Option<String>,
    pub(super) log_retention: Option<Spanned<String>>,
    pub(super) allow_private_targets: Option<bool>,
    pub(super) parse_budget: Option<Spanned<String>>,
    pub(super) max_articles_per_poll: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    pub(super) default: Option<Spanned<String>>,
    pub(super) min_interval: Option<Spanned<String>>,
    pub(super) max_interval: Option<Spanned<String>>,
    pub(super) jitter: Option<Spanned<String>>,
    pub(super) backoff_base: Option<Spanned<String>>,
    pub(super) backoff_max: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    pub(super) id: Spanned<String>,
    pub(super) url: Spanned<String>,
    pub(super) title: Option<String>,
    pub(super) schedule: Option<Spanned<String>>,
    pub(super) timezone: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) tags: Vec<String>,
    pub(super) weight: Option<Spanned<f64>>,
    pub(super) page: Option<Spanned<RawPageForm>>,
    pub(super) full_content: Option<Spanned<RawFullContent>>,
}

/// `sources[].full_content`: `false`, `true` (as `auto`), `auto` or a CSS selector.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawFullContent {
    Switch(bool),
    Text(String),
}

/// An included file: more sources and topics.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIncluded {
    #[serde(default)]
    pub(super) sources: Vec<RawSource>,
    #[serde(default)]
    pub(super) topics: Vec<RawTopic>,
}

/// `sources[].page`: the word `auto`, or a mapping (selectors, `auto: true` with any selectors
/// pinned). Not an untagged enum: the mapping keeps its own errors (an unknown key by name).
pub(super) enum RawPageForm {
    Word(String),
    Map(Box<RawPage>),
}

impl<'de> Deserialize<'de> for RawPageForm {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Form;
        impl<'de> serde::de::Visitor<'de> for Form {
            type Value = RawPageForm;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("`auto` or a mapping of selectors")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<RawPageForm, E> {
                Ok(RawPageForm::Word(v.to_owned()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<RawPageForm, A::Error> {
                RawPage::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|page| RawPageForm::Map(Box::new(page)))
            }
        }
        deserializer.deserialize_any(Form)
    }
}

/// `sources[].page` as a mapping: see `PageSpec` and `AutoPage`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPage {
    pub(super) auto: Option<Spanned<bool>>,
    pub(super) item: Option<Spanned<String>>,
    pub(super) title: Option<Spanned<String>>,
    pub(super) link: Option<Spanned<String>>,
    pub(super) date: Option<Spanned<String>>,
    pub(super) summary: Option<Spanned<String>>,
    pub(super) image: Option<Spanned<String>>,
    pub(super) next: Option<Spanned<String>>,
    pub(super) day: Option<Spanned<String>>,
    pub(super) max_pages: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTopic {
    pub(super) slug: Spanned<String>,
    pub(super) title: Option<String>,
    pub(super) description: Option<String>,
    pub(super) keywords: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) all_of: Vec<Spanned<Vec<String>>>,
    #[serde(default)]
    pub(super) exclude: Vec<String>,
    #[serde(default)]
    pub(super) shared: Vec<String>,
    #[serde(default)]
    pub(super) regex: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) source_tags: Vec<String>,
    #[serde(default)]
    pub(super) categories: Vec<String>,
    pub(super) fields: Option<Spanned<Vec<String>>>,
    pub(super) min_hits: Option<Spanned<u64>>,
}

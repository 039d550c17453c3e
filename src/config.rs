//! The YAML configuration: loading, validation with file/line/column in every error, and the
//! environment overrides (`DATABASE_URL`, `CROSSFEED_LISTEN`, `CROSSFEED_PUBLIC_URL`). Nothing
//! here touches the network or the store.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde::Deserialize;
use serde_saphyr::Spanned;
use url::Url;

use crate::domain::page::{FullContent, PageSpec};
use crate::domain::proxies::TrustedProxies;
use crate::domain::{Schedule, SourceId, Timing, TopicSlug};

/// The configuration file used when neither `--config` nor `CROSSFEED_CONFIG` names one.
pub const DEFAULT_PATH: &str = "config/crossfeed.yaml";

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The files its `include` globs matched, in the order they were read.
    pub includes: Vec<PathBuf>,
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub fetch: FetchConfig,
    /// Used by sources that set no `schedule` of their own.
    pub default_schedule: Schedule,
    /// Bounds on poll times: minimum interval, backoff, jitter.
    pub timing: Timing,
    pub sources: Vec<SourceConfig>,
    pub topics: Vec<TopicConfig>,
    /// Settings shared by every topic rule.
    pub classify: ClassifyConfig,
    pub tags: TagsConfig,
    pub dedupe: DedupeConfig,
    pub websub: WebSubConfig,
    pub log: LogConfig,
    pub discovery: DiscoveryConfig,
    pub site: SiteConfig,
    pub retention: RetentionConfig,
}

/// Bounds on what `include` reads: files per glob, and bytes per file.
const MAX_INCLUDED_FILES: usize = 1000;
const MAX_INCLUDED_BYTES: u64 = 4 << 20;

/// The least `retention.max_items_per_source` may be: the longest feed page (`limit` 200), which
/// retention never cuts into anyway.
const MIN_ITEMS_PER_SOURCE: u64 = 200;

/// Deleting old items (off unless set).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionConfig {
    pub max_age: Option<Duration>,
    pub max_items_per_source: Option<u64>,
}

/// The website.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteConfig {
    /// The zone pages show times in.
    pub timezone: Tz,
    /// A directory of sample web pages served at `/samples/` (the shipped configuration's page
    /// source reads them, so that a fresh clone shows page sources offline); None: not served.
    pub sample_pages: Option<PathBuf>,
}

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::Asia::Shanghai,
            sample_pages: None,
        }
    }
}

/// Views, hot reads, recommendations.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryConfig {
    /// How often counted views and searches are written to the store.
    pub flush_interval: Duration,
    pub recommend: RecommendWeights,
}

impl Default for DiscoveryConfig {
    fn default() -> Self {
        Self {
            flush_interval: Duration::from_secs(10),
            recommend: RecommendWeights::default(),
        }
    }
}

/// How per-tag recommendations blend their parts (each part is from 0 to 1; the blend is
/// multiplied by the source's weight).
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendWeights {
    pub views: f64,
    pub cluster: f64,
    pub recency: f64,
    /// An item's recency part halves with each of these since it was published.
    pub half_life: Duration,
}

impl Default for RecommendWeights {
    fn default() -> Self {
        Self {
            views: 0.35,
            cluster: 0.25,
            recency: 0.4,
            half_life: Duration::from_secs(48 * 3600),
        }
    }
}

/// How the process writes its log (to standard error).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One human-readable line per event.
    #[default]
    Text,
    /// One JSON object per event, for log collectors.
    Json,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogConfig {
    pub format: LogFormat,
}

/// WebSub (formerly PubSubHubbub): readers subscribe at a hub, which crossfeed tells when a
/// feed changes, so they get new items pushed instead of polling.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WebSubConfig {
    /// The hub feeds name in `<link rel="hub">` and that is notified; None: no WebSub.
    pub hub: Option<Url>,
}

/// Near-duplicate folding of the same story across sources.
#[derive(Debug, Clone, PartialEq)]
pub struct DedupeConfig {
    /// Estimated Jaccard similarity of two items' text shingles at which they are the same
    /// story (0.3–1.0).
    pub threshold: f64,
    /// How far back a new item looks for its story.
    pub window: Duration,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        Self {
            threshold: 0.6,
            window: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// Settings shared by every topic rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassifyConfig {
    /// Fold Traditional Chinese to Simplified before matching (臉書 = 脸书).
    pub traditional_to_simplified: bool,
    /// Occurrences needed when a topic's keywords appear only deep in the body.
    pub min_hits: u32,
    /// How many characters at the start of the summary and content count as the lead, where
    /// one mention is enough.
    pub lead_chars: usize,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        Self {
            traditional_to_simplified: true,
            min_hits: 2,
            lead_chars: 200,
        }
    }
}

/// How items get their tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagsConfig {
    /// Tags kept per item: upstream categories first, then source tags, then extracted ones.
    pub max_per_item: usize,
    /// Extracted keywords (jieba TF-IDF for Chinese, repeated phrases for English) per item;
    /// 0 turns extraction off.
    pub extract: usize,
    /// Canonical tag → the other spellings folded into it (亚马逊 → Amazon).
    pub synonyms: Vec<(String, Vec<String>)>,
    /// Tags never kept (besides the built-in junk rules).
    pub stop_words: Vec<String>,
}

impl Default for TagsConfig {
    fn default() -> Self {
        Self {
            max_per_item: 8,
            extract: 3,
            synonyms: Vec::new(),
            stop_words: Vec::new(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// The address readers use, without a trailing slash; feeds link to themselves with it.
    pub public_url: Url,
    /// The environment variable holding the admin bearer token.
    pub admin_token_env: String,
    /// How long readers and shared caches may reuse a feed (`Cache-Control: max-age`).
    pub feed_max_age: Duration,
    /// Memory for rendered feeds kept ready to serve (0 turns the cache off).
    pub feed_cache: u64,
    /// How often a web process asks the store whether items changed (the feed cache is
    /// dropped when they did).
    pub change_poll: Duration,
    /// Peers whose `X-Forwarded-For`/`Forwarded` say who the client is.
    pub trusted_proxies: TrustedProxies,
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://relative/path`, `sqlite:///absolute/path` or `postgres://…`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
}

#[derive(Debug, Clone)]
pub struct FetchConfig {
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub max_body: u64,
    pub max_concurrency: usize,
    pub per_host_concurrency: usize,
    pub user_agent: String,
    /// How long the fetch log keeps its rows.
    pub log_retention: Duration,
    /// Follow redirects and discovered links to other hosts on private addresses too.
    pub allow_private_targets: bool,
    /// The most time parsing, normalizing and classifying one document may take.
    pub parse_budget: Duration,
    /// Articles fetched for full content per source and run of the article job.
    pub max_articles_per_poll: usize,
}

/// One upstream feed.
#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub id: SourceId,
    pub url: Url,
    pub title: Option<String>,
    pub schedule: Schedule,
    /// The zone in which dates without one are read.
    pub timezone: Tz,
    pub tags: Vec<String>,
    /// How much its items count in per-tag recommendations (1.0 is neutral; above 0, at most
    /// 10).
    pub weight: f64,
    /// For an HTML list page that publishes no feed: where its items are.
    pub page: Option<PageSpec>,
    /// Fetch each item's article from its link and store it as the content.
    pub full_content: Option<FullContent>,
    /// The URL was written as a path on this server (`/samples/…`), resolved against
    /// `server.public_url`.
    pub on_this_server: bool,
}

/// One topic: which items belong to it. See `config/crossfeed.yaml` for how the rules combine.
#[derive(Debug, Clone)]
pub struct TopicConfig {
    pub slug: TopicSlug,
    pub title: String,
    pub description: Option<String>,
    /// Any of these.
    pub keywords: Vec<String>,
    /// Each group must match too (any word of it).
    pub all_of: Vec<Vec<String>>,
    /// Cancel what they overlap (亚马逊雨林 cancels its 亚马逊); veto the topic otherwise.
    pub exclude: Vec<String>,
    /// Regular expressions over the folded text, as good as a keyword.
    pub regex: Vec<String>,
    /// Only items from these sources...
    pub sources: Vec<String>,
    /// ...or from sources with one of these tags.
    pub source_tags: Vec<String>,
    /// An upstream category equal to one of these (folded) is as good as a keyword.
    pub categories: Vec<String>,
    /// Where keywords, regexes and exclusions are looked for.
    pub fields: Fields,
    /// Overrides `classify.min_hits`.
    pub min_hits: Option<u32>,
}

impl TopicConfig {
    /// A topic with only keywords, everything else at its default.
    pub fn new(slug: TopicSlug, title: &str, keywords: Vec<String>) -> Self {
        Self {
            slug,
            title: title.to_owned(),
            description: None,
            keywords,
            all_of: Vec::new(),
            exclude: Vec::new(),
            regex: Vec::new(),
            sources: Vec::new(),
            source_tags: Vec::new(),
            categories: Vec::new(),
            fields: Fields::default(),
            min_hits: None,
        }
    }
}

/// Which parts of an item a topic reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fields {
    pub title: bool,
    pub summary: bool,
    pub content: bool,
    pub categories: bool,
}

impl Default for Fields {
    fn default() -> Self {
        Self {
            title: true,
            summary: true,
            content: true,
            categories: true,
        }
    }
}

impl Fields {
    const NAMES: [&str; 4] = ["title", "summary", "content", "categories"];

    fn parse(names: &[String]) -> Result<Self, String> {
        let mut f = Self {
            title: false,
            summary: false,
            content: false,
            categories: false,
        };
        if names.is_empty() {
            return Err(format!("name at least one of {}", Self::NAMES.join(", ")));
        }
        for n in names {
            match n.trim() {
                "title" => f.title = true,
                "summary" => f.summary = true,
                "content" => f.content = true,
                "categories" => f.categories = true,
                other => {
                    return Err(format!(
                        "unknown field {other:?} (use {})",
                        Self::NAMES.join(", ")
                    ));
                }
            }
        }
        Ok(f)
    }
}

/// Longest regex pattern accepted, and the compiled size bound (keeps a typo from building a
/// huge automaton).
pub const REGEX_MAX_LEN: usize = 1000;
pub const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compile a topic regex the way the classifier does, bounded.
pub fn compile_topic_regex(pattern: &str) -> Result<regex::Regex, String> {
    if pattern.len() > REGEX_MAX_LEN {
        return Err(format!("longer than {REGEX_MAX_LEN} characters"));
    }
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("invalid")
                .trim()
                .to_owned()
        })
}

/// A place in a configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// The included file the problem is in; None for the configuration file itself.
    pub file: Option<PathBuf>,
    pub line: u64,
    pub column: u64,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the configuration: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}", render_issues(path, issues))]
    Invalid { path: PathBuf, issues: Vec<Issue> },
}

impl ConfigError {
    /// The problems found, each with its line and column (empty for a read error).
    pub fn issues(&self) -> &[Issue] {
        match self {
            ConfigError::Read { .. } => &[],
            ConfigError::Invalid { issues, .. } => issues,
        }
    }
}

fn render_issues(path: &Path, issues: &[Issue]) -> String {
    let lines: Vec<String> = issues
        .iter()
        .map(|i| {
            let file = i.file.as_deref().unwrap_or(path);
            format!("{}:{}:{}: {}", file.display(), i.line, i.column, i.message)
        })
        .collect();
    lines.join("\n")
}

impl Config {
    /// Each source's weight in recommendations, by source id.
    pub fn source_weights(&self) -> HashMap<String, f64> {
        self.sources
            .iter()
            .map(|s| (s.id.to_string(), s.weight))
            .collect()
    }

    /// Read and validate the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::from_yaml(path, &text)
    }

    /// Validate `text` as if it had been read from `path` (relative `file:` URLs resolve
    /// against the directory of `path`).
    pub fn from_yaml(path: &Path, text: &str) -> Result<Self, ConfigError> {
        let invalid = |issues| ConfigError::Invalid {
            path: path.to_owned(),
            issues,
        };
        let raw: RawConfig = if text.trim().is_empty() {
            return Err(invalid(vec![Issue {
                file: None,
                line: 1,
                column: 1,
                message: "the configuration file is empty".into(),
            }]));
        } else {
            serde_saphyr::from_str(text).map_err(|e| {
                let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                invalid(vec![Issue {
                    file: None,
                    line,
                    column,
                    message: syntax_message(&e),
                }])
            })?
        };
        let base_dir = path.parent().unwrap_or(Path::new("."));
        let mut v = Validator::default();
        let config = v.config(path, base_dir, raw);
        match config {
            Some(config) if v.issues.is_empty() => Ok(config),
            _ => {
                v.issues.sort_by_key(|i| (i.line, i.column));
                Err(invalid(v.issues))
            }
        }
    }

    /// Apply `DATABASE_URL`, `CROSSFEED_LISTEN` and `CROSSFEED_PUBLIC_URL` from `env`.
    pub fn apply_env(&mut self, env: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        if let Some(url) = env("DATABASE_URL").filter(|v| !v.is_empty()) {
            self.database.url = url;
        }
        if let Some(listen) = env("CROSSFEED_LISTEN").filter(|v| !v.is_empty()) {
            self.server.listen = listen
                .parse()
                .map_err(|e| format!("CROSSFEED_LISTEN={listen:?} is not an address: {e}"))?;
        }
        if let Some(public) = env("CROSSFEED_PUBLIC_URL").filter(|v| !v.is_empty()) {
            self.server.public_url = parse_public_url(&public)
                .map_err(|e| format!("CROSSFEED_PUBLIC_URL={public:?}: {e}"))?;
            for s in self.sources.iter_mut().filter(|s| s.on_this_server) {
                let path = &s.url[url::Position::BeforePath..];
                s.url = self
                    .server
                    .public_url
                    .join(path)
                    .map_err(|e| format!("source {}: {e}", s.id))?;
            }
        }
        Ok(())
    }

    pub fn topic(&self, slug: &str) -> Option<&TopicConfig> {
        self.topics.iter().find(|t| t.slug.as_str() == slug)
    }
}

/// serde-saphyr's message without its rendered snippet (we print the location ourselves).
fn syntax_message(e: &serde_saphyr::Error) -> String {
    let full = e.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    // Drop a trailing " at line X, column Y" that the library may append.
    match first.find(" at line ") {
        Some(i) => first[..i].to_owned(),
        None => first.to_owned(),
    }
}

// ---- the YAML shape, as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    /// Globs of further files holding `sources:` and `topics:`, relative to this file.
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    fetch: RawFetch,
    #[serde(default)]
    schedule: RawSchedule,
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    topics: Vec<RawTopic>,
    #[serde(default)]
    classify: RawClassify,
    #[serde(default)]
    tags: RawTags,
    #[serde(default)]
    dedupe: RawDedupe,
    #[serde(default)]
    websub: RawWebSub,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    discovery: RawDiscovery,
    #[serde(default)]
    site: RawSite,
    #[serde(default)]
    retention: RawRetention,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRetention {
    max_age: Option<Spanned<String>>,
    max_items_per_source: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSite {
    timezone: Option<Spanned<String>>,
    sample_pages: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDiscovery {
    flush_interval: Option<Spanned<String>>,
    #[serde(default)]
    recommend: RawRecommend,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRecommend {
    views: Option<Spanned<f64>>,
    cluster: Option<Spanned<f64>>,
    recency: Option<Spanned<f64>>,
    half_life: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawWebSub {
    hub: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDedupe {
    threshold: Option<Spanned<f64>>,
    window: Option<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawClassify {
    traditional_to_simplified: Option<bool>,
    min_hits: Option<Spanned<u64>>,
    lead_chars: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawTags {
    max_per_item: Option<Spanned<u64>>,
    extract: Option<u64>,
    #[serde(default)]
    synonyms: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    stop_words: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: Option<Spanned<String>>,
    public_url: Option<Spanned<String>>,
    admin_token_env: Option<String>,
    feed_max_age: Option<Spanned<String>>,
    feed_cache: Option<Spanned<String>>,
    change_poll: Option<Spanned<String>>,
    trusted_proxies: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<Spanned<String>>,
    pool_size: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawFetch {
    timeout: Option<Spanned<String>>,
    connect_timeout: Option<Spanned<String>>,
    max_body: Option<Spanned<String>>,
    max_concurrency: Option<Spanned<u64>>,
    per_host_concurrency: Option<Spanned<u64>>,
    user_agent: Option<String>,
    log_retention: Option<Spanned<String>>,
    allow_private_targets: Option<bool>,
    parse_budget: Option<Spanned<String>>,
    max_articles_per_poll: Option<Spanned<u64>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    default: Option<Spanned<String>>,
    min_interval: Option<Spanned<String>>,
    max_interval: Option<Spanned<String>>,
    jitter: Option<Spanned<String>>,
    backoff_base: Option<Spanned<String>>,
    backoff_max: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    url: Spanned<String>,
    title: Option<String>,
    schedule: Option<Spanned<String>>,
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    tags: Vec<String>,
    weight: Option<Spanned<f64>>,
    page: Option<RawPage>,
    full_content: Option<Spanned<RawFullContent>>,
}

/// `sources[].full_content`: `false`, `true` (as `auto`), `auto` or a CSS selector.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawFullContent {
    Switch(bool),
    Text(String),
}

/// An included file: more sources and topics.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawIncluded {
    #[serde(default)]
    sources: Vec<RawSource>,
    #[serde(default)]
    topics: Vec<RawTopic>,
}

/// `sources[].page`: see [`PageSpec`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPage {
    item: Spanned<String>,
    title: Spanned<String>,
    link: Spanned<String>,
    date: Option<Spanned<String>>,
    summary: Option<Spanned<String>>,
    image: Option<Spanned<String>>,
    next: Option<Spanned<String>>,
    max_pages: Option<Spanned<u32>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTopic {
    slug: Spanned<String>,
    title: Option<String>,
    description: Option<String>,
    keywords: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    all_of: Vec<Spanned<Vec<String>>>,
    #[serde(default)]
    exclude: Vec<String>,
    #[serde(default)]
    regex: Vec<Spanned<String>>,
    #[serde(default)]
    sources: Vec<Spanned<String>>,
    #[serde(default)]
    source_tags: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    fields: Option<Spanned<Vec<String>>>,
    min_hits: Option<Spanned<u64>>,
}

// ---- validation ----

const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
const DEFAULT_DATABASE: &str = "sqlite://data/crossfeed.db";
const DEFAULT_SCHEDULE: &str = "every 15m";

/// The User-Agent sent upstream unless the configuration names another.
pub fn default_user_agent() -> String {
    format!(
        "crossfeed/{} (+{})",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_REPOSITORY")
    )
}

#[derive(Default)]
struct Validator {
    issues: Vec<Issue>,
    /// The included file being read; None for the configuration file itself.
    file: Option<PathBuf>,
    /// Source ids and topic slugs seen so far, over every file, with where.
    seen_sources: HashMap<String, String>,
    seen_topics: HashMap<String, String>,
    /// The files `include` brought in.
    included_files: Vec<PathBuf>,
}

impl Validator {
    fn push<T>(&mut self, at: &Spanned<T>, message: impl fmt::Display) {
        self.issues.push(Issue {
            file: self.file.clone(),
            line: at.referenced.line(),
            column: at.referenced.column(),
            message: one_line(&message.to_string()),
        });
    }

    /// Run `parse` on a spanned value, recording its error at the value's place.
    fn check<T, U, E: fmt::Display>(
        &mut self,
        at: &Spanned<T>,
        what: &str,
        parse: impl FnOnce(&T) -> Result<U, E>,
    ) -> Option<U> {
        match parse(&at.value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(at, format!("{what}: {e}"));
                None
            }
        }
    }

    fn config(&mut self, path: &Path, base_dir: &Path, raw: RawConfig) -> Option<Config> {
        let listen = match &raw.server.listen {
            Some(s) => self.check(s, "server.listen", |v| v.parse::<SocketAddr>()),
            None => DEFAULT_LISTEN.parse().ok(),
        };
        let public_url = match &raw.server.public_url {
            Some(s) => self.check(s, "server.public_url", |v| parse_public_url(v)),
            None => listen.and_then(|l| parse_public_url(&format!("http://{l}")).ok()),
        };
        let database_url = match &raw.database.url {
            Some(s) => self.check(s, "database.url", |v| {
                if v.starts_with("sqlite://")
                    || v.starts_with("postgres://")
                    || v.starts_with("postgresql://")
                {
                    Ok(v.clone())
                } else {
                    Err("expected sqlite://path, sqlite:///abs/path or postgres://…")
                }
            }),
            None => Some(DEFAULT_DATABASE.to_owned()),
        };
        let pool_size = self.positive(&raw.database.pool_size, "database.pool_size", 8);
        let feed_max_age = self.duration_or_zero(
            &raw.server.feed_max_age,
            "server.feed_max_age",
            Duration::from_secs(60),
        );
        let feed_cache = match &raw.server.feed_cache {
            Some(s) => self.check(s, "server.feed_cache", |v| parse_size(v)),
            None => Some(64 * 1024 * 1024),
        };
        let change_poll = self.duration(
            &raw.server.change_poll,
            "server.change_poll",
            Duration::from_secs(1),
        );
        // Every entry checked, so that each bad one is reported.
        let trusted_proxies: Vec<_> = raw
            .server
            .trusted_proxies
            .iter()
            .flatten()
            .map(|entry| {
                self.check(entry, "server.trusted_proxies", |v| {
                    TrustedProxies::parse_entry(v)
                })
            })
            .collect();
        let trusted_proxies: Option<Vec<_>> = trusted_proxies.into_iter().collect();

        let fetch = &raw.fetch;
        let timeout = self.duration(&fetch.timeout, "fetch.timeout", Duration::from_secs(20));
        let connect_timeout = self.duration(
            &fetch.connect_timeout,
            "fetch.connect_timeout",
            Duration::from_secs(10),
        );
        let max_body = match &fetch.max_body {
            Some(s) => self.check(s, "fetch.max_body", |v| parse_size(v)),
            None => Some(8 * 1024 * 1024),
        };
        let max_concurrency = self.positive(&fetch.max_concurrency, "fetch.max_concurrency", 32);
        let per_host_concurrency =
            self.positive(&fetch.per_host_concurrency, "fetch.per_host_concurrency", 2);
        let max_articles_per_poll = self.positive(
            &fetch.max_articles_per_poll,
            "fetch.max_articles_per_poll",
            10,
        );

        let default_schedule = match &raw.schedule.default {
            Some(s) => self.check(s, "schedule.default", |v| Schedule::parse(v)),
            None => Schedule::parse(DEFAULT_SCHEDULE).ok(),
        };
        let t = Timing::default();
        let sch = &raw.schedule;
        let min_interval =
            self.duration(&sch.min_interval, "schedule.min_interval", t.min_interval);
        let max_interval =
            self.duration(&sch.max_interval, "schedule.max_interval", t.max_interval);
        let jitter = self.duration_or_zero(&sch.jitter, "schedule.jitter", t.jitter);
        let backoff_base =
            self.duration(&sch.backoff_base, "schedule.backoff_base", t.backoff_base);
        let backoff_max = self.duration(&sch.backoff_max, "schedule.backoff_max", t.backoff_max);
        let parse_budget = self.duration(
            &fetch.parse_budget,
            "fetch.parse_budget",
            Duration::from_secs(30),
        );
        let log_retention = self.duration(
            &fetch.log_retention,
            "fetch.log_retention",
            Duration::from_secs(7 * 24 * 3600),
        );

        let included = self.included(base_dir, &raw.include);
        let mut sources = self.sources(
            (base_dir, public_url.as_ref()),
            raw.sources,
            default_schedule.as_ref(),
        );
        let mut raw_topics = Vec::new();
        for (file, content) in included {
            self.file = Some(file.clone());
            let dir = file.parent().unwrap_or(base_dir);
            sources.extend(self.sources(
                (dir, public_url.as_ref()),
                content.sources,
                default_schedule.as_ref(),
            ));
            raw_topics.push((Some(file), content.topics));
        }
        self.file = None;
        raw_topics.insert(0, (None, raw.topics));
        let source_ids: Vec<String> = sources.iter().map(|s| s.id.to_string()).collect();
        let mut topics = Vec::new();
        for (file, raw) in raw_topics {
            self.file = file;
            topics.extend(self.topics(raw, &source_ids));
        }
        self.file = None;
        let includes: Vec<PathBuf> = self.included_files.clone();
        let classify = self.classify(&raw.classify);
        let tags = self.tags(raw.tags);
        let dedupe = self.dedupe(&raw.dedupe);
        let discovery = self.discovery(&raw.discovery);
        // 0 (or absent) keeps items forever.
        let retention_age = self
            .duration_or_zero(&raw.retention.max_age, "retention.max_age", Duration::ZERO)
            .map(|d| (!d.is_zero()).then_some(d));
        let window = MIN_ITEMS_PER_SOURCE;
        let retention_items = match &raw.retention.max_items_per_source {
            Some(n) if n.value == 0 => Some(None),
            Some(n) => self
                .check(n, "retention.max_items_per_source", |v| {
                    if *v >= window {
                        Ok(*v)
                    } else {
                        Err(format!(
                            "must be 0 (no limit) or at least {window}, the longest feed page; got {v}"
                        ))
                    }
                })
                .map(Some),
            None => Some(None),
        };
        let site_timezone = match &raw.site.timezone {
            Some(tz) => self.check(tz, "site.timezone", |v| {
                v.parse::<Tz>()
                    .map_err(|_| "not an IANA time zone name (e.g. Asia/Shanghai, UTC)")
            }),
            None => Some(SiteConfig::default().timezone),
        };
        let sample_pages = match &raw.site.sample_pages {
            Some(d) => self
                .check(d, "site.sample_pages", |v| {
                    let dir =
                        std::path::absolute(base_dir.join(v.trim())).map_err(|e| e.to_string())?;
                    if dir.is_dir() {
                        Ok(dir)
                    } else {
                        Err(format!("{} is not a directory", dir.display()))
                    }
                })
                .map(Some),
            None => Some(None),
        };
        let log_format = match &raw.log.format {
            Some(s) => self.check(s, "log.format", |v| match v.trim() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                other => Err(format!("must be text or json, got {other:?}")),
            }),
            None => Some(LogFormat::Text),
        };
        let hub = match &raw.websub.hub {
            Some(s) => self
                .check(s, "websub.hub", |v| match Url::parse(v.trim()) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
                    Ok(_) => Err("must be an http or https URL".to_owned()),
                    Err(e) => Err(format!("{e}")),
                })
                .map(Some),
            None => Some(None),
        };

        Some(Config {
            path: path.to_owned(),
            includes,
            server: ServerConfig {
                listen: listen?,
                public_url: public_url?,
                admin_token_env: raw
                    .server
                    .admin_token_env
                    .unwrap_or_else(|| "CROSSFEED_ADMIN_TOKEN".into()),
                feed_max_age: feed_max_age?,
                feed_cache: feed_cache?,
                change_poll: change_poll?,
                trusted_proxies: TrustedProxies::new(trusted_proxies?),
            },
            database: DatabaseConfig {
                url: database_url?,
                pool_size: u32::try_from(pool_size?).unwrap_or(u32::MAX),
            },
            fetch: FetchConfig {
                timeout: timeout?,
                connect_timeout: connect_timeout?,
                max_body: max_body?,
                max_concurrency: max_concurrency?,
                per_host_concurrency: per_host_concurrency?,
                user_agent: fetch.user_agent.clone().unwrap_or_else(default_user_agent),
                log_retention: log_retention?,
                allow_private_targets: fetch.allow_private_targets.unwrap_or(false),
                parse_budget: parse_budget?,
                max_articles_per_poll: max_articles_per_poll?,
            },
            default_schedule: default_schedule?,
            timing: Timing {
                min_interval: min_interval?,
                max_interval: max_interval?,
                jitter: jitter?,
                backoff_base: backoff_base?,
                backoff_max: backoff_max?,
            },
            sources,
            topics,
            classify: classify?,
            tags: tags?,
            dedupe: dedupe?,
            websub: WebSubConfig { hub: hub? },
            log: LogConfig {
                format: log_format?,
            },
            discovery: discovery?,
            site: SiteConfig {
                timezone: site_timezone?,
                sample_pages: sample_pages?,
            },
            retention: RetentionConfig {
                max_age: retention_age?,
                max_items_per_source: retention_items?,
            },
        })
    }

    fn discovery(&mut self, raw: &RawDiscovery) -> Option<DiscoveryConfig> {
        let d = DiscoveryConfig::default();
        let flush_interval = self.duration(
            &raw.flush_interval,
            "discovery.flush_interval",
            d.flush_interval,
        );
        let mut weight = |v: &Option<Spanned<f64>>, what: &str, default: f64| match v {
            Some(w) => self.check(w, what, |v| {
                if (0.0..=10.0).contains(v) {
                    Ok(*v)
                } else {
                    Err(format!("must be from 0 to 10, got {v}"))
                }
            }),
            None => Some(default),
        };
        let r = &raw.recommend;
        let views = weight(&r.views, "discovery.recommend.views", d.recommend.views);
        let cluster = weight(
            &r.cluster,
            "discovery.recommend.cluster",
            d.recommend.cluster,
        );
        let recency = weight(
            &r.recency,
            "discovery.recommend.recency",
            d.recommend.recency,
        );
        let half_life = self.duration(
            &r.half_life,
            "discovery.recommend.half_life",
            d.recommend.half_life,
        );
        Some(DiscoveryConfig {
            flush_interval: flush_interval?,
            recommend: RecommendWeights {
                views: views?,
                cluster: cluster?,
                recency: recency?,
                half_life: half_life?,
            },
        })
    }

    fn dedupe(&mut self, raw: &RawDedupe) -> Option<DedupeConfig> {
        let d = DedupeConfig::default();
        let threshold = match &raw.threshold {
            Some(t) => self.check(t, "dedupe.threshold", |v| {
                if (0.3..=1.0).contains(v) {
                    Ok(*v)
                } else {
                    Err("must be a similarity from 0.3 to 1.0".to_owned())
                }
            }),
            None => Some(d.threshold),
        };
        let window = self.duration(&raw.window, "dedupe.window", d.window);
        Some(DedupeConfig {
            threshold: threshold?,
            window: window?,
        })
    }

    fn classify(&mut self, raw: &RawClassify) -> Option<ClassifyConfig> {
        let d = ClassifyConfig::default();
        let min_hits = self.positive(&raw.min_hits, "classify.min_hits", d.min_hits as usize);
        let lead_chars = match &raw.lead_chars {
            Some(s) => self.check(s, "classify.lead_chars", |v| usize::try_from(*v)),
            None => Some(d.lead_chars),
        };
        Some(ClassifyConfig {
            traditional_to_simplified: raw
                .traditional_to_simplified
                .unwrap_or(d.traditional_to_simplified),
            min_hits: u32::try_from(min_hits?).unwrap_or(u32::MAX),
            lead_chars: lead_chars?,
        })
    }

    fn tags(&mut self, raw: RawTags) -> Option<TagsConfig> {
        let d = TagsConfig::default();
        let max_per_item = self.positive(&raw.max_per_item, "tags.max_per_item", d.max_per_item);
        Some(TagsConfig {
            max_per_item: max_per_item?,
            extract: raw
                .extract
                .map_or(d.extract, |n| usize::try_from(n).unwrap_or(usize::MAX)),
            synonyms: raw
                .synonyms
                .into_iter()
                .map(|(k, v)| (k.trim().to_owned(), clean_list(v)))
                .filter(|(k, _)| !k.is_empty())
                .collect(),
            stop_words: clean_list(raw.stop_words),
        })
    }

    /// Record a duplicate of a name already `seen`, pointing at the first definition.
    /// Record `name` as defined here, or report it as defined before.
    fn unique(&mut self, topics: bool, name: &Spanned<String>, what: &str) {
        let here = match &self.file {
            Some(f) => format!("{}:{}", f.display(), name.referenced.line()),
            None => format!("line {}", name.referenced.line()),
        };
        let seen = if topics {
            &mut self.seen_topics
        } else {
            &mut self.seen_sources
        };
        match seen.get(&name.value).cloned() {
            Some(first) => self.push(
                name,
                format!(
                    "duplicate {what} {:?} (first defined at {first})",
                    name.value
                ),
            ),
            None => {
                seen.insert(name.value.clone(), here);
            }
        }
    }

    fn positive(
        &mut self,
        raw: &Option<Spanned<u64>>,
        what: &str,
        default: usize,
    ) -> Option<usize> {
        match raw {
            Some(s) => self.check(s, what, |v| match *v {
                0 => Err("must be at least 1".to_owned()),
                n => usize::try_from(n).map_err(|e| e.to_string()),
            }),
            None => Some(default),
        }
    }

    /// A duration longer than zero.
    fn duration(
        &mut self,
        raw: &Option<Spanned<String>>,
        what: &str,
        default: Duration,
    ) -> Option<Duration> {
        self.any_duration(raw, what, default, false)
    }

    /// A duration where "0s" is allowed (e.g. no jitter).
    fn duration_or_zero(
        &mut self,
        raw: &Option<Spanned<String>>,
        what: &str,
        default: Duration,
    ) -> Option<Duration> {
        self.any_duration(raw, what, default, true)
    }

    fn any_duration(
        &mut self,
        raw: &Option<Spanned<String>>,
        what: &str,
        default: Duration,
        zero_ok: bool,
    ) -> Option<Duration> {
        match raw {
            Some(s) => self.check(s, what, |v| match humantime::parse_duration(v) {
                Ok(d) if d.is_zero() && !zero_ok => Err("must be longer than zero".to_owned()),
                Ok(d) => Ok(d),
                Err(e) => Err(format!("{e} (write e.g. \"20s\" or \"1m\")")),
            }),
            None => Some(default),
        }
    }

    fn sources(
        &mut self,
        (base_dir, public_url): (&Path, Option<&Url>),
        raw: Vec<RawSource>,
        default_schedule: Option<&Schedule>,
    ) -> Vec<SourceConfig> {
        let mut out = Vec::with_capacity(raw.len());
        for s in raw {
            let id = self.check(&s.id, "source id", |v| SourceId::parse(v));
            self.unique(false, &s.id, "source id");
            let on_this_server = is_server_path(&s.url.value);
            let url = self.check(&s.url, "source url", |v| {
                if on_this_server {
                    // Checked against the public URL again once the environment has spoken.
                    let public = public_url.ok_or("a path needs a valid server.public_url")?;
                    public.join(v.trim()).map_err(|e| e.to_string())
                } else {
                    resolve_source_url(v, base_dir)
                }
            });
            let schedule = match &s.schedule {
                Some(sch) => self.check(sch, "source schedule", |v| Schedule::parse(v)),
                None => default_schedule.cloned(),
            };
            let timezone = match &s.timezone {
                Some(tz) => self.check(tz, "source timezone", |v| {
                    v.parse::<Tz>()
                        .map_err(|_| "not an IANA time zone name (e.g. Asia/Shanghai, UTC)")
                }),
                None => Some(Tz::UTC),
            };
            let weight = match &s.weight {
                Some(w) => self.check(w, "source weight", |v| {
                    if *v > 0.0 && *v <= 10.0 {
                        Ok(*v)
                    } else {
                        Err(format!("must be above 0 and at most 10, got {v}"))
                    }
                }),
                None => Some(1.0),
            };
            let page = match &s.page {
                Some(p) => self.page(p).map(Some),
                None => Some(None),
            };
            let full_content = match &s.full_content {
                Some(f) => self.check(f, "full_content", |v| match v {
                    RawFullContent::Switch(false) => Ok(None),
                    RawFullContent::Switch(true) => Ok(Some(FullContent::Auto)),
                    RawFullContent::Text(t) => FullContent::parse(t)
                        .map(Some)
                        .map_err(|e| format!("write false, auto or a CSS selector: {e}")),
                }),
                None => Some(None),
            };
            if let (
                Some(id),
                Some(url),
                Some(schedule),
                Some(timezone),
                Some(weight),
                Some(page),
                Some(full_content),
            ) = (id, url, schedule, timezone, weight, page, full_content)
            {
                out.push(SourceConfig {
                    id,
                    url,
                    title: s.title.filter(|t| !t.trim().is_empty()),
                    schedule,
                    timezone,
                    tags: clean_list(s.tags),
                    weight,
                    page,
                    full_content,
                    on_this_server,
                });
            }
        }
        out
    }

    /// The files `include` names, read and parsed, in order (each glob's matches sorted). A
    /// glob that matches nothing is an error, so that a reload never drops sources because a
    /// directory moved; so is a file that does not parse, with its own line and column.
    fn included(
        &mut self,
        base_dir: &Path,
        patterns: &[Spanned<String>],
    ) -> Vec<(PathBuf, RawIncluded)> {
        let mut out = Vec::new();
        for pattern in patterns {
            // `**` walks whole trees: a typo such as "/**" must not read the disk end to end.
            if pattern.value.contains("**") {
                self.push(
                    pattern,
                    "include: `**` is not supported; name the directory (e.g. \"sources/*.yaml\")",
                );
                continue;
            }
            let joined = base_dir.join(pattern.value.trim());
            let files = match glob::glob(&joined.to_string_lossy()) {
                Ok(paths) => {
                    let mut files: Vec<PathBuf> = paths
                        .flatten()
                        .filter(|p| p.is_file())
                        .take(MAX_INCLUDED_FILES + 1)
                        .collect();
                    if files.len() > MAX_INCLUDED_FILES {
                        self.push(
                            pattern,
                            format!("include: matches more than {MAX_INCLUDED_FILES} files"),
                        );
                        continue;
                    }
                    files.sort();
                    files
                }
                Err(e) => {
                    self.push(pattern, format!("include: not a glob: {e}"));
                    continue;
                }
            };
            if files.is_empty() {
                self.push(
                    pattern,
                    format!("include: {} matches no file", joined.display()),
                );
            }
            for file in files {
                if self.included_files.contains(&file) {
                    continue;
                }
                self.included_files.push(file.clone());
                let too_big = std::fs::metadata(&file).is_ok_and(|m| m.len() > MAX_INCLUDED_BYTES);
                if too_big {
                    self.push(
                        pattern,
                        format!("include: {} is larger than 4 MiB", file.display()),
                    );
                    continue;
                }
                let text = match std::fs::read_to_string(&file) {
                    Ok(t) => t,
                    Err(e) => {
                        self.push(
                            pattern,
                            format!("include: cannot read {}: {e}", file.display()),
                        );
                        continue;
                    }
                };
                if text.trim().is_empty() {
                    continue;
                }
                match serde_saphyr::from_str::<RawIncluded>(&text) {
                    Ok(content) => out.push((file, content)),
                    Err(e) => {
                        let (line, column) =
                            e.location().map_or((1, 1), |l| (l.line(), l.column()));
                        self.issues.push(Issue {
                            file: Some(file),
                            line,
                            column,
                            message: syntax_message(&e),
                        });
                    }
                }
            }
        }
        out
    }

    /// A page source's selectors, each compiled here so that an error points at its own line.
    fn page(&mut self, raw: &RawPage) -> Option<PageSpec> {
        let value = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.value.clone());
        let spec = PageSpec {
            item: raw.item.value.clone(),
            title: raw.title.value.clone(),
            link: raw.link.value.clone(),
            date: value(&raw.date),
            summary: value(&raw.summary),
            image: value(&raw.image),
            next: value(&raw.next),
            max_pages: raw.max_pages.as_ref().map_or(1, |m| m.value),
        };
        let Err(error) = spec.compile() else {
            return Some(spec);
        };
        let line = |s: &Option<Spanned<String>>| {
            s.as_ref()
                .map(|s| (s.referenced.line(), s.referenced.column()))
        };
        let (line, column) = match error.field {
            "item" => Some((raw.item.referenced.line(), raw.item.referenced.column())),
            "title" => Some((raw.title.referenced.line(), raw.title.referenced.column())),
            "link" => Some((raw.link.referenced.line(), raw.link.referenced.column())),
            "date" => line(&raw.date),
            "summary" => line(&raw.summary),
            "image" => line(&raw.image),
            "next" => line(&raw.next),
            _ => raw
                .max_pages
                .as_ref()
                .map(|m| (m.referenced.line(), m.referenced.column())),
        }
        .unwrap_or((raw.item.referenced.line(), raw.item.referenced.column()));
        self.issues.push(Issue {
            file: self.file.clone(),
            line,
            column,
            message: one_line(&format!("page.{}: {}", error.field, error.message)),
        });
        None
    }

    fn topics(&mut self, raw: Vec<RawTopic>, source_ids: &[String]) -> Vec<TopicConfig> {
        let mut out = Vec::with_capacity(raw.len());
        for t in raw {
            let slug = self.check(&t.slug, "topic slug", |v| TopicSlug::parse(v));
            self.unique(true, &t.slug, "topic slug");
            let keywords = clean_list(
                t.keywords
                    .as_ref()
                    .map(|k| k.value.clone())
                    .unwrap_or_default(),
            );
            let categories = clean_list(t.categories);
            let mut all_of = Vec::new();
            for group in &t.all_of {
                let words = clean_list(group.value.clone());
                if words.is_empty() {
                    self.push(group, "an all_of group needs at least one word");
                } else {
                    all_of.push(words);
                }
            }
            let mut regex = Vec::new();
            for r in &t.regex {
                if self
                    .check(r, "topic regex", |v| compile_topic_regex(v))
                    .is_some()
                {
                    regex.push(r.value.clone());
                }
            }
            if keywords.is_empty()
                && all_of.is_empty()
                && t.regex.is_empty()
                && categories.is_empty()
            {
                let message = "a topic needs at least one keyword (or all_of, regex or categories)";
                match &t.keywords {
                    Some(k) => self.push(k, message),
                    None => self.push(&t.slug, message),
                }
            }
            let mut sources = Vec::new();
            for s in &t.sources {
                if source_ids.iter().any(|id| id == &s.value) {
                    sources.push(s.value.clone());
                } else {
                    self.push(
                        s,
                        format!("topic sources: no source has the id {:?}", s.value),
                    );
                }
            }
            let fields = match &t.fields {
                Some(f) => self.check(f, "topic fields", |v| Fields::parse(v)),
                None => Some(Fields::default()),
            };
            let min_hits = match &t.min_hits {
                Some(_) => self
                    .positive(&t.min_hits, "topic min_hits", 1)
                    .map(|n| Some(u32::try_from(n).unwrap_or(u32::MAX))),
                None => Some(None),
            };
            if let (Some(slug), Some(fields), Some(min_hits)) = (slug, fields, min_hits) {
                out.push(TopicConfig {
                    title: t.title.unwrap_or_else(|| slug.to_string()),
                    slug,
                    description: t.description,
                    keywords,
                    all_of,
                    exclude: clean_list(t.exclude),
                    regex,
                    sources,
                    source_tags: clean_list(t.source_tags),
                    categories,
                    fields,
                    min_hits,
                });
            }
        }
        out
    }
}

/// Trim entries, drop empty ones and repeats, keep the order.
fn clean_list(items: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|o| o == item) {
            out.push(item.to_owned());
        }
    }
    out
}

/// `text` on one line: every issue is one `file:line:column: message` line, whatever a
/// library's error text holds (a CSS parser's error spans lines).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A source URL written as a path on this server: `/samples/portal/news.html` (not `//host`).
fn is_server_path(raw: &str) -> bool {
    let raw = raw.trim();
    raw.starts_with('/') && !raw.starts_with("//")
}

fn parse_public_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| e.to_string())?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("expected an http(s) URL such as http://127.0.0.1:8080".into());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

/// Accept http(s) URLs, absolute `file:///…` URLs, and `file:relative/path` resolved against
/// the configuration's directory (how the bundled sample feeds are referenced).
fn resolve_source_url(raw: &str, base_dir: &Path) -> Result<Url, String> {
    let raw = raw.trim();
    if let Some(rest) = raw.strip_prefix("file:")
        && !rest.starts_with('/')
    {
        let joined = std::path::absolute(base_dir.join(rest)).map_err(|e| e.to_string())?;
        return Url::from_file_path(&joined)
            .map_err(|()| format!("cannot make a file URL of {}", joined.display()));
    }
    let url = Url::parse(raw).map_err(|e| e.to_string())?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        "file" => Ok(url),
        _ => Err("expected an http(s) URL, file:///absolute/path or file:relative/path".into()),
    }
}

/// Parse a size such as "8MiB", "512 KiB", "1MB" or "1048576" into bytes.
fn parse_size(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{raw:?} is not a size like \"8MiB\""))?;
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        other => {
            return Err(format!(
                "unknown size unit {other:?} (use B, KiB, MiB or GiB)"
            ));
        }
    };
    match n.checked_mul(mult) {
        Some(0) => Err("must be larger than zero".into()),
        Some(v) => Ok(v),
        None => Err(format!("{raw:?} is too large")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, ConfigError> {
        Config::from_yaml(Path::new("conf/test.yaml"), text)
    }

    fn issues(text: &str) -> Vec<(u64, u64, String)> {
        match load(text) {
            Ok(_) => panic!("expected errors for:\n{text}"),
            Err(e) => e
                .issues()
                .iter()
                .map(|i| (i.line, i.column, i.message.clone()))
                .collect(),
        }
    }

    const GOOD: &str = "\
server: { listen: \"127.0.0.1:9000\", public_url: \"http://news.example.com/\" }
database: { url: \"sqlite://data/x.db\" }
fetch: { timeout: 5s, max_body: 2MiB }
schedule: { default: \"every 30m\" }
sources:
  - id: cifnews
    url: https://www.example.com/rss
    timezone: Asia/Shanghai
    tags: [跨境电商, \" \"]
  - id: local
    url: file:samples/a.xml
    schedule: \"0 */10 * * * *\"
topics:
  - slug: tiktok
    title: TikTok
    keywords: [TikTok, 抖音]
";

    #[test]
    fn a_good_file_loads_with_defaults_filled_in() {
        let c = load(GOOD).unwrap();
        assert_eq!(c.server.listen.port(), 9000);
        assert_eq!(c.fetch.timeout, Duration::from_secs(5));
        assert_eq!(c.fetch.max_body, 2 * 1024 * 1024);
        assert_eq!(c.fetch.max_concurrency, 32);
        assert_eq!(c.sources.len(), 2);
        assert_eq!(c.sources[0].timezone, Tz::Asia__Shanghai);
        assert_eq!(c.sources[0].schedule.as_str(), "every 30m");
        assert_eq!(c.sources[0].tags, vec!["跨境电商".to_owned()]);
        assert_eq!(c.sources[1].url.scheme(), "file");
        assert!(c.sources[1].url.path().ends_with("/conf/samples/a.xml"));
        assert_eq!(
            c.topics[0].keywords,
            vec!["TikTok".to_owned(), "抖音".to_owned()]
        );
    }

    #[test]
    fn unknown_keys_are_refused_with_their_place() {
        let found = issues("server:\n  listen: \"127.0.0.1:1\"\n  colour: blue\n");
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].0, found[0].1), (3, 3));
        assert!(found[0].2.contains("colour"), "{found:?}");
    }

    #[test]
    fn duplicate_ids_bad_urls_and_bad_schedules_are_all_reported() {
        let text = "\
sources:
  - id: a
    url: https://example.com/a
  - id: a
    url: ftp://example.com/b
    schedule: every now and then
topics:
  - slug: t
    keywords: [x]
  - slug: t
    keywords: []
";
        let found = issues(text);
        let lines: Vec<u64> = found.iter().map(|f| f.0).collect();
        assert_eq!(lines, vec![4, 5, 6, 10, 11], "{found:?}");
        assert!(found[0].2.contains("duplicate source id"));
        assert!(found[1].2.contains("source url"));
        assert!(found[2].2.contains("schedule"));
        assert!(found[3].2.contains("duplicate topic slug"));
        assert!(found[4].2.contains("at least one keyword"));
        assert_eq!(found[0].1, 9, "column of the id value");
    }

    #[test]
    fn page_selectors_are_compiled_and_refused_at_their_place() {
        let good = "\
sources:
  - id: portal
    url: https://portal.example.cn/news/
    page:
      item: \"ul.news-list > li\"
      title: \"h3 a\"
      link: \"h3 a@href\"
      next: \"a.next@href\"
      max_pages: 3
";
        let c = load(good).unwrap();
        let page = c.sources[0].page.as_ref().unwrap();
        assert_eq!((page.link.as_str(), page.max_pages), ("h3 a@href", 3));
        assert_eq!(page.date, None);
        assert_eq!(
            load(&good.replace("    max_pages: 3\n", ""))
                .unwrap()
                .sources[0]
                .page
                .as_ref()
                .unwrap()
                .max_pages,
            1
        );

        let found = issues(&good.replace("\"h3 a@href\"", "\"h3 > > a@href\""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!((found[0].0, found[0].1), (7, 13), "{found:?}");
        assert!(
            found[0].2.starts_with("page.link: not a CSS selector"),
            "{found:?}"
        );

        // A selector the CSS parser finds empty: its multi-line error comes out on one line.
        let found = issues(&good.replace("\"a.next@href\"", "\"a.nex,@href\""));
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(!found[0].2.contains('\n'), "{found:?}");
        assert!(found[0].2.starts_with("page.next:"), "{found:?}");

        let found = issues(&good.replace("max_pages: 3", "max_pages: 50"));
        assert_eq!(found[0].0, 9, "{found:?}");
        assert!(found[0].2.contains("max_pages"), "{found:?}");

        // A required selector left out, or an unknown key, is refused too.
        let found = issues(&good.replace("      title: \"h3 a\"\n", ""));
        assert!(found[0].2.contains("title"), "{found:?}");
        let found = issues(&good.replace("max_pages: 3", "max_page: 3"));
        assert!(found[0].2.contains("max_page"), "{found:?}");
    }

    #[test]
    fn included_files_add_sources_and_topics_and_errors_name_them() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("sources/feeds")).unwrap();
        std::fs::write(
            root.join("crossfeed.yaml"),
            "include: [\"sources/*.yaml\"]\nsources:\n  - id: main\n    url: https://a.example.com/rss\n",
        )
        .unwrap();
        std::fs::write(
            root.join("sources/b.yaml"),
            "sources:\n  - id: portal\n    url: file:feeds/portal.xml\ntopics:\n  - slug: shopee\n    keywords: [Shopee]\n    sources: [main, portal]\n",
        )
        .unwrap();
        std::fs::write(
            root.join("sources/a.yaml"),
            "sources:\n  - id: wire\n    url: https://wire.example.com/feed\n",
        )
        .unwrap();
        let c = Config::load(&root.join("crossfeed.yaml")).unwrap();
        let ids: Vec<&str> = c.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(
            ids,
            ["main", "wire", "portal"],
            "main file first, then a.yaml, b.yaml"
        );
        // A file: URL in an included file is relative to that file.
        assert!(
            c.sources[2]
                .url
                .path()
                .ends_with("/sources/feeds/portal.xml"),
            "{}",
            c.sources[2].url
        );
        assert_eq!(c.topics[0].slug.as_str(), "shopee");
        assert_eq!(c.includes.len(), 2);

        // A duplicate id in an included file names both places.
        std::fs::write(
            root.join("sources/c.yaml"),
            "sources:\n  - id: main\n    url: https://c.example.com/rss\n",
        )
        .unwrap();
        let e = Config::load(&root.join("crossfeed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains(
                "sources/c.yaml:2:9: duplicate source id \"main\" (first defined at line 3)"
            ),
            "{e}"
        );
        // A bad value or broken YAML in an included file: that file's line and column.
        std::fs::write(
            root.join("sources/c.yaml"),
            "sources:\n  - id: c\n    url: ftp://c.example.com/rss\n",
        )
        .unwrap();
        let e = Config::load(&root.join("crossfeed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sources/c.yaml:3:10: source url"), "{e}");
        std::fs::write(
            root.join("sources/c.yaml"),
            "sources:\n  - id: c\n   url: [\n",
        )
        .unwrap();
        let e = Config::load(&root.join("crossfeed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("sources/c.yaml:"), "{e}");
        std::fs::remove_file(root.join("sources/c.yaml")).unwrap();
        // Only sources and topics belong in an included file.
        std::fs::write(
            root.join("sources/d.yaml"),
            "server:\n  listen: \"127.0.0.1:1\"\n",
        )
        .unwrap();
        let e = Config::load(&root.join("crossfeed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("sources/d.yaml:1:1") && e.contains("server"),
            "{e}"
        );
        std::fs::remove_file(root.join("sources/d.yaml")).unwrap();

        // A glob that matches nothing is refused, so that a reload never drops sources.
        std::fs::write(
            root.join("crossfeed.yaml"),
            "include:\n  - \"moved/*.yaml\"\nsources: []\n",
        )
        .unwrap();
        let e = Config::load(&root.join("crossfeed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("crossfeed.yaml:2:5: include:") && e.contains("matches no file"),
            "{e}"
        );
        // Nor may a glob walk whole trees.
        std::fs::write(root.join("crossfeed.yaml"), "include: [\"/**/*.yaml\"]\n").unwrap();
        let e = Config::load(&root.join("crossfeed.yaml"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("`**` is not supported"), "{e}");
    }

    #[test]
    fn the_rendered_error_names_file_line_and_column() {
        let err = load("sources:\n  - id: \"bad id\"\n    url: https://e.com/\n").unwrap_err();
        assert!(
            err.to_string().starts_with("conf/test.yaml:2:9: source id"),
            "{err}"
        );
    }

    #[test]
    fn broken_yaml_is_refused_with_its_place() {
        let found = issues("sources:\n  - id: a\n   url: [\n");
        assert_eq!(found.len(), 1);
        assert!(found[0].0 >= 2, "{found:?}");
    }

    #[test]
    fn environment_overrides_the_file() {
        let mut c = load(GOOD).unwrap();
        c.apply_env(|k| match k {
            "DATABASE_URL" => Some("postgres://db/x".into()),
            "CROSSFEED_LISTEN" => Some("0.0.0.0:8080".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(c.database.url, "postgres://db/x");
        assert_eq!(c.server.listen.to_string(), "0.0.0.0:8080");
        assert!(c.apply_env(|_| Some("nonsense".into())).is_err());
    }

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("8MiB"), Ok(8 * 1024 * 1024));
        assert_eq!(parse_size("512 KiB"), Ok(512 * 1024));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert!(parse_size("8 furlongs").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("99999999999GiB").is_err());
    }
}

//! The YAML configuration: loading, validation with file/line/column in every error, and the
//! environment overrides (`DATABASE_URL`, `CROSSFEED_LISTEN`, `CROSSFEED_PUBLIC_URL`). Nothing
//! here touches the network or the store.

// A function does one job: past 120 code lines it is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

// The crates beneath this one, under the names its modules use for them.
use crossfeed_domain::{self as domain, text};

mod raw;
mod validate;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use url::Url;

use crate::domain::page::{FullContent, PageSource};
use crate::domain::proxies::TrustedProxies;
use crate::domain::{Schedule, SourceId, Timing, TopicSlug};

use raw::RawConfig;
pub use validate::default_user_agent;
use validate::{Validator, parse_public_url};

/// The configuration file used when neither `--config` nor `CROSSFEED_CONFIG` names one.
pub const DEFAULT_PATH: &str = "config/crossfeed.yaml";

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The files its `include` globs matched, in the order they were read.
    pub includes: Vec<PathBuf>,
    /// The `include` globs as written, relative to the file's directory.
    pub include_globs: Vec<String>,
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
    /// Searches the sidebar suggests (before each topic's leading keyword) while too few people
    /// have searched; shown as suggestions, never as counts.
    pub suggested_searches: Vec<String>,
    /// Show items' and articles' pictures through crossfeed's own image route (`/img/…`), so
    /// that portals that refuse hotlinked images still show them.
    pub image_proxy: bool,
    /// The same in feeds: their pictures' addresses point at the image route.
    pub image_proxy_in_feeds: bool,
}

/// The variable that holds the image route's signing key, shared by every process; without it
/// the key is made once and kept in the store.
pub const IMAGE_KEY_ENV: &str = "CROSSFEED_IMAGE_KEY";

impl Default for SiteConfig {
    fn default() -> Self {
        Self {
            timezone: chrono_tz::Asia::Shanghai,
            sample_pages: None,
            suggested_searches: Vec::new(),
            image_proxy: true,
            image_proxy_in_feeds: false,
        }
    }
}

/// At most this many suggested searches (a sidebar box holds 8).
pub const MAX_SUGGESTED_SEARCHES: usize = 20;

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
    /// How alike two items' texts must be to be the same story (0.3–1.0), as
    /// `Signature::likeness` measures: Jaccard similarity of their shingles, or the share of a
    /// shorter text found in a longer one on the same scale.
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
    /// Names of platforms that have no topic (Etsy, 乐天): with one in the title or lead, a
    /// topic's `shared` words do not count for it. Every topic's keywords count as platform
    /// names too.
    pub platforms: Vec<String>,
}

impl Default for ClassifyConfig {
    fn default() -> Self {
        Self {
            traditional_to_simplified: true,
            min_hits: 2,
            lead_chars: 200,
            platforms: Vec::new(),
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
    /// Peers whose `X-Forwarded-For` says who the client is.
    pub trusted_proxies: TrustedProxies,
    /// Read the standard `Forwarded` header from those peers instead of `X-Forwarded-For`
    /// (only for proxies that set it and drop what clients send in it).
    pub trust_forwarded: bool,
}

impl ServerConfig {
    /// The public address without its trailing slash, for joining paths to (`{base}/feeds/…`).
    pub fn public_base(&self) -> &str {
        self.public_url.as_str().trim_end_matches('/')
    }
}

#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// `sqlite://relative/path`, `sqlite:///absolute/path` or `postgres://…`.
    pub url: String,
    /// Connections in the pool.
    pub pool_size: u32,
    /// Postgres: the longest one statement may run (`statement_timeout`).
    pub statement_timeout: Duration,
    /// Postgres: the longest a statement may wait for a lock (`lock_timeout`).
    pub lock_timeout: Duration,
}

impl DatabaseConfig {
    /// What the store is opened with.
    pub fn limits(&self) -> crate::domain::database_url::Limits {
        crate::domain::database_url::Limits {
            pool_size: self.pool_size,
            statement_timeout: self.statement_timeout,
            lock_timeout: self.lock_timeout,
        }
    }
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
    /// Follow redirects and the feed links of pages to other hosts on private addresses too.
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
    pub page: Option<PageSource>,
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
    /// Words other platforms use too (brand registry, flagship store): evidence only with one of
    /// this topic's own keywords in the title or lead, or with no other platform there.
    pub shared: Vec<String>,
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
            shared: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::validate::parse_size;
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
    fn suggested_searches_are_checked_one_by_one() {
        let path = Path::new("/tmp/crossfeed.yaml");
        let ok = Config::from_yaml(
            path,
            "site:\n  suggested_searches: [\" 黑五备货 \", TikTok Shop]\n",
        )
        .unwrap();
        assert_eq!(ok.site.suggested_searches, ["黑五备货", "TikTok Shop"]);
        let bad = Config::from_yaml(
            path,
            "site:\n  suggested_searches:\n    - 黑五备货\n    - https://evil.example\n    - x\n",
        )
        .unwrap_err();
        let issues = bad.issues();
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!((issues[0].line, issues[1].line), (4, 5));
        assert!(issues[0].message.starts_with("site.suggested_searches: "));
        let many = (0..21)
            .map(|n| format!("    - 搜索{n}\n"))
            .collect::<String>();
        let err =
            Config::from_yaml(path, &format!("site:\n  suggested_searches:\n{many}")).unwrap_err();
        assert!(err.to_string().contains("at most 20"), "{err}");
    }

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

    /// The check reads a URL as the store does: one the file accepts is one the store opens.
    #[test]
    fn database_urls_the_store_cannot_open_are_refused_with_their_place() {
        for url in ["sqlite://", "mysql://h/db", "data/x.db"] {
            let found = issues(&format!("database:\n  url: \"{url}\"\n"));
            assert_eq!(found.len(), 1, "{url}: {found:?}");
            assert_eq!((found[0].0, found[0].1), (2, 8), "{url}");
            assert!(found[0].2.contains("expected sqlite://path"), "{found:?}");
        }
        let ok = load("database:\n  url: \"postgresql://u@h/db\"\n").unwrap();
        assert_eq!(ok.database.url, "postgresql://u@h/db");
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
        let Some(PageSource::Selectors(page)) = c.sources[0].page.as_ref() else {
            panic!("{:?}", c.sources[0].page);
        };
        assert_eq!((page.link.as_str(), page.max_pages), ("h3 a@href", 3));
        assert_eq!(page.date, None);
        assert_eq!(
            load(&good.replace("    max_pages: 3\n", ""))
                .unwrap()
                .sources[0]
                .page
                .as_ref()
                .unwrap()
                .max_pages(),
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
    fn page_auto_alone_or_with_pinned_selectors() {
        let source = |page: &str| {
            format!(
                "sources:\n  - id: portal\n    url: https://portal.example.cn/news/\n    page: {page}\n"
            )
        };
        let c = load(&source("auto")).unwrap();
        assert_eq!(
            c.sources[0].page,
            Some(PageSource::Auto(crate::domain::page::AutoPage::new(1)))
        );
        let c = load(&source("{ auto: true, date: \"span.when\", max_pages: 3 }")).unwrap();
        let Some(PageSource::Auto(auto)) = &c.sources[0].page else {
            panic!("{:?}", c.sources[0].page);
        };
        assert_eq!(
            (auto.date.as_deref(), auto.max_pages),
            (Some("span.when"), 3)
        );
        assert_eq!(auto.item, None);

        // A word other than auto, a bad pinned selector, selectors without auto missing one.
        let found = issues(&source("automatic"));
        assert!(found[0].2.contains("write auto"), "{found:?}");
        assert_eq!(found[0].0, 4, "{found:?}");
        let found = issues(&source("{ auto: true, date: \"span[\" }"));
        assert!(found[0].2.starts_with("page.date:"), "{found:?}");
        let found = issues(&source("{ item: li, link: \"a@href\" }"));
        assert!(found[0].2.contains("page.title: missing"), "{found:?}");
        assert!(found[0].2.contains("auto: true"), "{found:?}");
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

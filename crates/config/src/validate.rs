//! Checking the configuration as written and building the typed [`Config`]: every issue is
//! collected with its file, line and column, so that one run reports them all.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono_tz::Tz;
use serde_saphyr::Spanned;
use url::Url;

use crate::domain::database_url::DatabaseUrl;
use crate::domain::page::FullContent;
use crate::domain::proxies::TrustedProxies;
use crate::domain::{Schedule, SourceId, Timing, TopicSlug};

use super::raw::*;

mod page;
use super::*;

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
pub(super) struct Validator {
    pub(super) issues: Vec<Issue>,
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

    /// The whole configuration: each section checked in full (so that every issue is
    /// reported), then put together only when all of them are sound.
    pub(super) fn config(
        &mut self,
        path: &Path,
        base_dir: &Path,
        raw: RawConfig,
    ) -> Option<Config> {
        let (server, public_url) = self.server(&raw.server);
        let database = self.database(&raw.database);
        let fetch = self.fetch(&raw.fetch);
        let (default_schedule, timing) = self.schedule(&raw.schedule);
        let (sources, topics) = self.sources_and_topics(
            base_dir,
            public_url.as_ref(),
            default_schedule.as_ref(),
            (&raw.include, raw.sources, raw.topics),
        );
        let includes: Vec<PathBuf> = self.included_files.clone();
        let include_globs = raw.include.iter().map(|g| g.value.clone()).collect();
        let classify = self.classify(&raw.classify);
        let tags = self.tags(raw.tags);
        let dedupe = self.dedupe(&raw.dedupe);
        let discovery = self.discovery(&raw.discovery);
        let retention = self.retention(&raw.retention);
        let site = self.site(&raw.site, base_dir);
        let log = self.log(&raw.log);
        let websub = self.websub(&raw.websub);
        Some(Config {
            path: path.to_owned(),
            includes,
            include_globs,
            server: server?,
            database: database?,
            fetch: fetch?,
            default_schedule: default_schedule?,
            timing: timing?,
            sources,
            topics,
            classify: classify?,
            tags: tags?,
            dedupe: dedupe?,
            websub: websub?,
            log: log?,
            discovery: discovery?,
            site: site?,
            retention: retention?,
        })
    }

    /// The server section, and its public URL on its own (sources written as a path need it
    /// even when another server setting is wrong).
    fn server(&mut self, raw: &RawServer) -> (Option<ServerConfig>, Option<Url>) {
        let listen = match &raw.listen {
            Some(s) => self.check(s, "server.listen", |v| v.parse::<SocketAddr>()),
            None => DEFAULT_LISTEN.parse().ok(),
        };
        let public_url = match &raw.public_url {
            Some(s) => self.check(s, "server.public_url", |v| parse_public_url(v)),
            None => listen.and_then(|l| parse_public_url(&format!("http://{l}")).ok()),
        };
        let feed_max_age = self.duration_or_zero(
            &raw.feed_max_age,
            "server.feed_max_age",
            Duration::from_secs(60),
        );
        let feed_cache = match &raw.feed_cache {
            Some(s) => self.check(s, "server.feed_cache", |v| parse_size(v)),
            None => Some(64 * 1024 * 1024),
        };
        let change_poll = self.duration(
            &raw.change_poll,
            "server.change_poll",
            Duration::from_secs(1),
        );
        // Every entry checked, so that each bad one is reported.
        let trusted_proxies: Vec<_> = raw
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
        let server = (|| {
            Some(ServerConfig {
                listen: listen?,
                public_url: public_url.clone()?,
                admin_token_env: raw
                    .admin_token_env
                    .clone()
                    .unwrap_or_else(|| "CROSSFEED_ADMIN_TOKEN".into()),
                feed_max_age: feed_max_age?,
                feed_cache: feed_cache?,
                change_poll: change_poll?,
                trusted_proxies: TrustedProxies::new(trusted_proxies?),
                trust_forwarded: raw.trust_forwarded.unwrap_or(false),
            })
        })();
        (server, public_url)
    }

    fn database(&mut self, raw: &RawDatabase) -> Option<DatabaseConfig> {
        let url = match &raw.url {
            Some(s) => self.check(s, "database.url", |v| {
                DatabaseUrl::parse(v)
                    .map(|_| v.clone())
                    .ok_or(DatabaseUrl::EXPECTED)
            }),
            None => Some(DEFAULT_DATABASE.to_owned()),
        };
        let pool_size = self.positive(&raw.pool_size, "database.pool_size", 8);
        let statement_timeout = self.duration(
            &raw.statement_timeout,
            "database.statement_timeout",
            crate::domain::database_url::Limits::STATEMENT_TIMEOUT,
        );
        let lock_timeout = self.duration(
            &raw.lock_timeout,
            "database.lock_timeout",
            crate::domain::database_url::Limits::LOCK_TIMEOUT,
        );
        Some(DatabaseConfig {
            url: url?,
            pool_size: u32::try_from(pool_size?).unwrap_or(u32::MAX),
            statement_timeout: statement_timeout?,
            lock_timeout: lock_timeout?,
        })
    }

    fn fetch(&mut self, raw: &RawFetch) -> Option<FetchConfig> {
        let timeout = self.duration(&raw.timeout, "fetch.timeout", Duration::from_secs(20));
        let connect_timeout = self.duration(
            &raw.connect_timeout,
            "fetch.connect_timeout",
            Duration::from_secs(10),
        );
        let max_body = match &raw.max_body {
            Some(s) => self.check(s, "fetch.max_body", |v| parse_size(v)),
            None => Some(8 * 1024 * 1024),
        };
        let max_concurrency = self.positive(&raw.max_concurrency, "fetch.max_concurrency", 32);
        let per_host_concurrency =
            self.positive(&raw.per_host_concurrency, "fetch.per_host_concurrency", 2);
        let max_articles_per_poll = self.positive(
            &raw.max_articles_per_poll,
            "fetch.max_articles_per_poll",
            10,
        );
        let parse_budget = self.duration(
            &raw.parse_budget,
            "fetch.parse_budget",
            Duration::from_secs(30),
        );
        let log_retention = self.duration(
            &raw.log_retention,
            "fetch.log_retention",
            Duration::from_secs(7 * 24 * 3600),
        );
        Some(FetchConfig {
            timeout: timeout?,
            connect_timeout: connect_timeout?,
            max_body: max_body?,
            max_concurrency: max_concurrency?,
            per_host_concurrency: per_host_concurrency?,
            user_agent: raw.user_agent.clone().unwrap_or_else(default_user_agent),
            log_retention: log_retention?,
            allow_private_targets: raw.allow_private_targets.unwrap_or(false),
            parse_budget: parse_budget?,
            max_articles_per_poll: max_articles_per_poll?,
        })
    }

    /// The default schedule, and the bounds on every poll time.
    fn schedule(&mut self, raw: &RawSchedule) -> (Option<Schedule>, Option<Timing>) {
        let default_schedule = match &raw.default {
            Some(s) => self.check(s, "schedule.default", |v| Schedule::parse(v)),
            None => Schedule::parse(DEFAULT_SCHEDULE).ok(),
        };
        let t = Timing::default();
        let min_interval =
            self.duration(&raw.min_interval, "schedule.min_interval", t.min_interval);
        let max_interval =
            self.duration(&raw.max_interval, "schedule.max_interval", t.max_interval);
        let jitter = self.duration_or_zero(&raw.jitter, "schedule.jitter", t.jitter);
        let backoff_base =
            self.duration(&raw.backoff_base, "schedule.backoff_base", t.backoff_base);
        let backoff_max = self.duration(&raw.backoff_max, "schedule.backoff_max", t.backoff_max);
        let timing = (|| {
            Some(Timing {
                min_interval: min_interval?,
                max_interval: max_interval?,
                jitter: jitter?,
                backoff_base: backoff_base?,
                backoff_max: backoff_max?,
            })
        })();
        (default_schedule, timing)
    }

    /// The sources and topics of this file and of every file its `include` globs match, each
    /// file's issues named with that file.
    fn sources_and_topics(
        &mut self,
        base_dir: &Path,
        public_url: Option<&Url>,
        default_schedule: Option<&Schedule>,
        (include, raw_sources, raw_topics): (&[Spanned<String>], Vec<RawSource>, Vec<RawTopic>),
    ) -> (Vec<SourceConfig>, Vec<TopicConfig>) {
        let included = self.included(base_dir, include);
        let mut sources = self.sources((base_dir, public_url), raw_sources, default_schedule);
        let mut topic_files = vec![(None, raw_topics)];
        for (file, content) in included {
            self.file = Some(file.clone());
            let dir = file.parent().unwrap_or(base_dir);
            sources.extend(self.sources((dir, public_url), content.sources, default_schedule));
            topic_files.push((Some(file), content.topics));
        }
        self.file = None;
        let source_ids: Vec<String> = sources.iter().map(|s| s.id.to_string()).collect();
        let mut topics = Vec::new();
        for (file, raw) in topic_files {
            self.file = file;
            topics.extend(self.topics(raw, &source_ids));
        }
        self.file = None;
        (sources, topics)
    }

    fn retention(&mut self, raw: &RawRetention) -> Option<RetentionConfig> {
        // 0 (or absent) keeps items forever.
        let max_age = self
            .duration_or_zero(&raw.max_age, "retention.max_age", Duration::ZERO)
            .map(|d| (!d.is_zero()).then_some(d));
        let window = MIN_ITEMS_PER_SOURCE;
        let max_items = match &raw.max_items_per_source {
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
        Some(RetentionConfig {
            max_age: max_age?,
            max_items_per_source: max_items?,
        })
    }

    fn site(&mut self, raw: &RawSite, base_dir: &Path) -> Option<SiteConfig> {
        let timezone = match &raw.timezone {
            Some(tz) => self.check(tz, "site.timezone", |v| {
                v.parse::<Tz>()
                    .map_err(|_| "not an IANA time zone name (e.g. Asia/Shanghai, UTC)")
            }),
            None => Some(SiteConfig::default().timezone),
        };
        let sample_pages = match &raw.sample_pages {
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
        // Each entry checked, so that every bad one is reported; too many is one issue more.
        let entries: Vec<&Spanned<String>> = raw.suggested_searches.iter().flatten().collect();
        if let Some(over) = entries.get(MAX_SUGGESTED_SEARCHES) {
            self.push(
                over,
                format!("site.suggested_searches: at most {MAX_SUGGESTED_SEARCHES} searches"),
            );
        }
        let checked: Vec<Option<String>> = entries
            .iter()
            .map(|q| {
                self.check(q, "site.suggested_searches", |v| {
                    let v = v.trim();
                    if v.is_empty() || crate::text::is_junk_query(v) {
                        Err("a search of 2 to 40 characters with a word in it, no address")
                    } else {
                        Ok(v.to_owned())
                    }
                })
            })
            .collect();
        let suggested: Option<Vec<String>> = checked.into_iter().collect();
        let suggested = suggested.filter(|list| list.len() <= MAX_SUGGESTED_SEARCHES);
        Some(SiteConfig {
            timezone: timezone?,
            sample_pages: sample_pages?,
            suggested_searches: suggested?,
            image_proxy: raw.image_proxy.unwrap_or(true),
            image_proxy_in_feeds: raw.image_proxy_in_feeds.unwrap_or(false),
        })
    }

    fn log(&mut self, raw: &RawLog) -> Option<LogConfig> {
        let format = match &raw.format {
            Some(s) => self.check(s, "log.format", |v| match v.trim() {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                other => Err(format!("must be text or json, got {other:?}")),
            }),
            None => Some(LogFormat::Text),
        };
        Some(LogConfig { format: format? })
    }

    fn websub(&mut self, raw: &RawWebSub) -> Option<WebSubConfig> {
        let hub = match &raw.hub {
            Some(s) => self
                .check(s, "websub.hub", |v| match Url::parse(v.trim()) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => Ok(u),
                    Ok(_) => Err("must be an http or https URL".to_owned()),
                    Err(e) => Err(format!("{e}")),
                })
                .map(Some),
            None => Some(None),
        };
        Some(WebSubConfig { hub: hub? })
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
            platforms: clean_list(raw.platforms.clone()),
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
                    shared: clean_list(t.shared),
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

pub(super) fn parse_public_url(raw: &str) -> Result<Url, String> {
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
pub(super) fn parse_size(raw: &str) -> Result<u64, String> {
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

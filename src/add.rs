//! A source from nothing but its URL: `crossfeed preview URL` shows what it would yield and the
//! YAML that yields it; `crossfeed add URL` writes that YAML to a new file the configuration
//! reads. A feed URL is a feed source; a page that advertises a feed stands for that feed;
//! any other page is `page: auto` with `full_content: auto`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use url::Url;

use crate::config::{Config, SourceConfig};
use crate::domain::SourceId;
use crate::domain::page::{AutoPage, FullContent, PageSource};
use crate::fetch::Fetcher;
use crate::ingest::probe::{self, Found, Probe};

/// A URL given on the command line, when it is one (http or https).
pub fn web_url(target: &str) -> Option<Url> {
    Url::parse(target)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

/// Probe `url` and make the source it would be, with `id` (else one from the address, unique
/// among the configured ids) and `tags`.
pub async fn probed_source(
    config: &Config,
    url: &Url,
    id: Option<&str>,
    tags: &[String],
    max_pages: u32,
) -> anyhow::Result<(Probe, SourceConfig)> {
    let fetcher = Fetcher::new(&config.fetch)?;
    let found = probe::probe(&fetcher, url, max_pages)
        .await
        .with_context(|| format!("cannot read {url}"))?;
    let taken: Vec<&str> = config.sources.iter().map(|s| s.id.as_str()).collect();
    let id = match id {
        Some(id) => id.to_owned(),
        None => probe::source_id_for(url, &taken),
    };
    let id = SourceId::parse(&id).map_err(|e| anyhow::anyhow!("--id {id:?}: {e}"))?;
    if taken.contains(&id.as_str()) {
        anyhow::bail!("a configured source already has the id {:?}", id.as_str());
    }
    let (source_url, page, full_content) = match &found.found {
        Found::Feed { url, .. } => (url.clone(), None, None),
        Found::Page { .. } => (
            url.clone(),
            Some(PageSource::Auto(AutoPage::new(max_pages))),
            Some(FullContent::Auto),
        ),
    };
    let source = SourceConfig {
        id,
        url: source_url,
        title: found.title.clone(),
        schedule: config.default_schedule.clone(),
        timezone: found.timezone,
        tags: tags.to_vec(),
        weight: 1.0,
        page,
        full_content,
        on_this_server: false,
    };
    Ok((found, source))
}

/// What was found, in words, for stderr.
pub fn described(probe: &Probe, url: &Url) -> String {
    let what = match &probe.found {
        Found::Feed {
            url: feed,
            advertised: true,
        } => format!("{url} is a page that advertises the feed {feed}"),
        Found::Feed { .. } => format!("{url} is a feed"),
        Found::Page { spec, entries } => format!(
            "{url} publishes no feed: its main list has {entries} entries (items: {})",
            spec.item
        ),
    };
    format!(
        "{what}; timezone {} ({})",
        probe.timezone.name(),
        probe.timezone_reason
    )
}

/// The YAML of `source` as it was found.
pub fn yaml(probe: &Probe, url: &Url, source: &SourceConfig) -> String {
    probe::source_yaml(probe, url, source.id.as_str(), &source.tags)
}

/// What `add` did.
pub struct Added {
    pub path: PathBuf,
    pub source: SourceConfig,
    pub probe: Probe,
    /// Said when the configuration's `include:` will not read the file.
    pub unread: Option<String>,
}

/// Why `add` wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    #[error("{0} exists; add writes new files only (choose another with --write)")]
    Exists(PathBuf),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// Probe `url` and write its source to a new YAML file: `write`, else under the directory the
/// configuration's first `include:` glob reads, else `sources/ID.yaml` beside the
/// configuration file. An existing file is never overwritten.
pub async fn add(
    config: &Config,
    url: &Url,
    id: Option<&str>,
    tags: &[String],
    write: Option<&Path>,
) -> Result<Added, AddError> {
    let (probe, source) = probed_source(config, url, id, tags, 1).await?;
    let dir = config.path.parent().unwrap_or(Path::new("."));
    let path = match write {
        Some(p) => p.to_owned(),
        None => default_path(config, dir, source.id.as_str()),
    };
    let text = format!(
        "# Added by `crossfeed add {url}`.\nsources:\n{}",
        yaml(&probe, url, &source)
    );
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(AddError::Exists(path));
        }
        Err(e) => {
            return Err(anyhow::Error::new(e)
                .context(format!("cannot write {}", path.display()))
                .into());
        }
    };
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let unread = (!read_by_include(config, dir, &path)).then(|| {
        format!(
            "the configuration's include: does not read {}; add a glob that matches it (for \
             example include: [\"sources/*.yaml\"]) or move the source into {}",
            path.display(),
            config.path.display()
        )
    });
    Ok(Added {
        path,
        source,
        probe,
        unread,
    })
}

/// `ID.yaml` in the directory of the first `include:` glob (the part before any wildcard),
/// else `sources/ID.yaml`, beside the configuration file.
fn default_path(config: &Config, dir: &Path, id: &str) -> PathBuf {
    let from_glob = config.include_globs.iter().find_map(|glob| {
        let fixed: PathBuf = Path::new(glob)
            .components()
            .take_while(|c| !c.as_os_str().to_string_lossy().contains(['*', '?', '[']))
            .collect();
        // A glob with no wildcard names one file, not a directory to add to.
        (fixed != Path::new(glob)).then_some(fixed)
    });
    dir.join(from_glob.unwrap_or_else(|| PathBuf::from("sources")))
        .join(format!("{id}.yaml"))
}

/// Whether one of the configuration's `include:` globs matches `path`.
fn read_by_include(config: &Config, dir: &Path, path: &Path) -> bool {
    let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    config.include_globs.iter().any(|g| {
        let full = std::path::absolute(dir.join(g)).unwrap_or_else(|_| dir.join(g));
        glob::Pattern::new(&full.to_string_lossy()).is_ok_and(|p| p.matches_path(&path))
    })
}

//! The `crossfeed` command: parses the command line and calls into the library.

// As in the library: a function past 120 code lines is split (threshold in clippy.toml).
#![warn(clippy::too_many_lines)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use chrono_tz::Tz;
use clap::{Parser, Subcommand};
use crossfeed::add;
use crossfeed::app::{self, Role};
use crossfeed::config::{self, Config, ConfigError, LogFormat};
use crossfeed::ingest::PollOutcome;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "crossfeed",
    version,
    about = "Feed aggregator and syndication server for cross-border e-commerce news"
)]
struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "CROSSFEED_CONFIG", default_value = config::DEFAULT_PATH)]
    config: PathBuf,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate, load sources and topics, poll on schedule and serve HTTP (the default).
    Serve {
        /// Which parts to run in this process.
        #[arg(long, value_enum, default_value_t = Role::All)]
        role: Role,
        /// Listen here instead of `server.listen` (and CROSSFEED_LISTEN), so that a worker and
        /// a web process can share one configuration file on one host. A worker answers only
        /// /healthz, /readyz and /metrics.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
    },
    /// Poll every source (or one) once now and print a summary; exit 1 if any failed.
    Fetch {
        /// Only this source.
        #[arg(long)]
        source: Option<String>,
        /// Fetch whole and read again, ignoring the stored ETag and Last-Modified, so that
        /// stored items get what this version reads differently (after an upgrade).
        #[arg(long)]
        force: bool,
    },
    /// Parse and normalize one feed without a store; print one JSON object per item.
    Parse {
        /// A file path or an http(s) URL.
        target: String,
        /// Time zone for dates that carry none (IANA name).
        #[arg(long, default_value = "UTC")]
        timezone: String,
    },
    /// Fetch one source now and print what it would yield, one JSON object per item (with
    /// topics, tags, and the extracted article for full_content sources); stores nothing. Give
    /// a configured source's id, or any http(s) URL: a feed, a page that advertises one, or a
    /// list page with no feed (read with page: auto); stderr then says what was found and
    /// prints the YAML source that yields it.
    Preview {
        /// A configured source's id, or an http(s) URL.
        target: String,
        /// List pages read from a URL, the first included (1 to 20).
        #[arg(long, default_value_t = 1)]
        max_pages: u32,
    },
    /// Make a source of a URL: find what it is (as preview URL does) and write the source to a
    /// new YAML file, never over an existing one (exit 1 then).
    Add {
        /// The site's address: a feed, a page that advertises one, or a list page.
        url: String,
        /// The source's id (default: from the site's address, unique among the configured ids).
        #[arg(long)]
        id: Option<String>,
        /// Tags for every item of the source, comma-separated.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// The file to write (default: ID.yaml in the directory the configuration's include:
        /// reads, else sources/ID.yaml beside the configuration file).
        #[arg(long)]
        write: Option<PathBuf>,
    },
    /// Validate the configuration; errors name file, line and column.
    CheckConfig,
    /// Apply the store's pending migrations and exit (serve also applies them at start).
    Migrate,
    /// Ask a running crossfeed whether it is alive (`GET /healthz`); exit 0 if it answers 200
    /// within the timeout, 1 otherwise. The container image's HEALTHCHECK uses it.
    Health {
        /// Where to ask; defaults to `/healthz` on the configured listen address (`0.0.0.0` and
        /// `::` become the loopback address).
        #[arg(long)]
        url: Option<String>,
        /// How long to wait for the answer, in seconds.
        #[arg(long, default_value_t = 3)]
        timeout: u64,
    },
    /// Re-run the topic and tag rules over stored items; print per topic what was added and
    /// removed.
    Reclassify {
        /// Report what would change, change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Only this topic's membership.
        #[arg(long)]
        topic: Option<String>,
    },
    /// Exchange subscription lists with other feed readers (OPML 2.0).
    Opml {
        #[command(subcommand)]
        action: OpmlAction,
    },
}

#[derive(Subcommand)]
enum OpmlAction {
    /// Print the configured sources as OPML 2.0. A page source or a `file:` source is listed
    /// as crossfeed's own feed of it; secrets in URLs are masked.
    Export {
        /// Print URLs with their credentials and secret parameters.
        #[arg(long)]
        show_secrets: bool,
    },
    /// Print `sources:` entries for the feeds of an OPML file (ids made from titles, feeds
    /// already configured left out), to append to the configuration.
    Import {
        /// The OPML file.
        file: PathBuf,
        /// Write the entries to this new file (one the configuration's `include:` reads)
        /// instead of printing them.
        #[arg(long)]
        write: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let sqlite_on_mimalloc = crossfeed::alloc::configure();
    let cli = Cli::parse();
    if !matches!(cli.command, None | Some(Command::Serve { .. })) {
        crossfeed::alloc::for_one_job();
    }
    // Read here for the log format and the runtime's size; `run` loads it again and reports
    // what is wrong with it.
    let config = Config::load(&cli.config).ok();
    init_tracing(log_format(config.as_ref()));
    tracing::debug!(sqlite_on_mimalloc, "allocator configured");
    let pool_size = config.as_ref().map_or(8, |c| c.database.pool_size);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(crossfeed::store::blocking_threads(pool_size))
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    };
    // Shutting the runtime down waits for its blocking threads, and with them goes every store
    // handle; the pool's own threads may still be opening or closing a connection, and the exit
    // handlers (OpenSSL's among them) must not run under them. The wait is bounded: a parse
    // that will not finish (its poll already failed on its budget, or was abandoned at
    // shutdown) must not keep the process alive, and it holds no store connection.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    if !crossfeed::store::await_connections_closed(std::time::Duration::from_secs(5)) {
        tracing::warn!(
            open = crossfeed::store::live_connections(),
            "store connections still open at exit"
        );
    }
    code
}

/// The log format: `CROSSFEED_LOG_FORMAT` (text or json), else the configuration's
/// `log.format`, else text (also when the file cannot be read: its errors are reported later).
fn log_format(config: Option<&Config>) -> LogFormat {
    match std::env::var("CROSSFEED_LOG_FORMAT").as_deref() {
        Ok("json") => LogFormat::Json,
        Ok("text") => LogFormat::Text,
        _ => config.map_or(LogFormat::Text, |c| c.log.format),
    }
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,actix_server=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours for a terminal only: not in files, journald or `docker logs`.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().with_current_span(true).init(),
    }
}

fn load_config(path: &std::path::Path) -> anyhow::Result<Config> {
    let mut config = Config::load(path)?;
    config
        .apply_env(|k| std::env::var(k).ok())
        .map_err(anyhow::Error::msg)?;
    Ok(config)
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let default = Command::Serve {
        role: Role::All,
        listen: None,
    };
    match cli.command.unwrap_or(default) {
        Command::Serve { role, listen } => {
            let mut config = load_config(&cli.config)?;
            if let Some(listen) = listen {
                config.server.listen = listen;
            }
            app::start(config, role).await?.wait().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fetch { source, force } => {
            fetch(&load_config(&cli.config)?, (source.as_deref(), force)).await
        }
        Command::Parse { target, timezone } => {
            let tz: Tz = timezone
                .parse()
                .map_err(|_| anyhow::anyhow!("--timezone {timezone:?} is not an IANA time zone"))?;
            // parse works without a configuration; use its fetch settings when there is one.
            let fetch = match Config::load(&cli.config) {
                Ok(c) => c.fetch,
                Err(_) => Config::from_yaml(&cli.config, "{}")?.fetch,
            };
            let items = app::parse_one(&target, tz, &fetch).await?;
            let mut out = std::io::stdout().lock();
            for item in items {
                serde_json::to_writer(&mut out, &item)?;
                writeln!(out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Opml { action } => opml(&cli.config, action),
        Command::Reclassify { dry_run, topic } => {
            let config = load_config(&cli.config)?;
            let report = app::reclassify_stored(&config, topic.as_deref(), dry_run).await?;
            let verb = if dry_run { "would change" } else { "changed" };
            println!(
                "{} items checked; {verb} the topics of {} items and the tags of {}",
                report.items, report.changed_items, report.retagged_items
            );
            for (slug, change) in &report.topics {
                println!("{slug}: +{} -{}", change.added, change.removed);
                for title in &change.added_examples {
                    println!("  + {title}");
                }
                for title in &change.removed_examples {
                    println!("  - {title}");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let config = load_config(&cli.config)?;
            let applied = app::migrate(&config).await?;
            if applied.is_empty() {
                println!(
                    "{}: up to date",
                    crossfeed::domain::redact::redact(&config.database.url)
                );
            } else {
                println!(
                    "{}: applied {}",
                    crossfeed::domain::redact::redact(&config.database.url),
                    applied.join(", ")
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Health { url, timeout } => {
            let url = match url {
                Some(url) => url,
                None => health_url(load_config(&cli.config)?.server.listen),
            };
            health(&url, std::time::Duration::from_secs(timeout)).await
        }
        Command::Preview { target, max_pages } => preview(&cli.config, &target, max_pages).await,
        Command::Add {
            url,
            id,
            tags,
            write,
        } => add(&cli.config, &url, id.as_deref(), &tags, write.as_deref()).await,
        Command::CheckConfig => match Config::load(&cli.config) {
            Ok(c) => {
                println!(
                    "{}: OK ({} sources, {} topics)",
                    cli.config.display(),
                    c.sources.len(),
                    c.topics.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(e @ (ConfigError::Invalid { .. } | ConfigError::Read { .. })) => {
                eprintln!("{e}");
                Ok(ExitCode::FAILURE)
            }
        },
    }
}

/// `/healthz` on the address a server listening on `listen` answers on this machine.
fn health_url(listen: std::net::SocketAddr) -> String {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/healthz", SocketAddr::new(ip, listen.port()))
}

async fn health(url: &str, timeout: std::time::Duration) -> anyhow::Result<ExitCode> {
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .context("HTTP client")?;
    let shown = crossfeed::domain::redact::redact(url);
    match client.get(url).send().await {
        Ok(res) if res.status() == reqwest::StatusCode::OK => {
            println!("{shown}: {}", res.status());
            Ok(ExitCode::SUCCESS)
        }
        Ok(res) => {
            eprintln!("{shown}: {}", res.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            eprintln!("{shown}: {}", e.without_url());
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn fetch(config: &Config, only: (Option<&str>, bool)) -> anyhow::Result<ExitCode> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .context("progress template")?
            .progress_chars("=> "),
    );
    let summary = app::fetch_with(
        config,
        only,
        |n, skipped| {
            bar.set_length(n as u64);
            for id in skipped {
                bar.suspend(|| eprintln!("skipped: {id}: another process is polling it right now"));
            }
        },
        |report| {
            bar.inc(1);
            bar.set_message(report.source_id.clone());
            if let PollOutcome::Failed(error) = &report.outcome {
                bar.suspend(|| eprintln!("failed: {}: {error}", report.source_id));
            }
        },
    )
    .await?;
    bar.finish_and_clear();
    println!(
        "{} sources: {} new, {} updated, {} unchanged, {} failed ({} not modified)",
        summary.sources,
        summary.new,
        summary.updated,
        summary.unchanged,
        summary.failed,
        summary.not_modified
    );
    if summary.articles + summary.articles_failed > 0 {
        println!(
            "articles: {} fetched, {} failed (retried by the server later)",
            summary.articles, summary.articles_failed
        );
    }
    Ok(if summary.failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

fn opml(config_path: &Path, action: OpmlAction) -> anyhow::Result<ExitCode> {
    let config = load_config(config_path)?;
    match action {
        OpmlAction::Export { show_secrets } => {
            print!("{}", crossfeed::opml::export(&config, show_secrets));
        }
        OpmlAction::Import { file, write } => {
            let input = std::fs::File::open(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let found = crossfeed::opml::feeds_from(std::io::BufReader::new(input))
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let imported = crossfeed::opml::import(&config, &found);
            let counts = format!(
                "{} feeds to add, {} already configured, {} not http(s)",
                imported.added, imported.skipped, imported.refused
            );
            match write {
                None => {
                    print!("{}", imported.yaml);
                    eprintln!("{counts}");
                }
                // An empty `sources:` is a file the configuration would refuse at its next
                // start: nothing to add, nothing written.
                Some(out) if imported.added == 0 => {
                    eprintln!("{counts}; nothing to write, {} not created", out.display());
                }
                Some(out) => {
                    let mut f = std::fs::OpenOptions::new()
                        .write(true)
                        .create_new(true)
                        .open(&out)
                        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", out.display()))?;
                    f.write_all(imported.yaml.as_bytes())?;
                    eprintln!("{counts}; written to {}", out.display());
                    // Whether the configuration reads it already, and whether it still loads.
                    match Config::load(config_path) {
                        Ok(c) => {
                            let written = std::path::absolute(&out)?;
                            let included = c
                                .includes
                                .iter()
                                .any(|p| std::path::absolute(p).ok().as_ref() == Some(&written));
                            if !included {
                                eprintln!(
                                    "{} does not include it yet: add its path (relative to the \
                                     configuration's directory) to `include:`",
                                    config_path.display()
                                );
                            }
                        }
                        Err(e) => {
                            eprintln!("{e}");
                            return Ok(ExitCode::FAILURE);
                        }
                    }
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `crossfeed preview ID|URL`.
async fn preview(config_path: &Path, target: &str, max_pages: u32) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let configured = config.sources.iter().any(|s| s.id.as_str() == target);
    let items = match add::web_url(target).filter(|_| !configured) {
        Some(url) => {
            if !(1..=crossfeed::domain::page::MAX_PAGES).contains(&max_pages) {
                anyhow::bail!(
                    "--max-pages must be 1 to {}",
                    crossfeed::domain::page::MAX_PAGES
                );
            }
            let (probe, source) = add::probed_source(&config, &url, None, &[], max_pages).await?;
            eprintln!("{}", add::described(&probe, &url));
            eprintln!("The source, for the configuration's sources: list:\n");
            eprint!("{}", add::yaml(&probe, &url, &source));
            eprintln!();
            app::preview_source(&config, &source).await?
        }
        None => app::preview(&config, target).await?,
    };
    let mut out = std::io::stdout().lock();
    for item in &items {
        serde_json::to_writer(&mut out, item)?;
        writeln!(out)?;
    }
    eprintln!("{}: {} items (nothing stored)", target, items.len());
    Ok(ExitCode::SUCCESS)
}

/// `crossfeed add URL`.
async fn add(
    config_path: &Path,
    url: &str,
    id: Option<&str>,
    tags: &[String],
    write: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let config = Config::load(config_path)?;
    let url = add::web_url(url).ok_or_else(|| anyhow::anyhow!("{url:?} is not an http(s) URL"))?;
    let tags: Vec<String> = tags
        .iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    match add::add(&config, &url, id, &tags, write).await {
        Ok(added) => {
            eprintln!("{}", add::described(&added.probe, &url));
            println!(
                "added {} to {}",
                added.source.id.as_str(),
                added.path.display()
            );
            if let Some(note) = added.unread {
                eprintln!("note: {note}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(add::AddError::Exists(path)) => {
            eprintln!(
                "{} exists; add writes new files only (choose another with --write)",
                path.display()
            );
            Ok(ExitCode::FAILURE)
        }
        Err(add::AddError::Other(e)) => Err(e),
    }
}

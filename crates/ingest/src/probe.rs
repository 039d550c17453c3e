//! What a URL is as a source, found from the URL alone (`crossfeed preview URL`, `crossfeed add
//! URL`): a feed; an HTML page that advertises one (`<link rel="alternate">`), which stands for
//! the feed; or a list page with no feed, read with `page: auto` and the selectors detection
//! chose. The site's title and language come along, and the time zone its dates are most likely
//! written in.

use chrono::Utc;
use chrono_tz::Tz;
use scraper::{Html, Selector};
use url::Url;

use crate::IngestError;
use crate::domain::page::PageSpec;
use crate::domain::redact::without_secrets;
use crate::fetch::{Fetcher, Outcome, Validators};
use crate::parse::{self, ParseError, charset, detect, feed_links};

/// What the URL turned out to be.
#[derive(Debug, Clone)]
pub enum Found {
    /// A feed, at this address (the URL itself, or the feed a page advertises).
    Feed { url: Url, advertised: bool },
    /// A list page with no feed: what detection chose on it, and how many entries it read.
    Page { spec: PageSpec, entries: usize },
}

/// A probed URL.
#[derive(Debug, Clone)]
pub struct Probe {
    pub found: Found,
    /// The site's or feed's title, when it gives one.
    pub title: Option<String>,
    /// The language the page declares (`<html lang>`), else the one its text is written in.
    pub language: Option<String>,
    /// The zone dates without one are most likely in, and why.
    pub timezone: Tz,
    pub timezone_reason: String,
}

/// Fetch `url` (trusted as a configured source's URL is) and tell what it is.
pub async fn probe(fetcher: &Fetcher, url: &Url, max_pages: u32) -> Result<Probe, IngestError> {
    let fetched = match fetcher.fetch(url, url, &Validators::default()).await? {
        Outcome::Fetched(f) => f,
        Outcome::NotModified { .. } => {
            return Err(ParseError::Feed("answered 304 to an unconditional request".into()).into());
        }
    };
    let text = charset::to_utf8(&fetched.body, fetched.charset()).text;
    let at = without_secrets(&fetched.url);
    if !feed_links::looks_like_html(&text) {
        let feed = parse::parse_text(&text, Tz::UTC, Utc::now())?;
        let title = feed
            .title
            .map(|t| t.content)
            .filter(|t| !t.trim().is_empty());
        let language = feed.language.clone();
        let (timezone, timezone_reason) = zone_of(language.as_deref(), title.as_deref());
        return Ok(Probe {
            found: Found::Feed {
                url: fetched.url.clone(),
                advertised: false,
            },
            title,
            language,
            timezone,
            timezone_reason,
        });
    }
    let (title, declared) = page_facts(&text);
    let language = declared.or_else(|| written_in(&text));
    let (timezone, timezone_reason) = zone_of(language.as_deref(), title.as_deref());
    if let Some(feed) = feed_links::alternates(&text, &fetched.url)
        .into_iter()
        .next()
    {
        return Ok(Probe {
            found: Found::Feed {
                url: feed,
                advertised: true,
            },
            title,
            language,
            timezone,
            timezone_reason,
        });
    }
    let found = tokio::task::spawn_blocking(move || detect::detect(&text, &at, max_pages))
        .await
        .map_err(|e| IngestError::Task(e.to_string()))??;
    Ok(Probe {
        found: Found::Page {
            spec: found.spec,
            entries: found.entries,
        },
        title,
        language,
        timezone,
        timezone_reason,
    })
}

/// A page's `<title>` (whitespace folded) and declared language (`<html lang>`).
fn page_facts(text: &str) -> (Option<String>, Option<String>) {
    // Through the parser's depth bound, as every HTML parse goes; a page past it says nothing.
    let Ok(doc) = crate::parse::budget::document(
        scraper::HtmlTreeSink::new(Html::new_document()),
        &text[..floor(text, 256 * 1024)],
        html5ever::ParseOpts::default(),
    ) else {
        return (None, None);
    };
    let title = Selector::parse("title").ok().and_then(|s| {
        doc.select(&s)
            .next()
            .map(|t| {
                t.text()
                    .flat_map(str::split_whitespace)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|t| !t.is_empty())
    });
    let lang = Selector::parse("html[lang]").ok().and_then(|s| {
        doc.select(&s)
            .next()
            .and_then(|h| h.value().attr("lang"))
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
    });
    (title, lang)
}

/// The largest char boundary at or below `at`.
fn floor(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The language the page's text is written in, when its script says so plainly.
fn written_in(text: &str) -> Option<String> {
    let sample = &text[..floor(text, 64 * 1024)];
    let cjk = sample.chars().filter(|c| crate::text::is_cjk(*c)).count();
    let kana = sample
        .chars()
        .filter(|c| matches!(*c as u32, 0x3040..=0x30ff))
        .count();
    let hangul = sample
        .chars()
        .filter(|c| matches!(*c as u32, 0xac00..=0xd7a3))
        .count();
    if kana > 50 {
        Some("ja".into())
    } else if hangul > 50 {
        Some("ko".into())
    } else if cjk > 50 {
        Some("zh".into())
    } else {
        None
    }
}

/// The zone a site in `language` most likely writes its dates in.
fn zone_of(language: Option<&str>, title: Option<&str>) -> (Tz, String) {
    let lang = language.map(str::to_ascii_lowercase).unwrap_or_default();
    let zone = match lang.as_str() {
        l if l.starts_with("zh-tw") || l.starts_with("zh-hant-tw") => Some(Tz::Asia__Taipei),
        l if l.starts_with("zh-hk") || l.starts_with("zh-hant-hk") => Some(Tz::Asia__Hong_Kong),
        l if l.starts_with("zh") => Some(Tz::Asia__Shanghai),
        l if l.starts_with("ja") => Some(Tz::Asia__Tokyo),
        l if l.starts_with("ko") => Some(Tz::Asia__Seoul),
        l if l.starts_with("id") => Some(Tz::Asia__Jakarta),
        l if l.starts_with("th") => Some(Tz::Asia__Bangkok),
        l if l.starts_with("vi") => Some(Tz::Asia__Ho_Chi_Minh),
        l if l.starts_with("ms") => Some(Tz::Asia__Kuala_Lumpur),
        l if l.starts_with("pt-br") => Some(Tz::America__Sao_Paulo),
        l if l.starts_with("es-mx") => Some(Tz::America__Mexico_City),
        l if l.starts_with("ru") => Some(Tz::Europe__Moscow),
        l if l.starts_with("de") => Some(Tz::Europe__Berlin),
        l if l.starts_with("fr") => Some(Tz::Europe__Paris),
        l if l.starts_with("en-gb") => Some(Tz::Europe__London),
        _ => None,
    };
    match (zone, language) {
        (Some(z), Some(l)) => (z, format!("from the page's language ({l})")),
        _ if title.is_some_and(|t| t.chars().any(crate::text::is_cjk)) => (
            Tz::Asia__Shanghai,
            "from the Chinese in the site's title".into(),
        ),
        (_, Some(l)) => (
            Tz::UTC,
            format!("the page's language ({l}) names no one zone; dates with no zone read as UTC"),
        ),
        (_, None) => (
            Tz::UTC,
            "the page names no language; dates with no zone read as UTC".into(),
        ),
    }
}

/// An id for a new source from the site's address (`www.kjzx.example.cn/news/` →
/// `kjzx-news`: the host's first label after `www.`, which names the site on most portals, and
/// the first section of the path), unique among `taken`. A site on a bare address is `site`.
pub fn source_id_for(url: &Url, taken: &[&str]) -> String {
    let name = match url.host() {
        Some(url::Host::Domain(host)) => host
            .trim_start_matches("www.")
            .split('.')
            .next()
            .unwrap_or("site"),
        _ => "site",
    };
    let section = url
        .path_segments()
        .and_then(|mut s| s.find(|p| !p.is_empty() && !p.contains('.')))
        .filter(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        });
    let mut base: String = match section {
        Some(s) => format!("{name}-{s}"),
        None => name.to_owned(),
    }
    .chars()
    .map(|c| {
        if c.is_ascii_alphanumeric() || c == '-' {
            c.to_ascii_lowercase()
        } else {
            '-'
        }
    })
    .take(48)
    .collect();
    if base.is_empty() {
        base = "source".into();
    }
    let mut id = base.clone();
    let mut n = 2;
    while taken.contains(&id.as_str()) {
        id = format!("{base}-{n}");
        n += 1;
    }
    id
}

/// The source as YAML for a configuration's `sources:` list, two spaces in.
pub fn source_yaml(probe: &Probe, url: &Url, id: &str, tags: &[String]) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut out = format!("  - id: {id}\n");
    match &probe.found {
        Found::Feed { url: feed, .. } => out.push_str(&format!("    url: {}\n", q(feed.as_str()))),
        Found::Page { .. } => out.push_str(&format!("    url: {}\n", q(url.as_str()))),
    }
    if let Some(title) = &probe.title {
        out.push_str(&format!("    title: {}\n", q(title)));
    }
    out.push_str(&format!(
        "    timezone: {}   # {}\n",
        probe.timezone.name(),
        probe.timezone_reason
    ));
    if !tags.is_empty() {
        let list: Vec<String> = tags.iter().map(|t| q(t)).collect();
        out.push_str(&format!("    tags: [{}]\n", list.join(", ")));
    }
    if let Found::Page { spec, .. } = &probe.found {
        out.push_str("    page: auto\n");
        out.push_str(
            "    # What detection chose; to pin any of it, write page: { auto: true, ... }\n",
        );
        out.push_str("    # with the selector in place of what is found:\n");
        let mut pin = |name: &str, value: Option<&String>| {
            if let Some(v) = value {
                out.push_str(&format!("    #   {name}: {}\n", q(v)));
            }
        };
        pin("item", Some(&spec.item));
        pin("title", Some(&spec.title));
        pin("link", Some(&spec.link));
        pin("date", spec.date.as_ref());
        pin("summary", spec.summary.as_ref());
        pin("image", spec.image.as_ref());
        pin("day", spec.day.as_ref());
        out.push_str("    full_content: auto\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_the_host_and_section_and_stay_unique() {
        let url = Url::parse("https://www.kjzx.example.cn/news/list_1.html").unwrap();
        assert_eq!(source_id_for(&url, &[]), "kjzx-news");
        assert_eq!(source_id_for(&url, &["kjzx-news"]), "kjzx-news-2");
        let url = Url::parse("http://127.0.0.1:8080/").unwrap();
        assert_eq!(source_id_for(&url, &[]), "site");
    }

    #[test]
    fn the_zone_follows_the_language() {
        assert_eq!(zone_of(Some("zh-CN"), None).0, Tz::Asia__Shanghai);
        assert_eq!(zone_of(Some("zh-TW"), None).0, Tz::Asia__Taipei);
        assert_eq!(zone_of(Some("en"), Some("跨境资讯")).0, Tz::Asia__Shanghai);
        let (zone, why) = zone_of(Some("en"), Some("Cross-border daily"));
        assert_eq!(zone, Tz::UTC);
        assert!(why.contains("(en)"), "{why}");
    }
}

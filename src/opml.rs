//! Other readers' subscription lists: `crossfeed opml export` writes the configured sources as
//! OPML 2.0, `crossfeed opml import` turns an OPML file into `sources:` entries to append (or
//! to save as an included file).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::config::{Config, SourceConfig};
use crate::domain::SourceId;
use crate::domain::redact::redact;

/// The configured sources as OPML 2.0, grouped by their first tag. A source that other readers
/// cannot fetch themselves (a list page read with selectors, a `file:` URL) is listed as
/// crossfeed's own feed of that source. Secrets in URLs are masked unless `show_secrets`.
pub fn export(config: &Config, show_secrets: bool) -> String {
    let public = config.server.public_base();
    let url_of = |s: &SourceConfig| -> String {
        let own = s.page.is_some() || !matches!(s.url.scheme(), "http" | "https");
        if own {
            let mut q = url::form_urlencoded::Serializer::new(String::new());
            q.append_pair("source", s.id.as_str());
            format!("{public}/feeds/all.rss?{}", q.finish())
        } else if show_secrets {
            s.url.to_string()
        } else {
            redact(s.url.as_str())
        }
    };
    let mut groups: Vec<(String, Vec<&SourceConfig>)> = Vec::new();
    for s in &config.sources {
        let group = s.tags.first().cloned().unwrap_or_default();
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, list)) => list.push(s),
            None => groups.push((group, vec![s])),
        }
    }
    let esc = |t: &str| html_escape::encode_double_quoted_attribute(t).into_owned();
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<opml version=\"2.0\">\n<head><title>crossfeed sources</title></head>\n<body>\n",
    );
    for (group, sources) in groups {
        let indent = if group.is_empty() {
            ""
        } else {
            let _ = writeln!(out, "  <outline text=\"{0}\" title=\"{0}\">", esc(&group));
            "  "
        };
        for s in sources {
            let title = s.title.clone().unwrap_or_else(|| s.id.to_string());
            let tags = s.tags.join(",");
            let category = if tags.is_empty() {
                String::new()
            } else {
                format!(" category=\"{}\"", esc(&tags))
            };
            let _ = writeln!(
                out,
                "{indent}  <outline type=\"rss\" text=\"{0}\" title=\"{0}\" xmlUrl=\"{1}\"{category}/>",
                esc(&title),
                esc(&url_of(s)),
            );
        }
        if !indent.is_empty() {
            out.push_str("  </outline>\n");
        }
    }
    out.push_str("</body>\n</opml>\n");
    out
}

/// One feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub title: Option<String>,
    pub url: String,
    /// The titles of the outlines it sits in, outermost first, and its own `category`.
    pub tags: Vec<String>,
}

/// The largest OPML file read: subscription lists run to a few MB at most (20,000 outlines
/// make about 3 MB); past this a file is refused rather than read into memory.
pub const MAX_BYTES: u64 = 32 * 1024 * 1024;

/// The feeds of an OPML document: every outline with an `xmlUrl`.
pub fn feeds(opml: &str) -> Result<Vec<Found>, String> {
    feeds_from(opml.as_bytes())
}

/// The feeds of the OPML document `input` streams, read as it goes (memory holds the feeds
/// found, not the document); a document over [`MAX_BYTES`] is refused.
pub fn feeds_from(input: impl std::io::BufRead) -> Result<Vec<Found>, String> {
    let mut reader = Reader::from_reader(input.take(MAX_BYTES + 1));
    let mut buf = Vec::new();
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut out = Vec::new();
    let mut saw_opml = false;
    let too_large = || {
        format!(
            "larger than {} MiB; no subscription list is this long",
            MAX_BYTES / (1024 * 1024)
        )
    };
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            // Cut off at the cap, a document ends mid-element: say why.
            Err(_) if reader.buffer_position() >= MAX_BYTES => return Err(too_large()),
            Err(e) => {
                return Err(format!(
                    "not OPML: malformed XML at byte {}: {e}",
                    reader.error_position()
                ));
            }
            Ok(event) => event,
        };
        if reader.buffer_position() > MAX_BYTES {
            return Err(too_large());
        }
        let (element, closes) = match &event {
            Event::Start(e) => (e, false),
            Event::Empty(e) => (e, true),
            Event::End(e) => {
                if e.local_name().into_inner() == "outline" {
                    folders.pop();
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match element.local_name().into_inner() {
            "opml" => saw_opml = true,
            "outline" => {
                let mut attr = std::collections::HashMap::new();
                for a in element.attributes().flatten() {
                    let key = a.key.local_name().into_inner().to_ascii_lowercase();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.trim().to_owned())
                        .unwrap_or_default();
                    attr.insert(key, value);
                }
                let title = attr
                    .get("title")
                    .or_else(|| attr.get("text"))
                    .filter(|t| !t.is_empty())
                    .cloned();
                match attr.get("xmlurl").filter(|u| !u.is_empty()) {
                    Some(url) => {
                        let mut tags: Vec<String> = folders.iter().flatten().cloned().collect();
                        for c in attr
                            .get("category")
                            .into_iter()
                            .flat_map(|c| c.split([',', '/']))
                        {
                            let c = c.trim();
                            if !c.is_empty() && !tags.iter().any(|t| t == c) {
                                tags.push(c.to_owned());
                            }
                        }
                        out.push(Found {
                            title,
                            url: url.clone(),
                            tags,
                        });
                        if !closes {
                            folders.push(None);
                        }
                    }
                    None if !closes => folders.push(title),
                    None => {}
                }
            }
            _ => {}
        }
    }
    if !saw_opml {
        return Err("not OPML: no <opml> element".into());
    }
    Ok(out)
}

/// What importing an OPML file came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// `sources:` entries, as YAML.
    pub yaml: String,
    pub added: usize,
    /// Feeds whose URL a configured source (or an earlier outline) already has.
    pub skipped: usize,
    /// Outlines whose URL is not http(s).
    pub refused: usize,
}

/// Turn `found` into `sources:` entries: ids made from titles (or, for titles with no ASCII
/// letters, from the URL's host and path), unique among the configured ids and each other;
/// feeds already configured left out.
pub fn import(config: &Config, found: &[Found]) -> Imported {
    let mut ids = Ids {
        taken: config.sources.iter().map(|s| s.id.to_string()).collect(),
        next: HashMap::new(),
    };
    let mut urls: HashSet<String> = config
        .sources
        .iter()
        .map(|s| same_url(s.url.as_str()))
        .collect();
    let mut out = Imported {
        yaml: String::from("sources:\n"),
        ..Imported::default()
    };
    for f in found {
        let Ok(url) = url::Url::parse(&f.url) else {
            out.refused += 1;
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            out.refused += 1;
            continue;
        }
        if !urls.insert(same_url(url.as_str())) {
            out.skipped += 1;
            continue;
        }
        let id = unique_id(&mut ids, f.title.as_deref(), &url);
        let quote = |t: &str| serde_json::to_string(t).unwrap_or_else(|_| "\"\"".into());
        let _ = writeln!(out.yaml, "  - id: {id}");
        if let Some(title) = &f.title {
            let _ = writeln!(out.yaml, "    title: {}", quote(title));
        }
        let _ = writeln!(out.yaml, "    url: {}", quote(url.as_str()));
        if !f.tags.is_empty() {
            let tags: Vec<String> = f.tags.iter().map(|t| quote(t)).collect();
            let _ = writeln!(out.yaml, "    tags: [{}]", tags.join(", "));
        }
        out.added += 1;
    }
    out
}

/// A URL compared loosely: scheme and a trailing slash aside.
fn same_url(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.trim_end_matches('/').to_ascii_lowercase()
}

fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_matches('-')
        .chars()
        .take(48)
        .collect::<String>()
        .trim_matches('-')
        .to_owned()
}

/// The ids given so far, and for each base the next number to try after it: a thousand feeds
/// with one title cost a thousand lookups, not half a million.
struct Ids {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

fn unique_id(ids: &mut Ids, title: Option<&str>, url: &url::Url) -> String {
    let from_title = title
        .map(slug)
        .filter(|s| s.chars().filter(char::is_ascii_alphabetic).count() >= 2);
    let base = from_title
        .or_else(|| {
            let host = url.host_str().unwrap_or("feed");
            let host = host.strip_prefix("www.").unwrap_or(host);
            Some(slug(&format!("{host} {}", url.path())))
        })
        .filter(|s| SourceId::parse(s).is_ok())
        .unwrap_or_else(|| "feed".into());
    let mut id = base.clone();
    let n = ids.next.entry(base.clone()).or_insert(2);
    while ids.taken.contains(&id) {
        id = format!("{base}-{n}");
        *n += 1;
    }
    ids.taken.insert(id.clone());
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>Subscriptions</title></head><body>
  <outline text="跨境电商" title="跨境电商">
    <outline type="rss" text="雨果网 Cifnews" xmlUrl="https://www.cifnews.example/rss" htmlUrl="https://www.cifnews.example/"/>
    <outline type="rss" text="亿恩网" xmlUrl="https://ennews.example.cn/feed.xml?x=1&amp;y=2"/>
    <outline text="东南亚">
      <outline type="rss" title="Shopee Seller News" text="x" xmlUrl="http://seller.shopee.example/news.atom" category="SEA,Marketplaces"/>
    </outline>
  </outline>
  <outline type="rss" text="Marketplace Pulse" xmlUrl="https://already.example.com/rss/"/>
  <outline type="rss" text="Marketplace Pulse" xmlUrl="https://another.example.com/rss"/>
  <outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
  <outline text="An empty folder"></outline>
</body></opml>"#;

    #[test]
    fn many_feeds_of_one_title_get_numbered_ids_in_order() {
        let config = Config::from_yaml(
            std::path::Path::new("conf/test.yaml"),
            "sources:\n  - id: seller-news-3\n    url: http://taken.example.com/rss\n",
        )
        .unwrap();
        let found: Vec<Found> = (0..20_000)
            .map(|n| Found {
                title: Some("Seller News".into()),
                url: format!("https://s{n}.example.com/rss"),
                tags: vec![],
            })
            .collect();
        let imported = import(&config, &found);
        assert_eq!(imported.added, 20_000);
        let ids: Vec<&str> = imported
            .yaml
            .lines()
            .filter_map(|l| l.strip_prefix("  - id: "))
            .collect();
        assert_eq!(
            ids[..4],
            [
                "seller-news",
                "seller-news-2",
                "seller-news-4",
                "seller-news-5"
            ]
        );
        assert_eq!(ids.last(), Some(&"seller-news-20001"));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 20_000);
    }

    #[test]
    fn a_document_past_the_size_cap_is_refused_as_it_streams() {
        use std::io::Read as _;
        let head: &[u8] = b"<opml version=\"2.0\"><body><outline text=\"";
        let endless = head.chain(std::io::repeat(b'x'));
        let error = feeds_from(std::io::BufReader::new(endless)).unwrap_err();
        assert!(error.contains("larger than 32 MiB"), "{error}");
    }

    #[test]
    fn feeds_come_with_their_folders_as_tags() {
        let found = feeds(OPML).unwrap();
        assert_eq!(found.len(), 6);
        assert_eq!(found[0].title.as_deref(), Some("雨果网 Cifnews"));
        assert_eq!(found[0].tags, ["跨境电商"]);
        assert_eq!(found[1].url, "https://ennews.example.cn/feed.xml?x=1&y=2");
        assert_eq!(found[2].title.as_deref(), Some("Shopee Seller News"));
        assert_eq!(found[2].tags, ["跨境电商", "东南亚", "SEA", "Marketplaces"]);
        assert!(found[3].tags.is_empty());
        assert!(feeds("<rss/>").unwrap_err().contains("no <opml>"));
        assert!(feeds("<opml><body><outline").is_err());
    }

    #[test]
    fn import_makes_unique_ids_and_skips_known_feeds() {
        let config = Config::from_yaml(
            std::path::Path::new("conf/test.yaml"),
            "sources:\n  - id: marketplace-pulse\n    url: http://already.example.com/rss\n",
        )
        .unwrap();
        let found = feeds(OPML).unwrap();
        let got = import(&config, &found);
        assert_eq!(
            (got.added, got.skipped, got.refused),
            (4, 1, 1),
            "{}",
            got.yaml
        );
        for id in [
            "cifnews",
            "ennews-example-cn-feed-xml",
            "shopee-seller-news",
            "marketplace-pulse-2",
        ] {
            assert!(
                got.yaml.contains(&format!("  - id: {id}\n")),
                "{id}: {}",
                got.yaml
            );
        }
        // What it prints is a valid configuration once appended.
        let merged = format!(
            "sources:\n  - id: marketplace-pulse\n    url: http://already.example.com/rss\n{}",
            got.yaml.trim_start_matches("sources:\n")
        );
        let c = Config::from_yaml(std::path::Path::new("conf/test.yaml"), &merged).unwrap();
        assert_eq!(c.sources.len(), 5);
        assert_eq!(
            c.sources[3].tags,
            ["跨境电商", "东南亚", "SEA", "Marketplaces"]
        );
    }

    #[test]
    fn export_lists_every_source_and_masks_secrets() {
        let config = Config::from_yaml(
            std::path::Path::new("conf/test.yaml"),
            "server: { public_url: \"https://news.example.com\" }\nsources:\n\
             \x20 - { id: a, title: \"A & B\", url: \"https://a.example.com/rss?api_key=s3cret\", tags: [跨境电商] }\n\
             \x20 - { id: b, url: \"https://b.example.com/rss\" }\n\
             \x20 - { id: portal, url: \"https://portal.example.cn/news/\", tags: [跨境电商], page: { item: li, title: a, link: \"a@href\" } }\n",
        )
        .unwrap();
        let opml = export(&config, false);
        assert!(opml.contains("title=\"A &amp; B\""), "{opml}");
        assert!(!opml.contains("s3cret"), "{opml}");
        assert!(
            opml.contains("xmlUrl=\"https://news.example.com/feeds/all.rss?source=portal\""),
            "{opml}"
        );
        assert!(export(&config, true).contains("s3cret"));
        // It reads back.
        let back = feeds(&opml).unwrap();
        assert_eq!(back.len(), 3);
        assert_eq!(back[0].tags, ["跨境电商"]);
    }
}

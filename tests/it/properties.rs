//! Property tests: parsing never panics on arbitrary bytes, sanitized HTML never carries a
//! script, an event handler or a script URL, and an item's identity does not depend on when or
//! how often it is parsed. And the other doors input comes through never panic: the charset
//! decoder, the configuration loader, search queries and their snippets, feed cursors, the
//! website's language choice; and every feed format renders any instant an item may carry.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use crossfeed::normalize::{self, Context, html::Sanitizer};
use crossfeed::parse::parse_feed;
use proptest::prelude::*;
use url::Url;

fn items(bytes: &[u8], at_hour: u32) -> Option<Vec<crossfeed::domain::Item>> {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, at_hour, 0, 0).unwrap();
    let feed = parse_feed(bytes, None, Tz::Asia__Shanghai, now).ok()?;
    let base = Url::parse("https://news.example.com/feed.xml").unwrap();
    Some(normalize::normalize_feed(
        &feed,
        &Context {
            fetch_url: &base,
            fetched_at: now,
        },
    ))
}

/// Pieces of hostile and ordinary HTML, glued together in any order.
fn html_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<script>alert(1)</script>".to_owned()),
        Just("<SCRIPT src=//evil.example/x.js></SCRIPT>".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("<a href=\"javascript:alert(1)\">x</a>".to_owned()),
        Just("<a href=\"JaVaScRiPt:alert(1)\">x</a>".to_owned()),
        Just("<a href=\"  javascript:alert(1)\">x</a>".to_owned()),
        Just("<a href=\"java&#x09;script:alert(1)\">x</a>".to_owned()),
        Just("<a href=\"vbscript:msgbox(1)\">x</a>".to_owned()),
        Just("<iframe src=\"data:text/html,<script>alert(1)</script>\"></iframe>".to_owned()),
        Just("<object data=\"x.swf\"></object>".to_owned()),
        Just("<svg onload=alert(1)><circle/></svg>".to_owned()),
        Just("<div style=\"background:url(javascript:alert(1))\">s</div>".to_owned()),
        Just("<body onload=alert(1)>".to_owned()),
        Just("<p onclick='x()' onmouseover=\"y()\">p</p>".to_owned()),
        Just("<style>*{}</style>".to_owned()),
        Just("<img data-src=\"/lazy.png\" src=\"data:image/gif;base64,R0l\">".to_owned()),
        Just("<a href=\"/relative\">rel</a>".to_owned()),
        Just("<form action=\"javascript:x\"><input onfocus=x autofocus></form>".to_owned()),
        Just("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>".to_owned()),
        Just("<!--<script>x</script>-->".to_owned()),
        Just("<".to_owned()),
        Just("\"'>".to_owned()),
        "[a-zA-Z0-9 跨境电商<>=\"'/:;&#]{0,20}",
    ]
}

fn assert_clean(html: &str) {
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<script",
        "<iframe",
        "<object",
        "<style",
        "<svg",
        "<form",
        "javascript:",
        "vbscript:",
        "data:text",
    ] {
        assert!(!lower.contains(bad), "{bad} survived in {html}");
    }
    let handler = regex::Regex::new(r"(?i)<[^>]*\son[a-z]+\s*=").unwrap();
    assert!(
        !handler.is_match(html),
        "an event handler survived in {html}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsing_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = items(&bytes, 4);
    }

    #[test]
    fn parsing_a_feed_with_arbitrary_insides_never_panics(
        inner in proptest::collection::vec(any::<u8>(), 0..1024),
        kind in 0..3usize,
    ) {
        let (head, tail): (&[u8], &[u8]) = match kind {
            0 => (b"<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>t</title><item><title>", b"</title></item></channel></rss>"),
            1 => (b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content type=\"html\">", b"</content></entry></feed>"),
            _ => (b"{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"t\",\"items\":[{\"id\":\"", b"\"}]}"),
        };
        let bytes = [head, &inner, tail].concat();
        let _ = items(&bytes, 4);
    }

    #[test]
    fn sanitized_html_never_carries_scripts_or_handlers(pieces in proptest::collection::vec(html_piece(), 1..12)) {
        let html = pieces.concat();
        let base = Url::parse("https://news.example.com/a/").unwrap();
        assert_clean(&Sanitizer::new(&base).clean(&html));
        // The same through a whole feed: description and content:encoded.
        let escaped = html_escape::encode_text(&html);
        let feed = format!(
            "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><title>t</title>\
             <item><title>x</title><guid>g</guid><description>{escaped}</description>\
             <content:encoded>{escaped}</content:encoded></item></channel></rss>"
        );
        for item in items(feed.as_bytes(), 4).unwrap_or_default() {
            for field in [&item.summary, &item.content].into_iter().flatten() {
                assert_clean(field);
            }
        }
    }

    #[test]
    fn identity_is_deterministic(
        guid in proptest::option::of("[a-zA-Z0-9:/._-]{1,30}"),
        title in "[a-zA-Z 跨境卖家亚马逊]{0,30}",
        path in proptest::option::of("[a-z0-9]{1,12}"),
        body in "[a-zA-Z 物流]{0,40}",
    ) {
        let guid = guid.map(|g| format!("<guid isPermaLink=\"false\">{g}</guid>")).unwrap_or_default();
        let link = path.map(|p| format!("<link>/n/{p}.html</link>")).unwrap_or_default();
        let feed = format!(
            "<rss version=\"2.0\"><channel><title>t</title><link>https://kx.example.cn/</link>\
             <item><title>{title}</title>{guid}{link}<description>{body}</description></item></channel></rss>"
        );
        let first = items(feed.as_bytes(), 4).unwrap();
        let later = items(feed.as_bytes(), 9).unwrap();
        prop_assert_eq!(first.len(), 1);
        prop_assert_eq!(&first[0].id, &later[0].id);
        prop_assert_eq!(first[0].id.len(), 32);
    }

    #[test]
    fn the_charset_decoder_takes_any_bytes_and_any_label(
        bytes in proptest::collection::vec(any::<u8>(), 0..1024),
        label in proptest::option::of("[a-zA-Z0-9_-]{0,16}"),
    ) {
        let decoded = crossfeed::parse::charset::to_utf8(&bytes, label.as_deref());
        // Whatever came in, what goes out is text without the controls XML forbids.
        prop_assert!(!decoded.text.chars().any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')));
    }

    #[test]
    fn the_configuration_loader_refuses_or_accepts_any_text(text in "(?s).{0,400}") {
        let path = std::path::Path::new("/nonexistent/crossfeed.yaml");
        match crossfeed::config::Config::from_yaml(path, &text) {
            Ok(_) => {}
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    #[test]
    fn the_configuration_loader_survives_yaml_shaped_junk(
        key in prop_oneof![Just("server"), Just("sources"), Just("topics"), Just("retention"), Just("discovery"), Just("site")],
        value in "[a-z0-9:\\[\\]{}, \"'-]{0,40}",
    ) {
        let path = std::path::Path::new("/nonexistent/crossfeed.yaml");
        let _ = crossfeed::config::Config::from_yaml(path, &format!("{key}: {value}\n"));
    }

    #[test]
    fn search_queries_parse_or_are_refused_and_never_break_out_of_their_syntax(raw in "(?s).{0,120}") {
        if let Ok(q) = crossfeed::search::parse_query(&raw) {
            prop_assert!(!q.terms.is_empty());
            // Every quote inside a lexeme is doubled: the quotes balance.
            prop_assert_eq!(q.to_fts5().matches('"').count() % 2, 0);
            prop_assert_eq!(q.to_tsquery().replace("''", "").matches('\'').count() % 2, 0);
            let snippet = crossfeed::search::snippet(&raw, &q, 60);
            let without_marks = snippet.replace("<mark>", "").replace("</mark>", "");
            prop_assert!(!without_marks.contains('<'), "{}", snippet);
        }
    }

    #[test]
    fn cursors_parse_or_are_refused(raw in "[0-9.a-z-]{0,30}") {
        if let Ok(c) = raw.parse::<crossfeed::domain::Cursor>() {
            prop_assert_eq!(c.to_string().parse::<crossfeed::domain::Cursor>(), Ok(c));
        }
    }

    #[test]
    fn any_accept_language_chooses_a_language(param in proptest::option::of(".{0,8}"), header in proptest::option::of(".{0,80}")) {
        let _ = crossfeed::server::web::i18n::Lang::choose(param.as_deref(), header.as_deref());
    }

    #[test]
    fn every_feed_format_renders_any_instant(
        published in proptest::option::of(any_instant()),
        updated in proptest::option::of(any_instant()),
        sort_at in any_instant(),
        feed_updated in any_instant(),
    ) {
        use crossfeed::render::{self, FeedMeta, Format};
        let item = crossfeed::domain::StoredItem {
            id: crossfeed::domain::ItemId::of_row(1),
            source_id: crossfeed::domain::SourceId::of_stored("dates".into()),
            item: crossfeed::domain::Item {
                id: "one".into(),
                title: Some("Shopee 大促日期".into()),
                link: Some("https://news.example.com/1".into()),
                published,
                updated,
                ..Default::default()
            },
            sort_at,
            date_is_first_seen: false,
            first_seen_at: sort_at,
            changed_at: sort_at,
            topics: vec![],
            tags: vec![],
            cluster_id: None,
            also_reported_by: vec![],
        };
        let meta = FeedMeta {
            title: "all".into(),
            description: "every item".into(),
            self_url: "http://127.0.0.1/feeds/all.rss".into(),
            home_url: "http://127.0.0.1/".into(),
            updated: feed_updated,
            next_url: None,
            first_url: None,
            hub_url: None,
        };
        for format in [Format::Rss, Format::Atom, Format::Json] {
            let body = render::render(format, &meta, std::slice::from_ref(&item), &Default::default());
            let feed = feed_rs::parser::parse(body.as_bytes());
            prop_assert!(feed.is_ok(), "{:?} does not parse back: {}", format, body);
            let entries = feed.map(|f| f.entries).unwrap_or_default();
            prop_assert_eq!(entries.len(), 1);
            // What is shown lies in the storable range, whatever was stored.
            let shown = entries[0].published.or(entries[0].updated);
            prop_assert!(shown.is_some_and(|d| crossfeed::domain::instant::storable(d).is_some()), "{:?}: {}", format, body);
        }
    }
}

/// Any instant chrono can hold, the range's edges and the years just past them weighted up.
fn any_instant() -> impl Strategy<Value = chrono::DateTime<Utc>> {
    use chrono::DateTime;
    let (min, max) = (
        DateTime::<Utc>::MIN_UTC.timestamp_micros(),
        DateTime::<Utc>::MAX_UTC.timestamp_micros(),
    );
    let edge = |y: i32| {
        Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0)
            .unwrap()
            .timestamp_micros()
    };
    prop_oneof![
        min..=max,
        edge(-2)..edge(2),
        edge(1969)..edge(1971),
        edge(2200)..edge(2202),
        edge(9999)..edge(10001),
    ]
    .prop_map(|m| DateTime::from_timestamp_micros(m).unwrap_or(DateTime::<Utc>::MIN_UTC))
}

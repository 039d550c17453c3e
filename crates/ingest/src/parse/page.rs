//! Items read off an HTML list page through CSS selectors, for sites that publish no feed. The
//! result is the same feed model a parsed feed gives, so normalizing, classifying and storing
//! treat a page's items exactly like a feed's. Links, images and the next page's link are made
//! absolute here (against the page's `<base href>` or its URL), and only http(s) ones are kept.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use feed_rs::model::{Entry, Feed, FeedType, Text};
use mediatype::{MediaTypeBuf, names};
use scraper::{ElementRef, Html, HtmlTreeSink, Selector};
use url::Url;

use super::ParseError;
use super::dates::page_date;
use crate::domain::page::{Compiled, Field};

/// The most items read from one list page; a page that matches more is cut here.
pub const MAX_ITEMS: usize = 500;

/// Attributes that lazy-loading scripts read the real picture from, in order of preference.
const LAZY_ATTRIBUTES: &[&str] = &[
    "data-src",
    "data-original",
    "data-lazy-src",
    "data-actualsrc",
    "data-echo",
    "data-url",
    "lazy-src",
    "file",
];

/// Characters of a title or summary kept from one page element.
const MAX_FIELD_CHARS: usize = 4000;

/// One list page read.
#[derive(Debug)]
pub struct Scraped {
    /// The items, newest first as the page lists them; each entry's `id` is its absolute link.
    pub feed: Feed,
    /// The next list page, when the page links one (never the page itself).
    pub next: Option<Url>,
    /// Elements the item selector matched, those left out included.
    pub matched: usize,
}

/// Read `html`, fetched from `page_url`, with `spec`. An item selector that matches nothing,
/// or items none of which has a title and a usable link, is an error: a page that changed its
/// layout must not look like a quiet day.
pub fn scrape(
    html: &str,
    page_url: &Url,
    spec: &Compiled,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<Scraped, ParseError> {
    // Deep nesting costs html5ever time that grows faster than the input; real pages nest a few
    // dozen levels, and a page past the budget is no list.
    let doc = super::budget::document(
        HtmlTreeSink::new(Html::new_document()),
        html,
        html5ever::ParseOpts::default(),
    )
    .map_err(|cut| ParseError::Page(format!("the list page cannot be read: {cut}")))?;
    let base = base_of(&doc, page_url);

    let days = spec
        .day
        .as_ref()
        .map(|f| Days::of(&doc, f, tz, now))
        .unwrap_or_default();
    let mut entries = Vec::new();
    let mut matched = 0;
    for element in doc.select(&spec.item) {
        matched += 1;
        if entries.len() == MAX_ITEMS {
            continue;
        }
        let day = days.before(element);
        if let Some(entry) = entry(element, spec, &base, (tz, now, day)) {
            entries.push(entry);
        }
    }
    if matched == 0 {
        return Err(ParseError::Page(
            "the item selector matched nothing on the page (has its layout changed?)".into(),
        ));
    }
    if entries.is_empty() {
        return Err(ParseError::Page(format!(
            "the item selector matched {matched} elements, but none had both a title and an \
             http(s) link where the title and link selectors look"
        )));
    }
    let next = match &spec.next {
        Some(f) => first_value(doc.root_element(), f).and_then(|href| web_url(&href, &base)),
        None if spec.next_by_text => super::next::next_page(&doc, &base),
        None => None,
    }
    .filter(|u| u != page_url);
    let title = Selector::parse("title")
        .ok()
        .and_then(|s| doc.select(&s).next().map(folded_text))
        .filter(|t| !t.is_empty());
    let feed = Feed {
        feed_type: FeedType::RSS2,
        id: page_url.to_string(),
        title: title.map(plain),
        updated: None,
        authors: Vec::new(),
        description: None,
        links: vec![super::alternate_link(page_url.as_str())],
        categories: Vec::new(),
        contributors: Vec::new(),
        generator: None,
        icon: None,
        language: None,
        logo: None,
        published: None,
        rating: None,
        rights: None,
        ttl: None,
        people: Vec::new(),
        entries,
    };
    Ok(Scraped {
        feed,
        next,
        matched,
    })
}

/// The page's `<base href>` when it has a usable one, else its URL.
pub(crate) fn base_of(doc: &Html, page_url: &Url) -> Url {
    Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|href| page_url.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https") || u.scheme() == page_url.scheme())
        .unwrap_or_else(|| page_url.clone())
}

/// A timeline's day headers in document order, each with its day.
#[derive(Default)]
struct Days {
    /// (position in document order, day), ascending.
    headers: Vec<(usize, NaiveDate)>,
    /// Every element's position in document order.
    order: std::collections::HashMap<ego_tree::NodeId, usize>,
}

impl Days {
    fn of(doc: &Html, field: &Field, tz: Tz, now: DateTime<Utc>) -> Self {
        let order: std::collections::HashMap<_, _> = doc
            .root_element()
            .descendants()
            .enumerate()
            .map(|(i, n)| (n.id(), i))
            .collect();
        let mut headers: Vec<(usize, NaiveDate)> = doc
            .select(&field.selector)
            .filter_map(|h| {
                let text = match &field.attr {
                    Some(a) => h.value().attr(a)?.to_owned(),
                    None => folded_text(h),
                };
                let day = page_date(&text, tz, now)?.with_timezone(&tz).date_naive();
                Some((*order.get(&h.id())?, day))
            })
            .collect();
        headers.sort_unstable();
        Self { headers, order }
    }

    /// The day of the last header before `element`.
    fn before(&self, element: ElementRef<'_>) -> Option<NaiveDate> {
        let at = *self.order.get(&element.id())?;
        let i = self.headers.partition_point(|(p, _)| *p < at);
        i.checked_sub(1).map(|i| self.headers[i].1)
    }
}

/// `HH:MM` (or `HH:MM:SS`) alone: a time of day with no day.
pub(crate) fn time_of_day(text: &str) -> Option<NaiveTime> {
    let t = text.trim();
    NaiveTime::parse_from_str(t, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(t, "%H:%M:%S"))
        .ok()
}

fn entry(
    element: ElementRef<'_>,
    spec: &Compiled,
    base: &Url,
    (tz, now, day): (Tz, DateTime<Utc>, Option<NaiveDate>),
) -> Option<Entry> {
    let title = title(element, &spec.title).filter(|t| !t.is_empty())?;
    let link = first_value(element, &spec.link).and_then(|href| web_url(&href, base))?;
    let date = spec
        .date
        .as_ref()
        .and_then(|f| first_value(element, f))
        .and_then(|d| match (day, time_of_day(&d)) {
            (Some(day), Some(time)) => tz
                .from_local_datetime(&day.and_time(time))
                .earliest()
                .map(|d| d.to_utc()),
            _ => page_date(&d, tz, now),
        });
    let summary = spec
        .summary
        .as_ref()
        .and_then(|f| first_value(element, f))
        .filter(|s| !s.is_empty());
    let image = spec
        .image
        .as_ref()
        .and_then(|f| image(element, f))
        .and_then(|src| web_url(&src, base));
    // The summary is the element's text; a picture rides along as the first <img>, which is
    // where normalizing looks for an item's picture.
    let mut html = String::new();
    if let Some(src) = &image {
        html.push_str(&format!(
            "<img src=\"{}\" alt=\"\">",
            html_escape::encode_double_quoted_attribute(src.as_str())
        ));
    }
    if let Some(text) = &summary {
        html.push_str(&format!("<p>{}</p>", html_escape::encode_text(text)));
    }
    let mut entry = Entry {
        id: link.to_string(),
        title: Some(plain(title)),
        links: vec![super::alternate_link(link.as_str())],
        published: date,
        ..Entry::default()
    };
    if !html.is_empty() {
        entry.summary = Some(Text {
            content_type: MediaTypeBuf::new(names::TEXT, names::HTML),
            src: None,
            content: html,
        });
    }
    Some(entry)
}

/// What `field` reads within `scope`: the first match's attribute or its text, trimmed and
/// folded, at most [`MAX_FIELD_CHARS`]. An attribute selector takes the first match that has the
/// attribute. An item that is itself what the selector names (a card that is one `<a>`) is its
/// own match when nothing inside it is.
fn first_value(scope: ElementRef<'_>, field: &Field) -> Option<String> {
    let value = match &field.attr {
        Some(attr) => scope
            .select(&field.selector)
            .chain(field.selector.matches(&scope).then_some(scope))
            .find_map(|e| e.value().attr(attr))
            .map(str::trim)
            .map(str::to_owned)?,
        None => folded_text(first_match(scope, &field.selector)?),
    };
    Some(value.chars().take(MAX_FIELD_CHARS).collect())
}

/// An item's title: what `field` reads, except that a text the page cut short (`…`, `...`)
/// gives way to the whole title the link carries in its `title` attribute.
fn title(scope: ElementRef<'_>, field: &Field) -> Option<String> {
    let text = first_value(scope, field)?;
    if field.attr.is_some() {
        return Some(text);
    }
    let Some(stem) = text
        .strip_suffix('…')
        .or_else(|| text.strip_suffix("..."))
        .or_else(|| text.strip_suffix("。。。"))
        .map(str::trim_end)
    else {
        return Some(text);
    };
    let element = first_match(scope, &field.selector)?;
    let whole = std::iter::once(element)
        .chain(element.ancestors().filter_map(ElementRef::wrap).take(3))
        .chain(element.descendants().filter_map(ElementRef::wrap))
        .filter_map(|e| e.value().attr("title"))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .find(|t| t.chars().count() > stem.chars().count() && t.starts_with(stem));
    Some(whole.map_or(text, |t| t.chars().take(MAX_FIELD_CHARS).collect()))
}

/// The first element `selector` matches inside `scope`, else `scope` itself when it matches (a
/// card that is itself the link). Detection names fields by the same rule.
pub(crate) fn first_match<'a>(
    scope: ElementRef<'a>,
    selector: &Selector,
) -> Option<ElementRef<'a>> {
    scope
        .select(selector)
        .next()
        .or_else(|| selector.matches(&scope).then_some(scope))
}

/// An image's address: the attribute asked for, unless a lazy-loading attribute holds the real
/// picture (the `src` of a lazy image is a placeholder or missing).
fn image(scope: ElementRef<'_>, field: &Field) -> Option<String> {
    let element = scope.select(&field.selector).next()?;
    let e = element.value();
    let lazy = LAZY_ATTRIBUTES
        .iter()
        .find_map(|a| e.attr(a))
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let asked = field
        .attr
        .as_deref()
        .and_then(|a| e.attr(a))
        .map(str::trim)
        .filter(|v| !v.is_empty() && !v.starts_with("data:"));
    match (field.attr.as_deref(), asked, lazy) {
        // A lazy attribute named outright is taken as it is.
        (Some(a), Some(v), _) if LAZY_ATTRIBUTES.contains(&a) => Some(v.to_owned()),
        (_, _, Some(real)) => Some(real.to_owned()),
        (_, Some(v), None) => Some(v.to_owned()),
        (None, None, None) => e.attr("src").map(str::to_owned),
        _ => None,
    }
}

/// The element's text with runs of whitespace folded to one space.
pub(crate) fn folded_text(element: ElementRef<'_>) -> String {
    let mut out = String::new();
    for piece in element.text() {
        for word in piece.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
    }
    out
}

/// `href` made absolute against `base`, when it is an http(s) address.
fn web_url(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') {
        return None;
    }
    base.join(href)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some())
}

fn plain(text: String) -> Text {
    Text {
        content_type: MediaTypeBuf::new(names::TEXT, names::PLAIN),
        src: None,
        content: text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::page::PageSpec;
    use chrono::TimeZone;

    const LIST: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>跨境资讯 - 最新资讯</title>
<base href="https://portal.example.cn/news/"></head><body>
<div class="nav"><a href="/">首页</a><a href="/news/">资讯</a></div>
<ul class="news-list">
  <li><h3><a href="2026/1204/101.html?utm_source=list">TikTok Shop 美区  上线
      新的物流服务</a></h3><span class="time">3小时前</span>
      <p class="desc">平台表示，新服务覆盖美国本土仓。</p>
      <img src="data:image/gif;base64,R0lGOD" data-original="/img/101.jpg"></li>
  <li><h3><a href="/news/2026/1203/100.html">亚马逊调整入仓配置费</a></h3><span class="time">2026-12-03 20:42</span></li>
  <li><h3><a href="javascript:void(0)">广告</a></h3></li>
  <li><h3>没有链接的条目</h3></li>
</ul>
<div class="pager"><a class="next" href="?page=2">下一页</a></div>
<div class="side"><h4>热门阅读</h4><ul><li><a href="/news/hot.html">热门</a></li></ul></div>
</body></html>"#;

    fn spec() -> Compiled {
        PageSpec {
            item: "ul.news-list > li".into(),
            title: "h3 a".into(),
            link: "h3 a@href".into(),
            date: Some("span.time".into()),
            summary: Some("p.desc".into()),
            image: Some("img@src".into()),
            next: Some("a.next@href".into()),
            day: None,
            max_pages: 2,
        }
        .compile()
        .unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 4, 6, 0, 0).unwrap()
    }

    #[test]
    fn items_come_with_absolute_links_dates_summaries_and_real_pictures() {
        let page = Url::parse("https://portal.example.cn/news/index.html").unwrap();
        let got = scrape(LIST, &page, &spec(), Tz::Asia__Shanghai, now()).unwrap();
        assert_eq!(got.matched, 4);
        let e = &got.feed.entries;
        assert_eq!(
            e.len(),
            2,
            "the script link and the item without a link are left out"
        );
        assert_eq!(
            e[0].title.as_ref().unwrap().content,
            "TikTok Shop 美区 上线 新的物流服务"
        );
        assert_eq!(
            e[0].links[0].href,
            "https://portal.example.cn/news/2026/1204/101.html?utm_source=list"
        );
        assert_eq!(e[0].published, Some(now() - chrono::Duration::hours(3)));
        let summary = &e[0].summary.as_ref().unwrap().content;
        assert!(
            summary.starts_with(r#"<img src="https://portal.example.cn/img/101.jpg""#),
            "{summary}"
        );
        assert!(
            summary.contains("<p>平台表示，新服务覆盖美国本土仓。</p>"),
            "{summary}"
        );
        assert_eq!(
            e[1].links[0].href,
            "https://portal.example.cn/news/2026/1203/100.html"
        );
        assert_eq!(
            e[1].published,
            Some(Utc.with_ymd_and_hms(2026, 12, 3, 12, 42, 0).unwrap())
        );
        assert!(e[1].summary.is_none());
        assert_eq!(
            got.next.unwrap().as_str(),
            "https://portal.example.cn/news/?page=2"
        );
        assert_eq!(got.feed.title.unwrap().content, "跨境资讯 - 最新资讯");
    }

    #[test]
    fn a_page_whose_selector_matches_nothing_is_an_error() {
        let page = Url::parse("https://portal.example.cn/news/").unwrap();
        let moved = LIST.replace("news-list", "article-list");
        let e = scrape(&moved, &page, &spec(), Tz::UTC, now()).unwrap_err();
        assert!(e.to_string().contains("matched nothing"), "{e}");
        let no_links = LIST
            .replace("href=\"2026", "data-x=\"2026")
            .replace("href=\"/news/2026", "data-x=\"");
        let e = scrape(&no_links, &page, &spec(), Tz::UTC, now()).unwrap_err();
        assert!(e.to_string().contains("matched 4 elements"), "{e}");
    }

    #[test]
    fn a_next_link_back_to_the_page_itself_is_no_next_page() {
        let page = Url::parse("https://portal.example.cn/news/?page=2").unwrap();
        let got = scrape(LIST, &page, &spec(), Tz::UTC, now()).unwrap();
        assert_eq!(got.next, None);
    }
}

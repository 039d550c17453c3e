//! List detection: the main list of article entries on a portal's list page, found from the
//! page's structure alone — no table of class names per site or per portal software — and
//! written down as the selectors of a page source ([`PageSpec`]), so that a poll reads it the
//! way it reads hand-written selectors and an operator can pin what was found.
//!
//! The approach is that of MDR and DEPTA (records are repeated siblings): every element with
//! three or more children of one tag is a candidate list, each child a record. A record is an
//! entry when it holds a link to an article on the site whose text reads as a title. A list is
//! scored by how many entries it has and how much each says (title length, a date, a summary, a
//! picture); lists inside `<nav>`, `<header>`, `<footer>` or `<aside>` and lists headed by a
//! sidebar's words (热门, 推荐, 排行, 猜你喜欢, 相关, 大家都在搜, …) count for little. A sidebar
//! can match the main list in length and link pattern; it rarely matches it in dates,
//! summaries and text together.

use scraper::{ElementRef, Html, HtmlTreeSink, Selector};
use url::Url;

use super::ParseError;
use super::dates::page_date;
use super::page::{first_match, folded_text, time_of_day};
use crate::domain::page::PageSpec;

/// Fewest entries a list must have.
const MIN_ENTRIES: usize = 3;

/// A title's least weight (CJK characters count two, letters and digits one): five Chinese
/// characters or ten letters. Menus, tag chips and page numbers weigh less.
const MIN_TITLE_WEIGHT: usize = 10;

/// Text outside the title that makes a summary (twelve Chinese characters).
const MIN_SUMMARY_WEIGHT: usize = 24;

/// Share of the records whose selector must find the same element as the record's own analysis.
const MIN_AGREEMENT: f64 = 0.6;

/// Headings of the boxes beside a main list (what portals call them in Chinese and English).
const SIDEBAR_WORDS: &[&str] = &[
    "热门",
    "热点",
    "热读",
    "热榜",
    "推荐",
    "排行",
    "排名",
    "猜你喜欢",
    "相关",
    "大家都在",
    "热搜",
    "精选",
    "专题",
    "最热",
    "阅读榜",
    "popular",
    "trending",
    "most read",
    "related",
    "recommended",
    "you may also like",
];

/// What detection found on a page.
#[derive(Debug, Clone)]
pub struct Detected {
    /// The selectors that read the list (with `max_pages` as asked).
    pub spec: PageSpec,
    /// Entries the list holds on this page.
    pub entries: usize,
}

/// Find the main list on `html`, fetched from `page_url`.
pub fn detect(html: &str, page_url: &Url, max_pages: u32) -> Result<Detected, ParseError> {
    let doc = super::budget::document(
        HtmlTreeSink::new(Html::new_document()),
        html,
        html5ever::ParseOpts::default(),
    )
    .map_err(|cut| ParseError::Page(format!("the list page cannot be read: {cut}")))?;
    let base = super::page::base_of(&doc, page_url);
    detect_in(&doc, &base, max_pages).ok_or_else(|| {
        ParseError::Page(
            "no list of articles found on the page (give the page's selectors by hand)".into(),
        )
    })
}

/// [`detect`] on a parsed page.
pub fn detect_in(doc: &Html, base: &Url, max_pages: u32) -> Option<Detected> {
    let mut best: Option<(f64, Candidate<'_>)> = None;
    let mut seen = std::collections::HashSet::new();
    for (container, tag) in shortlist(doc) {
        for item in item_selectors(doc, container, &tag) {
            if !seen.insert(item.clone()) {
                continue;
            }
            let Some(candidate) = Candidate::read(doc, &item, base) else {
                continue;
            };
            let score = candidate.score();
            if best.as_ref().is_none_or(|(s, _)| score > *s) {
                best = Some((score, candidate));
            }
        }
    }
    let (_, list) = best?;
    Some(Detected {
        spec: list.spec(doc, max_pages)?,
        entries: list.entries.len(),
    })
}

/// Candidate lists looked at in full, at most: a page of thousands of small boxes must not
/// cost thousands of walks over the page.
const SHORTLIST: usize = 48;

/// The (container, tag) pairs worth reading in full: those whose repeated children hold the
/// most link text, by a cheap count, the [`SHORTLIST`] heaviest.
fn shortlist(doc: &Html) -> Vec<(ElementRef<'_>, String)> {
    let mut all: Vec<(usize, ElementRef<'_>, String)> = Vec::new();
    for container in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        for tag in repeated_tags(container) {
            let linked: usize = container
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| c.value().name() == tag)
                .map(|c| {
                    std::iter::once(c)
                        .chain(c.descendants().filter_map(ElementRef::wrap))
                        .filter(|e| e.value().name() == "a")
                        .map(|a| weight(&folded_text(a)).min(80))
                        .max()
                        .unwrap_or(0)
                })
                .filter(|w| *w >= MIN_TITLE_WEIGHT)
                .sum();
            if linked > 0 {
                all.push((linked, container, tag));
            }
        }
    }
    all.sort_by_key(|(linked, _, _)| std::cmp::Reverse(*linked));
    all.truncate(SHORTLIST);
    all.into_iter().map(|(_, c, t)| (c, t)).collect()
}

/// Tags of which `container` has at least [`MIN_ENTRIES`] element children.
fn repeated_tags(container: ElementRef<'_>) -> Vec<String> {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for child in container.children().filter_map(ElementRef::wrap) {
        let name = child.value().name();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    counts
        .into_iter()
        .filter(|(name, c)| *c >= MIN_ENTRIES && !matches!(*name, "option" | "br" | "script"))
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// The item selectors that could pick `container`'s `tag` children: the container named by the
/// shortest path that is unique on the page, and, when the container's parent repeats (a
/// timeline's day blocks), every such container under the grandparent.
fn item_selectors(doc: &Html, container: ElementRef<'_>, tag: &str) -> Vec<String> {
    let records: Vec<ElementRef<'_>> = container
        .children()
        .filter_map(ElementRef::wrap)
        .filter(|c| c.value().name() == tag)
        .collect();
    let step = format!("{tag}{}", common_classes(&records));
    let mut out = Vec::new();
    if let Some(path) = unique_path(doc, container) {
        out.push(format!("{path} > {step}"));
    }
    let parent = container.parent().and_then(ElementRef::wrap);
    let grandparent = parent.and_then(|p| p.parent()).and_then(ElementRef::wrap);
    if let (Some(parent), Some(grandparent)) = (parent, grandparent) {
        let repeats = grandparent
            .children()
            .filter_map(ElementRef::wrap)
            .filter(|s| descriptor(*s) == descriptor(parent))
            .count();
        if repeats >= 2
            && let Some(path) = unique_path(doc, grandparent)
        {
            out.push(format!(
                "{path} > {} > {} > {step}",
                descriptor(parent),
                descriptor(container)
            ));
        }
    }
    out
}

/// An element as a selector step: its tag and its classes.
fn descriptor(element: ElementRef<'_>) -> String {
    let mut out = element.value().name().to_owned();
    for class in element.value().classes() {
        if let Some(class) = css_identifier(class) {
            out.push('.');
            out.push_str(&class);
        }
    }
    out
}

/// The classes every record carries (a pinned entry's extra class, say, is left out), as
/// `.a.b`.
fn common_classes(records: &[ElementRef<'_>]) -> String {
    let Some(first) = records.first() else {
        return String::new();
    };
    let mut out = String::new();
    for class in first.value().classes() {
        if records.iter().all(|r| {
            r.value()
                .has_class(class, scraper::CaseSensitivity::CaseSensitive)
        }) && let Some(class) = css_identifier(class)
        {
            out.push('.');
            out.push_str(&class);
        }
    }
    out
}

/// A class or id as a CSS identifier, when it is one that needs no escaping.
fn css_identifier(name: &str) -> Option<String> {
    let mut chars = name.chars();
    let first = chars.next()?;
    let ok = (first.is_ascii_alphabetic() || first == '_' || first == '-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        && !name.starts_with("--")
        && !(first == '-' && name[1..].starts_with(|c: char| c.is_ascii_digit()));
    ok.then(|| name.to_owned())
}

/// The shortest `a > b > c` path from an ancestor down to `element` that selects `element`
/// alone: steps of tags, ids and classes first; where those do not tell siblings apart (tables
/// without classes), steps that also give the position among same-named siblings.
fn unique_path(doc: &Html, element: ElementRef<'_>) -> Option<String> {
    unique_path_by(doc, element, |e| step(e, false))
        .or_else(|| unique_path_by(doc, element, |e| step(e, true)))
}

fn unique_path_by(
    doc: &Html,
    element: ElementRef<'_>,
    step: impl Fn(ElementRef<'_>) -> String,
) -> Option<String> {
    let mut steps: Vec<String> = Vec::new();
    let mut current = Some(element);
    while let Some(e) = current {
        if e.value().name() == "html" {
            return None;
        }
        steps.insert(0, step(e));
        let path = steps.join(" > ");
        if let Ok(selector) = Selector::parse(&path) {
            let mut matches = doc.select(&selector);
            if matches.next().is_some_and(|m| m.id() == element.id()) && matches.next().is_none() {
                return Some(path);
            }
        }
        current = e.parent().and_then(ElementRef::wrap);
    }
    None
}

/// An element as a path step: `tag#id` when it has an id, else its descriptor, followed by
/// its position among the siblings with the same descriptor when `positioned` and it has such
/// siblings.
fn step(e: ElementRef<'_>, positioned: bool) -> String {
    if let Some(id) = e.value().id().and_then(css_identifier) {
        return format!("{}#{id}", e.value().name());
    }
    let own = descriptor(e);
    if !positioned {
        return own;
    }
    let name = e.value().name();
    let same_tag_before = e
        .prev_siblings()
        .filter_map(ElementRef::wrap)
        .filter(|s| s.value().name() == name)
        .count();
    let twins = e
        .parent()
        .into_iter()
        .flat_map(|p| p.children())
        .filter_map(ElementRef::wrap)
        .filter(|s| s.value().name() == name)
        .count();
    if twins > 1 {
        format!("{own}:nth-of-type({})", same_tag_before + 1)
    } else {
        own
    }
}

/// One record read as an entry.
struct Entry<'a> {
    record: ElementRef<'a>,
    link: ElementRef<'a>,
    href: Url,
    title: ElementRef<'a>,
    title_weight: usize,
    date: Option<ElementRef<'a>>,
    summary: Option<ElementRef<'a>>,
    image: bool,
}

/// A candidate list: what an item selector picks, read as entries.
struct Candidate<'a> {
    item: String,
    records: usize,
    entries: Vec<Entry<'a>>,
}

impl<'a> Candidate<'a> {
    fn read(doc: &'a Html, item: &str, base: &Url) -> Option<Self> {
        let selector = Selector::parse(item).ok()?;
        let records: Vec<ElementRef<'a>> = doc.select(&selector).collect();
        if records.len() < MIN_ENTRIES {
            return None;
        }
        let entries: Vec<Entry<'a>> = records.iter().filter_map(|r| entry(*r, base)).collect();
        if entries.len() < MIN_ENTRIES || entries.len() * 2 < records.len() {
            return None;
        }
        Some(Self {
            item: item.to_owned(),
            records: records.len(),
            entries,
        })
    }

    fn score(&self) -> f64 {
        let n = self.entries.len() as f64;
        let share = |f: &dyn Fn(&Entry<'_>) -> bool| {
            self.entries.iter().filter(|e| f(e)).count() as f64 / n
        };
        let title = self
            .entries
            .iter()
            .map(|e| e.title_weight.min(80) as f64)
            .sum::<f64>()
            / n;
        let mut hrefs: Vec<&str> = self.entries.iter().map(|e| e.href.as_str()).collect();
        hrefs.sort_unstable();
        hrefs.dedup();
        let distinct = hrefs.len() as f64 / n;
        let dates = share(&|e| e.date.is_some());
        let summaries = share(&|e| e.summary.is_some());
        let images = share(&|e| e.image);
        let entry_share = n / self.records as f64;
        // The count weighs by its logarithm: a main list of twenty long titles with dates must
        // beat a thousand boxes of short links (tag clouds, keyword chips), and one more entry
        // must not outweigh a date or a summary on every entry.
        let mut score = n.ln_1p()
            * title
            * distinct
            * entry_share
            * (1.0 + dates)
            * (1.0 + summaries)
            * (1.0 + 0.3 * images);
        // A list that holds a sidebar's or the page furniture's entries is not the main list,
        // whatever else it holds (a main list merged with the "Most read" box beside it).
        let mut boxes = std::collections::HashSet::new();
        let aside = self.entries.iter().any(|e| {
            // One look per box: its first entry.
            e.record.parent().is_some_and(|p| boxes.insert(p.id()))
                && (in_furniture(e.record) || headed_as_sidebar(e.record))
        });
        if aside {
            score *= 0.1;
        }
        score
    }

    /// The selectors that read this list: each field's selector is the one that finds, in the
    /// most records, what the record's own analysis found.
    fn spec(&self, doc: &Html, max_pages: u32) -> Option<PageSpec> {
        let link = best_selector(&self.entries, |e| Some(e.link))?;
        let title = if self.entries.iter().all(|e| e.title.id() == e.link.id()) {
            link.clone()
        } else {
            best_selector(&self.entries, |e| Some(e.title))?
        };
        let date = best_selector(&self.entries, |e| e.date).map(|d| date_field(&self.entries, d));
        let summary = best_selector(&self.entries, |e| e.summary);
        let day = day_headers(doc, &self.entries);
        let images = self.entries.iter().filter(|e| e.image).count();
        Some(PageSpec {
            item: self.item.clone(),
            title,
            link: format!("{link}@href"),
            date,
            summary,
            image: (images * 2 >= self.entries.len()).then(|| "img@src".to_owned()),
            next: None,
            day,
            max_pages,
        })
    }
}

/// When most entries' dates show only the time of day (a 快讯 timeline), the selector of the
/// day headers they sit under: for each entry, the nearest element before it (its box's
/// earlier siblings, then theirs, up a few levels) whose text is a day; the descriptor most of
/// those share, when it picks them all.
fn day_headers(doc: &Html, entries: &[Entry<'_>]) -> Option<String> {
    let times = entries
        .iter()
        .filter(|e| e.date.is_some_and(|d| is_time_of_day(&own_text(d))))
        .count();
    if times * 2 < entries.len() {
        return None;
    }
    let mut headers: Vec<ElementRef<'_>> = Vec::new();
    for e in entries {
        let found = e
            .record
            .ancestors()
            .filter_map(ElementRef::wrap)
            .take(4)
            .flat_map(|level| level.prev_siblings().filter_map(ElementRef::wrap).take(3))
            .find(|s| {
                let text = folded_text(*s);
                weight(&text) <= 40 && !is_time_of_day(&text) && is_date(&text)
            });
        if let Some(h) = found
            && !headers.iter().any(|x| x.id() == h.id())
        {
            headers.push(h);
        }
    }
    let first = headers.first()?;
    let css = descriptor(*first);
    let selector = Selector::parse(&css).ok()?;
    let picked: Vec<_> = doc.select(&selector).map(|e| e.id()).collect();
    headers
        .iter()
        .all(|h| picked.contains(&h.id()))
        .then_some(css)
}

/// A time of day alone, as the page reader reads one.
fn is_time_of_day(text: &str) -> bool {
    time_of_day(text).is_some()
}

/// A date selector as a field: `time` elements are read by their `datetime`, elements whose
/// `title` is a date by their `title` (portals print "3 天前" and keep the exact time there).
fn date_field(entries: &[Entry<'_>], selector: String) -> String {
    let Some(e) = entries.iter().find_map(|e| e.date) else {
        return selector;
    };
    if e.value().name() == "time" && e.value().attr("datetime").is_some() {
        return format!("{selector}@datetime");
    }
    if e.value().attr("title").is_some_and(is_date) {
        return format!("{selector}@title");
    }
    selector
}

/// The selector, among those that could name `target` in each record, that finds it in the
/// most records; None when none finds it in [`MIN_AGREEMENT`] of those that have one.
fn best_selector<'a>(
    entries: &[Entry<'a>],
    target: impl Fn(&Entry<'a>) -> Option<ElementRef<'a>>,
) -> Option<String> {
    let with: Vec<(ElementRef<'a>, ElementRef<'a>)> = entries
        .iter()
        .filter_map(|e| target(e).map(|t| (e.record, t)))
        .collect();
    if with.len() * 2 < entries.len() {
        return None;
    }
    let mut tried = std::collections::HashSet::new();
    let mut best: Option<(usize, String)> = None;
    for (record, t) in &with {
        for css in relative_selectors(*record, *t) {
            if !tried.insert(css.clone()) {
                continue;
            }
            let Ok(selector) = Selector::parse(&css) else {
                continue;
            };
            let agree = with
                .iter()
                .filter(|(r, t)| first_match(*r, &selector).is_some_and(|m| m.id() == t.id()))
                .count();
            if best
                .as_ref()
                .is_none_or(|(a, b)| agree > *a || (agree == *a && css.len() < b.len()))
            {
                best = Some((agree, css));
            }
        }
    }
    let (agree, css) = best?;
    (agree as f64 >= MIN_AGREEMENT * with.len() as f64).then_some(css)
}

/// Selectors that name `target` from inside `record`, most general first: its descriptor
/// alone, its tag alone, then the path of descriptors, then of tags with positions.
fn relative_selectors(record: ElementRef<'_>, target: ElementRef<'_>) -> Vec<String> {
    let mut path = Vec::new();
    let mut current = Some(target);
    while let Some(e) = current {
        if e.id() == record.id() {
            break;
        }
        path.push(e);
        current = e.parent().and_then(ElementRef::wrap);
    }
    path.reverse();
    if path.is_empty() {
        // The record is the target.
        return vec![record.value().name().to_owned()];
    }
    let tag = |e: &ElementRef<'_>| e.value().name().to_owned();
    let positioned = |e: &ElementRef<'_>| {
        let name = e.value().name();
        let index = e
            .prev_siblings()
            .filter_map(ElementRef::wrap)
            .filter(|s| s.value().name() == name)
            .count();
        format!("{name}:nth-of-type({})", index + 1)
    };
    let last = path[path.len() - 1];
    let mut out = vec![descriptor(last), tag(&last)];
    out.push(
        path.iter()
            .map(|e| descriptor(*e))
            .collect::<Vec<_>>()
            .join(" > "),
    );
    out.push(path.iter().map(tag).collect::<Vec<_>>().join(" > "));
    out.push(path.iter().map(positioned).collect::<Vec<_>>().join(" > "));
    out
}

/// `record` read as an entry: its article link, title, date, summary and picture; None when it
/// links to no article.
fn entry<'a>(record: ElementRef<'a>, base: &Url) -> Option<Entry<'a>> {
    let link_selector = Selector::parse("a[href]").ok()?;
    let links = std::iter::once(record)
        .filter(|r| r.value().name() == "a" && r.value().attr("href").is_some())
        .chain(record.select(&link_selector));
    let mut best: Option<(usize, ElementRef<'a>, Url)> = None;
    for a in links {
        let Some(href) = a.value().attr("href").and_then(|h| article_url(h, base)) else {
            continue;
        };
        let weight = weight(&folded_text(a)).max(a.value().attr("title").map_or(0, weight));
        if best.as_ref().is_none_or(|(w, _, _)| weight > *w) {
            best = Some((weight, a, href));
        }
    }
    let (link_weight, link, href) = best?;
    let (title, title_weight) = if link.id() == record.id() || weight(&folded_text(link)) > 160 {
        heading_within(link)?
    } else {
        (link, link_weight)
    };
    if title_weight < MIN_TITLE_WEIGHT {
        return None;
    }
    let date = date_within(record, title);
    let summary = summary_within(record, title, date);
    let image = record
        .descendants()
        .filter_map(ElementRef::wrap)
        .any(|e| e.value().name() == "img");
    Some(Entry {
        record,
        link,
        href,
        title,
        title_weight,
        date,
        summary,
        image,
    })
}

/// The title inside a link that holds a whole card: its heading, else its first text block
/// that reads as a title.
fn heading_within(link: ElementRef<'_>) -> Option<(ElementRef<'_>, usize)> {
    let blocks: Vec<ElementRef<'_>> = link
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| e.id() != link.id())
        .collect();
    let heading = blocks.iter().find(|e| {
        matches!(
            e.value().name(),
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" | "strong" | "b"
        ) && weight(&folded_text(**e)) >= MIN_TITLE_WEIGHT
    });
    let chosen = heading.or_else(|| {
        blocks.iter().find(|e| {
            let w = weight(&folded_text(**e));
            (MIN_TITLE_WEIGHT..=160).contains(&w) && !has_element_children(**e)
        })
    })?;
    Some((*chosen, weight(&folded_text(*chosen))))
}

fn has_element_children(e: ElementRef<'_>) -> bool {
    e.children().filter_map(ElementRef::wrap).any(|c| {
        !matches!(
            c.value().name(),
            "em" | "i" | "b" | "strong" | "font" | "span" | "br"
        )
    })
}

/// The record's date: a `<time>`, else the smallest element outside the title whose text (or
/// `title`) is a date.
fn date_within<'a>(record: ElementRef<'a>, title: ElementRef<'a>) -> Option<ElementRef<'a>> {
    let outside = |e: &ElementRef<'_>| !contains(title, *e) && !contains(*e, title);
    let all: Vec<ElementRef<'a>> = std::iter::once(record)
        .chain(record.descendants().filter_map(ElementRef::wrap))
        .filter(|e| e.id() == record.id() || outside(e))
        .collect();
    if let Some(time) = all.iter().find(|e| e.value().name() == "time") {
        return Some(*time);
    }
    all.into_iter().rev().find(|e| {
        e.id() != record.id()
            && (is_date(&own_text(*e)) || (e.value().attr("title").is_some_and(is_date)))
    })
}

/// The record's summary: the element outside the title and the date with the most text, at
/// least [`MIN_SUMMARY_WEIGHT`].
fn summary_within<'a>(
    record: ElementRef<'a>,
    title: ElementRef<'a>,
    date: Option<ElementRef<'a>>,
) -> Option<ElementRef<'a>> {
    let mut best: Option<(usize, ElementRef<'a>)> = None;
    for e in record.descendants().filter_map(ElementRef::wrap) {
        if contains(e, title) || contains(title, e) {
            continue;
        }
        if date.is_some_and(|d| contains(e, d) || contains(d, e)) {
            continue;
        }
        let w = weight(&folded_text(e));
        if w >= MIN_SUMMARY_WEIGHT && best.as_ref().is_none_or(|(b, _)| w > *b) {
            best = Some((w, e));
        }
    }
    best.map(|(_, e)| e)
}

/// Whether `outer` is `inner` or one of its ancestors.
fn contains(outer: ElementRef<'_>, inner: ElementRef<'_>) -> bool {
    inner.id() == outer.id() || inner.ancestors().any(|a| a.id() == outer.id())
}

/// Whether `text` reads as a date: what the page reader reads as one, or a time of day.
fn is_date(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() || t.chars().count() > 60 {
        return false;
    }
    let now = chrono::Utc::now();
    if page_date(t, chrono_tz::Tz::UTC, now).is_some() {
        return true;
    }
    // A timeline's entries show only the time of day.
    is_time_of_day(t)
}

/// An href that may be an article on the page's site: http(s), the same site (a shared
/// registrable part of the host), not the page itself and not the site's front page.
fn article_url(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() || href.starts_with('#') || href.starts_with("javascript:") {
        return None;
    }
    let url = base.join(href).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.path() == "/" && url.query().is_none() {
        return None;
    }
    let same_site = match (url.host_str(), base.host_str()) {
        (Some(a), Some(b)) => site_of(a) == site_of(b),
        _ => false,
    };
    let mut bare = url.clone();
    bare.set_fragment(None);
    let mut page = base.clone();
    page.set_fragment(None);
    (same_site && bare != page).then_some(url)
}

/// A host's registrable part, roughly: its last two labels, or three under a country's
/// `com`/`net`/`org`/`gov`/`edu` (`news.example.com.cn` → `example.com.cn`).
fn site_of(host: &str) -> String {
    let labels: Vec<&str> = host.trim_end_matches('.').split('.').collect();
    let n = labels.len();
    let take = if n >= 3
        && labels[n - 1].len() == 2
        && matches!(labels[n - 2], "com" | "net" | "org" | "gov" | "edu" | "co")
    {
        3
    } else {
        2
    };
    labels[n.saturating_sub(take)..].join(".")
}

/// Whether the record sits in the page's furniture: navigation, header, footer or an aside.
fn in_furniture(record: ElementRef<'_>) -> bool {
    record.ancestors().filter_map(ElementRef::wrap).any(|a| {
        matches!(a.value().name(), "nav" | "header" | "footer" | "aside")
            || a.value().attr("role").is_some_and(|r| {
                matches!(r, "navigation" | "banner" | "contentinfo" | "complementary")
            })
    })
}

/// Whether the heading right before the list reads as a sidebar's (热门阅读, 推荐阅读, Most
/// read, …): at the list's container and up to three boxes around it, the nearest element
/// before it, when that is short enough to be a heading. A long element before a box is
/// content, not its heading: the search goes up a level then.
fn headed_as_sidebar(record: ElementRef<'_>) -> bool {
    let levels = record
        .ancestors()
        .filter_map(ElementRef::wrap)
        .take_while(|a| !matches!(a.value().name(), "body" | "html"))
        .take(4);
    for level in levels {
        let Some(before) = level.prev_siblings().find_map(ElementRef::wrap) else {
            continue;
        };
        let text = folded_text(before);
        if weight(&text) > 24 || text.is_empty() {
            continue;
        }
        let text = text.to_lowercase();
        return SIDEBAR_WORDS.iter().any(|w| text.contains(w));
    }
    false
}

/// Text weight: CJK characters two, other letters and digits one.
fn weight(text: &str) -> usize {
    text.chars()
        .map(|c| {
            if crate::text::is_cjk(c) {
                2
            } else {
                usize::from(c.is_alphanumeric())
            }
        })
        .sum()
}

/// An element's own text (not its children's), whitespace folded.
fn own_text(element: ElementRef<'_>) -> String {
    element
        .children()
        .filter_map(|c| c.value().as_text().map(|t| t.to_string()))
        .collect::<Vec<_>>()
        .join(" ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

//! The next list page of a page with no `next` selector (`page: auto`), found as a reader finds
//! it: a `rel="next"` link, a link whose words say "next page" (下一页, 下页, 后页, Next, »,
//! ›), or the page number after the current one in the pager.

use scraper::{ElementRef, Html, Selector};
use url::Url;

/// What a "next page" link says, folded (no spaces, lower case, arrows and brackets dropped).
const NEXT_WORDS: &[&str] = &[
    "下一页",
    "下页",
    "后页",
    "下一頁",
    "下頁",
    "next",
    "nextpage",
    "older",
    "olderposts",
];

/// Arrows a pager uses alone for "next".
const NEXT_ARROWS: &[&str] = &["»", "›", ">", ">>", "→"];

/// The next list page linked from `doc`, made absolute against `base`.
pub(crate) fn next_page(doc: &Html, base: &Url) -> Option<Url> {
    let resolve = |href: &str| {
        let href = href.trim();
        if href.is_empty() || href.starts_with('#') || href.starts_with("javascript:") {
            return None;
        }
        base.join(href)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    };
    let rel = Selector::parse("a[rel~=next][href], link[rel~=next][href]").ok()?;
    if let Some(url) = doc
        .select(&rel)
        .find_map(|e| e.value().attr("href").and_then(resolve))
    {
        return Some(url);
    }
    let anchors = Selector::parse("a[href]").ok()?;
    let links: Vec<ElementRef<'_>> = doc.select(&anchors).collect();
    let said = |e: &ElementRef<'_>| {
        let text: String = e
            .text()
            .flat_map(str::split_whitespace)
            .collect::<String>()
            .to_lowercase();
        let words = text.trim_matches(|c: char| "»›>→<«‹[]【】()（）".contains(c));
        NEXT_WORDS.contains(&words)
            || NEXT_ARROWS.contains(&text.as_str())
            || e.value().attr("title").is_some_and(|t| {
                NEXT_WORDS.contains(&t.trim().to_lowercase().replace(' ', "").as_str())
            })
    };
    if let Some(url) = links
        .iter()
        .filter(|e| said(e))
        .find_map(|e| e.value().attr("href").and_then(resolve))
    {
        return Some(url);
    }
    after_current(doc, &links, resolve)
}

/// The pager's link to the page after the current one: the current page is the number in the
/// pager that is not a link (or is marked current), the next is the link whose text is one more.
fn after_current(
    doc: &Html,
    links: &[ElementRef<'_>],
    resolve: impl Fn(&str) -> Option<Url>,
) -> Option<Url> {
    let number = |e: &ElementRef<'_>| {
        e.text()
            .collect::<String>()
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n < 10_000)
    };
    let marked = Selector::parse(
        "span, strong, b, em, a[aria-current], li[aria-current], a.current, a.active, li.active, li.current",
    )
    .ok()?;
    for current in doc.select(&marked) {
        let Some(n) = number(&current) else {
            continue;
        };
        let is_link = current.value().name() == "a";
        if is_link
            && current.value().attr("aria-current").is_none()
            && !current
                .value()
                .classes()
                .any(|c| matches!(c, "current" | "active"))
        {
            continue;
        }
        // The next number among the links of the same pager (the nearest box of links).
        let Some(pager) = current.ancestors().filter_map(ElementRef::wrap).find(|a| {
            links
                .iter()
                .filter(|l| l.ancestors().any(|x| x.id() == a.id()))
                .count()
                >= 2
        }) else {
            continue;
        };
        let next = links
            .iter()
            .find(|l| l.ancestors().any(|x| x.id() == pager.id()) && number(l) == Some(n + 1));
        if let Some(url) = next.and_then(|l| l.value().attr("href")).and_then(&resolve) {
            return Some(url);
        }
    }
    None
}

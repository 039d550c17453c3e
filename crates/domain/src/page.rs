//! A page source: the CSS selectors that read items off an HTML list page that publishes no
//! feed. The configuration holds a [`PageSpec`] as the operator wrote it (and the store keeps it
//! as JSON on the source's row); [`PageSpec::compile`] turns it into selectors, and is what
//! `check-config` runs, so that a selector that does not compile never reaches a poll.

use serde::{Deserialize, Serialize};

/// The most list pages one poll follows through `next` links.
pub const MAX_PAGES: u32 = 20;

/// The selectors as written. Each but `item` is CSS (the text of the first match within the
/// item, whitespace folded) or `CSS@attr` (that attribute of the first match); `item` is plain
/// CSS and picks one element per item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSpec {
    pub item: String,
    pub title: String,
    pub link: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The next list page's link, matched on the whole page (not within an item).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// A timeline's day headers, matched on the whole page: an item whose date shows only the
    /// time of day takes its day from the last header before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
    /// How many list pages a poll reads, the first included.
    pub max_pages: u32,
}

/// One compiled field selector.
#[derive(Debug, Clone)]
pub struct Field {
    pub selector: scraper::Selector,
    /// The attribute to read, or None for the element's text.
    pub attr: Option<String>,
}

impl Field {
    /// `CSS` or `CSS@attr`. The `@` is read as the attribute's only when what follows it is an
    /// attribute name, so a selector such as `a[href*="@"]` keeps its `@`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (css, attr) = match text.rsplit_once('@') {
            Some((css, attr)) if is_attribute_name(attr) => (css.trim(), Some(attr.to_owned())),
            _ => (text, None),
        };
        Ok(Self {
            selector: selector(css)?,
            attr,
        })
    }
}

fn is_attribute_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

fn selector(css: &str) -> Result<scraper::Selector, String> {
    if css.is_empty() {
        return Err("an empty CSS selector".into());
    }
    scraper::Selector::parse(css).map_err(|e| format!("not a CSS selector ({e})"))
}

/// A [`PageSpec`] ready to apply.
#[derive(Debug, Clone)]
pub struct Compiled {
    pub item: scraper::Selector,
    pub title: Field,
    pub link: Field,
    pub date: Option<Field>,
    pub summary: Option<Field>,
    pub image: Option<Field>,
    pub next: Option<Field>,
    pub day: Option<Field>,
    /// With no `next` selector, find the next page by its link's words and the page numbers
    /// (`page: auto`).
    pub next_by_text: bool,
    pub max_pages: u32,
}

/// Which selector of a spec was wrong, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub field: &'static str,
    pub message: String,
}

impl PageSpec {
    /// Compile every selector; the first that fails is the error.
    pub fn compile(&self) -> Result<Compiled, SpecError> {
        let at = |field: &'static str| move |message: String| SpecError { field, message };
        let optional = |text: &Option<String>, field: &'static str| {
            text.as_deref()
                .map(Field::parse)
                .transpose()
                .map_err(at(field))
        };
        let item_css = self.item.trim();
        if Field::parse(item_css).is_ok_and(|f| f.attr.is_some()) {
            return Err(SpecError {
                field: "item",
                message: "the item selector picks elements: it takes no @attribute".into(),
            });
        }
        if self.max_pages == 0 || self.max_pages > MAX_PAGES {
            return Err(SpecError {
                field: "max_pages",
                message: format!("must be 1 to {MAX_PAGES}, got {}", self.max_pages),
            });
        }
        Ok(Compiled {
            item: selector(item_css).map_err(at("item"))?,
            title: Field::parse(&self.title).map_err(at("title"))?,
            link: Field::parse(&self.link).map_err(at("link"))?,
            date: optional(&self.date, "date")?,
            summary: optional(&self.summary, "summary")?,
            image: optional(&self.image, "image")?,
            next: optional(&self.next, "next")?,
            day: optional(&self.day, "day")?,
            next_by_text: false,
            max_pages: self.max_pages,
        })
    }
}

/// How a page source finds its list: selectors written by hand, or found on the page
/// (`page: auto`). Kept on the source's row as JSON; a row written before `auto` existed holds a
/// [`PageSpec`] and reads as [`PageSource::Selectors`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PageSource {
    /// First, so that its `auto` key tells it from a spec whose selectors are all pinned.
    Auto(AutoPage),
    Selectors(PageSpec),
}

impl PageSource {
    /// How many list pages a poll reads.
    pub fn max_pages(&self) -> u32 {
        match self {
            PageSource::Auto(a) => a.max_pages,
            PageSource::Selectors(s) => s.max_pages,
        }
    }
}

/// `page: auto`: the list found on the page (`parse::detect`), with any selector the operator
/// pinned in place of what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AutoPage {
    /// Always true: the key that marks the JSON form.
    pub auto: bool,
    /// How many list pages a poll reads, the first included.
    pub max_pages: u32,
    /// Pinned selectors, each as in [`PageSpec`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<String>,
}

impl AutoPage {
    /// `page: auto` with nothing pinned.
    pub fn new(max_pages: u32) -> Self {
        Self {
            auto: true,
            max_pages,
            item: None,
            title: None,
            link: None,
            date: None,
            summary: None,
            image: None,
            next: None,
            day: None,
        }
    }

    /// The selectors a poll uses: what detection found, with the pinned ones in its place.
    pub fn over(&self, found: &PageSpec) -> PageSpec {
        let pick =
            |pinned: &Option<String>, found: &Option<String>| pinned.clone().or(found.clone());
        PageSpec {
            item: self.item.clone().unwrap_or_else(|| found.item.clone()),
            title: self.title.clone().unwrap_or_else(|| found.title.clone()),
            link: self.link.clone().unwrap_or_else(|| found.link.clone()),
            date: pick(&self.date, &found.date),
            summary: pick(&self.summary, &found.summary),
            image: pick(&self.image, &found.image),
            next: pick(&self.next, &found.next),
            day: pick(&self.day, &found.day),
            max_pages: self.max_pages,
        }
    }

    /// The pinned selectors as a spec when they are enough to read the page without detection
    /// (item, title and link).
    pub fn pinned_spec(&self) -> Option<PageSpec> {
        Some(PageSpec {
            item: self.item.clone()?,
            title: self.title.clone()?,
            link: self.link.clone()?,
            date: self.date.clone(),
            summary: self.summary.clone(),
            image: self.image.clone(),
            next: self.next.clone(),
            day: self.day.clone(),
            max_pages: self.max_pages,
        })
    }

    /// Check every pinned selector, as [`PageSpec::compile`] does; placeholders stand in for
    /// the ones detection will find.
    pub fn check(&self) -> Result<(), SpecError> {
        let placeholder = PageSpec {
            item: "li".into(),
            title: "a".into(),
            link: "a@href".into(),
            date: None,
            summary: None,
            image: None,
            next: None,
            day: None,
            max_pages: self.max_pages,
        };
        self.over(&placeholder).compile().map(|_| ())
    }
}

/// `sources[].full_content`: whether each item's article is fetched from its link and stored
/// as its content, and how its body is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FullContent {
    /// Readability-style extraction; skipped where the feed already carries the full text.
    Auto,
    /// The first element this CSS selector matches is the body; always fetched.
    Selector(String),
}

impl FullContent {
    /// As the store keeps it: `auto` or `css:<selector>`.
    pub fn to_stored(&self) -> String {
        match self {
            FullContent::Auto => "auto".into(),
            FullContent::Selector(css) => format!("css:{css}"),
        }
    }

    pub fn from_stored(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(FullContent::Auto),
            _ => text
                .strip_prefix("css:")
                .map(|css| FullContent::Selector(css.to_owned())),
        }
    }

    /// The configuration's `auto` or a CSS selector (which must compile).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text == "auto" {
            return Ok(FullContent::Auto);
        }
        selector(text).map(|_| FullContent::Selector(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> PageSpec {
        PageSpec {
            item: "ul.news-list > li".into(),
            title: "h3 a".into(),
            link: "h3 a@href".into(),
            date: Some("span.time".into()),
            summary: None,
            image: Some("img@data-src".into()),
            next: Some("a.next@href".into()),
            day: None,
            max_pages: 2,
        }
    }

    #[test]
    fn fields_read_text_or_an_attribute() {
        let c = spec().compile().unwrap();
        assert_eq!(c.title.attr, None);
        assert_eq!(c.link.attr.as_deref(), Some("href"));
        assert_eq!(c.image.unwrap().attr.as_deref(), Some("data-src"));
        // An @ inside the CSS stays CSS.
        let f = Field::parse(r#"a[href*="@"]"#).unwrap();
        assert_eq!(f.attr, None);
        let f = Field::parse(r#"a[href^="mailto:"]@href"#).unwrap();
        assert_eq!(f.attr.as_deref(), Some("href"));
    }

    #[test]
    fn bad_selectors_name_their_field() {
        let mut s = spec();
        s.link = "h3 a[@href".into();
        assert_eq!(s.compile().unwrap_err().field, "link");
        let mut s = spec();
        s.item = "li@class".into();
        let e = s.compile().unwrap_err();
        assert_eq!(e.field, "item");
        assert!(e.message.contains("no @attribute"), "{}", e.message);
        let mut s = spec();
        s.date = Some("  ".into());
        assert_eq!(s.compile().unwrap_err().field, "date");
        let mut s = spec();
        s.max_pages = 0;
        assert_eq!(s.compile().unwrap_err().field, "max_pages");
    }

    #[test]
    fn full_content_is_auto_or_a_selector() {
        assert_eq!(FullContent::parse(" auto "), Ok(FullContent::Auto));
        let css = FullContent::parse("div.article-content").unwrap();
        assert_eq!(FullContent::from_stored(&css.to_stored()), Some(css));
        assert_eq!(FullContent::from_stored("auto"), Some(FullContent::Auto));
        assert!(FullContent::parse("div >> p").is_err());
        assert_eq!(FullContent::from_stored("something"), None);
    }

    #[test]
    fn an_auto_page_and_a_stored_spec_read_back_as_themselves() {
        let mut auto = AutoPage::new(3);
        auto.date = Some("span.when".into());
        let json = serde_json::to_string(&PageSource::Auto(auto.clone())).unwrap();
        assert_eq!(
            serde_json::from_str::<PageSource>(&json).unwrap(),
            PageSource::Auto(auto.clone())
        );
        // A spec stored as it always was reads as selectors.
        let stored = serde_json::to_string(&spec()).unwrap();
        assert_eq!(
            serde_json::from_str::<PageSource>(&stored).unwrap(),
            PageSource::Selectors(spec())
        );
        // Pinned selectors win over what was found; the rest is what was found.
        let used = auto.over(&spec());
        assert_eq!(used.date.as_deref(), Some("span.when"));
        assert_eq!(used.item, spec().item);
        assert_eq!(used.max_pages, 3);
        assert!(auto.pinned_spec().is_none());
        auto.date = Some("span[".into());
        assert_eq!(auto.check().unwrap_err().field, "date");
    }

    #[test]
    fn the_spec_round_trips_through_json() {
        let s = spec();
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<PageSpec>(&json).unwrap(), s);
    }
}

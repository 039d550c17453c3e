//! `sources[].page`: `auto`, `auto: true` with pinned selectors, or selectors, each compiled
//! so that an error points at its own line.

use serde_saphyr::Spanned;

use super::super::raw::RawPageForm;
use super::{Issue, Validator, one_line};
use crate::domain::page::{AutoPage, PageSource, PageSpec};

impl Validator {
    /// A page source: `auto`, or selectors each compiled here so that an error points at its
    /// own line.
    pub(super) fn page(&mut self, raw: &Spanned<RawPageForm>) -> Option<PageSource> {
        let map = match &raw.value {
            RawPageForm::Word(w) if w.trim() == "auto" => {
                return Some(PageSource::Auto(AutoPage::new(1)));
            }
            RawPageForm::Word(w) => {
                self.push(
                    raw,
                    format!("page: write auto, or a mapping of selectors (got {w:?})"),
                );
                return None;
            }
            RawPageForm::Map(map) => map,
        };
        let value = |s: &Option<Spanned<String>>| s.as_ref().map(|s| s.value.clone());
        let max_pages = map.max_pages.as_ref().map_or(1, |m| m.value);
        let auto = map.auto.as_ref().is_some_and(|a| a.value);
        let (source, checked) = if auto {
            let page = AutoPage {
                item: value(&map.item),
                title: value(&map.title),
                link: value(&map.link),
                date: value(&map.date),
                summary: value(&map.summary),
                image: value(&map.image),
                next: value(&map.next),
                day: value(&map.day),
                ..AutoPage::new(max_pages)
            };
            let checked = page.check();
            (PageSource::Auto(page), checked)
        } else {
            let mut missing = false;
            for (name, field) in [
                ("item", &map.item),
                ("title", &map.title),
                ("link", &map.link),
            ] {
                if field.is_none() {
                    self.push(
                        raw,
                        format!(
                            "page.{name}: missing (give the {name} selector, or write auto: true \
                             to find the list on the page)"
                        ),
                    );
                    missing = true;
                }
            }
            if missing {
                return None;
            }
            let spec = PageSpec {
                item: value(&map.item).unwrap_or_default(),
                title: value(&map.title).unwrap_or_default(),
                link: value(&map.link).unwrap_or_default(),
                date: value(&map.date),
                summary: value(&map.summary),
                image: value(&map.image),
                next: value(&map.next),
                day: value(&map.day),
                max_pages,
            };
            let checked = spec.compile().map(|_| ());
            (PageSource::Selectors(spec), checked)
        };
        let Err(error) = checked else {
            return Some(source);
        };
        let at = |s: &Option<Spanned<String>>| {
            s.as_ref()
                .map(|s| (s.referenced.line(), s.referenced.column()))
        };
        let (line, column) = match error.field {
            "item" => at(&map.item),
            "title" => at(&map.title),
            "link" => at(&map.link),
            "date" => at(&map.date),
            "summary" => at(&map.summary),
            "image" => at(&map.image),
            "next" => at(&map.next),
            "day" => at(&map.day),
            _ => map
                .max_pages
                .as_ref()
                .map(|m| (m.referenced.line(), m.referenced.column())),
        }
        .unwrap_or((raw.referenced.line(), raw.referenced.column()));
        self.issues.push(Issue {
            file: self.file.clone(),
            line,
            column,
            message: one_line(&format!("page.{}: {}", error.field, error.message)),
        });
        None
    }
}

//! The shipped topic rules (config/crossfeed.yaml) against a labelled set of mixed Chinese and
//! English headlines, false friends included: precision and recall per topic must be at least
//! 0.97. Run with `--nocapture` to see the figures.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crossfeed::classify::SourceCtx;
use crossfeed::config::Config;
use crossfeed::domain::Item;
use crossfeed::rules::Rules;

const TARGET: f64 = 0.97;

fn headline(title: &str) -> Item {
    Item {
        id: title.into(),
        guid: None,
        title: Some(title.into()),
        link: None,
        published: None,
        updated: None,
        authors: vec![],
        summary: None,
        content: None,
        categories: vec![],
        language: None,
        enclosures: vec![],
        image: None,
    }
}

#[derive(Default)]
struct Score {
    tp: usize,
    fp: usize,
    fn_: usize,
}

impl Score {
    fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }

    fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

#[test]
fn the_shipped_topics_reach_the_precision_and_recall_target() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config::load(&root.join("config/crossfeed.yaml")).unwrap();
    let rules = Rules::new(&config).unwrap();
    let slugs: BTreeSet<String> = config.topics.iter().map(|t| t.slug.to_string()).collect();
    let text = std::fs::read_to_string(root.join("tests/fixtures/labelled_headlines.tsv")).unwrap();

    let mut scores: BTreeMap<String, Score> = BTreeMap::new();
    let mut mistakes = Vec::new();
    let mut rows = 0;
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let (labels, title) = line
            .split_once('\t')
            .unwrap_or_else(|| panic!("no tab in {line:?}"));
        let expected: BTreeSet<String> = labels
            .split(',')
            .map(str::trim)
            .filter(|l| *l != "-")
            .map(String::from)
            .collect();
        for l in &expected {
            assert!(slugs.contains(l), "unknown topic {l:?} in {line:?}");
        }
        let got: BTreeSet<String> = rules
            .classifier
            .classify(&headline(title), SourceCtx::default())
            .into_iter()
            .map(|m| m.slug)
            .collect();
        rows += 1;
        for slug in &slugs {
            let score = scores.entry(slug.clone()).or_default();
            match (expected.contains(slug), got.contains(slug)) {
                (true, true) => score.tp += 1,
                (false, true) => score.fp += 1,
                (true, false) => score.fn_ += 1,
                (false, false) => {}
            }
        }
        if expected != got {
            mistakes.push(format!("{title}: expected {expected:?}, got {got:?}"));
        }
    }
    assert!(rows >= 300, "the labelled set has only {rows} headlines");

    let mut failing = Vec::new();
    for (slug, s) in &scores {
        println!(
            "{slug:<12} precision {:.3} recall {:.3} (tp {}, fp {}, fn {})",
            s.precision(),
            s.recall(),
            s.tp,
            s.fp,
            s.fn_
        );
        assert!(
            s.tp > 0,
            "{slug} has no positive example in the labelled set"
        );
        if s.precision() < TARGET || s.recall() < TARGET {
            failing.push(slug.clone());
        }
    }
    println!(
        "{} headlines, {} classified differently from their labels",
        rows,
        mistakes.len()
    );
    for m in &mistakes {
        println!("  {m}");
    }
    assert!(
        failing.is_empty(),
        "below {TARGET} for {failing:?}:\n{}",
        mistakes.join("\n")
    );
}

//! Tags: an item's upstream categories, its source's tags and a few keywords extracted from
//! its text, folded to one key each (case, width and optionally Traditional→Simplified), with
//! synonyms mapped to one canonical tag (亚马逊 → Amazon) and junk dropped (numbers, single
//! characters, stop words, "未分类").

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use jieba_rs::{Jieba, KeywordExtract, TfIdf};

use crate::config::TagsConfig;
use crate::domain::{Item, Tag, TagKind};
use crate::fold::Folder;
use crate::text::{is_cjk, text_of_sanitized};

/// Characters of text keyword extraction reads (the start of an article says what it is about).
const EXTRACT_CHARS: usize = 1500;

/// Longest tag kept, in characters; longer "categories" are sentences.
const MAX_TAG_CHARS: usize = 32;

/// Parts of speech jieba's extractor may return: nouns, names, places, organisations, other
/// proper nouns and Latin words (verbal nouns such as 调整 or 发布 make poor tags).
const KEYWORD_POS: [&str; 6] = ["n", "nr", "ns", "nt", "nz", "eng"];

/// Tags nobody wants, in any feed (already folded).
const BUILTIN_STOP: &[&str] = &[
    "未分类",
    "默认分类",
    "其他",
    "其它",
    "新闻",
    "资讯",
    "文章",
    "头条",
    "快讯",
    "热点",
    "推荐",
    "今日",
    "最新",
    "首页",
    "综合",
    "原创",
    "转载",
    "公司",
    "企业",
    "市场",
    "行业",
    "发展",
    "问题",
    "时间",
    "调整",
    "发布",
    "宣布",
    "推出",
    "上线",
    "增长",
    "下降",
    "同比",
    "环比",
    "记者",
    "报道",
    "消息",
    "目前",
    "近日",
    "今年",
    "去年",
    "本周",
    "全球",
    "国家",
    "地区",
    "工作",
    "情况",
    "方面",
    "进行",
    "通过",
    "表示",
    "数据",
    "平台",
    "产品",
    "用户",
    "消费者",
    "uncategorized",
    "uncategorised",
    "general",
    "news",
    "blog",
    "misc",
    "other",
    "others",
    "default",
    "featured",
    "home",
    "article",
    "articles",
    "post",
    "posts",
    "top",
    "latest",
    "the",
    "and",
    "for",
    "with",
    "from",
    "this",
    "that",
    "these",
    "those",
    "are",
    "was",
    "were",
    "will",
    "has",
    "have",
    "had",
    "its",
    "it's",
    "our",
    "your",
    "their",
    "they",
    "you",
    "not",
    "but",
    "can",
    "more",
    "new",
    "how",
    "what",
    "why",
    "when",
    "who",
    "which",
    "all",
    "also",
    "than",
    "into",
    "over",
    "after",
    "about",
    "just",
    "now",
    "said",
    "says",
    "say",
    "per",
    "via",
    "one",
    "two",
    "three",
    "first",
    "last",
    "next",
    "may",
    "would",
    "could",
    "should",
    "according",
    "while",
    "most",
    "some",
    "many",
    "such",
    "been",
    "being",
    "there",
    "here",
    "out",
    "off",
    "only",
    "other",
    "each",
    "both",
    "between",
    "under",
    "a",
    "an",
    "of",
    "to",
    "in",
    "on",
    "at",
    "by",
    "as",
    "is",
    "be",
    "or",
    "if",
    "so",
    "up",
    "mr",
    "ms",
    "inc",
    "ltd",
    "co",
];

/// Assigns tags to items.
#[derive(Debug, Clone)]
pub struct Tagger {
    folder: Folder,
    max: usize,
    extract: usize,
    /// Folded spelling → canonical label.
    synonyms: HashMap<String, String>,
    stop: HashSet<String>,
}

impl Tagger {
    pub fn new(config: &TagsConfig, folder: Folder) -> Self {
        let mut synonyms = HashMap::new();
        for (canonical, others) in &config.synonyms {
            let label = nfkc_trim(canonical);
            for spelling in std::iter::once(canonical).chain(others) {
                synonyms.insert(key_of(folder, spelling), label.clone());
            }
        }
        let stop = BUILTIN_STOP
            .iter()
            .map(|s| (*s).to_owned())
            .chain(config.stop_words.iter().map(|s| key_of(folder, s)))
            .collect();
        Self {
            folder,
            max: config.max_per_item,
            extract: config.extract,
            synonyms,
            stop,
        }
    }

    /// The key a tag written as `raw` (in a URL, a category) is stored under, or None for junk.
    pub fn key(&self, raw: &str) -> Option<String> {
        self.tag(raw, TagKind::Category).map(|t| t.key)
    }

    fn tag(&self, raw: &str, kind: TagKind) -> Option<Tag> {
        let key = key_of(self.folder, raw);
        let (key, label) = match self.synonyms.get(&key) {
            Some(label) => (key_of(self.folder, label), label.clone()),
            None => (key, nfkc_trim(raw)),
        };
        (!self.is_junk(&key)).then_some(Tag { key, label, kind })
    }

    fn is_junk(&self, key: &str) -> bool {
        let chars = key.chars().count();
        !(2..=MAX_TAG_CHARS).contains(&chars)
            || !key.chars().any(char::is_alphabetic)
            || self.stop.contains(key)
    }

    /// The tags of `item`, whose source carries `source_tags`: categories first, then source
    /// tags, then extracted keywords, without repeats, at most `tags.max_per_item`.
    pub fn tags(&self, item: &Item, source_tags: &[String]) -> Vec<Tag> {
        self.with_keywords(item, self.base(item, source_tags))
    }

    /// The tags that need no segmenter: categories and source tags. Ingest stores these at
    /// once; [`Tagger::with_keywords`] adds the extracted ones later.
    pub fn base(&self, item: &Item, source_tags: &[String]) -> Vec<Tag> {
        let mut out: Vec<Tag> = Vec::new();
        for category in &item.categories {
            for part in category.split([',', '，', '、', ';', '；']) {
                self.push(self.tag(part, TagKind::Category), &mut out);
            }
        }
        for t in source_tags {
            self.push(self.tag(t, TagKind::Source), &mut out);
        }
        out
    }

    /// `base` (an item's category and source tags) with the extracted keywords added, up to
    /// the cap.
    pub fn with_keywords(&self, item: &Item, base: Vec<Tag>) -> Vec<Tag> {
        let mut out: Vec<Tag> = base
            .into_iter()
            .filter(|t| t.kind != TagKind::Keyword)
            .collect();
        if self.extract > 0 && out.len() < self.max {
            for word in self.extract_keywords(item) {
                self.push(self.tag(&word, TagKind::Keyword), &mut out);
            }
        }
        out
    }

    fn push(&self, tag: Option<Tag>, out: &mut Vec<Tag>) {
        if let Some(t) = tag
            && out.len() < self.max
            && !out.iter().any(|o| o.key == t.key)
        {
            out.push(t);
        }
    }

    /// Up to `tags.extract` keywords from the title and the start of the text.
    fn extract_keywords(&self, item: &Item) -> Vec<String> {
        let body = item
            .summary
            .as_deref()
            .or(item.content.as_deref())
            .map(text_of_sanitized)
            .unwrap_or_default();
        let body: String = body.chars().take(EXTRACT_CHARS).collect();
        let title = item.title.as_deref().unwrap_or("");
        let cjk = title.chars().chain(body.chars()).any(is_cjk);
        let words = if cjk {
            chinese_keywords(title, &body, self.extract * 3)
        } else {
            english_phrases(title, &body)
        };
        words
            .into_iter()
            .filter(|w| self.tag(w, TagKind::Keyword).is_some())
            .take(self.extract)
            .collect()
    }
}

/// Load jieba's dictionary on another thread now, so that the first item to tag does not wait
/// for it (about 0.15 s); call when the tagger will be needed soon.
pub fn warm_up() {
    if JIEBA.get().is_none() {
        std::thread::spawn(|| {
            let _ = jieba();
        });
    }
}

static JIEBA: OnceLock<(Jieba, TfIdf)> = OnceLock::new();

/// jieba, built once per process (loading its dictionary takes a while).
pub(crate) fn jieba() -> &'static (Jieba, TfIdf) {
    JIEBA.get_or_init(|| (Jieba::new(), TfIdf::default()))
}

/// jieba's TF-IDF keywords of the title (counted twice: it says what the item is about) and
/// the text.
fn chinese_keywords(title: &str, body: &str, top: usize) -> Vec<String> {
    let (jieba, tfidf) = jieba();
    let text = format!("{title}。{title}。{body}");
    let pos = KEYWORD_POS.iter().map(|p| (*p).to_owned()).collect();
    tfidf
        .extract_keywords(jieba, &text, top, pos)
        .into_iter()
        .map(|k| k.keyword)
        .collect()
}

/// English keywords by a simple rule: runs of capitalised words (at most three, not starting
/// or ending with a stop word) that occur at least twice in the title and text, most frequent
/// first. "Prime Day", "TikTok Shop", "Shopee".
fn english_phrases(title: &str, body: &str) -> Vec<String> {
    let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
    let mut order = 0;
    for text in [title, body] {
        for sentence in text.split(['.', '!', '?', ';', ':', '\n', '"', '(', ')', '|']) {
            let mut run: Vec<&str> = Vec::new();
            let words = sentence
                .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-' || c == '&'))
                .map(|w| w.trim_matches(['\'', '-']))
                .filter(|w| !w.is_empty());
            for word in words.chain(std::iter::once("")) {
                let capitalised = word.chars().next().is_some_and(char::is_uppercase)
                    && !BUILTIN_STOP.contains(&word.to_lowercase().as_str());
                if capitalised && run.len() < 3 {
                    run.push(word);
                    continue;
                }
                if !run.is_empty() {
                    let e = counts.entry(run.join(" ")).or_insert((0, order));
                    e.0 += 1;
                    order += 1;
                    run.clear();
                }
                if capitalised {
                    run.push(word);
                }
            }
        }
    }
    let mut phrases: Vec<(String, (usize, usize))> =
        counts.into_iter().filter(|(_, (n, _))| *n >= 2).collect();
    phrases.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.1.1.cmp(&b.1.1)));
    phrases.into_iter().map(|(p, _)| p).collect()
}

/// NFKC, trimmed, inner whitespace folded to one space: how a tag is shown.
fn nfkc_trim(raw: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let s: String = raw.trim().nfkc().collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The identity of a tag: shown form, folded.
fn key_of(folder: Folder, raw: &str) -> String {
    folder.fold(&nfkc_trim(raw))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tagger(config: TagsConfig) -> Tagger {
        Tagger::new(&config, Folder { t2s: true })
    }

    fn item(title: &str, summary: Option<&str>, categories: &[&str]) -> Item {
        Item {
            id: "x".into(),
            guid: None,
            title: Some(title.into()),
            link: None,
            published: None,
            updated: None,
            authors: vec![],
            summary: summary.map(String::from),
            content: None,
            categories: categories.iter().map(|s| s.to_string()).collect(),
            language: None,
            enclosures: vec![],
            image: None,
        }
    }

    fn keys(tags: &[Tag]) -> Vec<&str> {
        tags.iter().map(|t| t.key.as_str()).collect()
    }

    #[test]
    fn categories_are_folded_split_and_cleaned_of_junk() {
        let t = tagger(TagsConfig {
            extract: 0,
            ..TagsConfig::default()
        });
        let tags = t.tags(
            &item(
                "x",
                None,
                &[
                    "  Cross-Border ",
                    "ＦＢＡ",
                    "2024",
                    "A",
                    "未分类",
                    "物流,清关",
                ],
            ),
            &[],
        );
        assert_eq!(keys(&tags), vec!["cross-border", "fba", "物流", "清关"]);
        assert_eq!(tags[0].label, "Cross-Border");
        assert_eq!(tags[1].label, "FBA");
    }

    #[test]
    fn synonyms_fold_into_one_canonical_tag_and_repeats_go() {
        let t = tagger(TagsConfig {
            extract: 0,
            synonyms: vec![("Amazon".into(), vec!["亚马逊".into(), "amazon.com".into()])],
            ..TagsConfig::default()
        });
        let tags = t.tags(
            &item("x", None, &["亞馬遜", "Amazon.com", "AMAZON"]),
            &["卖家".into()],
        );
        assert_eq!(keys(&tags), vec!["amazon", "卖家"]);
        assert_eq!(tags[0].label, "Amazon");
        assert_eq!(tags[0].kind, TagKind::Category);
        assert_eq!(tags[1].kind, TagKind::Source);
        assert_eq!(t.key("亚马逊").as_deref(), Some("amazon"));
        assert_eq!(t.key("1"), None);
    }

    #[test]
    fn chinese_keywords_come_from_jieba_and_respect_the_cap() {
        let t = tagger(TagsConfig {
            max_per_item: 4,
            extract: 3,
            ..TagsConfig::default()
        });
        let i = item(
            "跨境电商卖家布局东南亚市场，物流成本成关键",
            Some(
                "<p>越来越多的跨境电商卖家开始布局东南亚市场。物流成本和海外仓选址成为卖家最关心的问题，东南亚物流网络仍在完善。</p>",
            ),
            &["出海"],
        );
        let tags = t.tags(&i, &[]);
        assert!(tags.len() <= 4, "{tags:?}");
        assert_eq!(tags[0].key, "出海");
        let extracted: Vec<&str> = tags
            .iter()
            .filter(|t| t.kind == TagKind::Keyword)
            .map(|t| t.key.as_str())
            .collect();
        assert!(!extracted.is_empty(), "{tags:?}");
        assert!(
            extracted
                .iter()
                .any(|k| ["物流", "东南亚", "卖家", "跨境"].contains(k)),
            "{extracted:?}"
        );
    }

    #[test]
    fn english_keywords_are_repeated_capitalised_phrases() {
        let phrases = english_phrases(
            "Prime Day sales beat forecasts",
            "Sellers said Prime Day traffic was strong. The FBA fee changes before Prime Day \
             worried some. FBA capacity limits return in March.",
        );
        assert_eq!(phrases[0], "Prime Day");
        assert!(phrases.contains(&"FBA".to_owned()), "{phrases:?}");
        assert!(
            !phrases.iter().any(|p| p == "The" || p == "Sellers"),
            "{phrases:?}"
        );
    }
}

//! The article on an item's page, for sources with `full_content`: Readability-style
//! extraction (dom_smoothie, a maintained port of Mozilla's Readability) for `auto`, or the
//! first element a CSS selector matches. What comes out is the article's HTML, still to be
//! sanitized like any content; the page's navigation, sidebars, 推荐阅读 boxes and footer are
//! not part of it.

use scraper::{Html, HtmlTreeSink, Selector};
use url::Url;

use super::{ParseError, budget};
use crate::domain::page::FullContent;

/// Below this many characters of text an extraction found no article (a login wall, an error
/// page, a page of links).
pub const MIN_TEXT_CHARS: usize = 40;

/// Elements Readability scores at most; a page with more is cut there. Real article pages have
/// a few thousand.
const MAX_ELEMENTS: usize = 50_000;

/// The bytes of an article page as text, or why they are not an article: only an HTML or XHTML
/// page is one (a missing Content-Type is judged by the bytes), and bytes that are not text —
/// a NUL anywhere, control bytes or undecodable sequences in more than a hundredth of the
/// opening — are an error whatever the Content-Type says, so that a picture or a PDF served at
/// an article's link never becomes its content. `charset` is the Content-Type's parameter
/// (`Fetched::charset`).
pub fn page_text(
    bytes: &[u8],
    content_type: Option<&str>,
    charset: Option<&str>,
) -> Result<String, ParseError> {
    if let Some(raw) = content_type {
        let essence = raw
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if !matches!(essence.as_str(), "text/html" | "application/xhtml+xml" | "") {
            let shown: String = essence.chars().take(60).collect();
            return Err(ParseError::Article(format!(
                "the link answers with {shown}, not an HTML page"
            )));
        }
    }
    if bytes.contains(&0) {
        return Err(ParseError::Article(
            "the link answers with binary data (NUL bytes), not an HTML page".into(),
        ));
    }
    let head = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    let controls = head
        .iter()
        .filter(|b| matches!(b, 0x01..=0x08 | 0x0e..=0x1a | 0x1c..=0x1f))
        .count();
    let decoded = super::charset::to_utf8(bytes, charset).text;
    let (chars, replaced) = decoded
        .chars()
        .take(BINARY_SNIFF_BYTES)
        .fold((0usize, 0usize), |(n, bad), c| {
            (n + 1, bad + usize::from(c == '\u{fffd}'))
        });
    if controls * 100 > head.len().max(1) || replaced * 100 > chars.max(1) {
        return Err(ParseError::Article(
            "the link answers with data that does not decode as text, not an HTML page".into(),
        ));
    }
    Ok(decoded)
}

/// When the article page says it was published: `article:published_time` and its kin in
/// `<meta>`, JSON-LD `datePublished`, the first `<time datetime>`, then a labelled date in the
/// text (发布时间：…, 发布日期：…, 时间：…), read in `tz` when it carries no zone. None rather
/// than a guess.
pub fn published(
    html: &str,
    tz: chrono_tz::Tz,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<chrono::DateTime<chrono::Utc>> {
    use super::dates::page_date;
    let doc = budget::document(
        HtmlTreeSink::new(Html::new_document()),
        html,
        html5ever::ParseOpts::default(),
    )
    .ok()?;
    let first_attr = |css: &str, attr: &str| {
        Selector::parse(css).ok().and_then(|s| {
            doc.select(&s)
                .find_map(|e| e.value().attr(attr).map(str::to_owned))
        })
    };
    let meta = first_attr(
        "meta[property='article:published_time'], meta[property='og:published_time'], \
         meta[itemprop='datePublished'], meta[name='pubdate'], meta[name='publishdate'], \
         meta[name='PubDate'], meta[name='publish_date'], meta[name='article:published_time']",
        "content",
    )
    .or_else(|| first_attr("[itemprop='datePublished'][datetime]", "datetime"));
    let json_ld = || {
        let s = Selector::parse("script[type='application/ld+json']").ok()?;
        doc.select(&s).find_map(|e| {
            let text: String = e.text().collect();
            let at = text.find("\"datePublished\"")?;
            let rest = &text[at + "\"datePublished\"".len()..];
            let rest = rest
                .trim_start()
                .strip_prefix(':')?
                .trim_start()
                .strip_prefix('"')?;
            Some(rest[..rest.find('"')?].to_owned())
        })
    };
    let time = || first_attr("time[datetime]", "datetime");
    for found in [meta, json_ld(), time()].into_iter().flatten() {
        if let Some(d) = page_date(&found, tz, now) {
            return Some(d);
        }
    }
    // A labelled date among the page's short texts.
    let body = Selector::parse("body").ok()?;
    let body = doc.select(&body).next()?;
    body.text()
        .map(str::trim)
        .filter(|t| t.chars().count() <= 80)
        .filter(|t| {
            [
                "发布时间",
                "发布日期",
                "发表时间",
                "发表于",
                "时间：",
                "日期：",
                "Published",
            ]
            .iter()
            .any(|l| t.contains(l))
        })
        .find_map(|t| page_date(t, tz, now))
}

/// An article page whose parse was cut is no article.
fn cut(cut: budget::Cut) -> ParseError {
    ParseError::Article(format!("the article page cannot be read: {cut}"))
}

/// How much of a body is looked at for control bytes and undecodable sequences.
const BINARY_SNIFF_BYTES: usize = 64 * 1024;

/// Extract the article from `html`, fetched from `url`.
pub fn extract(html: &str, url: &Url, how: &FullContent) -> Result<String, ParseError> {
    let (body, text_chars) = match how {
        FullContent::Auto => readability(html, url)?,
        FullContent::Selector(css) => by_selector(html, css)?,
    };
    if text_chars < MIN_TEXT_CHARS {
        return Err(ParseError::Article(format!(
            "no article found on the page ({text_chars} characters of text)"
        )));
    }
    Ok(body)
}

fn readability(html: &str, url: &Url) -> Result<(String, usize), ParseError> {
    let config = dom_smoothie::Config {
        max_elements_to_parse: MAX_ELEMENTS,
        ..dom_smoothie::Config::default()
    };
    // dom_query's own reading of a page, through the budget.
    let opts = html5ever::ParseOpts {
        tree_builder: html5ever::tree_builder::TreeBuilderOpts {
            scripting_enabled: false,
            ..Default::default()
        },
        ..Default::default()
    };
    let doc = budget::document(dom_query::Document::default(), html, opts).map_err(cut)?;
    let mut reader =
        dom_smoothie::Readability::with_document(doc, Some(url.as_str()), Some(config))
            .map_err(|e| ParseError::Article(format!("cannot read the page: {e}")))?;
    let article = reader
        .parse()
        .map_err(|e| ParseError::Article(format!("no article found on the page: {e}")))?;
    let chars = article
        .text_content
        .chars()
        .filter(|c| !c.is_whitespace())
        .count();
    Ok((article.content.to_string(), chars))
}

fn by_selector(html: &str, css: &str) -> Result<(String, usize), ParseError> {
    let selector = Selector::parse(css)
        .map_err(|e| ParseError::Article(format!("the full_content selector is not CSS: {e}")))?;
    let doc = budget::document(
        HtmlTreeSink::new(Html::new_document()),
        html,
        html5ever::ParseOpts::default(),
    )
    .map_err(cut)?;
    let body = doc.select(&selector).next().ok_or_else(|| {
        ParseError::Article("the full_content selector matched nothing on the article page".into())
    })?;
    let chars = body
        .text()
        .flat_map(str::chars)
        .filter(|c| !c.is_whitespace())
        .count();
    Ok((body.inner_html(), chars))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_page_says_when_it_was_published() {
        let tz = chrono_tz::Tz::Asia__Shanghai;
        let now = chrono::Utc::now();
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        let meta = r#"<html><head><meta property="article:published_time" content="2026-11-26T11:40:00+08:00"></head><body><p>x</p></body></html>"#;
        assert_eq!(
            published(meta, tz, now),
            Some(at("2026-11-26T11:40:00+08:00"))
        );
        let ld = r#"<html><head><script type="application/ld+json">{"@type":"NewsArticle","datePublished": "2026-11-25T09:00:00Z"}</script></head><body></body></html>"#;
        assert_eq!(published(ld, tz, now), Some(at("2026-11-25T09:00:00Z")));
        let time = r#"<html><body><article><time datetime="2026-11-24T08:00:00+08:00">11月24日</time></article></body></html>"#;
        assert_eq!(
            published(time, tz, now),
            Some(at("2026-11-24T08:00:00+08:00"))
        );
        let text = "<html><body><div class=\"info\"><span>来源：雨果网</span><span>发布时间：2026-11-23 16:05</span></div><p>正文</p></body></html>";
        assert_eq!(
            published(text, tz, now),
            Some(at("2026-11-23T16:05:00+08:00"))
        );
        assert_eq!(
            published(
                "<html><body><p>2026-11-23 一段没有标签的文字</p></body></html>",
                tz,
                now
            ),
            None
        );
    }

    #[test]
    fn only_html_that_decodes_as_text_is_an_article_page() {
        let png = include_bytes!("../../../../tests/fixtures/thumb.png");
        let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Length 9/Filter/FlateDecode>>stream\n\x78\x9c\x03\x00\x00\x00\x00\x01\nendstream";
        let mut noise: Vec<u8> = (0..4096u32)
            .map(|n| (n.wrapping_mul(2_654_435_761) >> 24) as u8)
            .collect();
        noise.retain(|b| *b != 0);
        for (bytes, content_type) in [
            (&png[..], Some("text/html; charset=utf-8")),
            (&png[..], None),
            (&pdf[..], Some("text/html")),
            (&noise[..], Some("text/html")),
            (&noise[..], None),
            (PAGE.as_bytes(), Some("image/png")),
            (PAGE.as_bytes(), Some("application/pdf")),
        ] {
            let error = page_text(bytes, content_type, None)
                .unwrap_err()
                .to_string();
            assert!(
                error.contains("not an HTML page"),
                "{content_type:?}: {error}"
            );
        }
        assert!(
            page_text(
                PAGE.as_bytes(),
                Some("text/html; charset=utf-8"),
                Some("utf-8")
            )
            .is_ok()
        );
        assert!(page_text(PAGE.as_bytes(), Some("application/xhtml+xml"), None).is_ok());
        assert!(page_text(PAGE.as_bytes(), None, None).is_ok());
        let gbk_page = PAGE.replace("utf-8", "gbk");
        let (gbk, _, _) = encoding_rs::GBK.encode(&gbk_page);
        assert!(
            page_text(&gbk, Some("text/html"), None)
                .unwrap()
                .contains("海外仓发货")
        );
    }

    const PAGE: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>TikTok Shop 美区上线海外仓发货标签 - 跨境眼</title></head>
<body>
<div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/news/">资讯</a></li><li><a href="/topic/amazon/">亚马逊</a></li></ul></div>
<div class="wrap">
<div class="article">
  <h1>TikTok Shop 美区上线“海外仓发货”标签</h1>
  <div class="info">来源：跨境眼 2026-12-04 11:20 <span class="share">分享到：微信 微博</span></div>
  <div class="article-content">
    <p>12月4日消息，TikTok Shop 美区向卖家开放“海外仓发货”商品标签。带有该标签的商品将在搜索结果和商品详情页展示预计送达时间，平台表示这将帮助买家更快找到本地发货的商品。</p>
    <p><img src="/static/grey.gif" data-src="/uploads/2026/12/3391-1.jpg" alt="标签示意"></p>
    <p>卖家需要在卖家中心完成海外仓认证，并保证订单在两个工作日内发出。平台会根据履约时效对店铺进行评分，时效较差的店铺可能失去标签。</p>
    <p>业内人士认为，这一变化将进一步推动卖家布局美国本土仓，第三方海外仓服务商的订单量有望在旺季前继续增长。</p>
  </div>
  <div class="copyright">声明：本文为跨境眼原创，转载请注明出处。</div>
</div>
<div class="side">
  <div class="box"><h4>推荐阅读</h4><ul><li><a href="/news/1.html">亚马逊欧洲站调整入仓配置费</a></li><li><a href="/news/2.html">Shopee 马来站开放直邮新线路</a></li></ul></div>
  <div class="box"><h4>热门阅读</h4><ul><li><a href="/news/3.html">黑五备货指南</a></li></ul></div>
</div>
</div>
<div class="footer">Copyright © 2026 跨境眼 版权所有</div>
</body></html>"#;

    fn url() -> Url {
        Url::parse("https://portal.example.cn/news/2026/1204/3391.html").unwrap()
    }

    #[test]
    fn auto_keeps_the_body_and_drops_the_boilerplate() {
        let body = extract(PAGE, &url(), &FullContent::Auto).unwrap();
        for kept in ["12月4日消息", "两个工作日内发出", "第三方海外仓服务商"] {
            assert!(body.contains(kept), "{kept} missing: {body}");
        }
        for dropped in ["推荐阅读", "热门阅读", "版权所有", "首页", "Shopee 马来站"]
        {
            assert!(!body.contains(dropped), "{dropped} kept: {body}");
        }
    }

    #[test]
    fn a_selector_takes_its_element() {
        let how = FullContent::Selector("div.article-content".into());
        let body = extract(PAGE, &url(), &how).unwrap();
        assert!(body.contains("12月4日消息"), "{body}");
        assert!(!body.contains("声明"), "{body}");
        let how = FullContent::Selector("div.no-such-thing".into());
        let e = extract(PAGE, &url(), &how).unwrap_err();
        assert!(e.to_string().contains("matched nothing"), "{e}");
    }

    #[test]
    fn a_page_without_an_article_is_an_error() {
        let page = "<html><body><ul><li><a href='/a'>登录</a></li></ul></body></html>";
        assert!(extract(page, &url(), &FullContent::Auto).is_err());
    }
}

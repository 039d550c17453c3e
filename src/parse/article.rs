//! The article on an item's page, for sources with `full_content`: Readability-style
//! extraction (dom_smoothie, a maintained port of Mozilla's Readability) for `auto`, or the
//! first element a CSS selector matches. What comes out is the article's HTML, still to be
//! sanitized like any content; the page's navigation, sidebars, 推荐阅读 boxes and footer are
//! not part of it.

use scraper::{Html, Selector};
use url::Url;

use super::ParseError;
use crate::domain::page::FullContent;

/// Below this many characters of text an extraction found no article (a login wall, an error
/// page, a page of links).
pub const MIN_TEXT_CHARS: usize = 40;

/// Elements Readability scores at most; a page with more is cut there. Real article pages have
/// a few thousand.
const MAX_ELEMENTS: usize = 50_000;

/// Extract the article from `html`, fetched from `url`.
pub fn extract(html: &str, url: &Url, how: &FullContent) -> Result<String, ParseError> {
    let capped = super::markup::cap_nesting(html, super::markup::MAX_NESTING);
    let html = capped.as_deref().unwrap_or(html);
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
    let mut reader = dom_smoothie::Readability::new(html, Some(url.as_str()), Some(config))
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
    let doc = Html::parse_document(html);
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

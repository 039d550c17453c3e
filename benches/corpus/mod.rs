//! The generated upstream feeds the benchmarks share: N feeds × 50 items, half RSS (every
//! tenth GBK-encoded), half Atom, with mixed Chinese and English e-commerce headlines.

#![allow(dead_code)]

pub const ITEMS: usize = 50;

pub const TITLES: &[&str] = &[
    "TikTok Shop美区大促：家居类目订单增长",
    "Amazon adjusts FBA fees for small standard items",
    "亚马逊发布旺季备货指南，入库时效延长",
    "Lazada launches cross-border seller incentives in Vietnam",
    "Shopee 巴西站物流补贴政策更新",
    "海运价格指数本周回落，美西航线舱位宽松",
    "Temu expands semi-managed model to European sellers",
    "跨境支付机构下调提现费率，卖家成本降低",
];

pub fn item_html(feed: usize, n: usize) -> String {
    format!(
        "<p>第{feed}号源的第{n}条资讯。跨境卖家关注平台政策、物流时效与广告成本的变化。</p>\
         <p>Sellers on marketplaces follow policy, logistics and advertising changes closely; this \
         paragraph pads the item to a realistic size for a news summary.</p>\
         <p><a href=\"/news/{feed}/{n}.html\">阅读全文</a> <img src=\"/img/{feed}-{n}.jpg\"></p>"
    )
}

pub fn rss(feed: usize, gbk: bool) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"{}\"?><rss version=\"2.0\"><channel><title>源 {feed}</title>\
         <link>https://feed{feed}.example.cn/</link><description>bench</description>",
        if gbk { "GBK" } else { "UTF-8" }
    );
    for n in 0..ITEMS {
        s.push_str(&format!(
            "<item><title>{} #{feed}-{n}</title><link>https://feed{feed}.example.cn/news/{n}.html</link>\
             <guid isPermaLink=\"false\">f{feed}-{n}</guid><pubDate>2026-11-{:02} {:02}:{:02}:00</pubDate>\
             <description><![CDATA[{}]]></description></item>",
            TITLES[(feed + n) % TITLES.len()],
            1 + n % 25,
            n % 24,
            n % 60,
            item_html(feed, n)
        ));
    }
    s.push_str("</channel></rss>");
    if gbk {
        encoding_rs::GBK.encode(&s).0.into_owned()
    } else {
        s.into_bytes()
    }
}

pub fn atom(feed: usize) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"http://www.w3.org/2005/Atom\">\
         <title>Feed {feed}</title><id>urn:feed:{feed}</id><updated>2026-11-25T00:00:00Z</updated>\
         <link href=\"https://feed{feed}.example.com/\"/><author><name>desk</name></author>"
    );
    for n in 0..ITEMS {
        s.push_str(&format!(
            "<entry><title>{} #{feed}-{n}</title><id>urn:feed:{feed}:{n}</id>\
             <link href=\"https://feed{feed}.example.com/a/{n}\"/>\
             <updated>2026-11-{:02}T{:02}:00:00Z</updated><content type=\"html\">{}</content></entry>",
            TITLES[(feed * 3 + n) % TITLES.len()],
            1 + n % 25,
            n % 24,
            html_escape::encode_text(&item_html(feed, n))
        ));
    }
    s.push_str("</feed>");
    s.into_bytes()
}

//! Every word the website shows, once per language. Chinese by default; English with
//! `?lang=en` or when the browser prefers English (Accept-Language).

/// The website's languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// `?lang=` wins; else the first of the browser's languages we have (by quality); else
    /// Chinese. Also says whether the choice was explicit (then links carry it along).
    pub fn choose(param: Option<&str>, accept_language: Option<&str>) -> (Lang, bool) {
        match param.map(str::trim) {
            Some(p) if p.eq_ignore_ascii_case("en") => return (Lang::En, true),
            Some(p) if p.eq_ignore_ascii_case("zh") => return (Lang::Zh, true),
            _ => {}
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',') {
            let mut pieces = part.split(';').map(str::trim);
            let tag = pieces.next().unwrap_or("").to_ascii_lowercase();
            let q = pieces
                .find_map(|p| p.strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let lang = if tag == "zh" || tag.starts_with("zh-") {
                Lang::Zh
            } else if tag == "en" || tag.starts_with("en-") {
                Lang::En
            } else {
                continue;
            };
            if q > 0.0 && best.is_none_or(|(b, _)| q > b) {
                best = Some((q, lang));
            }
        }
        (best.map_or(Lang::Zh, |(_, l)| l), false)
    }

    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// The website's words in one language.
#[derive(Debug)]
pub struct Texts {
    pub html_lang: &'static str,
    pub og_locale: &'static str,
    pub site_name: &'static str,
    pub site_tagline: &'static str,
    pub site_description: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub other_lang: &'static str,
    pub other_lang_code: &'static str,
    pub topics: &'static str,
    pub breadcrumbs: &'static str,
    pub home: &'static str,
    pub news: &'static str,
    pub latest: &'static str,
    pub featured: &'static str,
    pub hot: &'static str,
    pub trending: &'static str,
    /// The hot box's heading when no real views fill it: what it shows instead.
    pub top_stories: &'static str,
    /// The searches box's heading, and its label for suggestions, when they are not counts.
    pub suggested_searches: &'static str,
    /// A stand-in story told by one source: why it is there.
    pub new_story: &'static str,
    pub more: &'static str,
    pub nothing_yet: &'static str,
    pub views: &'static str,
    pub sources_reported: &'static str,
    pub newest: &'static str,
    pub older: &'static str,
    pub subscribe: &'static str,
    pub related: &'static str,
    pub recommended: &'static str,
    pub nothing_related: &'static str,
    pub no_text: &'static str,
    pub read_original: &'static str,
    pub also_reported_by: &'static str,
    pub tags: &'static str,
    pub tag: &'static str,
    pub sources: &'static str,
    pub source: &'static str,
    pub status: &'static str,
    pub last_fetch: &'static str,
    pub next_fetch: &'static str,
    pub items_count: &'static str,
    pub never: &'static str,
    pub disabled: &'static str,
    pub not_found: &'static str,
    pub back_home: &'static str,
    pub footer_feeds: &'static str,
    pub footer_note: &'static str,
    pub search_results: &'static str,
    pub no_results: &'static str,
    pub results_for: &'static str,
    pub results_more: &'static str,
    pub topic_items: &'static str,
    pub tagged: &'static str,
    pub all_items: &'static str,
    pub bad_query: &'static str,
}

pub static ZH: Texts = Texts {
    html_lang: "zh-CN",
    og_locale: "zh_CN",
    site_name: "crossfeed 跨境资讯",
    site_tagline: "跨境资讯",
    site_description: "跨境电商资讯聚合：TikTok、亚马逊、Shopee、Lazada 等平台的最新动态、热门阅读与专题订阅。",
    search: "搜索",
    search_placeholder: "搜索资讯，如 物流、TikTok Shop 美区",
    other_lang: "English",
    other_lang_code: "en",
    topics: "专题",
    breadcrumbs: "当前位置",
    home: "首页",
    news: "资讯",
    latest: "最新文章",
    featured: "精选专题",
    hot: "热门阅读",
    trending: "大家都在搜",
    top_stories: "近期要闻",
    suggested_searches: "推荐搜索",
    new_story: "新发布",
    more: "更多文章",
    nothing_yet: "暂无文章。",
    views: "浏览",
    sources_reported: "家来源报道",
    newest: "最新",
    older: "更早",
    subscribe: "订阅",
    related: "推荐阅读",
    recommended: "推荐",
    nothing_related: "暂无相关文章。",
    no_text: "该文章没有正文摘要，请阅读原文。",
    read_original: "阅读原文",
    also_reported_by: "其他来源",
    tags: "标签",
    tag: "标签",
    sources: "订阅源状态",
    source: "来源",
    status: "状态",
    last_fetch: "上次抓取",
    next_fetch: "下次抓取",
    items_count: "文章数",
    never: "从未",
    disabled: "已停用",
    not_found: "页面不存在",
    back_home: "返回首页",
    footer_feeds: "订阅",
    footer_note: "crossfeed 汇集公开资讯源，文章版权归原作者所有，请点击“阅读原文”访问出处。",
    search_results: "搜索结果",
    no_results: "没有找到相关文章，换个关键词试试。",
    results_for: "的搜索结果",
    results_more: "篇",
    topic_items: "专题文章",
    tagged: "标签",
    all_items: "全部资讯",
    bad_query: "请输入要搜索的关键词（不超过 100 个字）。",
};

pub static EN: Texts = Texts {
    html_lang: "en",
    og_locale: "en_US",
    site_name: "crossfeed cross-border news",
    site_tagline: "cross-border news",
    site_description: "Cross-border e-commerce news gathered from many sources: TikTok, Amazon, Shopee, Lazada and more, with hot reads and topic feeds.",
    search: "Search",
    search_placeholder: "Search news, e.g. logistics, TikTok Shop",
    other_lang: "中文",
    other_lang_code: "zh",
    topics: "Topics",
    breadcrumbs: "Breadcrumbs",
    home: "Home",
    news: "News",
    latest: "Latest articles",
    featured: "Featured topics",
    hot: "Hot reads",
    trending: "Popular searches",
    top_stories: "Top stories",
    suggested_searches: "Suggested searches",
    new_story: "New",
    more: "More articles",
    nothing_yet: "No articles yet.",
    views: " views",
    sources_reported: " sources",
    newest: "Newest",
    older: "Older",
    subscribe: "Subscribe",
    related: "Recommended reading",
    recommended: "Recommended",
    nothing_related: "Nothing related yet.",
    no_text: "This article has no summary here; read the original.",
    read_original: "Read the original",
    also_reported_by: "Also reported by",
    tags: "Tags",
    tag: "Tag",
    sources: "Source health",
    source: "Source",
    status: "Status",
    last_fetch: "Last fetch",
    next_fetch: "Next fetch",
    items_count: "Items",
    never: "never",
    disabled: "disabled",
    not_found: "Page not found",
    back_home: "Back to the front page",
    footer_feeds: "Subscribe",
    footer_note: "crossfeed gathers public news feeds; articles belong to their authors. Follow “Read the original” for the source.",
    search_results: "Search results",
    no_results: "Nothing found; try other words.",
    results_for: "results for",
    results_more: "",
    topic_items: "Topic articles",
    tagged: "Tagged",
    all_items: "All news",
    bad_query: "Type what to search for (at most 100 characters).",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parameter_wins_then_the_browser_then_chinese() {
        assert_eq!(Lang::choose(Some("en"), Some("zh-CN")), (Lang::En, true));
        assert_eq!(
            Lang::choose(None, Some("en-GB,en;q=0.9")),
            (Lang::En, false)
        );
        assert_eq!(
            Lang::choose(None, Some("fr-FR, zh-TW;q=0.8, en;q=0.5")),
            (Lang::Zh, false)
        );
        assert_eq!(Lang::choose(None, Some("de")), (Lang::Zh, false));
        assert_eq!(Lang::choose(Some("xx"), None), (Lang::Zh, false));
    }
}

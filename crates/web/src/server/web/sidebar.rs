//! The sidebar every page shows: hot reads (热门阅读) and popular searches (大家都在搜).
//!
//! A box never stands empty, and never passes off a stand-in as a count. Real views and
//! searches come first; the places they leave are filled with the stories most sources told
//! recently (then the newest), each marked with how many told it, and with suggested searches
//! (the operator's `site.suggested_searches`, then each topic's leading keyword) under a label
//! of their own. A box with no real entry is headed for what it shows. A click on a suggestion
//! is not counted as a search, so that suggestions never trend by themselves. The APIs
//! (`/api/hot`, `/api/search/trending`) give real counts only.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};

use crate::discovery::{self, Scored};
use crate::domain::{ItemId, StoredItem};
use crate::server::state::AppState;
use crate::store::items::{self, ItemQuery};
use crate::store::stats::Window;
use crate::store::{DbConn, StoreError};

use super::{Card, Ctx, Link};

/// Places in each box.
const HOT_PLACES: usize = 8;
const SEARCH_PLACES: usize = 8;
/// Newest stories read to choose the hot box's stand-ins from.
const STAND_IN_CANDIDATES: i64 = 60;

/// What marks a search as a suggestion followed, not one typed: `from=suggested`.
pub(super) const SUGGESTED: &str = "suggested";
const SUGGESTED_PARAM: &str = "&from=suggested";

/// The sidebar's hot reads and popular searches, real ones and stand-ins apart.
pub(super) struct Sidebar {
    hot: Vec<Scored>,
    told: Vec<StoredItem>,
    trending: Vec<discovery::Trend>,
    suggested: Vec<String>,
}

/// What a page shows in its sidebar.
pub(super) struct Aside {
    pub(super) hot_heading: &'static str,
    /// Real hot reads, then stand-ins (whose `note` says how many sources told them).
    pub(super) hot: Vec<Card>,
    pub(super) trending_heading: &'static str,
    pub(super) trending: Vec<Link>,
    /// Suggested searches, shown apart under their own label.
    pub(super) suggested: Vec<Link>,
}

/// Where a page reads trending searches: the process's cache, and its counts' flushes so far;
/// and the searches to suggest.
pub(super) struct Trends {
    cache: std::sync::Arc<crate::server::trends::TrendCache>,
    flushes: u64,
    /// The operator's suggestions (`site.suggested_searches`), then each topic's leading
    /// keyword.
    operator: Vec<String>,
    suggestions: Vec<String>,
}

impl Trends {
    pub(super) fn of(state: &AppState) -> Self {
        let config = state.config.get();
        Trends {
            cache: std::sync::Arc::clone(&state.trends),
            flushes: state.views.query_flushes(),
            operator: config.site.suggested_searches.clone(),
            suggestions: config
                .topics
                .iter()
                .filter_map(|t| t.keywords.first().cloned())
                .collect(),
        }
    }

    fn get(
        &self,
        c: &mut DbConn,
        window: Window,
        now: DateTime<Utc>,
    ) -> Result<Vec<discovery::Trend>, StoreError> {
        self.cache.get(window, 12, self.flushes, || {
            discovery::trending(c, window, 12, now)
        })
    }
}

/// The hot reads of the last day (of the week when the day has too few), and the searches
/// likewise; stand-ins for the places they leave.
pub(super) fn read(
    c: &mut DbConn,
    topic: Option<&str>,
    now: DateTime<Utc>,
    trends: &Trends,
) -> Result<Sidebar, StoreError> {
    let mut hot = discovery::hot(c, Window::Day, topic, HOT_PLACES, now)?;
    if hot.len() < HOT_PLACES {
        hot = discovery::hot(c, Window::Week, topic, HOT_PLACES, now)?;
    }
    let told = if hot.len() < HOT_PLACES {
        let newest = items::latest(
            c,
            &ItemQuery {
                topic: topic.map(str::to_owned),
                limit: STAND_IN_CANDIDATES,
                dedupe: true,
                ..ItemQuery::default()
            },
        )?;
        let taken: HashSet<ItemId> = hot
            .iter()
            .flat_map(|s| [Some(s.item.id), s.item.cluster_id])
            .flatten()
            .collect();
        discovery::told_most(newest, &taken, HOT_PLACES - hot.len(), now)
    } else {
        Vec::new()
    };
    let mut trending = trends.get(c, Window::Day, now)?;
    if trending.len() < 6 {
        trending = trends.get(c, Window::Week, now)?;
    }
    let shown: Vec<String> = trending.iter().map(|t| t.query.clone()).collect();
    let suggested = discovery::suggested_searches(
        &trends.operator,
        trends.suggestions.iter().map(String::as_str),
        &shown,
        SEARCH_PLACES.saturating_sub(trending.len()),
    );
    Ok(Sidebar {
        hot,
        told,
        trending,
        suggested,
    })
}

impl Ctx {
    pub(super) fn aside(&self, side: &mut Sidebar, titles: &HashMap<String, String>) -> Aside {
        let real_hot = !side.hot.is_empty();
        let mut hot = self.scored_cards(std::mem::take(&mut side.hot), titles);
        hot.extend(std::mem::take(&mut side.told).into_iter().map(|item| {
            let mut card = self.card(item, 0, titles);
            card.note = Some(if card.cluster_size > 1 {
                format!("{}{}", card.cluster_size, self.t.sources_reported)
            } else {
                self.t.new_story.to_owned()
            });
            card
        }));
        let search = |q: &str, suggested: bool| Link {
            href: self.href(&format!(
                "/search?q={}{}",
                url::form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>(),
                if suggested { SUGGESTED_PARAM } else { "" }
            )),
            title: q.to_owned(),
            current: false,
        };
        Aside {
            hot_heading: if real_hot {
                self.t.hot
            } else {
                self.t.top_stories
            },
            hot,
            trending_heading: if side.trending.is_empty() {
                self.t.suggested_searches
            } else {
                self.t.trending
            },
            trending: side
                .trending
                .iter()
                .map(|t| search(&t.query, false))
                .collect(),
            suggested: side.suggested.iter().map(|q| search(q, true)).collect(),
        }
    }
}

//! The sidebar every page shows: hot reads (热门阅读) and popular searches (大家都在搜).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::discovery;
use crate::discovery::Scored;
use crate::server::AppState;
use crate::store::stats::Window;
use crate::store::{DbConn, StoreError};

use super::{Card, Ctx, Link};

/// The sidebar's hot reads and popular searches.
pub(super) struct Sidebar {
    hot: Vec<Scored>,
    trending: Vec<discovery::Trend>,
}

/// Where a page reads trending searches: the process's cache, and its counts' flushes so far.
pub(super) struct Trends {
    cache: std::sync::Arc<crate::server::trends::TrendCache>,
    flushes: u64,
}

impl Trends {
    pub(super) fn of(state: &AppState) -> Self {
        Trends {
            cache: std::sync::Arc::clone(&state.trends),
            flushes: state.views.query_flushes(),
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
/// likewise.
pub(super) fn read(
    c: &mut DbConn,
    topic: Option<&str>,
    now: DateTime<Utc>,
    trends: &Trends,
) -> Result<Sidebar, StoreError> {
    let mut hot = discovery::hot(c, Window::Day, topic, 8, now)?;
    if hot.len() < 8 {
        hot = discovery::hot(c, Window::Week, topic, 8, now)?;
    }
    let mut trending = trends.get(c, Window::Day, now)?;
    if trending.len() < 6 {
        trending = trends.get(c, Window::Week, now)?;
    }
    Ok(Sidebar { hot, trending })
}

impl Ctx {
    pub(super) fn hot_cards(
        &self,
        side: &mut Sidebar,
        titles: &HashMap<String, String>,
    ) -> Vec<Card> {
        self.scored_cards(std::mem::take(&mut side.hot), titles)
    }

    pub(super) fn trending_links(&self, side: &Sidebar) -> Vec<Link> {
        side.trending
            .iter()
            .map(|t| Link {
                href: self.href(&format!(
                    "/search?q={}",
                    url::form_urlencoded::byte_serialize(t.query.as_bytes()).collect::<String>()
                )),
                title: t.query.clone(),
                current: false,
            })
            .collect()
    }
}

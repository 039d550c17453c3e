//! WebSub publishing: after a poll changes what a topic feed shows, tell the configured hub,
//! which then fetches the feed and pushes it to its subscribers. One POST per poll names every
//! changed feed (`hub.url` repeated, as PubSubHubbub 0.3 §7.1 allows).

use std::time::Duration;

use url::Url;

use crate::domain::Format;

/// Tells one hub about changed feeds.
#[derive(Debug, Clone)]
pub struct Publisher {
    client: reqwest::Client,
    hub: Url,
    public_url: Url,
}

impl Publisher {
    pub fn new(hub: Url, public_url: Url, user_agent: &str) -> reqwest::Result<Self> {
        let client = reqwest::Client::builder()
            .user_agent(user_agent)
            .timeout(Duration::from_secs(10))
            .build()?;
        Ok(Self {
            client,
            hub,
            public_url,
        })
    }

    /// The feeds to announce when items of `topics` changed: those topics' feeds and
    /// `/feeds/all`, in every format.
    pub fn feed_urls(&self, topics: &[String]) -> Vec<String> {
        let base = self.public_url.as_str().trim_end_matches('/');
        std::iter::once("all")
            .chain(topics.iter().map(String::as_str))
            .flat_map(|slug| {
                [Format::Rss, Format::Atom, Format::Json]
                    .into_iter()
                    .map(move |f| format!("{base}/feeds/{slug}.{}", f.extension()))
            })
            .collect()
    }

    /// POST `hub.mode=publish` for the feeds of `topics`. A hub answers 2xx when it accepted
    /// the notification.
    pub async fn publish(&self, topics: &[String]) -> Result<(), String> {
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("hub.mode", "publish");
            for url in self.feed_urls(topics) {
                form.append_pair("hub.url", &url);
            }
            form.finish()
        };
        let res = self
            .client
            .post(self.hub.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .send()
            .await
            .map_err(|e| format!("cannot reach the hub {}: {e}", self.hub))?;
        if res.status().is_success() {
            Ok(())
        } else {
            Err(format!("the hub {} answered {}", self.hub, res.status()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_changed_topics_and_all_are_announced_in_every_format() {
        let p = Publisher::new(
            Url::parse("http://127.0.0.1:9/hub").unwrap(),
            Url::parse("https://news.example.com/").unwrap(),
            "test",
        )
        .unwrap();
        let urls = p.feed_urls(&["tiktok".to_owned()]);
        assert_eq!(
            urls,
            vec![
                "https://news.example.com/feeds/all.rss",
                "https://news.example.com/feeds/all.atom",
                "https://news.example.com/feeds/all.json",
                "https://news.example.com/feeds/tiktok.rss",
                "https://news.example.com/feeds/tiktok.atom",
                "https://news.example.com/feeds/tiktok.json",
            ]
        );
    }
}

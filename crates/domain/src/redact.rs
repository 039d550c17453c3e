//! Secrets in source URLs stay secret. A source URL may carry credentials (`user:password@`) or a
//! secret in its query (`?api_key=…`); they are for fetching only. Everything crossfeed shows —
//! the API, the website, feeds, logs, error texts — shows the URL through [`redact`], and links
//! in items resolve against [`without_secrets`], so that a relative `#top` cannot carry them
//! into an item. A `file:` URL shows only its file name, never the server's paths.

use url::Url;

/// What a redacted part is replaced with.
pub const MASK: &str = "***";

/// Whether a query parameter named `name` carries a secret: `key`, `api_key`, `token`,
/// `secret`, `password`, `sig` and their spellings (`apiKey`, `access-token`, `X-Amz-Signature`).
pub fn is_secret_param(name: &str) -> bool {
    let folded: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    const EXACT: &[&str] = &["key", "sig", "auth", "pass", "pwd", "passwd", "session"];
    const ENDINGS: &[&str] = &[
        "apikey",
        "accesskey",
        "appkey",
        "authkey",
        "secretkey",
        "privatekey",
        "token",
        "secret",
        "password",
        "signature",
        "credential",
        "credentials",
        "sessionid",
    ];
    EXACT.contains(&folded.as_str()) || ENDINGS.iter().any(|e| folded.ends_with(e))
}

/// `url` as it may be shown: credentials and secret query values masked, a `file:` URL cut to
/// its file name. Text that is not a URL is shown as it is only when it holds no `@`.
pub fn redact(url: &str) -> String {
    let parsed = Url::parse(url).ok().filter(|u| !u.cannot_be_a_base());
    let Some(mut parsed) = parsed else {
        return if url.contains('@') {
            MASK.to_owned()
        } else {
            url.to_owned()
        };
    };
    if parsed.scheme() == "file" {
        let name = parsed
            .path_segments()
            .and_then(|mut s| s.next_back())
            .unwrap_or_default();
        return format!("file:…/{name}");
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        // The url crate cannot hold a masked user name without a password: mask both.
        let _ = parsed.set_username(MASK);
        let _ = parsed.set_password(Some(MASK));
    }
    mask_query(&mut parsed, Some(MASK));
    parsed.to_string()
}

/// `url` without credentials and without its secret query parameters: the base that links in
/// its items resolve against.
pub fn without_secrets(url: &Url) -> Url {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    mask_query(&mut clean, None);
    clean
}

/// `link` as the fetcher requests it: a link found on a page read through `source` (resolved
/// against [`without_secrets`]) gets back the source's credentials and secret query parameters
/// when it is on the source's own origin, so that a site behind a password pages on with it.
/// A link to any other origin is left as it is: secrets never travel to another host.
pub fn with_secrets_of(link: &Url, source: &Url) -> Url {
    if link.origin() != source.origin() {
        return link.clone();
    }
    let mut out = link.clone();
    if out.username().is_empty() && out.password().is_none() {
        let _ = out.set_username(source.username());
        let _ = out.set_password(source.password());
    }
    let secrets: Vec<(String, String)> = source
        .query_pairs()
        .filter(|(name, _)| is_secret_param(name))
        .filter(|(name, _)| !link.query_pairs().any(|(n, _)| n == *name))
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect();
    if !secrets.is_empty() {
        out.query_pairs_mut().extend_pairs(secrets);
    }
    out
}

/// Replace the value of every secret parameter with `mask`, or drop the parameter (`None`).
fn mask_query(url: &mut Url, mask: Option<&str>) {
    let Some(query) = url.query() else { return };
    if !url.query_pairs().any(|(name, _)| is_secret_param(&name)) {
        return;
    }
    let kept: Vec<String> = query
        .split('&')
        .filter_map(|pair| {
            let raw_name = pair.split('=').next().unwrap_or_default();
            let name = url::form_urlencoded::parse(raw_name.as_bytes())
                .next()
                .map(|(n, _)| n.into_owned())
                .unwrap_or_default();
            if !is_secret_param(&name) {
                return Some(pair.to_owned());
            }
            mask.map(|m| format!("{raw_name}={m}"))
        })
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.set_query(Some(&kept.join("&")));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_secret_parameters_are_masked() {
        assert_eq!(
            redact("https://alice:s3cret@feeds.example.com/rss?api_key=abc123&lang=zh#top"),
            "https://***:***@feeds.example.com/rss?api_key=***&lang=zh#top"
        );
        assert_eq!(
            redact("https://token@feeds.example.com/rss"),
            "https://***:***@feeds.example.com/rss"
        );
        assert_eq!(
            redact("https://e.com/f?X-Amz-Signature=ff&accessToken=t&page=2&sig=9"),
            "https://e.com/f?X-Amz-Signature=***&accessToken=***&page=2&sig=***"
        );
    }

    #[test]
    fn a_url_without_secrets_is_shown_as_it_is() {
        for url in [
            "https://news.example.cn/rss?category=tiktok&page=2",
            "http://127.0.0.1:8080/feed.xml",
            "https://e.com/keyboards?monkey=1",
        ] {
            let shown = redact(url);
            assert_eq!(Url::parse(&shown).unwrap(), Url::parse(url).unwrap());
        }
    }

    #[test]
    fn a_file_url_shows_only_its_name() {
        assert_eq!(
            redact("file:///srv/crossfeed/config/samples/kuajing.rss"),
            "file:…/kuajing.rss"
        );
    }

    #[test]
    fn text_that_is_not_a_url_is_masked_when_it_could_hold_credentials() {
        assert_eq!(redact("not a url"), "not a url");
        assert_eq!(redact("alice:pw@host/feed"), MASK);
    }

    #[test]
    fn the_base_for_links_loses_credentials_and_secret_parameters() {
        let url = Url::parse("https://u:p@e.com/a/b?token=t&id=7").unwrap();
        assert_eq!(
            without_secrets(&url).join("#top").unwrap().as_str(),
            "https://e.com/a/b?id=7#top"
        );
        let url = Url::parse("https://e.com/a/b?key=k").unwrap();
        assert_eq!(without_secrets(&url).as_str(), "https://e.com/a/b");
    }

    #[test]
    fn a_link_on_the_source_origin_is_fetched_with_its_secrets() {
        let source = Url::parse("https://u:p@e.com/list.html?api_key=k&lang=zh").unwrap();
        let next = without_secrets(&source).join("list_2.html?page=2").unwrap();
        assert_eq!(next.as_str(), "https://e.com/list_2.html?page=2");
        assert_eq!(
            with_secrets_of(&next, &source).as_str(),
            "https://u:p@e.com/list_2.html?page=2&api_key=k"
        );
        let elsewhere = Url::parse("https://other.example/list_2.html").unwrap();
        assert_eq!(with_secrets_of(&elsewhere, &source), elsewhere);
        let plain = Url::parse("https://e.com/list.html").unwrap();
        assert_eq!(with_secrets_of(&next, &plain), next);
    }

    #[test]
    fn secret_parameter_names_are_recognised_in_their_spellings() {
        for name in [
            "key",
            "api_key",
            "apiKey",
            "API-KEY",
            "token",
            "access_token",
            "secret",
            "client_secret",
            "password",
            "sig",
            "signature",
            "X-Amz-Credential",
            "auth",
        ] {
            assert!(is_secret_param(name), "{name}");
        }
        for name in ["page", "lang", "category", "id", "q", "monkey", "format"] {
            assert!(!is_secret_param(name), "{name}");
        }
    }
}

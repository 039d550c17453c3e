//! Why a document is not a feed, in words that quote nothing of it but element and field names:
//! the text lands in a source's `last_error`, which `/api/sources` and `/sources` show to
//! anyone, and an upstream must not be able to publish through it.

/// What was wrong with a document that did not parse.
pub(super) fn describe(text: &str, error: &feed_rs::parser::ParseFeedError) -> String {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match error {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => not_a_feed(text),
        ParseFeedError::ParseError(kind) => {
            let at = match kind {
                ParseErrorKind::UnknownMimeType { position, .. }
                | ParseErrorKind::MissingContent { position, .. }
                | ParseErrorKind::UnknownEnumVariant { position, .. }
                | ParseErrorKind::IllegalState { position, .. } => *position,
                ParseErrorKind::NoFeedRoot => 0,
            };
            let what = match kind {
                ParseErrorKind::UnknownMimeType { .. } => "an unsupported content type",
                ParseErrorKind::MissingContent { reference, .. } => reference,
                ParseErrorKind::UnknownEnumVariant { .. } => "an unknown value",
                _ => "a structure the parser cannot follow",
            };
            format!("not a usable feed: {what} at position {at}")
        }
        ParseFeedError::JsonSerde(e) => format!("JSON: {}", quote_names_only(&e.to_string())),
        ParseFeedError::JsonUnsupportedVersion(_) => {
            "JSON with an unsupported JSON Feed \"version\"".to_owned()
        }
        ParseFeedError::IoError(e) => format!("unable to read the feed: {}", e.kind()),
        ParseFeedError::XmlReader(e) => {
            let message = e.to_string();
            let message = message.strip_prefix("Parser error: ").unwrap_or(&message);
            format!("malformed XML: {}", quote_names_only(message))
        }
    }
}

/// A parser's message with each quoted part kept only when it is a short name or piece of
/// markup. quick-xml quotes element names and markup in backticks or single quotes, serde_json
/// field names in backticks and values in double quotes, which are never kept: a value is what
/// the upstream said.
fn quote_names_only(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(open) = rest.find(['`', '\'', '"']) {
        let quote = rest[open..].chars().next().unwrap_or('`');
        out.push_str(&rest[..=open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find(quote) else {
            out.push('…');
            return out;
        };
        let inner = &after[..close];
        let name_like = quote != '"'
            && inner.len() <= 40
            && inner.chars().all(|c| {
                c.is_alphanumeric()
                    || matches!(
                        c,
                        ':' | '-' | '_' | '.' | '/' | '<' | '>' | '?' | '!' | '[' | ']'
                    )
            });
        out.push_str(if name_like { inner } else { "…" });
        out.push(quote);
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

/// A feed that parsed with no items although the document has `<item>` or `<entry>` elements:
/// they are in a namespace the format does not know (an RDF feed under an invented RSS
/// namespace), and reading nothing in silence would look like a quiet upstream.
pub(super) fn unread_items(text: &str) -> Option<String> {
    ["item", "entry"].into_iter().find_map(|name| {
        let n = super::markup::find_tags(text, name).len();
        (n > 0).then(|| {
            format!(
                "{n} <{name}> element{} but none read: their namespace is not the feed \
                 format's (RSS 1.0, RSS 0.90 or Atom)",
                if n == 1 { "" } else { "s" }
            )
        })
    })
}

fn not_a_feed(text: &str) -> String {
    let body = text.trim_start();
    if body.starts_with(['{', '[']) {
        return "JSON that is not a JSON Feed (no \"version\" of jsonfeed.org)".to_owned();
    }
    let mut rest = body;
    // Skip the prolog, comments, processing instructions and the DOCTYPE.
    while let Some(after) = rest.strip_prefix('<') {
        let skip = if after.starts_with('?') {
            after.find("?>").map(|i| i + 2)
        } else if after.starts_with("!--") {
            after.find("-->").map(|i| i + 3)
        } else if after.starts_with('!') {
            after.find('>').map(|i| i + 1)
        } else {
            let name: String = after
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '>' | '/'))
                .take(40)
                .collect();
            let what = match name.to_ascii_lowercase().as_str() {
                "opml" => " (an OPML subscription list; subscribe to the feeds it lists)",
                "urlset" | "sitemapindex" => " (a sitemap)",
                // The right root with what a feed needs missing.
                "rss" => return "an <rss> document without a <channel> element".to_owned(),
                "rdf:rdf" => {
                    return "an <rdf:RDF> document without an RSS 1.0 or 0.90 <channel> \
                            (its namespace is missing or unknown)"
                        .to_owned();
                }
                _ => "",
            };
            return format!("the root element is <{name}>{what}, not <rss>, <feed> or <rdf:RDF>");
        };
        match skip {
            Some(n) => rest = after[n..].trim_start(),
            None => break,
        }
    }
    "the document is not XML (no element found; binary data or plain text?)".to_owned()
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use chrono_tz::Tz;

    use super::super::parse_text;

    fn refusal(doc: &str) -> String {
        match parse_text(doc, Tz::UTC, Utc::now()) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("parsed: {doc}"),
        }
    }

    #[test]
    fn a_refusal_names_what_was_wrong_without_quoting_the_body() {
        const SECRET: &str = "sk_live_SECRET_7f3a";
        // JSON values, wrong types and unknown versions: serde_json would quote the value.
        for doc in [
            format!(
                r#"{{"version": "https://jsonfeed.org/version/1.1", "title": ["{SECRET}"], "items": []}}"#
            ),
            format!(
                r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{{"id": 1, "url": ["{SECRET}"]}}]}}"#
            ),
            format!(r#"{{"version": "{SECRET}", "items": "{SECRET}"}}"#),
            format!(r#"{{"{SECRET}": "{SECRET}""#),
            // XML: mismatched tags with text inside, bad entities, bad declarations.
            format!("<rss version=\"2.0\"><channel><title>{SECRET}</b></channel></rss>"),
            format!("<?xml encoding=\"{SECRET}\"?><rss version=\"2.0\"></rss>"),
            format!(
                "<rss version=\"2.0\"><channel><title>x</{SECRET}-{SECRET}-{SECRET}></channel></rss>"
            ),
        ] {
            let message = refusal(&doc);
            assert!(!message.contains("SECRET"), "{message}\nfrom {doc}");
        }
    }

    #[test]
    fn a_feed_root_with_its_content_missing_says_what_is_missing() {
        assert_eq!(
            refusal("<rss version=\"2.0\"></rss>"),
            "not a feed: an <rss> document without a <channel> element"
        );
    }

    #[test]
    fn a_refusal_keeps_element_and_field_names() {
        let message = refusal("<rss version=\"2.0\"><channel><title>x</b></channel></rss>");
        assert!(
            message.contains("`</b>`") && message.contains("`</title>`"),
            "{message}"
        );
        let message = refusal(r#"{"version": "https://jsonfeed.org/version/1.1", "title": "t"}"#);
        assert!(message.contains("`items`"), "{message}");
    }
}

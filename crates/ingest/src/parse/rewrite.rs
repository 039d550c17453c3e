//! The document rewritten before feed-rs reads it: forms feed-rs does not know (RSS without a
//! version it knows, RSS 0.90, Atom 0.3, the UserLand namespace, extension prefixes of a feed's
//! own choosing, Atom text types outside Atom 1.0's three) put in the terms it does.

use std::borrow::Cow;

use super::{NO_LINK, markup};

/// RSS 1.0 items without a `<link>`: feed-rs drops them. The item's `rdf:about` is its URI
/// (the spec says it should equal the link), so it is given as the link; an `about` that is
/// not a web address is dropped again by `normalize`, and the item kept.
pub(super) fn rss1_links(text: &str) -> Cow<'_, str> {
    if !text.contains("rdf:RDF") {
        return Cow::Borrowed(text);
    }
    let items = markup::find_tags(text, "item");
    let mut inserts: Vec<(usize, String)> = Vec::new();
    for (n, range) in items.iter().enumerate() {
        let end = items.get(n + 1).map_or(text.len(), |r| r.start);
        let body = &text[range.end..end];
        let body = body.find("</item>").map_or(body, |i| &body[..i]);
        if text[range.clone()].ends_with("/>") || body.contains("<link") {
            continue;
        }
        let about = markup::attributes(&text[range.clone()])
            .into_iter()
            .find(|a| a.name == "rdf:about")
            .filter(|a| !a.value.trim().is_empty());
        // The attribute value is already escaped for XML, and stays so as element text. An
        // item with no URI at all gets one no web address has, which normalize drops.
        let link = about.map_or_else(|| NO_LINK.to_owned(), |a| a.value.trim().to_owned());
        inserts.push((range.end, format!("<link>{link}</link>")));
    }
    if inserts.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + inserts.len() * 64);
    let mut at = 0;
    for (pos, link) in inserts {
        out.push_str(&text[at..pos]);
        out.push_str(&link);
        at = pos;
    }
    out.push_str(&text[at..]);
    Cow::Owned(out)
}

/// The RSS 0.90 namespaces, which feed-rs does not know: the specification's, and the one
/// Netscape's own channels used.
pub(super) const RSS090_NS: [&str; 2] = [
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://channel.netscape.com/rdf/simple/0.9/",
];

/// The Atom 0.3 namespace, which feed-rs does not know.
pub(super) const ATOM03_NS: &str = "http://purl.org/atom/ns#";

/// Rewrite an Atom 0.3 document as the Atom 1.0 it nearly is: the namespace, `issued` →
/// `published`, `modified` → `updated`, `tagline` → `subtitle`, `copyright` → `rights`, and
/// the MIME `type`s with `mode` of text constructs → `text`/`html`/`xhtml`.
pub(super) fn upgrade_atom03(text: &str) -> Cow<'_, str> {
    if !text.contains(ATOM03_NS) {
        return Cow::Borrowed(text);
    }
    let mut out = text.replace(ATOM03_NS, ATOM10_NS);
    for (from, to) in [
        ("issued>", "published>"),
        ("modified>", "updated>"),
        ("tagline", "subtitle"),
        ("copyright>", "rights>"),
        ("<copyright ", "<rights "),
    ] {
        out = out.replace(&format!("<{from}"), &format!("<{to}"));
        out = out.replace(&format!("</{from}"), &format!("</{to}"));
    }
    Cow::Owned(out)
}

pub(super) const ATOM10_NS: &str = "http://www.w3.org/2005/Atom";

/// Atom text constructs as Atom 0.3 wrote them, and as Atom 1.0 feeds still do: a MIME `type`
/// ("text/html", "application/xhtml+xml", "text/plain", "") with a `mode` ("escaped", "xml",
/// "base64"). feed-rs knows only `text`, `html` and `xhtml`, so these become those; base64
/// bodies (or a type that is not text at all) are decoded.
pub(super) fn atom_text_types(text: &str) -> Cow<'_, str> {
    use base64::Engine;
    use std::sync::OnceLock;
    const NAMES: &str = "content|summary|title|subtitle|rights|info";
    if !text.contains(ATOM10_NS) || !(text.contains("mode=") || text.contains("type=")) {
        return Cow::Borrowed(text);
    }
    // Nearly every Atom feed is already in Atom 1.0's terms: one scan says so.
    static NEEDED: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let needed = NEEDED
        .get_or_init(|| {
            regex::Regex::new(&format!(
                r#"<(?:{NAMES})\s[^>]*(?:mode\s*=|type\s*=\s*["'](?:[^"']*/|["']))"#
            ))
            .ok()
        })
        .as_ref()
        .is_none_or(|re| re.is_match(text));
    if !needed {
        return Cow::Borrowed(text);
    }
    static START: OnceLock<Option<regex::Regex>> = OnceLock::new();
    static WHOLE: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let (Some(start), Some(whole)) = (
        START
            .get_or_init(|| regex::Regex::new(&format!(r"<({NAMES})(\s[^>]*)?>")).ok())
            .as_ref(),
        WHOLE
            .get_or_init(|| {
                regex::Regex::new(&format!(r"<({NAMES})(\s[^>]*)>([^<]*)</({NAMES})>")).ok()
            })
            .as_ref(),
    ) else {
        return Cow::Borrowed(text);
    };
    let attr = |attrs: &str, name: &str| {
        markup::attributes(attrs)
            .into_iter()
            .find(|a| a.name == name)
            .map(|a| a.value.trim().to_ascii_lowercase())
    };
    // Already in Atom 1.0's terms (or a content element with a src): leave it.
    let standard = |ty: Option<&str>| matches!(ty, None | Some("text" | "html" | "xhtml"));
    let is_text_type = |ty: &str| {
        ty.is_empty() || ty.starts_with("text/") || ty.contains("xml") || ty.contains("html")
    };
    let mut changed = false;
    // Base64 bodies first: they are whole elements without markup inside.
    let decoded = whole.replace_all(text, |c: &regex::Captures<'_>| {
        let attrs = &c[2];
        let (ty, mode) = (attr(attrs, "type"), attr(attrs, "mode"));
        // Atom 0.3 says so with mode="base64"; Atom 1.0 only for atom:content of a media type
        // that is not text (RFC 4287 4.1.3.3). Text constructs (title, summary, …) allow only
        // text, html and xhtml, so another type there is read as text, never decoded.
        let base64 = mode.as_deref() == Some("base64")
            || (&c[1] == "content"
                && ty
                    .as_deref()
                    .is_some_and(|t| !standard(Some(t)) && !is_text_type(t)));
        let body = c[3].split_whitespace().collect::<String>();
        // Only text that decodes, and decodes to UTF-8: anything else was not base64.
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok());
        match (base64 && attr(attrs, "src").is_none(), decoded) {
            (true, Some(decoded)) => {
                changed = true;
                // No type means text, as in both Atom versions; a type that is not text at all
                // says nothing, so markup in it decides.
                let kind = match ty.as_deref() {
                    Some(t) if t.contains("html") => "html",
                    None | Some("" | "text") => "text",
                    Some(t) if t.starts_with("text/") => "text",
                    Some(_) if decoded.contains('<') => "html",
                    Some(_) => "text",
                };
                format!(
                    "<{name} type=\"{kind}\">{}</{name}>",
                    html_escape::encode_text(&decoded),
                    name = &c[1]
                )
            }
            _ => c[0].to_owned(),
        }
    });
    let out = start.replace_all(&decoded, |c: &regex::Captures<'_>| {
        let name = &c[1];
        let attrs = c.get(2).map_or("", |m| m.as_str());
        let (ty, mode) = (attr(attrs, "type"), attr(attrs, "mode"));
        // Out-of-line content keeps its media type: it says what the link points at.
        let out_of_line = name == "content" && attr(attrs, "src").is_some();
        if (standard(ty.as_deref()) && mode.is_none()) || out_of_line {
            return c[0].to_owned();
        }
        changed = true;
        let ty = ty.unwrap_or_default();
        let kind =
            if ty.contains("xhtml") || (mode.as_deref() == Some("xml") && ty.contains("html")) {
                "xhtml"
            } else if ty.contains("html") {
                "html"
            } else if ty == "text" || ty.is_empty() || ty.starts_with("text/") {
                "text"
            } else {
                // Anything else is given as is (feed-rs reads an unknown type as text).
                return c[0].to_owned();
            };
        // Keep the other attributes (xml:base, xml:lang, src).
        let rest: String = markup::attributes(attrs)
            .into_iter()
            .filter(|a| a.name != "type" && a.name != "mode")
            .map(|a| format!(" {}=\"{}\"", a.name, a.value))
            .collect();
        let close = if attrs.trim_end().ends_with('/') {
            "/>"
        } else {
            ">"
        };
        format!("<{name}{rest} type=\"{kind}\"{close}")
    });
    if changed {
        Cow::Owned(out.into_owned())
    } else {
        Cow::Borrowed(text)
    }
}

/// The extension namespaces crossfeed reads, with the prefixes its own scans look for.
pub(super) const EXTENSIONS: [(&str, &str); 7] = [
    ("dc", "http://purl.org/dc/elements/1.1/"),
    ("content", "http://purl.org/rss/1.0/modules/content/"),
    ("media", "http://search.yahoo.com/mrss/"),
    ("itunes", "http://www.itunes.com/dtds/podcast-1.0.dtd"),
    // As feeds often spell them (feed-rs reads both forms).
    ("itunes", "http://www.itunes.com/DTDs/Podcast-1.0.dtd"),
    ("media", "http://search.yahoo.com/mrss"),
    ("atom", "http://www.w3.org/2005/Atom"),
];

/// A namespace is its URI, not its prefix: a feed that binds Dublin Core to `dublincore:` (or
/// media RSS to `m:`) means the same as one that writes `dc:`. feed-rs reads by URI already;
/// the supplementary scans here look for the usual prefixes, so other prefixes bound to those
/// URIs are renamed to them — unless the usual prefix is bound to something else in the same
/// document, when that extension is left as it is. Elements only (prefixed attributes on these
/// extensions carry nothing crossfeed reads). One pass per renamed prefix.
pub(super) fn canonical_prefixes(text: &str) -> Cow<'_, str> {
    use std::sync::OnceLock;
    if !text.contains("xmlns:") {
        return Cow::Borrowed(text);
    }
    static DECL: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let Some(decl) = DECL
        .get_or_init(|| {
            regex::Regex::new(
                r#"xmlns:([A-Za-z_][A-Za-z0-9_.-]{0,39})\s*=\s*["']([^"'<>]{1,200})["']"#,
            )
            .ok()
        })
        .as_ref()
    else {
        return Cow::Borrowed(text);
    };
    // Prefix → URI, for the first binding of each prefix (a document that rebinds one inside
    // is rare; it is read as bound at first).
    let mut bound: Vec<(&str, &str)> = Vec::new();
    for c in decl.captures_iter(text).take(64) {
        let (Some(prefix), Some(uri)) = (c.get(1), c.get(2)) else {
            continue;
        };
        if !bound.iter().any(|(p, _)| *p == prefix.as_str()) {
            bound.push((prefix.as_str(), uri.as_str().trim()));
        }
    }
    let mut renames: Vec<(String, &str)> = Vec::new();
    for (usual, uri) in EXTENSIONS {
        let usual_free = bound
            .iter()
            .all(|(p, u)| *p != usual || EXTENSIONS.contains(&(usual, *u)));
        for (prefix, bound_uri) in &bound {
            if *bound_uri == uri && *prefix != usual && usual_free {
                renames.push(((*prefix).to_owned(), usual));
            }
        }
    }
    if renames.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for (from, to) in renames {
        out = out
            .replace(&format!("<{from}:"), &format!("<{to}:"))
            .replace(&format!("</{from}:"), &format!("</{to}:"))
            .replace(&format!("xmlns:{from}="), &format!("xmlns:{to}="));
    }
    Cow::Owned(out)
}

/// RSS 2.0 put in the UserLand namespace (`xmlns="http://backend.userland.com/rss2"`), which
/// feed-rs does not read as RSS: the default namespace is dropped.
pub(super) fn drop_userland_namespace(text: &str) -> Cow<'_, str> {
    const USERLAND: &str = "http://backend.userland.com/rss2";
    if !text.contains(USERLAND) {
        return Cow::Borrowed(text);
    }
    let mut out = text.to_owned();
    for quote in ['"', '\''] {
        out = out.replace(&format!("xmlns={quote}{USERLAND}{quote}"), "");
        // Or under a prefix: `<r:rss xmlns:r="…">` with `<r:item>` inside.
        let needle = format!("{USERLAND}{quote}");
        let mut from = 0;
        // A document declares it a handful of times at most; each declaration rewrites the
        // document, so more are left alone rather than costing a pass each.
        let mut declarations = 0;
        while declarations < 4
            && let Some(found) = out[from..].find(&needle)
        {
            let at = from + found;
            // Only `xmlns:prefix = "…` right before it is a declaration; the address quoted
            // anywhere else (a link, text) is left as it is. The declaration is short, so only
            // the bytes just before are searched (all of them, per occurrence, was quadratic).
            let mut window = at.saturating_sub(256);
            while !out.is_char_boundary(window) {
                window += 1;
            }
            let declared = out[window..at]
                .rfind("xmlns:")
                .map(|i| window + i)
                .filter(|&start| {
                    let between = &out[start + "xmlns:".len()..at];
                    !between.contains(['<', '>'])
                        && between
                            .strip_suffix(quote)
                            .is_some_and(|b| b.trim_end().ends_with('='))
                });
            let Some(decl_start) = declared else {
                from = at + needle.len();
                continue;
            };
            let prefix = out[decl_start + "xmlns:".len()..at]
                .trim_end_matches(['=', quote, ' '])
                .to_owned();
            out.replace_range(decl_start..at + needle.len(), "");
            declarations += 1;
            if prefix.is_empty() || prefix.contains(char::is_whitespace) {
                break;
            }
            out = out
                .replace(&format!("<{prefix}:"), "<")
                .replace(&format!("</{prefix}:"), "</");
            from = 0;
        }
    }
    Cow::Owned(out)
}

/// Versions of `<rss>` that feed-rs reads as they are; any other (missing, "2.01", "0.93",
/// "0.94") is read as 2.0, which is what such feeds are in practice.
pub(super) const RSS_VERSIONS: &[&str] = &["2.0", "0.91", "0.92", ""];

/// Make the `<rss>` root say a version feed-rs understands.
pub(super) fn fix_rss_version(text: &str) -> Cow<'_, str> {
    let Some(root) = markup::find_tags(text, "rss").into_iter().next() else {
        return Cow::Borrowed(text);
    };
    // Only the root: nothing but a prolog, comments or a doctype may come before it.
    let before = &text[..root.start];
    let elements_before = before
        .match_indices('<')
        .filter(|(i, _)| !before[i + 1..].starts_with(['?', '!']))
        .count();
    if elements_before > 0 {
        return Cow::Borrowed(text);
    }
    let tag = &text[root.clone()];
    let version = markup::attributes(tag)
        .into_iter()
        .find(|a| a.name == "version");
    match version {
        Some(v) if RSS_VERSIONS.contains(&v.value.trim()) => Cow::Borrowed(text),
        Some(v) => {
            let Some(at) = v.value_at else {
                return Cow::Borrowed(text);
            };
            let mut fixed = text.to_owned();
            fixed.replace_range(root.start + at.start..root.start + at.end, "2.0");
            Cow::Owned(fixed)
        }
        None => {
            let mut fixed = text.to_owned();
            fixed.insert_str(root.start + "<rss".len(), " version=\"2.0\"");
            Cow::Owned(fixed)
        }
    }
}

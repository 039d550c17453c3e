//! Pictures through crossfeed's own image route, `GET /img/{signature}/{address}`: portals and
//! WeChat refuse hotlinked images (Referer checks), so a reader of our pages would see broken
//! boxes. The address is the picture's URL in URL-safe base64; the signature, an HMAC-SHA256 of
//! it under a key from `CROSSFEED_IMAGE_KEY` (else one made once and kept in the store), shared
//! by every process so that addresses survive restarts — so the route is no open proxy. The
//! picture is fetched with the fetcher's address rules (a private address only where
//! `fetch.allow_private_targets` allows it) and no Referer, capped in size and to image types,
//! and cached in memory with a validator. A picture that cannot be had answers a transparent
//! pixel: the page shows no broken box.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use url::Url;

use super::AppState;
use crate::fetch::{Fetcher, Outcome, Validators};

/// The largest picture served.
pub const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Bytes of pictures kept in memory at most.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// Bytes of the signature kept in the address (128 bits).
const SIGNATURE_BYTES: usize = 16;

/// How long readers may keep a picture, and a missing one.
const MAX_AGE: &str = "public, max-age=86400";
const MISSING_MAX_AGE: &str = "public, max-age=300";

/// A transparent 1×1 GIF.
const PIXEL: &[u8] = &[
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// A picture held in memory.
struct Cached {
    body: Vec<u8>,
    content_type: String,
    etag: String,
}

/// Pictures held in memory, least recently used first, and their bytes together.
struct Cache {
    pictures: lru::LruCache<String, Arc<Cached>>,
    bytes: usize,
}

/// The image route's key, fetcher and cache.
pub struct ImageProxy {
    key: Vec<u8>,
    fetcher: Fetcher,
    cache: Mutex<Cache>,
}

impl ImageProxy {
    pub fn new(key: &[u8], fetcher: Fetcher) -> Self {
        Self {
            key: key.to_vec(),
            fetcher,
            cache: Mutex::new(Cache {
                pictures: lru::LruCache::new(NonZeroUsize::new(4096).unwrap_or(NonZeroUsize::MIN)),
                bytes: 0,
            }),
        }
    }

    fn sign(&self, encoded: &str) -> String {
        // HMAC takes a key of any length: this cannot fail, and an empty signature is never
        // accepted.
        let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.key) else {
            return String::new();
        };
        mac.update(encoded.as_bytes());
        let full = mac.finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&full[..SIGNATURE_BYTES])
    }

    /// The route's address for the picture at `image` (absolute http(s)), as a path.
    pub fn path_for(&self, image: &str) -> String {
        let encoded = URL_SAFE_NO_PAD.encode(image.as_bytes());
        format!("/img/{}/{encoded}", self.sign(&encoded))
    }

    /// The picture's address when `signature` is its signature.
    fn verified(&self, signature: &str, encoded: &str) -> Option<Url> {
        let expected = self.sign(encoded);
        if expected.is_empty() || !bool::from(expected.as_bytes().ct_eq(signature.as_bytes())) {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(encoded).ok()?;
        Url::parse(std::str::from_utf8(&bytes).ok()?)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    }

    fn remember(&self, key: String, picture: Arc<Cached>) {
        let Ok(mut cache) = self.cache.lock() else {
            return;
        };
        cache.bytes += picture.body.len();
        if let Some((_, old)) = cache.pictures.push(key, picture) {
            cache.bytes = cache.bytes.saturating_sub(old.body.len());
        }
        while cache.bytes > CACHE_BYTES {
            let Some((_, old)) = cache.pictures.pop_lru() else {
                break;
            };
            cache.bytes = cache.bytes.saturating_sub(old.body.len());
        }
    }

    fn cached(&self, key: &str) -> Option<Arc<Cached>> {
        self.cache.lock().ok()?.pictures.get(key).cloned()
    }

    /// Fetch the picture at `url`, or say why it cannot be had.
    async fn fetch(&self, url: &Url) -> Result<Cached, String> {
        // No host is vouched for: a picture on a private address is refused unless the
        // configuration allows private targets.
        let untrusted = Url::parse("http://image.invalid/").map_err(|e| e.to_string())?;
        let fetched = match self
            .fetcher
            .fetch(url, &untrusted, &Validators::default())
            .await
            .map_err(|e| e.to_string())?
        {
            Outcome::Fetched(f) => f,
            Outcome::NotModified { .. } => return Err("answered 304 unasked".into()),
        };
        let essence = fetched
            .content_type
            .as_deref()
            .and_then(|t| t.split(';').next())
            .map(|t| t.trim().to_ascii_lowercase())
            .unwrap_or_default();
        if !is_picture(&essence) {
            return Err(format!("not a picture ({essence})"));
        }
        if fetched.body.len() > MAX_IMAGE_BYTES {
            return Err(format!("larger than {MAX_IMAGE_BYTES} bytes"));
        }
        let etag = format!(
            "\"{}\"",
            URL_SAFE_NO_PAD.encode(&Sha256::digest(&fetched.body)[..12])
        );
        Ok(Cached {
            body: fetched.body,
            content_type: essence,
            etag,
        })
    }
}

/// Picture types served; SVG only with a policy that lets nothing in it run.
fn is_picture(essence: &str) -> bool {
    matches!(
        essence,
        "image/jpeg"
            | "image/png"
            | "image/gif"
            | "image/webp"
            | "image/avif"
            | "image/bmp"
            | "image/svg+xml"
            | "image/x-icon"
            | "image/vnd.microsoft.icon"
    )
}

/// A transparent pixel in place of a picture that cannot be had, saying why in a header.
fn missing(why: &str) -> HttpResponse {
    let why: String = why
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(200)
        .collect();
    HttpResponse::Ok()
        .content_type("image/gif")
        .insert_header((header::CACHE_CONTROL, MISSING_MAX_AGE))
        .insert_header(("X-Crossfeed-Image", format!("unavailable: {why}")))
        .body(PIXEL)
}

#[get("/img/{signature}/{address}")]
pub(super) async fn serve_image(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let (signature, encoded) = path.into_inner();
    let Some(proxy) = state.images.as_ref() else {
        return HttpResponse::NotFound().finish();
    };
    let Some(url) = proxy.verified(&signature, &encoded) else {
        // A wrong signature is no picture of ours: 403, not a pixel.
        return HttpResponse::Forbidden().finish();
    };
    let picture = match proxy.cached(&encoded) {
        Some(p) => p,
        None => match proxy.fetch(&url).await {
            Ok(p) => {
                let p = Arc::new(p);
                proxy.remember(encoded.clone(), Arc::clone(&p));
                p
            }
            Err(why) => {
                tracing::info!(image = %crate::domain::redact::redact(url.as_str()), %why, "picture not served");
                return missing(&why);
            }
        },
    };
    let asked = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    if asked.is_some_and(|tags| tags.split(',').any(|t| t.trim() == picture.etag)) {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, picture.etag.clone()))
            .insert_header((header::CACHE_CONTROL, MAX_AGE))
            .finish();
    }
    let mut response = HttpResponse::Ok();
    response
        .content_type(picture.content_type.clone())
        .insert_header((header::ETAG, picture.etag.clone()))
        .insert_header((header::CACHE_CONTROL, MAX_AGE))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; sandbox",
        ));
    response.body(picture.body.clone())
}

/// `item`'s picture and the pictures in its summary and content, for a feed
/// (`site.image_proxy_in_feeds`): absolute addresses on the image route under `base`.
pub fn in_feed(proxy: &ImageProxy, item: &mut crate::domain::StoredItem, base: &str, own: &Url) {
    let absolute = |path: String| {
        if path.starts_with("/img/") {
            format!("{base}{path}")
        } else {
            path
        }
    };
    if let Some(image) = item.item.image.take() {
        item.item.image = Some(absolute(proxied(proxy, &image, Some(own))));
    }
    for html in [&mut item.item.summary, &mut item.item.content]
        .into_iter()
        .flatten()
    {
        *html = proxied_html(proxy, html, Some(own))
            .replace("src=\"/img/", &format!("src=\"{base}/img/"));
    }
}

/// `html` (sanitized content) with every `<img src>` on another origin than `own` pointing at
/// the image route.
pub fn proxied_html(proxy: &ImageProxy, html: &str, own: Option<&Url>) -> String {
    static SRC: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(<img\b[^>]*?\bsrc=")(https?://[^"]+)(")"#).ok()
    });
    let Some(re) = SRC.as_ref() else {
        return html.to_owned();
    };
    re.replace_all(html, |c: &regex::Captures<'_>| {
        let address = html_escape::decode_html_entities(&c[2]);
        format!("{}{}{}", &c[1], proxied(proxy, &address, own), &c[3])
    })
    .into_owned()
}

/// The route's path for `image`, or `image` itself when it is on our own origin (`own`) or
/// not an http(s) address.
pub fn proxied(proxy: &ImageProxy, image: &str, own: Option<&Url>) -> String {
    let Ok(url) = Url::parse(image) else {
        return image.to_owned();
    };
    let ours = own.is_some_and(|o| o.origin() == url.origin());
    if ours || !matches!(url.scheme(), "http" | "https") {
        return image.to_owned();
    }
    proxy.path_for(url.as_str())
}

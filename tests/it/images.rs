//! The image route, `/img/{signature}/{address}`: pictures of portals that refuse hotlinking,
//! served by crossfeed itself. Signed (a forged address is refused), capped to pictures and in
//! size, cached with a validator, under the fetcher's address rules; a picture that cannot be
//! had is a transparent pixel, so the page shows no broken box. The website's cards link their
//! pictures through it.

use crossfeed::fetch::Fetcher;
use crossfeed::server::images::{ImageProxy, MAX_IMAGE_BYTES};
use crossfeed::store::meta;
use wiremock::matchers::{method, path};
use wiremock::{Mock, ResponseTemplate};

use crate::common::{self, Backend, TestApp, TestDb, Upstream};

async fn serve(up: &Upstream, at: &str, body: Vec<u8>, content_type: &str, hits: u64) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
        .expect(hits)
        .mount(&up.server)
        .await;
}

/// The route's path for `image`, signed with the key the app keeps in the store.
fn signed(db: &TestDb, config: &crossfeed::config::Config, image: &str) -> String {
    let key = db
        .store()
        .with_conn(|c| meta::get(c, meta::IMAGE_KEY))
        .unwrap()
        .expect("the app made a key");
    ImageProxy::new(key.as_bytes(), Fetcher::new(&config.fetch).unwrap()).path_for(image)
}

async fn pictures_are_signed_capped_cached_and_never_a_broken_box(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    let png = common::fixture("thumb.png");
    // Fetched once: the second request and the revalidation come from the cache.
    serve(&up, "/pic/a.png", png.clone(), "image/png", 1).await;
    serve(
        &up,
        "/pic/page.html",
        b"<html>no</html>".to_vec(),
        "text/html",
        1,
    )
    .await;
    serve(
        &up,
        "/pic/huge.png",
        vec![0u8; MAX_IMAGE_BYTES + 1024],
        "image/png",
        1,
    )
    .await;
    let mut config = common::config(&db, "  []");
    // The upstream is on 127.0.0.1: allowed here, refused below.
    config.fetch.allow_private_targets = true;
    let app = TestApp::spawn(config.clone()).await;

    let picture = signed(&db, &config, &up.url("/pic/a.png"));
    let first = app.get(&picture).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["content-type"], "image/png");
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.bytes().await.unwrap().to_vec(), png);
    let again = app.get(&picture).await;
    assert_eq!(again.status(), 200);
    assert_eq!(again.bytes().await.unwrap().to_vec(), png);
    let revalidated = app
        .client
        .get(format!("{}{picture}", app.base))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(revalidated.status(), 304);

    // A forged or altered address is no picture of ours.
    let forged = picture.replacen("/img/", "/img/x", 1);
    assert_eq!(app.get(&forged).await.status(), 403);
    let other = signed(&db, &config, &up.url("/pic/b.png"));
    let swapped = format!(
        "{}/{}",
        picture.rsplit_once('/').unwrap().0,
        other.rsplit_once('/').unwrap().1
    );
    assert_eq!(app.get(&swapped).await.status(), 403);

    // Not a picture, or too large: a transparent pixel that says why.
    for (at, why) in [
        ("/pic/page.html", "not a picture"),
        ("/pic/huge.png", "larger than"),
    ] {
        let r = app.get(&signed(&db, &config, &up.url(at))).await;
        assert_eq!(r.status(), 200, "{at}");
        assert_eq!(r.headers()["content-type"], "image/gif", "{at}");
        let said = r.headers()["x-crossfeed-image"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(said.contains(why), "{at}: {said}");
        assert!(r.bytes().await.unwrap().len() < 100);
    }
    app.stop().await;

    // Under the default address rules, a picture on a private address is refused.
    let config = common::config(&db, "  []");
    let app = TestApp::spawn(config.clone()).await;
    let r = app
        .get(&signed(&db, &config, &up.url("/pic/private.png")))
        .await;
    assert_eq!(r.status(), 200);
    let said = r.headers()["x-crossfeed-image"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(said.contains("refused"), "{said}");
    app.stop().await;
}
on_both_backends!(
    pictures_are_signed_capped_cached,
    pictures_are_signed_capped_cached_and_never_a_broken_box
);

/// The website's cards show a portal's pictures through the route; the address the portal
/// gave never reaches the page. With `site.image_proxy_in_feeds`, feeds link them through the
/// route too, by absolute address.
async fn the_website_shows_pictures_through_the_route(backend: Backend) {
    let db = TestDb::new(backend);
    let up = Upstream::start().await;
    serve(
        &up,
        "/news/",
        common::fixture("portals/dedecms.html"),
        "text/html; charset=utf-8",
        1,
    )
    .await;
    let source = format!(
        "  - id: portal\n    url: {}\n    timezone: Asia/Shanghai\n    page: auto\n",
        up.url("/news/")
    );
    let mut config = common::config(&db, &source);
    config.site.image_proxy_in_feeds = true;
    let app = TestApp::spawn(config).await;
    app.wait_for_first_polls().await;
    let feed = app.get("/feeds/all.rss").await.text().await.unwrap();
    assert!(
        feed.contains(&format!("{}/img/", common::PUBLIC_URL)),
        "{feed}"
    );
    assert!(!feed.contains(&up.url("/uploads/")), "{feed}");
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains("src=\"/img/"), "{home}");
    assert!(
        !home.contains(&format!("src=\"{}", up.url("/uploads/"))),
        "{home}"
    );
    app.stop().await;
}
on_both_backends!(
    the_website_shows_pictures,
    the_website_shows_pictures_through_the_route
);

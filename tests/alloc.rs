//! SQLite's memory comes from mimalloc once `alloc::configure` has run, and the store works on
//! it. A test binary of its own: SQLite takes an allocator only before it first starts, so no
//! other test may open a store in this process first.

#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(not(feature = "system-alloc"))]

// This binary uses a few of the helpers the integration tests share; the rest are theirs.
#[path = "it/common/mod.rs"]
#[allow(dead_code)]
mod common;

use common::{Backend, TestApp, TestDb};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_allocates_from_mimalloc_and_ingests() {
    assert!(
        crossfeed::alloc::configure(),
        "SQLite refused the allocator"
    );
    // SAFETY: plain SQLite allocation calls; the block is freed by the allocator it came from.
    unsafe {
        let block = libsqlite3_sys::sqlite3_malloc(4096);
        assert!(!block.is_null());
        assert!(libmimalloc_sys::mi_is_in_heap_region(block));
        assert!(libsqlite3_sys::sqlite3_msize(block) >= 4096);
        let grown = libsqlite3_sys::sqlite3_realloc(block, 1 << 20);
        assert!(!grown.is_null());
        assert!(libmimalloc_sys::mi_is_in_heap_region(grown));
        libsqlite3_sys::sqlite3_free(grown);
    }
    // A second call finds SQLite started and changes nothing.
    assert!(!crossfeed::alloc::configure());

    // A whole ingest on a store whose pages, statements and sorts all live in mimalloc.
    let db = TestDb::new(Backend::Sqlite);
    let up = common::Upstream::start().await;
    common::serve_fixtures(&up).await;
    let app = TestApp::spawn(common::config(&db, &common::fixture_sources(&up))).await;
    app.wait_for_first_polls().await;
    let res = app.get("/api/items?limit=100").await;
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = serde_json::from_slice(&res.bytes().await.unwrap()).unwrap();
    let items = body["items"].as_array().unwrap();
    // The three fixture feeds hold nine items between them.
    assert_eq!(items.len(), 9, "{body}");
    app.stop().await;
}

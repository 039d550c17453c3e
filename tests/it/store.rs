//! The store on both backends: migrations, source sync from the configuration, upserts.

use crate::common;

use crate::common::{Backend, TestDb};
use chrono::{Duration, Utc};
use crossfeed::domain::{Classified, Item, Matched, Tag, TagKind, TopicMatch};
use crossfeed::store::items::{self, ItemQuery};
use crossfeed::store::{Store, item_tags, sources};

pub(crate) fn item(id: &str, title: &str, hours_ago: i64) -> Item {
    Item {
        id: id.into(),
        guid: Some(format!("guid-{id}")),
        title: Some(title.into()),
        link: Some(format!("https://e.example.com/{id}")),
        published: Some(Utc::now() - Duration::hours(hours_ago)),
        updated: None,
        authors: vec!["作者".into()],
        summary: Some("<p>摘要</p>".into()),
        content: None,
        categories: vec!["跨境".into()],
        language: Some("zh-cn".into()),
        enclosures: vec![],
        image: None,
    }
}

pub(crate) fn topic(slug: &str, matched: &str) -> Vec<TopicMatch> {
    vec![TopicMatch {
        slug: slug.into(),
        matched: vec![Matched {
            term: matched.into(),
            rule: "keyword".into(),
            field: "title".into(),
        }],
    }]
}

pub(crate) fn tag(key: &str, kind: TagKind) -> Tag {
    Tag {
        key: key.to_lowercase(),
        label: key.into(),
        kind,
    }
}

/// Store a poll's items with the default clustering.
pub(crate) fn upsert(
    c: &mut crossfeed::store::DbConn,
    source: &str,
    batch: &[Classified],
    now: chrono::DateTime<Utc>,
) -> Result<items::UpsertCounts, crossfeed::store::StoreError> {
    let ready: Vec<items::Ready> = batch.iter().cloned().map(items::Ready::from).collect();
    items::upsert_for_source(c, source, &ready, now)
}

/// `item` with `topics` and a category tag plus one tag named after its first topic.
pub(crate) fn classified(item: Item, topics: Vec<TopicMatch>) -> Classified {
    let mut tags = vec![tag("跨境", TagKind::Category)];
    tags.extend(topics.first().map(|t| tag(&t.slug, TagKind::Keyword)));
    Classified {
        item,
        topics,
        tags,
        canonical_link: None,
        signature: None,
    }
}

async fn configured_sources_are_synced_and_removed_ones_disabled(backend: Backend) {
    let db = TestDb::new(backend);
    let two = common::config(
        &db,
        "  - id: a\n    url: https://a.example.com/rss\n  - id: b\n    url: https://b.example.com/rss\n",
    );
    let store = db.store();
    let now = Utc::now();
    let report = store
        .with_conn(|c| sources::sync_from_config(c, &two.sources, now))
        .unwrap();
    assert_eq!((report.added, report.updated, report.disabled), (2, 0, 0));
    // Syncing the same configuration again changes nothing.
    let again = store
        .with_conn(|c| sources::sync_from_config(c, &two.sources, now))
        .unwrap();
    assert_eq!((again.added, again.updated, again.disabled), (0, 0, 0));

    store
        .with_conn(|c| upsert(c, "b", &[classified(item("1", "keep me", 1), vec![])], now))
        .unwrap();
    let one = common::config(&db, "  - id: a\n    url: https://a.example.com/feed.xml\n");
    let report = store
        .with_conn(|c| sources::sync_from_config(c, &one.sources, now))
        .unwrap();
    assert_eq!((report.added, report.updated, report.disabled), (0, 1, 1));
    let rows = store.with_conn(sources::list).unwrap();
    assert_eq!(rows[0].url, "https://a.example.com/feed.xml");
    assert!(!rows[1].enabled);
    assert_eq!(
        rows[1].disabled_reason.as_deref(),
        Some(sources::REMOVED_FROM_CONFIG)
    );
    assert_eq!(
        store
            .with_conn(|c| items::count_for_source(c, "b"))
            .unwrap(),
        1,
        "items kept"
    );
    // Due sources: only the enabled one can be claimed.
    let later = now + Duration::seconds(1);
    let due = store
        .with_conn(|c| {
            sources::claim(
                c,
                "test",
                sources::Claim::Due(10),
                later,
                later + Duration::minutes(5),
            )
        })
        .unwrap();
    assert_eq!(
        due.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        vec!["a"]
    );

    // Back in the configuration: enabled again.
    store
        .with_conn(|c| sources::sync_from_config(c, &two.sources, now))
        .unwrap();
    let rows = store.with_conn(sources::list).unwrap();
    assert!(
        rows.iter()
            .all(|r| r.enabled && r.disabled_reason.is_none())
    );
}
on_both_backends!(
    configured_sources_are_synced_and_removed_ones_disabled,
    configured_sources_are_synced_and_removed_ones_disabled
);

/// A fresh store holding one configured source, `s`.
pub(crate) fn store_with_one_source(backend: Backend) -> (TestDb, Store) {
    let db = TestDb::new(backend);
    let config = common::config(&db, "  - id: s\n    url: https://s.example.com/rss\n");
    let store = db.store();
    store
        .with_conn(|c| sources::sync_from_config(c, &config.sources, Utc::now()))
        .unwrap();
    (db, store)
}

async fn upserts_are_idempotent_and_keep_topics_current(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();

    let batch = vec![
        classified(
            item("1", "TikTok Shop 新政", 3),
            topic("tiktok", "TikTok Shop"),
        ),
        classified(item("2", "亚马逊旺季", 2), topic("amazon", "亚马逊")),
        // The same identity twice in one poll is stored once.
        classified(item("2", "亚马逊旺季", 2), topic("amazon", "亚马逊")),
    ];
    let first = store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    assert_eq!((first.new, first.updated, first.unchanged), (2, 0, 0));
    let second = store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    assert_eq!((second.new, second.updated, second.unchanged), (0, 0, 2));

    // An edited item moves to another topic; no second copy appears.
    let edited = vec![classified(
        item("2", "Lazada 旺季", 2),
        topic("lazada", "Lazada"),
    )];
    let third = store.with_conn(|c| upsert(c, "s", &edited, now)).unwrap();
    assert_eq!((third.new, third.updated), (0, 1));
    assert_eq!(
        store
            .with_conn(|c| items::count_for_source(c, "s"))
            .unwrap(),
        2
    );

    let query = |topic: Option<&str>| ItemQuery {
        topic: topic.map(String::from),
        tag: None,
        source: None,
        limit: 10,
        dedupe: false,
        before: None,
    };
    let lazada = store
        .with_conn(|c| items::latest(c, &query(Some("lazada"))))
        .unwrap();
    assert_eq!(lazada.len(), 1);
    assert_eq!(lazada[0].item.title.as_deref(), Some("Lazada 旺季"));
    assert_eq!(lazada[0].topics, topic("lazada", "Lazada"));
    assert_eq!(
        lazada[0].tags,
        vec![
            tag("跨境", TagKind::Category),
            tag("lazada", TagKind::Keyword)
        ],
        "an edited item's tags are replaced, in kind order"
    );
    let by_tag = store
        .with_conn(|c| {
            items::latest(
                c,
                &ItemQuery {
                    tag: Some("跨境".into()),
                    limit: 10,
                    ..ItemQuery::default()
                },
            )
        })
        .unwrap();
    assert_eq!(by_tag.len(), 2);
    let counts = store.with_conn(|c| item_tags::counts(c, 1, 10)).unwrap();
    let counted: Vec<(&str, i64)> = counts.iter().map(|t| (t.key.as_str(), t.count)).collect();
    assert_eq!(counted, vec![("跨境", 2), ("lazada", 1), ("tiktok", 1)]);
    assert_eq!(
        store
            .with_conn(|c| item_tags::counts(c, 2, 10))
            .unwrap()
            .len(),
        1,
        "min_count filters rare tags"
    );
    assert!(
        store
            .with_conn(|c| items::latest(c, &query(Some("amazon"))))
            .unwrap()
            .is_empty()
    );

    // Everything, newest first, with JSON columns read back intact.
    let all = store.with_conn(|c| items::latest(c, &query(None))).unwrap();
    assert_eq!(
        all.iter().map(|s| s.item.id.as_str()).collect::<Vec<_>>(),
        vec!["2", "1"]
    );
    assert_eq!(all[1].item.authors, vec!["作者".to_owned()]);
    assert_eq!(all[1].item.categories, vec!["跨境".to_owned()]);
    assert!(!all[1].date_is_first_seen);
}
on_both_backends!(
    upserts_are_idempotent_and_keep_topics_current,
    upserts_are_idempotent_and_keep_topics_current
);

async fn an_undated_item_is_filed_under_its_first_sighting(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let mut undated = item("u", "no date", 0);
    undated.published = None;
    store
        .with_conn(|c| upsert(c, "s", &[classified(undated, vec![])], now))
        .unwrap();
    let all = store
        .with_conn(|c| {
            items::latest(
                c,
                &ItemQuery {
                    limit: 5,
                    ..ItemQuery::default()
                },
            )
        })
        .unwrap();
    assert!(all[0].date_is_first_seen);
    assert_eq!(all[0].item.published, None, "the date is not invented");
    assert_eq!(all[0].sort_at.timestamp(), now.timestamp());
}
on_both_backends!(
    an_undated_item_is_filed_under_its_first_sighting,
    an_undated_item_is_filed_under_its_first_sighting
);

#[test]
fn a_sqlite_store_runs_in_wal_mode() {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = diesel::sql_types::Text)]
        journal_mode: String,
    }
    let db = TestDb::new(Backend::Sqlite);
    let mode = db
        .store()
        .with_conn(|c| Ok(diesel::sql_query("PRAGMA journal_mode").get_result::<Mode>(c)?))
        .unwrap();
    assert_eq!(mode.journal_mode, "wal");
}

/// Every connection a store opened, on its own threads or the pool's, is closed once the last
/// handle is gone: the count `crossfeed` waits on before it exits reaches zero.
async fn a_dropped_store_closes_every_connection(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let open = store.open_connections();
    // Four callers at once need four connections (the test pool's size); the pool refills
    // itself in the background as they are taken.
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .run(|c| {
                        let n = sources::list(c)?.len();
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        Ok(n)
                    })
                    .await
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap().unwrap(), 1);
    }
    // Ingest's writes (on SQLite, a connection of their own outside the pool).
    let written = store
        .run_writer(|c| Ok(sources::list(c)?.len()))
        .await
        .unwrap();
    assert_eq!(written, 1);
    assert!(open.get() >= 2, "{} connections open", open.get());
    drop(store);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while open.get() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(
        open.get(),
        0,
        "connections left open after the store was dropped"
    );
}
on_both_backends!(
    a_dropped_store_closes_every_connection,
    a_dropped_store_closes_every_connection
);

/// Ingest writes through `run_writer`: what it commits, every pooled connection reads. On
/// SQLite that is one connection outside the pool, the only one with the large page cache;
/// the pool's connections keep SQLite's default.
async fn the_ingest_writer_commits_for_every_reader(backend: Backend) {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Cache {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cache_size: i64,
    }
    let cache_size =
        |c: &mut crossfeed::store::DbConn| -> Result<i64, crossfeed::store::StoreError> {
            match c {
                crossfeed::store::DbConn::Sqlite(c) => Ok(diesel::sql_query("PRAGMA cache_size")
                    .get_result::<Cache>(c)?
                    .cache_size),
                crossfeed::store::DbConn::Pg(_) => Ok(0),
            }
        };
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let batch = vec![classified(
        item("w1", "TikTok Shop 新规", 1),
        topic("tiktok", "tiktok"),
    )];
    let (counts, writer_cache) = store
        .run_writer(move |c| {
            let counts = crossfeed::store::transaction(c, |c| upsert(c, "s", &batch, now))?;
            Ok((counts, cache_size(c)?))
        })
        .await
        .unwrap();
    assert_eq!(counts.new, 1);
    // Several readers at once, so that more than one pooled connection answers.
    let reads: Vec<_> = (0..3)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .run(move |c| {
                        let found = items::count_for_source(c, "s")?;
                        std::thread::sleep(std::time::Duration::from_millis(20));
                        Ok((found, cache_size(c)?))
                    })
                    .await
            })
        })
        .collect();
    for read in reads {
        let (found, pooled_cache) = read.await.unwrap().unwrap();
        assert_eq!(found, 1, "a pooled connection misses the writer's commit");
        if backend == Backend::Sqlite {
            assert_eq!(writer_cache, -16 * 1024, "the writer's page cache, in KiB");
            assert_ne!(
                pooled_cache, writer_cache,
                "a pooled connection has the big cache"
            );
        }
    }
}
on_both_backends!(
    the_ingest_writer_commits_for_every_reader,
    the_ingest_writer_commits_for_every_reader
);

/// A write that panics halfway through a transaction costs only itself: the next write gets a
/// connection with no transaction left open.
async fn a_writer_that_panicked_leaves_no_open_transaction(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let crashed = store
        .run_writer(|c| -> Result<(), crossfeed::store::StoreError> {
            use diesel::connection::{AnsiTransactionManager, TransactionManager};
            match c {
                crossfeed::store::DbConn::Sqlite(c) => {
                    AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?
                }
                crossfeed::store::DbConn::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
            }
            panic!("a bug in the middle of a write");
        })
        .await;
    assert!(crashed.is_err());
    let now = Utc::now();
    let batch = vec![classified(
        item("p1", "Shopee 物流补贴", 1),
        topic("shopee", "shopee"),
    )];
    let counts = store
        .run_writer(move |c| crossfeed::store::transaction(c, |c| upsert(c, "s", &batch, now)))
        .await
        .unwrap();
    assert_eq!(counts.new, 1);
    let stored = store
        .run(|c| items::count_for_source(c, "s"))
        .await
        .unwrap();
    assert_eq!(stored, 1);
}
on_both_backends!(
    a_writer_that_panicked_leaves_no_open_transaction,
    a_writer_that_panicked_leaves_no_open_transaction
);

async fn topic_and_tag_listings_follow_a_changed_date(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let batch = vec![
        classified(item("a", "TikTok 一", 1), topic("tiktok", "TikTok")),
        classified(item("b", "TikTok 二", 5), topic("tiktok", "TikTok")),
        classified(item("c", "TikTok 三", 9), topic("tiktok", "TikTok")),
    ];
    store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    let titles = |store: &Store, topic: Option<&str>, tag: Option<&str>, before| {
        store
            .with_conn(|c| {
                items::latest(
                    c,
                    &ItemQuery {
                        topic: topic.map(String::from),
                        tag: tag.map(String::from),
                        limit: 2,
                        before,
                        ..ItemQuery::default()
                    },
                )
            })
            .unwrap()
    };
    let names = |v: &[crossfeed::domain::StoredItem]| -> Vec<String> {
        v.iter().map(|i| i.item.title.clone().unwrap()).collect()
    };
    assert_eq!(
        names(&titles(&store, Some("tiktok"), None, None)),
        ["TikTok 一", "TikTok 二"]
    );

    // Upstream redates "c" to the newest: both the topic and the tag listing put it first.
    let redated = vec![classified(
        item("c", "TikTok 三", 0),
        topic("tiktok", "TikTok"),
    )];
    store.with_conn(|c| upsert(c, "s", &redated, now)).unwrap();
    let page = titles(&store, Some("tiktok"), None, None);
    assert_eq!(names(&page), ["TikTok 三", "TikTok 一"]);
    assert_eq!(
        names(&titles(&store, None, Some("tiktok"), None)),
        ["TikTok 三", "TikTok 一"]
    );
    // The next page, by cursor on the topic's own index, holds the rest.
    let next = titles(
        &store,
        Some("tiktok"),
        Some("跨境"),
        Some(crossfeed::domain::Cursor::after(page.last().unwrap())),
    );
    assert_eq!(names(&next), ["TikTok 二"]);
    // The newest ids of a topic and of a tag come from the same order.
    let ids = store
        .with_conn(|c| items::newest_ids(c, Some("tiktok"), None, 3))
        .unwrap();
    let tag_ids = store
        .with_conn(|c| items::newest_ids(c, None, Some("跨境"), 3))
        .unwrap();
    assert_eq!(ids, tag_ids);
    assert_eq!(ids[0], page[0].id);
}
on_both_backends!(
    topic_and_tag_listings_follow_a_changed_date,
    topic_and_tag_listings_follow_a_changed_date
);

/// Topic and tag rows belong to their item, and items to their source: deleting the parent
/// deletes them (on Postgres through triggers, not foreign keys; migration 000009), and rows
/// for an item deleted meanwhile are never written.
async fn deleting_items_or_a_source_takes_their_rows_along(backend: Backend) {
    use crossfeed::store::StoreError;
    use crossfeed::store::item_topics;
    use crossfeed::store::schema::{item_tags as tag_rows, item_topics as topic_rows};
    use crossfeed::store::schema::{items as item_rows, sources as source_rows};
    use diesel::prelude::*;
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let batch: Vec<Classified> = (1..=3)
        .map(|n| {
            classified(
                item(&format!("d{n}"), &format!("Shopee 大促 {n}"), n),
                topic("shopee", "Shopee"),
            )
        })
        .collect();
    store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    let rows = |store: &Store| {
        store
            .with_conn(|c| {
                Ok::<_, StoreError>((
                    item_rows::table.count().get_result::<i64>(c)?,
                    topic_rows::table.count().get_result::<i64>(c)?,
                    tag_rows::table.count().get_result::<i64>(c)?,
                ))
            })
            .unwrap()
    };
    // Three items, each with one topic and two tags (a category and the topic's keyword).
    assert_eq!(rows(&store), (3, 3, 6));
    let id_of = |store: &Store, identity: &str| {
        store
            .with_conn(|c| {
                Ok::<_, StoreError>(
                    item_rows::table
                        .filter(item_rows::identity.eq(identity))
                        .select(item_rows::id)
                        .first::<i64>(c)?,
                )
            })
            .unwrap()
    };
    let (d1, d2) = (id_of(&store, "d1"), id_of(&store, "d2"));

    // One item deleted, as retention deletes them: its rows go with it, the others stay.
    store
        .with_conn(|c| {
            Ok::<_, StoreError>(
                diesel::delete(item_rows::table.filter(item_rows::id.eq(d1))).execute(c)?,
            )
        })
        .unwrap();
    assert_eq!(rows(&store), (2, 2, 4));

    // Topics rewritten (as reclassify does) for a deleted item and a live one: only the live
    // one gets rows.
    let at = now.naive_utc();
    let topics = topic("lazada", "Lazada");
    store
        .with_conn(|c| {
            item_topics::replace_many(c, &[links(d1, at, &topics), links(d2, at, &topics)])
        })
        .unwrap();
    let topic_items = store
        .with_conn(|c| {
            Ok::<_, StoreError>(
                topic_rows::table
                    .filter(topic_rows::topic.eq("lazada"))
                    .select(topic_rows::item_id)
                    .load::<i64>(c)?,
            )
        })
        .unwrap();
    assert_eq!(topic_items, vec![d2]);
    let tags = [tag("东南亚", TagKind::Keyword)];
    store
        .with_conn(|c| {
            item_tags::replace_many(c, &[links(d1, at, &tags[..]), links(d2, at, &tags[..])])
        })
        .unwrap();
    assert_eq!(rows(&store), (2, 2, 3), "d2 has one tag now, d1 none");

    // The source deleted by hand: its items and all their rows go; a poll recorded for it
    // afterwards finds it gone.
    store
        .with_conn(|c| {
            Ok::<_, StoreError>(
                diesel::delete(source_rows::table.filter(source_rows::id.eq("s"))).execute(c)?,
            )
        })
        .unwrap();
    assert_eq!(rows(&store), (0, 0, 0));
    let present = store
        .with_conn(|c| {
            sources::record_fetch(
                c,
                "s",
                "worker",
                now,
                now + Duration::minutes(10),
                &sources::FetchRecord::NotModified { moved_to: None },
            )
        })
        .unwrap();
    assert!(!present);
}
on_both_backends!(
    deleting_items_or_a_source_takes_their_rows_along,
    deleting_items_or_a_source_takes_their_rows_along
);

async fn retention_deletes_old_items_but_never_one_a_feed_still_shows(backend: Backend) {
    use crossfeed::store::retention::{FEED_WINDOW, Policy, prune_batch};
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let day = |n: i64| n * 24;
    // 250 TikTok items, one a day; 3 much older items in a quiet topic.
    let mut batch: Vec<Classified> = (1..=250)
        .map(|n| {
            classified(
                item(&format!("t{n}"), &format!("TikTok {n}"), day(n)),
                topic("tiktok", "TikTok"),
            )
        })
        .collect();
    batch.extend((1..=3).map(|n| {
        classified(
            item(&format!("q{n}"), &format!("Quiet {n}"), day(400 + n)),
            topic("quiet", "quiet"),
        )
    }));
    store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    let count = |store: &Store| {
        store
            .with_conn(|c| items::count_for_source(c, "s"))
            .unwrap()
    };
    assert_eq!(count(&store), 253);

    // Off: nothing happens.
    let off = Policy::default();
    assert_eq!(
        store.with_conn(|c| prune_batch(c, &off, now, 100)).unwrap(),
        0
    );

    // Older than 100 days goes, in batches — except what a feed still shows: the newest 200
    // TikTok items are the tiktok feed's window, and the quiet topic's three are all it has.
    let policy = Policy {
        max_age: Some(std::time::Duration::from_secs(100 * 86_400)),
        max_items_per_source: None,
    };
    let mut deleted = Vec::new();
    loop {
        let n = store
            .with_conn(|c| prune_batch(c, &policy, now, 20))
            .unwrap();
        if n == 0 {
            break;
        }
        assert!(n <= 20, "batches are bounded");
        deleted.push(n);
    }
    assert_eq!(deleted.iter().sum::<usize>(), 50, "{deleted:?}");
    assert_eq!(count(&store), 203);
    let tiktok = store
        .with_conn(|c| items::newest_ids(c, Some("tiktok"), None, 1000))
        .unwrap();
    assert_eq!(tiktok.len(), FEED_WINDOW as usize);
    let quiet = store
        .with_conn(|c| items::newest_ids(c, Some("quiet"), None, 10))
        .unwrap();
    assert_eq!(quiet.len(), 3, "a quiet topic keeps its items however old");

    // A cap per source: still nothing inside a window goes.
    let capped = Policy {
        max_age: None,
        max_items_per_source: Some(200),
    };
    assert_eq!(
        store
            .with_conn(|c| prune_batch(c, &capped, now, 500))
            .unwrap(),
        0
    );
}
on_both_backends!(
    retention_deletes_old_items_but_never_one_a_feed_still_shows,
    retention_deletes_old_items_but_never_one_a_feed_still_shows
);

/// Every column of a new item reads back as written, on both backends (Postgres takes new
/// items by binary `COPY`, SQLite by multi-row INSERTs): a full item, and one with every
/// optional value missing.
async fn a_new_item_reads_back_column_for_column(backend: Backend) {
    use crossfeed::domain::signature::Sketch;
    use crossfeed::domain::{Enclosure, Signature};
    use crossfeed::store::DbConn;
    use crossfeed::store::schema::items as cols;
    use diesel::prelude::*;

    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let at = |rfc: &str| chrono::DateTime::parse_from_rfc3339(rfc).unwrap().to_utc();
    let full = Item {
        id: "full".into(),
        guid: Some("urn:guid:1 \"引号\"".into()),
        title: Some("Shopee 马来西亚站 11.11 大促：卖家须知 'quotes' \\ back".into()),
        link: Some("https://news.example.cn/a/1?x=1&y=2".into()),
        published: Some(at("2026-11-20T08:30:15.123456Z")),
        updated: Some(at("2026-11-21T01:02:03Z")),
        authors: vec!["李雷".into(), "Han Meimei".into()],
        summary: Some("<p>摘要 &amp; summary</p>".into()),
        content: Some("<p>正文\n第二行\t制表 😀 𠀀</p>".into()),
        categories: vec!["跨境".into(), "Shopee".into()],
        language: Some("zh-CN".into()),
        enclosures: vec![Enclosure {
            url: "https://cdn.example.cn/a.mp3".into(),
            mime_type: Some("audio/mpeg".into()),
            length: Some(123_456),
        }],
        image: Some("https://cdn.example.cn/a.jpg".into()),
    };
    let sparse = Item {
        id: "sparse".into(),
        guid: None,
        title: None,
        link: None,
        published: None,
        updated: None,
        authors: vec![],
        summary: None,
        content: None,
        categories: vec![],
        language: None,
        enclosures: vec![],
        image: None,
    };
    let signature = Signature {
        body: Sketch {
            values: std::array::from_fn(|i| (i as u32).wrapping_mul(0x9e37_79b9)),
            size: Some(512),
        },
        lead: Some(Sketch {
            values: std::array::from_fn(|i| (i as u32).wrapping_mul(0x85eb_ca6b)),
            size: Some(150),
        }),
    };
    let mut first = classified(full.clone(), topic("shopee", "Shopee"));
    first.canonical_link = Some("https://news.example.cn/a/1".into());
    first.signature = Some(signature.clone());
    let second = classified(sparse.clone(), vec![]);
    let counts = store
        .with_conn(|c| upsert(c, "s", &[first, second], now))
        .unwrap();
    assert_eq!(counts.new, 2);

    let stored = latest(
        &store,
        ItemQuery {
            limit: 10,
            ..ItemQuery::default()
        },
    );
    let by_id = |id: &str| stored.iter().find(|s| s.item.id == id).unwrap();
    let (f, s) = (by_id("full"), by_id("sparse"));
    assert_eq!(f.item, full);
    assert_eq!(s.item, sparse);
    assert_eq!(f.sort_at, full.published.unwrap());
    assert!(!f.date_is_first_seen);
    assert!(s.date_is_first_seen);
    let micros = |t: chrono::DateTime<Utc>| t.timestamp_micros();
    assert_eq!(micros(s.sort_at), micros(now));
    assert_eq!(micros(f.first_seen_at), micros(now));
    assert_eq!(micros(f.changed_at), micros(now));
    assert_eq!(f.topics, topic("shopee", "Shopee"));
    assert_eq!(f.tags.len(), 2);
    assert!(s.topics.is_empty());
    assert_ne!(f.id, s.id);

    type Hidden = (
        Option<String>,
        Option<String>,
        Option<chrono::NaiveDateTime>,
        Option<i64>,
    );
    let hidden = |id: i64| -> Hidden {
        store
            .with_conn(|c| {
                let query = cols::table.find(id).select((
                    cols::canonical_link,
                    cols::signature,
                    cols::keywords_at,
                    cols::cluster_id,
                ));
                Ok(match c {
                    DbConn::Pg(c) => query.first::<Hidden>(c)?,
                    DbConn::Sqlite(c) => query.first::<Hidden>(c)?,
                })
            })
            .unwrap()
    };
    assert_eq!(
        hidden(f.id.get()),
        (
            Some("https://news.example.cn/a/1".into()),
            Some(signature.to_hex()),
            None,
            None
        )
    );
    assert_eq!(hidden(s.id.get()), (None, None, None, None));
    // Read back, the stored values give the same content hash: the next poll sees no change.
    let again = store
        .with_conn(|c| upsert(c, "s", &[classified(full.clone(), vec![])], now))
        .unwrap();
    assert_eq!(again.unchanged, 1);
}
on_both_backends!(
    a_new_item_reads_back_column_for_column,
    a_new_item_reads_back_column_for_column
);

/// A poll's new items go in through fixed-size INSERTs (16, then 8, 4, 2, 1): 23 items take
/// one of each but 8, and every item must get its own row, id and topics.
async fn new_items_of_any_count_each_get_their_own_row(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let now = Utc::now();
    let batch: Vec<Classified> = (0..23)
        .map(|n| {
            let slug = if n % 2 == 0 { "even" } else { "odd" };
            classified(
                item(&format!("n{n}"), &format!("第{n}条"), n),
                topic(slug, "x"),
            )
        })
        .collect();
    let counts = store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    assert_eq!((counts.new, counts.updated), (23, 0));
    let stored = latest(
        &store,
        ItemQuery {
            limit: 100,
            ..ItemQuery::default()
        },
    );
    assert_eq!(stored.len(), 23);
    for s in &stored {
        let n: i64 = s.item.id.trim_start_matches('n').parse().unwrap();
        assert_eq!(s.item.title.as_deref(), Some(format!("第{n}条").as_str()));
    }
    let even = latest(
        &store,
        ItemQuery {
            topic: Some("even".into()),
            limit: 100,
            ..ItemQuery::default()
        },
    );
    let mut ids: Vec<String> = even.iter().map(|s| s.item.id.clone()).collect();
    ids.sort_by_key(|id| id[1..].parse::<i64>().unwrap());
    let expected: Vec<String> = (0..23).step_by(2).map(|n| format!("n{n}")).collect();
    assert_eq!(ids, expected, "topics went to the right items");
    // The same poll again changes nothing.
    let again = store.with_conn(|c| upsert(c, "s", &batch, now)).unwrap();
    assert_eq!((again.new, again.unchanged), (0, 23));
}
on_both_backends!(
    new_items_of_any_count_each_get_their_own_row,
    new_items_of_any_count_each_get_their_own_row
);

/// One item's link rows, for the link tables' writers.
fn links<T: ?Sized>(
    item_id: i64,
    sort_at: chrono::NaiveDateTime,
    values: &T,
) -> crossfeed::store::locks::Links<'_, T> {
    crossfeed::store::locks::Links {
        item_id,
        sort_at,
        values,
    }
}

pub(crate) fn latest(store: &Store, query: ItemQuery) -> Vec<crossfeed::domain::StoredItem> {
    store.with_conn(|c| items::latest(c, &query)).unwrap()
}

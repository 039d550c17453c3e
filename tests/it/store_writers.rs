//! The store's writers and leases: group commit of queued writes (a failure stays alone), and
//! the poll leases several processes share (recorded, given up and renewed by their owner
//! only).

use crate::common::{self, Backend, TestDb};
use crate::store::{classified, item, latest, store_with_one_source, topic};
use chrono::{Duration, Utc};
use crossfeed::store::items::{self, ItemQuery};
use crossfeed::store::sources;

type Blocker = tokio::task::JoinHandle<Result<items::UpsertCounts, crossfeed::store::StoreError>>;

/// Occupy `n` writer slots of `batcher` with jobs that wait until released, one at a time
/// (so that each is its own batch).
async fn hold_writers(
    batcher: &crossfeed::store::batch::Batcher<items::UpsertCounts>,
    n: usize,
) -> (Vec<std::sync::mpsc::Sender<()>>, Vec<Blocker>) {
    let mut releases = Vec::new();
    let mut tasks = Vec::new();
    for _ in 0..n {
        let (release, held) = std::sync::mpsc::channel::<()>();
        let (started, mut running) = tokio::sync::mpsc::unbounded_channel::<()>();
        let b = batcher.clone();
        tasks.push(tokio::spawn(async move {
            b.write(move |_| {
                let _ = started.send(());
                held.recv().ok();
                Ok(items::UpsertCounts::default())
            })
            .await
        }));
        releases.push(release);
        // Wait until a writer runs the job. (Waiting for the queue to be empty instead raced:
        // the spawned task might not have queued its job yet, and the writes queued next then
        // went into the blocker's batch, so the caller waited forever for them to queue.)
        running.recv().await.expect("the blocking job runs");
    }
    (releases, tasks)
}

async fn release_writers(releases: Vec<std::sync::mpsc::Sender<()>>, tasks: Vec<Blocker>) {
    for r in releases {
        r.send(()).unwrap();
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

/// Group commit: writes queued while the writer is busy go in one transaction; a write that
/// fails in a batch fails alone, and the others still land.
async fn queued_writes_commit_together_and_a_failure_stays_alone(backend: Backend) {
    use crossfeed::store::StoreError;
    use crossfeed::store::batch::Batcher;

    let (_db, store) = store_with_one_source(backend);
    let batcher: Batcher<items::UpsertCounts> = Batcher::new(store.clone());
    let now = Utc::now();
    let write = |id: String, fail: bool| {
        let batcher = batcher.clone();
        let ready = vec![items::Ready::from(classified(
            item(&id, &format!("跨境资讯 {id}"), 1),
            topic("news", "跨境"),
        ))];
        async move {
            batcher
                .write(move |c| {
                    let counts = items::upsert_for_source(c, "s", &ready, now)?;
                    if fail {
                        return Err(StoreError::Corrupt("this write fails".into()));
                    }
                    Ok(counts)
                })
                .await
        }
    };

    let writers = if backend == Backend::Postgres { 2 } else { 1 };
    let (releases, blockers) = hold_writers(&batcher, writers).await;
    let before = batcher.transactions();
    let writes: Vec<_> = (0..40)
        .map(|i| tokio::spawn(write(format!("ok{i}"), false)))
        .collect();
    while batcher.queued() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    release_writers(releases, blockers).await;
    for w in writes {
        assert_eq!(w.await.unwrap().unwrap().new, 1);
    }
    // The blockers' own transactions, then the 40 queued writes in one.
    assert_eq!(
        batcher.transactions() - before,
        writers as u64 + 1,
        "40 queued writes should commit together"
    );

    // Now a failing write among good ones, all queued behind the blockers.
    let (releases, blockers) = hold_writers(&batcher, writers).await;
    let mut writes: Vec<_> = (0..10)
        .map(|i| tokio::spawn(write(format!("good{i}"), false)))
        .collect();
    writes.push(tokio::spawn(write("bad".into(), true)));
    while batcher.queued() < writes.len() {
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    release_writers(releases, blockers).await;
    let bad = writes.pop().unwrap().await.unwrap();
    assert!(
        matches!(&bad, Err(StoreError::Corrupt(m)) if m == "this write fails"),
        "{bad:?}"
    );
    for w in writes {
        assert_eq!(w.await.unwrap().unwrap().new, 1);
    }

    let stored = latest(
        &store,
        ItemQuery {
            limit: 100,
            ..ItemQuery::default()
        },
    );
    let ids: std::collections::HashSet<&str> = stored.iter().map(|s| s.item.id.as_str()).collect();
    assert_eq!(stored.len(), 50, "40 + 10 good writes, none of the bad one");
    assert!(!ids.contains("bad"));
    assert!(ids.contains("good9") && ids.contains("ok39"));
    assert!(
        stored.iter().all(|s| s.topics.len() == 1),
        "every item kept its topic"
    );
}

on_both_backends!(
    queued_writes_commit_together_and_a_failure_stays_alone,
    queued_writes_commit_together_and_a_failure_stays_alone
);

async fn recording_a_poll_releases_only_the_recorders_lease(backend: Backend) {
    let (_db, store) = store_with_one_source(backend);
    let t0 = Utc::now();
    let ids = ["s".to_owned()];
    let claim = |owner: &str, at: chrono::DateTime<Utc>, minutes: i64| {
        store
            .with_conn(|c| {
                sources::claim(
                    c,
                    owner,
                    sources::Claim::Ids(&ids),
                    at,
                    at + Duration::minutes(minutes),
                )
            })
            .unwrap()
            .len()
    };
    let record = |owner: &str, at: chrono::DateTime<Utc>| {
        let present = store
            .with_conn(|c| {
                sources::record_fetch(
                    c,
                    "s",
                    owner,
                    at,
                    at + Duration::minutes(10),
                    &sources::FetchRecord::NotModified { moved_to: None },
                )
            })
            .unwrap();
        assert!(present, "the source row is there");
    };

    // The holder records its poll: the lease is gone and anyone may claim at once.
    assert_eq!(claim("a", t0, 1), 1);
    assert_eq!(claim("b", t0, 1), 0, "leased to a");
    record("a", t0);
    assert_eq!(claim("b", t0, 1), 1, "a's poll released it");

    // b's lease runs out and c claims; b's late record must not free c's lease.
    let later = t0 + Duration::minutes(2);
    assert_eq!(claim("c", later, 5), 1);
    record("b", later);
    let rows = store.with_conn(sources::list).unwrap();
    assert_eq!(
        rows[0].last_status,
        Some(304),
        "the late poll is still recorded"
    );
    assert_eq!(claim("d", later, 5), 0, "c still holds it");
}
on_both_backends!(
    recording_a_poll_releases_only_the_recorders_lease,
    recording_a_poll_releases_only_the_recorders_lease
);

async fn a_leaving_process_gives_up_only_its_own_leases(backend: Backend) {
    let db = TestDb::new(backend);
    let config = common::config(
        &db,
        "  - id: a\n    url: https://a.example.com/rss\n  - id: b\n    url: https://b.example.com/rss\n",
    );
    let store = db.store();
    let now = Utc::now();
    store
        .with_conn(|c| sources::sync_from_config(c, &config.sources, now))
        .unwrap();
    let claim = |owner: &str, id: &str| {
        let ids = [id.to_owned()];
        store
            .with_conn(|c| {
                sources::claim(
                    c,
                    owner,
                    sources::Claim::Ids(&ids),
                    now,
                    now + Duration::minutes(5),
                )
            })
            .unwrap()
            .len()
    };
    assert_eq!((claim("p1", "a"), claim("p2", "b")), (1, 1));
    let released = store.with_conn(|c| sources::release_all(c, "p1")).unwrap();
    assert_eq!(released, 1);
    assert_eq!(claim("p3", "a"), 1, "p1's source is free at once");
    assert_eq!(claim("p3", "b"), 0, "p2 keeps its lease");
}
on_both_backends!(
    a_leaving_process_gives_up_only_its_own_leases,
    a_leaving_process_gives_up_only_its_own_leases
);

/// A running poll extends its own lease, and only its own: once the lease was given up or
/// taken over, renewing fails and the poll learns that its result will be dropped.
async fn a_running_poll_renews_only_its_own_lease(backend: Backend) {
    let db = TestDb::new(backend);
    let config = common::config(&db, "  - id: a\n    url: https://a.example.com/rss\n");
    let store = db.store();
    let now = Utc::now();
    store
        .with_conn(|c| sources::sync_from_config(c, &config.sources, now))
        .unwrap();
    let ids = ["a".to_owned()];
    let claimed = store
        .with_conn(|c| {
            sources::claim(
                c,
                "p1",
                sources::Claim::Ids(&ids),
                now,
                now + Duration::seconds(1),
            )
        })
        .unwrap();
    assert_eq!(claimed.len(), 1);
    let later = now + Duration::minutes(10);
    assert!(
        store
            .with_conn(|c| sources::renew_lease(c, "a", "p1", later))
            .unwrap()
    );
    let row = store
        .with_conn(sources::list)
        .unwrap()
        .into_iter()
        .find(|r| r.id == "a")
        .unwrap();
    let until = row.lease_until.unwrap().and_utc();
    assert!(
        (until - later).num_seconds().abs() <= 1,
        "{until} vs {later}"
    );
    // After the old lease time has passed, the renewed lease still keeps others out.
    let retry = now + Duration::seconds(5);
    let taken = store
        .with_conn(|c| {
            sources::claim(
                c,
                "p2",
                sources::Claim::Ids(&ids),
                retry,
                retry + Duration::minutes(5),
            )
        })
        .unwrap();
    assert!(taken.is_empty(), "a renewed lease is not claimable");
    assert!(
        !store
            .with_conn(|c| sources::renew_lease(c, "a", "p2", later))
            .unwrap()
    );
    store.with_conn(|c| sources::release_all(c, "p1")).unwrap();
    assert!(
        !store
            .with_conn(|c| sources::renew_lease(c, "a", "p1", later))
            .unwrap(),
        "a lease given up is not renewed"
    );
}
on_both_backends!(
    a_running_poll_renews_only_its_own_lease,
    a_running_poll_renews_only_its_own_lease
);

//! Recommended reading on a labelled set: seven themes told of each platform in near the same
//! words, headlines and full texts, and two false friends of the Amazon topic; under each
//! article, on-topic items come first and the false friends never appear.

use std::time::Duration;

use crate::common::{Backend, TestApp, TestDb, Upstream};
use crate::discovery::{Entry, config, json, rss, serve};
use serde_json::Value;

/// A labelled set for recommended reading: cross-border news whose topic is known (the three
/// test topics), in seven themes told once of each platform in near the same words (a fee rise,
/// a sale's sign-up, live shopping, …). Under any article the two items of its theme from the
/// other platforms are the most alike in text, and its own topic's items share few words with
/// it: text similarity alone fills two of five places off topic. Two false friends of the
/// Amazon topic (the river) are worded as the fee-rise theme is. Each entry has a headline and a
/// full text; `full` picks the text as the item's body, else the headline alone is.
fn labelled_related_entries(full: bool) -> Vec<Entry> {
    let e = |guid, title, body: &'static str| Entry {
        guid,
        title,
        body: if full { body } else { title },
        hours_ago: 1 + i64::from(guid.as_bytes()[1] - b'0'),
        link: "",
    };
    vec![
        // Fulfilment fees go up.
        e(
            "a1",
            "亚马逊上调配送费，卖家物流成本上升",
            "亚马逊宣布下月起上调配送费，按重量分档计费，卖家物流成本随之上升，旺季前需要重新核算定价和利润。",
        ),
        e(
            "t1",
            "TikTok Shop上调配送费，卖家物流成本上升",
            "TikTok Shop宣布下月起上调配送费，按重量分档计费，卖家物流成本随之上升，需要重新核算定价。",
        ),
        e(
            "l1",
            "Lazada上调配送费，卖家物流成本上升",
            "Lazada宣布下月起上调配送费，配送费按重量分档计费，卖家物流成本上升，平台建议提前核算定价。",
        ),
        // Fulfilment fees in Europe.
        e(
            "a2",
            "Amazon raises fulfilment fees for sellers in Europe",
            "Amazon raises fulfilment fees for sellers in Europe from next month; small and light parcels cost more to ship and store.",
        ),
        e(
            "t2",
            "TikTok Shop raises fulfilment fees for sellers in Europe",
            "TikTok Shop raises fulfilment fees for European sellers next quarter; parcels cost more to ship and store.",
        ),
        e(
            "l2",
            "Lazada raises fulfilment fees for cross-border sellers",
            "Lazada raises fulfilment fees for cross-border sellers next month, so parcels cost more to ship and store.",
        ),
        // A sale's sign-up opens.
        e(
            "a3",
            "亚马逊年终大促报名开启，卖家需提交折扣",
            "亚马逊年终大促开始接受报名，参加的卖家需提交不低于两成的折扣，报名截止前可修改秒杀价格。",
        ),
        e(
            "t3",
            "TikTok Shop年终大促报名开启，卖家需提交折扣",
            "TikTok Shop年终大促开始接受报名，卖家需提交不低于两成的折扣，报名截止前可修改价格。",
        ),
        e(
            "l3",
            "Lazada双十二大促报名开启，卖家需提交折扣",
            "Lazada双十二大促开始接受报名，卖家需提交不低于两成的折扣，报名截止前可修改大促价格。",
        ),
        // Live shopping.
        e(
            "a4",
            "Amazon tests live shopping with creators in Japan",
            "Amazon starts live shopping trials in Japan, where creators host streams and viewers buy without leaving the broadcast.",
        ),
        e(
            "t4",
            "TikTok Shop tests live shopping with creators in Japan",
            "TikTok Shop starts live shopping trials in Japan, with creators hosting streams that viewers can buy from.",
        ),
        e(
            "l4",
            "Lazada tests live shopping with creators in Vietnam",
            "Lazada starts live shopping trials in Vietnam, where creators host streams and viewers buy while watching.",
        ),
        // An AI listing assistant.
        e(
            "a5",
            "Amazon tests AI assistant that writes product listings",
            "Amazon tests an AI assistant that writes product listings from a few photos and suggests keywords for the title.",
        ),
        e(
            "t5",
            "TikTok Shop tests AI assistant that writes product listings",
            "TikTok Shop tests an AI assistant that writes product listings from photos and suggests titles.",
        ),
        e(
            "l5",
            "Lazada tests AI assistant that writes product listings",
            "Lazada tests an AI assistant that writes product listings from photos, with keywords for the title.",
        ),
        // A local warehouse opens.
        e(
            "a6",
            "亚马逊日本站本地仓投入使用，时效缩短两天",
            "亚马逊日本站新建的本地仓投入使用，跨境卖家可提前备货入仓，订单送达时效缩短两天。",
        ),
        e(
            "t6",
            "TikTok Shop菲律宾本地仓投入使用，时效缩短两天",
            "TikTok Shop在菲律宾的本地仓投入使用，卖家可提前备货入仓，订单送达时效缩短两天。",
        ),
        e(
            "l6",
            "Lazada菲律宾站本地仓投入使用，时效缩短两天",
            "Lazada菲律宾站本地仓投入使用，跨境卖家提前备货入仓后，送达时效缩短两天。",
        ),
        // Brands invited in.
        e(
            "a7",
            "亚马逊面向品牌开放招商通道，提供流量扶持",
            "亚马逊面向品牌开放招商通道，招商经理一对一对接，新入驻品牌可获得三个月流量扶持。",
        ),
        e(
            "t7",
            "TikTok Shop面向品牌开放招商通道，提供流量扶持",
            "TikTok Shop面向品牌开放招商通道，新入驻品牌可获得三个月流量扶持和招商经理对接。",
        ),
        e(
            "l7",
            "Lazada面向品牌开放招商通道，提供流量扶持",
            "LazMall面向品牌开放招商通道，Lazada为新入驻品牌提供三个月流量扶持。",
        ),
        // False friends of the Amazon topic, worded as its fee-rise articles are.
        e(
            "f1",
            "Amazon River low water raises freight fees for sellers",
            "Traders along the Amazon River pay higher freight fees as low water slows barges; sellers in Manaus raise prices.",
        ),
        e(
            "f2",
            "亚马逊河水位下降，沿岸卖家物流成本上升",
            "亚马逊河流域干旱，驳船停航，沿岸卖家物流成本上升，部分商户上调配送费。",
        ),
    ]
}

/// Over every article with a topic, at least 90% of its recommendations share a topic with it,
/// and no recommendation is a false friend of the Amazon topic. The share is printed
/// (`--nocapture`).
async fn related_reading_stays_on_topic_and_off_false_friends(backend: Backend) {
    for full in [false, true] {
        related_reading_on_labelled_set(backend, full).await;
    }
}

async fn related_reading_on_labelled_set(backend: Backend, full: bool) {
    let db = TestDb::new(backend);
    let upstream = Upstream::start().await;
    let mut entries = labelled_related_entries(full);
    let links: Vec<String> = entries
        .iter()
        .map(|e| format!("https://labelled.example/{}", e.guid))
        .collect();
    for (e, link) in entries.iter_mut().zip(&links) {
        e.link = Box::leak(link.clone().into_boxed_str());
    }
    serve(&upstream, "/wire.rss", rss("Labelled", &entries)).await;
    serve(&upstream, "/daily.rss", rss("Empty", &[])).await;
    let app = TestApp::spawn(config(&db, &upstream, "1h")).await;
    app.wait_for_first_polls().await;
    // Wait for the search index (related reading reads candidates through it).
    let mut all = Value::Null;
    for _ in 0..300 {
        all = json(&app, "/api/items?limit=200").await;
        let searchable = json(&app, "/api/search?q=%E5%8D%96%E5%AE%B6&limit=100").await; // 卖家
        if all["items"].as_array().unwrap().len() == entries.len()
            && searchable["total"].as_u64() >= Some(7)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), entries.len());
    let topics_of = |v: &Value| -> Vec<String> {
        v["topics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["slug"].as_str().unwrap().to_owned())
            .collect()
    };
    let false_friends: Vec<i64> = items
        .iter()
        .filter(|i| i["url"].as_str().unwrap().contains("example/f"))
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert_eq!(false_friends.len(), 2);
    let (mut shared, mut total) = (0, 0);
    for item in items.iter().filter(|i| !topics_of(i).is_empty()) {
        let id = item["id"].as_i64().unwrap();
        let mine = topics_of(item);
        let related = json(&app, &format!("/api/items/{id}/related?limit=5")).await;
        let related = related["items"].as_array().unwrap();
        assert!(!related.is_empty(), "{}", item["title"]);
        for r in related {
            total += 1;
            if topics_of(r).iter().any(|t| mine.contains(t)) {
                shared += 1;
            }
            if mine.contains(&"amazon".to_owned()) {
                assert!(
                    !false_friends.contains(&r["id"].as_i64().unwrap()),
                    "{} recommended under {}",
                    r["title"],
                    item["title"]
                );
            }
        }
    }
    // Past what the topic can fill, other items fill the places; never a false friend.
    for item in items
        .iter()
        .filter(|i| topics_of(i).contains(&"amazon".to_owned()))
    {
        let id = item["id"].as_i64().unwrap();
        let related = json(&app, &format!("/api/items/{id}/related?limit=12")).await;
        for r in related["items"].as_array().unwrap() {
            assert!(
                !false_friends.contains(&r["id"].as_i64().unwrap()),
                "{} recommended under {}",
                r["title"],
                item["title"]
            );
        }
    }
    let share = f64::from(shared) / f64::from(total);
    let text = if full { "full text" } else { "headlines" };
    println!(
        "related reading ({text}): {shared} of {total} recommendations share a topic ({share:.3})"
    );
    assert!(share >= 0.9, "{share:.3}");
    app.stop().await;
}
on_both_backends!(
    related_reading_stays_on_topic_and_off_false_friends,
    related_reading_stays_on_topic_and_off_false_friends
);

//! Articles behind items, for sources with `full_content`: which are due to be fetched, and
//! what came of it. An item is due when `article_due_at` has passed; a claim moves that time a
//! lease ahead, so that another process (or the next run) does not fetch the same article while
//! this one works, and a process that dies leaves the claim to run out.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::locks::load_claimed;
use super::schema::{item_bands, items, sources};
use super::{DbConn, StoreError};

/// An article to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    pub item_id: i64,
    pub source_id: String,
    pub link: String,
    /// The source's configured URL: its host is the one the operator vouched for.
    pub source_url: String,
    /// The source's `full_content` (`auto` or `css:<selector>`).
    pub full_content: String,
    /// The source's time zone (IANA name), for dates on the article page that carry none.
    pub timezone: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// How many articles a claim may take of each host: `per_host` at once, less those of the host
/// already being fetched (`in_flight`, by lowercase host name).
#[derive(Debug, Clone, Default)]
pub struct HostShare {
    pub per_host: usize,
    pub in_flight: std::collections::HashMap<String, usize>,
}

impl HostShare {
    /// The host an article link is fetched from.
    pub fn host_of(link: &str) -> String {
        url::Url::parse(link)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
            .unwrap_or_default()
    }
}

/// Claim up to `limit` due articles, oldest due first, at most `per_source` of any one source
/// (so that a cold start of a big source does not send a burst of requests to one host) and no
/// more of a host than `hosts` leaves room for (so that a slow host's articles wait for that
/// host, not for every other one), and move their due time to `lease_until`.
pub fn claim(
    conn: &mut DbConn,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    (limit, per_source): (usize, usize),
    hosts: &HostShare,
) -> Result<Vec<Due>, StoreError> {
    let now = now.naive_utc();
    super::transaction(conn, |conn| {
        // Rows beyond what one run takes are read and passed over; a few times the limit is
        // enough for the per-source cap to find other sources' articles.
        let scan = i64::try_from(limit.saturating_mul(8)).unwrap_or(i64::MAX);
        let full_content_sources = sources::table
            .filter(sources::full_content.is_not_null())
            .select(sources::id);
        let candidates = items::table
            .filter(items::article_due_at.le(now))
            .filter(items::source_id.eq_any(full_content_sources))
            .filter(items::link.is_not_null())
            .order(items::article_due_at.asc())
            .limit(scan)
            .select((
                items::id,
                items::source_id,
                items::link.assume_not_null(),
                items::article_attempts,
            ));
        type Row = (i64, String, String, i32);
        // Only the item rows are locked: a poll holds its source's row while it writes.
        let rows: Vec<Row> = load_claimed!(conn, candidates)?;
        type Settings = (String, String, String);
        let settings: std::collections::HashMap<String, Settings> = sources::table
            .filter(sources::full_content.is_not_null())
            .select((
                sources::id,
                sources::url,
                sources::full_content.assume_not_null(),
                sources::timezone,
            ))
            .load::<(String, String, String, String)>(conn)?
            .into_iter()
            .map(|(id, url, how, tz)| (id, (url, how, tz)))
            .collect();
        let mut per: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        let mut per_host = hosts.in_flight.clone();
        let mut chosen = Vec::new();
        for (item_id, source_id, link, attempts) in rows {
            let Some((source_url, full_content, timezone)) = settings.get(&source_id).cloned()
            else {
                continue;
            };
            let n = per.entry(source_id.clone()).or_default();
            let on_host = per_host.entry(HostShare::host_of(&link)).or_default();
            if *n >= per_source || *on_host >= hosts.per_host.max(1) || chosen.len() >= limit {
                continue;
            }
            *n += 1;
            *on_host += 1;
            chosen.push(Due {
                item_id,
                source_id,
                link,
                source_url,
                full_content,
                timezone,
                attempts,
            });
        }
        let ids: Vec<i64> = chosen.iter().map(|d| d.item_id).collect();
        if !ids.is_empty() {
            diesel::update(items::table.filter(items::id.eq_any(&ids)))
                .set(items::article_due_at.eq(Some(lease_until.naive_utc())))
                .execute(conn)?;
        }
        Ok(chosen)
    })
}

/// Store `article` (sanitized HTML) for `item_id`: it is shown as the item's content from now
/// on, the item counts as changed, and the keyword job indexes the new text. `published`, the
/// date the article page gives, fills in an item that has none (its list showed no date); it
/// never replaces one, and the item stays filed where it was first seen. False when the item
/// is gone. Run it in the transaction that also rewrites the item's topics, and touch
/// [`meta::touch_items`] at its end, so that no reader sees the item between the two.
pub fn store(
    conn: &mut DbConn,
    item_id: i64,
    article: &str,
    published: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let published = published
        .and_then(crate::domain::instant::storable)
        .filter(|p| *p <= now + chrono::Duration::days(1));
    if let Some(published) = published.map(|p| p.naive_utc()) {
        diesel::update(
            items::table
                .find(item_id)
                .filter(items::published.is_null()),
        )
        .set(items::published.eq(Some(published)))
        .execute(conn)?;
    }
    let now = now.naive_utc();
    let n = diesel::update(items::table.find(item_id))
        .set((
            items::article.eq(Some(article)),
            items::article_due_at.eq(None::<NaiveDateTime>),
            items::article_attempts.eq(items::article_attempts + 1),
            items::article_error.eq(None::<String>),
            items::changed_at.eq(now),
            items::keywords_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)?;
    Ok(n > 0)
}

/// Give `item_id` the signature of its full text. An item that is a story of its own goes back
/// to the clustering job, which may now fold it into another story (a repost whose lead matched
/// the article, not the teaser) or make it a story again with the new signature's bands; an
/// item already part of a larger story stays where it is.
/// Run it in a transaction.
pub fn resign(conn: &mut DbConn, item_id: i64, signature: Option<&str>) -> Result<(), StoreError> {
    {
        diesel::update(items::table.find(item_id))
            .set(items::signature.eq(signature))
            .execute(conn)?;
        let cluster: Option<Option<i64>> = items::table
            .find(item_id)
            .select(items::cluster_id)
            .first(conn)
            .optional()?;
        if cluster != Some(Some(item_id)) {
            return Ok(());
        }
        let others: i64 = items::table
            .filter(items::cluster_id.eq(item_id))
            .filter(items::id.ne(item_id))
            .count()
            .get_result(conn)?;
        if others == 0 {
            diesel::delete(item_bands::table.filter(item_bands::item_id.eq(item_id)))
                .execute(conn)?;
            diesel::update(items::table.find(item_id))
                .set(items::cluster_id.eq(None::<i64>))
                .execute(conn)?;
        }
        Ok(())
    }
}

/// Record a failed attempt: try again at `retry_at`, or, given None, give up (the item keeps
/// its summary).
pub fn failed(
    conn: &mut DbConn,
    item_id: i64,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<(), StoreError> {
    diesel::update(items::table.find(item_id))
        .set((
            items::article_due_at.eq(retry_at.map(|t| t.naive_utc())),
            items::article_attempts.eq(items::article_attempts + 1),
            items::article_error.eq(Some(error)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Per source: how many items' articles failed (and are not fetched since), with the latest
/// error.
pub fn failures_by_source(
    conn: &mut DbConn,
) -> Result<std::collections::HashMap<String, (i64, String)>, StoreError> {
    let rows: Vec<(String, i64, String)> = items::table
        .filter(items::article_error.is_not_null())
        .order((items::source_id, items::id.desc()))
        .select((
            items::source_id,
            items::id,
            items::article_error.assume_not_null(),
        ))
        .load(conn)?;
    let mut out: std::collections::HashMap<String, (i64, String)> =
        std::collections::HashMap::new();
    for (source, _, error) in rows {
        out.entry(source)
            .and_modify(|(n, _)| *n += 1)
            .or_insert((1, error));
    }
    Ok(out)
}

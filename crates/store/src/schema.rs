// @generated automatically by Diesel CLI (`diesel print-schema` against the Postgres migrations;
// the SQLite migrations create the same tables with the same column types).

diesel::table! {
    fetch_log (id) {
        id -> Int8,
        source_id -> Text,
        started_at -> Timestamp,
        duration_ms -> Int8,
        outcome -> Text,
        status -> Nullable<Int4>,
        bytes -> Int8,
        items_new -> Int4,
        items_updated -> Int4,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    item_topics (item_id, topic) {
        item_id -> Int8,
        topic -> Text,
        matched -> Text,
        sort_at -> Timestamp,
    }
}

diesel::table! {
    item_tags (item_id, tag) {
        item_id -> Int8,
        tag -> Text,
        label -> Text,
        kind -> Text,
        sort_at -> Timestamp,
    }
}

diesel::table! {
    item_bands (band, item_id) {
        band -> Int8,
        item_id -> Int8,
    }
}

diesel::table! {
    item_stats (item_id) {
        item_id -> Int8,
        views -> Int8,
        heat_day -> Float8,
        heat_week -> Float8,
        last_view_at -> Timestamp,
    }
}

diesel::table! {
    search_queries (query, hour) {
        query -> Text,
        hour -> Timestamp,
        count -> Int8,
    }
}

diesel::table! {
    meta (key) {
        key -> Text,
        value -> Text,
    }
}

diesel::table! {
    items (id) {
        id -> Int8,
        source_id -> Text,
        identity -> Text,
        guid -> Nullable<Text>,
        title -> Nullable<Text>,
        link -> Nullable<Text>,
        published -> Nullable<Timestamp>,
        updated -> Nullable<Timestamp>,
        sort_at -> Timestamp,
        date_is_first_seen -> Bool,
        authors -> Text,
        summary -> Nullable<Text>,
        content -> Nullable<Text>,
        categories -> Text,
        language -> Nullable<Text>,
        enclosures -> Text,
        content_hash -> Text,
        first_seen_at -> Timestamp,
        changed_at -> Timestamp,
        image -> Nullable<Text>,
        keywords_at -> Nullable<Timestamp>,
        canonical_link -> Nullable<Text>,
        signature -> Nullable<Text>,
        cluster_id -> Nullable<Int8>,
        article -> Nullable<Text>,
        article_due_at -> Nullable<Timestamp>,
        article_attempts -> Int4,
        article_error -> Nullable<Text>,
    }
}

diesel::table! {
    sources (id) {
        id -> Text,
        url -> Text,
        title -> Nullable<Text>,
        feed_title -> Nullable<Text>,
        site_url -> Nullable<Text>,
        schedule -> Text,
        timezone -> Text,
        tags -> Text,
        enabled -> Bool,
        disabled_reason -> Nullable<Text>,
        next_fetch_at -> Timestamp,
        last_fetch_at -> Nullable<Timestamp>,
        last_success_at -> Nullable<Timestamp>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
        error_count -> Int4,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        fetch_url -> Nullable<Text>,
        etag -> Nullable<Text>,
        last_modified -> Nullable<Text>,
        lease_owner -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        last_warning -> Nullable<Text>,
        page -> Nullable<Text>,
        full_content -> Nullable<Text>,
        detected_page -> Nullable<Text>,
    }
}

diesel::joinable!(fetch_log -> sources (source_id));
diesel::joinable!(item_topics -> items (item_id));
diesel::joinable!(item_tags -> items (item_id));
diesel::joinable!(item_bands -> items (item_id));
diesel::joinable!(items -> sources (source_id));
diesel::joinable!(item_stats -> items (item_id));

diesel::allow_tables_to_appear_in_same_query!(
    fetch_log,
    item_bands,
    item_stats,
    item_tags,
    item_topics,
    items,
    meta,
    search_queries,
    sources,
);

//! Keyset paging: a walk over rows ordered by (time, id) goes on from the last row it showed
//! rather than by an offset, so that a page stays right while rows arrive above it and costs
//! as many rows as it shows however deep it is. One condition, written once, for every walk.

/// The rows a walk ordered by `($at, $id)` reaches after the row `($after_at, $after_id)`:
/// with `desc`, a newest-first walk (an older time, or the same time and a smaller id); with
/// `asc`, an oldest-first one. The columns may be any table's (the link tables copy the item's
/// sort time so that a topic's walk follows its own index).
macro_rules! keyset_after {
    (desc, $at:expr, $id:expr, $after_at:expr, $after_id:expr) => {{
        let (at, id) = ($after_at, $after_id);
        $at.lt(at).or($at.eq(at).and($id.lt(id)))
    }};
    (asc, $at:expr, $id:expr, $after_at:expr, $after_id:expr) => {{
        let (at, id) = ($after_at, $after_id);
        $at.gt(at).or($at.eq(at).and($id.gt(id)))
    }};
}
pub(crate) use keyset_after;

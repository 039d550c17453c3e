//! The allocator's settings for a long-running server. mimalloc's defaults favour speed over
//! memory: freed pages are handed back to the system only after a second, arenas are committed
//! eagerly and transparent huge pages are allowed, so a server under steady load kept growing
//! (141 → 486 MiB in a 10-minute soak). Huge pages are off at build time (the crate's `no_thp`
//! feature: mimalloc applies that option only while it starts, before `main`); the other two
//! are set here. With freed memory returned at once and lazy commit it stays near what glibc's
//! malloc used in the same soak, at the same request rate, while parsing keeps mimalloc's speed.

use libmimalloc_sys as sys;

/// mimalloc 3's option numbers (the order of `mi_option_e` in its `mimalloc.h`), for the options
/// the sys crate does not name. `defaults_are_where_expected` checks them against the defaults.
const ARENA_EAGER_COMMIT: sys::mi_option_t = 4;
const PURGE_DELAY: sys::mi_option_t = 15;

/// Apply the settings; call once, first thing in `main`. An option given in the environment
/// (`MIMALLOC_PURGE_DELAY=…`) is left as given.
pub fn configure() {
    for (option, env, value) in [
        (PURGE_DELAY, "MIMALLOC_PURGE_DELAY", 0),
        (ARENA_EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT", 0),
    ] {
        if std::env::var_os(env).is_none() {
            // SAFETY: mi_option_set only stores the value; any option number is accepted.
            unsafe { sys::mi_option_set(option, value) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers point at the options meant: each holds its documented default
    /// (purge delay 1000 ms, arena eager commit 2) until set.
    #[test]
    fn defaults_are_where_expected() {
        // SAFETY: reading an option has no side effect beyond initializing it.
        let get = |o| unsafe { sys::mi_option_get(o) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get(PURGE_DELAY), 1000);
        }
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
            assert_eq!(get(ARENA_EAGER_COMMIT), 2);
        }
    }
}

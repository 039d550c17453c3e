//! The allocator's settings for a long-running server. mimalloc's defaults favour speed over
//! memory: freed pages are handed back to the system only after a second, arenas are committed
//! eagerly and transparent huge pages are allowed, so a server under steady load kept growing
//! (BENCHMARKS.md, "Soak"). Huge pages are off at build time (the crate's `no_thp`
//! feature: mimalloc applies that option only while it starts, before `main`); the other two
//! are set here. With freed memory returned at once and lazy commit it stays near what glibc's
//! malloc used in the same soak, at the same request rate, while parsing keeps mimalloc's speed.

use libmimalloc_sys as sys;

/// mimalloc 3's option numbers (the order of `mi_option_e` in its `mimalloc.h`), for the options
/// the sys crate does not name. `defaults_are_where_expected` checks them against the defaults.
const ARENA_EAGER_COMMIT: sys::mi_option_t = 4;
const PURGE_DELAY: sys::mi_option_t = 15;
/// mimalloc's own default for `PURGE_DELAY`, in milliseconds.
const DEFAULT_PURGE_DELAY: std::ffi::c_long = 1000;

/// Apply the settings; call once, first thing in `main`, before any store is opened. An option
/// given in the environment (`MIMALLOC_PURGE_DELAY=…`) is left as given. True when SQLite
/// allocates through mimalloc as well (see `sqlite`); false with the `system-alloc` feature, or
/// when SQLite had already started (a library caller that opened a store first), in which case
/// it keeps the system's malloc: that works, only with more memory kept.
pub fn configure() -> bool {
    set_unless_in_env(PURGE_DELAY, "MIMALLOC_PURGE_DELAY", 0);
    set_unless_in_env(ARENA_EAGER_COMMIT, "MIMALLOC_ARENA_EAGER_COMMIT", 0);
    #[cfg(not(feature = "system-alloc"))]
    return sqlite::use_mimalloc().is_ok();
    #[cfg(feature = "system-alloc")]
    false
}

/// For a process that does one job and exits (`crossfeed fetch`, `reclassify`, …): freed pages
/// are kept for mimalloc's default second again, so that memory freed by one poll is reused by
/// the next instead of being handed back and faulted in anew. Returning it at once costs a cold
/// fetch a visible share of its time in page faults and the TLB shootdowns of `madvise` on a
/// many-threaded process (BENCHMARKS.md, "Fetching"), for memory the exit returns anyway. As
/// with `configure`, `MIMALLOC_PURGE_DELAY` in the environment wins.
pub fn for_one_job() {
    set_unless_in_env(PURGE_DELAY, "MIMALLOC_PURGE_DELAY", DEFAULT_PURGE_DELAY);
}

/// Set `option` unless the operator gave it in the environment variable `env`.
fn set_unless_in_env(option: sys::mi_option_t, env: &str, value: std::ffi::c_long) {
    if std::env::var_os(env).is_none() {
        // SAFETY: mi_option_set only stores the value (options such as the purge delay are
        // read afresh where used); any option number is accepted.
        unsafe { sys::mi_option_set(option, value) };
    }
}

/// SQLite's own memory (page caches, prepared statements, sorting) from mimalloc too. Left to
/// glibc's malloc, it was most of what a long-running server kept after a poll round: SQLite
/// allocates on whichever blocking thread runs the query, glibc gives each thread an arena, and
/// an arena's freed pages mostly stay with the process (BENCHMARKS.md, "Soak"). mimalloc hands
/// freed pages back at once (`PURGE_DELAY` above). SQLite's per-allocation bookkeeping
/// (`SQLITE_CONFIG_MEMSTATUS`, a global mutex taken on every malloc and free, needed only by
/// `sqlite3_soft_heap_limit`, which the store does not use) is turned off with it.
#[cfg(not(feature = "system-alloc"))]
mod sqlite {
    use std::ffi::{c_int, c_void};

    use libmimalloc_sys as mi;
    use libsqlite3_sys as ffi;

    // SQLite passes sizes as a signed int and never a negative one to xMalloc or xRealloc
    // (it checks its own requests); a negative size is refused rather than wrapped.
    unsafe extern "C" fn malloc(n: c_int) -> *mut c_void {
        match usize::try_from(n) {
            // SAFETY: any size is valid for mi_malloc; null on failure, as SQLite expects.
            Ok(n) => unsafe { mi::mi_malloc(n) },
            Err(_) => std::ptr::null_mut(),
        }
    }

    unsafe extern "C" fn free(p: *mut c_void) {
        // SAFETY: SQLite frees only what xMalloc or xRealloc returned, i.e. mimalloc's.
        unsafe { mi::mi_free(p) }
    }

    unsafe extern "C" fn realloc(p: *mut c_void, n: c_int) -> *mut c_void {
        match usize::try_from(n) {
            // SAFETY: `p` came from this allocator (see `free`).
            Ok(n) => unsafe { mi::mi_realloc(p, n) },
            Err(_) => std::ptr::null_mut(),
        }
    }

    unsafe extern "C" fn size(p: *mut c_void) -> c_int {
        // SAFETY: `p` came from this allocator; SQLite's allocations are far below 2 GiB.
        let n = unsafe { mi::mi_usable_size(p) };
        c_int::try_from(n).unwrap_or(c_int::MAX)
    }

    unsafe extern "C" fn roundup(n: c_int) -> c_int {
        let rounded = usize::try_from(n).map_or(0, |n| {
            // SAFETY: a pure size computation.
            unsafe { mi::mi_good_size(n) }
        });
        c_int::try_from(rounded).unwrap_or(n)
    }

    unsafe extern "C" fn init(_: *mut c_void) -> c_int {
        ffi::SQLITE_OK
    }

    unsafe extern "C" fn shutdown(_: *mut c_void) {}

    /// Install the methods; `Err` with SQLite's result code when SQLite has already started
    /// (`SQLITE_MISUSE`), in which case nothing changed.
    pub(super) fn use_mimalloc() -> Result<(), c_int> {
        let methods = ffi::sqlite3_mem_methods {
            xMalloc: Some(malloc),
            xFree: Some(free),
            xRealloc: Some(realloc),
            xSize: Some(size),
            xRoundup: Some(roundup),
            xInit: Some(init),
            xShutdown: Some(shutdown),
            pAppData: std::ptr::null_mut(),
        };
        // SAFETY: sqlite3_config is called before sqlite3_initialize (it answers SQLITE_MISUSE
        // otherwise and changes nothing); SQLite copies the methods before it returns.
        let code = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MALLOC, &raw const methods) };
        if code != ffi::SQLITE_OK {
            return Err(code);
        }
        // SAFETY: as above; the argument is the int the option takes.
        let code = unsafe { ffi::sqlite3_config(ffi::SQLITE_CONFIG_MEMSTATUS, 0 as c_int) };
        if code != ffi::SQLITE_OK {
            return Err(code);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option numbers point at the options meant: each holds its documented default
    /// (purge delay 1000 ms, arena eager commit 2) until set; and a one-job process gets the
    /// default purge delay back after the server's setting. One test, as the options are global.
    #[test]
    fn defaults_are_where_expected() {
        // SAFETY: reading an option has no side effect beyond initializing it.
        let get = |o| unsafe { sys::mi_option_get(o) };
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
            assert_eq!(get(PURGE_DELAY), DEFAULT_PURGE_DELAY);
            // SAFETY: as in `configure`.
            unsafe { sys::mi_option_set(PURGE_DELAY, 0) };
            assert_eq!(get(PURGE_DELAY), 0);
            for_one_job();
            assert_eq!(get(PURGE_DELAY), DEFAULT_PURGE_DELAY);
        }
        if std::env::var_os("MIMALLOC_ARENA_EAGER_COMMIT").is_none() {
            assert_eq!(get(ARENA_EAGER_COMMIT), 2);
        }
    }
}

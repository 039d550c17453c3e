//! The charset decoder takes any bytes with any HTTP charset label: it never panics, what comes
//! out is text without the control characters XML forbids, and the same input always decodes
//! the same way.
#![no_main]

use crossfeed::parse::charset::to_utf8;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<String>, Vec<u8>)| {
    let (label, bytes) = input;
    let decoded = to_utf8(&bytes, label.as_deref());
    assert!(
        !decoded
            .text
            .chars()
            .any(|c| c < ' ' && !matches!(c, '\t' | '\n' | '\r')),
        "a forbidden control character came out: {:?}",
        decoded.text
    );
    let again = to_utf8(&bytes, label.as_deref());
    assert_eq!(decoded.text, again.text);
    assert_eq!(decoded.encoding, again.encoding);
});

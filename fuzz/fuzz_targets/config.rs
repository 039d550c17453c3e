//! The configuration loader accepts or refuses any text, never panics, and every refusal names
//! the file, a line and a column.
#![no_main]

use std::path::Path;

use crossfeed::config::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    let path = Path::new("/etc/crossfeed/crossfeed.yaml");
    if let Err(e) = Config::from_yaml(path, text) {
        let issues = e.issues();
        assert!(!issues.is_empty(), "a refusal without an issue: {e}");
        for issue in issues {
            assert!(issue.line >= 1 && issue.column >= 1, "no position: {e}");
            assert!(!issue.message.is_empty(), "no message: {e}");
        }
        // Each line names its file: the configuration, or a file it includes.
        let rendered = e.to_string();
        for (line, issue) in rendered.lines().zip(issues) {
            let file = issue.file.as_deref().unwrap_or(path);
            assert!(
                line.starts_with(&format!("{}:", file.display())),
                "the file is not named: {line}"
            );
        }
    }
});

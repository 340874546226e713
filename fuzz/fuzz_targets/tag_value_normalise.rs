//! HR free text rendered as an IAM tag value (`hr::normalise_tag_value`), and the
//! tag key check (`hr::check_tag_key`), on any string.
//!
//! Invariants: no panic; the result is a value IAM accepts (`is_valid_tag_value`;
//! it may be empty) of at most `MAX_TAG_VALUE_CHARS` characters; a value IAM accepts
//! comes back unchanged (borrowed); normalising is idempotent; a changed value has
//! no leading or trailing space or `-`. An accepted key is 1–128 IAM tag characters
//! and does not start with `aws:` (any case).
#![no_main]

use std::borrow::Cow;

use iam_onboarding::hr::{MAX_TAG_VALUE_CHARS, check_tag_key, is_valid_tag_value, normalise_tag_value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    let valid = is_valid_tag_value(raw);
    let normalised = normalise_tag_value(raw);
    assert!(is_valid_tag_value(&normalised), "not IAM-valid: {normalised:?}");
    assert!(normalised.chars().count() <= MAX_TAG_VALUE_CHARS);
    match &normalised {
        Cow::Borrowed(value) => {
            assert!(valid, "an invalid value came back borrowed");
            assert_eq!(*value, raw);
        }
        Cow::Owned(value) => {
            assert!(!valid, "a valid value was changed to {value:?}");
            let trimmed = value.trim_matches(|c: char| c.is_whitespace() || c == '-');
            assert_eq!(trimmed, value, "not trimmed");
        }
    }
    let twice = normalise_tag_value(&normalised);
    assert_eq!(twice, normalised, "not idempotent");

    if check_tag_key(raw).is_ok() {
        let chars = raw.chars().count();
        assert!((1..=128).contains(&chars), "accepted a key of {chars} characters");
        assert!(is_valid_tag_value(raw), "accepted a key with characters IAM refuses");
        assert!(!raw.to_ascii_lowercase().starts_with("aws:"));
    }
});

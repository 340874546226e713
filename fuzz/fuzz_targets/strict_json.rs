//! The strict JSON payload (`triggers::strict_json`): the Lambda payload type and
//! the webhook body parser. Bytes → `from_slice` → `into_value`.
//!
//! Invariants: no panic; it accepts exactly what serde_json accepts; without a
//! duplicate key its value is serde_json's; a value it returns serialises and
//! parses back to itself.
#![no_main]

use iam_onboarding::triggers::strict_json;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let strict = strict_json::from_slice(data);
    let plain = serde_json::from_slice::<Value>(data);
    assert_eq!(
        strict.is_ok(),
        plain.is_ok(),
        "strict and serde_json disagree on syntax: {:?} vs {:?}",
        strict.as_ref().err(),
        plain.as_ref().err()
    );
    let (Ok(strict), Ok(plain)) = (strict, plain) else {
        return;
    };
    // Serialize writes the parsed value whatever its duplicates.
    let written = serde_json::to_vec(&strict).expect("a parsed value serialises");
    match strict.into_value() {
        Ok(value) => {
            assert_eq!(value, plain, "no duplicate key, yet not serde_json's value");
            let again = strict_json::from_slice(&written)
                .expect("its own output parses")
                .into_value()
                .expect("its own output has no duplicate key");
            assert_eq!(again, value, "round trip changed the value");
        }
        Err(err) => {
            assert!(!err.reason.is_empty());
            // A duplicate was seen: the value kept the first of the two, and
            // what it writes has no duplicates any more.
            strict_json::from_slice(&written)
                .expect("its own output parses")
                .into_value()
                .expect("its own output has no duplicate key");
        }
    }
});

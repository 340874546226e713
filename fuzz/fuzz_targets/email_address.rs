//! Email addresses (`hr::Email::parse`), the user name derived from one, and the
//! masking of addresses in text for logs (`hr::mask_emails_in`), on any string.
//!
//! Invariants: no panic; an accepted address is ASCII, at most 254 bytes, has one
//! `@` and a lower-case domain, and parses back to itself; a derived user name is a
//! valid IAM user name; the email hash is 64 hex digits; masking the address, alone
//! or between other text, gives `Email::masked` and never leaves the address in full
//! (as an address of its own).
#![no_main]

use iam_onboarding::hr::{Email, Username, mask_email, mask_emails_in};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|raw: &str| {
    // Arbitrary text through the log masking must never panic.
    let _ = mask_emails_in(raw);
    let _ = mask_email(raw);
    let Ok(email) = Email::parse(raw) else {
        return;
    };
    let address = email.as_str();
    assert!(address.is_ascii(), "{address:?}");
    assert!(address.len() <= 254);
    let (local, domain) = address.split_once('@').expect("an @");
    assert!(!domain.contains('@'));
    assert!(!local.is_empty() && local.len() <= 64);
    assert_eq!(domain, domain.to_ascii_lowercase(), "domain not lower-case");
    assert_eq!(email.local_part(), local);
    let again = Email::parse(address).expect("its own form parses");
    assert!(again == email, "not idempotent: {address:?} → {:?}", again.as_str());

    let hash = email.sha256_hex();
    assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    if let Ok(name) = Username::from_email(&email) {
        Username::parse(name.as_str()).expect("a derived user name is valid");
    }

    let masked = email.masked();
    assert_eq!(mask_emails_in(address), masked);
    let text = mask_emails_in(&format!("{raw} {address} {raw}"));
    assert!(text.contains(&format!(" {masked} ")), "{text:?} lacks {masked:?}");
    if masked != address {
        assert!(!standalone(&text, address), "{address:?} left in full in {text:?}");
    }
});

/// Whether `address` occurs in `text` as an address of its own: not preceded by a
/// character of a local part (`****@x.y` holds `***@x.y` but shows only `****@x.y`).
fn standalone(text: &str, address: &str) -> bool {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c);
    text.match_indices(address)
        .any(|(i, _)| !text[..i].chars().next_back().is_some_and(is_local))
}

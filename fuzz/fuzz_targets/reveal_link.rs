//! The reveal link's parsers (issue 22): the path segment after `/reveal/`
//! (`http::reveal::id_of`, which must cut a key a mail gateway moved into the
//! path), the id, the secret, the proof and the sealed record's opening.
//!
//! Invariants: no panic; an id read from a segment is the segment's start and
//! parses back to itself; nothing but a sealed record opens.
#![no_main]

use iam_onboarding::http::reveal::id_of;
use iam_onboarding::identity::reveal_link::{RevealId, RevealSecret, open, proof_hash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(id) = id_of(&text) {
        assert!(text.starts_with(id.as_str()), "an id that is not the segment's start");
        assert_eq!(RevealId::parse(id.as_str()), Some(id));
    }
    if let Some(secret) = RevealSecret::parse(&text) {
        assert_eq!(RevealSecret::parse(&secret.expose()), Some(secret));
    }
    if let Some(hash) = proof_hash(&text) {
        assert_eq!(hash.len(), 64);
    }
    if data.len() >= 12 {
        let id = RevealId::parse("AAAAAAAAAAAAAAAAAAAAAA").expect("a valid id");
        let secret = RevealSecret::parse("BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc")
            .expect("a valid secret");
        assert!(open(&id, &secret, &data[..12], &data[12..]).is_none(), "a forged record opened");
    }
});

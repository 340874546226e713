//! The SCIM parsers (issue 23): filters (`UserFilter`, `GroupFilter`, through
//! `scim_v2`'s grammar), list queries and `.search` bodies (`ListRequest`),
//! resources (`ScimUser::from_resource`) and PATCH bodies (`operations`,
//! `apply_patch`), each fed the input as text, and the JSON ones as JSON.
//!
//! Invariants: no panic; a resource that parses renders to one that parses
//! back to the same user; a page never holds more than `count` resources.
#![no_main]

use iam_onboarding::http::scim::{
    GroupFilter, ListRequest, ScimUser, UserFilter, UserMeta, apply_patch, operations,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = UserFilter::parse(&text);
    let _ = GroupFilter::parse(&text);
    if let Ok(request) = ListRequest::from_query(Some(&text)) {
        let page = request.page(&[1, 2, 3], |n| serde_json::json!({ "id": n }));
        assert!(page["itemsPerPage"].as_u64().unwrap_or(0) <= request.count as u64);
    }
    let Ok(body) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let _ = ListRequest::from_search(&body);
    if let Ok(user) = ScimUser::from_resource(&body, true) {
        let meta = UserMeta {
            id: "AIDAFUZZ",
            created: 0,
            last_modified: 0,
            base: "https://example.com/scim/v2",
            groups: None,
        };
        let again = ScimUser::from_resource(&user.to_resource(&meta), !user.active)
            .expect("a rendered user parses");
        assert_eq!(again, user, "a rendered user reads back the same");
        if let Ok(ops) = operations(&body) {
            let mut patched = user.clone();
            let _ = apply_patch(&mut patched, &ops);
        }
    }
    if let Ok(ops) = operations(&body) {
        let mut user = ScimUser::default();
        let _ = apply_patch(&mut user, &ops);
    }
});

//! The HR request (`hr::HrRequest::parse`, what `Workflows::parse_request` runs) as
//! each trigger hands it over: the direct-invoke payload and the webhook body as
//! they are, the Standard Webhooks envelope (`http::webhook::standard_request`), an
//! EventBridge `detail` (`triggers::event_request::event_request`) and the sweep
//! request (`triggers::sweep::parse_sweep_request`). Bytes → the webhook's byte-order
//! mark rule → strict JSON → each parser, with the configuration of
//! `src/test_fixtures.rs` (ALLOWED_GROUPS `developers,readers`).
//!
//! Invariants: no panic; a parsed request has the action it was asked for (the
//! payload's, the envelope type's or the event's), one entry per record, at most
//! `MAX_BATCH`; every accepted employee has an address that parses back to itself,
//! a valid IAM user name, at most `MAX_TAGS` tags with valid keys and values and no
//! two keys equal ignoring case, at most `MAX_GROUPS` allowed groups without
//! repeats, trimmed names of at most 128 characters; every accepted leaver has a
//! valid user name, an email or an employee id, an employee id that is a non-empty
//! IAM tag value; no two accepted entries share a user name ignoring case.
#![no_main]


use iam_onboarding::hr::{
    Action, Email, Employee, FieldError, HrRequest, Leaver, MAX_BATCH, MAX_GROUPS, MAX_TAGS,
    OnboardingRequest, Username, check_tag_key, is_valid_tag_value,
};
use iam_onboarding::http::webhook::{CONNECTORS, standard_request};
use iam_onboarding::triggers::event_request::event_request;
use iam_onboarding::triggers::strict_json;
use iam_onboarding::triggers::sweep::{is_sweep_request, parse_sweep_request};
use libfuzzer_sys::fuzz_target;

#[path = "shared/config.rs"]
mod shared;
use shared::CONFIG;
use serde_json::Value;


const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

fuzz_target!(|data: &[u8]| {
    let json = data.strip_prefix(UTF8_BOM).unwrap_or(data);
    let Ok(parsed) = strict_json::from_slice(json) else {
        return;
    };
    let Ok(payload) = parsed.into_value() else {
        return;
    };

    // A direct invoke, or a webhook body signed the X-Onboarding way.
    let asked = asked_action(&payload);
    if let Ok(request) = parse(&payload) {
        assert_eq!(Some(request.action()), asked, "{payload}");
        check(&request, &payload);
    }

    // A Standard Webhooks body: an envelope, or the direct contract.
    if let Ok(body) = standard_request(payload.clone()) {
        let expected = match &body.event_type {
            None => {
                assert_eq!(body.request, payload, "a body without type is taken as it is");
                asked
            }
            Some(event_type) => CONNECTORS
                .iter()
                .flat_map(|c| c.event_types())
                .find(|(name, _)| name == event_type)
                .map(|(_, action)| *action),
        };
        assert!(expected.is_some() || body.event_type.is_none());
        if let Ok(request) = parse(&body.request) {
            assert_eq!(Some(request.action()), expected, "{payload}");
            check(&request, &body.request);
        }
    }

    // An EventBridge detail, for each detail-type's action.
    for action in [Action::Onboard, Action::Offboard, Action::Update] {
        if let Ok(request) = event_request(payload.clone(), action, "detail") {
            if let Ok(parsed) = parse(&request) {
                assert_eq!(parsed.action(), action, "{payload}");
                check(&parsed, &request);
            }
        }
    }

    // The sweep's direct invoke.
    if is_sweep_request(&payload) {
        if let Ok(dry_run) = parse_sweep_request(&payload) {
            assert_eq!(payload.get("dryRun"), Some(&Value::Bool(dry_run)));
        }
    }
    let _ = OnboardingRequest::parse(&payload, &CONFIG.allowed_groups);
});

fn parse(payload: &Value) -> Result<HrRequest, FieldError> {
    HrRequest::parse(payload, &CONFIG.allowed_groups)
}

/// The action a payload asks for: `action`, `onboard` when absent; `None` when unknown.
fn asked_action(payload: &Value) -> Option<Action> {
    match payload.get("action") {
        None => Some(Action::Onboard),
        Some(name) => Action::ALL
            .into_iter()
            .find(|a| name.as_str() == Some(a.as_str())),
    }
}

fn check(request: &HrRequest, payload: &Value) {
    let records = match (payload.get("employee"), payload.get("employees")) {
        (Some(_), None) => 1,
        (None, Some(Value::Array(many))) => many.len(),
        other => panic!("a request was parsed from {other:?}"),
    };
    assert!((1..=MAX_BATCH).contains(&records));
    let names: Vec<&str> = match request {
        HrRequest::Onboard(r) | HrRequest::Update(r) => employees(r, records),
        HrRequest::Resend(r) => employees(&r.request, records),
        HrRequest::Offboard(r) => {
            assert_eq!(r.leavers.len(), records);
            r.leavers.iter().flatten().map(check_leaver).collect()
        }
    };
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            assert!(!a.eq_ignore_ascii_case(b), "two entries for user {a:?}");
        }
    }
}

fn employees(request: &OnboardingRequest, records: usize) -> Vec<&str> {
    assert_eq!(request.employees.len(), records);
    request.employees.iter().flatten().map(check_employee).collect()
}

fn check_email(email: &Email) {
    let again = Email::parse(email.as_str()).expect("an accepted address parses again");
    assert!(again == *email, "address not stable: {:?}", email.as_str());
}

fn check_employee(employee: &Employee) -> &str {
    check_email(&employee.email);
    Username::parse(employee.username.as_str()).expect("a valid user name");
    assert!(employee.tags.len() <= MAX_TAGS, "{} tags", employee.tags.len());
    for (i, (key, value)) in employee.tags.iter().enumerate() {
        check_tag_key(key).unwrap_or_else(|e| panic!("tag key {key:?}: {e}"));
        assert!(is_valid_tag_value(value), "tag {key:?} = {value:?}");
        for (other, _) in &employee.tags[i + 1..] {
            assert!(!key.eq_ignore_ascii_case(other), "tag key {key:?} twice");
        }
    }
    assert!(employee.groups.len() <= MAX_GROUPS);
    for (i, group) in employee.groups.iter().enumerate() {
        assert!(CONFIG.allowed_groups.iter().any(|g| g.same_as(group)));
        assert!(!employee.groups[i + 1..].iter().any(|g| g.same_as(group)));
    }
    for name in [&employee.given_name, &employee.family_name].into_iter().flatten() {
        assert!(!name.is_empty() && name.trim() == name && name.chars().count() <= 128);
    }
    if let Some(id) = &employee.employee_id {
        assert!(!id.is_empty() && is_valid_tag_value(id), "employee id {id:?}");
    }
    employee.username.as_str()
}

fn check_leaver(leaver: &Leaver) -> &str {
    Username::parse(leaver.username.as_str()).expect("a valid user name");
    assert!(leaver.email.is_some() || leaver.employee_id.is_some());
    if let Some(email) = &leaver.email {
        check_email(email);
    }
    if let Some(id) = &leaver.employee_id {
        assert!(!id.is_empty() && is_valid_tag_value(id), "employee id {id:?}");
    }
    leaver.username.as_str()
}

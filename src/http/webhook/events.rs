//! HR events in the Standard Webhooks payload envelope
//! `{"type": ..., "timestamp": ..., "data": {...}}`, mapped to the direct
//! contract's request (`{"action", "employee"}`).
//!
//! Each vocabulary of event types is one [`Connector`]; [`CONNECTORS`] lists
//! them and the first that knows an event's `type` gives its action. Another
//! HR system's event names are one more module implementing [`Connector`] and
//! one more entry in [`CONNECTORS`].

use serde_json::Value;

use crate::hr::{Action, FieldError};
use crate::triggers::event_request::event_request;

/// A vocabulary of HR event types.
pub trait Connector: Sync {
    /// Its event types, each with the action it runs.
    fn event_types(&self) -> &'static [(&'static str, Action)];
}

/// The generic employee events: `data` is the employee object of the direct
/// contract (or a whole request, e.g. a batch or a dry run).
pub struct EmployeeEvents;

impl Connector for EmployeeEvents {
    fn event_types(&self) -> &'static [(&'static str, Action)] {
        &[
            ("employee.hired", Action::Onboard),
            ("employee.updated", Action::Update),
            ("employee.terminated", Action::Offboard),
        ]
    }
}

/// Every connector, asked in order.
pub const CONNECTORS: &[&dyn Connector] = &[&EmployeeEvents];

/// The envelope's fields.
const ENVELOPE_FIELDS: [&str; 3] = ["type", "timestamp", "data"];

/// A Standard Webhooks body as a request for the workflows.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardBody {
    /// The direct-contract request.
    pub request: Value,
    /// The envelope's event type; `None` when the body was the direct contract.
    pub event_type: Option<String>,
}

/// Reads a Standard Webhooks body: an object with `type` is an envelope, whose
/// type gives the action and whose `data` is the employee (or a request); any
/// other body is the direct contract itself (which has no `type` field).
/// Errors: `type` not a string or of no connector ("unsupported event type"),
/// `timestamp` not a string, `data` missing or not an object, another field.
pub fn standard_request(body: Value) -> Result<StandardBody, FieldError> {
    let Some(object) = body.as_object().filter(|o| o.contains_key("type")) else {
        return Ok(StandardBody {
            request: body,
            event_type: None,
        });
    };
    if let Some(other) = object
        .keys()
        .find(|k| !ENVELOPE_FIELDS.contains(&k.as_str()))
    {
        return Err(FieldError::new(
            other.as_str(),
            "unknown field; an event envelope has type, timestamp and data",
        ));
    }
    let event_type = object["type"]
        .as_str()
        .ok_or_else(|| FieldError::new("type", "must be a string (an event type)"))?;
    if object.get("timestamp").is_some_and(|t| !t.is_string()) {
        return Err(FieldError::new(
            "timestamp",
            "must be a string (ISO 8601 time of the event)",
        ));
    }
    let action = CONNECTORS
        .iter()
        .flat_map(|c| c.event_types())
        .find(|(name, _)| *name == event_type)
        .map(|(_, action)| *action)
        .ok_or_else(|| {
            let known: Vec<&str> = CONNECTORS
                .iter()
                .flat_map(|c| c.event_types().iter().map(|(name, _)| *name))
                .collect();
            FieldError::new(
                "type",
                format!(
                    "unsupported event type {event_type:?}; supported: {}",
                    known.join(", ")
                ),
            )
        })?;
    let data = object
        .get("data")
        .cloned()
        .ok_or_else(|| FieldError::new("data", "is required (the employee object)"))?;
    Ok(StandardBody {
        request: event_request(data, action, "data")?,
        event_type: Some(event_type.to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_each_employee_event_to_its_action() {
        let data = json!({"email": "jane@example.com"});
        for (event_type, action) in [
            ("employee.hired", "onboard"),
            ("employee.updated", "update"),
            ("employee.terminated", "offboard"),
        ] {
            let body =
                json!({"type": event_type, "timestamp": "2026-11-30T09:00:00Z", "data": data});
            assert_eq!(
                standard_request(body).unwrap(),
                StandardBody {
                    request: json!({"action": action, "employee": data}),
                    event_type: Some(event_type.to_string()),
                }
            );
        }
        // data may be a whole request (a batch, a dry run) without another action.
        let batch =
            json!({"type": "employee.hired", "data": {"dryRun": true, "employees": [data]}});
        assert_eq!(
            standard_request(batch).unwrap().request,
            json!({"action": "onboard", "dryRun": true, "employees": [data]})
        );
    }

    #[test]
    fn the_direct_contract_passes_as_it_is() {
        for body in [
            json!({"action": "offboard", "employee": {"email": "a@example.com"}}),
            json!({"employee": {"email": "a@example.com"}}),
            json!([1, 2]),
        ] {
            let read = standard_request(body.clone()).unwrap();
            assert_eq!((read.request, read.event_type), (body, None));
        }
    }

    #[test]
    fn unknown_types_and_bad_envelopes_name_the_field() {
        let cases = [
            (json!({"type": "employee.promoted", "data": {}}), "type"),
            (json!({"type": 7, "data": {}}), "type"),
            (
                json!({"type": "employee.hired", "timestamp": 5, "data": {}}),
                "timestamp",
            ),
            (json!({"type": "employee.hired"}), "data"),
            (json!({"type": "employee.hired", "data": "jane"}), "data"),
            (
                json!({"type": "employee.hired", "data": {}, "employee": {}}),
                "employee",
            ),
            (
                json!({"type": "employee.terminated", "data": {"action": "onboard", "employee": {}}}),
                "data.action",
            ),
        ];
        for (body, field) in cases {
            assert_eq!(
                standard_request(body.clone()).unwrap_err().field,
                field,
                "{body}"
            );
        }
        let err = standard_request(json!({"type": "employee.promoted", "data": {}})).unwrap_err();
        assert_eq!(
            err.reason,
            "unsupported event type \"employee.promoted\"; supported: employee.hired, \
             employee.updated, employee.terminated"
        );
    }
}

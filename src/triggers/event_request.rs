//! The content of an HR event (an EventBridge `detail`, a Standard Webhooks
//! envelope's `data`) as a direct-contract request, its action set by the
//! event's type.

use serde_json::{Value, json};

use crate::hr::{Action, FieldError};

/// `content` (at field path `field`) is the employee object, or a whole request
/// (with dryRun or a batch); `action` comes from the event's type, and a request
/// naming another one is refused. Errors name `field` or `field.action`.
pub fn event_request(content: Value, action: Action, field: &str) -> Result<Value, FieldError> {
    if !content.is_object() {
        return Err(FieldError::new(
            field,
            "must be a JSON object: the employee, or a request with employee or employees",
        ));
    }
    // An employee record has none of the request's own fields: content with one
    // (`{"action": "sweep"}`) is a request, refused below for what it is.
    let request_keys = [
        "employee",
        "employees",
        "action",
        "dryRun",
        "force",
        "fromSchedule",
    ];
    if request_keys.iter().all(|key| content.get(key).is_none()) {
        return Ok(json!({"action": action.as_str(), "employee": content}));
    }
    let mut request = content;
    match request.get("action") {
        None => request["action"] = json!(action.as_str()),
        Some(given) if given == action.as_str() => {}
        Some(_) => {
            return Err(FieldError::new(
                format!("{field}.action"),
                format!(
                    "must be {:?} for this event type, or absent",
                    action.as_str()
                ),
            ));
        }
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_type_sets_the_action() {
        assert_eq!(
            event_request(
                json!({"email": "a@example.com"}),
                Action::Offboard,
                "detail"
            )
            .unwrap(),
            json!({"action": "offboard", "employee": {"email": "a@example.com"}})
        );
        assert_eq!(
            event_request(
                json!({"dryRun": true, "employees": []}),
                Action::Update,
                "data"
            )
            .unwrap(),
            json!({"action": "update", "dryRun": true, "employees": []})
        );
        for content in [json!("jane@example.com"), Value::Null, json!([{}])] {
            assert_eq!(
                event_request(content, Action::Onboard, "data")
                    .unwrap_err()
                    .field,
                "data"
            );
        }
        // A request without employees is still named by its action (issue 21).
        assert_eq!(
            event_request(json!({"action": "sweep"}), Action::Onboard, "detail")
                .unwrap_err()
                .field,
            "detail.action"
        );
        let mismatch = json!({"action": "onboard", "employee": {}});
        assert_eq!(
            event_request(mismatch, Action::Offboard, "detail")
                .unwrap_err()
                .field,
            "detail.action"
        );
    }
}

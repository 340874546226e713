//! The event shapes the function is invoked with besides HTTP ([`crate::http`]),
//! told apart by their fields: EventBridge events, SQS batches and direct
//! invokes (the onboarding request itself).

use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::SqsEvent;
use serde_json::Value;

use crate::hr::FieldError;

/// One invocation, by where it came from.
#[derive(Debug)]
pub enum Trigger {
    /// An EventBridge event.
    EventBridge(EventBridgeEvent<Value>),
    /// Messages of the bulk queue (`Records` with `eventSource` `aws:sqs`).
    Sqs(SqsEvent),
    /// A direct invoke whose payload is the onboarding request.
    Direct(Value),
}

/// Why an event could not be read as any supported shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShapeError {
    /// Not a kind of event this function handles (Lambda error `UnsupportedEvent`).
    #[error("{0}")]
    Unsupported(String),
    /// A recognised shape with a field of the wrong type (Lambda error `InvalidRequest`).
    #[error("{0}")]
    Invalid(FieldError),
}

impl Trigger {
    /// Recognises the shape of `event`.
    pub fn from_event(event: Value) -> Result<Self, ShapeError> {
        let has = |key: &str| event.get(key).is_some();
        if event
            .pointer("/Records/0/eventSource")
            .and_then(Value::as_str)
            == Some(super::sqs::SQS_EVENT_SOURCE)
        {
            let event: SqsEvent = serde_json::from_value(event)
                .map_err(|e| ShapeError::Unsupported(format!("not a valid SQS event: {e}")))?;
            return Ok(Self::Sqs(event));
        }
        // A direct request never has these (it refuses unknown fields).
        if has("detail-type") || (has("source") && has("detail")) {
            check_eventbridge_fields(&event)?;
            let event: EventBridgeEvent<Value> = serde_json::from_value(event).map_err(|e| {
                ShapeError::Unsupported(format!("not a valid EventBridge event: {e}"))
            })?;
            return Ok(Self::EventBridge(event));
        }
        Ok(Self::Direct(event))
    }
}

/// The fields an EventBridge event must have, with their types: an event without
/// `source` or `detail-type` is not one this function handles; a wrong type is named.
fn check_eventbridge_fields(event: &Value) -> Result<(), ShapeError> {
    for key in ["source", "detail-type"] {
        match event.get(key) {
            None => {
                return Err(ShapeError::Unsupported(format!(
                    "an EventBridge event without {key} is not handled"
                )));
            }
            Some(Value::String(_)) => {}
            Some(_) => {
                return Err(ShapeError::Invalid(FieldError::new(
                    key,
                    "must be a string",
                )));
            }
        }
    }
    if event.get("detail").is_none() {
        return Err(ShapeError::Invalid(FieldError::new(
            "detail",
            "is required: the employee, or a request with employee or employees",
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::triggers::EMPLOYEE_HIRED;
    use serde_json::json;

    #[test]
    fn recognises_eventbridge_and_direct() {
        let event = json!({"version": "0", "id": "e1", "detail-type": "Employee Hired", "source": "com.example.hr",
            "account": "123456789012", "time": "2026-11-27T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"email": "jane@example.com"}});
        assert!(
            matches!(Trigger::from_event(event).unwrap(), Trigger::EventBridge(e) if e.detail_type == EMPLOYEE_HIRED)
        );
        let direct = json!({"employee": {"email": "jane@example.com"}});
        assert!(matches!(
            Trigger::from_event(direct).unwrap(),
            Trigger::Direct(_)
        ));
    }

    #[test]
    fn eventbridge_shape_errors_name_the_field() {
        let event = |overrides: Value| {
            let mut event = json!({"version": "0", "id": "e1", "detail-type": "Employee Hired",
                "source": "com.example.hr", "account": "123456789012", "time": "2026-11-27T00:00:00Z",
                "region": "us-east-1", "resources": [], "detail": {"email": "jane@example.com"}});
            for (k, v) in overrides.as_object().unwrap() {
                if v.is_null() && k != "detail" {
                    event.as_object_mut().unwrap().remove(k);
                } else {
                    event[k] = v.clone();
                }
            }
            Trigger::from_event(event)
        };
        let invalid = |result: Result<Trigger, ShapeError>| match result {
            Err(ShapeError::Invalid(e)) => e.field,
            other => panic!("not a field error: {other:?}"),
        };
        assert_eq!(invalid(event(json!({"detail-type": 7}))), "detail-type");
        assert_eq!(invalid(event(json!({"source": ["x"]}))), "source");
        let no_detail = json!({"detail-type": "Employee Hired", "source": "com.example.hr"});
        assert_eq!(invalid(Trigger::from_event(no_detail)), "detail");
        // Without source, an event with a detail-type is unsupported, not a direct request.
        assert!(matches!(
            event(json!({"source": null})),
            Err(ShapeError::Unsupported(reason)) if reason.contains("source")
        ));
        assert!(matches!(
            Trigger::from_event(json!({"source": "com.example.hr", "detail": {}})),
            Err(ShapeError::Unsupported(reason)) if reason.contains("detail-type")
        ));
        // A detail of the wrong type is named by the EventBridge handler (it is parsed here).
        for detail in [json!("text"), Value::Null, json!([1])] {
            assert!(matches!(
                event(json!({"detail": detail})),
                Ok(Trigger::EventBridge(_))
            ));
        }
    }
}

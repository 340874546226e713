//! What one HR-system record asks of the workflows, in the direct contract's
//! words (`employee` objects, `offboard` leavers), whatever the vendor.

use chrono::NaiveDate;
use serde_json::Value;

use crate::hr::FieldError;

/// What one vendor record asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Intent {
    /// A joiner: `employee` is the direct contract's employee object.
    Join {
        employee: Value,
        hire_date: Option<NaiveDate>,
    },
    /// A change to a person: an update, or the onboarding of a joiner whose user
    /// does not exist yet once the hire date has come.
    Change {
        employee: Value,
        hire_date: Option<NaiveDate>,
    },
    /// A leaver: the direct contract's `offboard` employee (`employeeId`, `email`,
    /// `effectiveAt`).
    Leave { leaver: Value },
    /// Nothing to do yet; the reason is for the HR admin.
    Defer { reason: String },
}

/// One record of a delivery: the vendor's id of the person, and what it asks
/// (or why it cannot be read: field and reason).
#[derive(Debug, Clone, PartialEq)]
pub struct VendorRecord {
    /// The HR system's id of the employee, when the record has one.
    pub hr_id: Option<String>,
    /// The request, or the field that made it unreadable.
    pub intent: Result<Intent, FieldError>,
}

/// A field value as HR systems send it: a string, a number, or an object
/// `{"value": …}`; `None` for null, an empty string, or BambooHR's empty date
/// `0000-00-00`. Errors name `field`: any other shape.
pub fn field_value(value: &Value, field: &str) -> Result<Option<String>, FieldError> {
    let value = match value {
        Value::Object(object) => object.get("value").unwrap_or(&Value::Null),
        other => other,
    };
    let text = match value {
        Value::Null => return Ok(None),
        Value::String(text) => text.trim().to_string(),
        Value::Number(number) => number.to_string(),
        _ => {
            return Err(FieldError::new(
                field,
                "must be a string, a number or {\"value\": …}",
            ));
        }
    };
    Ok(Some(text).filter(|t| !t.is_empty() && t != "0000-00-00"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_come_as_strings_numbers_or_value_objects() {
        for (value, expected) in [
            (json!("Jane"), Some("Jane")),
            (json!(" Jane "), Some("Jane")),
            (json!({"value": "Jane"}), Some("Jane")),
            (json!(1042), Some("1042")),
            (json!(null), None),
            (json!(""), None),
            (json!({"value": null}), None),
            (json!("0000-00-00"), None),
        ] {
            assert_eq!(
                field_value(&value, "f").unwrap().as_deref(),
                expected,
                "{value}"
            );
        }
        for value in [json!(true), json!(["a"]), json!({"value": ["a"]})] {
            assert_eq!(field_value(&value, "f").unwrap_err().field, "f", "{value}");
        }
    }
}

//! The onboarding request (the direct-invoke payload, also the webhook body and
//! the EventBridge `detail`), parsed and validated before any AWS call.

use serde_json::{Map, Value};

use super::{Employee, EmployeeRecord, FieldError, GroupName};

/// Most employees accepted in one request.
pub const MAX_BATCH: usize = 100;

/// A request to onboard one or more employees.
#[derive(Debug)]
pub struct OnboardingRequest {
    /// Validate and report the plan only; no write call.
    pub dry_run: bool,
    /// One entry per requested employee, in request order: the validated
    /// employee, or why it was rejected.
    pub employees: Vec<Result<Employee, FieldError>>,
}

impl OnboardingRequest {
    /// Parses the camelCase JSON payload `{"action", "dryRun", "employee" | "employees"}`.
    /// Problems with the request as a whole are an error; problems with one
    /// employee reject only that employee.
    pub fn parse(payload: &Value, allowed_groups: &[GroupName]) -> Result<Self, FieldError> {
        let object = payload
            .as_object()
            .ok_or_else(|| FieldError::new("(body)", "must be a JSON object"))?;
        for key in object.keys() {
            if !["action", "dryRun", "employee", "employees"].contains(&key.as_str()) {
                return Err(FieldError::new(
                    key.as_str(),
                    "unknown field; expected action, dryRun, employee or employees",
                ));
            }
        }
        match object.get("action") {
            None => {}
            Some(Value::String(action)) if action == "onboard" => {}
            Some(_) => {
                return Err(FieldError::new(
                    "action",
                    "the only supported action is \"onboard\"",
                ));
            }
        }
        let dry_run = match object.get("dryRun") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(FieldError::new("dryRun", "must be true or false")),
        };
        let records: Vec<(String, &Value)> = match (object.get("employee"), object.get("employees"))
        {
            (Some(one), None) => vec![("employee".to_string(), one)],
            (None, Some(Value::Array(many))) => {
                if many.is_empty() {
                    return Err(FieldError::new("employees", "must not be empty"));
                }
                if many.len() > MAX_BATCH {
                    return Err(FieldError::new(
                        "employees",
                        format!("at most {MAX_BATCH} employees per request"),
                    ));
                }
                many.iter()
                    .enumerate()
                    .map(|(i, v)| (format!("employees[{i}]"), v))
                    .collect()
            }
            (None, Some(_)) => {
                return Err(FieldError::new(
                    "employees",
                    "must be an array of employee objects",
                ));
            }
            (Some(_), Some(_)) => {
                return Err(FieldError::new(
                    "employee",
                    "give either employee or employees, not both",
                ));
            }
            (None, None) => {
                return Err(FieldError::new(
                    "employee",
                    "is required (or employees for a batch)",
                ));
            }
        };

        let mut employees: Vec<Result<Employee, FieldError>> = Vec::with_capacity(records.len());
        for (field, value) in records {
            let parsed = parse_record(value, allowed_groups).map_err(|e| e.within(&field));
            let parsed = parsed.and_then(|employee| {
                let taken = employees.iter().flatten().any(|other: &Employee| {
                    other.username.as_str().eq_ignore_ascii_case(employee.username.as_str())
                });
                if taken {
                    Err(FieldError::new(
                        format!("{field}.username"),
                        "another employee in this request has the same user name (IAM names are case-insensitive)",
                    ))
                } else {
                    Ok(employee)
                }
            });
            employees.push(parsed);
        }
        Ok(Self { dry_run, employees })
    }
}

fn parse_record(value: &Value, allowed_groups: &[GroupName]) -> Result<Employee, FieldError> {
    let object: &Map<String, Value> = value
        .as_object()
        .ok_or_else(|| FieldError::new("", "must be a JSON object"))?;
    if !object.contains_key("email") {
        return Err(FieldError::new("email", "is required"));
    }
    check_types(object)?;
    let record: EmployeeRecord = serde_json::from_value(value.clone()).map_err(|e| {
        let text = e.to_string();
        match text
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(name) => FieldError::new(name, "unknown field"),
            None => FieldError::new("", "is not a valid employee object"),
        }
    })?;
    Employee::parse(&record, allowed_groups)
}

/// Checks the JSON type of every known field, so a wrong type is reported with
/// its field and without echoing the value.
fn check_types(object: &Map<String, Value>) -> Result<(), FieldError> {
    for (key, value) in object {
        let ok = match key.as_str() {
            "email" => value.is_string(),
            "username" | "givenName" | "familyName" | "employeeId" | "department" => {
                value.is_string() || value.is_null()
            }
            "groups" => match value {
                Value::Array(items) => {
                    if let Some(i) = items.iter().position(|g| !g.is_string()) {
                        return Err(FieldError::new(format!("groups[{i}]"), "must be a string"));
                    }
                    true
                }
                _ => false,
            },
            "tags" => match value {
                Value::Object(tags) => {
                    if let Some((k, _)) = tags.iter().find(|(_, v)| !v.is_string()) {
                        return Err(FieldError::new(
                            format!("tags.{k}"),
                            "tag values must be strings",
                        ));
                    }
                    true
                }
                _ => false,
            },
            _ => true,
        };
        if !ok {
            let expected = match key.as_str() {
                "groups" => "an array of group names",
                "tags" => "an object of string values",
                _ => "a string",
            };
            return Err(FieldError::new(key.as_str(), format!("must be {expected}")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<OnboardingRequest, FieldError> {
        OnboardingRequest::parse(&v, &[GroupName::parse("developers").unwrap()])
    }

    #[test]
    fn single_employee_with_defaults() {
        let request = parse(json!({"employee": {"email": "jane.doe@example.com"}})).unwrap();
        assert!(!request.dry_run);
        let employee = request.employees[0].as_ref().unwrap();
        assert_eq!(employee.username.as_str(), "jane.doe");
    }

    #[test]
    fn whole_request_errors_name_the_field() {
        let cases = [
            (json!([1]), "(body)"),
            (
                json!({"action": "offboard", "employee": {"email": "a@example.com"}}),
                "action",
            ),
            (
                json!({"dryRun": "yes", "employee": {"email": "a@example.com"}}),
                "dryRun",
            ),
            (json!({}), "employee"),
            (json!({"employees": []}), "employees"),
            (
                json!({"employees": {"email": "a@example.com"}}),
                "employees",
            ),
            (
                json!({"employee": {"email": "a@example.com"}, "employees": []}),
                "employee",
            ),
            (
                json!({"employee": {"email": "a@example.com"}, "extra": 1}),
                "extra",
            ),
        ];
        for (payload, field) in cases {
            assert_eq!(
                parse(payload.clone()).unwrap_err().field,
                field,
                "{payload}"
            );
        }
        let too_many: Vec<Value> = (0..=MAX_BATCH)
            .map(|i| json!({"email": format!("u{i}@example.com")}))
            .collect();
        assert_eq!(
            parse(json!({"employees": too_many})).unwrap_err().field,
            "employees"
        );
    }

    #[test]
    fn employee_errors_are_per_entry_with_paths() {
        let request = parse(json!({"employees": [
            {"email": "ok@example.com"},
            {"email": "not-an-email"},
            {"email": "x@example.com", "groups": ["admins"]},
            {"email": "y@example.com", "emial": "typo"},
            {"email": "z@example.com", "groups": "developers"},
            {"givenName": "No Email"},
            {"email": "OK@example.org"},
            "string",
        ]}))
        .unwrap();
        let fields: Vec<Option<String>> = request
            .employees
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.field.clone()))
            .collect();
        assert_eq!(
            fields,
            vec![
                None,
                Some("employees[1].email".into()),
                Some("employees[2].groups[0]".into()),
                Some("employees[3].emial".into()),
                Some("employees[4].groups".into()),
                Some("employees[5].email".into()),
                Some("employees[6].username".into()),
                Some("employees[7]".into()),
            ]
        );
    }

    #[test]
    fn wrong_types_name_the_field_without_echoing_values() {
        let cases = [
            (json!({"email": 12345678}), "employee.email"),
            (
                json!({"email": "a@example.com", "tags": {"k": 12345678}}),
                "employee.tags.k",
            ),
            (
                json!({"email": "a@example.com", "tags": ["x"]}),
                "employee.tags",
            ),
            (
                json!({"email": "a@example.com", "groups": [12345678]}),
                "employee.groups[0]",
            ),
            (
                json!({"email": "a@example.com", "groups": null}),
                "employee.groups",
            ),
            (
                json!({"email": "a@example.com", "employeeId": 12345678}),
                "employee.employeeId",
            ),
        ];
        for (employee, field) in cases {
            let request = parse(json!({"employee": employee})).unwrap();
            let err = request.employees[0].as_ref().unwrap_err();
            assert_eq!(err.field, field);
            assert!(!err.reason.contains("12345678"), "{err}");
        }
    }
}

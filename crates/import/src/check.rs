//! Every row validated with the function's own rules: the row becomes the
//! direct contract's `employee` object and goes through
//! [`iam_onboarding::hr::HrRequest::parse`], the parser the function runs, with
//! the deployment's allowed groups. Two rows of one person (an address in any
//! letter case, or a user name) are refused too: the second names the first.

use std::collections::HashMap;

use iam_onboarding::hr::{GroupName, HrRequest};
use serde_json::{Map, Value, json};

use crate::rows::Row;

/// A row the function would accept.
#[derive(Debug, Clone, PartialEq)]
pub struct Accepted {
    /// Its line.
    pub line: u64,
    /// The `EmailSha256` tag the function gives the person's user.
    pub email_sha256: String,
    /// The message body: `{"action": "onboard", "employee": {…}}`.
    pub body: Value,
}

/// A row the function would refuse: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// Its line.
    pub line: u64,
    /// The contract's field (`email`, `groups[0]`, …).
    pub field: String,
    /// Why.
    pub reason: String,
}

/// The rows split into what would be accepted and refused, in file order.
#[derive(Debug, Default)]
pub struct Checked {
    /// Valid rows.
    pub accepted: Vec<Accepted>,
    /// Refused rows.
    pub refused: Vec<Refused>,
}

/// The contract's `employee` object of a row (groups split on `,`, `;`, `|`).
pub fn employee_of(row: &Row) -> Value {
    let mut employee = Map::new();
    for (field, value) in &row.values {
        let value = match *field {
            "groups" => Value::Array(
                value
                    .split([',', ';', '|'])
                    .map(str::trim)
                    .filter(|g| !g.is_empty())
                    .map(|g| Value::String(g.to_string()))
                    .collect(),
            ),
            _ => Value::String(value.clone()),
        };
        employee.insert((*field).to_string(), value);
    }
    Value::Object(employee)
}

/// Validates `rows` against `allowed_groups` (the function's `ALLOWED_GROUPS`).
pub fn check(rows: &[Row], allowed_groups: &[GroupName]) -> Checked {
    let mut checked = Checked::default();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for row in rows {
        let body = json!({"action": "onboard", "employee": employee_of(row)});
        let parsed = HrRequest::parse(&body, allowed_groups);
        let employee = match parsed {
            Ok(HrRequest::Onboard(mut request)) => request.employees.remove(0),
            Ok(_) => Err(iam_onboarding::hr::FieldError::new(
                "action",
                "not an onboard",
            )),
            Err(e) => Err(e),
        };
        let employee = match employee {
            Ok(employee) => employee,
            Err(e) => {
                checked.refused.push(Refused {
                    line: row.line,
                    field: e.field.trim_start_matches("employee.").to_string(),
                    reason: e.reason,
                });
                continue;
            }
        };
        let email_sha256 = employee.email.sha256_hex();
        let keys = [
            ("email", format!("email:{email_sha256}")),
            (
                "username",
                format!("username:{}", employee.username.as_str().to_lowercase()),
            ),
        ];
        if let Some((field, first)) = keys
            .iter()
            .find_map(|(field, key)| seen.get(key).map(|line| (*field, *line)))
        {
            checked.refused.push(Refused {
                line: row.line,
                field: field.into(),
                reason: format!("the same person as line {first} (IAM names ignore letter case)"),
            });
            continue;
        }
        for (_, key) in keys {
            seen.insert(key, row.line);
        }
        checked.accepted.push(Accepted {
            line: row.line,
            email_sha256,
            body,
        });
    }
    checked
}

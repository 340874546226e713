//! BambooHR's field-based webhooks (`POST /hr/bamboohr`), as its developer docs
//! describe them ("Webhooks", documentation.bamboohr.com/docs/webhooks):
//!
//! - `X-BambooHR-Signature`: the hex HMAC-SHA256, keyed with the webhook's
//!   private key, of the raw body immediately followed by the
//!   `X-BambooHR-Timestamp` value (compared in constant time, hex in any case);
//!   the timestamp may be unix seconds or ISO 8601 and must be within 5 minutes.
//! - The body: `{"employees": [{"id", "action", "changedFields", "fields",
//!   "timestamp"}]}`, `action` `Created`, `Updated` or `Deleted`; `fields` holds
//!   the webhook's "post fields" under their aliases (docs/hr-bamboohr.md tells the
//!   admin which) or their display names, values as strings or `{"value": …}`.
//! - BambooHR does not retry a 4xx and retries a 5xx up to 5 times, from 5
//!   minutes to 80 minutes apart.

use axum::http::HeaderMap;
use chrono::NaiveDate;
use hmac::Mac;
use serde_json::{Map, Value, json};

use super::record::{Intent, VendorRecord, field_value};
use super::route::Vendor;
use crate::hr::{FieldError, MAX_BATCH};
use crate::http::webhook::{MAX_SKEW_SECONDS, Rejection, SigningKey};

/// Header carrying the signature (hex HMAC-SHA256).
pub const SIGNATURE_HEADER: &str = "x-bamboohr-signature";
/// Header carrying the signing time; signed as sent.
pub const TIMESTAMP_HEADER: &str = "x-bamboohr-timestamp";

/// The fields the function reads, each with its API name (the alias the docs
/// prescribe) and its display name (BambooHR's default key).
const FIELDS: [(&str, &str); 8] = [
    ("workEmail", "Work Email"),
    ("firstName", "First Name"),
    ("lastName", "Last Name"),
    ("department", "Department"),
    ("status", "Status"),
    ("employmentHistoryStatus", "Employment Status"),
    ("hireDate", "Hire Date"),
    ("terminationDate", "Termination Date"),
];

/// The BambooHR connector.
pub struct BambooHr;

impl Vendor for BambooHr {
    const NAME: &'static str = "bamboohr";
    const SECRET_VARIABLE: &'static str = "BAMBOOHR_SECRET_ARN";

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        keys: &[SigningKey],
        now: i64,
    ) -> Result<(), Rejection> {
        let refuse = |reason| Rejection::VendorSignature {
            reason,
            mismatch: false,
        };
        let header = |name| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
        };
        let timestamp = header(TIMESTAMP_HEADER)
            .filter(|t| !t.is_empty())
            .ok_or(refuse("missing X-BambooHR-Timestamp header"))?;
        let signature = header(SIGNATURE_HEADER)
            .filter(|s| !s.is_empty())
            .ok_or(refuse("missing X-BambooHR-Signature header"))?;
        let signed_at = signing_time(timestamp).ok_or(refuse(
            "X-BambooHR-Timestamp must be unix seconds or an ISO 8601 time with offset",
        ))?;
        if (now - signed_at).abs() > MAX_SKEW_SECONDS {
            return Err(refuse(
                "X-BambooHR-Timestamp is more than 5 minutes from the current time",
            ));
        }
        let digest = Some(signature)
            .filter(|s| s.len() == 64)
            .and_then(|s| hex::decode(s).ok())
            .ok_or(refuse(
                "X-BambooHR-Signature must be 64 hex digits (HMAC-SHA256)",
            ))?;
        let matched = keys.iter().any(|key| {
            let mut mac = key.text_mac();
            mac.update(body);
            mac.update(timestamp.as_bytes());
            mac.verify_slice(&digest).is_ok()
        });
        match matched {
            true => Ok(()),
            false => Err(Rejection::VendorSignature {
                reason: "X-BambooHR-Signature does not match the request body",
                mismatch: true,
            }),
        }
    }

    async fn records(
        &self,
        body: &Value,
        _: &[SigningKey],
    ) -> Result<Vec<VendorRecord>, Rejection> {
        Self::parse(body).map_err(Rejection::InvalidField)
    }
}

impl BambooHr {
    /// The records of a field-based delivery `{"employees": [...]}` (1 to 100).
    /// Errors: the body is not one; a bad employee is a record with a field error.
    pub fn parse(body: &Value) -> Result<Vec<VendorRecord>, FieldError> {
        let employees = body
            .as_object()
            .and_then(|o| o.get("employees"))
            .and_then(Value::as_array)
            .ok_or_else(|| {
                FieldError::new(
                    "employees",
                    "is required: the body is {\"employees\": [...]} (a field-based webhook \
                     in JSON format)",
                )
            })?;
        if employees.is_empty() || employees.len() > MAX_BATCH {
            return Err(FieldError::new(
                "employees",
                format!("must hold 1 to {MAX_BATCH} employees"),
            ));
        }
        Ok(employees
            .iter()
            .enumerate()
            .map(|(i, entry)| {
                let hr_id = entry
                    .get("id")
                    .and_then(|id| field_value(id, "id").ok().flatten());
                let intent = intent(entry, hr_id.as_deref())
                    .map_err(|e| e.within(&format!("employees[{i}]")));
                VendorRecord { hr_id, intent }
            })
            .collect())
    }
}

/// Unix seconds of a timestamp header: 1 to 12 digits, or RFC 3339 / ISO 8601
/// with an offset (`2026-01-31T18:42:00+0000` as in BambooHR's bodies).
fn signing_time(raw: &str) -> Option<i64> {
    if raw.len() <= 12 && !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit()) {
        return raw.parse().ok();
    }
    chrono::DateTime::parse_from_rfc3339(raw)
        .or_else(|_| chrono::DateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .map(|at| at.timestamp())
}

/// The field `api_name` of `fields`, under its alias or display name (letter
/// case, spaces and underscores aside).
fn field(fields: &Map<String, Value>, api_name: &str) -> Result<Option<String>, FieldError> {
    let key = |k: &str| -> String {
        k.chars()
            .filter(|c| !matches!(c, ' ' | '_'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let display = FIELDS
        .iter()
        .find(|(api, _)| *api == api_name)
        .map_or(api_name, |(_, display)| display);
    let wanted = [key(api_name), key(display)];
    match fields.iter().find(|(k, _)| wanted.contains(&key(k))) {
        Some((k, value)) => field_value(value, &format!("fields.{k}")),
        None => Ok(None),
    }
}

/// The date field `api_name` (`yyyy-mm-dd`, as BambooHR sends dates).
fn date(fields: &Map<String, Value>, api_name: &str) -> Result<Option<NaiveDate>, FieldError> {
    field(fields, api_name)?
        .map(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d"))
        .transpose()
        .map_err(|_| {
            FieldError::new(
                format!("fields.{api_name}"),
                "must be a date like 2026-12-31",
            )
        })
}

/// What one entry of `employees` asks for.
fn intent(entry: &Value, hr_id: Option<&str>) -> Result<Intent, FieldError> {
    let entry = entry
        .as_object()
        .ok_or_else(|| FieldError::new("", "must be an object"))?;
    let id =
        hr_id.ok_or_else(|| FieldError::new("id", "is required (the BambooHR employee id)"))?;
    let action = entry
        .get("action")
        .and_then(Value::as_str)
        .ok_or_else(|| FieldError::new("action", "is required: Created, Updated or Deleted"))?;
    let no_fields = Map::new();
    let fields = match entry.get("fields") {
        None | Some(Value::Null) => &no_fields,
        Some(Value::Object(fields)) => fields,
        Some(_) => return Err(FieldError::new("fields", "must be an object")),
    };
    let email = field(fields, "workEmail")?;
    let leaver = |effective_at: Option<String>| {
        let mut leaver = json!({"employeeId": id});
        if let Some(email) = &email {
            leaver["email"] = json!(email);
        }
        if let Some(at) = effective_at {
            leaver["effectiveAt"] = json!(at);
        }
        Intent::Leave { leaver }
    };
    let created = match action.to_ascii_lowercase().as_str() {
        "deleted" => return Ok(leaver(None)),
        "created" => true,
        "updated" => false,
        _ => {
            return Err(FieldError::new(
                "action",
                format!("must be Created, Updated or Deleted, not {action:?}"),
            ));
        }
    };
    let is =
        |value: Option<String>, wanted: &str| value.is_some_and(|v| v.eq_ignore_ascii_case(wanted));
    if is(field(fields, "status")?, "inactive")
        || is(field(fields, "employmentHistoryStatus")?, "terminated")
    {
        // Access ends as the termination date begins (UTC): the direct contract's
        // `effectiveAt`, scheduled when in the future.
        let ends = date(fields, "terminationDate")?.map(|d| format!("{d}T00:00:00Z"));
        return Ok(leaver(ends));
    }
    let Some(email) = email else {
        return Ok(Intent::Defer {
            reason: "no work email in the event yet: the first event that carries one onboards \
                     the employee"
                .into(),
        });
    };
    let hire_date = date(fields, "hireDate")?;
    let mut employee = json!({"email": email, "employeeId": id});
    for (api, ours) in [
        ("firstName", "givenName"),
        ("lastName", "familyName"),
        ("department", "department"),
    ] {
        if let Some(value) = field(fields, api)? {
            employee[ours] = json!(value);
        }
    }
    Ok(match created {
        true => Intent::Join {
            employee,
            hire_date,
        },
        false => Intent::Change {
            employee,
            hire_date,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const KEY: &str = "bamboo-private-key";
    const BODY: &[u8] = br#"{"employees":[{"id":"1042","action":"Updated","changedFields":["Department"],"fields":{"workEmail":"jane.doe@example.com","department":"Engineering"},"timestamp":"2026-12-03T09:00:00+0000"}]}"#;
    /// 2026-12-03T09:00:00Z.
    const NOW: i64 = 1_796_288_400;
    // Computed independently, with Python's hmac:
    // hmac.new(KEY, BODY + timestamp, hashlib.sha256).hexdigest()
    const UNIX_SIGNATURE: &str = "317a305e5c45e4e16dd2fa8b45ec82900e555f77e13d533029f779edeaf7b0f1";
    const ISO_TIMESTAMP: &str = "2026-12-03T09:00:00+00:00";
    const ISO_SIGNATURE: &str = "22816f943c8c3a178bb75dc07dda3f2d7e3e523b798e5c1b09228f1a07f54b4f";

    fn headers(timestamp: &str, signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(TIMESTAMP_HEADER, HeaderValue::from_str(timestamp).unwrap());
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        headers
    }

    fn verify(headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), &'static str> {
        BambooHr
            .verify(
                headers,
                body,
                &[SigningKey::new("old"), SigningKey::new(KEY)],
                now,
            )
            .map_err(|r| match r {
                Rejection::VendorSignature { reason, .. } => reason,
                other => panic!("{other:?}"),
            })
    }

    #[test]
    fn accepts_the_independently_computed_signatures_in_either_timestamp_form() {
        let unix = NOW.to_string();
        assert_eq!(verify(&headers(&unix, UNIX_SIGNATURE), BODY, NOW), Ok(()));
        let upper = UNIX_SIGNATURE.to_ascii_uppercase();
        assert_eq!(verify(&headers(&unix, &upper), BODY, NOW + 299), Ok(()));
        assert_eq!(
            verify(&headers(ISO_TIMESTAMP, ISO_SIGNATURE), BODY, NOW - 299),
            Ok(())
        );
    }

    #[test]
    fn refuses_a_changed_body_or_time_a_stale_time_and_malformed_headers() {
        let unix = NOW.to_string();
        let mismatch = "X-BambooHR-Signature does not match the request body";
        assert_eq!(
            verify(&headers(&unix, UNIX_SIGNATURE), b"{}", NOW),
            Err(mismatch)
        );
        let later = (NOW + 1).to_string();
        assert_eq!(
            verify(&headers(&later, UNIX_SIGNATURE), BODY, NOW),
            Err(mismatch)
        );
        assert!(
            verify(&headers(&unix, UNIX_SIGNATURE), BODY, NOW + 301)
                .unwrap_err()
                .contains("5 minutes")
        );
        assert!(
            verify(&headers("yesterday", UNIX_SIGNATURE), BODY, NOW)
                .unwrap_err()
                .contains("unix seconds")
        );
        assert!(
            verify(&headers(&unix, "sha256=abc"), BODY, NOW)
                .unwrap_err()
                .contains("64 hex")
        );
        assert!(
            verify(&HeaderMap::new(), BODY, NOW)
                .unwrap_err()
                .contains("Timestamp")
        );
        let mut no_signature = headers(&unix, UNIX_SIGNATURE);
        no_signature.remove(SIGNATURE_HEADER);
        assert!(
            verify(&no_signature, BODY, NOW)
                .unwrap_err()
                .contains("missing X-BambooHR-Signature")
        );
    }

    fn intents(body: Value) -> Vec<Result<Intent, FieldError>> {
        BambooHr::parse(&body)
            .unwrap()
            .into_iter()
            .map(|r| r.intent)
            .collect()
    }

    #[test]
    fn reads_joiners_movers_and_leavers_by_alias_or_display_name() {
        let body = json!({"employees": [
            {"id": "1", "action": "Created", "fields": {
                "Work Email": "ada@example.com", "First Name": {"value": "Ada"},
                "Last Name": "Lovelace", "Hire Date": "2026-12-01", "Department": "Engineering"}},
            {"id": 2, "action": "Updated", "fields": {"workEmail": "bob@example.com", "department": "Sales",
                "hireDate": "0000-00-00"}},
            {"id": "3", "action": "Updated", "fields": {"workEmail": "cy@example.com", "status": "Inactive",
                "terminationDate": "2026-12-31"}},
            {"id": "4", "action": "Updated", "fields": {"employmentHistoryStatus": "Terminated"}},
            {"id": "5", "action": "Deleted", "fields": {}},
            {"id": "6", "action": "Created", "fields": {}},
        ]});
        assert_eq!(
            intents(body),
            vec![
                Ok(Intent::Join {
                    employee: json!({"email": "ada@example.com", "employeeId": "1", "givenName": "Ada",
                                     "familyName": "Lovelace", "department": "Engineering"}),
                    hire_date: NaiveDate::from_ymd_opt(2026, 12, 1),
                }),
                Ok(Intent::Change {
                    employee: json!({"email": "bob@example.com", "employeeId": "2", "department": "Sales"}),
                    hire_date: None,
                }),
                Ok(Intent::Leave {
                    leaver: json!({"employeeId": "3", "email": "cy@example.com",
                                   "effectiveAt": "2026-12-31T00:00:00Z"})
                }),
                Ok(Intent::Leave {
                    leaver: json!({"employeeId": "4"})
                }),
                Ok(Intent::Leave {
                    leaver: json!({"employeeId": "5"})
                }),
                Ok(Intent::Defer {
                    reason: "no work email in the event yet: the first event that carries one \
                             onboards the employee"
                        .into()
                }),
            ]
        );
    }

    #[test]
    fn a_bad_record_names_its_field_and_leaves_the_others() {
        let body = json!({"employees": [
            {"id": "1", "action": "Hired"},
            {"action": "Updated"},
            {"id": "3", "action": "Updated", "fields": {"workEmail": "a@example.com", "hireDate": "12/01/2026"}},
            {"id": "4", "action": "Updated", "fields": {"workEmail": ["a@example.com"]}},
            {"id": "5", "action": "Deleted"},
        ]});
        let fields: Vec<String> = intents(body)
            .into_iter()
            .map(|i| i.map_or_else(|e| e.field, |_| "ok".into()))
            .collect();
        assert_eq!(
            fields,
            [
                "employees[0].action",
                "employees[1].id",
                "employees[2].fields.hireDate",
                "employees[3].fields.workEmail",
                "ok"
            ]
        );
    }

    #[test]
    fn a_body_that_is_not_a_delivery_is_refused_whole() {
        for body in [
            json!([]),
            json!({}),
            json!({"employees": []}),
            json!({"employees": "x"}),
        ] {
            assert_eq!(
                BambooHr::parse(&body).unwrap_err().field,
                "employees",
                "{body}"
            );
        }
        let many = json!({"employees": vec![json!({"id": "1", "action": "Deleted"}); 101]});
        assert_eq!(BambooHr::parse(&many).unwrap_err().field, "employees");
    }
}

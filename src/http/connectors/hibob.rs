//! HiBob's webhooks (`POST /hr/hibob`), as HiBob's API docs describe them
//! ("Working with webhooks", apidocs.hibob.com/docs/working-with-webhooks; the v2
//! event references; "People": apidocs.hibob.com/reference/post_people-identifier):
//!
//! - `Bob-Signature`: the base64 HMAC-SHA512 of the raw body, keyed with the
//!   webhook's secret; no timestamp, so deliveries are de-duplicated on (company,
//!   type, employee, `triggeredAt`) instead ([`Vendor::delivery_id`]).
//! - The body (v2): `{"companyId", "type", "triggeredBy", "triggeredAt",
//!   "version", "data": {"employeeId", …}}`; ids only. `employee.joined` and
//!   `employee.left` fire on the effective day; `employee.created` is a staged
//!   record. The connection test sends `Ping test` (or `{"text": "Ping test"}`).
//! - The person is read back: `POST {HIBOB_API_URL}/v1/people/{id}` with the
//!   fields wanted and `humanReadable: APPEND` (department names, not list ids),
//!   HTTP Basic with a service user's id and token.
//!
//! The secret (`HIBOB_SECRET_ARN`) is a JSON string `{"signingSecret": …,
//! "serviceUserId": …, "serviceUserToken": …}`.

use std::fmt;
use std::time::Duration;

use axum::http::HeaderMap;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Value, json};
use sha2::Sha512;

use super::outbound::{Outbound, OutboundError};
use super::record::{Intent, VendorRecord, field_value};
use super::route::Vendor;
use crate::deadline::Deadline;
use crate::hr::FieldError;
use crate::http::webhook::{Rejection, SigningKey};
use crate::identity::AwsError;

/// Header carrying the signature (base64 HMAC-SHA512).
pub const SIGNATURE_HEADER: &str = "bob-signature";
/// The fields read back, as HiBob names them.
const FIELDS: [&str; 7] = [
    "root.email",
    "root.firstName",
    "root.surname",
    "work.department",
    "work.employeeIdInCompany",
    "work.startDate",
    "internal.terminationDate",
];
/// Attempts of a call-back that HiBob answers 429 or 5xx (or not at all).
const ATTEMPTS: u32 = 3;
/// The first backoff between attempts, doubled each time.
const FIRST_BACKOFF: Duration = Duration::from_millis(500);

/// The HiBob connector: where its API is and the client that calls it.
pub struct HiBob {
    api_url: String,
    outbound: Outbound,
}

impl HiBob {
    /// Calls HiBob's API at `api_url` (no trailing `/`) through `outbound`.
    pub fn new(api_url: &str, outbound: Outbound) -> Self {
        Self {
            api_url: api_url.trim_end_matches('/').to_string(),
            outbound,
        }
    }

    /// The person `id` (HiBob's id), read with `secret`'s service user. Errors:
    /// `Rejection::HrSystemUnavailable` after [`ATTEMPTS`] answers 429/5xx or
    /// none, or when the invocation's deadline is too near; a person HiBob does
    /// not show (`404`) or an answer that is not JSON, a field error.
    async fn read_person(
        &self,
        secret: &HiBobSecret,
        id: &str,
    ) -> Result<Result<Value, FieldError>, Rejection> {
        let url = format!("{}/v1/people/{}", self.api_url, encode_path_segment(id));
        let body = json!({"fields": FIELDS, "humanReadable": "APPEND"});
        let authorization = secret.basic_authorization();
        let calls = async {
            let mut backoff = FIRST_BACKOFF;
            let mut last = String::new();
            for attempt in 1..=ATTEMPTS {
                match self.outbound.post_json(&url, &authorization, &body).await {
                    Ok((200, bytes)) => {
                        return Ok(serde_json::from_slice::<Value>(&bytes).map_err(|_| {
                            FieldError::new(
                                "data.employeeId",
                                "HiBob's answer for the employee is not JSON",
                            )
                        }));
                    }
                    Ok((status @ (401 | 403), _)) => {
                        tracing::error!(
                            status,
                            "HiBob refused the service user: check HIBOB_SECRET_ARN"
                        );
                        last = format!("HiBob answered {status} (the service user's id or token)");
                        break;
                    }
                    Ok((404, _)) => {
                        return Ok(Err(FieldError::new(
                            "data.employeeId",
                            "HiBob shows no such employee to the service user",
                        )));
                    }
                    Ok((status, _)) if status == 429 || status >= 500 => {
                        last = format!("HiBob answered {status}")
                    }
                    Ok((status, _)) => {
                        last = format!("HiBob answered {status}");
                        break;
                    }
                    Err(err @ (OutboundError::Timeout(_) | OutboundError::Transport(_))) => {
                        last = err.to_string()
                    }
                    Err(err) => {
                        last = err.to_string();
                        break;
                    }
                }
                tracing::warn!(attempt, reason = %last, "HiBob call-back failed; retrying");
                if attempt < ATTEMPTS {
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                }
            }
            Err(AwsError {
                code: "HrSystemUnavailable".into(),
                message: last,
            })
        };
        match Deadline::bound(false, calls).await {
            Ok(person) => Ok(person),
            Err(err) => {
                tracing::warn!(code = %err.code, reason = %err.message, "HiBob call-back gave up");
                Err(Rejection::HrSystemUnavailable(
                    "HiBob's People API did not answer the call-back",
                ))
            }
        }
    }
}

/// The service user and signing secret of one secret version. `Debug` is redacted.
struct HiBobSecret {
    signing_secret: String,
    service_user_id: String,
    service_user_token: String,
}

impl fmt::Debug for HiBobSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HiBobSecret(redacted)")
    }
}

impl HiBobSecret {
    /// The secret's JSON (`signingSecret`, `serviceUserId`, `serviceUserToken`);
    /// `None` when it is not that.
    fn from_key(key: &SigningKey) -> Option<Self> {
        let value: Value = serde_json::from_slice(key.expose_text()).ok()?;
        let text = |name: &str| {
            value
                .get(name)?
                .as_str()
                .map(str::to_string)
                .filter(|s| !s.is_empty())
        };
        Some(Self {
            signing_secret: text("signingSecret")?,
            service_user_id: text("serviceUserId")?,
            service_user_token: text("serviceUserToken")?,
        })
    }

    fn basic_authorization(&self) -> String {
        let pair = format!("{}:{}", self.service_user_id, self.service_user_token);
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        )
    }
}

/// `id` as one path segment: letters, digits, `-`, `_`, `.`, `@` as they are,
/// anything else percent-encoded.
fn encode_path_segment(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'@' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The event's fields this connector reads.
struct Event {
    company: String,
    kind: String,
    employee_id: String,
    triggered_at: String,
}

fn event(body: &Value) -> Result<Event, FieldError> {
    let text = |value: Option<&Value>, field: &str| -> Result<String, FieldError> {
        value
            .map(|v| field_value(v, field))
            .transpose()?
            .flatten()
            .ok_or_else(|| FieldError::new(field, "is required (a HiBob v2 webhook event)"))
    };
    let data = body.get("data").filter(|d| d.is_object());
    Ok(Event {
        company: text(body.get("companyId"), "companyId")?,
        kind: text(body.get("type"), "type")?,
        employee_id: text(
            data.and_then(|d| d.get("employeeId").or_else(|| d.get("id"))),
            "data.employeeId",
        )?,
        triggered_at: text(body.get("triggeredAt"), "triggeredAt")?,
    })
}

/// The field `path` (`root.email`, `work.department`) of a People API answer,
/// in any of its forms: nested (`work` → `department`; root fields at the top),
/// as a `/work/department` key, and for the department the human-readable name
/// first.
fn person_field(person: &Value, path: &str) -> Result<Option<String>, FieldError> {
    let (section, name) = path.split_once('.').unwrap_or(("root", path));
    let human = person.get("humanReadable");
    let mut candidates = Vec::new();
    if section == "work" && name == "department" {
        candidates.push(human.and_then(|h| h.get("work")).and_then(|w| w.get(name)));
    }
    candidates.push(person.get(section).and_then(|s| s.get(name)));
    if section == "root" {
        candidates.push(person.get(name));
    }
    candidates.push(person.get(format!("/{section}/{name}").as_str()));
    for value in candidates.into_iter().flatten() {
        if let Some(text) = field_value(value, path)? {
            return Ok(Some(text));
        }
    }
    Ok(None)
}

fn date(person: &Value, path: &str) -> Result<Option<chrono::NaiveDate>, FieldError> {
    person_field(person, path)?
        .map(|d| chrono::NaiveDate::parse_from_str(d.get(..10).unwrap_or(&d), "%Y-%m-%d"))
        .transpose()
        .map_err(|_| FieldError::new(path, "must be a date like 2026-12-31"))
}

/// What event `kind` (`employee.joined`, `employee.updated`, `employee.left`) of
/// HiBob employee `id` asks for, given `person`, the People API's answer.
/// Errors: a field of the answer that cannot be read (path and reason).
pub fn read_intent(kind: &str, id: &str, person: &Value) -> Result<Intent, FieldError> {
    intent(kind, id, person)
}

fn intent(kind: &str, id: &str, person: &Value) -> Result<Intent, FieldError> {
    let email = person_field(person, "root.email")?;
    let employee_id =
        person_field(person, "work.employeeIdInCompany")?.unwrap_or_else(|| id.to_string());
    if kind == "employee.left" {
        let mut leaver = json!({"employeeId": employee_id});
        if let Some(email) = email {
            leaver["email"] = json!(email);
        }
        if let Some(day) = date(person, "internal.terminationDate")? {
            leaver["effectiveAt"] = json!(format!("{day}T00:00:00Z"));
        }
        return Ok(Intent::Leave { leaver });
    }
    let Some(email) = email else {
        return Ok(Intent::Defer {
            reason: "HiBob shows no email for the employee yet: the first event after one is set \
                     onboards them"
                .into(),
        });
    };
    let mut employee = json!({"email": email, "employeeId": employee_id});
    for (path, ours) in [
        ("root.firstName", "givenName"),
        ("root.surname", "familyName"),
        ("work.department", "department"),
    ] {
        if let Some(value) = person_field(person, path)? {
            employee[ours] = json!(value);
        }
    }
    let hire_date = date(person, "work.startDate")?;
    Ok(match kind {
        "employee.joined" => Intent::Join {
            employee,
            hire_date,
        },
        _ => Intent::Change {
            employee,
            hire_date,
        },
    })
}

impl Vendor for HiBob {
    const NAME: &'static str = "hibob";
    const SECRET_VARIABLE: &'static str = "HIBOB_SECRET_ARN";

    fn is_ping(&self, body: &[u8]) -> bool {
        let is_ping = |text: &str| text.trim().eq_ignore_ascii_case("ping test");
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::String(text)) => is_ping(&text),
            Ok(Value::Object(object)) => {
                !object.contains_key("type")
                    && object
                        .get("text")
                        .and_then(Value::as_str)
                        .is_some_and(is_ping)
            }
            Ok(_) => false,
            Err(_) => std::str::from_utf8(body).is_ok_and(is_ping),
        }
    }

    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        keys: &[SigningKey],
        _now: i64,
    ) -> Result<(), Rejection> {
        let refuse = |reason| Rejection::VendorSignature {
            reason,
            mismatch: false,
        };
        let signature = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or(refuse("missing Bob-Signature header"))?;
        let digest = base64::engine::general_purpose::STANDARD
            .decode(signature)
            .ok()
            .filter(|d| d.len() == 64)
            .ok_or(refuse(
                "Bob-Signature must be the base64 HMAC-SHA512 of the body",
            ))?;
        let secrets: Vec<HiBobSecret> = keys.iter().filter_map(HiBobSecret::from_key).collect();
        if secrets.is_empty() {
            tracing::error!(
                "HIBOB_SECRET_ARN is not JSON with signingSecret, serviceUserId and serviceUserToken"
            );
            return Err(Rejection::SecretUnavailable);
        }
        let matched = secrets.iter().any(|secret| {
            let mut mac = Hmac::<Sha512>::new_from_slice(secret.signing_secret.as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(body);
            mac.verify_slice(&digest).is_ok()
        });
        match matched {
            true => Ok(()),
            false => Err(Rejection::VendorSignature {
                reason: "Bob-Signature does not match the request body",
                mismatch: true,
            }),
        }
    }

    fn delivery_id(&self, body: &Value) -> Option<String> {
        let event = event(body).ok()?;
        Some(format!(
            "hibob/{}/{}/{}/{}",
            event.company, event.kind, event.employee_id, event.triggered_at
        ))
    }

    async fn records(
        &self,
        body: &Value,
        keys: &[SigningKey],
    ) -> Result<Vec<VendorRecord>, Rejection> {
        let event = event(body).map_err(Rejection::InvalidField)?;
        let record = |intent| {
            Ok(vec![VendorRecord {
                hr_id: Some(event.employee_id.clone()),
                intent,
            }])
        };
        match event.kind.as_str() {
            "employee.joined" | "employee.updated" | "employee.left" => {}
            "employee.created" => {
                return record(Ok(Intent::Defer {
                    reason:
                        "employee.created is a staged record in HiBob: employee.joined onboards"
                            .into(),
                }));
            }
            other => {
                return record(Ok(Intent::Defer {
                    reason: format!("HiBob event type {other:?} is not one the function acts on"),
                }));
            }
        }
        let secret = keys
            .iter()
            .find_map(HiBobSecret::from_key)
            .ok_or(Rejection::SecretUnavailable)?;
        let person = self.read_person(&secret, &event.employee_id).await?;
        record(person.and_then(|person| intent(&event.kind, &event.employee_id, &person)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    const BODY: &[u8] = br#"{"companyId":638193,"type":"employee.joined","triggeredBy":"system","triggeredAt":"2026-12-03T00:00:04.512731","version":"v2","data":{"employeeId":"3332883884017713238"}}"#;
    // Computed independently, with Python's hmac:
    // base64.b64encode(hmac.new(b"hibob-signing-secret", BODY, hashlib.sha512).digest())
    const SIGNATURE: &str =
        "U8jHihEP7CnW2UASuk+9tvGqup0zkU8LPrdLdOjY6me5aOVRr1cFAkZSPaEM0aAxIi1h1Zu7geTE87q4MZiwIg==";

    fn key(signing_secret: &str) -> SigningKey {
        SigningKey::new(
            &json!({"signingSecret": signing_secret, "serviceUserId": "SERVICE-1",
                    "serviceUserToken": "token"})
            .to_string(),
        )
    }

    fn hibob() -> HiBob {
        HiBob::new(
            "https://api.hibob.com/",
            Outbound::new(Duration::from_secs(1)),
        )
    }

    fn verify(signature: Option<&str>, body: &[u8], keys: &[SigningKey]) -> Result<(), Rejection> {
        let mut headers = HeaderMap::new();
        if let Some(signature) = signature {
            headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
        }
        hibob().verify(&headers, body, keys, 0)
    }

    #[test]
    fn accepts_the_independently_computed_signature_also_during_a_rotation() {
        assert!(verify(Some(SIGNATURE), BODY, &[key("hibob-signing-secret")]).is_ok());
        assert!(
            verify(
                Some(SIGNATURE),
                BODY,
                &[key("new"), key("hibob-signing-secret")]
            )
            .is_ok()
        );
    }

    #[test]
    fn refuses_another_body_or_secret_and_malformed_headers() {
        let reason = |r: Result<(), Rejection>| match r {
            Err(Rejection::VendorSignature { reason, .. }) => reason,
            other => panic!("{other:?}"),
        };
        let keys = [key("hibob-signing-secret")];
        assert_eq!(
            reason(verify(Some(SIGNATURE), b"{}", &keys)),
            "Bob-Signature does not match the request body"
        );
        assert_eq!(
            reason(verify(Some(SIGNATURE), BODY, &[key("other")])),
            "Bob-Signature does not match the request body"
        );
        assert_eq!(
            reason(verify(None, BODY, &keys)),
            "missing Bob-Signature header"
        );
        assert!(reason(verify(Some("c2hvcnQ="), BODY, &keys)).contains("HMAC-SHA512"));
        assert!(reason(verify(Some("not base64!"), BODY, &keys)).contains("HMAC-SHA512"));
        // A secret that is not HiBob's JSON is the operator's problem: 500, not 401.
        assert!(matches!(
            verify(Some(SIGNATURE), BODY, &[SigningKey::new("plain")]),
            Err(Rejection::SecretUnavailable)
        ));
    }

    #[test]
    fn the_connection_test_is_a_ping_and_events_are_not() {
        for ping in [
            &b"Ping test"[..],
            b"\"Ping test\"",
            br#"{"text": "Ping test"}"#,
            b" ping TEST\n",
        ] {
            assert!(hibob().is_ping(ping), "{}", String::from_utf8_lossy(ping));
        }
        for other in [BODY, br#"{"type": "x", "text": "Ping test"}"#, b"", b"ping"] {
            assert!(
                !hibob().is_ping(other),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }

    #[test]
    fn a_delivery_is_known_by_company_type_employee_and_time() {
        let body: Value = serde_json::from_slice(BODY).unwrap();
        assert_eq!(
            hibob().delivery_id(&body).as_deref(),
            Some("hibob/638193/employee.joined/3332883884017713238/2026-12-03T00:00:04.512731")
        );
        assert_eq!(
            hibob().delivery_id(&json!({"type": "employee.joined"})),
            None
        );
    }

    #[test]
    fn reads_the_person_in_each_documented_shape() {
        let nested = json!({"id": "9", "email": "kai@example.com", "firstName": "Kai", "surname": "Tanaka",
            "work": {"department": "228341012", "employeeIdInCompany": 2001, "startDate": "2026-12-03"},
            "humanReadable": {"work": {"department": "Engineering"}}});
        let slashed = json!({"/root/email": {"value": "kai@example.com"}, "/root/firstName": {"value": "Kai"},
            "/root/surname": {"value": "Tanaka"}, "/work/department": {"value": "Engineering"},
            "/work/employeeIdInCompany": {"value": 2001}, "/work/startDate": {"value": "2026-12-03"}});
        let employee = json!({"email": "kai@example.com", "employeeId": "2001", "givenName": "Kai",
                              "familyName": "Tanaka", "department": "Engineering"});
        for person in [nested, slashed] {
            assert_eq!(
                read_intent("employee.joined", "9", &person).unwrap(),
                Intent::Join {
                    employee: employee.clone(),
                    hire_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 3)
                }
            );
        }
        let leaver =
            json!({"email": "kai@example.com", "internal": {"terminationDate": "2026-12-31"}});
        assert_eq!(
            read_intent("employee.left", "9", &leaver).unwrap(),
            Intent::Leave {
                leaver: json!({"employeeId": "9", "email": "kai@example.com",
                               "effectiveAt": "2026-12-31T00:00:00Z"})
            }
        );
        let bad_date = json!({"email": "a@example.com", "work": {"startDate": "03/12/2026"}});
        assert_eq!(
            read_intent("employee.updated", "9", &bad_date)
                .unwrap_err()
                .field,
            "work.startDate"
        );
        assert!(matches!(
            read_intent("employee.updated", "9", &json!({})),
            Ok(Intent::Defer { .. })
        ));
    }

    #[test]
    fn the_service_user_is_basic_auth_and_never_in_debug() {
        let secret = HiBobSecret::from_key(&key("s")).unwrap();
        assert_eq!(secret.basic_authorization(), "Basic U0VSVklDRS0xOnRva2Vu");
        assert_eq!(format!("{secret:?}"), "HiBobSecret(redacted)");
        assert_eq!(encode_path_segment("a b/c"), "a%20b%2Fc");
    }
}

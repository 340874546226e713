//! The request HR sends (the direct-invoke payload, also the webhook body and
//! the EventBridge `detail`): an [`Action`] and one employee or a batch, parsed
//! and validated before any AWS call.

use serde_json::{Map, Value};

use super::{Employee, EmployeeRecord, FieldError, GroupName, Leaver, LeaverRecord};

/// Most employees accepted in one request.
pub const MAX_BATCH: usize = 100;

/// What HR asks for (`action`; `onboard` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A joiner, or a rehire of an offboarded user.
    Onboard,
    /// A leaver: access ends now or at `effectiveAt`.
    Offboard,
    /// A mover: tags and groups follow the HR record.
    Update,
    /// A fresh one-time password and welcome email for a user who never signed in
    /// (or anyone, with `force`).
    Resend,
}

impl Action {
    /// Every action, in the order error messages list them.
    pub const ALL: [Action; 4] = [
        Action::Onboard,
        Action::Offboard,
        Action::Update,
        Action::Resend,
    ];

    /// The action's name in requests, logs and error types.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Onboard => "onboard",
            Action::Offboard => "offboard",
            Action::Update => "update",
            Action::Resend => "resend",
        }
    }

    /// The action's past participle, for messages ("employee not offboarded").
    pub fn done(self) -> &'static str {
        match self {
            Action::Onboard => "onboarded",
            Action::Offboard => "offboarded",
            Action::Update => "updated",
            Action::Resend => "resent",
        }
    }

    fn parse(raw: &Value) -> Result<Self, FieldError> {
        Self::ALL
            .into_iter()
            .find(|a| raw.as_str() == Some(a.as_str()))
            .ok_or_else(|| {
                let names: Vec<String> = Self::ALL
                    .iter()
                    .map(|a| format!("\"{}\"", a.as_str()))
                    .collect();
                FieldError::new("action", format!("must be one of {}", names.join(", ")))
            })
    }
}

/// A validated request, by action.
#[derive(Debug)]
pub enum HrRequest {
    /// Onboard (or rehire) the employees.
    Onboard(OnboardingRequest),
    /// Offboard the leavers.
    Offboard(OffboardingRequest),
    /// Bring the users in line with the employees' records.
    Update(OnboardingRequest),
    /// Send the employees a fresh one-time password.
    Resend(ResendRequest),
}

impl HrRequest {
    /// Parses the camelCase JSON payload `{"action", "dryRun", "employee" | "employees"}`.
    /// Problems with the request as a whole are an error; problems with one
    /// employee reject only that employee.
    pub fn parse(payload: &Value, allowed_groups: &[GroupName]) -> Result<Self, FieldError> {
        let envelope = Envelope::parse(payload)?;
        Ok(match envelope.action {
            Action::Onboard => {
                Self::Onboard(OnboardingRequest::from_envelope(envelope, allowed_groups))
            }
            Action::Update => {
                Self::Update(OnboardingRequest::from_envelope(envelope, allowed_groups))
            }
            Action::Offboard => Self::Offboard(OffboardingRequest::from_envelope(envelope)),
            Action::Resend => Self::Resend(ResendRequest {
                force: envelope.force,
                request: OnboardingRequest::from_envelope(envelope, allowed_groups),
            }),
        })
    }

    /// The requested action.
    pub fn action(&self) -> Action {
        match self {
            Self::Onboard(_) => Action::Onboard,
            Self::Offboard(_) => Action::Offboard,
            Self::Update(_) => Action::Update,
            Self::Resend(_) => Action::Resend,
        }
    }

    /// Whether this is the run of one of the function's own offboarding
    /// schedules (`fromSchedule`), whose invoker reads no results.
    pub fn from_schedule(&self) -> bool {
        matches!(self, Self::Offboard(request) if request.from_schedule)
    }
}

/// The parts every action shares: action, dry run, and the raw records with their field paths.
struct Envelope<'a> {
    action: Action,
    dry_run: bool,
    force: bool,
    from_schedule: bool,
    records: Vec<(String, &'a Value)>,
}

impl<'a> Envelope<'a> {
    fn parse(payload: &'a Value) -> Result<Self, FieldError> {
        let object = payload
            .as_object()
            .ok_or_else(|| FieldError::new("(body)", "must be a JSON object"))?;
        for key in object.keys() {
            if ![
                "action",
                "dryRun",
                "force",
                "fromSchedule",
                "employee",
                "employees",
            ]
            .contains(&key.as_str())
            {
                return Err(FieldError::new(
                    key.as_str(),
                    "unknown field; expected action, dryRun, force, fromSchedule, employee or employees",
                ));
            }
        }
        let action = object
            .get("action")
            .map_or(Ok(Action::Onboard), Action::parse)?;
        let dry_run = match object.get("dryRun") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(FieldError::new("dryRun", "must be true or false")),
        };
        let force = match object.get("force") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) if action == Action::Resend => *b,
            Some(Value::Bool(_)) => {
                return Err(FieldError::new("force", "only a resend takes force"));
            }
            Some(_) => return Err(FieldError::new("force", "must be true or false")),
        };
        let from_schedule = match object.get("fromSchedule") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) if action == Action::Offboard => *b,
            Some(Value::Bool(_)) => {
                return Err(FieldError::new(
                    "fromSchedule",
                    "only an offboard takes fromSchedule",
                ));
            }
            Some(_) => return Err(FieldError::new("fromSchedule", "must be true or false")),
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
        Ok(Self {
            action,
            dry_run,
            force,
            from_schedule,
            records,
        })
    }

    /// Parses each record with `parse` (given the record's path, e.g. `employees[2]`, and
    /// its value); a second entry for the same user name (IAM names are case-insensitive)
    /// is rejected.
    fn entries<T>(
        self,
        parse: impl Fn(&str, &Value) -> Result<T, FieldError>,
        username: impl Fn(&T) -> &str,
    ) -> Vec<Result<T, FieldError>> {
        let mut entries: Vec<Result<T, FieldError>> = Vec::with_capacity(self.records.len());
        for (field, value) in self.records {
            let parsed = parse(&field, value).map_err(|e| e.within(&field)).and_then(|entry| {
                let name = username(&entry);
                let taken = entries
                    .iter()
                    .flatten()
                    .any(|other| username(other).eq_ignore_ascii_case(name));
                if taken {
                    Err(FieldError::new(
                        format!("{field}.username"),
                        "another employee in this request has the same user name (IAM names are case-insensitive)",
                    ))
                } else {
                    Ok(entry)
                }
            });
            entries.push(parsed);
        }
        entries
    }
}

/// A request to onboard (or update) one or more employees.
#[derive(Debug)]
pub struct OnboardingRequest {
    /// Validate and report the plan only; no write call.
    pub dry_run: bool,
    /// One entry per requested employee, in request order: the validated
    /// employee, or why it was rejected.
    pub employees: Vec<Result<Employee, FieldError>>,
}

impl OnboardingRequest {
    /// Parses an `onboard` payload (see [`HrRequest::parse`]); another action is a
    /// field error on `action`.
    pub fn parse(payload: &Value, allowed_groups: &[GroupName]) -> Result<Self, FieldError> {
        match HrRequest::parse(payload, allowed_groups)? {
            HrRequest::Onboard(request) => Ok(request),
            _ => Err(FieldError::new("action", "this is not an onboard request")),
        }
    }

    fn from_envelope(envelope: Envelope<'_>, allowed_groups: &[GroupName]) -> Self {
        let action = envelope.action;
        Self {
            dry_run: envelope.dry_run,
            employees: envelope.entries(
                |field, value| {
                    if action != Action::Update && value.get("terminationCancelled").is_some() {
                        return Err(FieldError::new(
                            "terminationCancelled",
                            "only an update takes terminationCancelled",
                        ));
                    }
                    for key in ["hireDate", "rehire"] {
                        if action != Action::Onboard && value.get(key).is_some() {
                            return Err(FieldError::new(
                                key,
                                format!("only an onboard takes {key}"),
                            ));
                        }
                    }
                    parse_record(value, allowed_groups).map(|mut employee| {
                        employee.warnings = std::mem::take(&mut employee.warnings)
                            .into_iter()
                            .map(|w| w.within(field))
                            .collect();
                        employee
                    })
                },
                |employee: &Employee| employee.username.as_str(),
            ),
        }
    }
}

/// A request to resend the welcome email with a fresh one-time password. The
/// employee records are the onboarding's; only `email`, `username`, `employeeId`
/// and `givenName` are used.
#[derive(Debug)]
pub struct ResendRequest {
    /// Replace the password even when the user has already signed in with it.
    pub force: bool,
    /// The employees, as for an onboarding (`dryRun` reports the plan only).
    pub request: OnboardingRequest,
}

/// A request to offboard one or more leavers.
#[derive(Debug)]
pub struct OffboardingRequest {
    /// Report what would be done only; no write call.
    pub dry_run: bool,
    /// Sent by the function's own schedule (`fromSchedule`, see
    /// `lifecycle::schedule`): a leaver not offboarded fails the invocation.
    pub from_schedule: bool,
    /// One entry per leaver, in request order.
    pub leavers: Vec<Result<Leaver, FieldError>>,
}

impl OffboardingRequest {
    fn from_envelope(envelope: Envelope<'_>) -> Self {
        Self {
            dry_run: envelope.dry_run,
            from_schedule: envelope.from_schedule,
            leavers: envelope.entries(
                |_, value| parse_leaver(value),
                |leaver: &Leaver| leaver.username.as_str(),
            ),
        }
    }
}

fn parse_leaver(value: &Value) -> Result<Leaver, FieldError> {
    let object = value
        .as_object()
        .ok_or_else(|| FieldError::new("", "must be a JSON object"))?;
    const FIELDS: [&str; 4] = ["email", "username", "employeeId", "effectiveAt"];
    if let Some(key) = object.keys().find(|k| !FIELDS.contains(&k.as_str())) {
        return Err(FieldError::new(
            key.as_str(),
            "unknown field; an offboard takes email, username, employeeId and effectiveAt",
        ));
    }
    if let Some((key, _)) = object.iter().find(|(_, v)| !(v.is_string() || v.is_null())) {
        return Err(FieldError::new(key.as_str(), "must be a string"));
    }
    let record: LeaverRecord = serde_json::from_value(value.clone()).map_err(record_error)?;
    Leaver::parse(&record)
}

/// A serde error on a record as a field error that names an unknown field, never a value.
fn record_error(err: serde_json::Error) -> FieldError {
    let text = err.to_string();
    match text
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
    {
        Some(name) => FieldError::new(name, "unknown field"),
        None => FieldError::new("", "is not a valid employee object"),
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
    let record: EmployeeRecord = serde_json::from_value(value.clone()).map_err(record_error)?;
    Employee::parse(&record, allowed_groups)
}

/// Checks the JSON type of every known field, so a wrong type is reported with
/// its field and without echoing the value.
fn check_types(object: &Map<String, Value>) -> Result<(), FieldError> {
    for (key, value) in object {
        let ok = match key.as_str() {
            "email" => value.is_string(),
            "terminationCancelled" | "rehire" => value.is_boolean() || value.is_null(),
            "username" | "givenName" | "familyName" | "employeeId" | "department" | "hireDate" => {
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
                "terminationCancelled" | "rehire" => "true or false",
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
                json!({"action": "fire", "employee": {"email": "a@example.com"}}),
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

    #[test]
    fn resend_takes_force_and_other_actions_refuse_it() {
        let groups = [GroupName::parse("developers").unwrap()];
        let parse_any = |v: Value| HrRequest::parse(&v, &groups);
        let resend = parse_any(
            json!({"action": "resend", "force": true, "employee": {"email": "a@example.com"}}),
        );
        assert!(
            matches!(resend, Ok(HrRequest::Resend(r)) if r.force && r.request.employees[0].is_ok())
        );
        let plain = parse_any(json!({"action": "resend", "employee": {"email": "a@example.com"}}));
        assert!(matches!(plain, Ok(HrRequest::Resend(r)) if !r.force));
        for payload in [
            json!({"force": true, "employee": {"email": "a@example.com"}}),
            json!({"action": "resend", "force": "yes", "employee": {"email": "a@example.com"}}),
        ] {
            assert_eq!(parse_any(payload).unwrap_err().field, "force");
        }
    }

    #[test]
    fn actions_choose_the_record_shape() {
        let groups = [GroupName::parse("developers").unwrap()];
        let parse_any = |v: Value| HrRequest::parse(&v, &groups);
        let onboard = parse_any(json!({"employee": {"email": "a@example.com"}})).unwrap();
        assert_eq!(onboard.action(), Action::Onboard);
        let update = parse_any(
            json!({"action": "update", "employee": {"email": "a@example.com", "groups": ["developers"]}}),
        );
        assert!(matches!(update, Ok(HrRequest::Update(r)) if r.employees[0].is_ok()));
        let HrRequest::Offboard(offboard) =
            parse_any(json!({"action": "offboard", "dryRun": true, "employees": [
                {"employeeId": "E-1", "username": "jane"},
                {"email": "JANE@example.com"},
                {"email": "bob@example.com", "groups": ["developers"]},
                {"email": "carl@example.com", "effectiveAt": 7},
            ]}))
            .unwrap()
        else {
            panic!("not an offboard request")
        };
        assert!(offboard.dry_run);
        let fields: Vec<Option<String>> = offboard
            .leavers
            .iter()
            .map(|r| r.as_ref().err().map(|e| e.field.clone()))
            .collect();
        assert_eq!(
            fields,
            vec![
                None,
                Some("employees[1].username".into()),
                Some("employees[2].groups".into()),
                Some("employees[3].effectiveAt".into()),
            ]
        );
    }

    #[test]
    fn only_an_update_takes_termination_cancelled() {
        let allowed = [GroupName::parse("developers").unwrap()];
        for action in ["onboard", "resend"] {
            let payload = json!({"action": action, "employee": {"email": "jane.doe@example.com",
            "terminationCancelled": true}});
            let request = HrRequest::parse(&payload, &allowed).unwrap();
            let rejected = match request {
                HrRequest::Onboard(r) => r.employees,
                HrRequest::Resend(r) => r.request.employees,
                other => panic!("{other:?}"),
            };
            assert_eq!(
                rejected[0].as_ref().unwrap_err().field,
                "employee.terminationCancelled",
                "{action}"
            );
        }
        let payload = json!({"action": "update", "employee": {"email": "jane.doe@example.com",
        "terminationCancelled": "yes"}});
        let HrRequest::Update(update) = HrRequest::parse(&payload, &allowed).unwrap() else {
            panic!("not an update");
        };
        let error = update.employees[0].as_ref().unwrap_err();
        assert_eq!(
            (error.field.as_str(), error.reason.as_str()),
            ("employee.terminationCancelled", "must be true or false")
        );
    }

    #[test]
    fn only_an_offboard_comes_from_a_schedule() {
        let employee = json!({"email": "jane.doe@example.com"});
        let scheduled = json!({"action": "offboard", "fromSchedule": true, "employee": employee});
        assert!(HrRequest::parse(&scheduled, &[]).unwrap().from_schedule());
        let by_hand = json!({"action": "offboard", "employee": employee});
        assert!(!HrRequest::parse(&by_hand, &[]).unwrap().from_schedule());
        for (payload, reason) in [
            (
                json!({"fromSchedule": true, "employee": employee}),
                "only an offboard takes fromSchedule",
            ),
            (
                json!({"action": "offboard", "fromSchedule": "yes", "employee": employee}),
                "must be true or false",
            ),
        ] {
            let error = HrRequest::parse(&payload, &[]).unwrap_err();
            assert_eq!(
                (error.field.as_str(), error.reason.as_str()),
                ("fromSchedule", reason)
            );
        }
    }
}

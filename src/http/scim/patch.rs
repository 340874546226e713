//! SCIM PATCH (RFC 7644 §3.5.2) of a user: `add`, `replace` and `remove` in any
//! letter case, with a `path` (parsed by `scim_v2`'s RFC grammar) or a path-less
//! value object whose keys may be dotted (`name.givenName`), URN-qualified
//! (`urn:…:enterprise:2.0:User:employeeNumber`) or value paths
//! (`emails[type eq "work"].value`), as Okta and Entra ID send them.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, PatchPath, ValFilter};
use serde_json::Value;

use super::ScimError;
use super::user::{ENTERPRISE_SCHEMA, ScimUser, USER_SCHEMA, primary_email, string};

/// The PATCH request schema (RFC 7644 §3.5.2).
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Most operations in one PATCH.
pub const MAX_OPERATIONS: usize = 100;

/// A PATCH operation's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `add`.
    Add,
    /// `replace`.
    Replace,
    /// `remove`.
    Remove,
}

/// One operation of a PATCH body.
#[derive(Debug, Clone)]
pub struct Operation {
    /// What it does.
    pub op: Op,
    /// Its target; `None`: the value object names its attributes.
    pub path: Option<PatchPath>,
    /// Its value (`Null` when absent).
    pub value: Value,
}

/// Reads a PatchOp body: `Operations`, each with `op`, optional `path`, `value`.
/// Errors: `400 invalidSyntax`, `invalidPath` (a path the grammar refuses) or
/// `invalidValue`, naming the operation.
pub fn operations(body: &Value) -> Result<Vec<Operation>, ScimError> {
    let ops = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Operations")))
        .map(|(_, v)| v)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "a PatchOp body needs an Operations array")
        })?;
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(ScimError::bad_request(
            "invalidSyntax",
            format!("Operations must hold 1 to {MAX_OPERATIONS} operations"),
        ));
    }
    ops.iter()
        .enumerate()
        .map(|(i, raw)| {
            let field = |name: &str| {
                raw.as_object()
                    .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                    .map(|(_, v)| v)
            };
            let op = match field("op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
            {
                Some(op) if op == "add" => Op::Add,
                Some(op) if op == "replace" => Op::Replace,
                Some(op) if op == "remove" => Op::Remove,
                _ => {
                    return Err(ScimError::invalid_value(
                        &format!("Operations[{i}].op"),
                        "must be add, replace or remove",
                    ));
                }
            };
            let path = match field("path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(parse_path(p)?),
                Some(_) => {
                    return Err(ScimError::invalid_value(
                        &format!("Operations[{i}].path"),
                        "must be a string",
                    ));
                }
            };
            let value = field("value").cloned().unwrap_or(Value::Null);
            if path.is_none() && (op == Op::Remove || !value.is_object()) {
                return Err(ScimError::bad_request(
                    if op == Op::Remove {
                        "noTarget"
                    } else {
                        "invalidValue"
                    },
                    format!(
                        "Operations[{i}]: without a path, {} needs an object value",
                        if op == Op::Remove {
                            "remove is not possible and"
                        } else {
                            "the operation"
                        }
                    ),
                ));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// Parses a PATCH path. Errors: `400 invalidPath`.
pub fn parse_path(raw: &str) -> Result<PatchPath, ScimError> {
    raw.parse().map_err(|_| {
        ScimError::bad_request("invalidPath", format!("not a SCIM attribute path: {raw:?}"))
    })
}

/// Where in a user an operation lands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// A core attribute, by name (`userName`, `name`, `emails`, `active`, …).
    Core(String),
    /// `name.<sub>`.
    NamePart(String),
    /// The work address (`emails[type eq "work"].value`, `emails.value`).
    WorkEmail,
    /// An enterprise attribute.
    Enterprise(String),
    /// The whole enterprise extension.
    EnterpriseObject,
}

fn target(path: &PatchPath) -> Result<Target, ScimError> {
    let invalid = || ScimError::bad_request("invalidPath", format!("no such attribute: {path}"));
    let (attr, filter, sub) = match path {
        PatchPath::Attr(a) => (a, None, a.sub_attr.as_deref()),
        PatchPath::Value(v) => (&v.attr, Some(&v.filter), v.sub_attr.as_deref()),
    };
    let schema = attr.uri.as_deref();
    if schema.is_some_and(|u| u.eq_ignore_ascii_case(ENTERPRISE_SCHEMA)) {
        return match (filter, sub) {
            (None, None) => Ok(Target::Enterprise(attr.name.clone())),
            _ => Err(invalid()),
        };
    }
    // `urn:…:enterprise:2.0:User` alone reads as schema `urn:…:enterprise:2.0`, name `User`.
    if path.to_string().eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
        return Ok(Target::EnterpriseObject);
    }
    if schema.is_some_and(|u| !u.eq_ignore_ascii_case(USER_SCHEMA)) {
        return Err(invalid());
    }
    let name = attr.name.to_ascii_lowercase();
    match (name.as_str(), filter, sub) {
        ("emails", Some(filter), Some(sub)) if sub.eq_ignore_ascii_case("value") => {
            if selects_work_email(filter) {
                Ok(Target::WorkEmail)
            } else {
                Err(ScimError::bad_request(
                    "invalidFilter",
                    "only the work address is kept: emails[type eq \"work\"] or emails[primary eq true]",
                ))
            }
        }
        ("emails", Some(filter), None) if selects_work_email(filter) => {
            Ok(Target::Core("emails".into()))
        }
        ("emails", None, Some(sub)) if sub.eq_ignore_ascii_case("value") => Ok(Target::WorkEmail),
        ("name", None, Some(sub)) => Ok(Target::NamePart(sub.to_string())),
        (_, None, None) => Ok(Target::Core(attr.name.clone())),
        _ => Err(invalid()),
    }
}

/// Whether `filter` selects the one address kept: `type eq "work"`, `primary eq true`.
fn selects_work_email(filter: &ValFilter) -> bool {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(
            AttrPath {
                name,
                sub_attr: None,
                ..
            },
            CompareOp::Eq,
            value,
        )) => match (name.to_ascii_lowercase().as_str(), value) {
            ("type", CompValue::Str(t)) => t.eq_ignore_ascii_case("work"),
            ("primary", CompValue::True) => true,
            _ => false,
        },
        ValFilter::And(a, b) => selects_work_email(a) || selects_work_email(b),
        _ => false,
    }
}

/// Applies `ops` to `user` in order (RFC 7644 §3.5.2: all or nothing; the
/// caller writes only the final state). Errors: the first operation's that fails.
pub fn apply(user: &mut ScimUser, ops: &[Operation]) -> Result<(), ScimError> {
    for operation in ops {
        match &operation.path {
            Some(path) => set(user, &target(path)?, operation.op, &operation.value)?,
            None => {
                let Some(values) = operation.value.as_object() else {
                    continue;
                };
                for (key, value) in values {
                    let target = if key.eq_ignore_ascii_case(ENTERPRISE_SCHEMA) {
                        Target::EnterpriseObject
                    } else {
                        target(&parse_path(key)?)?
                    };
                    set(user, &target, operation.op, value)?;
                }
            }
        }
    }
    Ok(())
}

fn set(user: &mut ScimUser, target: &Target, op: Op, value: &Value) -> Result<(), ScimError> {
    let value = if op == Op::Remove {
        &Value::Null
    } else {
        value
    };
    match target {
        Target::Core(name) if name.eq_ignore_ascii_case("userName") && value.is_null() => Err(
            ScimError::bad_request("mutability", "userName is required and cannot be removed"),
        ),
        Target::Core(name) if name.eq_ignore_ascii_case("active") && value.is_null() => Err(
            ScimError::bad_request("mutability", "active cannot be removed; set it to false"),
        ),
        Target::Core(name) if name.eq_ignore_ascii_case("emails") && op == Op::Add => {
            if let Some((email, shape)) = primary_email(value)? {
                user.email = Some(email);
                user.email_shape = Some(shape);
            }
            Ok(())
        }
        Target::Core(name) if name.eq_ignore_ascii_case("name") && op == Op::Remove => {
            user.set_core(name, &Value::Null)
        }
        Target::Core(name) => user.set_core(name, value),
        Target::NamePart(sub) => user.set_name_part(sub, value),
        Target::WorkEmail => {
            user.email = string("emails.value", value)?;
            Ok(())
        }
        Target::Enterprise(name) => user.set_enterprise(name, value),
        Target::EnterpriseObject => match value {
            Value::Null => {
                user.employee_number = None;
                user.department = None;
                Ok(())
            }
            Value::Object(ext) => ext.iter().try_for_each(|(k, v)| user.set_enterprise(k, v)),
            _ => Err(ScimError::invalid_value(
                ENTERPRISE_SCHEMA,
                "must be an object",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn jane() -> ScimUser {
        ScimUser {
            user_name: "jane@example.com".into(),
            given_name: Some("Jane".into()),
            family_name: Some("Doe".into()),
            email: Some("jane@example.com".into()),
            active: true,
            ..ScimUser::default()
        }
    }

    fn patched(ops: Value) -> Result<ScimUser, ScimError> {
        let mut user = jane();
        apply(
            &mut user,
            &operations(&json!({"schemas": [PATCH_SCHEMA], "Operations": ops}))?,
        )?;
        Ok(user)
    }

    #[test]
    fn okta_deactivation_and_entra_string_booleans() {
        assert!(
            !patched(json!([{"op": "replace", "value": {"active": false}}]))
                .unwrap()
                .active
        );
        let entra = json!([{"op": "Replace", "path": "active", "value": "False"}]);
        assert!(!patched(entra).unwrap().active);
        assert!(
            patched(json!([{"op": "REPLACE", "path": "active", "value": "True"}]))
                .unwrap()
                .active
        );
        assert!(patched(json!([{"op": "rEpLaCe", "path": "active", "value": "maybe"}])).is_err());
    }

    #[test]
    fn paths_dotted_keys_urns_and_value_paths() {
        let user = patched(json!([
            {"op": "Replace", "path": "name.givenName", "value": "Janet"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "janet@example.com"},
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "E-9"},
            {"op": "replace", "value": {
                "name.familyName": "Smith",
                "urn:ietf:params:scim:schemas:core:2.0:User:externalId": "ext-1",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Sales",
                "displayName": "ignored"
            }},
        ]))
        .unwrap();
        assert_eq!(user.given_name.as_deref(), Some("Janet"));
        assert_eq!(user.family_name.as_deref(), Some("Smith"));
        assert_eq!(user.email.as_deref(), Some("janet@example.com"));
        assert_eq!(user.employee_number.as_deref(), Some("E-9"));
        assert_eq!(user.department.as_deref(), Some("Sales"));
        assert_eq!(user.external_id.as_deref(), Some("ext-1"));
        let ext = patched(json!([{"op": "add", "value": {
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Ops"}
        }}]))
        .unwrap();
        assert_eq!(ext.department.as_deref(), Some("Ops"));
    }

    #[test]
    fn remove_clears_and_required_attributes_stay() {
        let user = patched(json!([{"op": "remove", "path": "name.givenName"}])).unwrap();
        assert_eq!(user.given_name, None);
        assert_eq!(user.family_name.as_deref(), Some("Doe"));
        assert_eq!(
            patched(json!([{"op": "remove", "path": "name"}]))
                .unwrap()
                .family_name,
            None
        );
        for (ops, scim_type) in [
            (json!([{"op": "remove", "path": "userName"}]), "mutability"),
            (
                json!([{"op": "replace", "path": "id", "value": "x"}]),
                "mutability",
            ),
            (json!([{"op": "remove"}]), "noTarget"),
            (
                json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x"}]),
                "invalidFilter",
            ),
            (
                json!([{"op": "replace", "path": "a b c", "value": "x"}]),
                "invalidPath",
            ),
            (
                json!([{"op": "replace", "path": "urn:example:Other:x", "value": "x"}]),
                "invalidPath",
            ),
            (
                json!([{"op": "move", "path": "active", "value": true}]),
                "invalidValue",
            ),
            (json!([]), "invalidSyntax"),
        ] {
            let err = patched(ops.clone()).unwrap_err();
            assert_eq!(err.scim_type, Some(scim_type), "{ops}: {}", err.detail);
        }
    }

    proptest! {
        #[test]
        fn no_patch_body_panics(path in any::<String>(), op in "(?i)(add|replace|remove|x)", value in any::<String>()) {
            let _ = patched(json!([{"op": op, "path": path, "value": value}]));
            let _ = patched(json!([{"op": op, "value": {path: value}}]));
        }

        #[test]
        fn no_path_panics(path in r#"[a-zA-Z:.\[\]" =0-9]{0,60}"#) {
            let _ = parse_path(&path);
        }
    }
}

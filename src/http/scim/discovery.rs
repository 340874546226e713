//! Discovery (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes` and
//! `/Schemas`, describing exactly what this provider keeps (RFC 7643 §5–§7):
//! PATCH yes; bulk, sort, ETags and password changes no; filters up to
//! [`MAX_RESULTS`] results; a bearer token.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::ScimError;
use super::groups::GROUP_SCHEMA;
use super::query::{LIST_SCHEMA, MAX_RESULTS};
use super::route::{Base, scim_json};
use super::user::{ENTERPRISE_SCHEMA, USER_SCHEMA};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";

/// An attribute definition (RFC 7643 §7) with the common defaults.
fn attribute(name: &str, kind: &str, mutability: &str, extra: Value) -> Value {
    let mut attribute = json!({
        "name": name, "type": kind, "multiValued": false, "description": "",
        "required": false, "caseExact": false, "mutability": mutability,
        "returned": "default", "uniqueness": "none",
    });
    if let (Some(a), Some(extra)) = (attribute.as_object_mut(), extra.as_object()) {
        a.extend(extra.clone());
    }
    attribute
}

fn user_schema() -> Value {
    json!({
        "id": USER_SCHEMA, "name": "User", "description": "An IAM user this function manages",
        "attributes": [
            attribute("userName", "string", "immutable", json!({
                "required": true, "uniqueness": "server",
                "description": "The IAM user name (unique ignoring case); it cannot change",
            })),
            attribute("externalId", "string", "readWrite", json!({
                "caseExact": true, "description": "The identity provider's id of the person",
            })),
            attribute("name", "complex", "readWrite", json!({
                "description": "The person's name, as the welcome email uses it",
                "subAttributes": [
                    attribute("givenName", "string", "readWrite", json!({})),
                    attribute("familyName", "string", "readWrite", json!({})),
                ],
            })),
            attribute("displayName", "string", "readWrite", json!({})),
            attribute("emails", "complex", "readWrite", json!({
                "multiValued": true, "required": true,
                "description": "The work address, where the welcome email goes: one is kept (the \
                    primary one, else the work one) and returned as the primary work address",
                "subAttributes": [
                    attribute("value", "string", "readWrite", json!({"required": true})),
                    attribute("type", "string", "readOnly", json!({"canonicalValues": ["work"]})),
                    attribute("primary", "boolean", "readOnly", json!({})),
                ],
            })),
            attribute("active", "boolean", "readWrite", json!({
                "required": true,
                "description": "false: offboarded (AWSDenyAll, no password, keys inactive); true \
                    again: rehired. Absent in a request: true",
            })),
            attribute("groups", "complex", "readOnly", json!({
                "multiValued": true, "returned": "request",
                "description": "The user's groups of ALLOWED_GROUPS; change them through /Groups",
                "subAttributes": [
                    attribute("value", "string", "readOnly", json!({})),
                    attribute("$ref", "reference", "readOnly", json!({"referenceTypes": ["Group"]})),
                    attribute("display", "string", "readOnly", json!({})),
                    attribute("type", "string", "readOnly", json!({"canonicalValues": ["direct"]})),
                ],
            })),
        ],
    })
}

fn enterprise_schema() -> Value {
    json!({
        "id": ENTERPRISE_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise User",
        "attributes": [
            attribute("employeeNumber", "string", "readWrite", json!({
                "description": "The HR employee id (the EmployeeId tag)",
            })),
            attribute("department", "string", "readWrite", json!({})),
        ],
    })
}

fn group_schema() -> Value {
    json!({
        "id": GROUP_SCHEMA, "name": "Group", "description": "An IAM group of ALLOWED_GROUPS",
        "attributes": [
            attribute("displayName", "string", "immutable", json!({
                "required": true, "uniqueness": "server", "description": "The IAM group name",
            })),
            attribute("members", "complex", "readWrite", json!({
                "multiValued": true,
                "subAttributes": [
                    attribute("value", "string", "immutable", json!({})),
                    attribute("$ref", "reference", "immutable", json!({"referenceTypes": ["User"]})),
                    attribute("display", "string", "readOnly", json!({})),
                    attribute("type", "string", "immutable", json!({"canonicalValues": ["User"]})),
                ],
            })),
        ],
    })
}

fn with_meta(mut resource: Value, resource_type: &str, location: String) -> Value {
    resource["meta"] = json!({"resourceType": resource_type, "location": location});
    resource
}

fn schemas_list(base: &str) -> Vec<Value> {
    [user_schema(), enterprise_schema(), group_schema()]
        .into_iter()
        .map(|mut s| {
            let id = s["id"].as_str().unwrap_or_default().to_string();
            s["schemas"] = json!([SCHEMA_SCHEMA]);
            with_meta(s, "Schema", format!("{base}/Schemas/{id}"))
        })
        .collect()
}

fn resource_types_list(base: &str) -> Vec<Value> {
    vec![
        with_meta(
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA], "id": "User", "name": "User",
                "endpoint": "/Users", "description": "IAM users of this function",
                "schema": USER_SCHEMA,
                "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
            }),
            "ResourceType",
            format!("{base}/ResourceTypes/User"),
        ),
        with_meta(
            json!({
                "schemas": [RESOURCE_TYPE_SCHEMA], "id": "Group", "name": "Group",
                "endpoint": "/Groups", "description": "IAM groups of ALLOWED_GROUPS",
                "schema": GROUP_SCHEMA, "schemaExtensions": [],
            }),
            "ResourceType",
            format!("{base}/ResourceTypes/Group"),
        ),
    ]
}

fn list(resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA], "totalResults": resources.len(), "startIndex": 1,
        "itemsPerPage": resources.len(), "Resources": resources,
    })
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5).
pub async fn service_provider_config(Base(base): Base) -> Response {
    let config = json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": "https://github.com/iam-onboarding/iam-onboarding/blob/main/docs/scim.md",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{
            "type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
            "description": "The token in the stack's SCIM token secret (SCIM_TOKEN_SECRET_ARN)",
            "specUri": "https://www.rfc-editor.org/info/rfc6750",
        }],
    });
    scim_json(
        StatusCode::OK,
        with_meta(
            config,
            "ServiceProviderConfig",
            format!("{base}/ServiceProviderConfig"),
        ),
    )
}

/// `POST /.search` across resource types (RFC 7644 §3.4.3): not supported
/// (`501`); search `/Users/.search` or `/Groups/.search`.
pub async fn search_everything() -> ScimError {
    ScimError::not_implemented(
        "search across resource types is not supported: use /Users/.search or /Groups/.search",
    )
}

/// `GET /ResourceTypes`.
pub async fn resource_types(Base(base): Base) -> Response {
    scim_json(StatusCode::OK, list(resource_types_list(&base)))
}

/// `GET /ResourceTypes/{id}`.
pub async fn resource_type(
    Base(base): Base,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    find(resource_types_list(&base), &id)
}

/// `GET /Schemas`.
pub async fn schemas(Base(base): Base) -> Response {
    scim_json(StatusCode::OK, list(schemas_list(&base)))
}

/// `GET /Schemas/{id}`.
pub async fn schema(Base(base): Base, Path(id): Path<String>) -> Result<Response, ScimError> {
    find(schemas_list(&base), &id)
}

fn find(resources: Vec<Value>, id: &str) -> Result<Response, ScimError> {
    resources
        .into_iter()
        .find(|r| r["id"].as_str().is_some_and(|i| i.eq_ignore_ascii_case(id)))
        .map(|r| scim_json(StatusCode::OK, r))
        .ok_or_else(|| ScimError::not_found(format!("no such resource: {id:?}")))
}

//! SCIM queries (RFC 7644 §3.4.2): the filters this provider answers (`eq`
//! joined by `and`, on the attributes identity providers look users and groups
//! up by), paging (`startIndex`, `count`) and `attributes` /
//! `excludedAttributes`. Filters are parsed by `scim_v2`'s RFC grammar.

use std::sync::LazyLock;

use regex::Regex;
use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter};
use serde_json::{Map, Value, json};

use super::ScimError;
use super::user::{ENTERPRISE_SCHEMA, ScimUser, USER_SCHEMA};

/// The list response schema (RFC 7644 §3.4.2).
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// Most resources in one page (`filter.maxResults` of the ServiceProviderConfig).
pub const MAX_RESULTS: usize = 100;
/// Longest filter accepted, in bytes.
pub const MAX_FILTER_BYTES: usize = 2048;

/// `emails[type eq "work"].value eq …`, which Entra ID sends but RFC 7644's
/// grammar has no production for: with one work address kept, it is `emails.value`.
static WORK_EMAIL_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\bemails\[\s*type\s+eq\s+"work"\s*\]\.value\b"#).unwrap());

/// One `eq` condition of a user filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCondition {
    /// `userName eq` (case-insensitive, as IAM user names are unique).
    UserName(String),
    /// `externalId eq` (case-exact).
    ExternalId(String),
    /// `emails.value eq`, `emails[type eq "work"].value eq` (case-insensitive).
    Email(String),
    /// `active eq`.
    Active(bool),
}

/// A conjunction of conditions; empty: every user.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter(pub Vec<UserCondition>);

/// A group filter: `displayName eq` (case-insensitive), `id eq`; empty: every group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFilter(pub Vec<(GroupAttr, String)>);

/// What a group filter compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupAttr {
    /// `displayName`.
    DisplayName,
    /// `id`.
    Id,
    /// `externalId`.
    ExternalId,
}

fn invalid_filter(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidFilter", detail)
}

/// The `eq` comparisons of `raw`, joined by `and`, as (attribute, value).
fn comparisons(raw: &str) -> Result<Vec<(AttrPath, CompValue)>, ScimError> {
    if raw.len() > MAX_FILTER_BYTES {
        return Err(invalid_filter(format!(
            "a filter is at most {MAX_FILTER_BYTES} bytes"
        )));
    }
    let rewritten = WORK_EMAIL_VALUE.replace_all(raw, "emails.value");
    let filter: Filter = rewritten
        .parse()
        .map_err(|_| invalid_filter(format!("not a SCIM filter (RFC 7644 §3.4.2.2): {raw:?}")))?;
    let mut out = Vec::new();
    let mut pending = vec![filter];
    while let Some(filter) = pending.pop() {
        match filter {
            Filter::And(a, b) => {
                pending.push(*b);
                pending.push(*a);
            }
            Filter::Attr(AttrExp::Comparison(path, CompareOp::Eq, value)) => {
                out.push((path, value))
            }
            other => {
                return Err(invalid_filter(format!(
                    "only eq comparisons joined by and are supported, not {other}"
                )));
            }
        }
    }
    Ok(out)
}

fn attribute(path: &AttrPath, schema: &str) -> Option<String> {
    if path
        .uri
        .as_deref()
        .is_some_and(|u| !u.eq_ignore_ascii_case(schema))
    {
        return None;
    }
    Some(match &path.sub_attr {
        Some(sub) => format!("{}.{}", path.name, sub).to_ascii_lowercase(),
        None => path.name.to_ascii_lowercase(),
    })
}

fn text(value: CompValue, attr: &str) -> Result<String, ScimError> {
    match value {
        CompValue::Str(s) => Ok(s),
        _ => Err(invalid_filter(format!("{attr} is compared with a string"))),
    }
}

impl UserFilter {
    /// Parses a user filter. Errors: `400 invalidFilter` saying what is supported.
    pub fn parse(raw: &str) -> Result<Self, ScimError> {
        let mut conditions = Vec::new();
        for (path, value) in comparisons(raw)? {
            let condition = match attribute(&path, USER_SCHEMA).as_deref() {
                Some("username") => UserCondition::UserName(text(value, "userName")?),
                Some("externalid") => UserCondition::ExternalId(text(value, "externalId")?),
                Some("emails.value") | Some("emails") => {
                    UserCondition::Email(text(value, "emails.value")?)
                }
                Some("active") => UserCondition::Active(match value {
                    CompValue::True => true,
                    CompValue::False => false,
                    CompValue::Str(s) if s.eq_ignore_ascii_case("true") => true,
                    CompValue::Str(s) if s.eq_ignore_ascii_case("false") => false,
                    _ => return Err(invalid_filter("active is compared with true or false")),
                }),
                _ => {
                    return Err(invalid_filter(format!(
                        "cannot filter on {path}: userName, externalId, emails.value, \
                         emails[type eq \"work\"].value and active can be"
                    )));
                }
            };
            conditions.push(condition);
        }
        Ok(Self(conditions))
    }

    /// The user name the filter pins, when it has a `userName eq`: one
    /// `GetUser` answers it.
    pub fn user_name(&self) -> Option<&str> {
        self.0.iter().find_map(|c| match c {
            UserCondition::UserName(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// Whether `user` matches every condition.
    pub fn matches(&self, user: &ScimUser) -> bool {
        self.0.iter().all(|c| match c {
            UserCondition::UserName(name) => user.user_name.eq_ignore_ascii_case(name),
            UserCondition::ExternalId(id) => user.external_id.as_deref() == Some(id.as_str()),
            UserCondition::Email(email) => user
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email)),
            UserCondition::Active(active) => user.active == *active,
        })
    }
}

impl GroupFilter {
    /// Parses a group filter. Errors: `400 invalidFilter`.
    pub fn parse(raw: &str) -> Result<Self, ScimError> {
        let mut conditions = Vec::new();
        for (path, value) in comparisons(raw)? {
            let attr =
                match attribute(&path, "urn:ietf:params:scim:schemas:core:2.0:Group").as_deref() {
                    Some("displayname") => GroupAttr::DisplayName,
                    Some("id") => GroupAttr::Id,
                    Some("externalid") => GroupAttr::ExternalId,
                    _ => {
                        return Err(invalid_filter(format!(
                            "cannot filter groups on {path}: displayName and id can be"
                        )));
                    }
                };
            conditions.push((attr, text(value, "displayName")?));
        }
        Ok(Self(conditions))
    }

    /// Whether the group `name` with `id` matches.
    pub fn matches(&self, name: &str, id: &str) -> bool {
        self.0.iter().all(|(attr, value)| match attr {
            GroupAttr::DisplayName => name.eq_ignore_ascii_case(value),
            GroupAttr::Id => id == value,
            GroupAttr::ExternalId => false,
        })
    }
}

/// A list request's parameters, from the query string or a `.search` body.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    /// `filter`.
    pub filter: Option<String>,
    /// `startIndex`, 1-based (values below 1 count as 1).
    pub start_index: usize,
    /// `count`, at most [`MAX_RESULTS`] (absent: that many).
    pub count: usize,
    /// `attributes` and `excludedAttributes`.
    pub projection: Projection,
}

/// `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5), lower-cased paths.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    /// Only these (and `id`, `schemas`); empty: the defaults.
    pub attributes: Vec<String>,
    /// Not these.
    pub excluded: Vec<String>,
}

fn number(field: &str, raw: &str) -> Result<i64, ScimError> {
    raw.trim()
        .parse::<i64>()
        .map_err(|_| ScimError::invalid_value(field, "must be an integer"))
}

fn paths(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(|p| p.trim().to_ascii_lowercase())
        .filter(|p| !p.is_empty())
        .collect()
}

impl ListRequest {
    fn new(
        filter: Option<String>,
        start_index: Option<i64>,
        count: Option<i64>,
        projection: Projection,
    ) -> Self {
        Self {
            filter: filter.filter(|f| !f.trim().is_empty()),
            start_index: start_index.map_or(1, |i| i.max(1) as usize),
            count: count.map_or(MAX_RESULTS, |c| c.clamp(0, MAX_RESULTS as i64) as usize),
            projection,
        }
    }

    /// From a query string. Errors: `400 invalidValue` for a non-integer page parameter.
    pub fn from_query(query: Option<&str>) -> Result<Self, ScimError> {
        let (mut filter, mut start, mut count) = (None, None, None);
        let mut projection = Projection::default();
        for (key, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match key.to_ascii_lowercase().as_str() {
                "filter" => filter = Some(value.into_owned()),
                "startindex" => start = Some(number("startIndex", &value)?),
                "count" => count = Some(number("count", &value)?),
                "attributes" => projection.attributes = paths(&value),
                "excludedattributes" => projection.excluded = paths(&value),
                _ => {}
            }
        }
        Ok(Self::new(filter, start, count, projection))
    }

    /// From a `POST …/.search` body (RFC 7644 §3.4.3). Errors: `400 invalidValue`.
    pub fn from_search(body: &Value) -> Result<Self, ScimError> {
        let object = body.as_object().ok_or_else(|| {
            ScimError::bad_request("invalidSyntax", "the body must be a JSON object")
        })?;
        let get = |name: &str| {
            object
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        };
        let int = |name: &str| -> Result<Option<i64>, ScimError> {
            match get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(v) => v
                    .as_i64()
                    .map(Some)
                    .ok_or_else(|| ScimError::invalid_value(name, "must be an integer")),
            }
        };
        let list = |name: &str| -> Result<Vec<String>, ScimError> {
            match get(name) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(|s| s.trim().to_ascii_lowercase())
                            .ok_or_else(|| ScimError::invalid_value(name, "must be strings"))
                    })
                    .collect(),
                Some(Value::String(s)) => Ok(paths(s)),
                Some(_) => Err(ScimError::invalid_value(
                    name,
                    "must be an array of strings",
                )),
            }
        };
        let filter = match get("filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(ScimError::invalid_value("filter", "must be a string")),
        };
        let projection = Projection {
            attributes: list("attributes")?,
            excluded: list("excludedAttributes")?,
        };
        Ok(Self::new(
            filter,
            int("startIndex")?,
            int("count")?,
            projection,
        ))
    }

    /// The page of `items` (already filtered, in a stable order) this request
    /// asks for, as a ListResponse of `render`ed resources.
    pub fn page<T>(&self, items: &[T], render: impl Fn(&T) -> Value) -> Value {
        let resources: Vec<Value> = items
            .iter()
            .skip(self.start_index - 1)
            .take(self.count)
            .map(|item| self.projection.apply(render(item)))
            .collect();
        list_response(self.start_index, items.len(), resources)
    }
}

/// A ListResponse (RFC 7644 §3.4.2) of `resources`, already paged and
/// projected, out of `total`, the page starting at `start_index`.
pub fn list_response(start_index: usize, total: usize, resources: Vec<Value>) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": total,
        "startIndex": start_index,
        "itemsPerPage": resources.len(),
        "Resources": resources,
    })
}

/// Splits a lower-cased attribute path into (extension object key, attribute, sub-attribute).
fn split(path: &str) -> (Option<&'static str>, String, Option<String>) {
    let enterprise = ENTERPRISE_SCHEMA.to_ascii_lowercase();
    let core = USER_SCHEMA.to_ascii_lowercase();
    let group = "urn:ietf:params:scim:schemas:core:2.0:group";
    let (ext, rest) = if let Some(rest) = path.strip_prefix(&enterprise) {
        (Some(ENTERPRISE_SCHEMA), rest.trim_start_matches(':'))
    } else if let Some(rest) = path
        .strip_prefix(&core)
        .or_else(|| path.strip_prefix(group))
    {
        (None, rest.trim_start_matches(':'))
    } else {
        (None, path)
    };
    match rest.split_once('.') {
        Some((name, sub)) => (ext, name.to_string(), Some(sub.to_string())),
        None => (ext, rest.to_string(), None),
    }
}

/// Finds a key of `object` ignoring case.
fn key_of(object: &Map<String, Value>, name: &str) -> Option<String> {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
}

impl Projection {
    /// `resource` with only the asked-for attributes (`id` and `schemas`
    /// always stay), or without the excluded ones.
    pub fn apply(&self, resource: Value) -> Value {
        let Value::Object(mut object) = resource else {
            return resource;
        };
        if !self.attributes.is_empty() {
            let mut kept = Map::new();
            for always in ["schemas", "id"] {
                if let Some(v) = object.get(always) {
                    kept.insert(always.into(), v.clone());
                }
            }
            for path in &self.attributes {
                let (ext, name, sub) = split(path);
                let source = match ext {
                    Some(ext) => object.get(ext).and_then(Value::as_object),
                    None => Some(&object),
                };
                let Some(source) = source else { continue };
                if ext.is_some() && name.is_empty() {
                    kept.insert(
                        ext.unwrap_or_default().into(),
                        Value::Object(source.clone()),
                    );
                    continue;
                }
                let Some(key) = key_of(source, &name) else {
                    continue;
                };
                let value = match (&sub, &source[&key]) {
                    (None, v) => v.clone(),
                    (Some(sub), Value::Object(o)) => match key_of(o, sub) {
                        Some(k) => json!({ k.clone(): o[&k].clone() }),
                        None => continue,
                    },
                    (Some(sub), Value::Array(items)) => Value::Array(
                        items
                            .iter()
                            .filter_map(|i| {
                                let o = i.as_object()?;
                                let k = key_of(o, sub)?;
                                Some(json!({ k.clone(): o[&k].clone() }))
                            })
                            .collect(),
                    ),
                    _ => continue,
                };
                let target = match ext {
                    Some(ext) => kept
                        .entry(ext.to_string())
                        .or_insert_with(|| json!({}))
                        .as_object_mut()
                        .map(|o| (o, key.clone())),
                    None => Some((&mut kept, key.clone())),
                };
                if let Some((target, key)) = target {
                    merge(target, key, value);
                }
            }
            object = kept;
        }
        for path in &self.excluded {
            let (ext, name, sub) = split(path);
            if name == "id" || name == "schemas" {
                continue;
            }
            let source = match ext {
                Some(ext) if name.is_empty() => {
                    object.remove(ext);
                    continue;
                }
                Some(ext) => object.get_mut(ext).and_then(Value::as_object_mut),
                None => Some(&mut object),
            };
            let Some(source) = source else { continue };
            let Some(key) = key_of(source, &name) else {
                continue;
            };
            match (sub, source.get_mut(&key)) {
                (None, _) => {
                    source.remove(&key);
                }
                (Some(sub), Some(Value::Object(o))) => {
                    if let Some(k) = key_of(o, &sub) {
                        o.remove(&k);
                    }
                }
                _ => {}
            }
        }
        Value::Object(object)
    }
}

/// Puts `value` under `key`, merging objects (two sub-attributes of one attribute).
fn merge(target: &mut Map<String, Value>, key: String, value: Value) {
    match (target.get_mut(&key), value) {
        (Some(Value::Object(existing)), Value::Object(more)) => existing.extend(more),
        (_, value) => {
            target.insert(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_filters_identity_providers_send() {
        assert_eq!(
            UserFilter::parse(r#"userName eq "Jane@Example.com""#).unwrap(),
            UserFilter(vec![UserCondition::UserName("Jane@Example.com".into())])
        );
        let entra =
            UserFilter::parse(r#"emails[type eq "work"].value eq "a@b.c" and active eq true"#)
                .unwrap();
        assert_eq!(
            entra.0,
            [
                UserCondition::Email("a@b.c".into()),
                UserCondition::Active(true)
            ]
        );
        let both = UserFilter::parse(r#"externalId eq "00u1" and USERNAME EQ "x""#).unwrap();
        assert_eq!(both.user_name(), Some("x"));
        assert!(
            UserFilter::parse(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x""#)
                .is_ok()
        );
    }

    #[test]
    fn other_filters_are_invalid_filter_errors() {
        for raw in [
            r#"userName sw "j""#,
            r#"userName eq "a" or userName eq "b""#,
            r#"not (userName eq "a")"#,
            r#"title eq "x""#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"userName eq 7"#,
            r#"active eq "yes""#,
            "userName eq",
            "((((",
            "",
        ] {
            let err = UserFilter::parse(raw).unwrap_err();
            assert_eq!(err.scim_type, Some("invalidFilter"), "{raw}");
        }
        assert!(UserFilter::parse(&format!("userName eq \"{}\"", "a".repeat(3000))).is_err());
    }

    #[test]
    fn paging_is_one_based_and_bounded() {
        let all: Vec<u32> = (1..=150).collect();
        let page = |q: &str| {
            ListRequest::from_query(Some(q))
                .unwrap()
                .page(&all, |n| json!({"id": n}))
        };
        let first = page("startIndex=1&count=100");
        assert_eq!(
            (
                first["totalResults"].as_u64(),
                first["itemsPerPage"].as_u64()
            ),
            (Some(150), Some(100))
        );
        let second = page("startIndex=101&count=100");
        assert_eq!(second["itemsPerPage"], 50);
        assert_eq!(second["Resources"][0]["id"], 101);
        let none = page("count=0");
        assert_eq!(
            (none["totalResults"].as_u64(), none["itemsPerPage"].as_u64()),
            (Some(150), Some(0))
        );
        assert_eq!(page("startIndex=0&count=500")["itemsPerPage"], 100);
        assert_eq!(page("startIndex=-4")["startIndex"], 1);
        assert!(ListRequest::from_query(Some("count=ten")).is_err());
    }

    #[test]
    fn projection_keeps_id_and_schemas() {
        let resource = json!({
            "schemas": ["s"], "id": "1", "userName": "jane",
            "name": {"givenName": "Jane", "familyName": "Doe"},
            "emails": [{"value": "a@b.c", "type": "work"}],
            ENTERPRISE_SCHEMA: {"department": "Ops", "employeeNumber": "7"},
        });
        let only = Projection {
            attributes: paths(
                "userName,name.givenName,emails.value,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            ),
            excluded: vec![],
        };
        assert_eq!(
            only.apply(resource.clone()),
            json!({"schemas": ["s"], "id": "1", "userName": "jane", "name": {"givenName": "Jane"},
                   "emails": [{"value": "a@b.c"}], ENTERPRISE_SCHEMA: {"department": "Ops"}})
        );
        let without = Projection {
            attributes: vec![],
            excluded: paths("name,emails,id"),
        };
        assert_eq!(
            without.apply(resource),
            json!({"schemas": ["s"], "id": "1", "userName": "jane", ENTERPRISE_SCHEMA: {"department": "Ops", "employeeNumber": "7"}})
        );
    }

    proptest! {
        #[test]
        fn no_filter_panics(raw in any::<String>()) {
            let _ = UserFilter::parse(&raw);
            let _ = GroupFilter::parse(&raw);
        }

        #[test]
        fn no_filter_like_input_panics(raw in r#"[a-zA-Z.:\[\]()" ]{0,80}( eq | and | or | pr |\[|\])[a-zA-Z.:\[\]()" ]{0,80}"#) {
            let _ = UserFilter::parse(&raw);
        }

        #[test]
        fn no_query_panics(raw in any::<String>()) {
            if let Ok(request) = ListRequest::from_query(Some(&raw)) {
                let _ = request.page(&[1, 2, 3], |n| json!({"id": n}));
            }
        }
    }
}

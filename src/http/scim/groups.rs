//! `/Groups`: the IAM groups of `ALLOWED_GROUPS` that exist, with their members
//! among this function's users. Membership changes run the update workflow for
//! each user (its lease, its allow-list); SCIM never creates, renames or deletes
//! an IAM group: `POST` of an allowed group links it, `DELETE` unlinks it by
//! removing every member this function manages (the group stays).

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::ScimError;
use super::patch::{Op, operations, parse_path};
use super::query::{GroupFilter, ListRequest, Projection};
use super::route::{Base, Ctx, JsonBody, created, scim_json};
use super::service::{Call, Found, ScimService, visible};
use crate::aws::iam_directory::IamGroup;
use crate::hr::{GroupChanges, GroupName};
use scim_v2::filter::{AttrExp, CompValue, CompareOp, PatchPath, ValFilter};

/// The core Group schema (RFC 7643 §8.7.1).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

type Svc = State<Arc<ScimService>>;

/// An allowed group with its members (user id, user name).
#[derive(Debug, Clone)]
struct GroupView {
    group: IamGroup,
    members: Vec<(String, String)>,
}

impl GroupView {
    fn render(&self, base: &str) -> Value {
        let members: Vec<Value> = self
            .members
            .iter()
            .map(|(id, name)| {
                json!({"value": id, "display": name, "type": "User", "$ref": format!("{base}/Users/{id}")})
            })
            .collect();
        json!({
            "schemas": [GROUP_SCHEMA],
            "id": self.group.id,
            "displayName": self.group.name,
            "members": members,
            "meta": {"resourceType": "Group", "location": format!("{base}/Groups/{}", self.group.id)},
        })
    }
}

/// The allowed groups that exist, by name, with their visible members: one walk.
async fn views(svc: &ScimService) -> Result<Vec<GroupView>, ScimError> {
    let (users, groups) = svc.directory().await?;
    let mut views: Vec<GroupView> = groups
        .into_iter()
        .filter(|g| svc.workflows.config().is_allowed_group(&g.name))
        .map(|group| {
            let members = users
                .iter()
                .filter(|(found, names)| visible(found) && names.iter().any(|n| n == &group.name))
                .map(|(found, _)| (found.user.user_id.clone(), found.name.clone()))
                .collect();
            GroupView { group, members }
        })
        .collect();
    views.sort_by_key(|v| v.group.name.to_ascii_lowercase());
    Ok(views)
}

async fn view(svc: &ScimService, id: &str) -> Result<GroupView, ScimError> {
    views(svc)
        .await?
        .into_iter()
        .find(|v| v.group.id == id)
        .ok_or_else(|| {
            ScimError::not_found(format!("no group with id {id:?} among ALLOWED_GROUPS"))
        })
}

fn answer(view: &GroupView, base: &str, status: StatusCode, projection: &Projection) -> Response {
    scim_json(status, projection.apply(view.render(base)))
}

/// `GET /Groups`.
pub async fn list(State(svc): Svc, Base(base): Base, uri: Uri) -> Result<Response, ScimError> {
    answer_list(&svc, &base, &ListRequest::from_query(uri.query())?).await
}

/// `POST /Groups/.search`.
pub async fn search(
    State(svc): Svc,
    Base(base): Base,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    answer_list(&svc, &base, &ListRequest::from_search(&body)?).await
}

async fn answer_list(
    svc: &ScimService,
    base: &str,
    request: &ListRequest,
) -> Result<Response, ScimError> {
    let filter = request
        .filter
        .as_deref()
        .map(GroupFilter::parse)
        .transpose()?
        .unwrap_or_default();
    let matching: Vec<GroupView> = views(svc)
        .await?
        .into_iter()
        .filter(|v| filter.matches(&v.group.name, &v.group.id))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        request.page(&matching, |v| v.render(base)),
    ))
}

/// `GET /Groups/{id}`.
pub async fn get(
    State(svc): Svc,
    Base(base): Base,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ScimError> {
    let request = ListRequest::from_query(uri.query())?;
    Ok(answer(
        &view(&svc, &id).await?,
        &base,
        StatusCode::OK,
        &request.projection,
    ))
}

fn display_name(body: &Value) -> Option<&str> {
    body.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("displayName"))?
        .1
        .as_str()
}

/// The user ids of a `members` value (`[{"value": id}, …]`).
fn member_ids(value: &Value) -> Result<Vec<String>, ScimError> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items.as_slice(),
        Value::Object(_) => std::slice::from_ref(value),
        _ => {
            return Err(ScimError::invalid_value(
                "members",
                "must be an array of {\"value\": <user id>}",
            ));
        }
    };
    items
        .iter()
        .map(|item| {
            item.as_object()
                .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")))
                .and_then(|(_, v)| v.as_str())
                .map(str::to_string)
                .ok_or_else(|| {
                    ScimError::invalid_value("members", "each member needs a value (the user id)")
                })
        })
        .collect()
}

fn members_of(body: &Value) -> Result<Vec<String>, ScimError> {
    let members = body
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("members")))
        .map_or(&Value::Null, |(_, v)| v);
    member_ids(members)
}

/// `POST /Groups`: links an allowed group that exists (`201`), adding the
/// given members; any other name is refused and nothing is created.
pub async fn create(
    State(svc): Svc,
    Base(base): Base,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let name =
        display_name(&body).ok_or_else(|| ScimError::invalid_value("displayName", "required"))?;
    if !svc.workflows.config().is_allowed_group(name) {
        return Err(ScimError::invalid_value(
            "displayName",
            "SCIM links only the IAM groups in this function's ALLOWED_GROUPS; it never creates groups",
        ));
    }
    let existing = views(&svc)
        .await?
        .into_iter()
        .find(|v| v.group.name.eq_ignore_ascii_case(name));
    let Some(existing) = existing else {
        return Err(ScimError::invalid_value(
            "displayName",
            "this allowed group does not exist in IAM; SCIM never creates groups",
        ));
    };
    let mut wanted = member_set(&existing);
    wanted.extend(members_of(&body)?);
    set_members(&svc, &ctx.call(), &existing, &wanted).await?;
    let view = view(&svc, &existing.group.id).await?;
    let location = format!("{base}/Groups/{}", view.group.id);
    Ok(created(
        answer(&view, &base, StatusCode::CREATED, &Projection::default()),
        &location,
    ))
}

/// `PUT /Groups/{id}`: the members become exactly the given ones.
pub async fn replace(
    State(svc): Svc,
    Base(base): Base,
    ctx: Ctx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let existing = view(&svc, &id).await?;
    check_name(&existing, display_name(&body))?;
    let wanted: BTreeSet<String> = members_of(&body)?.into_iter().collect();
    set_members(&svc, &ctx.call(), &existing, &wanted).await?;
    reread(&svc, &id, &base).await
}

fn check_name(view: &GroupView, name: Option<&str>) -> Result<(), ScimError> {
    match name {
        Some(name) if !name.eq_ignore_ascii_case(&view.group.name) => Err(ScimError::bad_request(
            "mutability",
            "displayName cannot change: SCIM never renames IAM groups",
        )),
        _ => Ok(()),
    }
}

/// The member a `members[value eq "…"]` path selects.
fn selected_member(filter: &ValFilter) -> Option<String> {
    match filter {
        ValFilter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(id)))
            if path.name.eq_ignore_ascii_case("value") && path.sub_attr.is_none() =>
        {
            Some(id.clone())
        }
        _ => None,
    }
}

/// `PATCH /Groups/{id}`: `add` members merges, `remove` `members[value eq
/// "…"]` (or `members` with a value list, as Entra ID sends it) removes,
/// `replace` `members` sets them; `displayName` may only be sent unchanged.
pub async fn modify(
    State(svc): Svc,
    Base(base): Base,
    ctx: Ctx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let ops = operations(&body)?;
    let existing = view(&svc, &id).await?;
    let mut wanted = member_set(&existing);
    for op in &ops {
        let changes: Vec<(Option<PatchPath>, Value)> = match &op.path {
            Some(path) => vec![(Some(path.clone()), op.value.clone())],
            None => op
                .value
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| Ok((Some(parse_path(k)?), v.clone())))
                .collect::<Result<_, ScimError>>()?,
        };
        for (path, value) in changes {
            let Some(path) = path else { continue };
            let (name, filter) = match &path {
                PatchPath::Attr(a) if a.sub_attr.is_none() => (a.name.to_ascii_lowercase(), None),
                PatchPath::Value(v) if v.sub_attr.is_none() => {
                    (v.attr.name.to_ascii_lowercase(), Some(&v.filter))
                }
                _ => {
                    return Err(ScimError::bad_request(
                        "invalidPath",
                        format!("no such group attribute: {path}"),
                    ));
                }
            };
            match (name.as_str(), filter, op.op) {
                ("members", None, Op::Add) => wanted.extend(member_ids(&value)?),
                ("members", None, Op::Replace) => {
                    wanted = member_ids(&value)?.into_iter().collect()
                }
                ("members", None, Op::Remove) if value.is_null() => wanted.clear(),
                ("members", None, Op::Remove) => {
                    for id in member_ids(&value)? {
                        wanted.remove(&id);
                    }
                }
                ("members", Some(filter), Op::Remove) => {
                    let id = selected_member(filter).ok_or_else(|| {
                        ScimError::bad_request(
                            "invalidFilter",
                            "select a member with members[value eq \"<user id>\"]",
                        )
                    })?;
                    wanted.remove(&id);
                }
                ("displayname", None, Op::Add | Op::Replace) => {
                    check_name(&existing, value.as_str().or(Some("")))?
                }
                ("externalid", None, _) | ("id", None, _) if op.op != Op::Remove => {}
                _ => {
                    return Err(ScimError::bad_request(
                        "invalidPath",
                        format!("cannot {:?} {path} on a group", op.op),
                    ));
                }
            }
        }
    }
    set_members(&svc, &ctx.call(), &existing, &wanted).await?;
    reread(&svc, &id, &base).await
}

/// `DELETE /Groups/{id}`: unlinks the group: every member this function
/// manages leaves it; the IAM group stays (and stays listed, being allowed).
pub async fn delete(
    State(svc): Svc,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let existing = view(&svc, &id).await?;
    set_members(&svc, &ctx.call(), &existing, &BTreeSet::new()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The ids of `view`'s members.
fn member_set(view: &GroupView) -> BTreeSet<String> {
    view.members.iter().map(|(id, _)| id.clone()).collect()
}

/// The group `id` read again, as a `200` answer.
async fn reread(svc: &ScimService, id: &str, base: &str) -> Result<Response, ScimError> {
    let view = view(svc, id).await?;
    Ok(answer(&view, base, StatusCode::OK, &Projection::default()))
}

/// Makes `wanted` the members of `existing`: the users missing join, the
/// others leave, each by an update of that user naming only this group (its
/// lease, and its groups read under it: its other groups stay). Every id is resolved first, so an unknown one changes nothing; a
/// failure stops there (a retry converges).
async fn set_members(
    svc: &ScimService,
    call: &Call<'_>,
    existing: &GroupView,
    wanted: &BTreeSet<String>,
) -> Result<(), ScimError> {
    let current = member_set(existing);
    let name = GroupName::parse(&existing.group.name)
        .map_err(|r| ScimError::internal(format!("the IAM group name: {r}")))?;
    let add: Vec<&String> = wanted.difference(&current).collect();
    let remove: Vec<&String> = current.difference(wanted).collect();
    let mut users: Vec<(Found, bool)> = Vec::new();
    for (ids, join) in [(&add, true), (&remove, false)] {
        for id in ids {
            match svc.by_id(id).await? {
                Some(found) if visible(&found) => users.push((found, join)),
                _ => {
                    return Err(ScimError::invalid_value(
                        "members",
                        &format!("no user with id {id:?}"),
                    ));
                }
            }
        }
    }
    for (found, join) in users {
        let user = found.scim();
        if !user.active {
            if join {
                return Err(ScimError::conflict(format!(
                    "{} is deactivated (offboarded): it joins groups once activated again",
                    found.name
                )));
            }
            // An offboarding already removed the user from every allowed group.
            continue;
        }
        let changes = if join {
            GroupChanges {
                join: vec![name.clone()],
                leave: Vec::new(),
            }
        } else {
            GroupChanges {
                join: Vec::new(),
                leave: vec![name.clone()],
            }
        };
        Box::pin(svc.update(&found, &user, changes, call)).await?;
    }
    Ok(())
}

//! `/Users` (RFC 7644 §3.3–§3.6): create = onboard, replace and modify =
//! update (and `active` = offboard or rehire), delete = offboard and hide.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::query::{ListRequest, Projection, UserFilter, list_response};
use super::route::{Base, Ctx, JsonBody, created, scim_json};
use super::service::{Found, NameLookup, ScimService, visible};
use super::user::{ScimUser, UserMeta, last_modified};
use super::{ScimError, patch};
use crate::hr::{GroupChanges, Username, is_valid_tag_value};

type Svc = State<Arc<ScimService>>;

/// The resource of `found`, with its allowed groups when asked for
/// (`groups` is returned on request: it costs a call per user outside a walk).
async fn resource(
    svc: &ScimService,
    found: &Found,
    base: &str,
    projection: &Projection,
    groups: Option<Vec<crate::aws::iam_directory::IamGroup>>,
) -> Result<Value, ScimError> {
    let groups = match groups {
        Some(groups) => Some(groups),
        None if wants_groups(projection) => Some(svc.allowed_groups_of(&found.name).await?),
        None => None,
    };
    let meta = UserMeta {
        id: &found.user.user_id,
        created: found.user.created_at,
        last_modified: last_modified(&found.user),
        base,
        groups: groups.as_deref(),
    };
    Ok(projection.apply(found.scim().to_resource(&meta)))
}

fn wants_groups(projection: &Projection) -> bool {
    projection.attributes.iter().any(|a| {
        a == "groups"
            || a.starts_with("groups.")
            || a.ends_with(":user:groups")
            || a.contains(":user:groups.")
    })
}

/// A visible user by id, or `404`.
async fn visible_by_id(svc: &ScimService, id: &str) -> Result<Found, ScimError> {
    match svc.by_id(id).await? {
        Some(found) if visible(&found) => Ok(found),
        _ => Err(ScimError::not_found(format!("no user with id {id:?}"))),
    }
}

async fn read_back(svc: &ScimService, name: &str) -> Result<Found, ScimError> {
    match svc.by_name(name).await? {
        NameLookup::Ours(found) => Ok(found),
        _ => Err(ScimError::internal(
            "the user cannot be read back after the change",
        )),
    }
}

/// `GET /Users`: filter, page, project.
pub async fn list(State(svc): Svc, Base(base): Base, uri: Uri) -> Result<Response, ScimError> {
    let request = ListRequest::from_query(uri.query())?;
    answer_list(&svc, &base, &request).await
}

/// `POST /Users/.search`.
pub async fn search(
    State(svc): Svc,
    Base(base): Base,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let request = ListRequest::from_search(&body)?;
    answer_list(&svc, &base, &request).await
}

async fn answer_list(
    svc: &ScimService,
    base: &str,
    request: &ListRequest,
) -> Result<Response, ScimError> {
    let filter = request
        .filter
        .as_deref()
        .map(UserFilter::parse)
        .transpose()?
        .unwrap_or_default();
    // One GetUser answers a `userName eq`; anything else is one walk.
    let users: Vec<(Found, Option<Vec<crate::aws::iam_directory::IamGroup>>)> =
        match filter.user_name() {
            // Not a name IAM accepts: no such user.
            Some(name) if crate::hr::Username::parse(name).is_err() => Vec::new(),
            Some(name) => match svc.by_name(name).await? {
                NameLookup::Ours(found) => vec![(found, None)],
                _ => Vec::new(),
            },
            None => {
                let (users, groups) = svc.directory().await?;
                let allowed: Vec<_> = groups
                    .into_iter()
                    .filter(|g| svc.workflows.config().is_allowed_group(&g.name))
                    .collect();
                users
                    .into_iter()
                    .map(|(found, names)| {
                        let mine = allowed
                            .iter()
                            .filter(|g| names.contains(&g.name))
                            .cloned()
                            .collect();
                        (found, Some(mine))
                    })
                    .collect()
            }
        };
    let users: Vec<_> = users
        .into_iter()
        .filter(|(found, _)| visible(found) && filter.matches(&found.scim()))
        .collect();
    let wants = wants_groups(&request.projection);
    let page_start = request.start_index - 1;
    let mut rendered = Vec::new();
    for (found, groups) in users.iter().skip(page_start).take(request.count) {
        let groups = if wants { groups.clone() } else { None };
        rendered.push(resource(svc, found, base, &request.projection, groups).await?);
    }
    let page = list_response(request.start_index, users.len(), rendered);
    Ok(scim_json(StatusCode::OK, page))
}

/// `GET /Users/{id}`.
pub async fn get(
    State(svc): Svc,
    Base(base): Base,
    Path(id): Path<String>,
    uri: Uri,
) -> Result<Response, ScimError> {
    let request = ListRequest::from_query(uri.query())?;
    let found = visible_by_id(&svc, &id).await?;
    Ok(scim_json(
        StatusCode::OK,
        resource(&svc, &found, &base, &request.projection, None).await?,
    ))
}

/// `POST /Users`: onboards the person; a `userName` already held (in any
/// letter case) by an active user is `409 uniqueness`, an offboarded or
/// SCIM-deleted one is rehired.
pub async fn create(
    State(svc): Svc,
    Base(base): Base,
    ctx: Ctx,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let mut wanted = ScimUser::from_resource(&body, true)?;
    Username::parse(&wanted.user_name).map_err(|r| ScimError::invalid_value("userName", &r))?;
    require_storable_email(&wanted)?;
    let call = ctx.call();
    let lookup = match svc.by_name(&wanted.user_name).await? {
        NameLookup::Absent => svc.by_name_ignoring_case(&wanted.user_name).await?,
        found => found,
    };
    let existing = match lookup {
        NameLookup::Absent => None,
        NameLookup::Foreign(reason) => {
            return Err(ScimError::uniqueness(format!(
                "{reason}; nothing was changed"
            )));
        }
        NameLookup::Ours(found) if found.scim().active && visible(&found) => {
            return Err(ScimError::uniqueness(
                "a user with this userName already exists (IAM user names are unique ignoring case)",
            ));
        }
        NameLookup::Ours(found) => {
            wanted.user_name = found.name.clone();
            Some(found)
        }
    };
    // A user created inactive is onboarded, then offboarded: no access in between.
    let mut active = wanted.clone();
    active.active = true;
    match &existing {
        Some(found) => Box::pin(rehire(&svc, found, &active, &call)).await?,
        None => Box::pin(svc.onboard(&active, false, &call)).await?,
    }
    let mut found = read_back(&svc, &wanted.user_name).await?;
    svc.remember(&found).await;
    if !wanted.active {
        Box::pin(svc.offboard(&found, &call)).await?;
        found = read_back(&svc, &found.name).await?;
    }
    let resource = resource(&svc, &found, &base, &Projection::default(), None).await?;
    let location = format!("{base}/Users/{}", found.user.user_id);
    Ok(created(scim_json(StatusCode::CREATED, resource), &location))
}

/// `PUT /Users/{id}`: the resource replaces what IAM keeps.
pub async fn replace(
    State(svc): Svc,
    Base(base): Base,
    ctx: Ctx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let found = visible_by_id(&svc, &id).await?;
    // An absent `active` keeps the user as it is: a PUT never rehires by omission.
    let wanted = ScimUser::from_resource(&body, found.scim().active)?;
    change(&svc, &base, &ctx, found, wanted).await
}

/// `PATCH /Users/{id}`: the operations apply to the user as IAM keeps it, and
/// the result is written as a `PUT` would; a repeat changes nothing.
pub async fn modify(
    State(svc): Svc,
    Base(base): Base,
    ctx: Ctx,
    Path(id): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Response, ScimError> {
    let operations = patch::operations(&body)?;
    let found = visible_by_id(&svc, &id).await?;
    let mut wanted = found.scim();
    patch::apply(&mut wanted, &operations)?;
    change(&svc, &base, &ctx, found, wanted).await
}

/// Writes `wanted` over `found`: an update of the attributes, then an
/// offboarding (`active: false`) or, for an offboarded user, a rehire
/// (`active: true`). Nothing to change: no write.
async fn change(
    svc: &ScimService,
    base: &str,
    ctx: &Ctx,
    found: Found,
    mut wanted: ScimUser,
) -> Result<Response, ScimError> {
    let current = found.scim();
    if !wanted.user_name.eq_ignore_ascii_case(&current.user_name) {
        return Err(ScimError::bad_request(
            "mutability",
            "userName cannot be changed here: the IAM user name is the sign-in name; \
             create the user under the new name and deactivate the old one",
        ));
    }
    wanted.user_name = current.user_name.clone();
    if wanted.email != current.email {
        require_storable_email(&wanted)?;
    }
    let call = ctx.call();
    let attributes_change = ScimUser {
        active: current.active,
        ..wanted.clone()
    } != current;
    let mut found = found;
    match (current.active, wanted.active) {
        (true, _) => {
            if attributes_change {
                Box::pin(svc.update(&found, &wanted, GroupChanges::default(), &call)).await?;
                found = read_back(svc, &found.name).await?;
            }
            if !wanted.active {
                Box::pin(svc.offboard(&found, &call)).await?;
                found = read_back(svc, &found.name).await?;
            }
        }
        (false, true) => {
            Box::pin(rehire(svc, &found, &wanted, &call)).await?;
            found = read_back(svc, &found.name).await?;
        }
        (false, false) if attributes_change => {
            Box::pin(svc.update(&found, &wanted, GroupChanges::default(), &call)).await?;
            found = read_back(svc, &found.name).await?;
        }
        (false, false) => {}
    }
    Ok(scim_json(
        StatusCode::OK,
        resource(svc, &found, base, &Projection::default(), None).await?,
    ))
}

/// Refuses an address IAM's tag characters cannot hold (`'`, `!`, …): SCIM
/// reads the address back from the `ContactEmail` tag. Errors: `400 invalidValue`.
fn require_storable_email(user: &ScimUser) -> Result<(), ScimError> {
    match &user.email {
        Some(email) if !is_valid_tag_value(email) => Err(ScimError::invalid_value(
            "emails.value",
            "IAM tags cannot hold this address (they allow letters, digits, spaces and _.:/=+-@), \
             and SCIM reads the address back from one; use an address without other characters",
        )),
        _ => Ok(()),
    }
}

/// Rehires the offboarded `found` as `wanted`: its attributes first (the
/// onboarding recognises the person by them), then the onboarding, which
/// lifts the deny and hands over a new one-time password.
async fn rehire(
    svc: &ScimService,
    found: &Found,
    wanted: &ScimUser,
    call: &super::service::Call<'_>,
) -> Result<(), ScimError> {
    let current = found.scim();
    if (ScimUser {
        active: current.active,
        ..wanted.clone()
    }) != current
    {
        Box::pin(svc.update(found, wanted, GroupChanges::default(), call)).await?;
    }
    Box::pin(svc.onboard(wanted, true, call)).await
}

/// `DELETE /Users/{id}`: offboards the user now, then hides it from SCIM; the
/// sweep deletes it after the grace period. A later `POST` of the person rehires.
pub async fn delete(
    State(svc): Svc,
    ctx: Ctx,
    Path(id): Path<String>,
) -> Result<Response, ScimError> {
    let found = visible_by_id(&svc, &id).await?;
    let call = ctx.call();
    if found.scim().active {
        Box::pin(svc.offboard(&found, &call)).await?;
    }
    svc.hide(&found, &call).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

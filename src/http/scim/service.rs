//! The SCIM service provider's state and its reads of IAM: a user by name (one
//! `GetUser`), by id (the id index, then one `GetUser`), and every user and
//! group (one `GetAccountAuthorizationDetails` walk); and its writes, each one
//! a workflow run under the person's lease.

use std::sync::Arc;

use tracing::{info, warn};

use super::ScimError;
use super::user::{ScimUser, is_deleted};
use crate::aws::dynamodb::Dynamo;
use crate::aws::iam::{ExistingUser, Iam};
use crate::aws::iam_directory::{DirectoryUser, IamGroup};
use crate::hr::{
    Employee, FieldError, GroupChanges, GroupName, HrRequest, Leaver, OffboardingRequest,
    OnboardingRequest, Username,
};
use crate::http::webhook::SigningKeys;
use crate::identity::ownership::{
    MANAGED_BY_TAG, MANAGED_BY_VALUE, SCIM_DELETED_AT_TAG, marker_tags, unix_now,
};
use crate::identity::{AccountContext, EmployeeResult, Status};
use crate::lease::Leases;
use crate::workflows::Workflows;

/// How long an id-index entry is kept (the table's TTL), in seconds: ten years;
/// an entry is checked against IAM on every read.
const INDEX_SECONDS: i64 = 10 * 365 * 24 * 3600;

/// The SCIM service's own adapters, from the composition root.
pub struct ScimParts {
    /// IAM, for reads and the deletion mark.
    pub iam: Iam,
    /// The persons' leases (the deletion mark is written under it).
    pub leases: Leases,
    /// The idempotency table, holding `scim-user#<UserId>` → user name.
    pub index: Option<Dynamo>,
    /// `SCIM_TOKEN_SECRET_ARN`'s versions; `None`: SCIM is not enabled.
    pub token: Option<SigningKeys>,
}

/// What the SCIM routes share, built once per container.
pub struct ScimService {
    /// The workflows every write runs.
    pub workflows: Arc<Workflows>,
    iam: Iam,
    leases: Leases,
    index: Option<Dynamo>,
    /// `SCIM_TOKEN_SECRET_ARN`'s versions; `None`: SCIM is not enabled.
    pub token: Option<SigningKeys>,
}

/// A user of this function under its path.
#[derive(Debug, Clone)]
pub struct Found {
    /// The IAM user name.
    pub name: String,
    /// The user.
    pub user: ExistingUser,
}

impl Found {
    /// The user as SCIM sees it.
    pub fn scim(&self) -> ScimUser {
        ScimUser::of(&self.name, &self.user)
    }
}

/// What a user name holds.
#[derive(Debug)]
pub enum NameLookup {
    /// No IAM user.
    Absent,
    /// A user this function does not manage (why).
    Foreign(&'static str),
    /// One of ours.
    Ours(Found),
}

/// One request's context: the attempt id and the account.
pub struct Call<'a> {
    /// The Lambda request id.
    pub request_id: &'a str,
    /// The function's account.
    pub account: &'a AccountContext,
}

fn index_key(id: &str) -> String {
    format!("scim-user#{id}")
}

/// Whether `id` could be an IAM id (letters and digits, at most 128).
fn plausible_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 128 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn aws(step: &str) -> impl Fn(crate::aws::AwsError) -> ScimError + '_ {
    move |err| ScimError::aws(step, &err.code, &err.message)
}

impl ScimService {
    /// The service running its writes with `workflows`.
    pub fn new(workflows: Arc<Workflows>, parts: ScimParts) -> Self {
        Self {
            workflows,
            iam: parts.iam,
            leases: parts.leases,
            index: parts.index,
            token: parts.token,
        }
    }

    fn user_path(&self) -> &str {
        self.workflows.config().user_path.as_str()
    }

    /// The allowed groups (`ALLOWED_GROUPS`).
    pub fn allowed_groups(&self) -> &[GroupName] {
        &self.workflows.config().allowed_groups
    }

    fn is_ours(&self, user: &ExistingUser) -> bool {
        user.tag(MANAGED_BY_TAG) == Some(MANAGED_BY_VALUE) && user.path == self.user_path()
    }

    /// The user named `name` (one `GetUser`).
    pub async fn by_name(&self, name: &str) -> Result<NameLookup, ScimError> {
        match self.iam.get_user(name).await {
            Ok(None) => Ok(NameLookup::Absent),
            Ok(Some(user)) if self.is_ours(&user) => Ok(NameLookup::Ours(Found {
                name: user_name_of(&user).unwrap_or(name).to_string(),
                user,
            })),
            Ok(Some(_)) => Ok(NameLookup::Foreign(
                "an IAM user with this name exists and is not one this function manages under its path",
            )),
            // The role may read users only under its own path.
            Err(err) if err.is("AccessDenied") => Ok(NameLookup::Foreign(
                crate::identity::ownership::OUTSIDE_PATH,
            )),
            Err(err) => Err(aws("GetUser")(err)),
        }
    }

    /// The user with IAM id `id`, hidden ones included: the index entry and one
    /// `GetUser`; without an entry (a user SCIM has not created or looked up by
    /// id before), one walk, which then writes the entry.
    pub async fn by_id(&self, id: &str) -> Result<Option<Found>, ScimError> {
        if !plausible_id(id) {
            return Ok(None);
        }
        if let Some(index) = &self.index {
            match index.get(&index_key(id)).await {
                Ok(Some(record)) => {
                    if let NameLookup::Ours(found) = self.by_name(&record.owner).await?
                        && found.user.user_id == id
                    {
                        return Ok(Some(found));
                    }
                }
                Ok(None) => {}
                Err(err) => warn!(aws_error = %err.code, "SCIM id index unreadable; walking IAM"),
            }
        }
        let (users, _) = self.directory().await?;
        let Some((found, _)) = users.into_iter().find(|(f, _)| f.user.user_id == id) else {
            return Ok(None);
        };
        self.remember(&found).await;
        Ok(Some(found))
    }

    /// Writes `found`'s id-index entry; a failure is logged (the next read walks).
    pub async fn remember(&self, found: &Found) {
        let Some(index) = &self.index else { return };
        let now = unix_now();
        let key = index_key(&found.user.user_id);
        if let Err(err) = index
            .put_unless_held(&key, &found.name, now + INDEX_SECONDS, now)
            .await
        {
            warn!(aws_error = %err.code, "could not write the SCIM id index entry");
        }
    }

    /// Every user of this function under its path (hidden ones included), by
    /// id, and every group of the account: one walk.
    pub async fn directory(&self) -> Result<(Vec<(Found, Vec<String>)>, Vec<IamGroup>), ScimError> {
        let directory = self
            .iam
            .directory()
            .await
            .map_err(aws("GetAccountAuthorizationDetails"))?;
        info!(
            calls = directory.calls,
            users = directory.users.len(),
            "IAM directory read"
        );
        let mut users: Vec<(Found, Vec<String>)> = directory
            .users
            .into_iter()
            .filter(|u| self.is_ours(&u.user))
            .map(|DirectoryUser { name, user, groups }| (Found { name, user }, groups))
            .collect();
        // Oldest first: a user created while a client pages is on the last page.
        users.sort_by(|a, b| {
            (a.0.user.created_at, &a.0.user.user_id).cmp(&(b.0.user.created_at, &b.0.user.user_id))
        });
        Ok((users, directory.groups))
    }

    /// The user IAM holds under `name` in another letter case (IAM user names
    /// are unique ignoring case; the lookup by name may be exact): one walk.
    pub async fn by_name_ignoring_case(&self, name: &str) -> Result<NameLookup, ScimError> {
        let directory = self
            .iam
            .directory()
            .await
            .map_err(aws("GetAccountAuthorizationDetails"))?;
        Ok(
            match directory
                .users
                .into_iter()
                .find(|u| u.name.eq_ignore_ascii_case(name))
            {
                None => NameLookup::Absent,
                Some(u) if self.is_ours(&u.user) => NameLookup::Ours(Found {
                    name: u.name,
                    user: u.user,
                }),
                Some(_) => NameLookup::Foreign(
                    "an IAM user with this userName in another letter case exists and is not one this \
                 function manages (IAM user names are unique ignoring case)",
                ),
            },
        )
    }

    /// The allowed groups `name` is in (one `ListGroupsForUser`).
    pub async fn allowed_groups_of(&self, name: &str) -> Result<Vec<IamGroup>, ScimError> {
        let groups = self
            .iam
            .groups_of_user(name)
            .await
            .map_err(aws("ListGroupsForUser"))?;
        Ok(groups
            .into_iter()
            .filter(|g| self.workflows.config().is_allowed_group(&g.name))
            .collect())
    }

    async fn run(&self, request: HrRequest, call: &Call<'_>, step: &str) -> EmployeeResult {
        let attempt = format!("{}/scim-{step}", call.request_id);
        let mut results = self.workflows.run(request, call.account, &attempt).await;
        results
            .pop()
            .unwrap_or_else(|| EmployeeResult::for_user("-", Status::Failed))
    }

    fn employee(
        &self,
        user: &ScimUser,
        rehire: bool,
        user_id: Option<&str>,
    ) -> Result<Employee, ScimError> {
        let record = user.record(rehire)?;
        let employee = Employee::parse(&record, self.allowed_groups())
            .and_then(|e| {
                let tags = user.identity_provider_tags();
                let tags: Vec<(&str, &str, Option<&str>)> = tags
                    .iter()
                    .map(|(k, f, v)| (*k, *f, v.as_deref()))
                    .collect();
                e.from_identity_provider(&tags)
            })
            .map_err(|e: FieldError| ScimError::field(&e))?;
        Ok(match user_id {
            Some(id) => employee.known_as(id),
            None => employee,
        })
    }

    /// Onboards `user` (a joiner, or with `rehire` an offboarded user back) with
    /// no groups. Errors: the workflow's (an existing active user: `409 uniqueness`).
    pub async fn onboard(
        &self,
        user: &ScimUser,
        rehire: bool,
        call: &Call<'_>,
    ) -> Result<(), ScimError> {
        let employee = self.employee(user, rehire, None)?;
        let request = OnboardingRequest {
            dry_run: false,
            employees: vec![Ok(employee)],
        };
        let result = Box::pin(self.run(HrRequest::Onboard(request), call, "onboard")).await;
        match result.status {
            Status::Created => Ok(()),
            Status::AlreadyOnboarded => Err(ScimError::uniqueness(
                "a user with this userName already exists (IAM user names are unique ignoring case)",
            )),
            _ => Err(ScimError::of_result(&result).unwrap_or_else(|| {
                ScimError::internal(format!("onboarding ended {}", result.status.as_str()))
            })),
        }
    }

    /// Brings `found` in line with `user` (tags) and makes the membership
    /// `changes` (none: its groups stay as they are), under its lease.
    pub async fn update(
        &self,
        found: &Found,
        user: &ScimUser,
        changes: GroupChanges,
        call: &Call<'_>,
    ) -> Result<(), ScimError> {
        let employee = self
            .employee(user, false, Some(&found.user.user_id))?
            .with_group_changes(changes);
        let request = OnboardingRequest {
            dry_run: false,
            employees: vec![Ok(employee)],
        };
        let result = Box::pin(self.run(HrRequest::Update(request), call, "update")).await;
        ScimError::of_result(&result).map_or(Ok(()), Err)
    }

    /// Offboards `found` now (deny first, as every offboarding), naming it by
    /// its IAM id: it needs neither an email nor an employee id.
    pub async fn offboard(&self, found: &Found, call: &Call<'_>) -> Result<(), ScimError> {
        let username =
            Username::parse(&found.name).map_err(|r| ScimError::invalid_value("userName", &r))?;
        let request = OffboardingRequest {
            dry_run: false,
            from_schedule: false,
            leavers: vec![Ok(Leaver::by_user_id(username, &found.user.user_id))],
        };
        let result = Box::pin(self.run(HrRequest::Offboard(request), call, "offboard")).await;
        match result.status {
            Status::Offboarded | Status::AlreadyOffboarded => Ok(()),
            _ => Err(ScimError::of_result(&result).unwrap_or_else(|| {
                ScimError::internal(format!("offboarding ended {}", result.status.as_str()))
            })),
        }
    }

    /// Marks an offboarded `found` deleted by SCIM (hidden; the sweep deletes it
    /// after the grace period), under the person's lease.
    pub async fn hide(&self, found: &Found, call: &Call<'_>) -> Result<(), ScimError> {
        let mut tags = marker_tags(crate::identity::ownership::STATUS_OFFBOARDED);
        tags.push((SCIM_DELETED_AT_TAG.to_string(), unix_now().to_string()));
        let attempt = format!("{}/scim-delete", call.request_id);
        let write = self.iam.tag_user(&found.name, &tags);
        match self.leases.exclusive(&found.name, &attempt, write).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(err)) => Err(aws("TagUser")(err)),
            Err(crate::lease::LeaseError::Busy) => Err(ScimError::busy(
                "another change of this user is in progress; retry shortly",
            )),
            Err(err) => {
                let err = err.to_aws_error();
                Err(aws("AcquireLease")(err))
            }
        }
    }
}

/// The user name in a user's ARN (`…:user/<path>/<name>`), in IAM's spelling.
fn user_name_of(user: &ExistingUser) -> Option<&str> {
    user.arn.rsplit('/').next().filter(|n| !n.is_empty())
}

/// Whether SCIM shows `found` (a SCIM `DELETE` hides it).
pub fn visible(found: &Found) -> bool {
    !is_deleted(&found.user)
}

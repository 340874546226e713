//! The update workflow (movers): the user's tags and allowed groups follow the
//! HR record.
//! - Tags: the record's tags and the function's own keys (`EmployeeId`,
//!   `Department`, `EmailSha256`, `GivenName`, `FamilyName`, and SCIM's
//!   `ScimExternalId` and `ScimDisplayName`) are set where they differ;
//!   `Department` and the names (and, for a SCIM record, `EmployeeId`,
//!   `ScimExternalId` and `ScimDisplayName`) are removed when the record no
//!   longer has them. The marker and status tags are
//!   never changed; other tags (e.g. access-key descriptions) stay.
//! - Groups: `groups` is the complete wanted list within `ALLOWED_GROUPS`, or,
//!   for a SCIM client's membership change, only the memberships it names
//!   (`Employee::group_changes`); groups outside the allow-list are left alone.
//! - An email change rewrites `EmailSha256` only when the user was recognised by
//!   its `EmployeeId` (see [`crate::identity::ownership::Person::recognise`]).
//!
//! - `terminationCancelled: true`: the person's pending offboarding (a future
//!   `effectiveAt`, see [`crate::schedule`]) is deleted first.
//!
//! Nothing to change: `unchanged`, no write. Groups are removed before others
//! are added, and tags written last; each call is idempotent, so the retry of a
//! failed update recomputes what is left and converges.

use tracing::{Instrument, info_span};

use super::lookup::{Lookup, find_person};
use crate::aws::AwsError;
use crate::aws::iam::{ExistingUser, Iam};
use crate::batch::for_each_entry;
use crate::config::Config;
use crate::hr::{Employee, GroupName, OnboardingRequest, mask_emails_in};
use crate::identity::ownership::{
    CONTACT_EMAIL_TAG, DEPARTMENT_TAG, FAMILY_NAME_TAG, GIVEN_NAME_TAG, MANAGED_BY_TAG,
    MANAGED_BY_VALUE, Person, SCIM_OPTIONAL_TAGS, STATUS_OFFBOARDED, STATUS_TAG, in_progress,
};
use crate::identity::{EmployeeResult, ResultError, Status, Step};
use crate::lease::Leases;
use crate::schedule::PendingOffboardings;

/// Runs update requests against IAM. Build one per container.
pub struct Updater {
    iam: Iam,
    config: Config,
    pending: PendingOffboardings,
    leases: Leases,
}

/// What an update changes on one user.
#[derive(Debug, Default, PartialEq, Eq)]
struct Changes {
    /// Tags to set (key, value), without the marker.
    set_tags: Vec<(String, String)>,
    /// The function's own tag keys to remove.
    remove_tags: Vec<String>,
    /// Allowed groups to join.
    join: Vec<GroupName>,
    /// Allowed groups to leave.
    leave: Vec<String>,
}

impl Changes {
    /// The difference between `employee`'s record and `user` (in `groups`).
    fn between(
        employee: &Employee,
        user: &ExistingUser,
        groups: &[String],
        config: &Config,
    ) -> Self {
        let set_tags = employee
            .tags
            .iter()
            .filter(|(k, _)| !k.eq_ignore_ascii_case(MANAGED_BY_TAG))
            .filter(|(k, v)| user.tag(k) != Some(v.as_str()))
            .cloned()
            .collect();
        // The function's optional keys that the record no longer yields.
        let scim: &[&str] = if employee.from_identity_provider {
            &SCIM_OPTIONAL_TAGS
        } else {
            &[]
        };
        let remove_tags = [
            DEPARTMENT_TAG,
            CONTACT_EMAIL_TAG,
            GIVEN_NAME_TAG,
            FAMILY_NAME_TAG,
        ]
        .iter()
        .chain(scim)
        .copied()
        .filter(|own| {
            !employee
                .tags
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case(own))
        })
        .filter_map(|own| user.tags.iter().find(|(k, _)| k.eq_ignore_ascii_case(own)))
        .map(|(key, _)| key.clone())
        .collect();
        let named = |list: &[GroupName], name: &str| {
            list.iter().any(|g| g.as_str().eq_ignore_ascii_case(name))
        };
        let missing = |wanted: &[GroupName]| -> Vec<GroupName> {
            wanted
                .iter()
                .filter(|w| !groups.iter().any(|g| g.eq_ignore_ascii_case(w.as_str())))
                .cloned()
                .collect()
        };
        let allowed = groups.iter().filter(|g| config.is_allowed_group(g));
        let (join, leave) = match &employee.group_changes {
            // Only these memberships, against the groups read under the lease.
            Some(changes) => (
                missing(&changes.join),
                allowed
                    .filter(|g| named(&changes.leave, g))
                    .cloned()
                    .collect(),
            ),
            None => (
                missing(&employee.groups),
                allowed
                    .filter(|g| !named(&employee.groups, g))
                    .cloned()
                    .collect(),
            ),
        };
        Self {
            set_tags,
            remove_tags,
            join,
            leave,
        }
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// One line per call, in the order they are made.
    fn plan(&self) -> Vec<String> {
        let mut plan: Vec<String> = self
            .leave
            .iter()
            .map(|g| format!("{} {g}", Step::RemoveFromGroup.operation()))
            .collect();
        plan.extend(
            self.join
                .iter()
                .map(|g| format!("{} {}", Step::AddToGroup.operation(), g.as_str())),
        );
        if !self.remove_tags.is_empty() {
            plan.push(format!(
                "{} {}",
                Step::RemoveTags.operation(),
                self.remove_tags.join(", ")
            ));
        }
        if !self.set_tags.is_empty() {
            let keys: Vec<&str> = self.set_tags.iter().map(|(k, _)| k.as_str()).collect();
            plan.push(format!(
                "{} {}",
                Step::UpdateTags.operation(),
                keys.join(", ")
            ));
        }
        plan
    }
}

impl Updater {
    /// An updater using this adapter and configuration.
    pub fn new(iam: Iam, config: Config) -> Self {
        Self {
            iam,
            config,
            pending: PendingOffboardings::default(),
            leases: Leases::new(None),
        }
    }

    /// The same updater, cancelling pending offboardings with `pending`
    /// (`terminationCancelled`); without it there is nothing to cancel.
    pub fn with_pending_offboardings(mut self, pending: PendingOffboardings) -> Self {
        self.pending = pending;
        self
    }

    /// The same updater, taking each employee's lease first with `leases`.
    pub fn with_leases(mut self, leases: Leases) -> Self {
        self.leases = leases;
        self
    }

    /// Updates every employee of `request` as `attempt` (the request id; entry `i`
    /// runs as `"{attempt}/{i}"`), each under the employee's lease unless a dry
    /// run; one result per employee, in request order.
    pub async fn run(&self, request: OnboardingRequest, attempt: &str) -> Vec<EmployeeResult> {
        let dry_run = request.dry_run;
        for_each_entry(
            request.employees,
            attempt,
            |employee: &Employee| {
                info_span!(
                    "update",
                    employee_id = employee.employee_id.as_deref().unwrap_or("-"),
                    username = %mask_emails_in(employee.username.as_str()),
                    email = %employee.email.masked(),
                )
            },
            |attempt, employee: Employee| async move {
                let work = self.update_one(&employee, dry_run);
                (self.leases)
                    .guard_writes(dry_run, employee.username.as_str(), &attempt, work)
                    .await
            },
        )
        .await
    }

    async fn update_one(&self, employee: &Employee, dry_run: bool) -> EmployeeResult {
        let name = employee.username.as_str();
        let person = Person::from(employee);
        let user = match find_person(&self.iam, &person, self.config.user_path.as_str()).await {
            Lookup::Found(user, _) => user,
            Lookup::Refused(result) => return *result,
        };
        let mut result = EmployeeResult::new(employee, Status::Updated);
        result.user_arn = Some(user.arn.clone());
        // An identity provider keeps a deactivated user's attributes current:
        // its tags may change, never its groups (checked below).
        let leaver = user.tag(STATUS_TAG) == Some(STATUS_OFFBOARDED);
        if leaver && !employee.from_identity_provider {
            result.status = Status::Conflict;
            result.error = Some(ResultError {
                code: "UserOffboarded".into(),
                message: "the user is offboarded; an update does not change leavers \
                          (onboard them again to rehire); nothing was changed"
                    .into(),
                field: None,
                step: None,
            });
            return result;
        }
        if let Some(age) = self.leases.unfinished_claim(&user) {
            return result.with_failure(Step::GetUser, &in_progress(age), "");
        }
        // First, so that a failure leaves nothing half-done: the termination stands
        // until a retry cancels it.
        let mut cancelled = false;
        if employee.termination_cancelled && !dry_run {
            match self.pending.cancel(name).await {
                Ok(was_pending) => cancelled = was_pending,
                Err(err) => {
                    return result.with_failure(
                        Step::CancelSchedule,
                        &err,
                        "; the pending offboarding still stands and nothing else was changed; a \
                         retry of this event cancels it",
                    );
                }
            }
        }
        result.offboarding_cancelled = cancelled;
        let groups = match Step::ListGroups
            .run(self.iam.list_groups_for_user(name))
            .await
        {
            Ok(groups) => groups,
            Err(err) => {
                return result.with_failure(Step::ListGroups, &err, "; nothing was changed");
            }
        };
        let changes = Changes::between(employee, &user, &groups, &self.config);
        if leaver && !changes.join.is_empty() {
            result.status = Status::Conflict;
            result.error = Some(ResultError {
                code: "UserOffboarded".into(),
                message:
                    "the user is offboarded: it joins groups once rehired; nothing was changed"
                        .into(),
                field: Some("groups".into()),
                step: None,
            });
            return result;
        }
        let cancel_plan = self
            .pending
            .cancel_plan(name)
            .filter(|_| employee.termination_cancelled);
        if dry_run && (cancel_plan.is_some() || !changes.is_empty()) {
            result.status = Status::DryRun;
            result.plan = Some(cancel_plan.into_iter().chain(changes.plan()).collect());
            return result;
        }
        if changes.is_empty() {
            if !cancelled {
                result.status = Status::Unchanged;
            }
            return result;
        }
        match self.apply(name, &changes).await {
            Ok(()) => result,
            Err((step, err)) => result.with_failure(
                step,
                &err,
                "; the calls before it took effect, and a retry of this event completes the update",
            ),
        }
    }

    async fn apply(&self, name: &str, changes: &Changes) -> Result<(), (Step, AwsError)> {
        for group in &changes.leave {
            Step::RemoveFromGroup
                .run(self.iam.remove_user_from_group(name, group))
                .instrument(info_span!("group", group = group.as_str()))
                .await
                .map_err(|e| (Step::RemoveFromGroup, e))?;
        }
        for group in &changes.join {
            Step::AddToGroup
                .run(self.iam.add_user_to_group(name, group.as_str()))
                .instrument(info_span!("group", group = group.as_str()))
                .await
                .map_err(|e| (Step::AddToGroup, e))?;
        }
        if !changes.remove_tags.is_empty() {
            Step::RemoveTags
                .run(self.iam.untag_user(name, &changes.remove_tags))
                .await
                .map_err(|e| (Step::RemoveTags, e))?;
        }
        if !changes.set_tags.is_empty() {
            // The execution role allows TagUser only with the marker in the request.
            let mut tags = vec![(MANAGED_BY_TAG.to_string(), MANAGED_BY_VALUE.to_string())];
            tags.extend(changes.set_tags.iter().cloned());
            Step::UpdateTags
                .run(self.iam.tag_user(name, &tags))
                .await
                .map_err(|e| (Step::UpdateTags, e))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hr::{EmployeeRecord, GroupChanges};
    use crate::test_fixtures::config;

    fn user() -> ExistingUser {
        ExistingUser {
            arn: "arn:aws:iam::123456789012:user/employees/jane".into(),
            user_id: "AIDAJANE".into(),
            created_at: 0,
            path: "/employees/".into(),
            tags: vec![(MANAGED_BY_TAG.into(), MANAGED_BY_VALUE.into())],
            password_last_used: None,
        }
    }

    /// A SCIM client's membership change names one group: the others, read
    /// under the lease, stay (a full list read before it could undo a later change).
    #[test]
    fn group_changes_touch_only_the_groups_they_name() {
        let config = config(None);
        let record = EmployeeRecord {
            email: "jane@example.com".into(),
            username: Some("jane".into()),
            ..EmployeeRecord::default()
        };
        let employee = Employee::parse(&record, &config.allowed_groups).unwrap();
        let now_in = vec![
            "developers".to_string(),
            "readers".to_string(),
            "admins".to_string(),
        ];
        let leave_developers = employee.clone().with_group_changes(GroupChanges {
            join: Vec::new(),
            leave: vec![GroupName::parse("Developers").unwrap()],
        });
        let changes = Changes::between(&leave_developers, &user(), &now_in, &config);
        assert_eq!(
            (changes.join.len(), changes.leave.as_slice()),
            (0, ["developers".to_string()].as_slice())
        );
        let join_readers = employee.clone().with_group_changes(GroupChanges {
            join: vec![GroupName::parse("readers").unwrap()],
            leave: Vec::new(),
        });
        let joined = Changes::between(&join_readers, &user(), &now_in, &config);
        assert!(
            joined.join.is_empty() && joined.leave.is_empty(),
            "already a member"
        );
        let none = employee.clone().with_group_changes(GroupChanges::default());
        assert!(
            Changes::between(&none, &user(), &now_in, &config)
                .leave
                .is_empty()
        );
        // Without changes, the record's (empty) list is the wanted one: both allowed groups go.
        let whole = Changes::between(&employee, &user(), &now_in, &config);
        assert_eq!(whole.leave, ["developers", "readers"]);
    }
}

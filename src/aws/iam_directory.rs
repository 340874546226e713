//! IAM reads of the SCIM service provider: the account's users and groups with
//! their tags and memberships in one `GetAccountAuthorizationDetails` walk
//! (up to [`PAGE_ITEMS`] entities per call), and a user's groups with their ids.

use aws_sdk_iam::types::EntityType;

use super::AwsError;
use super::iam::{ExistingUser, Iam};

/// Entities per `GetAccountAuthorizationDetails` page (IAM's maximum, `MaxItems`).
pub const PAGE_ITEMS: i32 = 1000;

/// An IAM group, as SCIM names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IamGroup {
    /// The group name.
    pub name: String,
    /// IAM's stable id of the group (`AGPA…`).
    pub id: String,
}

/// A user of the walk, with the names of its groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirectoryUser {
    /// The user name.
    pub name: String,
    /// ARN, id, path, tags and creation (no last password use: the walk has none).
    pub user: ExistingUser,
    /// Names of the groups the user is in.
    pub groups: Vec<String>,
}

/// The account's users and groups, as one walk read them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Directory {
    /// Every user of the account, in IAM's order.
    pub users: Vec<DirectoryUser>,
    /// Every group of the account.
    pub groups: Vec<IamGroup>,
    /// How many `GetAccountAuthorizationDetails` calls the walk took.
    pub calls: u32,
}

impl Iam {
    /// Every user and group of the account with tags and memberships: one
    /// `GetAccountAuthorizationDetails` call (filter `User`, `Group`) per
    /// [`PAGE_ITEMS`] entities. A failed page fails the walk.
    pub async fn directory(&self) -> Result<Directory, AwsError> {
        let mut pages = self
            .client
            .get_account_authorization_details()
            .filter(EntityType::User)
            .filter(EntityType::Group)
            .max_items(PAGE_ITEMS)
            .into_paginator()
            .send();
        let mut directory = Directory::default();
        while let Some(page) = pages.next().await {
            let page = page?;
            directory.calls += 1;
            directory
                .users
                .extend(page.user_detail_list().iter().map(|u| {
                    DirectoryUser {
                        name: u.user_name().unwrap_or_default().to_string(),
                        user: ExistingUser {
                            arn: u.arn().unwrap_or_default().to_string(),
                            user_id: u.user_id().unwrap_or_default().to_string(),
                            created_at: u.create_date().map_or(0, |d| d.secs()),
                            path: u.path().unwrap_or_default().to_string(),
                            tags: u
                                .tags()
                                .iter()
                                .map(|t| (t.key().to_string(), t.value().to_string()))
                                .collect(),
                            password_last_used: None,
                        },
                        groups: u.group_list().to_vec(),
                    }
                }));
            directory
                .groups
                .extend(page.group_detail_list().iter().map(|g| IamGroup {
                    name: g.group_name().unwrap_or_default().to_string(),
                    id: g.group_id().unwrap_or_default().to_string(),
                }));
        }
        Ok(directory)
    }

    /// The groups `name` is in, with their ids (one `ListGroupsForUser`).
    pub async fn groups_of_user(&self, name: &str) -> Result<Vec<IamGroup>, AwsError> {
        let output = self
            .client
            .list_groups_for_user()
            .user_name(name)
            .send()
            .await?;
        Ok(output
            .groups()
            .iter()
            .map(|g| IamGroup {
                name: g.group_name().to_string(),
                id: g.group_id().to_string(),
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_iam::Client;
    use aws_sdk_iam::operation::get_account_authorization_details::GetAccountAuthorizationDetailsOutput;
    use aws_sdk_iam::types::{GroupDetail, Tag, UserDetail};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn user(name: &str) -> UserDetail {
        UserDetail::builder()
            .user_name(name)
            .user_id(format!("AIDA{name}"))
            .arn(format!("arn:aws:iam::123456789012:user/employees/{name}"))
            .path("/employees/")
            .tags(
                Tag::builder()
                    .key("ManagedBy")
                    .value("iam-onboarding")
                    .build()
                    .unwrap(),
            )
            .group_list("developers")
            .build()
    }

    /// IAM pages the walk (`IsTruncated`, `Marker`); moto answers in one page, so
    /// only this shows a walk of N users taking ⌈N / 1000⌉ calls.
    #[tokio::test]
    async fn the_walk_follows_every_page_with_its_marker() {
        let first = mock!(Client::get_account_authorization_details)
            .match_requests(|r| {
                r.marker().is_none()
                    && r.max_items() == Some(PAGE_ITEMS)
                    && r.filter() == [EntityType::User, EntityType::Group]
            })
            .then_output(|| {
                GetAccountAuthorizationDetailsOutput::builder()
                    .user_detail_list(user("jane"))
                    .group_detail_list(
                        GroupDetail::builder()
                            .group_name("developers")
                            .group_id("AGPA1")
                            .build(),
                    )
                    .is_truncated(true)
                    .marker("page-2")
                    .build()
            });
        let second = mock!(Client::get_account_authorization_details)
            .match_requests(|r| r.marker() == Some("page-2"))
            .then_output(|| {
                GetAccountAuthorizationDetailsOutput::builder()
                    .user_detail_list(user("john"))
                    .is_truncated(false)
                    .build()
            });
        let client = mock_client!(aws_sdk_iam, RuleMode::Sequential, [&first, &second]);
        let directory = Iam::new(client).directory().await.unwrap();
        assert_eq!(directory.calls, 2);
        let names: Vec<&str> = directory.users.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(names, ["jane", "john"]);
        assert_eq!(directory.users[0].user.user_id, "AIDAjane");
        assert_eq!(
            directory.users[0].user.tag("ManagedBy"),
            Some("iam-onboarding")
        );
        assert_eq!(directory.users[1].groups, ["developers"]);
        assert_eq!(
            directory.groups,
            [IamGroup {
                name: "developers".into(),
                id: "AGPA1".into()
            }]
        );
    }
}

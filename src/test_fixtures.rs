//! Test fixtures the workflows' request-level tests share: the configuration,
//! the account, and lease tables answered by aws-smithy-mocks.

use aws_sdk_dynamodb::Client as DynamoClient;
use aws_sdk_dynamodb::operation::delete_item::DeleteItemOutput;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_iam::error::ErrorMetadata;
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use crate::aws::dynamodb::Dynamo;
use crate::config::Config;
use crate::identity::AccountContext;
use crate::lease::{Leases, lease_key};

pub(crate) const POLICY_ARN: &str = "arn:aws:iam::123456789012:policy/SelfManageCredentials";
pub(crate) const BOUNDARY_ARN: &str = "arn:aws:iam::123456789012:policy/EmployeeBoundary";
pub(crate) const USER_ARN: &str = "arn:aws:iam::123456789012:user/employees/jane.doe";
/// The single employee's attempt id in the tests' invocations (request `req-1`, entry 0).
pub(crate) const EMPLOYEE_ATTEMPT: &str = "req-1/0";

pub(crate) fn config(signin_url: Option<&str>) -> Config {
    Config::from_lookup(|name| {
        match name {
            "SELF_MANAGE_POLICY_ARN" => Some(POLICY_ARN),
            "SENDER_EMAIL" => Some("it@example.com"),
            "USER_PATH" => Some("/employees/"),
            "PERMISSIONS_BOUNDARY_ARN" => Some(BOUNDARY_ARN),
            "ALLOWED_GROUPS" => Some("developers,readers"),
            "SIGNIN_URL" => signin_url,
            "PASSWORD_DELIVERY" => Some("email"),
            _ => None,
        }
        .map(str::to_string)
    })
    .unwrap()
}

pub(crate) fn account() -> AccountContext {
    AccountContext {
        partition: "aws".into(),
        account_id: Some("123456789012".into()),
        function_arn: "arn:aws:lambda:us-east-1:123456789012:function:iam-onboarding".into(),
    }
}

pub(crate) fn iam_error(code: &str) -> ErrorMetadata {
    ErrorMetadata::builder()
        .code(code)
        .message(format!("injected {code}"))
        .build()
}

/// A lease table whose PutItem answers with `put` and whose DeleteItem succeeds.
pub(crate) fn leases(put: &Rule, delete: &Rule) -> Leases {
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::MatchAny, [put, delete]);
    Leases::new(Some(Dynamo::new(client, "idempotency")))
}

pub(crate) fn lease_delete() -> Rule {
    mock!(DynamoClient::delete_item)
        .match_requests(|req| {
            req.key().unwrap()["id"] == AttributeValue::S(lease_key("jane.doe"))
                && req.condition_expression() == Some("#owner = :owner")
                && req.expression_attribute_values().unwrap()[":owner"]
                    == AttributeValue::S(EMPLOYEE_ATTEMPT.into())
        })
        .then_output(|| DeleteItemOutput::builder().build())
}

/// A PutItem that meets another attempt's lease (its condition fails).
pub(crate) fn lease_put_held() -> Rule {
    mock!(DynamoClient::put_item).then_error(|| {
        PutItemError::ConditionalCheckFailedException(
            aws_sdk_dynamodb::types::error::ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .meta(iam_error("ConditionalCheckFailedException"))
                .build(),
        )
    })
}

/// Leases every one of which another attempt holds.
pub(crate) fn held_leases() -> Leases {
    leases(&lease_put_held(), &lease_delete())
}

//! What several fuzz targets share: the configuration of `src/test_fixtures.rs`
//! (ALLOWED_GROUPS `developers,readers`).

use std::sync::LazyLock;

use iam_onboarding::config::Config;

/// The configuration of `src/test_fixtures.rs`.
pub static CONFIG: LazyLock<Config> = LazyLock::new(|| {
    Config::from_lookup(|name| {
        match name {
            "SELF_MANAGE_POLICY_ARN" => Some("arn:aws:iam::123456789012:policy/SelfManageCredentials"),
            "SENDER_EMAIL" => Some("it@example.com"),
            "USER_PATH" => Some("/employees/"),
            "PERMISSIONS_BOUNDARY_ARN" => Some("arn:aws:iam::123456789012:policy/EmployeeBoundary"),
            "ALLOWED_GROUPS" => Some("developers,readers"),
            "PASSWORD_DELIVERY" => Some("email"),
            _ => None,
        }
        .map(str::to_string)
    })
    .expect("the test fixtures' configuration is valid")
});

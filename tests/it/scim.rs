//! The SCIM 2.0 API (issue 23) in process against the emulator, replaying the
//! requests Okta and Entra ID send and reading IAM back: a create after a
//! `userName eq` probe, deactivation (Okta's path-less value object, Entra's
//! `"Replace"`/`"False"`), group members added and removed, 150 users paged by
//! 100, delete then rehire, the token's versions, and bodies and logs that hold
//! neither the token nor a password. (The peer suites: [`crate::scim_suites`].)

use std::sync::atomic::{AtomicU32, Ordering};

use iam_onboarding::handler::App;
use iam_onboarding::logging;
use serde_json::{Value, json};
use tracing_subscriber::EnvFilter;

use crate::leavers::{DENY_ALL, access_problems, give_credentials};
use crate::logs::Captured;
use crate::world::{World, invoke_as};

pub const TOKEN: &str = "scim-token-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// A SCIM client of the function, in process.
pub struct Scim {
    pub app: App,
    pub secret_arn: String,
    calls: AtomicU32,
}

/// The emulator's SCIM token secret, holding [`TOKEN`]; its ARN.
pub async fn token_secret(world: &World) -> String {
    aws_sdk_secretsmanager::Client::new(&world.sdk)
        .create_secret()
        .name("scim-token")
        .secret_string(TOKEN)
        .send()
        .await
        .unwrap()
        .arn
        .unwrap()
}

/// One answer: status, JSON body (`Null` when none), headers.
pub struct Answer {
    pub status: u64,
    pub body: Value,
    pub headers: Value,
}

impl Scim {
    /// The function with SCIM on (token [`TOKEN`]); the world has groups `developers`, `readers`.
    pub async fn new(world: &World) -> Self {
        let secret_arn = token_secret(world).await;
        let app = world.app(&[("SCIM_TOKEN_SECRET_ARN", &secret_arn)]);
        Self {
            app,
            secret_arn,
            calls: AtomicU32::new(0),
        }
    }

    /// `method path` (with its query) with `body`, as `token` (`None`: no header).
    pub async fn send_as(
        &self,
        token: Option<&str>,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Answer {
        let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
        let mut headers = json!({"host": "abc123.lambda-url.us-east-1.on.aws",
            "content-type": "application/scim+json", "x-forwarded-proto": "https"});
        if let Some(token) = token {
            headers["authorization"] = json!(format!("Bearer {token}"));
        }
        let event = json!({
            "version": "2.0", "routeKey": "$default", "rawPath": raw_path, "rawQueryString": query,
            "headers": headers,
            "requestContext": {"accountId": "anonymous", "apiId": "abc123",
                "domainName": "abc123.lambda-url.us-east-1.on.aws", "domainPrefix": "abc123",
                "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1",
                    "sourceIp": "203.0.113.10", "userAgent": "Okta SCIM Client 1.0.0"},
                "requestId": "c0ffee", "routeKey": "$default", "stage": "$default",
                "time": "04/Dec/2026:09:00:00 +0000", "timeEpoch": 1796374800000u64},
            "body": body.map(|b| b.to_string()), "isBase64Encoded": false
        });
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let response = invoke_as(&self.app, event, &format!("scim-request-{n}"))
            .await
            .unwrap();
        Answer {
            status: response["statusCode"].as_u64().unwrap(),
            body: response["body"]
                .as_str()
                .and_then(|b| serde_json::from_str(b).ok())
                .unwrap_or(Value::Null),
            headers: response["headers"].clone(),
        }
    }

    /// `POST /Users` of `body`, which must answer `201`; the new user's id.
    pub async fn create(&self, body: Value) -> String {
        let created = self.send("POST", "/scim/v2/Users", Some(body)).await;
        assert_eq!(created.status, 201, "{}", created.body);
        created.body["id"].as_str().unwrap().to_string()
    }

    /// [`Scim::send_as`] with [`TOKEN`].
    pub async fn send(&self, method: &str, path: &str, body: Option<Value>) -> Answer {
        self.send_as(Some(TOKEN), method, path, body).await
    }
}

/// The body Okta POSTs to create a user (Okta's SCIM 2.0 reference), with the
/// password it sends even with password sync off.
pub fn okta_user(user_name: &str, given: &str, family: &str) -> Value {
    json!({
        "schemas": [USER],
        "userName": user_name,
        "name": {"givenName": given, "familyName": family},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": format!("{given} {family}"),
        "locale": "en-US",
        "externalId": "00u1abcdEFGHijkl0h7",
        "groups": [],
        "password": "t1meMa$heen",
        "active": true
    })
}

fn entra_user(user_name: &str, email: &str) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "jdoe",
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": email}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "John Doe", "familyName": "Doe", "givenName": "John"},
        "roles": [],
        ENTERPRISE: {"employeeNumber": "E-77", "department": "Engineering"}
    })
}

fn filter(expression: &str) -> String {
    form_urlencoded::byte_serialize(expression.as_bytes()).collect()
}

/// Whether `name` has `AWSDenyAll` and no console password.
async fn access_ended(world: &World, name: &str) -> bool {
    let no_password = world
        .iam()
        .get_login_profile()
        .user_name(name)
        .send()
        .await
        .is_err();
    no_password && attached(world, name).await.contains(&DENY_ALL.to_string())
}

async fn attached(world: &World, name: &str) -> Vec<String> {
    let attached = world
        .iam()
        .list_attached_user_policies()
        .user_name(name)
        .send()
        .await
        .unwrap();
    attached
        .attached_policies()
        .iter()
        .filter_map(|p| p.policy_arn().map(str::to_string))
        .collect()
}

#[tokio::test]
async fn okta_creates_after_a_probe_deactivates_and_reactivates() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let probe = format!(
        "/scim/v2/Users?filter={}&startIndex=1&count=100",
        filter(r#"userName eq "jane.doe@example.com""#)
    );
    let none = scim.send("GET", &probe, None).await;
    assert_eq!(none.status, 200, "{}", none.body);
    assert_eq!(
        (
            none.body["totalResults"].as_u64(),
            none.body["Resources"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );

    let created = scim
        .send(
            "POST",
            "/scim/v2/Users",
            Some(okta_user("jane.doe@example.com", "Jane", "O'Brien")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.headers["content-type"], "application/scim+json");
    let id = created.body["id"].as_str().unwrap().to_string();
    let iam_user = world
        .iam()
        .get_user()
        .user_name("jane.doe@example.com")
        .send()
        .await
        .unwrap();
    assert_eq!(iam_user.user().unwrap().user_id(), id, "id is IAM's UserId");
    assert_eq!(
        created.headers["location"],
        format!("https://abc123.lambda-url.us-east-1.on.aws/scim/v2/Users/{id}")
    );
    assert_eq!(
        created.body["name"],
        json!({"givenName": "Jane", "familyName": "O'Brien"})
    );
    assert_eq!(created.body["externalId"], "00u1abcdEFGHijkl0h7");
    assert_eq!(created.body["active"], true);
    assert!(created.body.get("password").is_none());
    // The welcome email carries a fresh one-time password, never Okta's.
    let emails = world.moto.emails();
    assert_eq!(emails.len(), 1);
    assert_ne!(emails[0].password(), "t1meMa$heen");
    assert_eq!(
        world.moto.user("jane.doe@example.com").unwrap()["password"].as_str(),
        Some(emails[0].password().as_str())
    );

    let found = scim.send("GET", &probe, None).await;
    assert_eq!(
        (
            found.body["totalResults"].as_u64(),
            found.body["itemsPerPage"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(found.body["Resources"][0]["id"], id.as_str());
    // The same userName in another letter case is taken.
    for name in ["jane.doe@example.com", "Jane.Doe@Example.com"] {
        let again = scim
            .send(
                "POST",
                "/scim/v2/Users",
                Some(okta_user(name, "Jane", "Doe")),
            )
            .await;
        assert_eq!(
            (again.status, again.body["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{}",
            again.body
        );
    }

    give_credentials(&world.iam(), "jane.doe@example.com").await;
    let deactivate =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let patched = scim
        .send(
            "PATCH",
            &format!("/scim/v2/Users/{id}"),
            Some(deactivate.clone()),
        )
        .await;
    assert_eq!(
        (patched.status, &patched.body["active"]),
        (200, &json!(false)),
        "{}",
        patched.body
    );
    assert_eq!(
        access_problems(&world.iam(), "jane.doe@example.com").await,
        Vec::<String>::new()
    );
    // Okta's CRUD test: a deactivated user still reads, inactive.
    let read = scim
        .send("GET", &format!("/scim/v2/Users/{id}"), None)
        .await;
    assert_eq!((read.status, &read.body["active"]), (200, &json!(false)));
    // Repeating the PATCH changes nothing.
    let tags_before = world.moto.user("jane.doe@example.com").unwrap()["tags"].clone();
    let repeat = scim
        .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(deactivate))
        .await;
    assert_eq!(repeat.status, 200);
    assert_eq!(
        world.moto.user("jane.doe@example.com").unwrap()["tags"],
        tags_before
    );

    let reactivate =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": true}}]});
    let back = scim
        .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(reactivate))
        .await;
    assert_eq!(
        (back.status, &back.body["active"]),
        (200, &json!(true)),
        "{}",
        back.body
    );
    assert!(
        !attached(&world, "jane.doe@example.com")
            .await
            .contains(&DENY_ALL.to_string())
    );
    assert_eq!(
        world.moto.emails().len(),
        2,
        "the rehire mails a new password"
    );
}

#[tokio::test]
async fn entra_id_patches_with_capitalised_ops_and_string_booleans() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let created = scim
        .send(
            "POST",
            "/scim/v2/Users",
            Some(entra_user("jdoe@contoso.com", "jdoe@contoso.com")),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        created.body[ENTERPRISE],
        json!({"employeeNumber": "E-77", "department": "Engineering"})
    );
    let by_external = scim
        .send(
            "GET",
            &format!(
                "/scim/v2/Users?filter={}",
                filter(r#"externalId eq "jdoe""#)
            ),
            None,
        )
        .await;
    assert_eq!(by_external.body["totalResults"], 1);
    let by_email = scim
        .send(
            "GET",
            &format!(
                "/scim/v2/Users?filter={}",
                filter(r#"emails[type eq "work"].value eq "JDOE@contoso.com""#)
            ),
            None,
        )
        .await;
    assert_eq!(by_email.body["totalResults"], 1, "{}", by_email.body);

    let changes = json!({"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "name.givenName", "value": "Johnny"},
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "johnny@contoso.com"},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "E-78"},
        {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "R&D"},
        {"op": "Replace", "path": "displayName", "value": "Johnny Doe"}
    ]});
    let patched = scim
        .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(changes))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["name"]["givenName"], "Johnny");
    assert_eq!(patched.body["emails"][0]["value"], "johnny@contoso.com");
    assert_eq!(patched.body[ENTERPRISE]["employeeNumber"], "E-78");
    let user = world.moto.user("jdoe@contoso.com").unwrap();
    assert_eq!(
        test_support::tag(&user, "EmployeeId"),
        Some("E-78"),
        "email and employee number changed at once"
    );
    assert_eq!(
        test_support::tag(&user, "ContactEmail"),
        Some("johnny@contoso.com")
    );

    let disable = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let disabled = scim
        .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(disable))
        .await;
    assert_eq!(
        (disabled.status, &disabled.body["active"]),
        (200, &json!(false)),
        "{}",
        disabled.body
    );
    assert!(access_ended(&world, "jdoe@contoso.com").await);
    // Entra ID keeps a disabled user's attributes current: tags change, access stays ended.
    let while_disabled = json!({"schemas": [PATCH], "Operations": [{"op": "Replace", "path": "name.familyName", "value": "Dough"}]});
    let renamed = scim
        .send(
            "PATCH",
            &format!("/scim/v2/Users/{id}"),
            Some(while_disabled),
        )
        .await;
    assert_eq!(
        (renamed.status, &renamed.body["active"]),
        (200, &json!(false)),
        "{}",
        renamed.body
    );
    assert_eq!(renamed.body["name"]["familyName"], "Dough");
    assert!(
        attached(&world, "jdoe@contoso.com")
            .await
            .contains(&DENY_ALL.to_string())
    );
}

#[tokio::test]
async fn okta_aiw_apps_deactivate_with_a_full_put() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let created = scim
        .send(
            "POST",
            "/scim/v2/Users",
            Some(okta_user("sam@example.com", "Sam", "Lee")),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_string();
    // Okta sends the resource back with its id and meta: read-only, ignored.
    let mut put = okta_user("sam@example.com", "Samuel", "Lee");
    put["id"] = json!("someone-else");
    put["meta"] = created.body["meta"].clone();
    put["active"] = json!(false);
    let replaced = scim
        .send("PUT", &format!("/scim/v2/Users/{id}"), Some(put))
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.body);
    assert_eq!(
        (
            &replaced.body["name"]["givenName"],
            &replaced.body["active"]
        ),
        (&json!("Samuel"), &json!(false))
    );
    assert!(
        attached(&world, "sam@example.com")
            .await
            .contains(&DENY_ALL.to_string())
    );
    let mut rename = okta_user("samuel@example.com", "Samuel", "Lee");
    rename["active"] = json!(false);
    let refused = scim
        .send("PUT", &format!("/scim/v2/Users/{id}"), Some(rename))
        .await;
    assert_eq!(
        (refused.status, refused.body["scimType"].as_str()),
        (400, Some("mutability"))
    );
}

#[tokio::test]
async fn group_members_are_added_and_removed_within_the_allow_list() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let jane = scim
        .create(okta_user("jane@example.com", "Jane", "Doe"))
        .await;
    let john = scim
        .create(okta_user("john@example.com", "John", "Doe"))
        .await;
    world.create_group("admins").await;
    let groups = scim.send("GET", "/scim/v2/Groups", None).await;
    let names: Vec<&str> = groups.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["displayName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["developers", "readers"], "only ALLOWED_GROUPS");
    let developers = scim
        .send(
            "GET",
            &format!(
                "/scim/v2/Groups?filter={}&excludedAttributes=members",
                filter(r#"displayName eq "Developers""#)
            ),
            None,
        )
        .await;
    assert_eq!(developers.body["totalResults"], 1, "{}", developers.body);
    assert!(developers.body["Resources"][0].get("members").is_none());
    let gid = developers.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let add = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": jane, "display": "jane@example.com"}, {"value": john}]}]});
    let added = scim
        .send(
            "PATCH",
            &format!("/scim/v2/Groups/{gid}"),
            Some(add.clone()),
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(world.group_names("jane@example.com").await, ["developers"]);
    assert_eq!(world.group_names("john@example.com").await, ["developers"]);
    assert_eq!(
        scim.send("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(add))
            .await
            .status,
        200,
        "a repeat is fine"
    );
    // Okta's remove.
    let remove = json!({"schemas": [PATCH], "Operations": [{"op": "remove", "path": format!("members[value eq \"{jane}\"]")}]});
    assert_eq!(
        scim.send("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(remove))
            .await
            .status,
        200
    );
    assert!(world.group_names("jane@example.com").await.is_empty());
    // Entra ID's remove (without aadOptscim062020).
    let remove = json!({"schemas": [PATCH], "Operations": [{"op": "Remove", "path": "members", "value": [{"value": john}]}]});
    assert_eq!(
        scim.send("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(remove))
            .await
            .status,
        200
    );
    assert!(world.group_names("john@example.com").await.is_empty());
    // Okta's full push replaces the members; `[]` empties the group (of this function's users only).
    let replace = |members: Value| json!({"schemas": [PATCH], "Operations": [{"op": "replace", "path": "members", "value": members}]});
    let group = format!("/scim/v2/Groups/{gid}");
    assert_eq!(
        scim.send("PATCH", &group, Some(replace(json!([{"value": jane}]))))
            .await
            .status,
        200
    );
    assert_eq!(world.group_names("jane@example.com").await, ["developers"]);
    let emptied = scim.send("PATCH", &group, Some(replace(json!([])))).await;
    assert_eq!(
        (emptied.status, &emptied.body["members"]),
        (200, &json!([])),
        "{}",
        emptied.body
    );
    assert!(world.group_names("jane@example.com").await.is_empty());
    // A group outside the allow-list is not SCIM's, and SCIM creates none.
    let admins = scim.send("POST", "/scim/v2/Groups", Some(json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "admins"}))).await;
    assert_eq!(admins.status, 400, "{}", admins.body);
    let linked = scim
        .send(
            "POST",
            "/scim/v2/Groups",
            Some(json!({"displayName": "readers", "members": [{"value": jane}]})),
        )
        .await;
    assert_eq!(linked.status, 201, "{}", linked.body);
    assert_eq!(world.group_names("jane@example.com").await, ["readers"]);
    let unknown = json!({"schemas": [PATCH], "Operations": [{"op": "add", "path": "members", "value": [{"value": "AIDANOSUCHUSER"}]}]});
    assert_eq!(
        scim.send("PATCH", &format!("/scim/v2/Groups/{gid}"), Some(unknown))
            .await
            .status,
        400
    );
}

#[tokio::test]
async fn a_listing_of_150_pages_by_100_in_a_stable_order() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let employees: Vec<Value> = (0..150)
        .map(|i| json!({"email": format!("person{i:03}@example.com"), "username": format!("person{i:03}@example.com")}))
        .collect();
    for batch in employees.chunks(100) {
        let response = invoke_as(&scim.app, json!({"employees": batch}), "bulk")
            .await
            .unwrap();
        assert!(
            response["results"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["status"] == "created"),
            "{response}"
        );
    }
    let mut ids = Vec::new();
    for start in [1, 101] {
        let page = scim
            .send(
                "GET",
                &format!("/scim/v2/Users?startIndex={start}&count=100"),
                None,
            )
            .await;
        assert_eq!(page.body["totalResults"], 150);
        assert_eq!(page.body["startIndex"], start);
        let resources = page.body["Resources"].as_array().unwrap();
        assert_eq!(
            page.body["itemsPerPage"].as_u64(),
            Some(resources.len() as u64)
        );
        ids.extend(
            resources
                .iter()
                .map(|r| r["id"].as_str().unwrap().to_string()),
        );
    }
    assert_eq!(ids.len(), 150);
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 150, "no user on two pages");
    let count_only = scim.send("GET", "/scim/v2/Users?count=0", None).await;
    assert_eq!(
        (
            count_only.body["totalResults"].as_u64(),
            count_only.body["itemsPerPage"].as_u64()
        ),
        (Some(150), Some(0))
    );
    let again = scim
        .send("GET", "/scim/v2/Users?startIndex=1&count=100", None)
        .await;
    let first: Vec<&str> = again.body["Resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        first,
        ids[..100].iter().map(String::as_str).collect::<Vec<_>>(),
        "the same order every time"
    );
    let projected = scim
        .send("GET", "/scim/v2/Users?count=1&attributes=userName", None)
        .await;
    let mut keys: Vec<&String> = projected.body["Resources"][0]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    keys.sort();
    assert_eq!(keys, ["id", "schemas", "userName"]);
}

#[tokio::test]
async fn delete_offboards_and_hides_then_a_post_rehires() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let id = scim
        .create(okta_user("kim@example.com", "Kim", "Park"))
        .await;
    let deleted = scim
        .send("DELETE", &format!("/scim/v2/Users/{id}"), None)
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert!(
        attached(&world, "kim@example.com")
            .await
            .contains(&DENY_ALL.to_string())
    );
    assert_eq!(
        scim.send("GET", &format!("/scim/v2/Users/{id}"), None)
            .await
            .status,
        404
    );
    let listed = scim.send("GET", "/scim/v2/Users", None).await;
    assert_eq!(listed.body["totalResults"], 0);
    assert!(
        world.moto.user("kim@example.com").is_some(),
        "left to the sweep's deletion"
    );
    let rehired = scim
        .send(
            "POST",
            "/scim/v2/Users",
            Some(okta_user("kim@example.com", "Kim", "Park")),
        )
        .await;
    assert_eq!(rehired.status, 201, "{}", rehired.body);
    assert_eq!(rehired.body["id"], id.as_str(), "the same IAM user, back");
    assert!(
        !attached(&world, "kim@example.com")
            .await
            .contains(&DENY_ALL.to_string())
    );
    assert_eq!(world.moto.emails().len(), 2);
}

#[tokio::test]
async fn users_this_function_does_not_manage_are_conflicts_and_untouched() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    world
        .iam()
        .create_user()
        .user_name("admin@example.com")
        .path("/employees/")
        .send()
        .await
        .unwrap();
    world
        .iam()
        .create_user()
        .user_name("ops@example.com")
        .send()
        .await
        .unwrap();
    for name in ["admin@example.com", "ops@example.com"] {
        let answer = scim
            .send("POST", "/scim/v2/Users", Some(okta_user(name, "A", "B")))
            .await;
        assert_eq!(
            (answer.status, answer.body["scimType"].as_str()),
            (409, Some("uniqueness")),
            "{name}: {}",
            answer.body
        );
        let user = world.iam().get_user().user_name(name).send().await.unwrap();
        assert!(user.user().unwrap().tags().is_empty(), "{name} untouched");
    }
    assert!(world.moto.emails().is_empty());
    let listed = scim.send("GET", "/scim/v2/Users", None).await;
    assert_eq!(
        listed.body["totalResults"], 0,
        "only the function's users are listed"
    );
}

#[tokio::test]
async fn errors_are_scim_errors_and_nothing_leaks() {
    let world = World::new().await;
    let captured = Captured::default();
    let _guard = tracing::subscriber::set_default(logging::subscriber(
        captured.clone(),
        EnvFilter::new("info"),
    ));
    let scim = Scim::new(&world).await;
    for (token, status) in [(None, 401), (Some("wrong"), 401), (Some(TOKEN), 200)] {
        let answer = scim
            .send_as(token, "GET", "/scim/v2/ServiceProviderConfig", None)
            .await;
        assert_eq!(answer.status, status, "{token:?}");
        if status == 401 {
            assert_eq!(
                answer.body["schemas"][0],
                "urn:ietf:params:scim:api:messages:2.0:Error"
            );
            assert_eq!(answer.body["status"], "401");
        }
    }
    // A rotation: the previous version still works, the new one too.
    aws_sdk_secretsmanager::Client::new(&world.sdk)
        .put_secret_value()
        .secret_id(&scim.secret_arn)
        .secret_string("rotated-token-0123456789")
        .send()
        .await
        .unwrap();
    let rotated = World::app(&world, &[("SCIM_TOKEN_SECRET_ARN", &scim.secret_arn)]);
    let fresh = Scim {
        app: rotated,
        secret_arn: scim.secret_arn.clone(),
        calls: AtomicU32::new(100),
    };
    for token in [TOKEN, "rotated-token-0123456789"] {
        assert_eq!(
            fresh
                .send_as(Some(token), "GET", "/scim/v2/Users", None)
                .await
                .status,
            200
        );
    }
    let config = scim
        .send("GET", "/scim/v2/ServiceProviderConfig", None)
        .await
        .body;
    assert_eq!(
        (
            &config["patch"]["supported"],
            &config["bulk"]["supported"],
            &config["filter"]["maxResults"]
        ),
        (&json!(true), &json!(false), &json!(100))
    );
    for (method, path, body, status, scim_type) in [
        (
            "GET",
            format!("/scim/v2/Users?filter={}", filter(r#"title eq "x""#)),
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            "GET",
            format!("/scim/v2/Users?filter={}", filter(r#"userName sw "j""#)),
            None,
            400,
            Some("invalidFilter"),
        ),
        (
            "GET",
            "/scim/v2/Users/AIDANOSUCHUSER".into(),
            None,
            404,
            None,
        ),
        ("GET", "/scim/v2/Nope".into(), None, 404, None),
        (
            "POST",
            "/scim/v2/ServiceProviderConfig".into(),
            Some(json!({})),
            405,
            None,
        ),
        (
            "POST",
            "/scim/v2/Users".into(),
            Some(json!({"emails": [{"value": "x@example.com"}]})),
            400,
            Some("invalidValue"),
        ),
        (
            "POST",
            "/scim/v2/Users".into(),
            Some(json!({"userName": "no email"})),
            400,
            Some("invalidValue"),
        ),
        (
            "POST",
            "/scim/v2/Users".into(),
            Some(json!({"userName": "bad name!", "emails": [{"value": "bad@example.com"}]})),
            400,
            Some("invalidValue"),
        ),
    ] {
        let answer = scim.send(method, &path, body).await;
        assert_eq!(
            (answer.status, answer.body["scimType"].as_str()),
            (status, scim_type),
            "{method} {path}: {}",
            answer.body
        );
        assert_eq!(answer.body["status"], status.to_string());
    }
    assert!(
        world.moto.user_names().is_empty(),
        "bad input changes nothing"
    );
    let created = scim
        .send(
            "POST",
            "/scim/v2/Users",
            Some(okta_user("lee@example.com", "Lee", "Ray")),
        )
        .await;
    assert_eq!(created.status, 201);
    let password = world.moto.emails()[0].password();
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    for secret in [
        TOKEN,
        "rotated-token-0123456789",
        password.as_str(),
        "t1meMa$heen",
        "lee@example.com",
    ] {
        assert!(!logs.contains(secret), "the logs hold {secret:?}");
        assert!(!created.body.to_string().contains(&password));
    }
    assert!(
        logs.contains("SCIM request answered"),
        "the requests were logged"
    );
}

/// Found by breaking it (issue 23): SCIM never strands a leaver HR later offboards.
#[tokio::test]
async fn a_put_without_the_employee_number_keeps_the_hr_employee_id() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let hr = json!({"employee": {"email": "hr2@example.com", "username": "hr2@example.com",
        "employeeId": "E-9", "department": "Sales", "givenName": "Hana", "familyName": "Ro"}});
    let onboarded = invoke_as(&scim.app, hr, "hr-onboard").await.unwrap();
    assert_eq!(onboarded["results"][0]["status"], "created", "{onboarded}");
    let listed = scim
        .send(
            "GET",
            &format!(
                "/scim/v2/Users?filter={}",
                filter(r#"userName eq "hr2@example.com""#)
            ),
            None,
        )
        .await;
    let id = listed.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        listed.body["Resources"][0][ENTERPRISE]["employeeNumber"],
        "E-9"
    );
    // Okta's wizard apps PUT the profile without the enterprise block.
    let put = scim
        .send(
            "PUT",
            &format!("/scim/v2/Users/{id}"),
            Some(okta_user("hr2@example.com", "Hana", "Ro")),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(
        put.body[ENTERPRISE]["employeeNumber"], "E-9",
        "{}",
        put.body
    );
    let leaver = json!({"action": "offboard", "employee": {"email": "hr2@example.com",
        "username": "hr2@example.com", "employeeId": "E-9"}});
    let offboarded = invoke_as(&scim.app, leaver, "hr-offboard").await.unwrap();
    assert_eq!(
        offboarded["results"][0]["status"], "offboarded",
        "{offboarded}"
    );
}

#[tokio::test]
async fn an_address_iam_tags_cannot_hold_is_refused_and_such_a_user_still_deactivates() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let mut body = okta_user("obrien@example.com", "Pat", "O'Brien");
    body["emails"] = json!([{"value": "o'brien@example.com", "primary": true, "type": "work"}]);
    let refused = scim.send("POST", "/scim/v2/Users", Some(body)).await;
    assert_eq!(
        (refused.status, refused.body["scimType"].as_str()),
        (400, Some("invalidValue")),
        "{}",
        refused.body
    );
    assert!(
        refused.body["detail"]
            .as_str()
            .unwrap()
            .starts_with("emails.value")
    );
    assert!(world.moto.user_names().is_empty());
    // The same person onboarded by HR (the address is left out of ContactEmail, with a warning).
    let hr =
        json!({"employee": {"email": "o'brien@example.com", "username": "obrien@example.com"}});
    let onboarded = invoke_as(&scim.app, hr, "hr-onboard").await.unwrap();
    assert_eq!(onboarded["results"][0]["status"], "created", "{onboarded}");
    let listed = scim.send("GET", "/scim/v2/Users", None).await;
    let id = listed.body["Resources"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let deactivate =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let patched = scim
        .send("PATCH", &format!("/scim/v2/Users/{id}"), Some(deactivate))
        .await;
    assert_eq!(
        (patched.status, &patched.body["active"]),
        (200, &json!(false)),
        "{}",
        patched.body
    );
    assert!(access_ended(&world, "obrien@example.com").await);
}

#[tokio::test]
async fn a_put_without_active_never_rehires_and_names_are_checked_first() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let id = scim.create(okta_user("max@example.com", "Max", "Mo")).await;
    let deactivate =
        json!({"schemas": [PATCH], "Operations": [{"op": "replace", "value": {"active": false}}]});
    assert_eq!(
        scim.send("PATCH", &format!("/scim/v2/Users/{id}"), Some(deactivate))
            .await
            .status,
        200
    );
    let mut put = okta_user("max@example.com", "Maxine", "Mo");
    put.as_object_mut().unwrap().remove("active");
    let replaced = scim
        .send("PUT", &format!("/scim/v2/Users/{id}"), Some(put))
        .await;
    assert_eq!(
        (replaced.status, &replaced.body["active"]),
        (200, &json!(false)),
        "{}",
        replaced.body
    );
    assert_eq!(replaced.body["name"]["givenName"], "Maxine");
    assert!(
        attached(&world, "max@example.com")
            .await
            .contains(&DENY_ALL.to_string())
    );
    assert_eq!(world.moto.emails().len(), 1, "no new password");
    for name in ["nul\u{0}x", "bad name!", ""] {
        let answer = scim
            .send("POST", "/scim/v2/Users", Some(okta_user(name, "A", "B")))
            .await;
        assert_eq!(
            (answer.status, answer.body["scimType"].as_str()),
            (400, Some("invalidValue")),
            "{name:?}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn a_create_in_another_letter_case_rehires_the_deleted_user() {
    let world = World::new().await;
    let scim = Scim::new(&world).await;
    let id = scim.create(okta_user("rep@example.com", "Rae", "Po")).await;
    assert_eq!(
        scim.send("DELETE", &format!("/scim/v2/Users/{id}"), None)
            .await
            .status,
        204
    );
    let back = scim
        .send(
            "POST",
            "/scim/v2/Users",
            Some(okta_user("REP@example.com", "Rae", "Po")),
        )
        .await;
    assert_eq!(back.status, 201, "{}", back.body);
    assert_eq!(
        (back.body["id"].as_str(), back.body["userName"].as_str()),
        (Some(id.as_str()), Some("rep@example.com"))
    );
    assert_eq!(world.moto.user_names(), ["rep@example.com"]);
}

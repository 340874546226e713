//! `resend` against the emulator: a fresh one-time password replaces the old one
//! in the login profile, and the email carries the one that works.

use serde_json::json;

use crate::world::{World, invoke};
use test_support::tag;

#[tokio::test]
async fn resend_delivers_a_working_password_and_retires_the_old() {
    let world = World::new().await;
    let app = world.app(&[]);
    let jane =
        json!({"email": "jane.doe@example.com", "givenName": "Jane", "employeeId": "E-1042"});
    let onboarded = invoke(&app, json!({"employee": jane})).await.unwrap();
    assert_eq!(onboarded["results"][0]["status"], "created", "{onboarded}");

    let resent = invoke(&app, json!({"action": "resend", "employee": jane}))
        .await
        .unwrap();
    assert_eq!(resent["results"][0]["status"], "resent", "{resent}");

    let user = world.moto.user("jane.doe").unwrap();
    assert_eq!(tag(&user, "OnboardingStatus"), Some("complete"));
    let emails: Vec<_> = world
        .moto
        .emails()
        .into_iter()
        .filter(|e| e.to == ["jane.doe@example.com"])
        .collect();
    assert_eq!(emails.len(), 2, "the welcome email, then the resent one");
    let (old, new) = (emails[0].password(), emails[1].password());
    assert_ne!(old, new);
    assert_eq!(
        user["password"].as_str(),
        Some(new.as_str()),
        "the resent password is the one that works"
    );
    assert!(
        !resent.to_string().contains(&new),
        "the answer never holds it"
    );

    // Someone else's employee id: refused, nothing written.
    let other = json!({"action": "resend", "force": true,
                       "employee": {"email": "jane.doe@example.com", "employeeId": "E-9"}});
    let refused = invoke(&app, other).await.unwrap();
    assert_eq!(refused["results"][0]["status"], "conflict", "{refused}");
    assert_eq!(world.moto.emails().len(), 2);
    assert_eq!(
        world.moto.user("jane.doe").unwrap()["password"].as_str(),
        Some(new.as_str())
    );
}

//! Integration tests: the library against a real local AWS API emulator (moto),
//! one private server per test. `make test` installs moto into `.venv`.

mod ambiguous_input;
mod bulk;
mod deadline;
mod events;
mod hibob;
mod lease;
mod leavers;
mod logs;
mod onboarding;
mod pacing;
mod resend;
mod retries;
mod reveal;
mod reveal_browser;
mod scim;
mod scim_suites;
mod standard_webhooks;
mod sweep;
mod watch;
mod webhook;
mod world;

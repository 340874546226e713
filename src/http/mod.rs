//! HTTP: every HTTP-shaped event ([`HttpEvent`]) becomes an `http::Request`
//! served by one axum [`router`]; the signed HR webhook ([`webhook`]), the
//! HR-system connectors ([`connectors`]), the one-time reveal page ([`reveal`])
//! and the prefix reserved for SCIM ([`reserved`]).

mod body;
pub mod connectors;
mod event;
pub mod reserved;
pub mod reveal;
mod router;
pub mod webhook;

pub use body::{BodyError, MAX_BODY_BYTES, RawBody, decode_body};
pub use event::{HttpEvent, NotHttp};
pub use router::{HrSystems, router};

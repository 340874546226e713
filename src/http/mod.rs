//! HTTP: every HTTP-shaped event ([`HttpEvent`]) becomes an `http::Request`
//! served by one axum [`router`]; the signed HR webhook ([`webhook`]), the
//! HR-system connectors ([`connectors`]), the one-time reveal page ([`reveal`])
//! and the SCIM 2.0 API ([`scim`]).

mod body;
pub mod connectors;
mod event;
pub mod reveal;
mod router;
pub mod scim;
pub mod webhook;

pub use body::{BodyError, MAX_BODY_BYTES, RawBody, decode_body};
pub use event::{HttpEvent, NotHttp};
pub use router::{HrSystems, router};

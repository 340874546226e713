//! HTTP: every HTTP-shaped event ([`HttpEvent`]) becomes an `http::Request`
//! served by one axum [`router`]; the signed HR webhook ([`webhook`]) and the
//! prefixes reserved for the front doors that follow ([`reserved`]).

mod body;
pub mod connectors;
mod event;
pub mod reserved;
mod router;
pub mod webhook;

pub use body::{BodyError, MAX_BODY_BYTES, RawBody, decode_body};
pub use event::{HttpEvent, NotHttp};
pub use router::{HrSystems, router};

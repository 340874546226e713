//! The one-time reveal page and its API (`/reveal/`, issue 22).

mod route;

pub use route::{REVEAL_CSP, REVEAL_MAX_BODY_BYTES, id_of, routes};

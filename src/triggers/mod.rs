//! What invokes the function, one module each: direct invokes, EventBridge
//! events and signed HR webhooks, told apart by [`Trigger::from_event`]; and
//! the credential sweep's schedule and direct invoke ([`sweep`]).

mod direct;
mod event_request;
mod eventbridge;
mod shape;
pub mod strict_json;
pub mod sweep;
pub mod webhook;

pub use direct::handle_direct;
pub use eventbridge::{EMPLOYEE_HIRED, EMPLOYEE_TERMINATED, EMPLOYEE_UPDATED, handle_eventbridge};
pub use shape::{ShapeError, Trigger};
pub use strict_json::StrictJson;

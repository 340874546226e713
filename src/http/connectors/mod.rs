//! HR-system connectors (`/hr/<vendor>`): an HR system's own webhook, verified
//! with its own signature scheme, read into the direct contract's requests (with
//! a call-back to the vendor's API where the webhook carries ids only), and run
//! by the same workflows. A vendor is one module implementing [`Vendor`] and one
//! line in [`routes`].

mod bamboohr;
mod hibob;
mod outbound;
mod record;
mod route;

pub use bamboohr::BambooHr;
pub use hibob::{HiBob, read_intent as hibob_intent};
pub use outbound::{MAX_RESPONSE_BYTES, Outbound, OutboundError};
pub use record::{Intent, VendorRecord, field_value};
pub use route::{Connectors, Vendor, routes};

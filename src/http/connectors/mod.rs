//! HR-system connectors (`/hr/<vendor>`): an HR system's own webhook, verified
//! with its own signature scheme, read into the direct contract's requests, and
//! run by the same workflows. A vendor is one module implementing [`Vendor`] and
//! one line in [`routes`].

mod bamboohr;
mod record;
mod route;

pub use bamboohr::BambooHr;
pub use record::{Intent, VendorRecord, field_value};
pub use route::{ConnectorState, Vendor, routes};

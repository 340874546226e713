//! Leavers and movers: the `offboard` and `update` actions (and `resend`, see [`resend`]) on users this function
//! onboarded. Both find the person's user the same way ([`lookup`]): by name under
//! `USER_PATH`, with the marker, and with every identifier the request gives matching.

mod lookup;
mod offboard;
mod resend;
mod update;

pub use lookup::{Lookup, find_person};
pub use offboard::Offboarder;
pub use resend::Resender;
pub use update::Updater;

#[cfg(test)]
mod tests;

#[cfg(test)]
mod resend_tests;

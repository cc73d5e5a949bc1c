//! The pure domain of redegov: identifiers, money, Brazilian documents,
//! time and calendars, the network inventory, roles, incidents and
//! maintenance windows, the outage detector, the monthly measurement with its explanation, the
//! IMR rules, the billing report, and the demo network.
//!
//! This crate does no I/O and never reads the clock, the environment or a
//! random source: every "now" is a parameter. That is what makes a month's
//! closing reproducible to the centavo. It is deliberately not the JSON of
//! the API (DTOs live in `redegov-web`) and knows nothing of SQL.

pub mod adhesion;
pub mod alert;
pub mod billing;
pub mod calendar;
pub mod commitment;
pub mod demo;
pub mod document;
pub mod error;
pub mod explain;
pub mod ids;
pub mod imr;
pub mod incident;
pub mod inventory;
pub mod invoice;
pub mod ipam;
pub mod mail;
pub mod measure;
pub mod money;
pub mod monitor;
pub mod municipality;
pub mod order;
pub mod penalty;
pub mod role;
pub mod text;
pub mod time;

pub use error::{FieldError, Rule};
pub use ids::*;
pub use money::Money;

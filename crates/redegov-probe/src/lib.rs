//! The NOC's prober: ICMP echo and TCP connect probes against a set of
//! [`Target`]s, each probed once per its interval, the probes of targets that
//! share an interval spread evenly over it so that no second carries a burst.
//!
//! [`Prober`] owns the sockets and one scheduler; every finished probe becomes
//! an [`Outcome`] sent over a tokio channel. What an outcome *means* (an outage,
//! a credit) is decided elsewhere: this crate has no database, no HTTP and no
//! knowledge of contracts, and it depends on no other redegov crate.
//!
//! Scheduled ICMP probes go through `surge-ping` (one shared socket per
//! address family); [`Prober::sweep`] is a separate batch path with its own
//! sockets that pings a whole list of addresses as fast as the kernel allows,
//! for bulk reachability checks. TCP probes are plain connects.

mod error;
mod icmp;
mod phase;
mod prober;
mod schedule;
mod stats;
mod sweep;
mod target;
mod tcp;

pub use error::ProbeError;
pub use icmp::SocketKind;
pub use prober::{Prober, ProberConfig};
pub use stats::ProbeStats;
pub use target::{Method, Outcome, Target};

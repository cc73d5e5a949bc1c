//! What to probe ([`Target`], [`Method`]) and what came of one probe
//! ([`Outcome`]). Plain data: no sockets, no clock reads.

use std::net::IpAddr;
use std::time::{Duration, SystemTime};

/// How a target is probed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// One ICMP echo request; success is the matching echo reply.
    Icmp,
    /// A TCP connection attempt to `port`; success is an established
    /// connection (a refused connection is a failure).
    Tcp { port: u16 },
}

/// One thing to probe, identified by `key` (the caller's own id, e.g. a
/// circuit's). Keys are unique within the set given to the prober.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub key: u64,
    pub addr: IpAddr,
    pub method: Method,
    /// Time between the starts of two consecutive probes.
    pub interval: Duration,
    /// How long one attempt waits for its answer.
    pub timeout: Duration,
    /// Extra attempts, within the same probe, after an attempt fails.
    pub retries: u32,
}

/// The result of one probe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub key: u64,
    pub addr: IpAddr,
    /// When the probe was due by the schedule.
    pub scheduled: SystemTime,
    /// When the probe's first attempt was sent.
    pub at: SystemTime,
    /// Round-trip time of the attempt that succeeded; `None` when every
    /// attempt failed (the target is lost for this probe).
    pub rtt: Option<Duration>,
    /// Attempts made, 1 to `retries + 1`.
    pub attempts: u32,
}

impl Outcome {
    /// How late the probe went out relative to its schedule.
    pub fn lag(&self) -> Duration {
        self.at.duration_since(self.scheduled).unwrap_or_default()
    }

    pub fn is_lost(&self) -> bool {
        self.rtt.is_none()
    }
}

//! Counters of the scheduled probes, for metrics: plain atomics the prober
//! bumps and [`ProbeStats`], a snapshot of them. Exporting them is the
//! caller's business.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of the prober's counters. All but `targets` and `in_flight`
/// only grow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProbeStats {
    /// Targets in the current set.
    pub targets: u64,
    /// Probes started (one per target per interval, whatever the retries).
    pub probes: u64,
    /// Attempts sent, retries included.
    pub attempts: u64,
    /// Probes whose every attempt failed.
    pub lost: u64,
    /// Probes started and not yet finished.
    pub in_flight: u64,
    /// Due probes that were never started because the scheduler fell more
    /// than a whole interval behind (e.g. the machine was suspended); the
    /// target resumes at its next slot instead of sending a burst.
    pub skipped: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    probes: AtomicU64,
    attempts: AtomicU64,
    lost: AtomicU64,
    in_flight: AtomicU64,
    skipped: AtomicU64,
}

impl Counters {
    pub(crate) fn probe_started(&self) {
        self.probes.fetch_add(1, Ordering::Relaxed);
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn attempt_sent(&self) {
        self.attempts.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn probe_finished(&self, lost: bool) {
        if lost {
            self.lost.fetch_add(1, Ordering::Relaxed);
        }
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn skipped(&self, count: u64) {
        self.skipped.fetch_add(count, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ProbeStats {
        ProbeStats {
            targets: 0, // The prober knows; the counters do not.
            probes: self.probes.load(Ordering::Relaxed),
            attempts: self.attempts.load(Ordering::Relaxed),
            lost: self.lost.load(Ordering::Relaxed),
            in_flight: self.in_flight.load(Ordering::Relaxed),
            skipped: self.skipped.load(Ordering::Relaxed),
        }
    }
}

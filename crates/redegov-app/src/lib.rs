//! The use cases of redegov. Each public method of [`App`] is one use case:
//! it authorises the actor (role and scope), runs in exactly one database
//! transaction, writes the audit log in that same transaction, and returns a
//! domain value or an [`AppError`].
//!
//! This crate decides who may do what; it does not speak HTTP or SQL (those
//! are `redegov-web` and `redegov-store`), and it never reads the wall clock
//! directly: time comes from the [`Clock`] it was built with.

pub mod adhesions;
pub mod alerts;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod calendar;
pub mod closing;
pub mod commitments;
pub mod demo;
pub mod error;
pub mod import;
pub mod incidents;
pub mod inventory;
pub mod invoices;
pub mod ipam;
pub mod mail;
pub mod monitor;
pub mod noc;
pub mod orders;
pub mod penalties;
pub mod probing;
mod records;
pub mod responsibles;

use redegov_domain::time::Timestamp;
use redegov_store::Store;
use std::sync::Arc;

pub use error::AppError;
pub use redegov_domain::role::Actor;
pub use redegov_store::Page;
pub use redegov_store::audit::{AuditEntry, AuditFilter};
pub use redegov_store::closing::{Adjustment, ClosingBreach, ClosingLine, ClosingRecord, LineFilter};
pub use redegov_store::incidents::{IncidentFilter, IncidentRow, RulesRecord, WindowFilter};
pub use redegov_store::inventory::{AccessRow, AccessSummaryRow, InventoryFilter, Listed};
pub use redegov_store::orders::{OrderFilter, OrderRow};

/// Where "now" comes from. Production uses [`SystemClock`]; tests use a fake.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;

    /// "Now" to the millisecond, where sub-second time matters (the probe
    /// workers' leases, a fraction of an interval); by default [`Clock::now`].
    fn now_precise(&self) -> Timestamp {
        self.now()
    }
}

/// The wall clock, truncated to whole seconds (the store keeps seconds).
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let now = chrono::Utc::now();
        redegov_domain::time::from_epoch(now.timestamp())
    }

    fn now_precise(&self) -> Timestamp {
        chrono::Utc::now()
    }
}

/// The application: the store and the clock. Cheap to clone.
#[derive(Clone)]
pub struct App {
    store: Store,
    clock: Arc<dyn Clock>,
    /// The portal's address as users reach it, for links in e-mails.
    public_url: Arc<str>,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> App {
        App { store, clock, public_url: Arc::from("http://localhost:8080") }
    }

    /// Sets the portal's public address (`https://redegov.example.gov.br`),
    /// used in the links e-mails carry.
    pub fn with_public_url(mut self, url: &str) -> App {
        self.public_url = Arc::from(url.trim_end_matches('/'));
        self
    }

    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// [`Clock::now_precise`]: to the millisecond.
    pub fn now_precise(&self) -> Timestamp {
        self.clock.now_precise()
    }

    /// Refreshes the database's planner statistics (see
    /// `Store::refresh_statistics`); a maintenance job, no actor.
    pub async fn refresh_statistics(&self) -> AppResult<()> {
        Ok(self.store.refresh_statistics().await?)
    }

    /// A counter that moves with every committed change (see
    /// `Store::change_seq`); equal values mean equal data.
    pub async fn change_seq(&self) -> AppResult<i64> {
        Ok(self.store.change_seq().await?)
    }
}

/// Shorthand for a use case's result.
pub type AppResult<T> = Result<T, AppError>;

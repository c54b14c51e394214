//! Fleet reports: the usage of many Zoom accounts (every sub account of a master account, or a
//! given list) within the account's API rate limit.
//!
//! Zoom limits calls per second per account and rate label (`x-rate-limit` in the spec), and
//! every app on the account shares the budget. With N accounts and a HEAVY limit of R per
//! second, no client finishes faster than N / R seconds; the fleet run aims at that floor
//! without a single 429: a token bucket per rate label, shared by every call of the run, sets
//! the pace, a bounded number of calls are in flight, and a 429 that still arrives pauses the
//! bucket for the vendor's `Retry-After` and slows it down (the pacers: `pacer.rs`; the run
//! itself: `zoom/fleet_run.rs`). This module has the run's options, outcomes and totals.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Error;
use crate::model::UsageReport;
pub use crate::pacer::{RateLimits, RateTier};
/// Progress of a fleet run, for a progress bar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FleetProgress {
    /// Accounts finished (successfully or not).
    pub done: usize,
    /// Accounts in the run.
    pub total: usize,
    /// Accounts that failed so far.
    pub failed: usize,
    /// Time since the run started.
    pub elapsed: Duration,
}

/// A callback told after every account.
pub type ProgressFn = Arc<dyn Fn(FleetProgress) + Send + Sync>;

/// How a fleet run behaves.
#[derive(Clone)]
pub struct FleetOptions {
    /// The client-side rate limits (default: Zoom Pro's published limits).
    pub limits: RateLimits,
    /// Calls in flight at most (default 16).
    pub concurrency: usize,
    /// Told after every account.
    pub progress: Option<ProgressFn>,
    /// Accounts not to ask (answered by an earlier run being resumed); they are counted in
    /// [`FleetStats::skipped`] and never handed over.
    pub skip: Arc<HashSet<String>>,
    /// Once set, no account is started any more; the calls in flight finish and the run
    /// returns what it has (default: never set).
    pub stop: Arc<AtomicBool>,
}

impl Default for FleetOptions {
    fn default() -> Self {
        FleetOptions {
            limits: RateLimits::default(),
            concurrency: 16,
            progress: None,
            skip: Arc::default(),
            stop: Arc::default(),
        }
    }
}

impl std::fmt::Debug for FleetOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FleetOptions")
            .field("limits", &self.limits)
            .field("concurrency", &self.concurrency)
            .field("progress", &self.progress.is_some())
            .field("skip", &self.skip.len())
            .field("stop", &self.stop.load(Ordering::Relaxed))
            .finish()
    }
}

/// Which accounts a fleet run covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetAccounts {
    /// Every sub account of the master account (listed first, page by page).
    AllSubAccounts,
    /// These account ids.
    Listed(Vec<String>),
}

/// The outcome for one account of a fleet run.
#[derive(Debug)]
pub struct AccountOutcome {
    /// The account id.
    pub account_id: String,
    /// Its name, when the sub-account list gave one.
    pub account_name: Option<String>,
    /// Its report, or why there is none (a failing account never stops the run).
    pub result: Result<UsageReport, Error>,
}

/// Seats of one product added up over the accounts that reported it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProductTotal {
    /// The product key (as in [`Seats::product`](crate::Seats::product)).
    pub product: String,
    /// The product's kind (as in [`Seats::kind`](crate::Seats::kind)).
    pub kind: crate::ProductKind,
    /// Licences bought, over the accounts that reported a figure.
    pub purchased: u64,
    /// Licences in use.
    pub used: u64,
    /// Licences pending.
    pub pending: u64,
    /// Accounts that hold the product.
    pub accounts: usize,
    /// Accounts where it is over-allocated.
    pub over_allocated_accounts: usize,
}

/// The result of a fleet run.
#[derive(Debug)]
pub struct FleetReport {
    /// One outcome per account, in the order the accounts were listed or given.
    pub accounts: Vec<AccountOutcome>,
    /// Seat totals per product, sorted by product.
    pub totals: Vec<ProductTotal>,
    /// Totals per product kind over the accounts that answered ([`crate::summarize`]).
    pub by_kind: Vec<crate::KindTotal>,
    /// How long the run took.
    pub elapsed: Duration,
    /// 429 answers received during the run (the limiter's aim is zero).
    pub rate_limited: u64,
}

impl FleetReport {
    /// The accounts whose report has at least one over-allocated product.
    pub fn over_allocated(&self) -> impl Iterator<Item = &UsageReport> {
        self.accounts
            .iter()
            .filter_map(|a| a.result.as_ref().ok())
            .filter(|r| r.over_allocated().next().is_some())
    }

    /// The accounts that failed.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &Error)> {
        self.accounts
            .iter()
            .filter_map(|a| a.result.as_ref().err().map(|e| (a.account_id.as_str(), e)))
    }
}

/// How a fleet run went, as a whole ([`ZoomAccount::fleet_each`](crate::ZoomAccount::fleet_each)).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FleetStats {
    /// Accounts in the run (each handed over once).
    pub accounts: usize,
    /// Accounts skipped because [`FleetOptions::skip`] names them.
    pub skipped: usize,
    /// Accounts that failed.
    pub failed: usize,
    /// How long the run took (listing the sub accounts excluded).
    pub elapsed: Duration,
    /// 429 answers received during the run (the limiter's aim is zero).
    pub rate_limited: u64,
}

/// Seat totals per product, added up one report at a time (what [`FleetReport::totals`]
/// holds), so that a streaming run keeps a few numbers per product, not the reports.
///
/// ```
/// use meeting_usage::{FleetTotals, Seats, UsageReport, Vendor};
/// let mut totals = FleetTotals::default();
/// for (account, used) in [("a", 12), ("b", 3)] {
///     let mut report = UsageReport::new(Vendor::Zoom, account, "2026-05-04T09:30:00Z");
///     report.seats = vec![Seats::new("plan_base", None, Some(10), Some(used), None)];
///     report.classify();
///     totals.add(&report);
/// }
/// let base = &totals.into_totals()[0];
/// assert_eq!((base.purchased, base.used, base.accounts, base.over_allocated_accounts), (20, 15, 2, 1));
/// ```
#[derive(Clone, Debug, Default)]
pub struct FleetTotals {
    by_product: BTreeMap<String, ProductTotal>,
}

impl FleetTotals {
    /// Adds one account's seats (a product the account lists twice counts it once among the
    /// accounts holding it and among the over-allocated ones).
    pub fn add(&mut self, report: &UsageReport) {
        let mut seen: BTreeMap<&str, bool> = BTreeMap::new();
        for seats in &report.seats {
            let total = self
                .by_product
                .entry(seats.product().to_owned())
                .or_insert_with(|| ProductTotal {
                    product: seats.product().to_owned(),
                    kind: seats.kind(),
                    ..ProductTotal::default()
                });
            total.purchased = total
                .purchased
                .saturating_add(seats.purchased().unwrap_or(0));
            total.used = total.used.saturating_add(seats.used().unwrap_or(0));
            total.pending = total.pending.saturating_add(seats.pending().unwrap_or(0));
            let over = seen.entry(seats.product()).or_insert(false);
            if !*over && seats.over_allocated() {
                total.over_allocated_accounts += 1;
                *over = true;
            }
        }
        for product in seen.keys() {
            if let Some(total) = self.by_product.get_mut(*product) {
                total.accounts += 1;
            }
        }
    }

    /// The totals, sorted by product.
    pub fn into_totals(self) -> Vec<ProductTotal> {
        self.by_product.into_values().collect()
    }
}

/// Shared bookkeeping of a run's workers.
pub(crate) struct Progress {
    started: Instant,
    /// Accounts in the run, as far as known (a list read page by page grows it).
    total: AtomicUsize,
    done: AtomicUsize,
    failed: AtomicUsize,
    callback: Option<ProgressFn>,
}

impl Progress {
    pub(crate) fn new(total: usize, callback: Option<ProgressFn>) -> Progress {
        Progress {
            started: Instant::now(),
            total: AtomicUsize::new(total),
            done: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
            callback,
        }
    }

    pub(crate) fn finished(&self, ok: bool) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        let failed = if ok {
            self.failed.load(Ordering::Relaxed)
        } else {
            self.failed.fetch_add(1, Ordering::Relaxed) + 1
        };
        if let Some(callback) = &self.callback {
            callback(FleetProgress {
                done,
                total: self.total.load(Ordering::Relaxed).max(done),
                failed,
                elapsed: self.started.elapsed(),
            });
        }
    }

    pub(crate) fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The run has at least `total` accounts (the sub-account list said so).
    pub(crate) fn at_least(&self, total: usize) {
        self.total.fetch_max(total, Ordering::Relaxed);
    }

    /// Accounts that failed so far.
    pub(crate) fn failed(&self) -> usize {
        self.failed.load(Ordering::Relaxed)
    }
}

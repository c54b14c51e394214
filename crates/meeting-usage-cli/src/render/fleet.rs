//! A fleet run's output (`report --all-sub-accounts`, `--accounts-file`), one pure function
//! per format from [`FleetRun`].
//!
//! - table: the totals per product (label or raw key, and kind), the totals per kind, the
//!   over-allocated accounts, the failures, and a one-line summary; no per-account section (a
//!   fleet can have thousands: use json or csv for those).
//! - json: `{"accounts": [...], "totals": [...], "by_kind": [...], "summary": {...}}` (the
//!   crate README's contract).
//! - csv: the columns of a single report, one row per seat entry of every account.
//! - prometheus: the single report's gauges for every account (`account` label, `up` 0 for a
//!   failed one; `serve` without `--per-account-metrics` keeps only `up`), then the totals as `meeting_usage_fleet_*` gauges without an `account`
//!   label (with the product's `kind`), so that `sum(meeting_usage_seats_used)` never counts
//!   an account twice.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use meeting_usage::{KindTotal, ProductTotal, UsageReport, Vendor};
use serde::Serialize;

use super::prometheus::Family;
use super::table::{BOLD, DIM, MAX_WIDTH, RED, Style, figure, fit, kind_lines, left};
use super::{Failure, percent};

/// A fleet run, ready to print.
#[derive(Debug, Serialize)]
pub struct FleetRun {
    /// One entry per account, in the order they were listed or given.
    pub accounts: Vec<AccountEntry>,
    /// Seats per product added up over the accounts that answered, sorted by product.
    pub totals: Vec<ProductTotal>,
    /// Seats and storage per product kind added up over the accounts that answered.
    pub by_kind: Vec<KindTotal>,
    /// Counts, timing and pacing of the run.
    pub summary: Summary,
    /// The label of each product key (from the first row of it that any account had), for
    /// a run that keeps only some of its accounts.
    #[serde(skip)]
    pub labels: BTreeMap<String, String>,
}

/// One account of the run: its report or its error (exactly one is not `null`).
#[derive(Debug, Serialize)]
pub struct AccountEntry {
    /// The account id.
    pub account_id: String,
    /// Its name, when the sub-account list gave one.
    pub account_name: Option<String>,
    /// Its usage report, as a single report prints it.
    pub report: Option<UsageReport>,
    /// Why there is no report.
    pub error: Option<Failure>,
}

/// The run as a whole.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Accounts in the run.
    pub accounts: usize,
    /// Accounts that answered.
    pub succeeded: usize,
    /// Accounts that failed.
    pub failed: usize,
    /// Accounts with at least one over-allocated product.
    pub over_allocated_accounts: usize,
    /// Wall time of the run, in seconds (listing the sub accounts excluded).
    pub elapsed_seconds: f64,
    /// HTTP 429 answers received (the client's pacing aims at zero).
    pub rate_limited: u64,
    /// `--rate-tier` the calls were paced at (`null` with `--max-rps`).
    pub tier: Option<&'static str>,
    /// `--max-rps` the calls were paced at (`null` with a tier).
    pub max_rps: Option<f64>,
    /// `--concurrency`.
    pub concurrency: usize,
}

impl FleetRun {
    /// The reports that arrived.
    pub fn reports(&self) -> impl Iterator<Item = &UsageReport> {
        self.accounts.iter().filter_map(|a| a.report.as_ref())
    }

    /// The accounts that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.accounts.iter().filter_map(|a| a.error.as_ref())
    }

    /// The label of a product key: that of the first seat row of the key in any report (the
    /// key itself when none has one).
    pub fn label_of<'a>(&'a self, product: &'a str) -> &'a str {
        if let Some(label) = self.labels.get(product) {
            return label;
        }
        self.reports()
            .flat_map(|r| r.seats_of(product))
            .map(meeting_usage::Seats::label)
            .next()
            .unwrap_or(product)
    }
}

/// A duration as seconds with one decimal: `4.1 s`.
pub fn seconds(elapsed: Duration) -> String {
    format!("{:.1} s", elapsed.as_secs_f64())
}

/// `n thing` or `n things`.
fn count(n: usize, thing: &str) -> String {
    format!("{n} {thing}{}", if n == 1 { "" } else { "s" })
}

/// The one-line summary: accounts, failures, wall time and 429s.
pub fn summary_line(summary: &Summary) -> String {
    let pace = match (summary.tier, summary.max_rps) {
        (_, Some(rps)) => format!("at most {rps}/s"),
        (Some(tier), None) => format!("at {tier} limits"),
        (None, None) => "unpaced".to_owned(),
    };
    format!(
        "{}, {} failed, {} over-allocated; {} {pace}; {} HTTP 429",
        count(summary.accounts, "account"),
        summary.failed,
        summary.over_allocated_accounts,
        seconds(Duration::try_from_secs_f64(summary.elapsed_seconds).unwrap_or_default()),
        summary.rate_limited,
    )
}

/// `--format table`.
pub fn table(run: &FleetRun, heading: &str, style: Style) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        style.paint(BOLD, &fit(&format!("zoom fleet  {heading}"), MAX_WIDTH))
    );

    // Totals per product.
    out.push('\n');
    if run.totals.is_empty() {
        let _ = writeln!(out, "  TOTALS: no account reported any seats");
    } else {
        let _ = writeln!(
            out,
            "  {}  {}  {:>9}  {:>9}  {:>7}  {:>5}  {:>8}  {:>4}",
            left("TOTALS", 28),
            left("KIND", 14),
            "PURCHASED",
            "USED",
            "PENDING",
            "UTIL",
            "ACCOUNTS",
            "OVER"
        );
        for total in &run.totals {
            let utilization = if total.purchased > 0 {
                // Integer to float: only a whole percentage is shown.
                percent(total.used as f64 / total.purchased as f64)
            } else {
                "-".to_owned()
            };
            let over = fit(&total.over_allocated_accounts.to_string(), 4);
            let over = if total.over_allocated_accounts > 0 {
                format!("{}{}", " ".repeat(4 - over.len()), style.paint(RED, &over))
            } else {
                format!("{over:>4}")
            };
            let name = style.product_name(&total.product, run.label_of(&total.product));
            let _ = writeln!(
                out,
                "  {}  {}  {:>9}  {:>9}  {:>7}  {:>5}  {:>8}  {over}",
                left(name, 28),
                left(total.kind.as_str(), 14),
                fit(&total.purchased.to_string(), 9),
                fit(&total.used.to_string(), 9),
                fit(&total.pending.to_string(), 7),
                fit(&utilization, 5),
                fit(&total.accounts.to_string(), 8),
            );
        }
    }

    // Totals per kind.
    if !run.by_kind.is_empty() {
        out.push('\n');
        kind_lines(&mut out, "ALL ACCOUNTS BY KIND", &run.by_kind, style);
    }

    // Over-allocated accounts, one line per over-allocated seat row.
    out.push('\n');
    let over: Vec<(&AccountEntry, &UsageReport)> = run
        .accounts
        .iter()
        .filter_map(|a| a.report.as_ref().map(|r| (a, r)))
        .filter(|(_, r)| r.over_allocated().next().is_some())
        .collect();
    if over.is_empty() {
        let _ = writeln!(out, "  OVER-ALLOCATED: none");
    } else {
        let _ = writeln!(
            out,
            "  {}",
            style.paint(
                RED,
                &format!("OVER-ALLOCATED ({})", count(over.len(), "account"))
            )
        );
        let _ = writeln!(
            out,
            "  {}  {}  {}  {:>13}",
            left("ACCOUNT", 22),
            left("NAME", 22),
            left("PRODUCT", 28),
            "USED / BOUGHT"
        );
        for (entry, report) in over {
            for seats in report.over_allocated() {
                let figures = format!("{} / {}", figure(seats.used()), figure(seats.purchased()));
                let line = format!(
                    "  {}  {}  {}  {:>13}",
                    left(&entry.account_id, 22),
                    left(entry.account_name.as_deref().unwrap_or("-"), 22),
                    left(style.product_name(seats.product(), seats.label()), 28),
                    fit(&figures, 13),
                );
                let _ = writeln!(out, "{}", line.trim_end());
            }
        }
    }

    // Failures, one line each.
    let failures: Vec<&Failure> = run.failures().collect();
    if !failures.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "  {}",
            style.paint(
                RED,
                &format!("FAILED ({})", count(failures.len(), "account"))
            )
        );
        let _ = writeln!(
            out,
            "  {}  {:>4}  {}  REQUEST ID",
            left("ACCOUNT", 22),
            "HTTP",
            left("CODE", 10),
        );
        for failure in failures {
            let line = format!(
                "  {}  {:>4}  {}  {}",
                left(&failure.account, 22),
                failure
                    .status
                    .map_or_else(|| "-".to_owned(), |s| s.to_string()),
                left(failure.code.as_deref().unwrap_or("-"), 10),
                fit(failure.request_id.as_deref().unwrap_or("-"), 54),
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    out.push('\n');
    let _ = writeln!(
        out,
        "{}",
        style.paint(DIM, &fit(&summary_line(&run.summary), MAX_WIDTH))
    );
    out
}

/// The fleet's `meeting_usage_fleet_*` gauges: the totals per product (with the product's
/// kind) and the run's counts, labelled `vendor` only.
pub fn prometheus_totals(out: &mut String, totals: &[ProductTotal], summary: &Summary) {
    let vendor = || ("vendor", Vendor::Zoom.to_string());
    let mut purchased = Family::new(
        "fleet_seats_purchased",
        "Licences bought, added up over the fleet's accounts that answered.",
    );
    let mut used = Family::new(
        "fleet_seats_used",
        "Licences in use, added up over the fleet's accounts that answered.",
    );
    let mut pending = Family::new(
        "fleet_seats_pending",
        "Licences pending, added up over the fleet's accounts that answered.",
    );
    let mut holders = Family::new(
        "fleet_product_accounts",
        "Accounts of the fleet that hold the product.",
    );
    let mut over = Family::new(
        "fleet_product_over_allocated_accounts",
        "Accounts of the fleet where the product is over-allocated.",
    );
    for total in totals {
        let labels = vec![
            vendor(),
            ("product", total.product.clone()),
            ("kind", total.kind.to_string()),
        ];
        purchased.push(labels.clone(), total.purchased);
        used.push(labels.clone(), total.used);
        pending.push(labels.clone(), total.pending);
        holders.push(labels.clone(), total.accounts);
        over.push(labels, total.over_allocated_accounts);
    }
    let mut accounts = Family::new("fleet_accounts", "Accounts in the fleet run.");
    accounts.push(vec![vendor()], summary.accounts);
    let mut failed = Family::new("fleet_accounts_failed", "Accounts of the run that failed.");
    failed.push(vec![vendor()], summary.failed);
    let mut over_accounts = Family::new(
        "fleet_over_allocated_accounts",
        "Accounts with at least one over-allocated product.",
    );
    over_accounts.push(vec![vendor()], summary.over_allocated_accounts);
    let mut duration = Family::new(
        "fleet_duration_seconds",
        "Wall time of the fleet run, in seconds.",
    );
    duration.push(vec![vendor()], summary.elapsed_seconds);
    let mut throttled = Family::new(
        "fleet_rate_limited_responses",
        "HTTP 429 answers received during the run.",
    );
    throttled.push(vec![vendor()], summary.rate_limited);
    for family in [
        &purchased,
        &used,
        &pending,
        &holders,
        &over,
        &accounts,
        &failed,
        &over_accounts,
        &duration,
        &throttled,
    ] {
        family.write(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meeting_usage::Seats;

    fn sample() -> FleetRun {
        let mut one = UsageReport::new(Vendor::Zoom, "acct-one", "2026-05-04T09:30:00Z");
        one.seats = vec![
            Seats::new("plan_base", Some("yearly".into()), Some(10), Some(12), None),
            Seats::new("plan_webinar", Some("w".into()), Some(5), Some(1), Some(1)),
        ];
        let mut two = UsageReport::new(Vendor::Zoom, "acct-two", "2026-05-04T09:30:00Z");
        two.seats = vec![Seats::new(
            "plan_base",
            Some("yearly".into()),
            Some(20),
            Some(3),
            None,
        )];
        one.classify();
        two.classify();
        let totals = meeting_usage_totals(&[&one, &two]);
        let by_kind = meeting_usage::summarize([&one, &two]);
        FleetRun {
            accounts: vec![
                AccountEntry {
                    account_id: "acct-one".into(),
                    account_name: Some("One \"quoted\"".into()),
                    report: Some(one),
                    error: None,
                },
                AccountEntry {
                    account_id: "acct-two".into(),
                    account_name: None,
                    report: Some(two),
                    error: None,
                },
                AccountEntry {
                    account_id: "acct-gone".into(),
                    account_name: None,
                    report: None,
                    error: Some(Failure {
                        vendor: Vendor::Zoom,
                        account: "acct-gone".into(),
                        operation: Some("GetPlanUsage".into()),
                        status: Some(404),
                        code: Some("2001".into()),
                        request_id: Some("req-9".into()),
                        message: "zoom GetPlanUsage: HTTP 404".into(),
                    }),
                },
            ],
            totals,
            by_kind,
            summary: Summary {
                accounts: 3,
                succeeded: 2,
                failed: 1,
                over_allocated_accounts: 1,
                elapsed_seconds: 0.25,
                rate_limited: 0,
                tier: Some("pro"),
                max_rps: None,
                concurrency: 16,
            },
            labels: BTreeMap::new(),
        }
    }

    /// The facade's totals are not public to build by hand; add up the same way.
    fn meeting_usage_totals(reports: &[&UsageReport]) -> Vec<ProductTotal> {
        let mut totals: Vec<ProductTotal> = Vec::new();
        for report in reports {
            for seats in &report.seats {
                let index = match totals.iter().position(|t| t.product == seats.product()) {
                    Some(index) => index,
                    None => {
                        totals.push(ProductTotal {
                            product: seats.product().to_owned(),
                            kind: seats.kind(),
                            ..ProductTotal::default()
                        });
                        totals.len() - 1
                    }
                };
                let total = &mut totals[index];
                total.purchased += seats.purchased().unwrap_or(0);
                total.used += seats.used().unwrap_or(0);
                total.pending += seats.pending().unwrap_or(0);
                total.accounts += 1;
                total.over_allocated_accounts += usize::from(seats.over_allocated());
            }
        }
        totals
    }

    #[test]
    fn the_table_has_totals_over_allocated_failures_and_a_summary() {
        let text = table(&sample(), "master m", Style::default());
        for line in text.lines() {
            assert!(line.chars().count() <= MAX_WIDTH, "too wide: {line}");
        }
        let totals = text.find("TOTALS").unwrap_or(usize::MAX);
        let over = text
            .find("OVER-ALLOCATED (1 account)")
            .unwrap_or(usize::MAX);
        let failed = text.find("FAILED (1 account)").unwrap_or(usize::MAX);
        assert!(
            totals < over && over < failed && failed < text.len(),
            "{text}"
        );
        let base = text
            .lines()
            .find(|l| l.starts_with("  Meetings "))
            .unwrap_or_default();
        assert!(base.contains(" meetings "), "{text}");
        assert!(base.ends_with("30         15        0    50%         2     1"));
        let by_kind = text.find("ALL ACCOUNTS BY KIND").unwrap_or(usize::MAX);
        assert!(totals < by_kind && by_kind < over, "{text}");
        let meetings = text
            .lines()
            .find(|l| l.starts_with("  meetings "))
            .unwrap_or_default();
        let figures: Vec<&str> = meetings.split_whitespace().collect();
        assert_eq!(
            figures,
            ["meetings", "30", "15", "-", "15", "50%", "2", "1", "OVER"]
        );
        let raw = table(
            &sample(),
            "master m",
            Style {
                raw_keys: true,
                ..Style::default()
            },
        );
        assert!(raw.lines().any(|l| l.starts_with("  plan_base ")), "{raw}");
        assert!(!raw.contains("Meetings"), "{raw}");
        assert!(text.contains("acct-one"));
        assert!(text.contains("12 / 10"));
        let failure = text
            .lines()
            .find(|l| l.contains("acct-gone"))
            .unwrap_or_default();
        assert!(failure.contains("404") && failure.contains("2001") && failure.contains("req-9"));
        assert_eq!(
            text.lines().last(),
            Some("3 accounts, 1 failed, 1 over-allocated; 0.2 s at pro limits; 0 HTTP 429")
        );
        assert!(!text.contains('\x1b'));
    }
}

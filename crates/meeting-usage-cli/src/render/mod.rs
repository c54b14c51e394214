//! Turning collected reports into text: one module per output format, each a pure function
//! from [`Collected`] to a `String`, so the formats are tested without a process or a network.

pub mod csv;
pub mod fleet;
pub mod html;
pub mod json;
pub mod prometheus;
pub mod table;

use std::collections::{BTreeMap, BTreeSet};

use meeting_usage::{UsageReport, Vendor};
use serde::Serialize;

/// What a `report` run gathered: the reports that arrived and the vendors that failed.
pub struct Collected {
    /// One report per vendor that answered, in the order the vendors were queried.
    pub reports: Vec<UsageReport>,
    /// One entry per vendor that failed.
    pub failures: Vec<Failure>,
}

/// A failed vendor, as the JSON output's `errors` entries show it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Failure {
    /// The vendor that failed.
    pub vendor: Vendor,
    /// The account that was queried.
    pub account: String,
    /// The spec's `operationId` of the call that failed, when a call failed.
    pub operation: Option<String>,
    /// The HTTP status, when an answer arrived.
    pub status: Option<u16>,
    /// The vendor's error code, when its error body had one.
    pub code: Option<String>,
    /// The vendor's request id, when the answer carried one.
    pub request_id: Option<String>,
    /// The whole error, on one line.
    pub message: String,
}

/// A byte count in decimal units (1 GB = 10^9 bytes, as the usage model counts), with one
/// decimal above 1 kB: `512 B`, `3.0 GB`, `39.6 GB`.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["kB", "MB", "GB", "TB", "PB", "EB"];
    if bytes < 1000 {
        return format!("{bytes} B");
    }
    // Integer to float: only one decimal is shown.
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Vendor text made safe for a terminal and for one line: control characters (escape,
/// carriage return, line feed, tab, C1 codes) and the bidirectional overrides and isolates
/// (which reorder what a terminal shows) become spaces. Every vendor string that reaches
/// table or text output, or a message on stderr, passes through here (JSON escapes by itself;
/// CSV and Prometheus keep the values verbatim within their formats' quoting and escaping).
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi { ' ' } else { c }
        })
        .collect()
}

/// The one stderr line naming, per vendor, the product keys of `reports` that the facade's
/// catalogue does not know (each key once, however many accounts have it), or `None` when it
/// knows them all. Such rows are counted as kind `other`.
pub fn uncatalogued_note<'a>(reports: impl IntoIterator<Item = &'a UsageReport>) -> Option<String> {
    let mut unknown = Uncatalogued::default();
    for report in reports {
        unknown.add(report);
    }
    unknown.note()
}

/// The product keys the catalogue does not know, per vendor, gathered report by report.
#[derive(Debug, Default)]
pub struct Uncatalogued(BTreeMap<Vendor, BTreeSet<String>>);

impl Uncatalogued {
    /// Adds the unknown keys of one report.
    pub fn add(&mut self, report: &UsageReport) {
        let keys = report.uncatalogued();
        if !keys.is_empty() {
            let known = self.0.entry(report.vendor).or_default();
            known.extend(keys.into_iter().map(str::to_owned));
        }
    }

    /// The one stderr line naming them, or `None` when there are none.
    pub fn note(&self) -> Option<String> {
        let count: usize = self.0.values().map(BTreeSet::len).sum();
        if count == 0 {
            return None;
        }
        let vendors: Vec<String> = self
            .0
            .iter()
            .map(|(vendor, keys)| {
                let keys: Vec<String> = keys.iter().map(|key| one_line(key)).collect();
                format!("{vendor} {}", keys.join(", "))
            })
            .collect();
        Some(format!(
            "note: the product catalogue does not know {}; {} counted as kind \"other\"",
            vendors.join("; "),
            if count == 1 { "it is" } else { "they are" }
        ))
    }
}

/// A ratio as a whole percentage: `0.72` → `72%`.
pub fn percent(ratio: f64) -> String {
    format!("{:.0}%", ratio * 100.0)
}

/// Huawei's activity figures with their names for people, in the order tables show them.
pub fn activity_figures(activity: &meeting_usage::Activity) -> [(&'static str, Option<u64>); 6] {
    [
        (
            "participants in meetings now",
            activity.concurrent_participants,
        ),
        ("live streams now", activity.live_streams),
        ("meetings today", activity.meetings_today),
        ("meeting minutes today", activity.meeting_minutes_today),
        ("active users today", activity.active_users_today),
        ("participants today", activity.participants_today),
    ]
}

/// Whether a utilisation ratio reaches a threshold given in percent.
pub fn at_or_above(ratio: f64, threshold_percent: f64) -> bool {
    // Compared in percent, rounded to 1e-9, so that 0.9 (stored as 0.9000000000000000222)
    // meets `--warn-at 90` exactly and 0.89999 does not.
    let percent = (ratio * 100.0 * 1e9).round() / 1e9;
    percent >= threshold_percent
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_in_decimal_units() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(1000), "1.0 kB");
        assert_eq!(human_bytes(3_000_000_000), "3.0 GB");
        assert_eq!(human_bytes(39_590_000_000), "39.6 GB");
        assert_eq!(human_bytes(999_960_000), "1.0 GB");
        assert_eq!(human_bytes(u64::MAX), "18.4 EB");
    }

    #[test]
    fn control_characters_become_spaces() {
        assert_eq!(one_line("\x1b[31mred\r\n"), " [31mred  ");
        assert_eq!(one_line("a\tb\u{9b}c\u{202e}d"), "a b c d");
        assert_eq!(one_line("plan_base … ü"), "plan_base … ü");
    }

    #[test]
    fn uncatalogued_keys_are_named_once_per_vendor() {
        use meeting_usage::Seats;
        let report = |vendor, account: &str, products: &[&str]| {
            let mut report = UsageReport::new(vendor, account, "2026-05-04T09:30:00Z");
            report.seats = products
                .iter()
                .map(|p| Seats::new(*p, None, Some(1), Some(1), None))
                .collect();
            report.classify();
            report
        };
        let known = report(Vendor::Zoom, "a", &["plan_base"]);
        assert_eq!(uncatalogued_note([&known]), None);
        let reports = [
            report(Vendor::Zoom, "a", &["plan_y", "plan_base", "plan_x"]),
            report(Vendor::Zoom, "b", &["plan_x"]),
            report(Vendor::Huawei, "c", &["SOFT", "NEW\x1b[31m"]),
        ];
        assert_eq!(
            uncatalogued_note(&reports).as_deref(),
            Some(
                "note: the product catalogue does not know zoom plan_x, plan_y; huawei NEW [31m; \
                 they are counted as kind \"other\""
            )
        );
        let one = report(Vendor::Zoom, "a", &["plan_x"]);
        assert!(
            uncatalogued_note([&one])
                .is_some_and(|n| n.ends_with("; it is counted as kind \"other\""))
        );
    }

    #[test]
    fn thresholds() {
        assert!(at_or_above(0.9, 90.0));
        assert!(at_or_above(18.0 / 20.0, 90.0));
        assert!(!at_or_above(0.899_99, 90.0));
        assert!(at_or_above(28.0 / 18.0, 100.0));
        assert_eq!(percent(28.0 / 18.0), "156%");
    }
}

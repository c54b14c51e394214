//! `--format prometheus`: the Prometheus text exposition format (version 0.0.4), for
//! node_exporter's textfile collector or a Pushgateway.
//!
//! Every metric is a gauge with `# HELP` and `# TYPE` lines. Seat and storage gauges are
//! labelled `vendor`, `account`, `product`, `kind` (the product's kind, `other` when the
//! catalogue does not know it) and `plan` (empty when the vendor names no plan); rows that
//! share vendor, account, product and plan are added together (the kind follows from the
//! product), so no series appears twice. A figure
//! the vendor did not report has no sample (Prometheus has no null). Label values are escaped
//! as the format requires (`\\`, `\"`, `\n`).

use std::fmt::Write as _;

use meeting_usage::{Seats, UsageReport};

use super::{Collected, Failure};

/// Reads one figure of a report's activity.
type ActivityFigure = fn(&meeting_usage::Activity) -> Option<u64>;

/// Prefix of every metric name.
const PREFIX: &str = "meeting_usage";

/// One metric family being built.
pub(crate) struct Family {
    name: &'static str,
    help: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, String)>,
}

impl Family {
    pub(crate) fn new(name: &'static str, help: &'static str) -> Self {
        Family {
            name,
            help,
            samples: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, labels: Vec<(&'static str, String)>, value: impl ToString) {
        self.samples.push((labels, value.to_string()));
    }

    pub(crate) fn write(&self, out: &mut String) {
        if self.samples.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "# HELP {PREFIX}_{} {}",
            self.name,
            escape_help(self.help)
        );
        let _ = writeln!(out, "# TYPE {PREFIX}_{} gauge", self.name);
        for (labels, value) in &self.samples {
            let _ = write!(out, "{PREFIX}_{}", self.name);
            if !labels.is_empty() {
                out.push('{');
                for (index, (name, value)) in labels.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    let _ = write!(out, "{name}=\"{}\"", escape_label(value));
                }
                out.push('}');
            }
            let _ = writeln!(out, " {value}");
        }
    }
}

/// A label value escaped for the text format: backslash, double quote and line feed.
pub fn escape_label(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// A `# HELP` text escaped for the text format: backslash and line feed.
fn escape_help(text: &str) -> String {
    text.replace('\\', "\\\\").replace('\n', "\\n")
}

/// The `vendor` and `account` labels of a report.
fn base_labels(report: &UsageReport) -> Vec<(&'static str, String)> {
    vec![
        ("vendor", report.vendor.to_string()),
        ("account", report.account.clone()),
    ]
}

/// Seat rows with equal product and plan added together (figures unknown in any of them stay
/// unknown; kind and label are the first row's), in the order each pair first appears.
fn merged_seats(report: &UsageReport) -> Vec<Seats> {
    let mut merged: Vec<Seats> = Vec::new();
    for seats in &report.seats {
        let same = merged
            .iter_mut()
            .find(|m| m.product() == seats.product() && m.plan() == seats.plan());
        match same {
            None => merged.push(seats.clone()),
            Some(existing) => {
                let add = |a: Option<u64>, b: Option<u64>| a?.checked_add(b?);
                *existing = Seats::new(
                    existing.product(),
                    existing.plan().map(str::to_owned),
                    add(existing.purchased(), seats.purchased()),
                    add(existing.used(), seats.used()),
                    add(existing.pending(), seats.pending()),
                )
                .with_kind(existing.kind(), Some(existing.label().to_owned()));
            }
        }
    }
    merged
}

/// `meeting_usage_up`, without samples yet.
pub(crate) fn up_family() -> Family {
    Family::new(
        "up",
        "Whether the vendor answered (1) or the collection failed (0).",
    )
}

/// `meeting_usage_up`: 1 per report, 0 per failure, labelled `vendor` and `account`.
fn up<'a>(
    reports: impl Iterator<Item = &'a UsageReport>,
    failures: impl Iterator<Item = &'a Failure>,
) -> Family {
    let mut up = up_family();
    for report in reports {
        up.push(base_labels(report), 1);
    }
    for failure in failures {
        up.push(
            vec![
                ("vendor", failure.vendor.to_string()),
                ("account", failure.account.clone()),
            ],
            0,
        );
    }
    up
}

/// The usage gauges of any number of reports, added one report at a time.
pub(crate) struct Gauges {
    purchased: Family,
    used: Family,
    pending: Family,
    utilization: Family,
    over: Family,
    storage_purchased: Family,
    storage_used: Family,
    over_quota: Family,
    activity: Vec<(Family, ActivityFigure)>,
    expiry: Family,
    unrecognized: Family,
}

impl Gauges {
    pub(crate) fn new() -> Gauges {
        Gauges {
            purchased: Family::new("seats_purchased", "Licences bought."),
            used: Family::new("seats_used", "Licences assigned or in use."),
            pending: Family::new("seats_pending", "Licences waiting to be assigned."),
            utilization: Family::new(
                "seats_utilization_ratio",
                "Licences used divided by licences bought (above 1 when over-allocated).",
            ),
            over: Family::new(
                "seats_over_allocated",
                "1 when more licences are used than were bought, else 0.",
            ),
            storage_purchased: Family::new(
                "storage_purchased_bytes",
                "Storage allowed (bought and free), in bytes.",
            ),
            storage_used: Family::new("storage_used_bytes", "Storage in use, in bytes."),
            over_quota: Family::new(
                "storage_over_quota",
                "1 when more storage is used than allowed, else 0.",
            ),
            activity: vec![
                (
                    Family::new(
                        "concurrent_participants",
                        "Participants in meetings right now.",
                    ),
                    |a| a.concurrent_participants,
                ),
                (
                    Family::new("live_streams", "Live streams running right now."),
                    |a| a.live_streams,
                ),
                (Family::new("meetings_today", "Meetings held today."), |a| {
                    a.meetings_today
                }),
                (
                    Family::new(
                        "meeting_duration_today_seconds",
                        "Total length of today's meetings, in seconds (the vendor reports minutes, by \
                         the facade's reading of an undocumented unit).",
                    ),
                    |a| a.meeting_minutes_today.and_then(|m| m.checked_mul(60)),
                ),
                (
                    Family::new("active_users_today", "Distinct users in meetings today."),
                    |a| a.active_users_today,
                ),
                (
                    Family::new(
                        "participants_today",
                        "Participants today, counted once per meeting joined.",
                    ),
                    |a| a.participants_today,
                ),
            ],
            expiry: Family::new(
                "resource_expiry_timestamp_seconds",
                "Expiry (Unix time) of purchased resources that expire within 30 days or expired \
                 recently.",
            ),
            unrecognized: Family::new(
                "unrecognized_values",
                "Vendor values the report could not interpret (see the JSON output).",
            ),
        }
    }

    /// Adds the gauges of one report.
    pub(crate) fn add(&mut self, report: &UsageReport) {
        let base = base_labels(report);
        for seats in merged_seats(report) {
            let mut labels = base.clone();
            labels.push(("product", seats.product().to_owned()));
            labels.push(("kind", seats.kind().to_string()));
            labels.push(("plan", seats.plan().unwrap_or_default().to_owned()));
            if let Some(n) = seats.purchased() {
                self.purchased.push(labels.clone(), n);
            }
            if let Some(n) = seats.used() {
                self.used.push(labels.clone(), n);
            }
            if let Some(n) = seats.pending() {
                self.pending.push(labels.clone(), n);
            }
            if let Some(ratio) = seats.utilization() {
                self.utilization.push(labels.clone(), ratio);
            }
            if seats.purchased().is_some() && seats.used().is_some() {
                self.over.push(labels, u8::from(seats.over_allocated()));
            }
        }
        let mut storage_seen: Vec<(&str, Option<&str>)> = Vec::new();
        for storage in &report.storage {
            // Storage rows are one per product in both vendors' mappings; a repeated pair is
            // left out rather than summed (its allowance may be the same one reported twice).
            let key = (storage.product(), storage.plan());
            if storage_seen.contains(&key) {
                continue;
            }
            storage_seen.push(key);
            let mut labels = base.clone();
            labels.push(("product", storage.product().to_owned()));
            labels.push(("kind", storage.kind().to_string()));
            labels.push(("plan", storage.plan().unwrap_or_default().to_owned()));
            if let Some(n) = storage.purchased_bytes() {
                self.storage_purchased.push(labels.clone(), n);
            }
            if let Some(n) = storage.used_bytes() {
                self.storage_used.push(labels.clone(), n);
            }
            self.over_quota.push(labels, u8::from(storage.over_quota()));
        }
        if let Some(figures) = &report.activity {
            for (family, figure) in &mut self.activity {
                if let Some(n) = figure(figures) {
                    family.push(base.clone(), n);
                }
            }
        }
        let mut expiry_seen: Vec<(String, String)> = Vec::new();
        for resource in report.expiring.iter().flatten() {
            let Some(ms) = resource.expire_date_ms else {
                continue;
            };
            let key = (
                resource.resource_type.clone().unwrap_or_default(),
                resource.id.clone().unwrap_or_default(),
            );
            if expiry_seen.contains(&key) {
                continue;
            }
            expiry_seen.push(key.clone());
            let mut labels = base.clone();
            labels.push(("resource_type", key.0));
            labels.push(("id", key.1));
            self.expiry.push(labels, seconds(ms));
        }
        self.unrecognized.push(base, report.unrecognized.len());
    }

    /// Writes every family with at least one sample.
    pub(crate) fn write(&self, out: &mut String) {
        for family in [
            &self.purchased,
            &self.used,
            &self.pending,
            &self.utilization,
            &self.over,
            &self.storage_purchased,
            &self.storage_used,
            &self.over_quota,
        ] {
            family.write(out);
        }
        for (family, _) in &self.activity {
            family.write(out);
        }
        self.expiry.write(out);
        self.unrecognized.write(out);
    }
}

/// The exposition text.
pub fn render(collected: &Collected) -> String {
    let mut gauges = Gauges::new();
    for report in &collected.reports {
        gauges.add(report);
    }
    let mut out = String::new();
    up(collected.reports.iter(), collected.failures.iter()).write(&mut out);
    gauges.write(&mut out);
    out
}

/// Milliseconds as seconds, without a float for whole seconds.
fn seconds(ms: i64) -> String {
    if ms % 1000 == 0 {
        (ms / 1000).to_string()
    } else {
        // Integer to float: a timestamp in seconds with millisecond decimals.
        (ms as f64 / 1000.0).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meeting_usage::Vendor;

    #[test]
    fn escapes() {
        assert_eq!(escape_label(r#"a\b"c"#), r#"a\\b\"c"#);
        assert_eq!(escape_label("two\nlines"), "two\\nlines");
        assert_eq!(escape_help("a\\b\nc"), "a\\\\b\\nc");
    }

    #[test]
    fn repeated_rows_are_added() {
        let mut report = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        report.seats = vec![
            Seats::new("plan_webinar", Some("w".into()), Some(10), Some(4), None),
            Seats::new("plan_webinar", Some("w".into()), Some(5), Some(6), None),
            Seats::new("plan_webinar", Some("x".into()), Some(1), Some(1), None),
        ];
        report.classify();
        let merged = merged_seats(&report);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].kind(), meeting_usage::ProductKind::Webinars);
        assert_eq!(merged[0].label(), "Webinars");
        assert_eq!(merged[0].purchased(), Some(15));
        assert_eq!(merged[0].used(), Some(10));
        assert_eq!(merged[0].pending(), None);
    }

    #[test]
    fn awkward_label_values_survive_a_real_parser() {
        let awkward = "we\"ird\\name\nwith, commas} and = signs";
        let mut report = UsageReport::new(Vendor::Huawei, "app \"x\"", "2026-05-04T09:30:00Z");
        report.seats = vec![Seats::new(
            awkward,
            Some(awkward.into()),
            Some(3),
            Some(4),
            None,
        )];
        let collected = Collected {
            reports: vec![report],
            failures: Vec::new(),
        };
        let text = render(&collected);
        // The parser is strict: the same label left unescaped is refused.
        let unescaped = "# TYPE m gauge\nm{product=\"we\"ird\"} 1\n";
        assert!(openmetrics_parser::prometheus::parse_prometheus(unescaped).is_err());
        let parsed = openmetrics_parser::prometheus::parse_prometheus(&text);
        let Ok(parsed) = parsed else {
            panic!("does not parse: {parsed:?}\n{text}");
        };
        let family = &parsed.families["meeting_usage_seats_used"];
        let sample = family.iter_samples().next();
        let labels = sample.and_then(|s| s.get_labelset().ok());
        let value = |name: &str| {
            labels
                .as_ref()
                .and_then(|l| l.get_label_value(name).map(str::to_owned))
        };
        assert_eq!(value("product").as_deref(), Some(awkward));
        assert_eq!(value("plan").as_deref(), Some(awkward));
        assert_eq!(value("account").as_deref(), Some("app \"x\""));
        assert_eq!(
            parsed.families["meeting_usage_seats_over_allocated"].family_type,
            openmetrics_parser::PrometheusType::Gauge
        );
    }

    #[test]
    fn seat_and_storage_series_carry_the_kind() {
        use meeting_usage::{Storage, StoragePart, StorageRole};
        let mut report = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        report.seats = vec![
            Seats::new("plan_zoom_rooms", None, Some(20), Some(12), None),
            Seats::new("plan_unheard_of", None, Some(1), Some(1), None),
        ];
        report.storage = vec![Storage::new(
            "plan_recording",
            None,
            vec![StoragePart {
                key: "plan_recording.free_storage".into(),
                role: StorageRole::Purchased,
                text: None,
                bytes: Some(3_000_000_000),
            }],
        )];
        report.classify();
        let text = render(&Collected {
            reports: vec![report],
            failures: Vec::new(),
        });
        let parsed = openmetrics_parser::prometheus::parse_prometheus(&text);
        let Ok(parsed) = parsed else {
            panic!("does not parse: {parsed:?}\n{text}");
        };
        let kinds = |family: &str| -> Vec<(String, String)> {
            parsed.families[family]
                .iter_samples()
                .filter_map(|s| {
                    let labels = s.get_labelset().ok()?;
                    Some((
                        labels.get_label_value("product")?.to_owned(),
                        labels.get_label_value("kind")?.to_owned(),
                    ))
                })
                .collect()
        };
        let seats = [
            ("plan_zoom_rooms".to_owned(), "rooms".to_owned()),
            ("plan_unheard_of".to_owned(), "other".to_owned()),
        ];
        for family in [
            "meeting_usage_seats_purchased",
            "meeting_usage_seats_used",
            "meeting_usage_seats_utilization_ratio",
            "meeting_usage_seats_over_allocated",
        ] {
            assert_eq!(kinds(family), seats, "{family}");
        }
        let storage = [("plan_recording".to_owned(), "recording_storage".to_owned())];
        for family in [
            "meeting_usage_storage_purchased_bytes",
            "meeting_usage_storage_over_quota",
        ] {
            assert_eq!(kinds(family), storage, "{family}");
        }
    }

    #[test]
    fn timestamps() {
        assert_eq!(seconds(1_765_756_800_000), "1765756800");
        assert_eq!(seconds(1_500), "1.5");
    }
}

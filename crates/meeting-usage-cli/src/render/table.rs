//! `--format table` (the default): a section per vendor, for people, at most 100 columns.
//!
//! A section has a heading line (vendor, account, collection time), then the seats (product
//! label, kind, plan, purchased, used, pending, utilisation; over-allocated rows marked
//! `OVER`, rows at or above `--warn-at` marked `WARN`), the storage in decimal units, Huawei's
//! activity figures, what expires within 30 days (or expired recently), and one line per
//! vendor value that was not understood. The first column shows the product's label for
//! people, or the vendor's raw product key with `--raw-keys`. After the vendor sections, one
//! line per product kind adds up every vendor's rows ([`meeting_usage::summarize`]).
//!
//! Cells too long for their column end in `…`. Colour (ANSI) only when asked for; the caller
//! decides (a terminal, and no `NO_COLOR`).

use std::fmt::Write as _;

use meeting_usage::{Activity, ExpiringResource, KindTotal, Unit, UsageReport, summarize};

use super::{Collected, at_or_above, human_bytes, one_line, percent};

/// The widest line this renderer writes.
pub const MAX_WIDTH: usize = 100;

/// How the table is decorated.
#[derive(Clone, Copy, Debug, Default)]
pub struct Style {
    /// Whether to use ANSI colour and bold.
    pub color: bool,
    /// `--warn-at`: mark rows whose utilisation reaches this percentage.
    pub warn_at: Option<f64>,
    /// `--raw-keys`: name products by the vendor's raw key instead of their label.
    pub raw_keys: bool,
}

/// ANSI codes, used only when [`Style::color`] is set.
pub(super) const BOLD: &str = "\x1b[1m";
pub(super) const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[33m";
pub(super) const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Style {
    pub(super) fn paint(&self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// What names a product in the first column: its label, or its raw key with
    /// `--raw-keys`.
    pub(super) fn product_name<'a>(&self, product: &'a str, label: &'a str) -> &'a str {
        if self.raw_keys { product } else { label }
    }
}

/// Column widths of the seat and storage rows: indent 2, name 26, gap 2, kind, gap 2, plan,
/// then the figures, right-aligned. Storage rows have fewer figures, so their kind and plan
/// columns are wider.
const NAME: usize = 26;
const KIND: usize = 14;
const PLAN: usize = 14;
const STORAGE_KIND: usize = 17;
const STORAGE_PLAN: usize = 17;

/// Width of the activity figures' labels.
const ACTIVITY: usize = 28;
/// Width of the expiring resources' type id (or description) column.
const TYPE_ID: usize = 20;

/// Width of the first column of the by-kind section.
pub(super) const KIND_NAME: usize = 24;

/// `text` on one line with its control characters replaced ([`one_line`]: vendor strings
/// never reach the terminal as sent), cut to `width` characters, the last one `…` when it was
/// cut.
pub(crate) fn fit(text: &str, width: usize) -> String {
    let text = one_line(text);
    if text.chars().count() <= width {
        text
    } else {
        let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
        cut.push('…');
        cut
    }
}

/// `text` cut to `width` and padded with spaces to it, on the left.
pub(super) fn left(text: &str, width: usize) -> String {
    let text = fit(text, width);
    let pad = width - text.chars().count();
    format!("{text}{}", " ".repeat(pad))
}

/// A figure or `-`.
pub(super) fn figure(value: Option<u64>) -> String {
    value.map_or_else(|| "-".to_owned(), |n| n.to_string())
}

/// The table for every report, sections separated by a blank line.
/// The table for every report, sections separated by a blank line, then the totals by kind.
pub fn render(collected: &Collected, style: Style) -> String {
    let mut out = String::new();
    for (index, report) in collected.reports.iter().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        section(&mut out, report, style);
    }
    let totals = summarize(&collected.reports);
    if !totals.is_empty() {
        out.push('\n');
        kind_lines(&mut out, "ALL VENDORS BY KIND", &totals, style);
    }
    out
}

/// A byte count that may be negative (storage over quota), in decimal units.
fn signed_bytes(value: i64) -> String {
    let text = human_bytes(value.unsigned_abs());
    if value < 0 { format!("-{text}") } else { text }
}

/// The section of totals by kind: a header line starting with `title`, then one line per
/// [`KindTotal`] (storage kinds in decimal byte units, absent figures `-`, kinds with rows
/// over their allowance marked `OVER`).
pub(super) fn kind_lines(out: &mut String, title: &str, totals: &[KindTotal], style: Style) {
    let _ = writeln!(
        out,
        "  {}  {:>9}  {:>9}  {:>7}  {:>9}  {:>5}  {:>8}  {:>4}",
        left(title, KIND_NAME),
        "PURCHASED",
        "USED",
        "PENDING",
        "AVAILABLE",
        "UTIL",
        "PRODUCTS",
        "OVER"
    );
    for total in totals {
        let amount = |n: Option<u64>| match total.unit {
            Unit::Bytes => n.map_or_else(|| "-".to_owned(), human_bytes),
            Unit::Seats => figure(n),
        };
        let available = total.available.map_or_else(
            || "-".to_owned(),
            |n| match total.unit {
                Unit::Bytes => signed_bytes(n),
                Unit::Seats => n.to_string(),
            },
        );
        let mark = if total.over_allocated > 0 {
            style.paint(RED, "OVER")
        } else {
            String::new()
        };
        let line = format!(
            "  {}  {:>9}  {:>9}  {:>7}  {:>9}  {:>5}  {:>8}  {:>4}  {mark}",
            left(total.kind.as_str(), KIND_NAME),
            fit(&amount(total.purchased), 9),
            fit(&amount(total.used), 9),
            fit(&amount(total.pending), 7),
            fit(&available, 9),
            total
                .utilization
                .map_or_else(|| "-".to_owned(), |r| fit(&percent(r), 5)),
            fit(&total.products.len().to_string(), 8),
            fit(&total.over_allocated.to_string(), 4),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// One vendor's section.
fn section(out: &mut String, report: &UsageReport, style: Style) {
    let heading = format!("{}  account {}", report.vendor, report.account);
    let _ = writeln!(
        out,
        "{}  {}",
        style.paint(BOLD, &fit(&heading, MAX_WIDTH - 33)),
        style.paint(DIM, &format!("collected {}", fit(&report.collected_at, 20)))
    );

    if !report.seats.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "  {}  {}  {} {:>9}  {:>6}  {:>7}  {:>5}",
            left("PRODUCT", NAME),
            left("KIND", KIND),
            left("PLAN", PLAN),
            "PURCHASED",
            "USED",
            "PENDING",
            "UTIL"
        );
        for seats in &report.seats {
            let utilization = seats.utilization();
            let mark = if seats.over_allocated() {
                style.paint(RED, "OVER")
            } else if let (Some(ratio), Some(threshold)) = (utilization, style.warn_at)
                && at_or_above(ratio, threshold)
            {
                style.paint(YELLOW, "WARN")
            } else {
                String::new()
            };
            let line = format!(
                "  {}  {}  {} {:>9}  {:>6}  {:>7}  {:>5}  {mark}",
                left(style.product_name(seats.product(), seats.label()), NAME),
                left(seats.kind().as_str(), KIND),
                left(seats.plan().unwrap_or("-"), PLAN),
                fit(&figure(seats.purchased()), 9),
                fit(&figure(seats.used()), 6),
                fit(&figure(seats.pending()), 7),
                utilization.map_or_else(|| "-".to_owned(), |r| fit(&percent(r), 5)),
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    if !report.storage.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "  {}  {}  {} {:>9}  {:>9}  {:>5}",
            left("STORAGE", NAME),
            left("KIND", STORAGE_KIND),
            left("PLAN", STORAGE_PLAN),
            "PURCHASED",
            "USED",
            "UTIL"
        );
        for storage in &report.storage {
            let bytes = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), human_bytes);
            let utilization = match (storage.used_bytes(), storage.purchased_bytes()) {
                // Integer to float: only a whole percentage is shown.
                (Some(used), Some(bought)) if bought > 0 => percent(used as f64 / bought as f64),
                _ => "-".to_owned(),
            };
            let mark = if storage.over_quota() {
                style.paint(RED, "OVER")
            } else {
                String::new()
            };
            let line = format!(
                "  {}  {}  {} {:>9}  {:>9}  {:>5}  {mark}",
                left(style.product_name(storage.product(), storage.label()), NAME),
                left(storage.kind().as_str(), STORAGE_KIND),
                left(storage.plan().unwrap_or("-"), STORAGE_PLAN),
                fit(&bytes(storage.purchased_bytes()), 9),
                fit(&bytes(storage.used_bytes()), 9),
                fit(&utilization, 5),
            );
            let _ = writeln!(out, "{}", line.trim_end());
        }
    }

    if let Some(activity) = &report.activity {
        out.push('\n');
        activity_lines(out, activity);
    }

    if let Some(expiring) = &report.expiring {
        out.push('\n');
        expiring_lines(out, expiring, style);
    }

    if !report.unrecognized.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "  NOT UNDERSTOOD ({} vendor value{}; see --format json)",
            report.unrecognized.len(),
            if report.unrecognized.len() == 1 {
                ""
            } else {
                "s"
            }
        );
        for entry in &report.unrecognized {
            let value = entry.value.to_string();
            let line = format!(
                "  {} {}: {} = {}",
                entry.operation, entry.path, entry.reason, value
            );
            let _ = writeln!(out, "{}", fit(&line, MAX_WIDTH));
        }
    }
}

/// The activity figures, one per line.
fn activity_lines(out: &mut String, activity: &Activity) {
    let _ = writeln!(out, "  ACTIVITY");
    for (label, value) in super::activity_figures(activity) {
        let _ = writeln!(out, "  {} {:>9}", left(label, ACTIVITY), figure(value));
    }
}

/// Resources close to their expiry.
fn expiring_lines(out: &mut String, expiring: &[ExpiringResource], style: Style) {
    if expiring.is_empty() {
        let _ = writeln!(out, "  EXPIRING: nothing expires within 30 days");
        return;
    }
    let _ = writeln!(
        out,
        "  {}  {} {:>9}  {:<10}  {:<8}  ORDER",
        left("EXPIRING (30 DAYS)", NAME),
        left("TYPE ID", TYPE_ID),
        "COUNT",
        "EXPIRES",
        "STATE"
    );
    for resource in expiring {
        let state = if resource.expired {
            style.paint(RED, "expired")
        } else {
            style.paint(YELLOW, "expiring")
        };
        let state_pad = " ".repeat(8 - if resource.expired { 7 } else { 8 });
        let date = resource
            .expires_at
            .as_deref()
            .map_or_else(|| "-".to_owned(), |t| fit(t.get(..10).unwrap_or(t), 10));
        let line = format!(
            "  {}  {} {:>9}  {:<10}  {state}{state_pad}  {}",
            left(resource.resource_type.as_deref().unwrap_or("-"), NAME),
            left(
                resource
                    .type_id
                    .as_deref()
                    .or(resource.description.as_deref())
                    .unwrap_or("-"),
                TYPE_ID
            ),
            fit(&figure(resource.count), 9),
            date,
            fit(resource.order_id.as_deref().unwrap_or("-"), 14),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meeting_usage::{Seats, Vendor};

    fn sample() -> Collected {
        let mut report = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        report.seats = vec![
            Seats::new(
                "plan_base",
                Some("yearly".into()),
                Some(75),
                Some(44),
                Some(3),
            ),
            Seats::new(
                "plan_zoom_iq",
                Some("ziq_sales_monthly".into()),
                Some(18),
                Some(28),
                Some(1),
            ),
            Seats::new(
                "plan_whiteboard",
                Some("zwb".into()),
                Some(18),
                Some(17),
                None,
            ),
            Seats::new(
                "a_product_key_far_longer_than_its_column",
                Some("a_plan_code_also_far_longer_than_its_column".into()),
                Some(u64::MAX),
                None,
                None,
            ),
        ];
        report.classify();
        Collected {
            reports: vec![report],
            failures: Vec::new(),
        }
    }

    #[test]
    fn marks_and_width() {
        let text = render(
            &sample(),
            Style {
                color: false,
                warn_at: Some(90.0),
                raw_keys: true,
            },
        );
        for line in text.lines() {
            assert!(line.chars().count() <= MAX_WIDTH, "too wide: {line}");
        }
        let line = |product: &str| {
            text.lines()
                .find(|l| l.contains(product))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(line("plan_zoom_iq").ends_with("156%  OVER"));
        assert!(line("plan_whiteboard").ends_with("94%  WARN"));
        assert!(line("plan_base").ends_with("59%"));
        assert!(line("a_product_key").contains('…'));
        assert!(!text.contains('\x1b'));
    }

    #[test]
    fn vendor_control_characters_never_reach_the_table() {
        let hostile = "\x1b[31mred\r\n";
        assert_eq!(fit(hostile, 20), " [31mred  ");
        assert_eq!(left(hostile, 12), " [31mred    ");
        assert_eq!(fit(hostile, 5), " [31…");
        let mut report = UsageReport::new(Vendor::Zoom, hostile, "2026-05-04T09:30:00Z");
        report.seats = vec![Seats::new(
            hostile,
            Some(hostile.into()),
            Some(1),
            None,
            None,
        )];
        let text = render(
            &Collected {
                reports: vec![report],
                failures: Vec::new(),
            },
            Style::default(),
        );
        assert!(!text.contains(['\x1b', '\r']), "{text:?}");
        // Heading, blank, header, row; blank, by-kind header, its row.
        assert_eq!(text.lines().count(), 7, "{text:?}");
    }

    #[test]
    fn colour_only_when_asked() {
        let text = render(
            &sample(),
            Style {
                color: true,
                ..Style::default()
            },
        );
        assert!(text.contains("\x1b[1;31mOVER\x1b[0m"));
    }

    #[test]
    fn labels_and_kinds_by_default() {
        let text = render(&sample(), Style::default());
        let line = |start: &str| {
            text.lines()
                .find(|l| l.starts_with(start))
                .unwrap_or_default()
                .to_owned()
        };
        assert!(!text.contains("plan_zoom_iq"), "{text}");
        let iq = line("  Zoom IQ ");
        assert!(iq.contains(" ai ") && iq.contains("ziq_sales_mon…"), "{iq}");
        assert!(line("  Meetings ").contains(" meetings "), "{text}");
        // The catalogue does not know this key: its label is the key, its kind `other`.
        assert!(line("  a_product_key").contains(" other "), "{text}");
    }

    #[test]
    fn the_table_ends_with_totals_by_kind() {
        use meeting_usage::{Storage, StoragePart, StorageRole};
        let mut zoom = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        zoom.seats = vec![
            Seats::new("plan_base", None, Some(75), Some(44), Some(3)),
            Seats::new("plan_zoom_iq", None, Some(18), Some(28), None),
            Seats::new("plan_zoom_rooms", None, Some(20), None, None),
        ];
        let part = |role, bytes| StoragePart {
            key: "k".into(),
            role,
            text: None,
            bytes: Some(bytes),
        };
        zoom.storage = vec![Storage::new(
            "plan_recording",
            None,
            vec![
                part(StorageRole::Purchased, 3_000_000_000),
                part(StorageRole::Used, 4_500_000_000),
            ],
        )];
        zoom.classify();
        let mut huawei = UsageReport::new(Vendor::Huawei, "corp", "2026-05-04T09:30:00Z");
        huawei.seats = vec![Seats::new("SOFT", None, Some(200), Some(158), None)];
        huawei.classify();
        let collected = Collected {
            reports: vec![zoom, huawei],
            failures: Vec::new(),
        };
        let text = render(&collected, Style::default());
        for line in text.lines() {
            assert!(line.chars().count() <= MAX_WIDTH, "too wide: {line}");
        }
        let lines: Vec<&str> = text.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.starts_with("  ALL VENDORS BY KIND"))
            .unwrap_or_else(|| panic!("no by-kind section: {text}"));
        assert!(
            lines[at].ends_with("PURCHASED       USED  PENDING  AVAILABLE   UTIL  PRODUCTS  OVER")
        );
        let rows: Vec<Vec<&str>> = lines[at + 1..]
            .iter()
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(
            rows,
            [
                vec!["meetings", "275", "202", "3", "73", "73%", "2", "0"],
                vec!["rooms", "20", "-", "-", "-", "-", "1", "0"],
                vec!["ai", "18", "28", "-", "-10", "156%", "1", "1", "OVER"],
                vec![
                    "recording_storage",
                    "3.0",
                    "GB",
                    "4.5",
                    "GB",
                    "-",
                    "-1.5",
                    "GB",
                    "150%",
                    "1",
                    "1",
                    "OVER"
                ],
            ]
        );
        let coloured = render(
            &collected,
            Style {
                color: true,
                ..Style::default()
            },
        );
        let ai = coloured
            .lines()
            .find(|l| l.starts_with("  ai "))
            .unwrap_or_default();
        assert!(ai.ends_with("\x1b[1;31mOVER\x1b[0m"), "{ai:?}");
    }
}

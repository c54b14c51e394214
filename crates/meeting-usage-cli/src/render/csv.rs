//! `--format csv`: one row per seat entry of every report, after a header row (RFC 4180:
//! comma-separated, CRLF-free `\n` line ends, fields quoted when they hold a comma, a quote
//! or a line break). An absent figure is an empty field; `utilization` is a ratio (1.0 =
//! fully used), as in the JSON output. `kind` and `label` follow the raw `product` key, as
//! the JSON output's seat rows have them.

use super::Collected;

/// The header row's columns, in order.
pub const COLUMNS: [&str; 17] = [
    "vendor",
    "account",
    "collected_at",
    "product",
    "kind",
    "label",
    "plan",
    "name",
    "purchased",
    "used",
    "pending",
    "available",
    "utilization",
    "over_allocated",
    "trial",
    "expired",
    "expiring_within_30_days",
];

/// The CSV text: the header row and one row per seat entry.
pub fn render(collected: &Collected) -> String {
    let mut out = header();
    for report in &collected.reports {
        out.push_str(&rows(report));
    }
    out
}

/// The header row.
pub fn header() -> String {
    let mut out = String::new();
    push_row(&mut out, COLUMNS.iter().map(|c| c.to_string()));
    out
}

/// The rows of one report, one per seat entry.
pub fn rows(report: &meeting_usage::UsageReport) -> String {
    let mut out = String::new();
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    for seats in &report.seats {
        push_row(
            &mut out,
            [
                report.vendor.to_string(),
                report.account.clone(),
                report.collected_at.clone(),
                seats.product().to_owned(),
                seats.kind().to_string(),
                seats.label().to_owned(),
                seats.plan().unwrap_or_default().to_owned(),
                seats.name().unwrap_or_default().to_owned(),
                number(seats.purchased()),
                number(seats.used()),
                number(seats.pending()),
                seats.available().map(|n| n.to_string()).unwrap_or_default(),
                seats
                    .utilization()
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                seats.over_allocated().to_string(),
                number(seats.trial()),
                number(seats.expired()),
                number(seats.expiring_within_30_days()),
            ]
            .into_iter(),
        );
    }
    out
}

/// Appends one row.
fn push_row(out: &mut String, fields: impl Iterator<Item = String>) {
    for (index, field) in fields.enumerate() {
        if index > 0 {
            out.push(',');
        }
        push_field(out, &field);
    }
    out.push('\n');
}

/// Appends one field, quoted when it must be.
fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&field.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(field);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use meeting_usage::{Seats, UsageReport, Vendor};

    #[test]
    fn kind_and_label_follow_the_product() {
        let mut report = UsageReport::new(Vendor::Huawei, "corp", "2026-05-04T09:30:00Z");
        report.seats = vec![
            Seats::new("CONF_CALL", None, Some(100), Some(1), None),
            Seats::new("NEW_TYPE", None, Some(1), None, None),
        ];
        report.classify();
        let text = render(&Collected {
            reports: vec![report],
            failures: Vec::new(),
        });
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("vendor,account,collected_at,product,kind,label,plan,"));
        assert_eq!(lines[0].split(',').count(), COLUMNS.len());
        assert!(
            lines[1].starts_with(
                "huawei,corp,2026-05-04T09:30:00Z,CONF_CALL,concurrent_participants,\
                 Concurrent participants,,"
            ),
            "{text}"
        );
        assert!(lines[2].starts_with("huawei,corp,2026-05-04T09:30:00Z,NEW_TYPE,other,NEW_TYPE,,"));
        assert!(lines.iter().all(|l| l.split(',').count() == COLUMNS.len()));
    }

    #[test]
    fn quoting() {
        let mut out = String::new();
        push_row(
            &mut out,
            ["plain", "a,b", "say \"hi\"", "two\nlines", ""]
                .iter()
                .map(|s| s.to_string()),
        );
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\n");
    }
}

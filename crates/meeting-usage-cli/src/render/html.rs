//! `--format html`: one self-contained page for people, of a report or a fleet run.
//!
//! Everything is inline: CSS in a `<style>` element, bars as inline SVG, no script, no font,
//! no image from anywhere (a `Content-Security-Policy` meta element forbids every other
//! source). Every figure is in a real table with header cells, so a screen reader reads it as
//! a table; each bar repeats its figures in its `aria-label`; over-allocation and storage over
//! quota are written out (`OVER`, `OVER QUOTA`) besides being red. Print styles fit A4.
//!
//! A single report: per vendor and account the seats (a bar each: used, pending and available
//! against bought), storage, activity and what expires, then the totals by kind. A fleet: the
//! run's summary, the totals by kind and per product, then the accounts sorted by their worst
//! utilisation (the first [`FLEET_ACCOUNTS`], and how many more there are), and the failures.

use std::fmt::Write as _;

use meeting_usage::{KindTotal, Seats, Unit, UsageReport};

use super::fleet::FleetRun;
use super::{Collected, Failure, human_bytes, percent};

/// Accounts a fleet page lists (the worst first); the rest are counted.
pub const FLEET_ACCOUNTS: usize = 100;

/// Bar width in SVG user units.
const BAR_WIDTH: u64 = 200;

const STYLE: &str = "\
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#1b1b1b}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%;font-size:.92em}
caption{text-align:left;font-weight:600;padding:.3em 0}
th,td{padding:.25em .45em;border-bottom:1px solid #e2e2e2;text-align:left;vertical-align:middle;overflow-wrap:break-word}
th[scope=col],.n,.over{white-space:nowrap}
th{background:#f3f3f3}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.over{color:#b00020;font-weight:700}.ok{color:#1b5e20}.muted{color:#666}
svg.bar{display:block;min-width:5em}td.bar{width:18%}.used{fill:#3a6ea5}.pending{fill:#f2a541}.free{fill:#dfe7ef}.overflow{fill:#b00020}
.legend span{display:inline-block;margin-right:1.2em}.legend i{display:inline-block;width:.9em;height:.9em;margin-right:.3em;vertical-align:-.1em}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;font-size:9.5pt}h2{break-after:avoid}tr{break-inside:avoid}thead{display:table-header-group}}
";

/// Text for HTML element content and attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n{body}</body>\n</html>\n",
        title = escape(title)
    )
}

/// A figure, or a dash when the vendor sent none.
fn cell<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(
        || "<span class=\"muted\">–</span>".to_owned(),
        |v| v.to_string(),
    )
}

const LEGEND: &str = "<p class=\"legend\"><span><i style=\"background:#3a6ea5\"></i>used</span>\
<span><i style=\"background:#f2a541\"></i>pending</span><span><i style=\"background:#dfe7ef\"></i>available</span>\
<span><i style=\"background:#b00020\"></i>used beyond what was bought</span></p>\n";

/// A bar of one row: used, then pending, then what is left of `purchased` (or, past it, the
/// excess in red), scaled to the larger of bought and used plus pending.
fn bar(purchased: Option<u64>, used: Option<u64>, pending: Option<u64>) -> String {
    let (Some(purchased), Some(used)) = (purchased, used) else {
        return "<span class=\"muted\">–</span>".to_owned();
    };
    let pending = pending.unwrap_or(0);
    let scale = purchased.max(used.saturating_add(pending)).max(1);
    let width = |n: u64| (u128::from(n) * u128::from(BAR_WIDTH) / u128::from(scale)) as u64;
    let within = used.min(purchased);
    let mut svg = format!(
        "<svg class=\"bar\" width=\"100%\" height=\"14\" viewBox=\"0 0 {BAR_WIDTH} 14\" \
         preserveAspectRatio=\"none\" role=\"img\" \
         aria-label=\"{used} used, {pending} pending, of {purchased} bought\">"
    );
    let _ = write!(
        svg,
        "<rect class=\"free\" x=\"0\" y=\"0\" width=\"{}\" height=\"14\"/>",
        width(purchased)
    );
    let _ = write!(
        svg,
        "<rect class=\"used\" x=\"0\" y=\"0\" width=\"{}\" height=\"14\"/>",
        width(within)
    );
    let mut x = width(within);
    if used > purchased {
        let excess = width(used) - width(purchased);
        let _ = write!(
            svg,
            "<rect class=\"overflow\" x=\"{x}\" y=\"0\" width=\"{excess}\" height=\"14\"/>"
        );
        x += excess;
    }
    if pending > 0 {
        let _ = write!(
            svg,
            "<rect class=\"pending\" x=\"{x}\" y=\"0\" width=\"{}\" height=\"14\"/>",
            width(used.saturating_add(pending)).saturating_sub(x)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn seats_table(out: &mut String, seats: &[Seats]) {
    out.push_str(
        "<table>\n<caption>Licences</caption>\n<thead><tr><th scope=\"col\">Product</th>\
         <th scope=\"col\">Kind</th><th scope=\"col\">Plan</th><th scope=\"col\" class=\"n\">Bought</th>\
         <th scope=\"col\" class=\"n\">Used</th><th scope=\"col\" class=\"n\">Pending</th>\
         <th scope=\"col\" class=\"n\">Available</th><th scope=\"col\" class=\"n\">Use</th>\
         <th scope=\"col\">Status</th><th scope=\"col\">Bar</th></tr></thead>\n<tbody>\n",
    );
    for row in seats {
        let mut product = escape(row.label());
        if let Some(site) = row.site() {
            let _ = write!(product, " <span class=\"muted\">({})</span>", escape(site));
        }
        let status = if row.over_allocated() {
            "<span class=\"over\">OVER</span>"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{product}</th><td>{}</td><td>{}</td><td class=\"n\">{}</td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td>{status}</td><td class=\"bar\">{}</td></tr>",
            row.kind(),
            escape(row.plan().unwrap_or("")),
            cell(row.purchased()),
            cell(row.used()),
            cell(row.pending()),
            cell(row.available()),
            cell(row.utilization().map(percent)),
            bar(row.purchased(), row.used(), row.pending()),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn report_section(out: &mut String, report: &UsageReport) {
    let _ = writeln!(
        out,
        "<h2>{} — account {}</h2>\n<p class=\"muted\">collected {}</p>",
        report.vendor,
        escape(&report.account),
        escape(&report.collected_at)
    );
    if !report.seats.is_empty() {
        seats_table(out, &report.seats);
    }
    if !report.storage.is_empty() {
        out.push_str(
            "<table>\n<caption>Storage</caption>\n<thead><tr><th scope=\"col\">Product</th>\
             <th scope=\"col\">Kind</th><th scope=\"col\" class=\"n\">Allowed</th>\
             <th scope=\"col\" class=\"n\">Used</th><th scope=\"col\">Status</th><th scope=\"col\">Bar</th></tr></thead>\n<tbody>\n",
        );
        for storage in &report.storage {
            let status = if storage.over_quota() {
                "<span class=\"over\">OVER QUOTA</span>"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{status}</td><td class=\"bar\">{}</td></tr>",
                escape(storage.label()),
                storage.kind(),
                cell(storage.purchased_bytes().map(human_bytes)),
                cell(storage.used_bytes().map(human_bytes)),
                bar(storage.purchased_bytes(), storage.used_bytes(), None),
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if let Some(activity) = &report.activity {
        out.push_str("<table>\n<caption>Activity</caption>\n<thead><tr><th scope=\"col\">Figure</th><th scope=\"col\" class=\"n\">Value</th></tr></thead>\n<tbody>\n");
        for (name, value) in super::activity_figures(activity) {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{name}</th><td class=\"n\">{}</td></tr>",
                cell(value)
            );
        }
        out.push_str("</tbody>\n</table>\n");
    }
    if let Some(expiring) = &report.expiring {
        if expiring.is_empty() {
            out.push_str("<p>Nothing expires within 30 days.</p>\n");
        } else {
            out.push_str("<table>\n<caption>Expiring within 30 days</caption>\n<thead><tr><th scope=\"col\">Resource</th><th scope=\"col\">Id</th><th scope=\"col\" class=\"n\">Count</th><th scope=\"col\">Expires</th><th scope=\"col\" class=\"n\">Days left</th></tr></thead>\n<tbody>\n");
            for resource in expiring {
                let _ = writeln!(
                    out,
                    "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                    escape(resource.resource_type.as_deref().unwrap_or("")),
                    escape(resource.id.as_deref().unwrap_or("")),
                    cell(resource.count),
                    escape(resource.expires_at.as_deref().unwrap_or("")),
                    if resource.expired {
                        "<span class=\"over\">EXPIRED</span>".to_owned()
                    } else {
                        cell(resource.days_until_expiry)
                    },
                );
            }
            out.push_str("</tbody>\n</table>\n");
        }
    }
}

fn kinds_table(out: &mut String, heading: &str, totals: &[KindTotal]) {
    let _ = writeln!(out, "<h2>{heading}</h2>");
    out.push_str("<table>\n<caption>Totals by product kind</caption>\n<thead><tr><th scope=\"col\">Kind</th><th scope=\"col\" class=\"n\">Bought</th><th scope=\"col\" class=\"n\">Used</th><th scope=\"col\" class=\"n\">Pending</th><th scope=\"col\" class=\"n\">Available</th><th scope=\"col\" class=\"n\">Use</th><th scope=\"col\" class=\"n\">Products</th><th scope=\"col\">Status</th><th scope=\"col\">Bar</th></tr></thead>\n<tbody>\n");
    for total in totals {
        let bytes = total.unit == Unit::Bytes;
        let figure = |n: Option<u64>| {
            if bytes {
                cell(n.map(human_bytes))
            } else {
                cell(n)
            }
        };
        let status = if total.over_allocated > 0 {
            format!(
                "<span class=\"over\">OVER ({})</span>",
                total.over_allocated
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{status}</td><td class=\"bar\">{}</td></tr>",
            total.kind,
            figure(total.purchased),
            figure(total.used),
            figure(total.pending),
            if bytes {
                cell(
                    total
                        .available
                        .and_then(|a| u64::try_from(a).ok())
                        .map(human_bytes),
                )
            } else {
                cell(total.available)
            },
            cell(total.utilization.map(percent)),
            total.products.len(),
            bar(total.purchased, total.used, total.pending),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

fn failures_section(out: &mut String, failures: &[&Failure]) {
    if failures.is_empty() {
        return;
    }
    out.push_str("<h2>Failures</h2>\n<table>\n<caption>Vendors or accounts that did not answer</caption>\n<thead><tr><th scope=\"col\">Vendor</th><th scope=\"col\">Account</th><th scope=\"col\" class=\"n\">Status</th><th scope=\"col\">Request id</th><th scope=\"col\">Error</th></tr></thead>\n<tbody>\n");
    for failure in failures {
        let _ = writeln!(
            out,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td>{}</td><td>{}</td></tr>",
            failure.vendor,
            escape(&failure.account),
            cell(failure.status),
            escape(failure.request_id.as_deref().unwrap_or("")),
            escape(&failure.message),
        );
    }
    out.push_str("</tbody>\n</table>\n");
}

/// One collection target on the status page of `serve`: a vendor's account, or a fleet.
#[derive(Clone, Debug)]
pub struct StatusRow {
    /// The vendor.
    pub vendor: String,
    /// The account (a fleet: the master account).
    pub account: String,
    /// Whether the last collection answered.
    pub up: bool,
    /// What it gave, on one line: figures counted, or why it failed.
    pub detail: String,
    /// When it last answered (UTC), if ever.
    pub last_success: Option<String>,
    /// How long the last collection took.
    pub seconds: f64,
}

/// The status page of `serve` (its `/`): links to the endpoints and one row per target.
pub fn status_page(rows: &[StatusRow], interval_seconds: u64, finished: Option<&str>) -> String {
    let mut body = String::from(
        "<p>A Prometheus exporter of licence and storage use: scrape <a href=\"metrics\">/metrics</a>; \
         <a href=\"healthz\">/healthz</a> answers while it serves. A scrape never calls a vendor: \
         it reads the last collection.</p>\n",
    );
    let _ = writeln!(
        body,
        "<p>Collections start every {interval_seconds} s; the last one finished {}.</p>",
        finished.map_or_else(|| "not yet (the first is running)".to_owned(), escape)
    );
    body.push_str("<table>\n<caption>Last collection</caption>\n<thead><tr><th scope=\"col\">Vendor</th><th scope=\"col\">Account</th><th scope=\"col\">State</th><th scope=\"col\">Detail</th><th scope=\"col\">Last success (UTC)</th><th scope=\"col\" class=\"n\">Seconds</th></tr></thead>\n<tbody>\n");
    for row in rows {
        let _ = writeln!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{:.2}</td></tr>",
            escape(&row.vendor),
            escape(&row.account),
            if row.up {
                "<span class=\"ok\">up</span>"
            } else {
                "<span class=\"over\">DOWN</span>"
            },
            escape(&row.detail),
            cell(row.last_success.as_deref().map(escape)),
            row.seconds
        );
    }
    body.push_str("</tbody>\n</table>\n");
    document("meeting-usage exporter", &body)
}

/// The page of a single `report` run.
pub fn render(collected: &Collected) -> String {
    let mut body = String::from(LEGEND);
    for report in &collected.reports {
        report_section(&mut body, report);
    }
    kinds_table(
        &mut body,
        "All vendors by kind",
        &meeting_usage::summarize(&collected.reports),
    );
    failures_section(&mut body, &collected.failures.iter().collect::<Vec<_>>());
    document("Licence and storage use", &body)
}

/// The page of a fleet run.
pub fn fleet(run: &FleetRun) -> String {
    let summary = &run.summary;
    let mut body = format!(
        "<p>{} accounts: {} answered, {} failed, {} with a product over its licences; {:.1} s, {} rate-limited answers.</p>\n{LEGEND}",
        summary.accounts,
        summary.succeeded,
        summary.failed,
        summary.over_allocated_accounts,
        summary.elapsed_seconds,
        summary.rate_limited
    );
    kinds_table(&mut body, "All accounts by kind", &run.by_kind);
    body.push_str("<h2>Totals per product</h2>\n<table>\n<caption>Seats added up over the accounts</caption>\n<thead><tr><th scope=\"col\">Product</th><th scope=\"col\">Kind</th><th scope=\"col\" class=\"n\">Bought</th><th scope=\"col\" class=\"n\">Used</th><th scope=\"col\" class=\"n\">Pending</th><th scope=\"col\" class=\"n\">Accounts</th><th scope=\"col\">Bar</th></tr></thead>\n<tbody>\n");
    for total in &run.totals {
        let _ = writeln!(
            body,
            "<tr><th scope=\"row\">{}</th><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"bar\">{}</td></tr>",
            escape(run.label_of(&total.product)),
            total.kind,
            total.purchased,
            total.used,
            total.pending,
            total.accounts,
            bar(Some(total.purchased), Some(total.used), Some(total.pending)),
        );
    }
    body.push_str("</tbody>\n</table>\n");
    // Worst utilisation first; accounts without any ratio last.
    let mut reports: Vec<(&UsageReport, Option<f64>)> = run
        .reports()
        .map(|r| (r, r.max_utilization().and_then(Seats::utilization)))
        .collect();
    reports.sort_by(|a, b| b.1.unwrap_or(-1.0).total_cmp(&a.1.unwrap_or(-1.0)));
    let _ = writeln!(
        body,
        "<h2>Accounts by worst utilisation</h2>\n<p>The {} of {} accounts whose busiest product is the most used.</p>",
        reports.len().min(FLEET_ACCOUNTS),
        run.summary.succeeded
    );
    for (report, _) in reports.iter().take(FLEET_ACCOUNTS) {
        report_section(&mut body, report);
    }
    let shown = reports.len().min(FLEET_ACCOUNTS);
    if run.summary.succeeded > shown {
        let _ = writeln!(
            body,
            "<p>{} more accounts are not shown (see the JSON or CSV output).</p>",
            run.summary.succeeded - shown
        );
    }
    failures_section(&mut body, &run.failures().collect::<Vec<_>>());
    document("Licence use of a fleet", &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use meeting_usage::Vendor;

    #[test]
    fn vendor_text_is_escaped_and_bars_state_their_figures() {
        let mut report =
            UsageReport::new(Vendor::Zoom, "<script>x</script>", "2026-05-04T09:30:00Z");
        report.seats = vec![Seats::new(
            "plan_base",
            Some("a\"b".into()),
            Some(10),
            Some(12),
            Some(1),
        )];
        report.classify();
        let page = render(&Collected {
            reports: vec![report],
            failures: Vec::new(),
        });
        assert!(!page.contains("<script"), "{page}");
        assert!(page.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(page.contains("a&quot;b"));
        assert!(page.contains("<span class=\"over\">OVER</span>"));
        assert!(page.contains("aria-label=\"12 used, 1 pending, of 10 bought\""));
        assert!(page.contains("class=\"overflow\""));
        for forbidden in ["http://", "https://", "<img", "<link", "@import", "url("] {
            assert!(!page.contains(forbidden), "{forbidden} in the page");
        }
    }

    #[test]
    fn bars_scale_to_the_larger_of_bought_and_wanted() {
        let half = bar(Some(100), Some(50), None);
        assert!(
            half.contains("class=\"used\" x=\"0\" y=\"0\" width=\"100\""),
            "{half}"
        );
        let over = bar(Some(10), Some(20), None);
        assert!(
            over.contains("class=\"free\" x=\"0\" y=\"0\" width=\"100\""),
            "{over}"
        );
        assert!(
            over.contains("class=\"overflow\" x=\"100\" y=\"0\" width=\"100\""),
            "{over}"
        );
        assert_eq!(bar(None, Some(1), None), "<span class=\"muted\">–</span>");
    }
}

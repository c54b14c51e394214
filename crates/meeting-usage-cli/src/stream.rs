//! A fleet run's output, made as the accounts are answered, so that no format holds every
//! account's report.
//!
//! - `jsonl`: one line per account, written (and flushed) as it arrives;
//! - `csv`: the header, then each account's rows as it arrives;
//! - `json`: the document written entry by entry (`{"accounts": [` first, the totals, totals
//!   by kind and summary once the run ends), so it is valid JSON however far the run got;
//! - `table`, `html`, `prometheus`: made at the end from running sums and the few accounts
//!   they show (the table: the over-allocated rows; the page: the hundred accounts of worst
//!   utilisation; Prometheus: each account's `up`, and its gauges with
//!   `--per-account-metrics`).
//!
//! Whatever the format, the totals are running sums ([`FleetTotals`], [`KindTotals`]) and the
//! failures are kept (each is small). A line is written whole or not at all: every write is
//! one locked `write_all` and flush, and the run's only thread does nothing else meanwhile.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Write as _};

use meeting_usage::{AccountOutcome, FleetStats, FleetTotals, KindTotals, Vendor};

use crate::cli::{ReportArgs, ReportFormat};
use crate::output::{self, Printed};
use crate::render::fleet::{AccountEntry, FleetRun};
use crate::render::prometheus::{self, Family, Gauges};
use crate::render::{self, Failure, Uncatalogued, html, table};
use crate::sources;

/// Where the lines go.
pub enum Writer {
    /// Standard output (a closed pipe ends the output quietly).
    Stdout,
    /// A `--resume` file, appended to.
    File(File),
}

/// What a fleet run keeps and writes while its accounts arrive.
pub struct Sink<'a> {
    args: &'a ReportArgs,
    writer: Writer,
    /// Whether anything was written yet (the JSON opening and the CSV header come with the
    /// first account, so a run that cannot start writes nothing).
    begun: bool,
    /// Accounts written as JSON entries so far.
    entries: usize,
    /// Accounts taken so far.
    taken: usize,
    /// Set when stdout's reader went away: nothing more is written.
    pub pipe_closed: bool,
    /// The first write error (other than a closed pipe).
    pub error: Option<io::Error>,
    totals: FleetTotals,
    kinds: KindTotals,
    over_allocated: usize,
    labels: BTreeMap<String, String>,
    /// Unknown product keys, for the stderr note.
    pub uncatalogued: Uncatalogued,
    /// `--fail-on-over` and `--warn-at` lines.
    pub crossed: Vec<String>,
    /// Every failed account.
    pub failures: Vec<Failure>,
    /// The accounts the table or page shows.
    kept: Vec<AccountEntry>,
    gauges: Option<Gauges>,
    up: Family,
}

/// Accounts of worst utilisation the HTML page shows.
const PAGE_ACCOUNTS: usize = html::FLEET_ACCOUNTS;

impl<'a> Sink<'a> {
    /// A sink for `args.format`, writing to `writer`.
    pub fn new(args: &'a ReportArgs, writer: Writer) -> Sink<'a> {
        let per_account = args.format == ReportFormat::Prometheus && args.fleet.per_account_metrics;
        Sink {
            args,
            writer,
            begun: false,
            entries: 0,
            taken: 0,
            pipe_closed: false,
            error: None,
            totals: FleetTotals::default(),
            kinds: KindTotals::for_fleet(),
            over_allocated: 0,
            labels: BTreeMap::new(),
            uncatalogued: Uncatalogued::default(),
            crossed: Vec::new(),
            failures: Vec::new(),
            kept: Vec::new(),
            gauges: per_account.then(Gauges::new),
            up: prometheus::up_family(),
        }
    }

    /// Whether anything was written (or an account taken) yet.
    pub fn begun(&self) -> bool {
        self.begun
    }

    /// Accounts taken so far.
    pub fn written(&self) -> usize {
        self.taken
    }

    /// Whether the output can take no more (a closed pipe or a write error).
    pub fn broken(&self) -> bool {
        self.pipe_closed || self.error.is_some()
    }

    /// Writes `text` whole, unless the output is already broken.
    fn write(&mut self, text: &str) {
        if self.broken() || text.is_empty() {
            return;
        }
        let written = match &mut self.writer {
            Writer::Stdout => output::print(text),
            Writer::File(file) => file
                .write_all(text.as_bytes())
                .and_then(|()| file.flush())
                .map(|()| Printed::Done),
        };
        match written {
            Ok(Printed::Done) => {}
            Ok(Printed::PipeClosed) => self.pipe_closed = true,
            Err(err) => self.error = Some(err),
        }
    }

    /// What comes before the first account.
    fn begin(&mut self) {
        if self.begun {
            return;
        }
        self.begun = true;
        match self.args.format {
            ReportFormat::Json => self.write("{\n  \"accounts\": ["),
            ReportFormat::Csv if self.args.resume.is_none() => {
                let header = render::csv::header();
                self.write(&header);
            }
            _ => {}
        }
    }

    /// Takes one account's outcome.
    pub fn account(&mut self, outcome: AccountOutcome) {
        let entry = match outcome.result {
            Ok(report) => AccountEntry {
                account_id: outcome.account_id,
                account_name: outcome.account_name,
                report: Some(report),
                error: None,
            },
            Err(err) => AccountEntry {
                error: Some(sources::failure(Vendor::Zoom, &outcome.account_id, &err)),
                account_id: outcome.account_id,
                account_name: outcome.account_name,
                report: None,
            },
        };
        self.begin();
        self.taken += 1;
        self.tally(&entry);
        match self.args.format {
            ReportFormat::Jsonl => match serde_json::to_string(&entry) {
                Ok(mut line) => {
                    line.push('\n');
                    self.write(&line);
                }
                Err(err) => self.error = Some(io::Error::other(err)),
            },
            ReportFormat::Json => match serde_json::to_string_pretty(&entry) {
                Ok(text) => {
                    let separator = if self.entries == 0 { "\n" } else { ",\n" };
                    self.entries += 1;
                    let text = format!("{separator}{}", indent(&text, "    "));
                    self.write(&text);
                }
                Err(err) => self.error = Some(io::Error::other(err)),
            },
            ReportFormat::Csv => {
                if let Some(report) = &entry.report {
                    let rows = render::csv::rows(report);
                    self.write(&rows);
                }
            }
            ReportFormat::Prometheus => {
                if let Some(gauges) = &mut self.gauges
                    && let Some(report) = &entry.report
                {
                    gauges.add(report);
                }
                let labels = vec![
                    ("vendor", Vendor::Zoom.to_string()),
                    ("account", entry.account_id.clone()),
                ];
                self.up.push(labels, u8::from(entry.report.is_some()));
            }
            ReportFormat::Table => {
                if let Some(report) = &entry.report
                    && report.over_allocated().next().is_some()
                {
                    // The table shows only the over-allocated rows of an account.
                    let mut report = report.clone();
                    report.seats.retain(meeting_usage::Seats::over_allocated);
                    report.storage.clear();
                    report.expiring = None;
                    report.activity = None;
                    report.unrecognized.clear();
                    self.kept.push(AccountEntry {
                        report: Some(report),
                        ..entry
                    });
                }
            }
            ReportFormat::Html => {
                if entry.report.is_some() {
                    self.keep_worst(entry);
                }
            }
        }
    }

    /// Counts an account in the running sums.
    fn tally(&mut self, entry: &AccountEntry) {
        if let Some(failure) = &entry.error {
            self.failures.push(failure.clone());
        }
        let Some(report) = &entry.report else {
            return;
        };
        self.totals.add(report);
        self.kinds.add(report);
        self.over_allocated += usize::from(report.over_allocated().next().is_some());
        for seats in &report.seats {
            if !self.labels.contains_key(seats.product()) {
                let label = seats.label().to_owned();
                self.labels.insert(seats.product().to_owned(), label);
            }
        }
        self.uncatalogued.add(report);
        self.crossed.extend(crate::threshold_lines(
            std::iter::once(report),
            self.args,
            true,
        ));
    }

    /// Keeps `entry` if it is among the [`PAGE_ACCOUNTS`] of worst utilisation so far.
    fn keep_worst(&mut self, entry: AccountEntry) {
        let worst = |e: &AccountEntry| {
            e.report
                .as_ref()
                .and_then(|r| r.max_utilization())
                .and_then(meeting_usage::Seats::utilization)
                .unwrap_or(-1.0)
        };
        let ratio = worst(&entry);
        // Sorted worst first; ties keep the earlier account first.
        let at = self.kept.partition_point(|kept| worst(kept) >= ratio);
        if at < PAGE_ACCOUNTS {
            self.kept.insert(at, entry);
            self.kept.truncate(PAGE_ACCOUNTS);
        }
    }

    /// Ends the output: the rest of the JSON document, or the whole table, page or
    /// exposition text. `stats` is `None` when the run was cut short before it returned.
    /// Returns the one-line summary of the run.
    pub fn finish(&mut self, stats: Option<&FleetStats>, heading: &str) -> String {
        let accounts = self.entries.max(stats.map_or(0, |s| s.accounts));
        let stats = stats.copied().unwrap_or(FleetStats {
            accounts,
            skipped: 0,
            failed: self.failures.len(),
            elapsed: std::time::Duration::ZERO,
            rate_limited: 0,
        });
        let summary = crate::fleet::summary(&stats, self.over_allocated, &self.args.fleet);
        let line = render::fleet::summary_line(&summary);
        let totals = std::mem::take(&mut self.totals).into_totals();
        let by_kind = std::mem::take(&mut self.kinds).into_totals();
        let text = match self.args.format {
            ReportFormat::Jsonl => return line,
            ReportFormat::Csv => {
                // An empty fleet still gets its header.
                if !self.begun {
                    self.begin();
                }
                return line;
            }
            ReportFormat::Json => {
                self.begin();
                let rest = serde_json::to_string_pretty(&Rest {
                    totals: &totals,
                    by_kind: &by_kind,
                    summary: &summary,
                });
                let close = if self.entries == 0 { "]" } else { "\n  ]" };
                match rest {
                    // `{"totals": ...}` without its opening brace, after the array.
                    Ok(rest) => format!("{close},{}", rest.trim_start_matches('{')) + "\n",
                    Err(err) => {
                        self.error = Some(io::Error::other(err));
                        return line;
                    }
                }
            }
            ReportFormat::Prometheus => {
                let mut text = String::new();
                self.up.write(&mut text);
                if let Some(gauges) = &self.gauges {
                    gauges.write(&mut text);
                }
                render::fleet::prometheus_totals(&mut text, &totals, &summary);
                text
            }
            ReportFormat::Table | ReportFormat::Html => {
                let mut accounts = std::mem::take(&mut self.kept);
                accounts.extend(self.failures.iter().map(|failure| AccountEntry {
                    account_id: failure.account.clone(),
                    account_name: None,
                    report: None,
                    error: Some(failure.clone()),
                }));
                let run = FleetRun {
                    accounts,
                    totals,
                    by_kind,
                    summary,
                    labels: std::mem::take(&mut self.labels),
                };
                if self.args.format == ReportFormat::Html {
                    html::fleet(&run)
                } else {
                    render::fleet::table(
                        &run,
                        heading,
                        table::Style {
                            color: output::stdout_colour(),
                            warn_at: self.args.warn_at,
                            raw_keys: self.args.raw_keys,
                        },
                    )
                }
            }
        };
        self.write(&text);
        line
    }
}

/// The members of the JSON document after `accounts`.
#[derive(serde::Serialize)]
struct Rest<'a> {
    totals: &'a [meeting_usage::ProductTotal],
    by_kind: &'a [meeting_usage::KindTotal],
    summary: &'a render::fleet::Summary,
}

/// `text` with every line but the first indented by `by` and the first too.
fn indent(text: &str, by: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for (index, line) in text.lines().enumerate() {
        if index > 0 {
            out.push('\n');
        }
        out.push_str(by);
        out.push_str(line);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_every_line() {
        assert_eq!(
            indent("{\n  \"a\": 1\n}", "    "),
            "    {\n      \"a\": 1\n    }"
        );
    }
}

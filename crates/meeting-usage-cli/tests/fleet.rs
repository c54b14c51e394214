//! `meeting-usage report --all-sub-accounts` and `--accounts-file` end to end: against the
//! binary's own `--sandbox` fleet (40 generated sub accounts, seed 13, the 8th answering 404)
//! and against a sandbox fleet started here.
//!
//! Every run has piped stderr, so none may draw the progress bar. Whether the client stays
//! under the vendor's limit (zero 429s) is pinned by the facade's fleet tests; here only the
//! count is checked to be reported.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Output, Stdio};

use common::*;
use serde_json::Value;
use spec_sandbox::FleetConfig;

/// The `--sandbox` fleet of the binary (see `src/fleet.rs`).
fn demo_fleet() -> FleetConfig {
    FleetConfig::new(40, 13).with_missing([7])
}

/// Stderr carries no progress bar: no carriage return, no escape sequence.
fn assert_no_progress_bar(output: &Output) {
    let errors = stderr(output);
    assert!(
        !errors.contains('\r'),
        "a progress bar on a pipe: {errors:?}"
    );
    assert!(
        !errors.contains('\x1b'),
        "escape codes on a pipe: {errors:?}"
    );
}

/// A file in the target's scratch directory.
fn scratch_file(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("meeting-usage-cli-{}-{name}", std::process::id()));
    std::fs::write(&path, text)
        .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
    path
}

/// Seat figures of a JSON report summed per product (absent figures count 0), and the number
/// of reports holding each product.
fn sum_per_product(reports: &[&Value]) -> BTreeMap<String, [u64; 4]> {
    let mut sums: BTreeMap<String, [u64; 4]> = BTreeMap::new();
    for report in reports {
        let mut held = BTreeSet::new();
        for seat in report["seats"].as_array().into_iter().flatten() {
            let product = seat["product"].as_str().unwrap_or_default().to_owned();
            let sum = sums.entry(product.clone()).or_default();
            sum[0] += seat["purchased"].as_u64().unwrap_or(0);
            sum[1] += seat["used"].as_u64().unwrap_or(0);
            sum[2] += seat["pending"].as_u64().unwrap_or(0);
            held.insert(product);
        }
        for product in held {
            if let Some(sum) = sums.get_mut(&product) {
                sum[3] += 1;
            }
        }
    }
    sums
}

#[test]
fn the_sandbox_fleet_in_json_is_paced_totalled_and_shows_its_missing_account() {
    // The demo as documented: Pro tier (HEAVY 10/s), so about four seconds.
    let output = run(meeting_usage().args([
        "report",
        "--sandbox",
        "--vendor",
        "zoom",
        "--all-sub-accounts",
        "--format",
        "json",
    ]));
    // One account fails on purpose: status 1, every other account still printed.
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    assert_no_progress_bar(&output);
    let document = json(&output);

    // The contract's members.
    let accounts = document["accounts"].as_array().cloned().unwrap_or_default();
    assert_eq!(accounts.len(), 40);
    for entry in &accounts {
        for key in ["account_id", "account_name", "report", "error"] {
            assert!(entry.get(key).is_some(), "entry without `{key}`: {entry}");
        }
        assert!(
            entry["report"].is_null() != entry["error"].is_null(),
            "{entry}"
        );
        assert!(entry["account_name"].is_string(), "{entry}");
    }
    let fleet = demo_fleet();
    let ids: Vec<&str> = accounts
        .iter()
        .filter_map(|a| a["account_id"].as_str())
        .collect();
    assert_eq!(
        ids,
        (0..40).map(|p| fleet.account_id(p)).collect::<Vec<_>>()
    );

    // The missing account is the only error, with its HTTP status and request id.
    let errors: Vec<&Value> = accounts.iter().filter(|a| a["report"].is_null()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["account_id"], fleet.account_id(7));
    let error = &errors[0]["error"];
    assert_eq!(error["status"], 404);
    assert_eq!(error["operation"], "GetPlanUsage");
    assert_eq!(error["account"], fleet.account_id(7));
    assert!(error["request_id"].is_string(), "{error}");
    for key in ["vendor", "code", "message"] {
        assert!(error.get(key).is_some(), "error without `{key}`: {error}");
    }

    // Totals: per product, the sum over the accounts that answered.
    let reports: Vec<&Value> = accounts
        .iter()
        .map(|a| &a["report"])
        .filter(|r| !r.is_null())
        .collect();
    for report in &reports {
        assert_eq!(report["vendor"], "zoom");
    }
    let sums = sum_per_product(&reports);
    let totals = document["totals"].as_array().cloned().unwrap_or_default();
    assert_eq!(totals.len(), sums.len());
    for total in &totals {
        let product = total["product"].as_str().unwrap_or_default();
        let sum = sums[product];
        assert_eq!(
            [
                total["purchased"].as_u64(),
                total["used"].as_u64(),
                total["pending"].as_u64(),
                total["accounts"].as_u64()
            ],
            sum.map(Some),
            "{product}"
        );
        assert!(total["over_allocated_accounts"].is_u64(), "{total}");
        // The product's kind, as its seat rows have it.
        let row_kind = reports
            .iter()
            .flat_map(|r| r["seats"].as_array().into_iter().flatten())
            .find(|s| s["product"] == product)
            .map(|s| s["kind"].clone());
        assert_eq!(Some(total["kind"].clone()), row_kind, "{product}");
    }

    // Totals by kind: the seat totals of the products of each kind, added up.
    let by_kind = document["by_kind"].as_array().cloned().unwrap_or_default();
    assert!(!by_kind.is_empty(), "no by_kind in the fleet document");
    for kind_total in by_kind.iter().filter(|t| t["unit"] == "seats") {
        let of_kind = totals.iter().filter(|t| t["kind"] == kind_total["kind"]);
        let purchased: u64 = of_kind
            .clone()
            .filter_map(|t| t["purchased"].as_u64())
            .sum();
        let used: u64 = of_kind.filter_map(|t| t["used"].as_u64()).sum();
        assert_eq!(
            kind_total["purchased"].as_u64(),
            Some(purchased),
            "{kind_total}"
        );
        assert_eq!(kind_total["used"].as_u64(), Some(used), "{kind_total}");
    }

    // The summary; the run is paced: 39 HEAVY calls after the first at 10/s take 3.7 s or more.
    let summary = &document["summary"];
    assert_eq!(summary["accounts"], 40);
    assert_eq!(summary["succeeded"], 39);
    assert_eq!(summary["failed"], 1);
    assert_eq!(summary["tier"], "pro");
    assert_eq!(summary["max_rps"], Value::Null);
    assert_eq!(summary["concurrency"], 16);
    assert!(summary["rate_limited"].is_u64(), "{summary}");
    let over = reports
        .iter()
        .filter(|r| {
            r["seats"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|s| s["over_allocated"] == true)
        })
        .count();
    assert_eq!(summary["over_allocated_accounts"], over);
    let elapsed = summary["elapsed_seconds"].as_f64().unwrap_or_default();
    assert!(elapsed >= 3.5, "not paced: {elapsed} s");

    // Stderr: the notice, then the failure naming its account; nothing else.
    let errors = stderr(&output);
    let lines: Vec<&str> = errors.lines().collect();
    assert!(lines[0].starts_with("note: --sandbox: a generated fleet of 40"));
    assert!(
        lines.iter().any(
            |l| l.starts_with(&format!("error: account {}: ", fleet.account_id(7)))
                && l.contains("404")
        ),
        "{errors}"
    );
    assert!(
        lines.iter().all(|l| l.starts_with("note:")
            || l.starts_with("error:")
            || l.starts_with("warning: zoom answered HTTP 429")),
        "{errors}"
    );
}

#[test]
fn the_fleet_table_puts_totals_first_and_draws_no_bar_on_a_pipe() {
    let output = run(meeting_usage().args([
        "report",
        "--sandbox",
        "--all-sub-accounts",
        "--rate-tier",
        "business-plus",
    ]));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    assert_no_progress_bar(&output);
    let table = stdout(&output);
    assert!(!table.contains('\x1b'), "colour on a pipe");
    for line in table.lines() {
        assert!(line.chars().count() <= 100, "wider than 100: {line}");
    }
    let at = |text: &str| {
        table
            .find(text)
            .unwrap_or_else(|| panic!("no `{text}` in:\n{table}"))
    };
    assert!(table.starts_with("zoom fleet  sub accounts of kKPjoUQnTVGY0D8fXtmqUg\n"));
    assert!(at("  TOTALS") < at("OVER-ALLOCATED"));
    assert!(at("OVER-ALLOCATED") < at("FAILED (1 account)"));
    let missing = demo_fleet().account_id(7);
    let failure = table
        .lines()
        .find(|l| l.contains(&missing))
        .unwrap_or_default();
    assert!(failure.contains(" 404 "), "{failure}");
    let summary = table.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("40 accounts, 1 failed, ")
            && summary.contains("at business-plus limits")
            && summary.ends_with("HTTP 429"),
        "{summary}"
    );
}

#[test]
fn an_accounts_file_against_a_fleet_of_the_test() {
    let sandbox = TestSandbox::start();
    sandbox
        .sandbox
        .set_fleet(Some(FleetConfig::new(12, 5).with_missing([3])))
        .unwrap_or_else(|err| panic!("no fleet: {err}"));
    let ids = sandbox.sandbox.fleet_account_ids();
    let file = scratch_file(
        "accounts.txt",
        &format!(
            "# three sub accounts, one listed twice\n\n{}\n  {}  # the missing one\n{}\n{}\n",
            ids[0], ids[3], ids[5], ids[0]
        ),
    );
    let output = run(sandbox.command().args([
        "report",
        "--vendor",
        "zoom",
        "--accounts-file",
        file.to_str().unwrap_or_default(),
        "--max-rps",
        "100",
        "--format",
        "json",
    ]));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    assert_no_progress_bar(&output);
    let document = json(&output);
    let listed: Vec<&str> = document["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["account_id"].as_str())
        .collect();
    assert_eq!(listed, [&ids[0], &ids[3], &ids[5]]);
    assert_eq!(document["accounts"][0]["account_name"], Value::Null);
    assert_eq!(document["accounts"][1]["error"]["status"], 404);
    assert_eq!(
        document["accounts"][0]["report"]["account"],
        ids[0].as_str()
    );
    assert_eq!(document["summary"]["max_rps"], 100.0);
    assert_eq!(document["summary"]["tier"], Value::Null);
    // The given ids only: no sub-account list, one usage call each, one token.
    assert_eq!(sandbox.count("ListSubAccounts"), 0);
    assert_eq!(sandbox.count("GetPlanUsage"), 3);
    assert_eq!(sandbox.count("RequestAccessToken"), 1);
    let _ = std::fs::remove_file(&file);

    // `-` reads stdin; CSV has one row per seat entry, with the account in its column.
    let mut child = sandbox
        .command()
        .args([
            "report",
            "--accounts-file",
            "-",
            "--concurrency",
            "2",
            "--format",
            "csv",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start: {err}"));
    if let Some(mut stdin) = child.stdin.take() {
        let _ = writeln!(stdin, "{}\n{}", ids[1], ids[2]);
    }
    let output = child
        .wait_with_output()
        .unwrap_or_else(|err| panic!("cannot wait: {err}"));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header = reader
        .headers()
        .map(|h| h.iter().map(str::to_owned).collect::<Vec<_>>())
        .unwrap_or_default();
    assert_eq!(header.get(1).map(String::as_str), Some("account"));
    let accounts: BTreeSet<String> = reader
        .records()
        .map(|r| r.map(|r| r[1].to_owned()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|err| panic!("a row does not parse: {err}"));
    assert_eq!(accounts, BTreeSet::from([ids[1].clone(), ids[2].clone()]));

    // A file without ids, or one that cannot be read, is a usage error.
    let empty = scratch_file("empty.txt", "# nobody\n\n");
    for path in [empty.to_str().unwrap_or_default(), "/nonexistent/accounts"] {
        let output = run(sandbox.command().args(["report", "--accounts-file", path]));
        assert_eq!(code(&output), 2, "{path}: {}", stderr(&output));
        assert_eq!(stderr(&output).lines().count(), 1, "{}", stderr(&output));
    }
    let _ = std::fs::remove_file(&empty);
}

#[test]
fn fleet_options_misused_exit_2() {
    for args in [
        // --max-rps overrides a tier; naming both is a mistake.
        vec!["--all-sub-accounts", "--max-rps", "5", "--rate-tier", "pro"],
        vec!["--all-sub-accounts", "--accounts-file", "ids.txt"],
        vec!["--all-sub-accounts", "--vendor", "huawei"],
        vec!["--all-sub-accounts", "--rate-tier", "gold"],
        vec!["--all-sub-accounts", "--max-rps", "0"],
        vec!["--all-sub-accounts", "--concurrency", "0"],
        // Fleet options without a fleet.
        vec!["--max-rps", "5"],
        vec!["--rate-tier", "free"],
        vec!["--concurrency", "4"],
    ] {
        let output = run(meeting_usage().args(["report", "--sandbox"]).args(&args));
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
        assert_eq!(stdout(&output), "", "{args:?}");
        assert!(stderr(&output).starts_with("error: "), "{args:?}");
    }
    let conflict = run(meeting_usage().args([
        "report",
        "--sandbox",
        "--all-sub-accounts",
        "--max-rps",
        "5",
        "--rate-tier",
        "pro",
    ]));
    assert!(
        stderr(&conflict)
            .contains("the argument '--max-rps <N>' cannot be used with '--rate-tier <TIER>'"),
        "{}",
        stderr(&conflict)
    );
    // A tier from the environment is a default: --max-rps wins over it, and it does not make
    // a single-account report a fleet run.
    let single = run(meeting_usage()
        .args([
            "report",
            "--sandbox",
            "--vendor",
            "zoom",
            "--format",
            "json",
        ])
        .env("ZOOM_RATE_TIER", "free"));
    assert_eq!(code(&single), 0, "stderr: {}", stderr(&single));
    let bad_env = run(meeting_usage()
        .args(["report", "--sandbox"])
        .env("ZOOM_RATE_TIER", "gold"));
    assert_eq!(code(&bad_env), 2);
}

#[test]
fn the_max_rps_flag_wins_over_the_tier_of_the_environment() {
    let sandbox = TestSandbox::start();
    sandbox
        .sandbox
        .set_fleet(Some(FleetConfig::new(5, 9)))
        .unwrap_or_else(|err| panic!("no fleet: {err}"));
    let output = run(sandbox
        .command()
        .args([
            "report",
            "--all-sub-accounts",
            "--max-rps",
            "50",
            "--format",
            "json",
        ])
        .env("ZOOM_RATE_TIER", "free"));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let summary = &json(&output)["summary"];
    assert_eq!(summary["max_rps"], 50.0);
    assert_eq!(summary["tier"], Value::Null);
    // Free's HEAVY 1/s would take 4 s or more for five accounts.
    assert!(summary["elapsed_seconds"].as_f64().unwrap_or(f64::MAX) < 2.0);
    assert_eq!(sandbox.count("ListSubAccounts"), 1);
}

#[test]
fn fleet_prometheus_parses_with_account_labels_and_unlabelled_totals() {
    let args = [
        "report",
        "--sandbox",
        "--all-sub-accounts",
        "--rate-tier",
        "business-plus",
        "--format",
        "prometheus",
    ];
    // By default: the totals and each account's `up`, no per-account usage series.
    let lean = run(meeting_usage().args(args));
    assert_eq!(code(&lean), 1, "stderr: {}", stderr(&lean));
    let lean = stdout(&lean);
    let count = |text: &str, family: &str| {
        text.lines()
            .filter(|l| l.starts_with(&format!("{family}{{")))
            .count()
    };
    assert_eq!(count(&lean, "meeting_usage_up"), 40);
    assert_eq!(count(&lean, "meeting_usage_seats_used"), 0, "{lean}");
    assert!(count(&lean, "meeting_usage_fleet_seats_used") > 0);

    let output = run(meeting_usage().args(args).arg("--per-account-metrics"));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    assert_no_progress_bar(&output);
    let text = stdout(&output);
    let parsed = openmetrics_parser::prometheus::parse_prometheus(&text)
        .unwrap_or_else(|err| panic!("not the text format: {err:?}\n{text}"));
    let samples = |family: &str| -> Vec<(BTreeMap<String, String>, f64)> {
        parsed.families[family]
            .iter_samples()
            .map(|sample| {
                let labels = sample
                    .get_labelset()
                    .map(|set| {
                        ["vendor", "account", "product", "plan"]
                            .iter()
                            .filter_map(|name| {
                                set.get_label_value(name)
                                    .map(|v| ((*name).to_owned(), v.to_owned()))
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let value = match &sample.value {
                    openmetrics_parser::PrometheusValue::Gauge(n) => n.as_f64(),
                    _ => f64::NAN,
                };
                (labels, value)
            })
            .collect()
    };

    // `up` per account: 39 answered, the missing one 0.
    let up = samples("meeting_usage_up");
    assert_eq!(up.len(), 40);
    let down: Vec<&String> = up
        .iter()
        .filter(|(_, v)| *v == 0.0)
        .filter_map(|(l, _)| l.get("account"))
        .collect();
    assert_eq!(down, [&demo_fleet().account_id(7)]);

    // Seat gauges carry the account; the fleet totals do not, and equal their sum.
    let used = samples("meeting_usage_seats_used");
    let accounts: BTreeSet<&String> = used.iter().filter_map(|(l, _)| l.get("account")).collect();
    assert_eq!(accounts.len(), 39);
    assert!(used.iter().all(|(l, _)| l["vendor"] == "zoom"));
    let totals = samples("meeting_usage_fleet_seats_used");
    assert!(!totals.is_empty());
    for (labels, value) in &totals {
        assert!(!labels.contains_key("account"), "{labels:?}");
        let product = &labels["product"];
        let sum: f64 = used
            .iter()
            .filter(|(l, _)| &l["product"] == product)
            .map(|(_, v)| v)
            .sum();
        assert_eq!(*value, sum, "{product}");
    }
    let one = |family: &str| samples(family).first().map(|(_, v)| *v);
    assert_eq!(one("meeting_usage_fleet_accounts"), Some(40.0));
    assert_eq!(one("meeting_usage_fleet_accounts_failed"), Some(1.0));
    assert!(one("meeting_usage_fleet_rate_limited_responses").is_some());
    assert!(one("meeting_usage_fleet_duration_seconds").is_some_and(|s| s > 0.0));
}

#[test]
fn thresholds_over_any_account_exit_3() {
    let sandbox = TestSandbox::start();
    let fleet = FleetConfig::new(12, 5);
    sandbox
        .sandbox
        .set_fleet(Some(fleet.clone()))
        .unwrap_or_else(|err| panic!("no fleet: {err}"));
    let over = (0..12)
        .find(|&p| fleet.over_allocated(p))
        .unwrap_or_else(|| panic!("no over-allocated account in the fleet"));
    let within = (0..12)
        .find(|&p| !fleet.over_allocated(p))
        .unwrap_or_else(|| panic!("every account is over-allocated"));
    let file = scratch_file(
        "thresholds.txt",
        &format!("{}\n{}\n", fleet.account_id(within), fleet.account_id(over)),
    );
    let path = file.to_str().unwrap_or_default();
    let plain = run(sandbox.command().args(["report", "--accounts-file", path]));
    assert_eq!(code(&plain), 0, "stderr: {}", stderr(&plain));
    assert!(stdout(&plain).contains(&fleet.account_id(over)));

    let output = run(sandbox.command().args([
        "report",
        "--accounts-file",
        path,
        "--fail-on-over",
        "--format",
        "json",
    ]));
    assert_eq!(code(&output), 3, "stderr: {}", stderr(&output));
    assert_eq!(json(&output)["accounts"].as_array().map(Vec::len), Some(2));
    let warnings = stderr(&output);
    assert!(
        warnings.lines().any(|l| l.starts_with(&format!(
            "warning: zoom account {} ",
            fleet.account_id(over)
        )) && l.contains("is over-allocated")),
        "{warnings}"
    );
    let _ = std::fs::remove_file(&file);
}

//! The `meeting-usage` binary end to end: against its own `--sandbox` for the happy paths, and
//! against a sandbox started here (wrong credentials, injected faults, the request log) for
//! the error paths and the purchase guard.
//!
//! Golden files live in `tests/data/`; after an intended change of the table or of the help
//! text, rewrite them with `UPDATE_GOLDEN=1 cargo test -p meeting-usage-cli` and review the
//! diff.

mod common;

use std::io::Read as _;
use std::process::Stdio;

use common::*;
use serde_json::{Value, json};
use spec_sandbox::{Fault, FaultKind};

// ---------------------------------------------------------------------------------------------
// report --sandbox: the formats

/// The seat row of `product` with `plan` in a JSON report.
fn seat<'a>(report: &'a Value, product: &str, plan: &str) -> &'a Value {
    report["seats"]
        .as_array()
        .and_then(|seats| {
            seats
                .iter()
                .find(|s| s["product"] == product && s["plan"] == plan)
        })
        .unwrap_or_else(|| panic!("no seat row {product} / {plan} in {report}"))
}

/// The report of `vendor` in a JSON document.
fn report_of<'a>(document: &'a Value, vendor: &str) -> &'a Value {
    document["reports"]
        .as_array()
        .and_then(|reports| reports.iter().find(|r| r["vendor"] == vendor))
        .unwrap_or_else(|| panic!("no {vendor} report in {document}"))
}

/// A seed payload of the workspace's fixtures.
fn seed(name: &str) -> Value {
    let path = crate_dir().join("../../tests/fixtures/seeds").join(name);
    serde_json::from_str(&read(&path)).unwrap_or_else(|err| panic!("{name}: {err}"))
}

#[test]
fn json_report_equals_the_seed_figures() {
    let output = run(meeting_usage().args(["report", "--sandbox", "--format", "json"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let document = json(&output);
    assert_eq!(document["errors"], json!([]));

    // The JSON contract: these members exist in every report, seat and storage row.
    for report in document["reports"].as_array().into_iter().flatten() {
        for key in [
            "vendor",
            "account",
            "seats",
            "storage",
            "activity",
            "unrecognized",
        ] {
            assert!(
                report.get(key).is_some(),
                "report without `{key}`: {report}"
            );
        }
        for row in report["seats"].as_array().into_iter().flatten() {
            for key in [
                "product",
                "plan",
                "purchased",
                "used",
                "pending",
                "over_allocated",
            ] {
                assert!(row.get(key).is_some(), "seat row without `{key}`: {row}");
            }
        }
        for row in report["storage"].as_array().into_iter().flatten() {
            for key in ["product", "used_bytes", "purchased_bytes"] {
                assert!(row.get(key).is_some(), "storage row without `{key}`: {row}");
            }
        }
    }

    // Zoom: every plan of the plan-usage seed is a seat row with its figures.
    let zoom = report_of(&document, "zoom");
    assert_eq!(zoom["account"], ZOOM_ACCOUNT);
    let usage = seed("000-plan-usage.response.json");
    let mut checked = 0;
    for (key, value) in usage.as_object().into_iter().flatten() {
        let entries = match value {
            Value::Array(entries) => entries.clone(),
            other => vec![other.clone()],
        };
        for entry in entries.iter().filter(|e| e.get("hosts").is_some()) {
            let row = seat(zoom, key, entry["type"].as_str().unwrap_or_default());
            assert_eq!(row["purchased"], entry["hosts"], "{key}");
            assert_eq!(row["used"], entry["usage"], "{key}");
            assert_eq!(
                row["pending"],
                entry.get("pending").cloned().unwrap_or(Value::Null),
                "{key}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 20);
    let webinar = seat(zoom, "plan_webinar", "webinar500_monthly");
    assert_eq!(
        (&webinar["purchased"], &webinar["used"], &webinar["pending"]),
        (&json!(25), &json!(18), &json!(1))
    );
    assert_eq!(webinar["over_allocated"], false);
    let iq = seat(zoom, "plan_zoom_iq", "ziq_sales_monthly");
    assert_eq!((&iq["purchased"], &iq["used"]), (&json!(18), &json!(28)));
    assert_eq!(iq["over_allocated"], true);
    assert_eq!(iq["available"], -10);
    let recording = &zoom["storage"][0];
    assert_eq!(recording["product"], "plan_recording");
    assert_eq!(recording["purchased_bytes"], 12_000_000_000_u64);
    assert_eq!(recording["used_bytes"], 3_000_000_000_u64);
    assert_eq!(zoom["activity"], Value::Null);
    assert_eq!(zoom["unrecognized"], json!([]));

    // Huawei: the activity figures of the orgRes seed.
    let huawei = report_of(&document, "huawei");
    let org = seed("003-org-res.response.json");
    let activity = &huawei["activity"];
    for (ours, theirs) in [
        ("concurrent_participants", "usedAccountsCount"),
        ("live_streams", "usedLiveCount"),
        ("meetings_today", "confCount"),
        ("meeting_minutes_today", "confLength"),
        ("active_users_today", "activeAttendeeCount"),
        ("participants_today", "totalAttendeeCount"),
    ] {
        assert_eq!(activity[ours], org[theirs], "{ours}");
    }
    let record = huawei["storage"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["product"] == "RECORD"))
        .unwrap_or_else(|| panic!("no RECORD storage in {huawei}"));
    assert_eq!(record["used_bytes"], 39_590_000_000_u64);
}

/// The table with each vendor's collection time replaced by `<time>`.
fn mask_times(table: &str) -> String {
    table
        .lines()
        .map(|line| match line.find("collected ") {
            Some(at) => {
                let start = at + "collected ".len();
                let end = line[start..]
                    .find(' ')
                    .map_or(line.len(), |offset| start + offset);
                format!("{}<time>{}", &line[..start], &line[end..])
            }
            None => line.to_owned(),
        })
        .map(|line| line + "\n")
        .collect()
}

#[test]
fn table_report_matches_the_golden_file() {
    let output = run(meeting_usage().args(["report", "--sandbox"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let table = stdout(&output);
    for line in table.lines() {
        assert!(
            line.chars().count() <= 100,
            "wider than 100 columns: {line}"
        );
    }
    assert!(!table.contains('\x1b'), "colour on a pipe");
    assert_golden("report-sandbox.txt", &mask_times(&table));
    // The notice is one line on stderr; nothing else is.
    let notes = stderr(&output);
    assert_eq!(notes.lines().count(), 1, "stderr: {notes}");
    assert!(notes.contains("--sandbox"));
}

#[test]
fn json_rows_have_kind_and_label_and_by_kind_adds_them_up() {
    let output = run(meeting_usage().args(["report", "--sandbox", "--format", "json"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let document = json(&output);
    let expected = [
        ("zoom", "plan_base", "meetings"),
        ("zoom", "plan_webinar", "webinars"),
        ("zoom", "plan_zoom_rooms", "rooms"),
        ("zoom", "plan_recording", "recording_storage"),
        ("huawei", "SOFT", "meetings"),
        ("huawei", "VMR", "virtual_rooms"),
        ("huawei", "CONF_CALL", "concurrent_participants"),
        ("huawei", "LIVE", "live_streaming"),
        ("huawei", "RECORD", "recording_storage"),
    ];
    for (vendor, product, kind) in expected {
        let report = report_of(&document, vendor);
        let rows: Vec<&Value> = ["seats", "storage"]
            .iter()
            .flat_map(|list| report[list].as_array().into_iter().flatten())
            .filter(|row| row["product"] == product)
            .collect();
        assert!(!rows.is_empty(), "no {vendor} {product} row");
        for row in rows {
            assert_eq!(row["kind"], kind, "{vendor} {product}");
        }
    }

    // Every row has a kind and a label; add them up per kind, as `by_kind` should.
    #[derive(Default, Debug, PartialEq)]
    struct Sums {
        purchased: u64,
        used: u64,
        rows: usize,
        over: u64,
    }
    let mut sums: std::collections::BTreeMap<(String, &str), Sums> = Default::default();
    for report in document["reports"].as_array().into_iter().flatten() {
        for (list, unit, bought, used, over) in [
            ("seats", "seats", "purchased", "used", "over_allocated"),
            (
                "storage",
                "bytes",
                "purchased_bytes",
                "used_bytes",
                "over_quota",
            ),
        ] {
            for row in report[list].as_array().into_iter().flatten() {
                let kind = row["kind"].as_str().unwrap_or_default();
                assert!(!kind.is_empty(), "{list} row without kind: {row}");
                let label = row["label"].as_str().unwrap_or_default();
                assert!(!label.is_empty(), "{list} row without label: {row}");
                let sum = sums.entry((kind.to_owned(), unit)).or_default();
                sum.purchased += row[bought].as_u64().unwrap_or(0);
                sum.used += row[used].as_u64().unwrap_or(0);
                sum.rows += 1;
                sum.over += u64::from(row[over] == true);
            }
        }
    }
    let by_kind = document["by_kind"]
        .as_array()
        .unwrap_or_else(|| panic!("no by_kind in {document}"));
    assert_eq!(by_kind.len(), sums.len(), "{by_kind:?}");
    for total in by_kind {
        let kind = total["kind"].as_str().unwrap_or_default().to_owned();
        let unit = total["unit"].as_str().unwrap_or_default();
        let sum = sums
            .get(&(kind.clone(), unit))
            .unwrap_or_else(|| panic!("by_kind {kind} ({unit}) has no rows"));
        let found = Sums {
            purchased: total["purchased"].as_u64().unwrap_or(0),
            used: total["used"].as_u64().unwrap_or(0),
            rows: total["products"].as_array().map_or(0, Vec::len),
            over: total["over_allocated"].as_u64().unwrap_or(u64::MAX),
        };
        // VMR has two rows of one product: one contributor.
        let rows = if kind == "virtual_rooms" {
            sum.rows - 1
        } else {
            sum.rows
        };
        assert_eq!(found, Sums { rows, ..*sum }, "{kind}");
    }
    let meetings = by_kind
        .iter()
        .find(|t| t["kind"] == "meetings")
        .unwrap_or_else(|| panic!("no meetings total"));
    let products: Vec<String> = meetings["products"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| format!("{} {}", c["vendor"], c["product"]).replace('"', ""))
        .collect();
    for product in ["zoom plan_base", "huawei SOFT"] {
        assert!(products.iter().any(|p| p == product), "{products:?}");
    }
}

#[test]
fn an_uncatalogued_key_is_kind_other_and_named_once_on_stderr() {
    // Zoom drifts: a product key the specs and the catalogue have never seen, in every entry
    // shape, answered by the sandbox in place of its example.
    let mut usage = seed("000-plan-usage.response.json");
    usage["plan_hologram"] = json!([{"type": "hologram_monthly", "hosts": 7, "usage": 3}]);
    let sandbox = TestSandbox::start();
    for _ in 0..2 {
        sandbox
            .sandbox
            .inject(Fault {
                operation: Some("GetPlanUsage".into()),
                kind: FaultKind::Body {
                    body: usage.clone(),
                },
                times: 1,
            })
            .unwrap_or_else(|err| panic!("fault refused: {err:?}"));
    }

    let output = run(sandbox.command().args(["report", "--format", "json"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "note: the product catalogue does not know zoom plan_hologram; \
         it is counted as kind \"other\"\n"
    );
    let document = json(&output);
    let row = seat(
        report_of(&document, "zoom"),
        "plan_hologram",
        "hologram_monthly",
    );
    assert_eq!(row["kind"], "other", "{row}");
    assert_eq!(row["label"], "plan_hologram", "{row}");
    assert_eq!(
        (row["purchased"].clone(), row["used"].clone()),
        (json!(7), json!(3))
    );
    let other = document["by_kind"]
        .as_array()
        .and_then(|totals| totals.iter().find(|t| t["kind"] == "other"))
        .unwrap_or_else(|| panic!("no `other` total in {}", document["by_kind"]));
    let contributors = other["products"].to_string();
    assert!(contributors.contains("plan_hologram"), "{other}");

    // The table too: the row under its raw key, the note once on stderr, data on stdout only.
    let table = run(sandbox.command().arg("report"));
    assert_eq!(code(&table), 0, "stderr: {}", stderr(&table));
    assert_eq!(stderr(&table).lines().count(), 1, "{}", stderr(&table));
    assert!(stderr(&table).contains("plan_hologram"));
    assert!(
        stdout(&table).contains("plan_hologram"),
        "{}",
        stdout(&table)
    );
    assert!(!stdout(&table).contains("note:"));
}

#[test]
fn the_table_shows_labels_unless_raw_keys() {
    let labels = stdout(&run(meeting_usage().args(["report", "--sandbox"])));
    let raw = stdout(&run(meeting_usage().args([
        "report",
        "--sandbox",
        "--raw-keys",
    ])));
    let first_column = |table: &str, name: &str| {
        table.lines().any(|line| {
            line.strip_prefix("  ")
                .is_some_and(|l| l.starts_with(&format!("{name} ")))
        })
    };
    for (label, key) in [
        ("Meetings", "plan_base"),
        ("Webinars", "plan_webinar"),
        ("Cloud recording storage", "plan_recording"),
        ("Soft-client accounts", "SOFT"),
        ("Recording storage", "RECORD"),
    ] {
        assert!(first_column(&labels, label), "no {label} row:\n{labels}");
        assert!(
            !first_column(&labels, key),
            "raw {key} row by default:\n{labels}"
        );
        assert!(
            first_column(&raw, key),
            "no {key} row with --raw-keys:\n{raw}"
        );
        assert!(
            !first_column(&raw, label),
            "{label} row with --raw-keys:\n{raw}"
        );
    }
    for table in [&labels, &raw] {
        assert!(table.contains("  ALL VENDORS BY KIND"), "{table}");
        for line in table.lines() {
            assert!(
                line.chars().count() <= 100,
                "wider than 100 columns: {line}"
            );
        }
    }
}

#[test]
fn csv_report_parses() {
    let json_run = run(meeting_usage().args(["report", "--sandbox", "--format", "json"]));
    let document = json(&json_run);
    let seat_rows: usize = document["reports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["seats"].as_array().map_or(0, Vec::len))
        .sum();

    let output = run(meeting_usage().args(["report", "--sandbox", "--format", "csv"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let header: Vec<String> = reader
        .headers()
        .unwrap_or_else(|err| panic!("no header: {err}"))
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
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
            "expiring_within_30_days"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader
        .records()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|err| panic!("a row does not parse: {err}"));
    assert_eq!(rows.len(), seat_rows);
    let webinar = rows
        .iter()
        .find(|r| &r[3] == "plan_webinar")
        .unwrap_or_else(|| panic!("no plan_webinar row"));
    assert_eq!(
        (
            &webinar[0],
            &webinar[4],
            &webinar[5],
            &webinar[6],
            &webinar[8],
            &webinar[9],
            &webinar[10]
        ),
        (
            "zoom",
            "webinars",
            "Webinars",
            "webinar500_monthly",
            "25",
            "18",
            "1"
        )
    );
    assert_eq!(&webinar[13], "false");
    let conf_call = rows
        .iter()
        .find(|r| &r[3] == "CONF_CALL")
        .unwrap_or_else(|| panic!("no CONF_CALL row"));
    assert_eq!(&conf_call[4], "concurrent_participants");
    // An absent figure is an empty field.
    let rooms = rows
        .iter()
        .find(|r| &r[3] == "plan_zoom_rooms")
        .unwrap_or_else(|| panic!("no plan_zoom_rooms row"));
    assert_eq!(&rooms[10], "");
}

#[test]
fn prometheus_report_parses() {
    let output = run(meeting_usage().args(["report", "--sandbox", "--format", "prometheus"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let text = stdout(&output);
    let parsed = openmetrics_parser::prometheus::parse_prometheus(&text)
        .unwrap_or_else(|err| panic!("not the text format: {err:?}\n{text}"));
    for (name, family) in &parsed.families {
        assert_eq!(
            family.family_type,
            openmetrics_parser::PrometheusType::Gauge,
            "{name}"
        );
        assert!(!family.help.is_empty(), "{name} has no HELP");
    }
    let value = |family: &str, labels: &[(&str, &str)]| -> Option<f64> {
        parsed.families[family].iter_samples().find_map(|sample| {
            let set = sample.get_labelset().ok()?;
            labels
                .iter()
                .all(|(name, value)| set.get_label_value(name) == Some(value))
                .then(|| match &sample.value {
                    openmetrics_parser::PrometheusValue::Gauge(n) => n.as_f64(),
                    _ => f64::NAN,
                })
        })
    };
    let webinar = [
        ("vendor", "zoom"),
        ("account", ZOOM_ACCOUNT),
        ("product", "plan_webinar"),
        ("kind", "webinars"),
        ("plan", "webinar500_monthly"),
    ];
    assert_eq!(value("meeting_usage_seats_purchased", &webinar), Some(25.0));
    assert_eq!(value("meeting_usage_seats_used", &webinar), Some(18.0));
    assert_eq!(value("meeting_usage_seats_pending", &webinar), Some(1.0));
    let iq = [("product", "plan_zoom_iq")];
    assert_eq!(value("meeting_usage_seats_over_allocated", &iq), Some(1.0));
    assert_eq!(
        value(
            "meeting_usage_storage_used_bytes",
            &[("product", "RECORD"), ("kind", "recording_storage")]
        ),
        Some(39_590_000_000.0)
    );
    // Every seat and storage series names its kind.
    for (name, family) in &parsed.families {
        if !name.starts_with("meeting_usage_seats_") && !name.starts_with("meeting_usage_storage_")
        {
            continue;
        }
        for sample in family.iter_samples() {
            let kind = sample
                .get_labelset()
                .ok()
                .and_then(|set| set.get_label_value("kind").map(str::to_owned));
            assert!(kind.is_some_and(|k| !k.is_empty()), "{name} without kind");
        }
    }
    assert_eq!(
        value("meeting_usage_meetings_today", &[("vendor", "huawei")]),
        Some(4.0)
    );
    assert_eq!(
        value("meeting_usage_up", &[("vendor", "huawei")]),
        Some(1.0)
    );
    // The orgRes seed's confLength 57 (minutes), in the base unit.
    assert_eq!(
        value(
            "meeting_usage_meeting_duration_today_seconds",
            &[("vendor", "huawei")]
        ),
        Some(57.0 * 60.0)
    );
}

/// Whether `promtool` runs here (else the test is skipped, outside CI).
fn promtool_installed() -> bool {
    common::installed("promtool", "prometheus")
}

/// Prometheus's own linter, where installed (CI installs the Debian package `prometheus`):
/// the report and a fleet's report pass `promtool check metrics` without a complaint.
#[test]
fn prometheus_output_passes_promtool() {
    if !promtool_installed() {
        return;
    }
    let fleet = [
        "report",
        "--sandbox",
        "--vendor",
        "zoom",
        "--all-sub-accounts",
        "--max-rps",
        "100",
    ];
    for args in [&["report", "--sandbox"][..], &fleet[..]] {
        let output = run(meeting_usage().args(args).args(["--format", "prometheus"]));
        let complaints = promtool_complaints(&output.stdout);
        assert_eq!(complaints.as_deref(), Some(""), "{args:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Thresholds

#[test]
fn fail_on_over_exits_3() {
    let plain = run(meeting_usage().args(["report", "--sandbox", "--format", "json"]));
    assert_eq!(code(&plain), 0);

    let output =
        run(meeting_usage().args(["report", "--sandbox", "--fail-on-over", "--format", "json"]));
    assert_eq!(code(&output), 3, "stderr: {}", stderr(&output));
    // The report is still printed in full.
    assert_eq!(json(&output)["reports"].as_array().map(Vec::len), Some(3));
    let warnings = stderr(&output);
    assert!(
        warnings.contains(
            "zoom plan_zoom_iq (ziq_sales_monthly) is over-allocated: 28 used of 18 bought"
        ),
        "stderr: {warnings}"
    );

    // Huawei alone has nothing over-allocated.
    let huawei = run(meeting_usage().args([
        "report",
        "--sandbox",
        "--vendor",
        "huawei",
        "--fail-on-over",
    ]));
    assert_eq!(code(&huawei), 0, "stderr: {}", stderr(&huawei));
}

#[test]
fn warn_at_exits_3_at_or_above_the_threshold() {
    // The sandbox's highest utilisation is plan_zoom_iq's 28 / 18 = 156 %; several rows are
    // at exactly 100 %.
    let at = run(meeting_usage().args(["report", "--sandbox", "--warn-at", "100"]));
    assert_eq!(code(&at), 3, "stderr: {}", stderr(&at));
    assert!(stdout(&at).contains("WARN"));
    assert!(stderr(&at).contains("zoom plan_whiteboard_plus (zwb_plus_monthly) is at 100%"));

    let above = run(meeting_usage().args(["report", "--sandbox", "--warn-at", "157"]));
    assert_eq!(code(&above), 0, "stderr: {}", stderr(&above));

    let invalid = run(meeting_usage().args(["report", "--sandbox", "--warn-at", "lots"]));
    assert_eq!(code(&invalid), 2);
}

// ---------------------------------------------------------------------------------------------
// Configuration errors

#[test]
fn a_missing_credential_is_one_line_naming_the_variable() {
    let output = run(meeting_usage().args(["report", "--vendor", "zoom"]));
    assert_eq!(code(&output), 2);
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "stderr: {message}");
    for name in [
        "ZOOM_ACCOUNT_ID",
        "ZOOM_CLIENT_ID",
        "ZOOM_CLIENT_SECRET",
        "--sandbox",
    ] {
        assert!(message.contains(name), "{name} not named: {message}");
    }
    assert!(stdout(&output).is_empty());

    let partial = run(meeting_usage()
        .args(["report"])
        .env("HUAWEI_MEETING_APP_ID", HUAWEI_APP_ID));
    assert_eq!(code(&partial), 2);
    let message = stderr(&partial);
    assert!(
        message.contains("HUAWEI_MEETING_APP_KEY") && !message.contains("HUAWEI_MEETING_APP_ID,")
    );

    let nothing = run(meeting_usage().args(["report"]));
    assert_eq!(code(&nothing), 2);
    assert!(stderr(&nothing).contains("--sandbox"));

    let resources = run(meeting_usage().args(["huawei", "resources"]));
    assert_eq!(code(&resources), 2);
    assert!(stderr(&resources).contains("HUAWEI_MEETING_APP_ID"));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        vec!["report", "--format", "yaml"],
        vec!["report", "--vendor", "teams"],
        vec!["frobnicate"],
        vec!["zoom", "subscribe-addon", "--type", "x", "--hosts", "1"],
        vec![
            "zoom",
            "subscribe-addon",
            "--account",
            "me",
            "--type",
            "x",
            "--hosts",
            "0",
        ],
        vec![
            "zoom",
            "subscribe-addon",
            "--account",
            "me",
            "--type",
            "webinar500_monthly",
            "--hosts",
            "1",
            "--dry-run",
            "--yes",
        ],
    ] {
        let output = run(meeting_usage().args(&args));
        assert_eq!(code(&output), 2, "{args:?}: {}", stderr(&output));
    }
    let bad_url = run(meeting_usage()
        .args(["report", "--vendor", "zoom"])
        .env("ZOOM_ACCOUNT_ID", "a")
        .env("ZOOM_CLIENT_ID", "b")
        .env("ZOOM_CLIENT_SECRET", "c")
        .env("ZOOM_API_URL", "ftp://example.com"));
    assert_eq!(code(&bad_url), 2, "stderr: {}", stderr(&bad_url));
    let message = stderr(&bad_url);
    assert_eq!(message.lines().count(), 1, "stderr: {message}");
    assert!(message.ends_with('\n'), "stderr: {message:?}");
    assert!(message.starts_with("error: "), "stderr: {message}");
}

// ---------------------------------------------------------------------------------------------
// Vendor failures, against a sandbox of the test

#[test]
fn wrong_credentials_fail_that_vendor_only() {
    let sandbox = TestSandbox::start();
    let output = run(sandbox
        .command()
        .env("ZOOM_CLIENT_SECRET", "not-the-secret-4f1c")
        .args(["report", "--format", "json"]));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    let document = json(&output);
    assert_eq!(document["reports"].as_array().map(Vec::len), Some(1));
    assert_eq!(document["reports"][0]["vendor"], "huawei");
    let error = &document["errors"][0];
    assert_eq!(error["vendor"], "zoom");
    assert_eq!(error["operation"], "RequestAccessToken");
    for key in ["status", "code", "request_id", "message"] {
        assert!(error.get(key).is_some(), "error without `{key}`: {error}");
    }
    assert_eq!(error["code"], "invalid_client");
    let lines: Vec<String> = stderr(&output).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 1, "stderr: {lines:?}");
    assert!(
        lines[0].starts_with("error: zoom RequestAccessToken"),
        "{lines:?}"
    );
    assert!(lines[0].contains("invalid_client"), "{lines:?}");
    for text in [stdout(&output), stderr(&output)] {
        assert!(!text.contains("not-the-secret-4f1c"));
        assert!(!text.contains(HUAWEI_APP_KEY));
    }
    assert_no_issued_token(&output);

    let huawei = run(sandbox
        .command()
        .env("HUAWEI_MEETING_APP_KEY", "wrong-key")
        .args(["report", "--vendor", "huawei"]));
    assert_eq!(code(&huawei), 1, "stderr: {}", stderr(&huawei));
    assert!(
        stderr(&huawei).starts_with("error: huawei "),
        "{}",
        stderr(&huawei)
    );
    assert!(stdout(&huawei).is_empty());
}

#[test]
fn a_vendor_down_is_reported_and_the_other_still_printed() {
    let sandbox = TestSandbox::start();
    sandbox.fail("GetPlanUsage", 503, 5);
    let output = run(sandbox.command().args(["report", "--format", "json"]));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    let document = json(&output);
    assert_eq!(document["reports"][0]["vendor"], "huawei");
    let error = &document["errors"][0];
    assert_eq!(error["vendor"], "zoom");
    assert_eq!(error["operation"], "GetPlanUsage");
    assert_eq!(error["status"], 503);
    assert!(error["request_id"].is_string(), "{error}");
    let line = stderr(&output);
    assert_eq!(line.lines().count(), 1, "stderr: {line}");
    assert!(
        line.starts_with("error: zoom GetPlanUsage: ") && line.contains("HTTP 503"),
        "{line}"
    );
    let request_id = error["request_id"].as_str().unwrap_or_default();
    assert!(line.contains(request_id), "{line}");

    // The table still shows Huawei; Zoom's failure is on stderr only.
    sandbox.sandbox.clear_faults();
    sandbox.fail("ShowOrgRes", 500, 5);
    let table = run(sandbox.command().args(["report"]));
    assert_eq!(code(&table), 1, "stderr: {}", stderr(&table));
    assert!(stdout(&table).starts_with("zoom  account"));
    assert!(!stdout(&table).contains("huawei"));
    assert!(
        stderr(&table).starts_with("error: huawei ShowOrgRes"),
        "{}",
        stderr(&table)
    );
}

#[test]
fn an_unreachable_vendor_is_a_vendor_failure() {
    let sandbox = TestSandbox::start();
    // A port that was free a moment ago: nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|err| panic!("no port: {err}"));
    let output = run(sandbox
        .command()
        .env("HUAWEI_MEETING_API_URL", format!("http://{closed}"))
        .args(["report", "--format", "prometheus"]));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    let text = stdout(&output);
    openmetrics_parser::prometheus::parse_prometheus(&text)
        .unwrap_or_else(|err| panic!("not the text format: {err:?}\n{text}"));
    assert!(text.contains(&format!(
        "meeting_usage_up{{vendor=\"huawei\",account=\"{HUAWEI_APP_ID}\"}} 0"
    )));
    assert!(text.contains(&format!(
        "meeting_usage_up{{vendor=\"zoom\",account=\"{ZOOM_ACCOUNT}\"}} 1"
    )));
    assert!(stderr(&output).starts_with("error: huawei "));
}

// ---------------------------------------------------------------------------------------------
// The purchase guard

const ADDON: [&str; 8] = [
    "zoom",
    "subscribe-addon",
    "--account",
    "me",
    "--type",
    "webinar500_monthly",
    "--hosts",
    "18",
];

#[test]
fn dry_run_prints_the_body_and_sends_nothing() {
    let sandbox = TestSandbox::start();
    let output = run(sandbox.command().args(ADDON).arg("--dry-run"));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    assert_eq!(
        json(&output),
        json!({"hosts": 18, "type": "webinar500_monthly"})
    );
    assert!(stderr(&output).contains("nothing was sent"));

    let dated = run(sandbox.command().args(ADDON).args([
        "--service-effective-date",
        "2026-12-01",
        "--paid-period-start-date",
        "2026-12-15",
        "--dry-run",
    ]));
    assert_eq!(code(&dated), 0, "stderr: {}", stderr(&dated));
    let body = json(&dated);
    assert_eq!(body["service_effective_date"], "2026-12-01");
    assert_eq!(body["paid_period_start_date"], "2026-12-15");

    assert_eq!(sandbox.count("RequestAccessToken"), 0);
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 0);
}

#[test]
fn without_yes_nothing_is_sent() {
    let sandbox = TestSandbox::start();
    let output = run(sandbox.command().args(ADDON));
    assert_eq!(code(&output), 2);
    assert!(stdout(&output).is_empty());
    let message = stderr(&output);
    assert!(
        message.contains("--yes") && message.contains("nothing was sent"),
        "{message}"
    );
    assert_eq!(sandbox.count("RequestAccessToken"), 0);
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 0);

    // With --yes it is sent, once.
    let bought = run(sandbox.command().args(ADDON).arg("--yes"));
    assert_eq!(code(&bought), 0, "stderr: {}", stderr(&bought));
    assert!(json(&bought).is_object());
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 1);
}

#[test]
fn a_failed_purchase_is_not_repeated() {
    let sandbox = TestSandbox::start();
    sandbox.fail("SubscribeAccountToAnAdditionalPlan", 503, 3);
    let output = run(sandbox.command().args(ADDON).arg("--yes"));
    assert_eq!(code(&output), 1, "stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("SubscribeAccountToAnAdditionalPlan"));
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 1);
}

// ---------------------------------------------------------------------------------------------
// The other commands

#[test]
fn zoom_plans_and_huawei_resources() {
    let plans = run(meeting_usage().args(["zoom", "plans", "--sandbox"]));
    assert_eq!(code(&plans), 0, "stderr: {}", stderr(&plans));
    assert!(json(&plans)["plan_base"].is_object(), "{}", stdout(&plans));

    let resources =
        run(meeting_usage().args(["huawei", "resources", "--sandbox", "--format", "json"]));
    assert_eq!(code(&resources), 0, "stderr: {}", stderr(&resources));
    let list = json(&resources);
    assert_eq!(list[0]["id"], "res-0001");

    let table = run(meeting_usage().args(["huawei", "resources", "--sandbox", "--type", "VMR"]));
    assert_eq!(code(&table), 0, "stderr: {}", stderr(&table));
    assert!(stdout(&table).starts_with("TYPE "));
    assert!(stdout(&table).contains("res-0001"));

    let unknown =
        run(meeting_usage().args(["huawei", "resources", "--sandbox", "--type", "PIGEON"]));
    assert_eq!(code(&unknown), 2, "stderr: {}", stderr(&unknown));
}

// ---------------------------------------------------------------------------------------------
// Pipes, tracing, help

#[test]
fn a_closed_stdout_ends_quietly() {
    for format in ["table", "json", "csv", "prometheus"] {
        let mut child = meeting_usage()
            .args(["report", "--sandbox", "--format", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start: {err}"));
        // Close the reading end before anything is written, like `| head -0`.
        drop(child.stdout.take());
        let mut errors = String::new();
        if let Some(mut stderr) = child.stderr.take() {
            let _ = stderr.read_to_string(&mut errors);
        }
        let status = child
            .wait()
            .unwrap_or_else(|err| panic!("cannot wait: {err}"));
        assert_eq!(status.code(), Some(0), "{format}: {errors}");
        assert!(!errors.contains("panicked"), "{format}: {errors}");
        assert!(!errors.contains("error"), "{format}: {errors}");
    }
}

#[test]
fn verbose_traces_each_vendor_call_without_secrets() {
    let output = run(meeting_usage().args(["report", "--sandbox", "--verbose"]));
    assert_eq!(code(&output), 0);
    let log = stderr(&output);
    for operation in [
        "RequestAccessToken",
        "GetPlanUsage",
        "CreateAppIdToken",
        "ShowOrgRes",
        "ShowCorpResource",
        "SearchCorpResources",
    ] {
        let line = log
            .lines()
            .find(|l| {
                l.contains("vendor_call") && l.contains(&format!("operation=\"{operation}\""))
            })
            .unwrap_or_else(|| panic!("no trace of {operation}:\n{log}"));
        for field in ["status=200", "latency_ms=", "request_id="] {
            assert!(line.contains(field), "{field} missing: {line}");
        }
    }
    assert!(!log.contains(ZOOM_SECRET));
    assert!(!log.contains(HUAWEI_APP_KEY));
    assert!(!log.contains("\x1b["), "colour on a pipe");
    assert_no_issued_token(&output);

    // Against a sandbox of the test, in every format: no secret, and no token it issued.
    let sandbox = TestSandbox::start();
    for format in ["table", "json", "csv", "prometheus"] {
        let traced = run(sandbox
            .command()
            .args(["report", "--verbose", "--format", format]));
        assert_eq!(code(&traced), 0, "{format}: {}", stderr(&traced));
        assert!(stderr(&traced).contains("operation=\"RequestAccessToken\""));
        for text in [stdout(&traced), stderr(&traced)] {
            assert!(!text.contains(ZOOM_SECRET), "{format}");
            assert!(!text.contains(HUAWEI_APP_KEY), "{format}");
        }
        assert_no_issued_token(&traced);
    }

    let quiet = run(meeting_usage().args(["report", "--sandbox"]));
    assert!(!stderr(&quiet).contains("vendor_call"));
    let filtered = run(meeting_usage()
        .args(["report", "--sandbox", "--vendor", "zoom"])
        .env("RUST_LOG", "vendor_types=debug"));
    assert!(stderr(&filtered).contains("operation=\"GetPlanUsage\""));
}

#[test]
fn the_token_check_finds_tokens_and_spares_request_ids() {
    let token = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
    assert_eq!(token_like_runs(&format!("Bearer {token}."), &[]), [token]);
    assert_eq!(
        token_like_runs(&format!("x{token}ab"), &[]),
        [format!("{token}ab")]
    );
    for spared in [
        format!("status=200 request_id={token} latency_ms=3"),
        format!("request_id=\"{token}\""),
        format!("\"request_id\": \"{token}\","),
        format!("HTTP 503 [request id {token}]"),
        format!("account {HUAWEI_APP_ID}"),
        "abcdef0123".to_owned(),
    ] {
        assert!(
            token_like_runs(&spared, &[HUAWEI_APP_ID]).is_empty(),
            "{spared}"
        );
    }
}

#[test]
fn help_matches_the_golden_files() {
    for (name, args) in [
        ("help.txt", vec![]),
        ("help-report.txt", vec!["report"]),
        ("help-serve.txt", vec!["serve"]),
        ("help-zoom.txt", vec!["zoom"]),
        ("help-zoom-plans.txt", vec!["zoom", "plans"]),
        (
            "help-zoom-subscribe-addon.txt",
            vec!["zoom", "subscribe-addon"],
        ),
        ("help-huawei.txt", vec!["huawei"]),
        ("help-huawei-resources.txt", vec!["huawei", "resources"]),
    ] {
        let output = run(meeting_usage()
            .args(&args)
            .arg("--help")
            .env("ZOOM_CLIENT_SECRET", "hush-9d2e"));
        assert_eq!(code(&output), 0, "{args:?}: {}", stderr(&output));
        let text = stdout(&output);
        assert!(
            !text.contains("hush-9d2e"),
            "a secret in the help of {args:?}"
        );
        for line in text.lines() {
            assert!(
                line.chars().count() <= 100,
                "wider than 100 columns: {line}"
            );
        }
        assert_golden(&format!("help/{name}"), &text);
    }
}

/// `contrib/prometheus/alerts.yml`: valid (`promtool check rules`), its unit tests pass
/// (`promtool test rules`), and every metric it names is one the report writes (the report of
/// a sandbox whose resource list has an entry expiring in ten days, so that every family has
/// samples). Skipped where promtool is not installed; CI installs it.
#[test]
fn the_alerting_rules_check_pass_their_tests_and_name_real_metrics() {
    if !promtool_installed() {
        return;
    }
    let dir = crate_dir().join("../../contrib/prometheus");
    for args in [
        ["check", "rules", "alerts.yml"],
        ["test", "rules", "alerts.test.yml"],
    ] {
        let checked = std::process::Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|err| panic!("promtool does not start: {err}"));
        assert!(
            checked.status.success(),
            "promtool {args:?}: {}{}",
            stdout(&checked),
            stderr(&checked)
        );
    }

    let sandbox = TestSandbox::start();
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    let page = json!({"offset": 0, "limit": 100, "count": 1, "data": [
        {"id": "r-1", "type": "VMR", "count": 10, "status": 0,
         "expireDate": now_ms + 10 * 86_400_000}
    ]});
    sandbox
        .sandbox
        .inject(Fault {
            operation: Some("SearchCorpResources".into()),
            kind: FaultKind::Body { body: page },
            times: 1,
        })
        .unwrap_or_else(|err| panic!("fault refused: {err:?}"));
    let output =
        run(sandbox
            .command()
            .args(["report", "--vendor", "huawei", "--format", "prometheus"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let exported = stdout(&output);
    let zoom = run(meeting_usage().args(["report", "--sandbox", "--format", "prometheus"]));
    let exported = format!("{exported}{}", stdout(&zoom));
    let rules = read(&dir.join("alerts.yml"));
    let mut named: Vec<&str> = rules
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|word| word.starts_with("meeting_usage_"))
        .collect();
    named.sort_unstable();
    named.dedup();
    assert!(named.len() >= 5, "{named:?}");
    for name in named {
        assert!(
            exported.contains(&format!("\n{name}{{")),
            "{name} is not exported:\n{exported}"
        );
    }
}

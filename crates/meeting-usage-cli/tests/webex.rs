//! `meeting-usage --vendor webex` end to end, against a sandbox started here (its state, the
//! refresh tokens it issued and revoked, outlives each run of the binary): refresh-token
//! rotation across runs, the token file, two processes refreshing at once, a revoked refresh
//! token, a 429, every output format, and no token in any output.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use spec_sandbox::{Fault, FaultKind};

/// The integration of the spec's refresh example, seeded in the sandbox.
const CLIENT_ID: &str = "C3f6a2b19d0e4c87a5b1e9d24f70c6a3b8e1d5f92a4c07b6e3d8f1a5c2b9e4d70";
const CLIENT_SECRET: &str = "9WI-AlhnQK8LQnScQFaWH7bywUuogm1ynMZR3Fef5lEGiL4_zotvYq0kLOBBR3BV";
const REFRESH_TOKEN: &str = "hQUlcnQHvJ2WbKVckotJUMlJaJnGbK9z1FD3pb7jY8HkMtIkQS6XEfmkzq_ljjpj";

/// The binary configured for the sandbox's Webex integration only.
fn webex(sandbox: &TestSandbox, state: &Path) -> Command {
    let mut command = meeting_usage();
    command
        .env(
            "WEBEX_API_URL",
            sandbox.sandbox.base_url("spec/webex/admin.yaml"),
        )
        .env("WEBEX_CLIENT_ID", CLIENT_ID)
        .env("WEBEX_CLIENT_SECRET", CLIENT_SECRET)
        .env("WEBEX_REFRESH_TOKEN", REFRESH_TOKEN)
        .env("XDG_STATE_HOME", state)
        .args(["report", "--vendor", "webex"]);
    command
}

fn token_file(state: &Path) -> std::path::PathBuf {
    state.join("meeting-usage/webex-token.json")
}

fn stored(file: &Path) -> String {
    let value: serde_json::Value = serde_json::from_str(&read(file)).unwrap();
    value["refresh_token"].as_str().unwrap().to_owned()
}

/// No secret of the integration and nothing the sandbox issued is in stdout or stderr.
fn assert_no_secret(output: &std::process::Output, issued: &[&str]) {
    assert_no_issued_token(output);
    for (stream, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        for secret in [CLIENT_SECRET, REFRESH_TOKEN].iter().chain(issued) {
            assert!(!text.contains(secret), "{stream} holds a secret:\n{text}");
        }
    }
}

#[test]
fn the_refresh_token_rotates_into_the_state_file_and_the_old_one_is_refused() {
    let sandbox = TestSandbox::start();
    let state = tempfile::tempdir().unwrap();
    let file = token_file(state.path());

    let first = run(webex(&sandbox, state.path()).args(["--format", "json"]));
    assert_eq!(code(&first), 0, "stderr: {}", stderr(&first));
    assert_eq!(json(&first)["reports"][0]["vendor"], "webex");
    let rotated = stored(&file);
    assert_ne!(rotated, REFRESH_TOKEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    assert_no_secret(&first, &[&rotated]);

    // The second run reads the file (the configured token is no longer needed) and rotates
    // again.
    let second = run(webex(&sandbox, state.path()).env_remove("WEBEX_REFRESH_TOKEN"));
    assert_eq!(code(&second), 0, "stderr: {}", stderr(&second));
    let newest = stored(&file);
    assert_ne!(newest, rotated);
    assert_eq!(sandbox.count("RefreshAccessToken"), 2);
    assert_no_secret(&second, &[&rotated, &newest]);

    // A run left with the first run's token (revoked by the second refresh) stops with one
    // line telling what to do, exit 2, and prints no report.
    let stale = tempfile::tempdir().unwrap();
    let stale_file = token_file(stale.path());
    std::fs::create_dir_all(stale_file.parent().unwrap()).unwrap();
    std::fs::write(&stale_file, format!("{{\"refresh_token\":\"{rotated}\"}}")).unwrap();
    let refused = run(webex(&sandbox, stale.path()).env_remove("WEBEX_REFRESH_TOKEN"));
    assert_eq!(code(&refused), 2, "stderr: {}", stderr(&refused));
    assert_eq!(stdout(&refused), "");
    let line = stderr(&refused);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with(
            "error: webex RefreshAccessToken: the refresh token was refused (HTTP 400)"
        ),
        "{line}"
    );
    assert!(
        line.contains("authorize the integration again") && line.contains("WEBEX_REFRESH_TOKEN"),
        "{line}"
    );
    assert_no_secret(&refused, &[&rotated, &newest]);
    assert_eq!(stored(&file), newest, "the good file is untouched");
}

#[test]
fn two_processes_refreshing_at_once_keep_the_newest_token() {
    let sandbox = TestSandbox::start();
    let state = tempfile::tempdir().unwrap();
    let file = token_file(state.path());
    // An issued token (the seeded one is never revoked) in the file first.
    assert_eq!(code(&run(&mut webex(&sandbox, state.path()))), 0);
    // Without the lock, both would send the file's token and the second would be refused.
    let spawn = || {
        webex(&sandbox, state.path())
            .env_remove("WEBEX_REFRESH_TOKEN")
            .args(["--format", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    for child in [a, b] {
        let output = child.wait_with_output().unwrap();
        assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    }
    assert_eq!(sandbox.count("RefreshAccessToken"), 3);
    let last = run(webex(&sandbox, state.path()).env_remove("WEBEX_REFRESH_TOKEN"));
    assert_eq!(
        code(&last),
        0,
        "the stored token is the newest: {}",
        stderr(&last)
    );
    assert!(file.exists());
}

#[test]
fn a_429_is_waited_out_and_persistent_429s_fail_on_one_line() {
    let sandbox = TestSandbox::start();
    let state = tempfile::tempdir().unwrap();
    let limited = |times| Fault {
        operation: Some("ListLicenses".into()),
        kind: FaultKind::Status {
            status: 429,
            retry_after: Some(1),
        },
        times,
    };
    sandbox.sandbox.inject(limited(1)).unwrap();
    let waited = run(&mut webex(&sandbox, state.path()));
    assert_eq!(code(&waited), 0, "stderr: {}", stderr(&waited));
    assert_eq!(sandbox.count("ListLicenses"), 2);

    sandbox.sandbox.inject(limited(10)).unwrap();
    let failed = run(webex(&sandbox, state.path())
        .env_remove("WEBEX_REFRESH_TOKEN")
        .args(["--format", "json"]));
    assert_eq!(code(&failed), 1, "stderr: {}", stderr(&failed));
    let line = stderr(&failed);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("error: webex ListLicenses: rate limited (HTTP 429, retry after 1 s)"),
        "{line}"
    );
    assert!(line.contains("[request id "), "{line}");
    let error = &json(&failed)["errors"][0];
    assert_eq!(
        (error["vendor"].as_str(), error["status"].as_u64()),
        (Some("webex"), Some(429))
    );
    assert_no_secret(&failed, &[]);
}

#[test]
fn every_format_reports_webex() {
    let sandbox = TestSandbox::start();
    let state = tempfile::tempdir().unwrap();
    let table = run(&mut webex(&sandbox, state.path()));
    assert!(
        stdout(&table).starts_with("webex  account me  collected "),
        "{}",
        stdout(&table)
    );
    assert!(stdout(&table).contains("Meeting - Webex Enterpris…  meetings"));
    let csv = run(webex(&sandbox, state.path())
        .env_remove("WEBEX_REFRESH_TOKEN")
        .args(["--format", "csv"]));
    assert!(
        stdout(&csv)
            .lines()
            .any(|l| l.starts_with("webex,me,") && l.contains(",EE,meetings,")),
        "{}",
        stdout(&csv)
    );
    let metrics = run(webex(&sandbox, state.path())
        .env_remove("WEBEX_REFRESH_TOKEN")
        .args(["--format", "prometheus"]));
    assert!(
        stdout(&metrics).contains("vendor=\"webex\""),
        "{}",
        stdout(&metrics)
    );
    let document = run(webex(&sandbox, state.path())
        .env_remove("WEBEX_REFRESH_TOKEN")
        .args(["--format", "json"]));
    let ee = &json(&document)["reports"][0]["seats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["product"] == "EE")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            ee["purchased"].as_u64(),
            ee["used"].as_u64(),
            ee["site"].as_str()
        ),
        (Some(400), Some(312), Some("acme.webex.com"))
    );
    for output in [&table, &csv, &metrics, &document] {
        assert_eq!(code(output), 0, "stderr: {}", stderr(output));
        assert_no_secret(output, &[]);
    }
}

#[test]
fn the_sandbox_report_spans_three_vendors() {
    let output = run(meeting_usage().args(["report", "--sandbox", "--format", "json"]));
    assert_eq!(code(&output), 0, "stderr: {}", stderr(&output));
    let document = json(&output);
    let vendors: Vec<&str> = document["reports"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["vendor"].as_str())
        .collect();
    assert_eq!(vendors, ["zoom", "huawei", "webex"]);
    let meetings = document["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "meetings")
        .cloned()
        .unwrap();
    let contributors = meetings["products"].to_string();
    for vendor in ["zoom", "huawei", "webex"] {
        assert!(
            contributors.contains(&format!("\"{vendor}\"")),
            "{contributors}"
        );
    }
    assert_eq!(
        (meetings["purchased"].as_u64(), meetings["used"].as_u64()),
        (Some(725), Some(559))
    );
}

#[test]
fn missing_webex_credentials_name_the_variables() {
    let output = run(meeting_usage().args(["report", "--vendor", "webex"]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("WEBEX_ACCESS_TOKEN"),
        "{}",
        stderr(&output)
    );
    let output = run(meeting_usage()
        .env("WEBEX_CLIENT_ID", "id")
        .env("WEBEX_CLIENT_SECRET", "s")
        .env("WEBEX_TOKEN_FILE", "/nonexistent/t.json")
        .args(["report", "--vendor", "webex"]));
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("WEBEX_REFRESH_TOKEN"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_token_file_that_is_not_one_stops_the_run_with_status_2_and_stays_as_it_was() {
    let sandbox = TestSandbox::start();
    let state = tempfile::tempdir().unwrap();
    let file = token_file(state.path());
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "not json").unwrap();
    let output = run(&mut webex(&sandbox, state.path()));
    assert_eq!(code(&output), 2, "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "");
    let line = stderr(&output);
    assert_eq!(line.lines().count(), 1, "{line}");
    assert!(
        line.starts_with("error: webex: the Webex token file ")
            && line.contains("is not a token file"),
        "{line}"
    );
    assert_eq!(
        read(&file),
        "not json",
        "the file is left for the user to look at"
    );
    assert_eq!(
        sandbox.count("RefreshAccessToken"),
        0,
        "no refresh token was spent"
    );
    assert_no_secret(&output, &[]);
}

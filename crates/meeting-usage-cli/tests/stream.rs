//! Fleet runs at scale: `--format jsonl` written as accounts are answered, `--resume` after a
//! kill, SIGINT and SIGTERM, and a reader that goes away. Against a sandbox of the test with a
//! generated fleet (the client paces at Pro's 10 plan-usage calls a second).

mod common;

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use spec_sandbox::FleetConfig;

/// A sandbox of the test serving a fleet of `accounts` generated accounts.
fn fleet_sandbox(accounts: usize) -> (TestSandbox, FleetConfig) {
    let sandbox = TestSandbox::start();
    let fleet = FleetConfig::new(accounts, 21);
    sandbox
        .sandbox
        .set_fleet(Some(fleet.clone()))
        .unwrap_or_else(|err| panic!("no fleet: {err}"));
    (sandbox, fleet)
}

/// The fleet's ids in list order.
fn ids(fleet: &FleetConfig) -> Vec<String> {
    (0..fleet.accounts).map(|p| fleet.account_id(p)).collect()
}

/// `report --all-sub-accounts --format jsonl` of the sandbox, stdout to `file`.
fn jsonl_run(sandbox: &TestSandbox, file: &std::path::Path, extra: &[&str]) -> Command {
    let mut command = sandbox.command();
    command
        .args(["report", "--all-sub-accounts", "--format", "jsonl"])
        .args(extra)
        .stdout(std::fs::File::create(file).unwrap_or_else(|err| panic!("{err}")))
        .stderr(Stdio::piped());
    command
}

/// Every line of a jsonl file parsed; panics on a line that is not one complete JSON object.
fn lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(text.is_empty() || text.ends_with('\n'), "a cut-off line");
    text.lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|err| panic!("not JSON ({err}): {line}"))
        })
        .collect()
}

/// Waits until `path` has at least `n` lines (the run is under way), within 20 s.
fn wait_for_lines(path: &std::path::Path, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .count()
        < n
    {
        assert!(
            Instant::now() < deadline,
            "the run wrote fewer than {n} lines"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -{name}");
}

fn finish(child: Child) -> (i32, String) {
    let output = child
        .wait_with_output()
        .unwrap_or_else(|err| panic!("{err}"));
    (code(&output), stderr(&output))
}

#[test]
fn jsonl_is_one_complete_entry_per_account_in_any_order() {
    let (sandbox, fleet) = fleet_sandbox(30);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = dir.path().join("fleet.jsonl");
    let child = jsonl_run(&sandbox, &file, &["--max-rps", "200", "--concurrency", "8"])
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let (status, said) = finish(child);
    assert_eq!(status, 0, "{said}");
    let entries = lines(&file);
    let seen: BTreeSet<String> = entries
        .iter()
        .map(|e| e["account_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(seen, ids(&fleet).into_iter().collect(), "each account once");
    assert_eq!(entries.len(), 30);
    for entry in &entries {
        // The same object as an entry of the JSON document's `accounts`.
        assert!(entry["report"]["seats"].is_array(), "{entry}");
        assert_eq!(entry["error"], Value::Null);
        assert_eq!(entry["report"]["account"], entry["account_id"]);
    }
}

#[test]
fn a_killed_run_resumes_with_every_account_once_and_a_cut_off_line_dropped() {
    let (sandbox, fleet) = fleet_sandbox(45);
    // The first account asked fails: its line records the failure, and resuming asks again.
    sandbox.fail("GetPlanUsage", 404, 1);
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = dir.path().join("fleet.jsonl");
    let mut child = jsonl_run(&sandbox, &file, &["--concurrency", "4"])
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    wait_for_lines(&file, 10);
    let _ = child.kill(); // SIGKILL: no clean-up at all
    let _ = child.wait();
    let before = lines(&file);
    assert!(before.len() < 45, "the run finished before the kill");
    let failed = before.iter().filter(|e| e["error"] != Value::Null).count();
    assert_eq!(failed, 1, "the injected failure is in the file");
    // A kill in the middle of a write leaves half a line: simulate it.
    let mut text = std::fs::read_to_string(&file).unwrap_or_default();
    text.push_str("{\"account_id\":\"");
    text.push_str(&fleet.account_id(44));
    text.push_str("\",\"account_name\":\"Fleet sub acc");
    std::fs::write(&file, text).unwrap_or_else(|err| panic!("{err}"));
    let calls_before = sandbox.count("GetPlanUsage");

    let mut resume = sandbox.command();
    resume
        .args([
            "report",
            "--all-sub-accounts",
            "--format",
            "jsonl",
            "--resume",
        ])
        .arg(&file);
    let output = run(&mut resume);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "the lines go to the file");
    let said = stderr(&output);
    let answered = before.len() - failed;
    assert!(
        said.contains(&format!("resuming: {answered} answered accounts"))
            && said.contains("1 failed one is asked again")
            && said.contains("cut-off last line was dropped"),
        "{said}"
    );
    let after = lines(&file);
    let seen: Vec<String> = after
        .iter()
        .map(|e| e["account_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    let distinct: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(seen.len(), 45, "every account once");
    assert_eq!(distinct.len(), 45);
    assert!(
        after.iter().all(|e| e["error"] == Value::Null),
        "the failed one was retried"
    );
    assert_eq!(
        sandbox.count("GetPlanUsage") - calls_before,
        u64::try_from(45 - answered).unwrap_or(0),
        "only the accounts not answered were asked"
    );
}

#[test]
fn sigint_and_sigterm_stop_with_complete_lines_130_and_143() {
    for (name, expected) in [("INT", 130), ("TERM", 143)] {
        let (sandbox, _) = fleet_sandbox(60);
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let file = dir.path().join("fleet.jsonl");
        let child = jsonl_run(&sandbox, &file, &[])
            .spawn()
            .unwrap_or_else(|err| panic!("{err}"));
        wait_for_lines(&file, 5);
        signal(&child, name);
        let sent = Instant::now();
        let (status, said) = finish(child);
        assert_eq!(status, expected, "{said}");
        assert!(
            sent.elapsed() < Duration::from_secs(10),
            "{:?}",
            sent.elapsed()
        );
        let written = lines(&file).len();
        assert!(written < 60, "stopped early: {written}");
        assert!(
            said.contains(&format!("SIG{name}: stopping"))
                && said.contains(&format!(
                    "interrupted by SIG{name}: {written} accounts written"
                ))
                && said.contains("--resume"),
            "{said}"
        );
        // What was not written was not asked either (apart from the calls in flight).
        let asked = usize::try_from(sandbox.count("GetPlanUsage")).unwrap_or(0);
        assert_eq!(asked, written, "an account was asked but not written");
    }
}

#[test]
fn a_reader_that_goes_away_gets_only_whole_lines() {
    let (sandbox, _) = fleet_sandbox(40);
    let mut child = sandbox
        .command()
        .args([
            "report",
            "--all-sub-accounts",
            "--format",
            "jsonl",
            "--max-rps",
            "100",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("{err}"));
    let stdout = child.stdout.take().unwrap_or_else(|| unreachable!());
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    let _ = reader.read_line(&mut first);
    drop(reader); // like `| head -1`
    let mut said = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut said);
    }
    let status = child.wait().unwrap_or_else(|err| panic!("{err}"));
    assert!(first.ends_with('\n'));
    let entry: Value = serde_json::from_str(&first).unwrap_or_default();
    assert!(entry["account_id"].is_string(), "{first}");
    assert!(!said.contains("cannot write"), "{said}");
    assert!(status.code().is_some(), "ended by a signal: {status:?}");
    // It stopped asking once nobody read.
    assert!(sandbox.count("GetPlanUsage") < 40);
}

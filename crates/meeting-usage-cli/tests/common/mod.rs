//! Helpers of the command-line tests: the binary with a clean environment, a sandbox in the
//! test process, and golden files.

#![allow(dead_code, reason = "each test file uses a different part")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use spec_sandbox::{Fault, FaultKind, RunningSandbox, Sandbox, SandboxConfig};

/// The binary under test, with an empty environment: no credentials, no `NO_COLOR`, no
/// `RUST_LOG`, no `COLUMNS`, so that only what a test sets applies.
pub fn meeting_usage() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_meeting-usage"));
    command.env_clear();
    command
}

/// Runs `command` and returns its output.
pub fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|err| panic!("cannot run meeting-usage: {err}"))
}

/// The exit status of a finished run (`-1` when ended by a signal).
pub fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Stdout parsed as JSON.
pub fn json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "stdout is not JSON ({err}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// A sandbox in the test process, on its own runtime so that tests can block on the child
/// process while it serves.
pub struct TestSandbox {
    /// The sandbox (dropped before the runtime).
    pub sandbox: RunningSandbox,
    _runtime: tokio::runtime::Runtime,
}

/// The sandbox's Zoom account, client and secret, and Huawei App ID and key.
pub const ZOOM_ACCOUNT: &str = "kKPjoUQnTVGY0D8fXtmqUg";
pub const ZOOM_CLIENT: &str = "sandbox-client-id";
pub const ZOOM_SECRET: &str = "sandbox-client-secret";
pub const HUAWEI_APP_ID: &str = "fdb8e4699586458bbd10c834872dcc62";
pub const HUAWEI_APP_KEY: &str = "test-app-key";

impl TestSandbox {
    /// Starts a sandbox on a free loopback port.
    pub fn start() -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap_or_else(|err| panic!("no runtime: {err}"));
        let sandbox = runtime
            .block_on(Sandbox::start(
                SandboxConfig::default(),
                "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()),
            ))
            .unwrap_or_else(|err| panic!("the sandbox does not start: {err}"));
        TestSandbox {
            sandbox,
            _runtime: runtime,
        }
    }

    /// The binary, configured with the sandbox's URLs and correct credentials for both vendors.
    pub fn command(&self) -> Command {
        let mut command = meeting_usage();
        command
            .env(
                "ZOOM_API_URL",
                self.sandbox.base_url("spec/zoom/billing-plans.yaml"),
            )
            .env(
                "ZOOM_OAUTH_URL",
                self.sandbox.base_url("spec/zoom/oauth.yaml"),
            )
            .env("ZOOM_ACCOUNT_ID", ZOOM_ACCOUNT)
            .env("ZOOM_CLIENT_ID", ZOOM_CLIENT)
            .env("ZOOM_CLIENT_SECRET", ZOOM_SECRET)
            .env(
                "HUAWEI_MEETING_API_URL",
                self.sandbox.base_url("spec/huawei/meeting.yaml"),
            )
            .env("HUAWEI_MEETING_APP_ID", HUAWEI_APP_ID)
            .env("HUAWEI_MEETING_APP_KEY", HUAWEI_APP_KEY);
        command
    }

    /// Requests that reached `operation` so far.
    pub fn count(&self, operation: &str) -> u64 {
        self.sandbox.count(operation)
    }

    /// Makes the next `times` calls of `operation` answer HTTP `status` (no `Retry-After`).
    pub fn fail(&self, operation: &str, status: u16, times: u32) {
        let fault = Fault {
            operation: Some(operation.into()),
            kind: FaultKind::Status {
                status,
                retry_after: None,
            },
            times,
        };
        self.sandbox
            .inject(fault)
            .unwrap_or_else(|err| panic!("fault refused: {err:?}"));
    }
}

/// The crate's directory.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `actual` with the golden file `tests/data/<name>`; with `UPDATE_GOLDEN=1` in the
/// environment, writes `actual` there instead.
pub fn assert_golden(name: &str, actual: &str) {
    let path = crate_dir().join("tests/data").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .unwrap_or_else(|err| panic!("cannot create {}: {err}", dir.display()));
        }
        std::fs::write(&path, actual)
            .unwrap_or_else(|err| panic!("cannot write {}: {err}", path.display()));
        return;
    }
    let expected = read(&path);
    if expected != actual {
        panic!(
            "{} differs from the output (run with UPDATE_GOLDEN=1 after an intended change)\n\
             --- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        );
    }
}

/// A file's text.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

/// Labels after which a run of hex characters is a vendor's request id, not a secret: the
/// `--verbose` trace (`request_id=...`), the JSON `errors` entries and the error lines.
const REQUEST_ID_LABELS: [&str; 4] = [
    "request_id=",
    "request_id=\"",
    "\"request_id\": \"",
    "request id ",
];

/// Runs of 32 or more lower-case hex characters in `text` that are neither a request id (after
/// one of [`REQUEST_ID_LABELS`]) nor one of `allowed`. The sandbox issues every token as 32
/// random lower-case hex characters, so such a run is a token that leaked.
pub fn token_like_runs(text: &str, allowed: &[&str]) -> Vec<String> {
    let hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut start = 0;
    while start < bytes.len() {
        if !hex(bytes[start]) {
            start += 1;
            continue;
        }
        let end = start + bytes[start..].iter().take_while(|&&b| hex(b)).count();
        let run = &text[start..end];
        let before = &text[..start];
        let request_id = REQUEST_ID_LABELS.iter().any(|l| before.ends_with(l));
        if run.len() >= 32 && !request_id && !allowed.contains(&run) {
            found.push(run.to_owned());
        }
        start = end;
    }
    found
}

/// Asserts that neither stdout nor stderr of `output` holds a token the sandbox could have
/// issued (see [`token_like_runs`]); the Huawei App ID of the sandbox is 32 hex characters
/// too, and is no secret.
pub fn assert_no_issued_token(output: &Output) {
    for (stream, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        let runs = token_like_runs(&text, &[HUAWEI_APP_ID]);
        assert!(
            runs.is_empty(),
            "{stream} holds token-like {runs:?}:\n{text}"
        );
    }
}

/// Says that a test is skipped because `what` is missing (a tool our users run, which CI
/// installs), or fails it when `MEETING_USAGE_REQUIRE_TOOLS=1` is set, as `.ci/run` sets it:
/// CI never skips.
pub fn skip_without(what: &str) {
    if std::env::var_os("MEETING_USAGE_REQUIRE_TOOLS").is_some_and(|v| v == "1") {
        panic!("{what} is missing, and MEETING_USAGE_REQUIRE_TOOLS=1 forbids skipping");
    }
    eprintln!("skipped: {what} is missing");
}

/// Whether `tool --version` runs here; else the test is skipped ([`skip_without`]).
pub fn installed(tool: &str, package: &str) -> bool {
    let runs = Command::new(tool).arg("--version").output().is_ok();
    if !runs {
        skip_without(&format!("`{tool}` (Debian package `{package}`)"));
    }
    runs
}

/// Prometheus's linter on an exposition text: `Some(complaints)` (empty when it has none and
/// succeeds), or `None` where `promtool` is missing ([`installed`] says so, or fails in CI).
pub fn promtool_complaints(text: &[u8]) -> Option<String> {
    use std::io::Write as _;
    use std::process::Stdio;
    if !installed("promtool", "prometheus") {
        return None;
    }
    let mut promtool = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("promtool does not start: {err}"));
    if let Some(mut stdin) = promtool.stdin.take() {
        stdin
            .write_all(text)
            .unwrap_or_else(|err| panic!("promtool's stdin: {err}"));
    }
    let checked = promtool
        .wait_with_output()
        .unwrap_or_else(|err| panic!("promtool: {err}"));
    let mut complaints = format!("{}{}", stdout(&checked), stderr(&checked));
    if !checked.status.success() && complaints.trim().is_empty() {
        complaints = format!("promtool failed: {}", checked.status);
    }
    Some(complaints.trim().to_owned())
}

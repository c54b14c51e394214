//! `meeting-usage serve`, the exporter, as a process: against a sandbox in the test process
//! (whose request log counts every vendor call), or with `--sandbox`; and scraped by a real
//! Prometheus (Debian package `prometheus`; skipped where it is missing, never in CI).

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::*;

/// A running exporter: the child process, the address it printed, and its stderr so far.
struct Exporter {
    child: Child,
    addr: SocketAddr,
    lines: mpsc::Receiver<String>,
    stderr: Vec<String>,
}

impl Exporter {
    /// Starts `command` (a configured `meeting-usage`) as `serve --listen 127.0.0.1:0` with
    /// `args`, and waits for its `listening on` line.
    fn start(mut command: Command, args: &[&str]) -> Exporter {
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start meeting-usage serve: {err}"));
        let stderr = child.stderr.take().unwrap_or_else(|| unreachable!());
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut exporter = Exporter {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            lines,
            stderr: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let Ok(line) = exporter.lines.recv_timeout(Duration::from_millis(100)) else {
                continue;
            };
            let addr = line
                .strip_prefix("listening on http://")
                .and_then(|a| a.parse().ok());
            exporter.stderr.push(line);
            if let Some(addr) = addr {
                exporter.addr = addr;
                return exporter;
            }
        }
        panic!("no `listening on` line: {:?}", exporter.stderr);
    }

    /// Stderr so far.
    fn stderr(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.stderr.push(line);
        }
        self.stderr.join("\n")
    }

    /// `/metrics` once the last collection satisfies `ready`, within `within`.
    fn metrics_when(&mut self, within: Duration, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + within;
        loop {
            let (status, body) = get(self.addr, "/metrics");
            assert_eq!(status, 200, "{body}");
            if ready(&body) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "the exporter never served what the test waits for:\n{body}\nstderr:\n{}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Sends `signal` and returns the exit status and how long the exporter took to exit.
    fn stop(&mut self, signal: &str) -> (i32, Duration) {
        let sent = Instant::now();
        let killed = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        assert!(killed.is_ok_and(|s| s.success()), "kill -{signal} failed");
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return (status.code().unwrap_or(-1), sent.elapsed());
            }
            assert!(
                sent.elapsed() < Duration::from_secs(10),
                "the exporter ignores {signal}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request with `Connection: close`: the status and the body.
fn request(addr: SocketAddr, method: &str, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap_or_else(|err| panic!("connect: {err}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(head.as_bytes())
        .unwrap_or_else(|err| panic!("write: {err}"));
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"));
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default();
    (status, body)
}

fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    request(addr, "GET", path)
}

/// The value of the one sample of `series` (its name and labels exactly as written).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

/// Whether any sample of `family` has `label` in its labels.
fn has_series(text: &str, family: &str, label: &str) -> bool {
    text.lines()
        .any(|line| line.starts_with(&format!("{family}{{")) && line.contains(label))
}

const ZOOM: &str = "vendor=\"zoom\",account=\"kKPjoUQnTVGY0D8fXtmqUg\"";
const HUAWEI: &str = "vendor=\"huawei\",account=\"fdb8e4699586458bbd10c834872dcc62\"";
const PLAN_BASE: &str = "product=\"plan_base\",kind=\"meetings\",plan=\"yearly\"";

/// Every request the sandbox has logged.
fn vendor_calls(sandbox: &TestSandbox) -> usize {
    sandbox.sandbox.requests().len()
}

#[test]
fn scrapes_read_the_last_collection_and_never_call_a_vendor() {
    let sandbox = TestSandbox::start();
    let mut exporter = Exporter::start(sandbox.command(), &["--interval", "1h"]);
    let text = exporter.metrics_when(Duration::from_secs(20), |t| {
        t.contains("meeting_usage_last_success_timestamp_seconds{vendor=\"huawei\"")
    });
    // The seed's figures, the exporter's own gauges for both vendors, nothing of Webex
    // (not configured).
    let zoom_base = |family: &str| sample(&text, &format!("{family}{{{ZOOM},{PLAN_BASE}}}"));
    assert_eq!(zoom_base("meeting_usage_seats_purchased"), Some(75.0));
    assert_eq!(zoom_base("meeting_usage_seats_used"), Some(44.0));
    for target in [ZOOM, HUAWEI] {
        assert_eq!(
            sample(&text, &format!("meeting_usage_up{{{target}}}")),
            Some(1.0)
        );
        let took = sample(
            &text,
            &format!("meeting_usage_collection_duration_seconds{{{target}}}"),
        );
        assert!(took.is_some_and(|s| (0.0..20.0).contains(&s)), "{text}");
        let last = sample(
            &text,
            &format!("meeting_usage_last_success_timestamp_seconds{{{target}}}"),
        );
        assert!(last.is_some_and(|t| t > 1.7e9), "{text}");
    }
    assert!(!text.contains("vendor=\"webex\""));
    let participants = sample(
        &text,
        &format!("meeting_usage_concurrent_participants{{{HUAWEI}}}"),
    );
    assert_eq!(participants, Some(1.0));

    // Prometheus's linter has nothing to say about the exporter's gauges either.
    if let Some(complaints) = promtool_complaints(text.as_bytes()) {
        assert_eq!(complaints, "", "promtool check metrics");
    }

    // 200 scrapes in a row (and the other endpoints): not one vendor call more.
    let calls = vendor_calls(&sandbox);
    assert!(
        calls >= 3,
        "one collection: a token, Zoom's usage, Huawei's resources"
    );
    for _ in 0..200 {
        let (status, again) = get(exporter.addr, "/metrics");
        assert_eq!(status, 200);
        assert_eq!(again, text, "a scrape serves the last collection as it is");
    }
    let (status, health) = get(exporter.addr, "/healthz");
    assert_eq!((status, health.as_str()), (200, "ok\n"));
    let (status, index) = get(exporter.addr, "/");
    assert_eq!(status, 200);
    assert!(index.contains("<a href=\"metrics\">") && index.contains("kKPjoUQnTVGY0D8fXtmqUg"));
    assert_eq!(get(exporter.addr, "/metrics/extra").0, 404);
    assert_eq!(request(exporter.addr, "POST", "/metrics").0, 405);
    assert_eq!(request(exporter.addr, "HEAD", "/metrics").0, 200);
    // As Prometheus asks for it: gzip, the same text once unpacked.
    let mut stream = TcpStream::connect(exporter.addr).unwrap_or_else(|err| panic!("{err}"));
    let _ = stream.write_all(
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
    );
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n");
    let (head, body) = answer.split_at(split.map_or(0, |at| at + 4));
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    assert!(head.contains("content-encoding: gzip"), "{head}");
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(body)
        .read_to_string(&mut unpacked)
        .unwrap_or_else(|err| panic!("not gzip: {err}"));
    assert_eq!(unpacked, text);
    assert_eq!(vendor_calls(&sandbox), calls, "a scrape called a vendor");

    // A header that never ends is bounded: the connection is closed with an error, the
    // exporter goes on serving.
    let mut stream = TcpStream::connect(exporter.addr).unwrap_or_else(|err| panic!("{err}"));
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.write_all(b"GET /metrics HTTP/1.1\r\nX-Long: ");
    let filler = vec![b'a'; 128 * 1024];
    let _ = stream.write_all(&filler);
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    assert_eq!(get(exporter.addr, "/healthz").0, 200);

    let (code, took) = exporter.stop("TERM");
    assert_eq!(code, 0, "{}", exporter.stderr());
    assert!(took < Duration::from_secs(2), "SIGTERM took {took:?}");
    let stderr = exporter.stderr();
    assert!(!stderr.contains(ZOOM_SECRET) && !stderr.contains(HUAWEI_APP_KEY));
}

#[test]
fn a_failed_collection_drops_the_usage_series_and_keeps_the_last_success() {
    let sandbox = TestSandbox::start();
    let mut exporter =
        Exporter::start(sandbox.command(), &["--interval", "1s", "--vendor", "zoom"]);
    let last_success = format!("meeting_usage_last_success_timestamp_seconds{{{ZOOM}}}");
    let text = exporter.metrics_when(Duration::from_secs(20), |t| t.contains(&last_success));
    let good = sample(&text, &last_success);
    sandbox.fail("GetPlanUsage", 404, 1000);
    let up = format!("meeting_usage_up{{{ZOOM}}}");
    let failed = exporter.metrics_when(Duration::from_secs(20), |t| sample(t, &up) == Some(0.0));
    assert!(
        !has_series(&failed, "meeting_usage_seats_used", "vendor=\"zoom\""),
        "stale usage series of a failed collection:\n{failed}"
    );
    assert_eq!(
        sample(&failed, &last_success),
        good,
        "the last success stays when a collection fails"
    );
    assert!(has_series(
        &failed,
        "meeting_usage_collection_duration_seconds",
        "vendor=\"zoom\""
    ));
    sandbox.sandbox.clear_faults();
    let back = exporter.metrics_when(Duration::from_secs(20), |t| sample(t, &up) == Some(1.0));
    assert!(has_series(
        &back,
        "meeting_usage_seats_used",
        "vendor=\"zoom\""
    ));
    assert!(sample(&back, &last_success) > good);
    let stderr = exporter.stderr();
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: ") && l.contains("404")),
        "a failed collection says so on stderr: {stderr}"
    );
    let (code, took) = exporter.stop("INT");
    assert_eq!(code, 0);
    assert!(took < Duration::from_secs(2), "SIGINT took {took:?}");
}

#[test]
fn a_fleet_exports_totals_and_each_accounts_up() {
    let mut exporter = Exporter::start(
        meeting_usage(),
        &[
            "--sandbox",
            "--all-sub-accounts",
            "--rate-tier",
            "business-plus",
            "--interval",
            "1h",
        ],
    );
    let text = exporter.metrics_when(Duration::from_secs(30), |t| {
        t.contains("meeting_usage_fleet_seats_used")
    });
    let up: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("meeting_usage_up{"))
        .collect();
    assert_eq!(up.len(), 40, "one `up` per sub account: {up:?}");
    assert_eq!(up.iter().filter(|l| l.ends_with(" 0")).count(), 1);
    assert!(
        !text.contains("meeting_usage_seats_used{"),
        "per-account usage only with --per-account-metrics"
    );
    let successes: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("meeting_usage_last_success_timestamp_seconds{"))
        .collect();
    assert_eq!(
        successes.len(),
        1,
        "the fleet's, and none for the account that never answered: {successes:?}"
    );
    assert!(successes[0].contains(&format!("account=\"{ZOOM_ACCOUNT}\"")));
    drop(exporter);

    let mut exporter = Exporter::start(
        meeting_usage(),
        &[
            "--sandbox",
            "--all-sub-accounts",
            "--rate-tier",
            "business-plus",
            "--per-account-metrics",
        ],
    );
    let text = exporter.metrics_when(Duration::from_secs(30), |t| {
        t.contains("meeting_usage_fleet_seats_used")
    });
    let accounts: std::collections::BTreeSet<&str> = text
        .lines()
        .filter(|l| l.starts_with("meeting_usage_seats_used{"))
        .filter_map(|l| l.split("account=\"").nth(1)?.split('"').next())
        .collect();
    assert_eq!(accounts.len(), 39);
}

#[test]
fn an_interval_shorter_than_the_fleets_floor_is_refused_with_the_figure() {
    // The sandbox's fleet: 40 accounts at Pro's HEAVY 10/s (paced at 9.5/s) take 4.1 s.
    let output = run(meeting_usage().args([
        "serve",
        "--sandbox",
        "--all-sub-accounts",
        "--interval",
        "2s",
    ]));
    assert_eq!(code(&output), 2);
    let said = stderr(&output);
    assert!(
        said.contains("--interval 2 s") && said.contains("40 accounts") && said.contains("4.1 s"),
        "{said}"
    );
    assert!(!said.contains("listening on"), "{said}");

    // A file of 100 ids at 10 calls a second: 10.4 s, refused before any call.
    let sandbox = TestSandbox::start();
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let file = dir.path().join("accounts.txt");
    let ids: String = (0..100).map(|n| format!("account-{n}\n")).collect();
    std::fs::write(&file, ids).unwrap_or_else(|err| panic!("{err}"));
    let output = run(sandbox.command().args([
        "serve",
        "--accounts-file",
        &file.display().to_string(),
        "--max-rps",
        "10",
        "--interval",
        "5s",
    ]));
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(stderr(&output).contains("10.4 s"), "{}", stderr(&output));
    assert_eq!(vendor_calls(&sandbox), 0);
}

#[test]
fn a_busy_port_is_one_line_and_status_2_and_the_default_is_loopback() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|err| panic!("{err}"));
    let addr = taken.local_addr().unwrap_or_else(|err| panic!("{err}"));
    let output = run(meeting_usage().args(["serve", "--sandbox", "--listen", &addr.to_string()]));
    assert_eq!(code(&output), 2);
    let errors: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{}", stderr(&output));
    assert!(errors[0].contains(&format!("cannot listen on {addr}")));

    let help = stdout(&run(meeting_usage().args(["serve", "--help"])));
    assert!(help.contains("[default: 127.0.0.1:10091]"), "{help}");
    assert!(help.contains("MEETING_USAGE_INTERVAL"), "{help}");
}

/// The whole way a user runs it: `serve --sandbox`, scraped by a real Prometheus, queried
/// through its HTTP API.
#[test]
fn a_real_prometheus_scrapes_the_seed_figures() {
    if !installed("prometheus", "prometheus") {
        return;
    }
    let mut exporter = Exporter::start(meeting_usage(), &["--sandbox", "--interval", "1h"]);
    exporter.metrics_when(Duration::from_secs(20), |t| t.contains("meeting_usage_up"));
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let config = dir.path().join("prometheus.yml");
    let scrape = format!(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: meeting-usage\n    static_configs:\n      - targets: ['{}']\n",
        exporter.addr
    );
    std::fs::write(&config, scrape).unwrap_or_else(|err| panic!("{err}"));
    // A free port for Prometheus's API: picked here, released, then given to it.
    let api = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap_or_else(|err| panic!("{err}"));
    let log = std::fs::File::create(dir.path().join("prometheus.log"))
        .unwrap_or_else(|err| panic!("{err}"));
    let prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={api}"))
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|err| panic!("prometheus does not start: {err}"));
    let _prometheus = KillOnDrop(prometheus);
    let query = |promql: &str| -> Vec<(serde_json::Value, f64)> {
        let encoded: String = promql
            .bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect();
        let Ok(mut stream) = TcpStream::connect(api) else {
            return Vec::new();
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
        let head = format!(
            "GET /api/v1/query?query={encoded} HTTP/1.1\r\nHost: {api}\r\nConnection: close\r\n\r\n"
        );
        let _ = stream.write_all(head.as_bytes());
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
        let value: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
        value["data"]["result"]
            .as_array()
            .map(|results| {
                results
                    .iter()
                    .map(|r| {
                        let number = r["value"][1].as_str().and_then(|v| v.parse().ok());
                        (r["metric"].clone(), number.unwrap_or(f64::NAN))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let base = "{vendor=\"zoom\",product=\"plan_base\"}";
    let bought = loop {
        let found = query(&format!("meeting_usage_seats_purchased{base}"));
        if !found.is_empty() {
            break found;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never scraped the exporter: {}",
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(250));
    };
    assert_eq!(bought.len(), 1);
    assert_eq!(bought[0].1, 75.0);
    assert_eq!(bought[0].0["kind"], "meetings");
    assert_eq!(
        bought[0].0["job"], "meeting-usage",
        "Prometheus's own labels"
    );
    let used = query(&format!("meeting_usage_seats_used{base}"));
    assert_eq!(used.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [44.0]);
    let meetings = query("meeting_usage_meetings_today{vendor=\"huawei\"}");
    assert_eq!(meetings.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [4.0]);
    let seconds = query("meeting_usage_meeting_duration_today_seconds{vendor=\"huawei\"}");
    assert_eq!(
        seconds.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
        [57.0 * 60.0]
    );
    let mut up: Vec<(String, f64)> = query("meeting_usage_up")
        .into_iter()
        .map(|(labels, v)| (labels["vendor"].as_str().unwrap_or("").to_owned(), v))
        .collect();
    up.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        up,
        [
            ("huawei".to_owned(), 1.0),
            ("webex".to_owned(), 1.0),
            ("zoom".to_owned(), 1.0)
        ]
    );
    let target_up = query("up{job=\"meeting-usage\"}");
    assert_eq!(target_up.iter().map(|(_, v)| *v).collect::<Vec<_>>(), [1.0]);
    let (code, _) = exporter.stop("TERM");
    assert_eq!(code, 0);
}

/// A child process killed when the test ends, however it ends.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_sub_account_list_that_fails_at_start_is_a_vendor_failure() {
    let sandbox = TestSandbox::start();
    sandbox.fail("ListSubAccounts", 404, 1);
    let output = run(sandbox.command().args(["serve", "--all-sub-accounts"]));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let errors: Vec<String> = stderr(&output)
        .lines()
        .filter(|l| l.starts_with("error: "))
        .map(str::to_owned)
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("cannot list the sub accounts") && errors[0].contains("404"),
        "{errors:?}"
    );
}

//! A fleet report at partner scale: the release `meeting-usage report --all-sub-accounts` in its
//! own process against a sandbox (in this process) serving N generated accounts and enforcing
//! R plan-usage calls a second. Per output format: the wall time against the floor N / R, the
//! 429s the client saw, the size of the output, and the client's peak resident memory.
//!
//! `cargo bench -p meeting-usage-cli --bench fleet_scale` (defaults: `--accounts 100000,10000
//! --rate 2000 --formats jsonl,csv,json`).
//!
//! Goals (issue 21): wall time at most 1.05 × N / R, zero 429s, peak RSS at most 64 MB for
//! jsonl, csv and json at 100,000 accounts. The client paces at 95 % of `--max-rps` (the
//! slack that keeps late timer wake-ups out of the vendor's next window), so its best
//! possible ratio is 1 / 0.95 = 1.053.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use spec_sandbox::{FleetConfig, RateLimits, Sandbox, SandboxConfig};

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    accounts: Vec<usize>,
    rate: u32,
    formats: Vec<String>,
}

fn list<T: std::str::FromStr>(text: &str) -> BenchResult<Vec<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.split(',')
        .map(|item| item.trim().parse::<T>().map_err(Into::into))
        .collect()
}

fn args() -> BenchResult<Args> {
    let mut parsed = Args {
        accounts: vec![100_000, 10_000],
        rate: 2000,
        formats: vec!["jsonl".into(), "csv".into(), "json".into()],
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--accounts" => parsed.accounts = list(&value()?)?,
            "--rate" => parsed.rate = value()?.parse()?,
            "--formats" => parsed.formats = list(&value()?)?,
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    Ok(parsed)
}

/// `VmHWM` (peak resident set) of a process, in MB.
fn peak_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1000.0)
}

struct Row {
    format: String,
    accounts: usize,
    wall: Duration,
    floor: Duration,
    peak: f64,
    bytes: u64,
    status: Option<i32>,
    throttled: u64,
}

fn run_one(
    base: &(String, String),
    dir: &std::path::Path,
    format: &str,
    accounts: usize,
    rate: u32,
) -> BenchResult<Row> {
    let out = dir.join(format!("fleet-{accounts}.{format}"));
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_meeting-usage"))
        .env_clear()
        .env("ZOOM_API_URL", &base.0)
        .env("ZOOM_OAUTH_URL", &base.1)
        .env("ZOOM_ACCOUNT_ID", "kKPjoUQnTVGY0D8fXtmqUg")
        .env("ZOOM_CLIENT_ID", "sandbox-client-id")
        .env("ZOOM_CLIENT_SECRET", "sandbox-client-secret")
        .args(["report", "--all-sub-accounts", "--format", format])
        .args(["--max-rps", &rate.to_string(), "--concurrency", "64"])
        .stdout(std::fs::File::create(&out)?)
        .stderr(Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut stderr = child.stderr.take().ok_or("no stderr")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    // VmHWM only grows: its last reading before the exit is the peak (to 10 ms).
    let mut peak = 0.0_f64;
    let status = loop {
        if let Some(mb) = peak_mb(pid) {
            peak = peak.max(mb);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = started.elapsed();
    let said = reader.join().unwrap_or_default();
    // "zoom answered HTTP 429 N time(s)" when the client saw any.
    let throttled = said
        .lines()
        .find_map(|l| l.split("HTTP 429 ").nth(1))
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    if !status.success() {
        eprintln!("{format} {accounts}: exit {status}:\n{said}");
    }
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_file(&out);
    Ok(Row {
        format: format.to_owned(),
        accounts,
        wall,
        floor: Duration::from_secs_f64(accounts as f64 / f64::from(rate)),
        peak,
        bytes,
        status: status.code(),
        throttled,
    })
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let args = args()?;
    let dir = tempfile::tempdir()?;
    println!(
        "| format | accounts | wall | floor N / R | ratio | 429s | output | client peak RSS | exit |\n|---|---|---|---|---|---|---|---|---|"
    );
    for &accounts in &args.accounts {
        let sandbox = Sandbox::start(
            SandboxConfig {
                fleet: Some(FleetConfig::new(accounts, 2026)),
                rate_limits: Some(RateLimits::per_second([
                    ("HEAVY", args.rate),
                    ("MEDIUM", args.rate),
                ])),
                ..SandboxConfig::default()
            },
            "127.0.0.1:0".parse()?,
        )
        .await?;
        let base = (
            sandbox.base_url("spec/zoom/billing-plans.yaml"),
            sandbox.base_url("spec/zoom/oauth.yaml"),
        );
        for format in &args.formats {
            let (base, dir, format, rate) = (
                base.clone(),
                dir.path().to_owned(),
                format.clone(),
                args.rate,
            );
            let row =
                tokio::task::spawn_blocking(move || run_one(&base, &dir, &format, accounts, rate))
                    .await??;
            println!(
                "| {} | {} | {:.2} s | {:.2} s | {:.3}x | {} | {:.1} MB | {:.1} MB | {} |",
                row.format,
                row.accounts,
                row.wall.as_secs_f64(),
                row.floor.as_secs_f64(),
                row.wall.as_secs_f64() / row.floor.as_secs_f64(),
                row.throttled,
                row.bytes as f64 / 1e6,
                row.peak,
                row.status
                    .map_or_else(|| "signal".to_owned(), |c| c.to_string()),
            );
        }
        sandbox.shutdown().await;
    }
    Ok(())
}

//! `meeting-usage serve` with a fleet loaded, hit by many scrapers at once: the latency of
//! `/metrics` (p50, p99, max) against `/healthz` on the same server as the baseline, and the
//! exporter's resident memory.
//!
//! `cargo bench -p meeting-usage-cli --bench exporter -- --accounts 10000 --scrapers 50`
//!
//! The sandbox runs in this process with a generated fleet; the exporter is the release
//! binary in its own process (`serve --all-sub-accounts --max-rps 2000 --interval 1h`). Once
//! its first collection has finished, each scraper loops on its own keep-alive connection
//! for `--seconds`, first on `/healthz`, then on `/metrics`, sending `Accept-Encoding: gzip`
//! as Prometheus does. Goals (issue 22): `/metrics` p99 under 5 ms with 50 scrapers and
//! 10,000 accounts; resident memory under 64 MB.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use spec_sandbox::{FleetConfig, Sandbox, SandboxConfig};
use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpStream;

type BenchResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

struct Args {
    accounts: usize,
    scrapers: usize,
    seconds: u64,
}

/// The request head of every scrape: as Prometheus sends it (gzip accepted), or, for the
/// comparison row, asking for the text as it is.
fn head(path: &str, gzip: bool) -> String {
    let encoding = if gzip { "gzip" } else { "identity" };
    format!("GET {path} HTTP/1.1\r\nHost: bench\r\nAccept-Encoding: {encoding}\r\n\r\n")
}

fn args() -> BenchResult<Args> {
    let mut parsed = Args {
        accounts: 10_000,
        scrapers: 50,
        seconds: 5,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--accounts" => parsed.accounts = value()?.parse()?,
            "--scrapers" => parsed.scrapers = value()?.parse()?,
            "--seconds" => parsed.seconds = value()?.parse()?,
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    if parsed.accounts == 0 || parsed.scrapers == 0 || parsed.seconds == 0 {
        return Err("--accounts, --scrapers and --seconds must be at least 1".into());
    }
    Ok(parsed)
}

/// The exporter process, killed when dropped.
struct Exporter(Child);

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `VmRSS` and `VmHWM` (peak) of a process, in MB.
fn memory(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1000.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// One GET on a keep-alive connection: the status and the body's length.
async fn get(
    stream: &mut BufReader<TcpStream>,
    head: &str,
    body: &mut Vec<u8>,
) -> BenchResult<(u16, usize, bool)> {
    stream.get_mut().write_all(head.as_bytes()).await?;
    let mut line = String::new();
    stream.read_line(&mut line).await?;
    let status = line.split(' ').nth(1).unwrap_or("0").parse()?;
    let mut length = 0;
    let mut gzip = false;
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse()?;
        }
        gzip |= lower.starts_with("content-encoding:") && lower.contains("gzip");
    }
    body.resize(length, 0);
    stream.read_exact(body).await?;
    Ok((status, length, gzip))
}

/// Latencies of `scrapers` loops on `path` for `seconds`, sorted, and the body size seen.
async fn hammer(
    addr: std::net::SocketAddr,
    path: &'static str,
    gzip: bool,
    scrapers: usize,
    seconds: u64,
) -> BenchResult<(Vec<Duration>, usize, bool)> {
    let request = head(path, gzip);
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..scrapers {
        let request = request.clone();
        tasks.spawn(async move {
            let mut stream = BufReader::new(TcpStream::connect(addr).await?);
            let mut body = Vec::new();
            let mut latencies = Vec::new();
            let mut seen = (0, false);
            while Instant::now() < until {
                let started = Instant::now();
                let (status, size, gzip) = get(&mut stream, &request, &mut body).await?;
                latencies.push(started.elapsed());
                if status != 200 {
                    return Err(format!("{path} answered {status}").into());
                }
                seen = (size, gzip);
            }
            BenchResult::Ok((latencies, seen))
        });
    }
    let mut all = Vec::new();
    let mut seen = (0, false);
    while let Some(joined) = tasks.join_next().await {
        let (latencies, last) = joined??;
        all.extend(latencies);
        seen = last;
    }
    all.sort_unstable();
    Ok((all, seen.0, seen.1))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    // Float to index: a rank within the slice.
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> BenchResult<()> {
    let args = args()?;
    let sandbox = Sandbox::start(
        SandboxConfig {
            fleet: Some(FleetConfig::new(args.accounts, 2026)),
            ..SandboxConfig::default()
        },
        "127.0.0.1:0".parse()?,
    )
    .await?;
    let mut child = Command::new(env!("CARGO_BIN_EXE_meeting-usage"))
        .env_clear()
        .env(
            "ZOOM_API_URL",
            sandbox.base_url("spec/zoom/billing-plans.yaml"),
        )
        .env("ZOOM_OAUTH_URL", sandbox.base_url("spec/zoom/oauth.yaml"))
        .env("ZOOM_ACCOUNT_ID", "kKPjoUQnTVGY0D8fXtmqUg")
        .env("ZOOM_CLIENT_ID", "sandbox-client-id")
        .env("ZOOM_CLIENT_SECRET", "sandbox-client-secret")
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--all-sub-accounts",
            "--max-rps",
            "2000",
            "--concurrency",
            "64",
            "--interval",
            "1h",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let pid = child.id();
    let _exporter = Exporter(child);
    // Read stderr on a thread of its own (so that the exporter never blocks on a full pipe)
    // and hand over the address it listens on.
    let (send, listening) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead as _;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if let Some(addr) = line.strip_prefix("listening on http://") {
                let _ = send.send(addr.to_owned());
            }
        }
    });
    let addr: std::net::SocketAddr =
        tokio::task::spawn_blocking(move || listening.recv_timeout(Duration::from_secs(30)))
            .await??
            .parse()?;

    let started = Instant::now();
    let mut stream = BufReader::new(TcpStream::connect(addr).await?);
    let mut body = Vec::new();
    loop {
        get(&mut stream, &head("/metrics", false), &mut body).await?;
        if body
            .windows(b"meeting_usage_fleet_accounts".len())
            .any(|w| w == b"meeting_usage_fleet_accounts")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let collection = started.elapsed();
    let (rss_loaded, peak_loaded) = memory(pid);
    println!(
        "fleet of {} accounts collected in {:.2} s (floor at 2000/s paced at 95 %: {:.2} s)",
        args.accounts,
        collection.as_secs_f64(),
        args.accounts as f64 / 1900.0
    );

    println!(
        "{} scrapers for {} s a row, each on its own keep-alive connection",
        args.scrapers, args.seconds
    );
    println!(
        "| endpoint | body | requests | p50 | p99 | max | p99 vs /healthz |\n|---|---|---|---|---|---|---|"
    );
    let (health, health_size, _) =
        hammer(addr, "/healthz", true, args.scrapers, args.seconds).await?;
    let base = percentile(&health, 0.99);
    println!(
        "| /healthz (baseline) | {health_size} B | {} | {} | {} | {} | 1.00x |",
        health.len(),
        ms(percentile(&health, 0.5)),
        ms(base),
        ms(percentile(&health, 1.0))
    );
    let mut p99 = Duration::ZERO;
    for gzip in [true, false] {
        let (metrics, size, gzipped) =
            hammer(addr, "/metrics", gzip, args.scrapers, args.seconds).await?;
        let tail = percentile(&metrics, 0.99);
        if gzip {
            p99 = tail;
        }
        println!(
            "| /metrics, {} | {size} B{} | {} | {} | {} | {} | {:.2}x |",
            if gzip {
                "gzip accepted (as Prometheus)"
            } else {
                "identity"
            },
            if gzipped { " gzip" } else { "" },
            metrics.len(),
            ms(percentile(&metrics, 0.5)),
            ms(tail),
            ms(percentile(&metrics, 1.0)),
            tail.as_secs_f64() / base.as_secs_f64().max(1e-9)
        );
    }
    let (rss, peak) = memory(pid);
    println!(
        "exporter memory: {rss_loaded:.1} MB resident after the collection (peak {peak_loaded:.1} MB), \
         {rss:.1} MB after the scrapes (peak {peak:.1} MB)"
    );
    println!(
        "goals: /metrics p99 < 5 ms: {}; resident < 64 MB: {}",
        if p99 < Duration::from_millis(5) {
            "met"
        } else {
            "NOT met"
        },
        if peak < 64.0 { "met" } else { "NOT met" }
    );
    Ok(())
}

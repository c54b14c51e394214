//! Throughput and latency of `GET .../accounts/me/plans/usage` at 50 concurrent keep-alive
//! connections on loopback: spec-sandbox against a minimal hyper server answering the same
//! bytes (the floor: no routing, no validation, no state), and against Prism (Stoplight's mock
//! server) on the same spec, in the same run.
//!
//! ```sh
//! npm ci --prefix bench                     # Prism, pinned in bench/package-lock.json
//! cargo bench -p spec-sandbox --bench throughput -- [--seconds 5] [--rounds 5] [--connections 50] [--warmup 2] [--no-prism]
//! # profile the sandbox alone under the same load (threads named `server` serve it):
//! perf record -g --call-graph dwarf -- target/release/deps/throughput-<hash> --only sandbox --no-prism --rounds 1
//! ```
//!
//! All servers run on this machine while a small HTTP/1.1 load generator (in this binary)
//! sends the same request over `connections` connections, each waiting for a response before
//! sending the next. Targets are measured one after the other, each after a warm-up, so they
//! do not compete for CPU; the sandbox and the minimal server alternate for `rounds` rounds
//! (the sandbox first in odd rounds, the minimal server first in even ones) and their medians
//! are compared (Prism, a hundred times slower, is measured once). Every response must be a
//! 200; latencies are exact (every request is recorded). On Linux the table also shows the
//! server threads' CPU time per request, which other load on the machine moves much less than
//! requests per second.
//!
//! The minimal server is built from the sandbox's own answer: at start this binary fetches GET
//! plan usage from the sandbox once and serves that status, those headers (less `date` and
//! `content-length`, which hyper writes itself) and that body to every request, from
//! `hyper::server::conn::http1` with default settings, on a runtime like the sandbox's.
//!
//! The server runtime's threads are named `server`, the load generator's `loadgen`, so a
//! profile of this binary can be split by thread (`perf report --comm server`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONNECTION, CONTENT_LENGTH, DATE, HeaderMap, HeaderName, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Response, StatusCode};
use hyper_util::rt::TokioIo;
use spec_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The token of the OAuth spec's example response: a sandbox test token. Prism only checks
/// that a bearer token is present.
const TOKEN: &str = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJhdWQiOiJodHRwczovL29hdXRoLnpvb20udXMifQ.c2lnbmF0dXJl";

struct Options {
    seconds: u64,
    connections: usize,
    warmup: u64,
    rounds: usize,
    prism: bool,
    /// `sandbox` or `minimal`: measure only that one (for profiling).
    only: Option<String>,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 5,
        connections: 50,
        warmup: 2,
        rounds: 5,
        prism: true,
        only: None,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        if args[i] == "--no-prism" {
            options.prism = false;
            i += 1;
            continue;
        }
        if args[i] == "--only" {
            options.only = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        let value = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), value) {
            ("--seconds", Some(v)) => options.seconds = v.max(1),
            ("--connections", Some(v)) => options.connections = (v as usize).max(1),
            ("--warmup", Some(v)) => options.warmup = v,
            ("--rounds", Some(v)) => options.rounds = (v as usize).max(1),
            // `cargo bench` passes `--bench`; ignore anything else.
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

/// Results of one measurement.
struct Measured {
    name: String,
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    /// CPU time the server runtime's threads spent during the measurement, if the platform
    /// reports it (Linux: `/proc/self/task/*/schedstat`).
    server_cpu: Option<Duration>,
}

impl Measured {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let index = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies_us[index]) / 1000.0
    }

    /// Server CPU time per answered request, in microseconds (NaN when not known).
    fn server_us_per_request(&self) -> f64 {
        match self.server_cpu {
            Some(cpu) if self.requests > 0 => cpu.as_secs_f64() * 1e6 / self.requests as f64,
            _ => f64::NAN,
        }
    }
}

/// The CPU time used so far by this process's threads named `server` (the server runtime's),
/// from Linux's per-thread scheduler statistics; `None` elsewhere. Less sensitive to other
/// load on the machine than requests per second, so it shows what one request costs the
/// server.
fn server_cpu_time() -> Option<Duration> {
    let mut total = 0u64;
    let mut found = false;
    for task in std::fs::read_dir("/proc/self/task").ok()?.flatten() {
        let path = task.path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if name.trim_end() != "server" {
            continue;
        }
        // The first field is the time spent on a CPU, in nanoseconds.
        let Some(ns) = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        else {
            continue;
        };
        total += ns;
        found = true;
    }
    found.then(|| Duration::from_nanos(total))
}

/// One connection: send, read the whole response, repeat until the deadline.
async fn connection(
    addr: SocketAddr,
    request: &'static [u8],
    until: Instant,
) -> std::io::Result<(u64, u64, Vec<u32>)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::with_capacity(100_000));
    while Instant::now() < until {
        let started = Instant::now();
        stream.write_all(request).await?;
        let status = read_response(&mut stream, &mut buffer).await?;
        latencies.push(started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32);
        if status == 200 { ok += 1 } else { errors += 1 }
    }
    Ok((ok, errors, latencies))
}

/// Reads one HTTP/1.1 response (Content-Length or chunked) and returns its status.
async fn read_response(stream: &mut TcpStream, buffer: &mut [u8]) -> std::io::Result<u16> {
    let mut filled = 0;
    let header_end = loop {
        if filled == buffer.len() {
            return Err(std::io::Error::other("response headers too large"));
        }
        let n = stream.read(&mut buffer[filled..]).await?;
        if n == 0 {
            return Err(std::io::Error::other("connection closed"));
        }
        filled += n;
        if let Some(pos) = find(&buffer[..filled], b"\r\n\r\n") {
            break pos + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_ascii_lowercase();
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    if let Some(length) = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        let mut have = filled - header_end;
        while have < length {
            let n = stream.read(&mut buffer[..]).await?;
            if n == 0 {
                return Err(std::io::Error::other("body cut short"));
            }
            have += n;
        }
    } else if head.contains("transfer-encoding: chunked") {
        let mut tail: Vec<u8> = buffer[header_end..filled].to_vec();
        while find(&tail, b"0\r\n\r\n").is_none() {
            let n = stream.read(&mut buffer[..]).await?;
            if n == 0 {
                return Err(std::io::Error::other("body cut short"));
            }
            tail.extend_from_slice(&buffer[..n]);
        }
    }
    Ok(status)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

async fn load(
    addr: SocketAddr,
    request: &'static [u8],
    connections: usize,
    duration: Duration,
) -> (u64, u64, Vec<u32>, Duration) {
    let started = Instant::now();
    let until = started + duration;
    let tasks: Vec<_> = (0..connections)
        .map(|_| tokio::spawn(connection(addr, request, until)))
        .collect();
    let (mut ok, mut errors, mut latencies) = (0, 0, Vec::new());
    for task in tasks {
        match task.await {
            Ok(Ok((o, e, l))) => {
                ok += o;
                errors += e;
                latencies.extend(l);
            }
            _ => errors += 1,
        }
    }
    (ok, errors, latencies, started.elapsed())
}

fn measure(
    client: &tokio::runtime::Runtime,
    name: String,
    addr: SocketAddr,
    request: &'static [u8],
    options: &Options,
) -> Measured {
    client.block_on(load(
        addr,
        request,
        options.connections,
        Duration::from_secs(options.warmup),
    ));
    let cpu_before = server_cpu_time();
    let (requests, errors, mut latencies_us, elapsed) = client.block_on(load(
        addr,
        request,
        options.connections,
        Duration::from_secs(options.seconds),
    ));
    let server_cpu = cpu_before
        .zip(server_cpu_time())
        .map(|(before, after)| after.saturating_sub(before));
    latencies_us.sort_unstable();
    Measured {
        name,
        requests,
        errors,
        elapsed,
        latencies_us,
        server_cpu,
    }
}

fn request_bytes(path: &str) -> &'static [u8] {
    let text = format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/json\r\n\r\n"
    );
    Box::leak(text.into_bytes().into_boxed_slice())
}

/// Starts Prism on a free port and waits until it answers.
fn start_prism(
    root: &PathBuf,
    client: &tokio::runtime::Runtime,
) -> Result<(Child, SocketAddr), String> {
    let prism = root.join("bench/node_modules/.bin/prism");
    if !prism.exists() {
        return Err(format!(
            "{} is missing; install the pinned Prism with `npm ci --prefix bench`",
            prism.display()
        ));
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let mut child = Command::new(&prism)
        .args([
            "mock",
            "spec/zoom/billing-plans.yaml",
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
        ])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start Prism: {e}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let probe = request_bytes("/accounts/me/plans/usage");
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let ready = client.block_on(async {
            let mut stream = TcpStream::connect(addr).await.ok()?;
            stream.write_all(probe).await.ok()?;
            let mut buffer = vec![0u8; 64 * 1024];
            read_response(&mut stream, &mut buffer).await.ok()
        });
        if ready == Some(200) {
            return Ok((child, addr));
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    // Do not leave a server running behind us.
    let _ = child.kill();
    let _ = child.wait();
    Err("Prism did not answer within 60 s".into())
}

/// What the minimal server answers: one response, captured from the sandbox.
struct Canned {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

/// Sends `request` once and returns the whole response (Content-Length bodies only, which is
/// what the sandbox sends).
fn capture(
    client: &tokio::runtime::Runtime,
    addr: SocketAddr,
    request: &'static [u8],
) -> Result<Canned, String> {
    let raw = client
        .block_on(async {
            let mut stream = TcpStream::connect(addr).await?;
            stream.write_all(request).await?;
            let mut raw = Vec::new();
            let mut buffer = vec![0u8; 64 * 1024];
            loop {
                let n = stream.read(&mut buffer).await?;
                if n == 0 {
                    return Err(std::io::Error::other("connection closed"));
                }
                raw.extend_from_slice(&buffer[..n]);
                let Some(end) = find(&raw, b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .ok_or_else(|| std::io::Error::other("no content-length"))?;
                if raw.len() >= end + 4 + length {
                    raw.truncate(end + 4 + length);
                    return Ok::<_, std::io::Error>(raw);
                }
            }
        })
        .map_err(|e| format!("cannot fetch the sandbox's answer: {e}"))?;
    let end = find(&raw, b"\r\n\r\n").ok_or("no header end")?;
    let head = std::str::from_utf8(&raw[..end]).map_err(|e| e.to_string())?;
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.get(9..12))
        .and_then(|code| code.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .ok_or("no status line")?;
    let mut headers = HeaderMap::new();
    for line in lines {
        let (name, value) = line
            .split_once(':')
            .ok_or("a header line without a colon")?;
        let name = HeaderName::try_from(name.trim()).map_err(|e| e.to_string())?;
        // hyper writes these itself.
        if name == DATE || name == CONTENT_LENGTH || name == CONNECTION {
            continue;
        }
        let value = HeaderValue::try_from(value.trim()).map_err(|e| e.to_string())?;
        headers.append(name, value);
    }
    Ok(Canned {
        status,
        headers,
        body: Bytes::copy_from_slice(&raw[end + 4..]),
    })
}

/// The floor: hyper's HTTP/1.1 server answering `canned` to every request, no routing.
/// Serves on the current runtime until the returned task is aborted.
async fn start_minimal(
    canned: Canned,
) -> std::io::Result<(tokio::task::JoinHandle<()>, SocketAddr)> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let canned = std::sync::Arc::new(canned);
    let task = tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let canned = canned.clone();
            tokio::spawn(async move {
                let service = service_fn(move |_request| {
                    let mut response = Response::new(Full::new(canned.body.clone()));
                    *response.status_mut() = canned.status;
                    *response.headers_mut() = canned.headers.clone();
                    async move { Ok::<_, std::convert::Infallible>(response) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((task, addr))
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn runtime(name: &str, threads: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("a runtime")
}

fn main() {
    let options = options();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let threads = 2;
    let server_runtime = runtime("server", threads);
    let client = runtime("loadgen", threads);

    let sandbox = server_runtime
        .block_on(Sandbox::start(
            SandboxConfig::default(),
            "127.0.0.1:0".parse().expect("an address"),
        ))
        .expect("the sandbox starts");
    let sandbox_request = request_bytes("/zoom/v2/accounts/me/plans/usage");
    let canned = match capture(&client, sandbox.addr(), sandbox_request) {
        Ok(canned) if canned.status == StatusCode::OK => canned,
        Ok(canned) => {
            eprintln!("error: the sandbox answered {}", canned.status);
            std::process::exit(2);
        }
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    };
    let canned_size = canned.body.len();
    let canned_headers = canned.headers.len();
    let (minimal, minimal_addr) = server_runtime
        .block_on(start_minimal(canned))
        .expect("the minimal server starts");
    let minimal_request = request_bytes("/zoom/v2/accounts/me/plans/usage");

    // Alternate the two so that a noisy neighbour falls on both alike.
    let only = options.only.as_deref();
    let (mut ours, mut floor) = (Vec::new(), Vec::new());
    for round in 1..=options.rounds {
        // Odd rounds measure the sandbox first, even rounds the minimal server, so that
        // neither always runs right after the other's load (or first on a fresh machine).
        let sandbox_first = round % 2 == 1;
        for sandbox_turn in [sandbox_first, !sandbox_first] {
            if sandbox_turn && only != Some("minimal") {
                ours.push(measure(
                    &client,
                    format!("spec-sandbox #{round}"),
                    sandbox.addr(),
                    sandbox_request,
                    &options,
                ));
            }
            if !sandbox_turn && only != Some("sandbox") {
                floor.push(measure(
                    &client,
                    format!("minimal #{round}"),
                    minimal_addr,
                    minimal_request,
                    &options,
                ));
            }
        }
    }
    drop(sandbox);
    minimal.abort();

    let theirs = if options.prism {
        let (mut prism, prism_addr) = match start_prism(&root, &client) {
            Ok(started) => started,
            Err(message) => {
                eprintln!("error: {message} (or pass --no-prism)");
                std::process::exit(2);
            }
        };
        let theirs = measure(
            &client,
            "prism 5.16.0".to_owned(),
            prism_addr,
            request_bytes("/accounts/me/plans/usage"),
            &options,
        );
        let _ = prism.kill();
        let _ = prism.wait();
        Some(theirs)
    } else {
        None
    };

    println!(
        "GET plan usage ({canned_size} B body, {canned_headers} headers), {} connections, {} s measured after {} s warm-up, {} rounds, loopback, {} cores",
        options.connections,
        options.seconds,
        options.warmup,
        options.rounds,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<18} {:>12} {:>9} {:>9} {:>9} {:>9} {:>8} {:>14}",
        "", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "server us/req"
    );
    let mut all: Vec<&Measured> = Vec::new();
    for round in 0..options.rounds {
        all.extend(ours.get(round));
        all.extend(floor.get(round));
    }
    all.extend(theirs.as_ref());
    for m in &all {
        println!(
            "{:<18} {:>12.0} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>8} {:>14.2}",
            m.name,
            m.rps(),
            m.percentile(0.50),
            m.percentile(0.90),
            m.percentile(0.99),
            m.percentile(1.0),
            m.errors,
            m.server_us_per_request()
        );
    }
    let med = |rounds: &[Measured], pick: fn(&Measured) -> f64| {
        median(&mut rounds.iter().map(pick).collect::<Vec<_>>())
    };
    let (ours_rps, ours_p99) = (
        med(&ours, Measured::rps),
        med(&ours, |m| m.percentile(0.99)),
    );
    let (floor_rps, floor_p99) = (
        med(&floor, Measured::rps),
        med(&floor, |m| m.percentile(0.99)),
    );
    println!(
        "\nmedians of {} rounds: spec-sandbox {ours_rps:.0} requests/s, p99 {ours_p99:.3} ms; \
         minimal {floor_rps:.0} requests/s, p99 {floor_p99:.3} ms",
        options.rounds
    );
    if !ours.is_empty() && !floor.is_empty() {
        let ratios = median(
            &mut ours
                .iter()
                .zip(&floor)
                .map(|(a, b)| a.rps() / b.rps())
                .collect::<Vec<_>>(),
        );
        println!(
            "spec-sandbox: {:.2}x the minimal server's throughput (median of per-round ratios {ratios:.2}x; goal: at least 0.8x), p99 {ours_p99:.3} ms (goal: under 2 ms)",
            ours_rps / floor_rps
        );
        let (ours_cpu, floor_cpu) = (
            med(&ours, Measured::server_us_per_request),
            med(&floor, Measured::server_us_per_request),
        );
        if ours_cpu.is_finite() && floor_cpu.is_finite() {
            println!(
                "server CPU per request (medians): spec-sandbox {ours_cpu:.2} us, minimal {floor_cpu:.2} us ({:.2}x)",
                ours_cpu / floor_cpu
            );
        }
    }
    if let Some(theirs) = &theirs {
        println!(
            "spec-sandbox: {:.1}x Prism's throughput (Prism p99 {:.3} ms)",
            ours_rps / theirs.rps(),
            theirs.percentile(0.99)
        );
    }
    if all.iter().any(|m| m.errors > 0) {
        eprintln!("error: some responses were not 200; the figures are not comparable");
        std::process::exit(1);
    }
}

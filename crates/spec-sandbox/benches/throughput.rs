//! Throughput and latency of `GET .../accounts/me/plans/usage` at 50 concurrent keep-alive
//! connections on loopback: spec-sandbox against Prism (Stoplight's mock server) on the same
//! spec, in the same run.
//!
//! ```sh
//! npm ci --prefix bench                     # Prism, pinned in bench/package-lock.json
//! cargo bench -p spec-sandbox --bench throughput -- [--seconds 10] [--connections 50] [--warmup 2]
//! ```
//!
//! Both servers run on this machine while a small HTTP/1.1 load generator (in this binary)
//! sends the same request over `connections` connections, each waiting for a response before
//! sending the next. Targets are measured one after the other, each after a warm-up, so they
//! do not compete for CPU. Every response must be a 200; latencies are exact (every request
//! is recorded).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use spec_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The token of the OAuth spec's example response: a sandbox test token. Prism only checks
/// that a bearer token is present.
const TOKEN: &str = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJhdWQiOiJodHRwczovL29hdXRoLnpvb20udXMifQ.c2lnbmF0dXJl";

struct Options {
    seconds: u64,
    connections: usize,
    warmup: u64,
}

fn options() -> Options {
    let mut options = Options {
        seconds: 10,
        connections: 50,
        warmup: 2,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match (args[i].as_str(), value) {
            ("--seconds", Some(v)) => options.seconds = v.max(1),
            ("--connections", Some(v)) => options.connections = (v as usize).max(1),
            ("--warmup", Some(v)) => options.warmup = v,
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
    name: &'static str,
    requests: u64,
    errors: u64,
    elapsed: Duration,
    latencies_us: Vec<u32>,
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
    name: &'static str,
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
    let (requests, errors, mut latencies_us, elapsed) = client.block_on(load(
        addr,
        request,
        options.connections,
        Duration::from_secs(options.seconds),
    ));
    latencies_us.sort_unstable();
    Measured {
        name,
        requests,
        errors,
        elapsed,
        latencies_us,
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

fn main() {
    let options = options();
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let threads = 2;
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a runtime");
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .expect("a runtime");

    let sandbox = server_runtime
        .block_on(Sandbox::start(
            SandboxConfig::default(),
            "127.0.0.1:0".parse().expect("an address"),
        ))
        .expect("the sandbox starts");
    let ours = measure(
        &client,
        "spec-sandbox",
        sandbox.addr(),
        request_bytes("/zoom/v2/accounts/me/plans/usage"),
        &options,
    );
    drop(sandbox);

    let (mut prism, prism_addr) = match start_prism(&root, &client) {
        Ok(started) => started,
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    };
    let theirs = measure(
        &client,
        "prism 5.16.0",
        prism_addr,
        request_bytes("/accounts/me/plans/usage"),
        &options,
    );
    let _ = prism.kill();
    let _ = prism.wait();

    println!(
        "GET plan usage, {} connections, {} s measured after {} s warm-up, loopback, {} cores",
        options.connections,
        options.seconds,
        options.warmup,
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<14} {:>12} {:>9} {:>9} {:>9} {:>9} {:>8}",
        "", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"
    );
    for m in [&ours, &theirs] {
        println!(
            "{:<14} {:>12.0} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>8}",
            m.name,
            m.rps(),
            m.percentile(0.50),
            m.percentile(0.90),
            m.percentile(0.99),
            m.percentile(1.0),
            m.errors
        );
    }
    println!(
        "\nspec-sandbox: {:.1}x Prism's throughput; p99 {:.3} ms (goal: 10x and under 2 ms)",
        ours.rps() / theirs.rps(),
        ours.percentile(0.99)
    );
    if ours.errors > 0 || theirs.errors > 0 {
        eprintln!("error: some responses were not 200; the figures are not comparable");
        std::process::exit(1);
    }
}

//! A fleet report of N sub accounts against the sandbox enforcing a known HEAVY limit R: the
//! wall time against the floor N / R, and the 429s received. Then the same run with the
//! client-side limiter off and unbounded concurrency, for contrast.
//!
//! `cargo bench -p meeting-usage --bench fleet -- --accounts 1000 --rate 200`
//!
//! Goal (issue 13): wall time at most 1.15 × N / R with zero 429s. The floor is physical: the
//! vendor admits R plan-usage calls per second, whatever the client does. The sub-account list
//! (MEDIUM, 300 a page) is read first and is part of the measured time.

use std::time::{Duration, Instant};

use meeting_usage::{FleetAccounts, FleetOptions, RateLimits, Secret, ZoomAccount};
use spec_sandbox::{FleetConfig, RateLimits as SandboxLimits, Sandbox, SandboxConfig};

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    accounts: usize,
    rate: u32,
    contrast: bool,
}

fn args() -> BenchResult<Args> {
    let mut parsed = Args {
        accounts: 1000,
        rate: 200,
        contrast: true,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--accounts" => {
                parsed.accounts = args.next().ok_or("--accounts needs a value")?.parse()?
            }
            "--rate" => parsed.rate = args.next().ok_or("--rate needs a value")?.parse()?,
            "--no-contrast" => parsed.contrast = false,
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    if parsed.accounts == 0 || parsed.rate == 0 {
        return Err("--accounts and --rate must be at least 1".into());
    }
    Ok(parsed)
}

struct Run {
    wall: Duration,
    ok: usize,
    failed: usize,
    rate_limited_seen_by_client: u64,
    rejected_by_vendor: usize,
}

async fn run(args: &Args, limits: RateLimits, concurrency: usize) -> BenchResult<Run> {
    let config = SandboxConfig {
        fleet: Some(FleetConfig::new(args.accounts, 2026)),
        // MEDIUM (the sub-account list) at the same rate: four pages never hit it.
        rate_limits: Some(SandboxLimits::per_second([
            ("HEAVY", args.rate),
            ("MEDIUM", args.rate),
        ])),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse()?).await?;
    let zoom = ZoomAccount::builder(
        "kKPjoUQnTVGY0D8fXtmqUg",
        "sandbox-client-id",
        Secret::from("sandbox-client-secret"),
    )
    .api_url(sandbox.base_url("spec/zoom/billing-plans.yaml"))
    .oauth_url(sandbox.base_url("spec/zoom/oauth.yaml"))
    .build()?;
    let options = FleetOptions {
        limits,
        concurrency,
        progress: None,
        ..FleetOptions::default()
    };
    let started = Instant::now();
    let report = zoom
        .fleet_usage(FleetAccounts::AllSubAccounts, &options)
        .await?;
    let wall = started.elapsed();
    let rejected = sandbox
        .requests()
        .iter()
        .filter(|r| r.status == 429)
        .count();
    let failed = report.failures().count();
    Ok(Run {
        wall,
        ok: report.accounts.len() - failed,
        failed,
        rate_limited_seen_by_client: report.rate_limited,
        rejected_by_vendor: rejected,
    })
}

fn print(name: &str, run: &Run, floor: Duration) {
    println!(
        "{name:<28} {:>8.2} s  {:>6.3} x floor  {:>5} ok  {:>5} failed  {:>6} 429s (client saw {})",
        run.wall.as_secs_f64(),
        run.wall.as_secs_f64() / floor.as_secs_f64(),
        run.ok,
        run.failed,
        run.rejected_by_vendor,
        run.rate_limited_seen_by_client,
    );
}

fn main() -> BenchResult<()> {
    let args = args()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let floor = Duration::from_secs_f64(args.accounts as f64 / f64::from(args.rate));
    println!(
        "fleet of {} sub accounts, sandbox HEAVY limit {}/s: floor N / R = {:.2} s (goal: at most 1.15 x, zero 429s)",
        args.accounts,
        args.rate,
        floor.as_secs_f64()
    );
    let limited = runtime.block_on(run(&args, RateLimits::PerSecond(f64::from(args.rate)), 32))?;
    print("limiter on (32 in flight)", &limited, floor);
    if args.contrast {
        let unlimited = runtime.block_on(run(&args, RateLimits::Off, args.accounts))?;
        print("limiter off (all in flight)", &unlimited, floor);
    }
    let ratio = limited.wall.as_secs_f64() / floor.as_secs_f64();
    let met = ratio <= 1.15 && limited.rejected_by_vendor == 0;
    println!(
        "goal {}: {:.3} x floor, {} 429s",
        if met { "met" } else { "NOT met" },
        ratio,
        limited.rejected_by_vendor
    );
    Ok(())
}

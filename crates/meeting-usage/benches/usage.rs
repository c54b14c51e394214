//! `ZoomAccount::usage()` through the facade against a raw `reqwest` + `serde_json::Value` GET
//! of the same endpoint on the same in-process sandbox, in the same run.
//!
//! `cargo bench -p meeting-usage --bench usage -- --rounds 30 --calls 200`
//!
//! Token fetching is excluded from both sides: the facade is warmed once so its token is cached
//! (in real use a token is fetched about once an hour), and the raw side fetches its token once
//! before timing, as a user with curl would.

use std::hint::black_box;
use std::time::{Duration, Instant};

use meeting_usage::{Secret, ZoomAccount};
use spec_sandbox::{Sandbox, SandboxConfig};

const ZOOM_ACCOUNT: &str = "kKPjoUQnTVGY0D8fXtmqUg";
const ZOOM_CLIENT_ID: &str = "sandbox-client-id";
const ZOOM_CLIENT_SECRET: &str = "sandbox-client-secret";

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    rounds: usize,
    calls: usize,
}

fn args() -> BenchResult<Args> {
    let mut parsed = Args {
        rounds: 30,
        calls: 200,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => parsed.rounds = args.next().ok_or("--rounds needs a value")?.parse()?,
            "--calls" => parsed.calls = args.next().ok_or("--calls needs a value")?.parse()?,
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    if parsed.rounds == 0 || parsed.calls == 0 {
        return Err("--rounds and --calls must be at least 1".into());
    }
    Ok(parsed)
}

/// One round: `calls` sequential calls; returns each call's latency.
async fn facade_round(
    zoom: &ZoomAccount,
    calls: usize,
    out: &mut Vec<Duration>,
) -> BenchResult<()> {
    for _ in 0..calls {
        let start = Instant::now();
        let report = zoom.usage().await?;
        out.push(start.elapsed());
        black_box(report);
    }
    Ok(())
}

async fn raw_round(
    http: &reqwest::Client,
    url: &str,
    bearer: &str,
    calls: usize,
    out: &mut Vec<Duration>,
) -> BenchResult<()> {
    for _ in 0..calls {
        let start = Instant::now();
        let value: serde_json::Value = http
            .get(url)
            .header(reqwest::header::AUTHORIZATION, bearer)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        out.push(start.elapsed());
        black_box(value);
    }
    Ok(())
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    micros(sorted[rank.clamp(1, sorted.len()) - 1])
}

async fn run(args: Args) -> BenchResult<()> {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse()?).await?;
    let api_url = sandbox.base_url("spec/zoom/billing-plans.yaml");
    let oauth_url = sandbox.base_url("spec/zoom/oauth.yaml");

    let zoom = ZoomAccount::builder(
        ZOOM_ACCOUNT,
        ZOOM_CLIENT_ID,
        Secret::from(ZOOM_CLIENT_SECRET),
    )
    .api_url(&api_url)
    .oauth_url(&oauth_url)
    .build()?;
    // Warm-up: fetches and caches the token, opens the pooled connection.
    black_box(zoom.usage().await?);

    // The raw baseline: one token, fetched the way a user would with curl.
    // The facade's TLS set-up (unused over plain HTTP, but reqwest needs one to build a client).
    let http = meeting_usage::tls::client_builder()?.build()?;
    let grant: serde_json::Value = http
        .post(format!("{oauth_url}/oauth/token"))
        .basic_auth(ZOOM_CLIENT_ID, Some(ZOOM_CLIENT_SECRET))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(format!(
            "grant_type=account_credentials&account_id={ZOOM_ACCOUNT}"
        ))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = grant["access_token"]
        .as_str()
        .ok_or("the token answer has no access_token")?;
    let bearer = format!("Bearer {token}");
    let url = format!("{api_url}/accounts/me/plans/usage");
    // Warm-up of the raw side's connection.
    let mut scratch = Vec::new();
    raw_round(&http, &url, &bearer, 1, &mut scratch).await?;

    let (mut facade_all, mut raw_all) = (Vec::new(), Vec::new());
    let (mut facade_means, mut raw_means) = (Vec::new(), Vec::new());
    let mut round = Vec::with_capacity(args.calls);
    for r in 0..args.rounds {
        for side in 0..2 {
            round.clear();
            // Alternate which side goes first.
            let facade = (r + side) % 2 == 0;
            if facade {
                facade_round(&zoom, args.calls, &mut round).await?;
            } else {
                raw_round(&http, &url, &bearer, args.calls, &mut round).await?;
            }
            let mean = round.iter().map(|d| micros(*d)).sum::<f64>() / round.len() as f64;
            let (means, all) = if facade {
                (&mut facade_means, &mut facade_all)
            } else {
                (&mut raw_means, &mut raw_all)
            };
            means.push(mean);
            all.extend_from_slice(&round);
        }
    }
    facade_all.sort();
    raw_all.sort();
    let facade = median(&mut facade_means);
    let raw = median(&mut raw_means);

    println!(
        "GET /accounts/me/plans/usage, {} rounds x {} sequential calls per side, {} cores",
        args.rounds,
        args.calls,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    println!("(token fetching excluded: cached after one warm-up call; once an hour in real use)");
    println!(
        "{:<34} {:>14} {:>10} {:>10}",
        "side", "median mean us", "p50 us", "p99 us"
    );
    for (name, median_mean, all) in [
        ("facade ZoomAccount::usage()", facade, &facade_all),
        ("raw reqwest + serde_json::Value", raw, &raw_all),
    ] {
        println!(
            "{:<34} {:>14.1} {:>10.1} {:>10.1}",
            name,
            median_mean,
            percentile(all, 50.0),
            percentile(all, 99.0),
        );
    }
    let ratio = facade / raw;
    println!(
        "ratio facade/raw (medians of round means): {ratio:.3} (budget <= 1.25: {})",
        if ratio <= 1.25 {
            "within"
        } else {
            "NOT within"
        }
    );
    sandbox.shutdown().await;
    Ok(())
}

fn main() -> BenchResult<()> {
    let args = args()?;
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(args))
}

//! Decoding each seed payload (`tests/fixtures/seeds/*.json`) through the generated types,
//! against `serde_json::from_slice::<serde_json::Value>` of the same bytes, in the same run.
//!
//! `cargo bench -p meeting-usage --bench decode -- [--samples 1001] [--batch-ms 1] [--warmup-ms 500]`
//!
//! Each case is a pair of closures over the same bytes. After a warm-up, the two are timed in
//! alternating samples (A, B, A, B, ...), so that noise from other processes falls on both
//! alike; a sample runs a batch of iterations sized to take about `--batch-ms`. The report
//! gives each side's median time per decode and the ratio of the medians (goal: typed at most
//! 1.5x the `Value` parse).
//!
//! The cases:
//! - `000 plan usage`: `zoom_billing::types::PlanUsageReport` (what `ZoomAccount::usage`
//!   decodes before mapping it into the usage model; the mapping itself is crate-private);
//! - `001 add-on request`: `zoom_billing::types::AdditionalPlanRequest` (an untagged enum of
//!   four strict shapes; the facade builds it from `AddonRequest` and never decodes one);
//! - `001 add-on response`: `zoom_billing::types::AdditionalPlanResult`, which *is* the facade's
//!   model (`meeting_usage::AddonReceipt`);
//! - `003 orgRes`: `huawei_meeting::types::OrgResourceUsage` (numbers or numeric strings).
//!
//! Every payload is decoded once before timing and must succeed.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

type BenchResult<T> = Result<T, Box<dyn std::error::Error>>;

struct Args {
    samples: usize,
    batch: Duration,
    warmup: Duration,
}

fn args() -> BenchResult<Args> {
    let mut parsed = Args {
        samples: 1001,
        batch: Duration::from_millis(1),
        warmup: Duration::from_millis(500),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || -> BenchResult<u64> {
            Ok(args
                .next()
                .ok_or_else(|| format!("{arg} needs a value"))?
                .parse()?)
        };
        match arg.as_str() {
            "--samples" => parsed.samples = usize::try_from(value()?)?.max(1),
            "--batch-ms" => parsed.batch = Duration::from_millis(value()?.max(1)),
            "--warmup-ms" => parsed.warmup = Duration::from_millis(value()?),
            // `cargo bench` passes `--bench`; ignore it and anything else unknown.
            _ => {}
        }
    }
    Ok(parsed)
}

/// One payload: its bytes and the typed decode to time against the `Value` parse.
struct Case {
    name: &'static str,
    target: &'static str,
    bytes: Vec<u8>,
    typed: fn(&[u8]) -> BenchResult<()>,
}

fn typed<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> BenchResult<()> {
    black_box(serde_json::from_slice::<T>(black_box(bytes))?);
    Ok(())
}

fn value(bytes: &[u8]) -> BenchResult<()> {
    black_box(serde_json::from_slice::<Value>(black_box(bytes))?);
    Ok(())
}

fn seed(name: &str) -> BenchResult<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/seeds")
        .join(name);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn cases() -> BenchResult<Vec<Case>> {
    use huawei_meeting::types as hw;
    use zoom_billing::types as zb;
    Ok(vec![
        Case {
            name: "000 plan usage",
            target: "PlanUsageReport",
            bytes: seed("000-plan-usage.response.json")?,
            typed: typed::<zb::PlanUsageReport>,
        },
        Case {
            name: "000 usage + mapping",
            target: "zoom_report",
            bytes: seed("000-plan-usage.response.json")?,
            typed: |bytes| {
                let usage: zb::PlanUsageReport = serde_json::from_slice(black_box(bytes))?;
                black_box(meeting_usage::mapping::zoom_plan_usage(
                    "me",
                    &usage,
                    std::time::SystemTime::UNIX_EPOCH,
                ));
                Ok(())
            },
        },
        Case {
            name: "003 orgRes + mapping",
            target: "huawei_report",
            bytes: seed("003-org-res.response.json")?,
            typed: |bytes| {
                static CORP: std::sync::LazyLock<hw::CorpResources> =
                    std::sync::LazyLock::new(|| serde_json::from_str("{}").expect("empty corp"));
                let org: hw::OrgResourceUsage = serde_json::from_slice(black_box(bytes))?;
                black_box(meeting_usage::mapping::huawei_enterprise(
                    "app",
                    &org,
                    &CORP,
                    &[],
                    std::time::SystemTime::UNIX_EPOCH,
                ));
                Ok(())
            },
        },
        Case {
            name: "001 add-on request",
            target: "AdditionalPlanRequest",
            bytes: seed("001-addon.request.json")?,
            typed: typed::<zb::AdditionalPlanRequest>,
        },
        Case {
            name: "001 add-on response",
            target: "AdditionalPlanResult",
            bytes: seed("001-addon.response.json")?,
            typed: typed::<zb::AdditionalPlanResult>,
        },
        Case {
            name: "003 orgRes",
            target: "OrgResourceUsage",
            bytes: seed("003-org-res.response.json")?,
            typed: typed::<hw::OrgResourceUsage>,
        },
    ])
}

/// Iterations of `run` that take about `batch`.
fn batch_size(run: &dyn Fn() -> BenchResult<()>, batch: Duration) -> BenchResult<u32> {
    let mut n = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..n {
            run()?;
        }
        let took = start.elapsed();
        if took >= batch / 4 || n >= 1 << 24 {
            let per = took.as_secs_f64() / f64::from(n);
            return Ok(((batch.as_secs_f64() / per).ceil() as u32).max(1));
        }
        n *= 2;
    }
}

/// Nanoseconds per call of one batch.
fn sample(run: &dyn Fn() -> BenchResult<()>, n: u32) -> BenchResult<f64> {
    let start = Instant::now();
    for _ in 0..n {
        run()?;
    }
    Ok(start.elapsed().as_nanos() as f64 / f64::from(n))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Median ns per call of (typed, value), and the median of the per-pair ratios.
fn measure(case: &Case, args: &Args) -> BenchResult<(f64, f64, f64)> {
    let bytes = case.bytes.as_slice();
    let typed_fn = case.typed;
    let a = move || typed_fn(bytes);
    let b = move || value(bytes);
    let until = Instant::now() + args.warmup;
    while Instant::now() < until {
        a()?;
        b()?;
    }
    let (na, nb) = (batch_size(&a, args.batch)?, batch_size(&b, args.batch)?);
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..args.samples {
        // Alternate which side goes first, so neither always follows the other.
        let (x, y) = if i % 2 == 0 {
            let x = sample(&a, na)?;
            (x, sample(&b, nb)?)
        } else {
            let y = sample(&b, nb)?;
            (sample(&a, na)?, y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(x / y);
    }
    Ok((median(&mut ta), median(&mut tb), median(&mut ratios)))
}

fn main() -> BenchResult<()> {
    let args = args()?;
    let cases = cases()?;
    for case in &cases {
        (case.typed)(&case.bytes).map_err(|e| format!("{} does not decode: {e}", case.name))?;
        value(&case.bytes)?;
    }
    println!(
        "decode of the seed payloads, {} alternating samples of ~{} ms each, {} cores",
        args.samples,
        args.batch.as_millis(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "{:<20} {:<22} {:>6} {:>11} {:>11} {:>7} {:>7} {:>5}",
        "payload", "generated type", "bytes", "typed ns", "Value ns", "ratio", "pairs", "goal"
    );
    let mut worst: f64 = 0.0;
    for case in &cases {
        let (typed_ns, value_ns, pair_ratio) = measure(case, &args)?;
        let ratio = typed_ns / value_ns;
        worst = worst.max(ratio);
        println!(
            "{:<20} {:<22} {:>6} {:>11.0} {:>11.0} {:>6.2}x {:>6.2}x {:>5}",
            case.name,
            case.target,
            case.bytes.len(),
            typed_ns,
            value_ns,
            ratio,
            pair_ratio,
            if ratio <= 1.5 { "met" } else { "NOT" }
        );
    }
    println!(
        "\nratio = median typed / median Value; pairs = median of per-sample ratios. \
         Worst: {worst:.2}x (goal: at most 1.5x)"
    );
    Ok(())
}

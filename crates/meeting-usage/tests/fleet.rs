//! Fleet reports against the in-process sandbox: pacing, failures, 429s and totals.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use meeting_usage::{FleetAccounts, FleetOptions, RateLimits, RetryPolicy, Secret, ZoomAccount};
use spec_sandbox::{Fault, FaultKind, RunningSandbox, Sandbox, SandboxConfig};

async fn sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn zoom(sandbox: &RunningSandbox) -> ZoomAccount {
    ZoomAccount::builder(
        "kKPjoUQnTVGY0D8fXtmqUg",
        "sandbox-client-id",
        Secret::from("sandbox-client-secret"),
    )
    .api_url(sandbox.base_url("spec/zoom/billing-plans.yaml"))
    .oauth_url(sandbox.base_url("spec/zoom/oauth.yaml"))
    .retry(RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
    })
    .build()
    .unwrap()
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("sub-{i:03}")).collect()
}

/// The most requests of `operation` the sandbox saw in any one-second window.
fn busiest_second(sandbox: &RunningSandbox, operation: &str) -> usize {
    let times: Vec<u64> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some(operation))
        .map(|r| r.at_unix_ms)
        .collect();
    times
        .iter()
        .map(|&start| {
            times
                .iter()
                .filter(|&&t| t >= start && t < start + 1000)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test]
async fn the_limiter_keeps_concurrent_calls_under_the_limit() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox);
    let progress = Arc::new(AtomicUsize::new(0));
    let seen = progress.clone();
    let options = FleetOptions {
        limits: RateLimits::PerSecond(20.0),
        concurrency: 16,
        progress: Some(Arc::new(move |p| {
            assert!(p.done <= p.total);
            seen.store(p.done, Ordering::SeqCst);
        })),
    };
    let report = zoom
        .fleet_usage(FleetAccounts::Listed(ids(45)), &options)
        .await
        .unwrap();
    assert_eq!(report.accounts.len(), 45);
    assert!(report.accounts.iter().all(|a| a.result.is_ok()));
    assert_eq!(progress.load(Ordering::SeqCst), 45);
    assert_eq!(
        sandbox.count("RequestAccessToken"),
        1,
        "one token for the run"
    );
    assert_eq!(sandbox.count("GetPlanUsage"), 45);
    let busiest = busiest_second(&sandbox, "GetPlanUsage");
    assert!(busiest <= 20, "{busiest} requests in one second");
    // 44 paced calls at 20 × 0.97 per second.
    assert!(
        report.elapsed >= Duration::from_millis(2_100),
        "{:?}",
        report.elapsed
    );
    assert_eq!(report.rate_limited, 0);

    // Totals: every account answers the seed, so each product adds up 45 times.
    let webinar = report
        .totals
        .iter()
        .find(|t| t.product == "plan_webinar")
        .unwrap();
    assert_eq!(
        (webinar.purchased, webinar.used, webinar.pending),
        (25 * 45, 18 * 45, 45)
    );
    assert_eq!(webinar.accounts, 45);
    let iq = report
        .totals
        .iter()
        .find(|t| t.product == "plan_zoom_iq")
        .unwrap();
    assert_eq!(iq.over_allocated_accounts, 45);
    assert_eq!(report.over_allocated().count(), 45);
}

#[tokio::test]
async fn a_failing_account_is_reported_and_the_run_goes_on() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox);
    zoom.usage().await.unwrap();
    sandbox
        .inject(Fault {
            operation: Some("GetPlanUsage".into()),
            kind: FaultKind::Status {
                status: 404,
                retry_after: None,
            },
            times: 1,
        })
        .unwrap();
    let options = FleetOptions {
        limits: RateLimits::PerSecond(200.0),
        concurrency: 1,
        progress: None,
    };
    let report = zoom
        .fleet_usage(FleetAccounts::Listed(ids(5)), &options)
        .await
        .unwrap();
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].0, "sub-000");
    assert_eq!(failures[0].1.status(), Some(404));
    assert_eq!(
        report.accounts.iter().filter(|a| a.result.is_ok()).count(),
        4
    );
    let webinar = report
        .totals
        .iter()
        .find(|t| t.product == "plan_webinar")
        .unwrap();
    assert_eq!(webinar.accounts, 4);
}

#[tokio::test]
async fn a_429_during_the_run_slows_down_and_is_retried() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox);
    zoom.usage().await.unwrap();
    sandbox
        .inject(Fault {
            operation: Some("GetPlanUsage".into()),
            kind: FaultKind::Status {
                status: 429,
                retry_after: Some(1),
            },
            times: 1,
        })
        .unwrap();
    let options = FleetOptions {
        limits: RateLimits::PerSecond(100.0),
        concurrency: 4,
        progress: None,
    };
    let report = zoom
        .fleet_usage(FleetAccounts::Listed(ids(8)), &options)
        .await
        .unwrap();
    assert!(report.accounts.iter().all(|a| a.result.is_ok()));
    assert_eq!(report.rate_limited, 1);
    // The paused bucket held every worker for the vendor's second.
    assert!(
        report.elapsed >= Duration::from_millis(950),
        "{:?}",
        report.elapsed
    );
    assert_eq!(sandbox.count("GetPlanUsage"), 1 + 8 + 1);
}

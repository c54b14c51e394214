//! Fleet reports against the in-process sandbox: pacing, failures, 429s and totals.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use meeting_usage::{FleetAccounts, FleetOptions, RateLimits, RetryPolicy, Secret, ZoomAccount};
use spec_sandbox::{
    Fault, FaultKind, FleetConfig, RateLimits as SandboxLimits, RunningSandbox, Sandbox,
    SandboxConfig,
};

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

/// The most requests of `operation` in one of the vendor's one-second windows, counted as
/// Zoom (and the sandbox's rate-limit mode) counts them: a window opens at the first request
/// after the previous window ended.
fn busiest_window(sandbox: &RunningSandbox, operation: &str) -> usize {
    let mut times: Vec<u64> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some(operation))
        .map(|r| r.at_unix_ms)
        .collect();
    times.sort_unstable();
    let (mut busiest, mut opened, mut count) = (0, None::<u64>, 0);
    for t in times {
        match opened {
            Some(start) if t < start + 1000 => count += 1,
            _ => {
                opened = Some(t);
                count = 1;
            }
        }
        busiest = busiest.max(count);
    }
    busiest
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
        ..FleetOptions::default()
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
    let busiest = busiest_window(&sandbox, "GetPlanUsage");
    assert!(busiest <= 20, "{busiest} requests in one window");
    // 44 paced calls at 20 × 0.95 per second.
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
        ..FleetOptions::default()
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
        ..FleetOptions::default()
    };
    let report = zoom
        .fleet_usage(FleetAccounts::Listed(ids(8)), &options)
        .await
        .unwrap();
    assert!(report.accounts.iter().all(|a| a.result.is_ok()));
    assert_eq!(report.rate_limited, 1);
    assert_eq!(sandbox.count("GetPlanUsage"), 1 + 8 + 1);
    // The pause held every worker, not only the one that met the 429: nothing was sent during
    // the second the vendor asked for (calls already on the wire when the 429 came back may
    // arrive in its first milliseconds; the end is trimmed for clock granularity).
    let log = sandbox.requests();
    let refused = log
        .iter()
        .find(|r| r.status == 429)
        .expect("the 429 is in the log")
        .at_unix_ms;
    let during_pause = log
        .iter()
        .filter(|r| r.operation.as_deref() == Some("GetPlanUsage"))
        .filter(|r| r.at_unix_ms > refused + 50 && r.at_unix_ms < refused + 900)
        .count();
    assert_eq!(during_pause, 0, "calls went out during the vendor's pause");
}

async fn fleet_sandbox(accounts: usize, missing: Vec<usize>, heavy: u32) -> RunningSandbox {
    let config = SandboxConfig {
        fleet: Some(FleetConfig::new(accounts, 7).with_missing(missing)),
        rate_limits: Some(SandboxLimits::per_second([
            ("HEAVY", heavy),
            ("MEDIUM", 20),
        ])),
        ..SandboxConfig::default()
    };
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

#[tokio::test]
async fn every_sub_account_over_several_pages() {
    let sandbox = fleet_sandbox(650, vec![], 1000).await;
    let zoom = zoom(&sandbox);
    let mut pages = zoom.sub_accounts();
    let mut listed = Vec::new();
    while let Some(account) = pages.next().await {
        listed.push(account.unwrap().id.unwrap());
    }
    assert_eq!(listed, sandbox.fleet_account_ids());
    // 300 a page: three pages, the last one with an empty token.
    assert_eq!(sandbox.count("ListSubAccounts"), 3);
}

#[tokio::test]
async fn an_expired_page_token_is_zooms_error_not_a_loop() {
    let sandbox = fleet_sandbox(650, vec![], 1000).await;
    let zoom = zoom(&sandbox);
    let mut pages = zoom.sub_accounts();
    for _ in 0..300 {
        pages.next().await.unwrap().unwrap();
    }
    sandbox.expire_page_tokens();
    let err = pages.next().await.unwrap().unwrap_err();
    assert_eq!(err.status(), Some(400), "{err}");
    assert!(err.vendor_code().is_some(), "{err}");
    assert!(
        pages.next().await.is_none(),
        "the sequence ends after an error"
    );
}

#[tokio::test]
async fn a_fleet_run_stays_under_the_vendor_limit_with_a_missing_account() {
    let sandbox = fleet_sandbox(120, vec![5], 100).await;
    let zoom = zoom(&sandbox);
    let options = FleetOptions {
        limits: RateLimits::PerSecond(100.0),
        concurrency: 32,
        progress: None,
        ..FleetOptions::default()
    };
    let report = zoom
        .fleet_usage(FleetAccounts::AllSubAccounts, &options)
        .await
        .unwrap();
    assert_eq!(report.accounts.len(), 120);
    assert_eq!(
        report.rate_limited, 0,
        "the limiter kept under the vendor's limit"
    );
    let failures: Vec<_> = report.failures().collect();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0].1.status(), Some(404));
    let ids = sandbox.fleet_account_ids();
    assert_eq!(failures[0].0, ids[5]);
    // Usage differs per account, and the over-allocated ones are found.
    let used: std::collections::BTreeSet<_> = report
        .accounts
        .iter()
        .filter_map(|a| a.result.as_ref().ok())
        .map(|r| r.seats.iter().map(|s| s.used()).collect::<Vec<_>>())
        .collect();
    assert!(used.len() > 10, "reports differ per account");
    assert!(report.over_allocated().count() > 0);
    assert!(
        report.elapsed >= Duration::from_millis(1_100),
        "{:?}",
        report.elapsed
    );
}

#[tokio::test]
async fn waiting_for_a_slot_does_not_use_up_the_deadline() {
    let sandbox = sandbox().await;
    // Ten calls at 5 a second take about two seconds; each call's own deadline is one second.
    let zoom = ZoomAccount::builder(
        "kKPjoUQnTVGY0D8fXtmqUg",
        "sandbox-client-id",
        Secret::from("sandbox-client-secret"),
    )
    .api_url(sandbox.base_url("spec/zoom/billing-plans.yaml"))
    .oauth_url(sandbox.base_url("spec/zoom/oauth.yaml"))
    .timeouts(meeting_usage::Timeouts {
        overall: Duration::from_secs(1),
        ..meeting_usage::Timeouts::default()
    })
    .build()
    .unwrap();
    let options = FleetOptions {
        limits: RateLimits::PerSecond(5.0),
        concurrency: 10,
        progress: None,
        ..FleetOptions::default()
    };
    let report = zoom
        .fleet_usage(FleetAccounts::Listed(ids(10)), &options)
        .await
        .unwrap();
    assert_eq!(
        report.failures().count(),
        0,
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
    assert!(
        report.elapsed >= Duration::from_millis(1_700),
        "{:?}",
        report.elapsed
    );
}

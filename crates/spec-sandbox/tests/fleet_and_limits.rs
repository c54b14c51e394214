//! The opt-in modes: rate limits per `x-rate-limit` label, and a fleet of generated
//! sub-accounts served by the `x-sandbox-fleet` operations.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::Value;
use spec_sandbox::{FleetConfig, RateLimits, RateTier, RunningSandbox, Sandbox, SandboxConfig};

const ZOOM: &str = "spec/zoom/billing-plans.yaml";
/// The access token of the OAuth spec's example answer: a sandbox test token.
const TOKEN: &str = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJhdWQiOiJodHRwczovL29hdXRoLnpvb20udXMifQ.c2lnbmF0dXJl";

async fn start(config: SandboxConfig) -> RunningSandbox {
    Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn client(sandbox: &RunningSandbox) -> zoom_billing::Client {
    zoom_billing::Client::new_with_client(
        &sandbox.base_url(ZOOM),
        zoom_billing::http_client_with_token(TOKEN).unwrap(),
    )
}

/// A raw GET with the test token: status, headers and JSON body.
async fn get(
    http: &reqwest::Client,
    sandbox: &RunningSandbox,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    get_url(http.clone(), format!("{}{path}", sandbox.base_url(ZOOM))).await
}

/// [`get`] with owned arguments, for spawned requests.
async fn get_url(http: reqwest::Client, url: String) -> (u16, reqwest::header::HeaderMap, Value) {
    let response = http.get(url).bearer_auth(TOKEN).send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .unwrap_or_else(|| panic!("{name} missing: {headers:?}"))
        .to_str()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_gets_exactly_the_limit_per_window_and_429s_like_zoom() {
    let sandbox = start(SandboxConfig {
        rate_limits: Some(RateLimits::per_second([("HEAVY", 5)])),
        ..SandboxConfig::default()
    })
    .await;
    let http = reqwest::Client::new();
    for window in 0..2 {
        let url = format!("{}/accounts/me/plans/usage", sandbox.base_url(ZOOM));
        let burst = (0..20).map(|_| get_url(http.clone(), url.clone()));
        let answers = futures_join_all(burst).await;
        let ok: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 200).collect();
        let refused: Vec<_> = answers.iter().filter(|(s, _, _)| *s == 429).collect();
        assert_eq!(
            (ok.len(), refused.len()),
            (5, 15),
            "window {window}: exactly the limit succeeds"
        );
        for (_, headers, _) in &ok {
            assert_eq!(header(headers, "x-ratelimit-category"), "Heavy");
            assert_eq!(header(headers, "x-ratelimit-limit"), "5");
            let remaining: u32 = header(headers, "x-ratelimit-remaining").parse().unwrap();
            assert!(remaining < 5);
        }
        for (_, headers, body) in &refused {
            assert_eq!(header(headers, "retry-after"), "1");
            assert_eq!(header(headers, "x-ratelimit-type"), "QPS");
            assert_eq!(header(headers, "x-ratelimit-category"), "Heavy");
            assert_eq!(header(headers, "x-ratelimit-limit"), "5");
            assert_eq!(header(headers, "x-ratelimit-remaining"), "0");
            assert!(headers.contains_key("x-zm-trackingid"));
            assert_eq!(body["code"], 429, "{body}");
            assert!(
                body["message"].as_str().unwrap().contains("per-second"),
                "{body}"
            );
        }
        // The next window opens a second after the first request of this one.
        tokio::time::sleep(Duration::from_millis(1100)).await;
    }
    // A label without a limit (MEDIUM here) is never refused.
    for _ in 0..10 {
        let (status, _, _) = get(&http, &sandbox, "/accounts/me/plans").await;
        assert_eq!(status, 200);
    }
    // Every refusal is in the log as a 429 of the operation.
    let refused = sandbox
        .requests()
        .iter()
        .filter(|r| r.status == 429 && r.operation.as_deref() == Some("GetPlanUsage"))
        .count();
    assert_eq!(refused, 30);
    // The generated client sees Zoom's typed 429.
    match client(&sandbox)
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
    {
        Ok(_) => {}
        Err(zoom_billing::Error::ErrorResponse(r)) => assert_eq!(r.status().as_u16(), 429),
        Err(other) => panic!("{other}"),
    }
    sandbox.set_rate_limits(None);
    assert_eq!(sandbox.rate_limits(), None);
    for _ in 0..10 {
        assert_eq!(
            get(&http, &sandbox, "/accounts/me/plans/usage").await.0,
            200
        );
    }
}

/// `join_all` without another dependency: spawn each request, collect in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

#[tokio::test]
async fn rate_limits_by_tier_through_the_control_endpoint() {
    let sandbox = start(SandboxConfig::default()).await;
    let http = reqwest::Client::new();
    let control = format!("http://{}/__sandbox/rate-limits", sandbox.addr());
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(
        status(
            http.put(&control)
                .json(&serde_json::json!({"tier": "gold"}))
                .send()
                .await
                .unwrap()
        ),
        400
    );
    assert_eq!(
        status(
            http.put(&control)
                .json(&serde_json::json!({"tier": "free"}))
                .send()
                .await
                .unwrap()
        ),
        204
    );
    assert_eq!(
        sandbox.rate_limits(),
        Some(RateLimits::tier(RateTier::Free))
    );
    let shown: Value = http
        .get(&control)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["limits"]["HEAVY"]["requests"], 1, "{shown}");
    // Free: one Heavy call per second.
    let first = get(&http, &sandbox, "/accounts/me/plans/usage").await;
    let second = get(&http, &sandbox, "/accounts/me/plans/usage").await;
    assert_eq!((first.0, second.0), (200, 429));
    assert_eq!(status(http.delete(&control).send().await.unwrap()), 204);
    assert_eq!(
        get(&http, &sandbox, "/accounts/me/plans/usage").await.0,
        200
    );
}

#[tokio::test]
async fn the_fleet_lists_every_account_over_several_pages() {
    let fleet = FleetConfig::new(70, 42);
    let sandbox = start(SandboxConfig {
        fleet: Some(fleet.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let zoom = client(&sandbox);
    let mut ids = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut request = zoom.list_sub_accounts().page_size(30u32);
        if let Some(token) = &token {
            request = request.next_page_token(token.as_str());
        }
        let page = request.send().await.unwrap().into_inner();
        pages += 1;
        assert_eq!(page.total_records, Some(70));
        assert_eq!(page.page_count, Some(3));
        assert_eq!(page.page_size, Some(30));
        assert_eq!(page.page_number, Some(pages));
        ids.extend(page.accounts.iter().map(|a| a.id.clone().unwrap()));
        let account = &page.accounts[0];
        assert!(account.owner_email.as_deref().unwrap().contains('@'));
        assert!(account.account_number.is_some() && account.seats.is_some());
        match page.next_page_token.as_deref() {
            Some("") | None => break,
            Some(next) => token = Some(next.to_owned()),
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(pages, 3);
    assert_eq!(ids, sandbox.fleet_account_ids());
    assert_eq!(ids[11], fleet.account_id(11));
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 70);
    // The default page size comes from the spec (30).
    let first = zoom.list_sub_accounts().send().await.unwrap().into_inner();
    assert_eq!(first.accounts.len(), 30);
}

#[tokio::test]
async fn stale_and_forged_page_tokens_get_zooms_error() {
    let sandbox = start(SandboxConfig {
        fleet: Some(FleetConfig::new(12, 3)),
        ..SandboxConfig::default()
    })
    .await;
    let zoom = client(&sandbox);
    let first = zoom
        .list_sub_accounts()
        .page_size(5u32)
        .send()
        .await
        .unwrap()
        .into_inner();
    let token = first.next_page_token.unwrap();
    assert!(!token.is_empty());
    let second = zoom
        .list_sub_accounts()
        .page_size(5u32)
        .next_page_token(token.as_str())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        second.accounts[0].id,
        Some(sandbox.fleet_account_ids()[5].clone())
    );
    let refused =
        |result: Result<_, zoom_billing::Error<zoom_billing::types::ZoomError>>| match result {
            Err(zoom_billing::Error::ErrorResponse(r)) => {
                (r.status().as_u16(), r.into_inner().code)
            }
            Ok(_) => panic!("a stale token was accepted"),
            Err(other) => panic!("{other}"),
        };
    sandbox.expire_page_tokens();
    let expired = zoom
        .list_sub_accounts()
        .next_page_token(token.as_str())
        .send()
        .await;
    assert_eq!(refused(expired.map(|_| ())), (400, Some(300)));
    let forged = zoom
        .list_sub_accounts()
        .next_page_token("Tva2CuIdTgsv8wAnhyAdU3m06Y2HuLQtlh3")
        .send()
        .await;
    assert_eq!(refused(forged.map(|_| ())), (400, Some(300)));
    // Tokens older than their lifetime expire on the sandbox's clock.
    let mut short = FleetConfig::new(12, 3);
    short.page_token_lifetime = Duration::from_millis(200);
    sandbox.set_fleet(Some(short)).unwrap();
    let token = zoom
        .list_sub_accounts()
        .page_size(5u32)
        .send()
        .await
        .unwrap()
        .into_inner()
        .next_page_token
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let late = zoom
        .list_sub_accounts()
        .next_page_token(token.as_str())
        .send()
        .await;
    assert_eq!(refused(late.map(|_| ())), (400, Some(300)));
    // And over HTTP: a fleet set and its tokens expired through the control endpoints.
    let http = reqwest::Client::new();
    let control = format!("http://{}/__sandbox/fleet", sandbox.addr());
    let put = http
        .put(&control)
        .json(&serde_json::json!({"accounts": 4, "seed": 9, "missing": [1]}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 204);
    assert_eq!(sandbox.fleet_account_ids().len(), 4);
    let bad = http
        .put(&control)
        .json(&serde_json::json!({"accounts": 4, "missing": [4]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let expire = http
        .post(format!("{control}/expire-page-tokens"))
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status().as_u16(), 204);
    assert_eq!(
        http.delete(&control)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    assert!(sandbox.fleet_account_ids().is_empty());
    // Fleet off: the spec's example again.
    let example = zoom.list_sub_accounts().send().await.unwrap().into_inner();
    assert_eq!(example.total_records, Some(3));
}

/// Every account's usage report, as JSON, in list order.
async fn reports(sandbox: &RunningSandbox) -> Vec<Result<Value, (u16, Option<i64>)>> {
    let zoom = client(sandbox);
    let mut out = Vec::new();
    for id in sandbox.fleet_account_ids() {
        out.push(
            match zoom.get_plan_usage().account_id(id.as_str()).send().await {
                Ok(report) => Ok(serde_json::to_value(report.into_inner()).unwrap()),
                Err(zoom_billing::Error::ErrorResponse(r)) => {
                    Err((r.status().as_u16(), r.into_inner().code))
                }
                Err(other) => panic!("{other}"),
            },
        );
    }
    out
}

#[tokio::test]
async fn usage_differs_per_account_and_is_deterministic_for_a_seed() {
    let fleet = FleetConfig::new(24, 5).with_missing([2, 7]);
    let sandbox = start(SandboxConfig {
        fleet: Some(fleet.clone()),
        ..SandboxConfig::default()
    })
    .await;
    let first = reports(&sandbox).await;
    assert_eq!(first[2], Err((404, Some(2001))), "a missing account");
    assert_eq!(first[7], Err((404, Some(2001))));
    let served: Vec<&Value> = first.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(served.len(), 22);
    let distinct: HashSet<String> = served.iter().map(|v| v.to_string()).collect();
    assert_eq!(distinct.len(), 22, "every account has its own figures");
    // Over-allocation as FleetConfig predicts it, in the first plan of each report.
    let mut over = 0;
    for (position, report) in first.iter().enumerate() {
        let Ok(report) = report else { continue };
        let plan = &report["plan_webinar"][0];
        let is_over = plan["usage"].as_i64() > plan["hosts"].as_i64();
        assert_eq!(
            is_over,
            fleet.over_allocated(position),
            "{position}: {plan}"
        );
        over += usize::from(is_over);
        // The template's shape is kept: the same plan keys as the spec's example.
        assert!(report["plan_base"]["type"].is_string(), "{report}");
    }
    assert!(over > 0 && over < 22, "{over} over-allocated");
    // The same seed gives the same reports in another sandbox; another seed does not.
    let again = start(SandboxConfig {
        fleet: Some(fleet.clone()),
        ..SandboxConfig::default()
    })
    .await;
    assert_eq!(reports(&again).await, first);
    again.set_fleet(Some(FleetConfig::new(24, 6))).unwrap();
    let other = reports(&again).await;
    assert_ne!(other[0], first[0]);
    // Unknown ids are not found; the parameter's example (`me`) keeps the spec's example.
    let zoom = client(&sandbox);
    match zoom.get_plan_usage().account_id("nobody").send().await {
        Err(zoom_billing::Error::ErrorResponse(r)) => {
            assert_eq!(r.status().as_u16(), 404);
            assert_eq!(r.into_inner().code, Some(2001));
        }
        other => panic!("{other:?}"),
    }
    let me = zoom.get_plan_usage().account_id("me").send().await.unwrap();
    let base = me.plan_base.iter().flatten().next().unwrap();
    assert_eq!(base.hosts, Some(75));
}

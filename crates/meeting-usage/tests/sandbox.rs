//! The facade end to end: real generated clients against the in-process sandbox, with its
//! faults and request log.

use std::time::{Duration, Instant};

use meeting_usage::{
    AddonRequest, Error, HuaweiEnterprise, RetryPolicy, Secret, Timeouts, UsageReport, UsageSource,
    Vendor, ZoomAccount, collect,
};
use spec_sandbox::{Fault, FaultKind, RunningSandbox, Sandbox, SandboxConfig};

const ZOOM_ACCOUNT: &str = "kKPjoUQnTVGY0D8fXtmqUg";
const ZOOM_CLIENT_ID: &str = "sandbox-client-id";
const ZOOM_CLIENT_SECRET: &str = "sandbox-client-secret";
const HUAWEI_APP_ID: &str = "fdb8e4699586458bbd10c834872dcc62";
const HUAWEI_APP_KEY: &str = "test-app-key";

/// Retries fast enough for tests.
const FAST: RetryPolicy = RetryPolicy {
    max_attempts: 3,
    base_delay: Duration::from_millis(5),
    max_delay: Duration::from_millis(20),
};

async fn sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn zoom(sandbox: &RunningSandbox, secret: &str) -> ZoomAccount {
    ZoomAccount::builder(ZOOM_ACCOUNT, ZOOM_CLIENT_ID, Secret::from(secret))
        .api_url(sandbox.base_url("spec/zoom/billing-plans.yaml"))
        .oauth_url(sandbox.base_url("spec/zoom/oauth.yaml"))
        .retry(FAST)
        .build()
        .unwrap()
}

fn huawei(sandbox: &RunningSandbox, key: &str) -> HuaweiEnterprise {
    HuaweiEnterprise::builder(HUAWEI_APP_ID, Secret::from(key))
        .api_url(sandbox.base_url("spec/huawei/meeting.yaml"))
        .retry(FAST)
        .build()
        .unwrap()
}

fn fault(operation: &str, kind: FaultKind, times: u32) -> Fault {
    Fault {
        operation: Some(operation.to_owned()),
        kind,
        times,
    }
}

fn status(status: u16) -> FaultKind {
    FaultKind::Status {
        status,
        retry_after: None,
    }
}

/// Every credential the tests use, and the sandbox's issued-token prefixes: none may ever be
/// printed.
fn assert_no_secrets(text: &str) {
    for secret in [
        ZOOM_CLIENT_SECRET,
        HUAWEI_APP_KEY,
        "HMAC-SHA256",
        "signature=",
        "Bearer ",
    ] {
        assert!(!text.contains(secret), "`{secret}` leaked: {text}");
    }
}

/// The sandbox issues tokens of 32 hex characters (and request ids of the same form): nothing
/// of that form but the error's own request id may appear in error text.
fn assert_no_issued_token(text: &str, request_id: Option<&str>) {
    let text = match request_id {
        Some(id) => text.replace(id, ""),
        None => text.to_owned(),
    };
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        assert!(run < 32, "a 32-hex-character run (a token?) in: {text}");
    }
}

fn seats<'a>(report: &'a UsageReport, product: &'a str) -> Vec<&'a meeting_usage::Seats> {
    report.seats_of(product).collect()
}

#[tokio::test]
async fn both_vendors_report_the_seed_figures() {
    let sandbox = sandbox().await;
    let (zoom, huawei) = (
        zoom(&sandbox, ZOOM_CLIENT_SECRET),
        huawei(&sandbox, HUAWEI_APP_KEY),
    );
    let results = collect(&[&zoom, &huawei]).await;
    let [Ok(z), Ok(h)] = results.as_slice() else {
        panic!("{results:?}")
    };

    assert_eq!((z.vendor, z.account.as_str()), (Vendor::Zoom, ZOOM_ACCOUNT));
    let webinar = seats(z, "plan_webinar");
    assert_eq!(webinar.len(), 1);
    assert_eq!(
        (
            webinar[0].plan(),
            webinar[0].purchased(),
            webinar[0].used(),
            webinar[0].pending()
        ),
        (Some("webinar500_monthly"), Some(25), Some(18), Some(1))
    );
    let iq = seats(z, "plan_zoom_iq")[0];
    assert!(iq.over_allocated());
    assert_eq!(
        (iq.purchased(), iq.used(), iq.available()),
        (Some(18), Some(28), Some(-10))
    );
    assert_eq!(seats(z, "plan_zoom_rooms")[0].pending(), None);
    let recording = z
        .storage
        .iter()
        .find(|s| s.product() == "plan_recording")
        .unwrap();
    assert_eq!(recording.purchased_bytes(), Some(12_000_000_000));
    assert_eq!(recording.used_bytes(), Some(3_000_000_000));
    assert!(z.unrecognized.is_empty(), "{:?}", z.unrecognized);

    assert_eq!(
        (h.vendor, h.account.as_str()),
        (Vendor::Huawei, HUAWEI_APP_ID)
    );
    let activity = h.activity.as_ref().expect("orgRes activity");
    // tests/fixtures/seeds/003-org-res.response.json
    assert_eq!(activity.concurrent_participants, Some(1));
    assert_eq!(activity.live_streams, Some(0));
    assert_eq!(activity.meetings_today, Some(4));
    assert_eq!(activity.meeting_minutes_today, Some(57));
    assert_eq!(activity.active_users_today, Some(1));
    assert_eq!(activity.participants_today, Some(2));
    let record = h.storage.iter().find(|s| s.product() == "RECORD").unwrap();
    assert_eq!(record.used_bytes(), Some(39_590_000_000));
    assert!(!h.seats.is_empty());

    // The JSON contract round-trips.
    let json = serde_json::to_string(z).unwrap();
    let back: UsageReport = serde_json::from_str(&json).unwrap();
    assert_eq!(&back, z);
}

#[tokio::test]
async fn the_seeds_map_to_the_kinds_a_person_expects_and_totals_add_up() {
    use meeting_usage::{ProductKind as K, Unit, summarize};
    let sandbox = sandbox().await;
    let (zoom, huawei) = (
        zoom(&sandbox, ZOOM_CLIENT_SECRET),
        huawei(&sandbox, HUAWEI_APP_KEY),
    );
    let results = collect(&[&zoom, &huawei]).await;
    let reports: Vec<UsageReport> = results.into_iter().map(Result::unwrap).collect();
    let kind_of = |vendor: Vendor, product: &str| {
        let report = reports.iter().find(|r| r.vendor == vendor).unwrap();
        let seats = report
            .seats
            .iter()
            .find(|s| s.product() == product)
            .map(|s| s.kind());
        let storage = report
            .storage
            .iter()
            .find(|s| s.product() == product)
            .map(|s| s.kind());
        seats
            .or(storage)
            .unwrap_or_else(|| panic!("{vendor} {product} is missing"))
    };
    let expected = [
        (Vendor::Zoom, "plan_base", K::Meetings),
        (Vendor::Zoom, "plan_webinar", K::Webinars),
        (Vendor::Zoom, "plan_large_meeting", K::LargeMeetings),
        (Vendor::Zoom, "plan_zoom_events", K::Events),
        (Vendor::Zoom, "plan_zoom_rooms", K::Rooms),
        (Vendor::Zoom, "plan_whiteboard", K::Whiteboard),
        (Vendor::Zoom, "plan_recording", K::RecordingStorage),
        (Vendor::Huawei, "SOFT", K::Meetings),
        (Vendor::Huawei, "HARD_1080P", K::Rooms),
        (Vendor::Huawei, "ROOM", K::Rooms),
        (Vendor::Huawei, "VMR", K::VirtualRooms),
        (Vendor::Huawei, "CONF_CALL", K::ConcurrentParticipants),
        (Vendor::Huawei, "LIVE", K::LiveStreaming),
        (Vendor::Huawei, "RECORD", K::RecordingStorage),
    ];
    for (vendor, product, kind) in expected {
        assert_eq!(kind_of(vendor, product), kind, "{vendor} {product}");
    }
    for report in &reports {
        assert_eq!(report.uncatalogued(), Vec::<&str>::new());
        assert!(
            report
                .seats
                .iter()
                .all(|s| s.kind() != K::Other && !s.label().is_empty())
        );
    }
    // The vendor's own name is the label where it sends one.
    let united = reports[0]
        .seats
        .iter()
        .find(|s| s.product() == "plan_united")
        .unwrap();
    assert_eq!(Some(united.label()), united.name());
    assert_eq!(
        reports[0].seats_of("plan_base").next().unwrap().label(),
        "Meetings"
    );

    // Every row is counted once, in its kind: the totals' sums are the rows' sums.
    let totals = summarize(&reports);
    let rooms = totals.iter().find(|t| t.kind == K::Rooms).unwrap();
    let room_rows: Vec<&meeting_usage::Seats> = reports
        .iter()
        .flat_map(|r| &r.seats)
        .filter(|s| s.kind() == K::Rooms)
        .collect();
    let sum = |f: fn(&meeting_usage::Seats) -> Option<u64>| {
        room_rows.iter().filter_map(|s| f(s)).sum::<u64>()
    };
    assert_eq!(rooms.purchased, Some(sum(meeting_usage::Seats::purchased)));
    assert_eq!(rooms.used, Some(sum(meeting_usage::Seats::used)));
    assert_eq!(rooms.products.len(), room_rows.len());
    let storage = totals
        .iter()
        .find(|t| t.kind == K::RecordingStorage)
        .unwrap();
    assert_eq!(storage.unit, Unit::Bytes);
    assert_eq!(storage.used, Some(3_000_000_000 + 39_590_000_000));
    let meetings = totals.iter().find(|t| t.kind == K::Meetings).unwrap();
    assert!(
        meetings
            .products
            .iter()
            .any(|p| p.vendor == Vendor::Huawei && p.product == "SOFT")
    );
    assert!(
        meetings
            .products
            .iter()
            .any(|p| p.vendor == Vendor::Zoom && p.product == "plan_base")
    );
}

#[tokio::test]
async fn concurrent_calls_share_one_token_request() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox, ZOOM_CLIENT_SECRET);
    let huawei = huawei(&sandbox, HUAWEI_APP_KEY);
    let sources: Vec<&dyn UsageSource> = vec![&zoom; 8];
    assert!(collect(&sources).await.iter().all(Result::is_ok));
    let sources: Vec<&dyn UsageSource> = vec![&huawei; 8];
    assert!(collect(&sources).await.iter().all(Result::is_ok));
    assert_eq!(sandbox.count("RequestAccessToken"), 1);
    assert_eq!(sandbox.count("CreateAppIdToken"), 1);
    assert_eq!(sandbox.count("GetPlanUsage"), 8);
    assert_eq!(sandbox.count("ShowOrgRes"), 8);
}

#[tokio::test]
async fn an_expired_token_is_renewed_once_and_the_call_repeated() {
    let sandbox = sandbox().await;
    let (zoom, huawei) = (
        zoom(&sandbox, ZOOM_CLIENT_SECRET),
        huawei(&sandbox, HUAWEI_APP_KEY),
    );
    zoom.usage().await.unwrap();
    huawei.usage().await.unwrap();
    sandbox.expire_issued_tokens();
    zoom.usage().await.unwrap();
    huawei.usage().await.unwrap();
    assert_eq!(sandbox.count("RequestAccessToken"), 2);
    assert_eq!(sandbox.count("CreateAppIdToken"), 2);
    // The refused GET, then the repeated one.
    assert_eq!(sandbox.count("GetPlanUsage"), 3);

    // A 401 that persists after the renewal is an authentication error, not a loop.
    sandbox
        .inject(fault("GetPlanUsage", status(401), 2))
        .unwrap();
    let err = zoom.usage().await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err}");
    assert_eq!(sandbox.count("RequestAccessToken"), 3);
}

#[tokio::test]
async fn wrong_credentials_are_an_authentication_error_without_the_secret() {
    let sandbox = sandbox().await;
    let err = zoom(&sandbox, "wrong-secret-Zq").usage().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                vendor: Vendor::Zoom,
                ..
            }
        ),
        "{err}"
    );
    let huawei_err = huawei(&sandbox, "wrong-key-Hw").usage().await.unwrap_err();
    assert!(
        matches!(
            huawei_err,
            Error::Auth {
                vendor: Vendor::Huawei,
                ..
            }
        ),
        "{huawei_err}"
    );
    for shown in [
        format!("{err} {err:?}"),
        format!("{huawei_err} {huawei_err:?}"),
    ] {
        assert!(!shown.contains("wrong-secret-Zq") && !shown.contains("wrong-key-Hw"));
        assert_no_secrets(&shown);
    }
    assert!(
        err.to_string()
            .starts_with("zoom RequestAccessToken: authentication failed")
    );
}

#[tokio::test]
async fn every_documented_error_status_maps_to_its_variant() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox, ZOOM_CLIENT_SECRET);
    let huawei = huawei(&sandbox, HUAWEI_APP_KEY);
    zoom.usage().await.unwrap();
    huawei.usage().await.unwrap();
    type Case = (&'static str, u16, fn(&Error) -> bool);
    let cases: [Case; 9] = [
        ("GetPlanUsage", 400, |e| {
            matches!(e, Error::Api { status: 400, .. })
        }),
        ("GetPlanUsage", 401, |e| {
            matches!(
                e,
                Error::Auth {
                    status: Some(401),
                    ..
                }
            )
        }),
        ("GetPlanUsage", 403, |e| {
            matches!(e, Error::Api { status: 403, .. })
        }),
        ("GetPlanUsage", 429, |e| {
            matches!(e, Error::RateLimited { .. })
        }),
        ("ShowOrgRes", 400, |e| {
            matches!(e, Error::Api { status: 400, .. })
        }),
        ("ShowOrgRes", 401, |e| {
            matches!(
                e,
                Error::Auth {
                    status: Some(401),
                    ..
                }
            )
        }),
        ("ShowOrgRes", 403, |e| {
            matches!(e, Error::Api { status: 403, .. })
        }),
        ("ShowOrgRes", 500, |e| {
            matches!(e, Error::Api { status: 500, .. })
        }),
        ("ShowOrgRes", 502, |e| {
            matches!(e, Error::Api { status: 502, .. })
        }),
    ];
    for (operation, code, expected) in cases {
        sandbox.clear_faults();
        // Enough for every retry and the one token renewal.
        sandbox.inject(fault(operation, status(code), 5)).unwrap();
        let err = if operation == "GetPlanUsage" {
            zoom.usage().await.unwrap_err()
        } else {
            huawei.usage().await.unwrap_err()
        };
        assert!(expected(&err), "{operation} {code}: {err:?}");
        assert_eq!(err.status(), Some(code), "{err}");
        assert_eq!(err.operation(), Some(operation));
        // 502 is undocumented, but its body is Huawei's error body: the code is kept.
        assert!(err.vendor_code().is_some(), "{err}");
        assert!(err.request_id().is_some(), "{err}");
        let shown = format!("{err}\n{err:?}");
        assert!(!err.to_string().contains(['\n', '\r']), "one line: {err}");
        assert_no_secrets(&shown);
        assert_no_issued_token(&shown, err.request_id());
    }
}

#[tokio::test]
async fn a_read_is_retried_after_503s_and_429_with_retry_after() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox, ZOOM_CLIENT_SECRET);
    sandbox
        .inject(fault("GetPlanUsage", status(503), 2))
        .unwrap();
    zoom.usage().await.unwrap();
    assert_eq!(sandbox.count("GetPlanUsage"), 3);

    sandbox.clear_log();
    let limited = FaultKind::Status {
        status: 429,
        retry_after: Some(1),
    };
    sandbox.inject(fault("GetPlanUsage", limited, 1)).unwrap();
    let started = Instant::now();
    zoom.usage().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured"
    );
    assert_eq!(sandbox.count("GetPlanUsage"), 2);
}

#[tokio::test]
async fn a_rate_limit_wait_past_the_deadline_fails_at_once() {
    let sandbox = sandbox().await;
    let zoom = ZoomAccount::builder(
        ZOOM_ACCOUNT,
        ZOOM_CLIENT_ID,
        Secret::from(ZOOM_CLIENT_SECRET),
    )
    .api_url(sandbox.base_url("spec/zoom/billing-plans.yaml"))
    .oauth_url(sandbox.base_url("spec/zoom/oauth.yaml"))
    .timeouts(Timeouts {
        overall: Duration::from_secs(3),
        ..Timeouts::default()
    })
    .build()
    .unwrap();
    let limited = FaultKind::Status {
        status: 429,
        retry_after: Some(30),
    };
    sandbox.inject(fault("GetPlanUsage", limited, 1)).unwrap();
    let started = Instant::now();
    let err = zoom.usage().await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(30)),
        "{err:?}"
    );
    assert_eq!(sandbox.count("GetPlanUsage"), 1);
}

#[tokio::test]
async fn a_write_is_sent_exactly_once() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox, ZOOM_CLIENT_SECRET);
    let addon = AddonRequest {
        addon_type: "webinar500_monthly".into(),
        hosts: 18,
        service_effective_date: None,
        paid_period_start_date: None,
    };
    let receipt = zoom.subscribe_addon("me", &addon).await.unwrap();
    assert!(receipt.plan_webinar.is_some());
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 1);

    sandbox
        .inject(fault("SubscribeAccountToAnAdditionalPlan", status(503), 3))
        .unwrap();
    let err = zoom.subscribe_addon("me", &addon).await.unwrap_err();
    assert_eq!(err.status(), Some(503), "{err}");
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 2);

    sandbox.clear_faults();
    sandbox
        .inject(fault(
            "SubscribeAccountToAnAdditionalPlan",
            FaultKind::Drop,
            3,
        ))
        .unwrap();
    let err = zoom.subscribe_addon("me", &addon).await.unwrap_err();
    assert!(err.may_have_applied(), "{err:?}");
    assert!(err.to_string().contains("may have been applied"), "{err}");
    assert_eq!(sandbox.count("SubscribeAccountToAnAdditionalPlan"), 3);
}

#[tokio::test]
async fn dropped_and_truncated_answers_are_typed_errors() {
    let sandbox = sandbox().await;
    let zoom = zoom(&sandbox, ZOOM_CLIENT_SECRET);
    zoom.usage().await.unwrap();
    for kind in [FaultKind::Drop, FaultKind::Truncate, FaultKind::NotJson] {
        sandbox.clear_faults();
        sandbox.clear_log();
        sandbox
            .inject(fault("GetPlanUsage", kind.clone(), 3))
            .unwrap();
        let err = zoom.usage().await.unwrap_err();
        match kind {
            FaultKind::NotJson => assert!(matches!(err, Error::Decode { .. }), "{err:?}"),
            _ => assert!(matches!(err, Error::Transport { .. }), "{kind:?}: {err:?}"),
        }
        assert!(!err.may_have_applied(), "a read applies nothing");
        // Transport failures are retried (3 attempts); a body that is not JSON is not.
        let expected = if kind == FaultKind::NotJson { 1 } else { 3 };
        assert_eq!(sandbox.count("GetPlanUsage"), expected, "{kind:?}");
    }
}

#[tokio::test]
async fn a_slow_vendor_fails_within_the_deadline() {
    let sandbox = sandbox().await;
    let huawei = HuaweiEnterprise::builder(HUAWEI_APP_ID, Secret::from(HUAWEI_APP_KEY))
        .api_url(sandbox.base_url("spec/huawei/meeting.yaml"))
        .timeouts(Timeouts {
            attempt: Duration::from_millis(400),
            overall: Duration::from_secs(1),
            ..Timeouts::default()
        })
        .retry(FAST)
        .build()
        .unwrap();
    huawei.usage().await.unwrap();
    sandbox
        .inject(fault("ShowOrgRes", FaultKind::Delay { millis: 5_000 }, 10))
        .unwrap();
    let started = Instant::now();
    let err = huawei.usage().await.unwrap_err();
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(took < Duration::from_millis(1_300), "{took:?}");
}

#[tokio::test]
async fn debug_output_of_sources_never_shows_credentials() {
    let sandbox = sandbox().await;
    let (zoom, huawei) = (
        zoom(&sandbox, ZOOM_CLIENT_SECRET),
        huawei(&sandbox, HUAWEI_APP_KEY),
    );
    zoom.usage().await.unwrap();
    huawei.usage().await.unwrap();
    let shown = format!("{zoom:?} {huawei:?}");
    assert_no_secrets(&shown);
    assert!(shown.contains("Secret(***)"), "{shown}");
    let builder = HuaweiEnterprise::builder("id", Secret::from(HUAWEI_APP_KEY));
    assert_no_secrets(&format!("{builder:?}"));
}

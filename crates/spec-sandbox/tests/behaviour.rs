//! The sandbox through the generated clients: vendor auth flows, request validation, faults,
//! and the request log.

use std::time::{Duration, Instant};

use huawei_meeting::app_auth::{AppCredentials, SigningInput};
use reqwest::header::{HeaderMap, HeaderValue};
use spec_sandbox::{Fault, FaultKind, RunningSandbox, Sandbox, SandboxConfig};

const ZOOM: &str = "spec/zoom/billing-plans.yaml";
const OAUTH: &str = "spec/zoom/oauth.yaml";
const HUAWEI: &str = "spec/huawei/meeting.yaml";
const WEBEX: &str = "spec/webex/admin.yaml";
/// The Huawei spec's example App ID, which the sandbox knows with its test key.
const APP_ID: &str = "fdb8e4699586458bbd10c834872dcc62";
const ACCOUNT: &str = "kKPjoUQnTVGY0D8fXtmqUg";

async fn sandbox() -> RunningSandbox {
    Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

async fn zoom_token(
    sandbox: &RunningSandbox,
    secret: &str,
) -> Result<String, zoom_billing::oauth::OAuthApiError> {
    use zoom_billing::oauth::{
        self, types::AccountCredentialsGrant, types::AccountCredentialsGrantGrantType,
    };
    let http = oauth::http_client_with_client_credentials(
        "sandbox-client-id",
        &zoom_billing::Secret::from(secret),
    )
    .unwrap();
    let client = oauth::Client::new_with_client(&sandbox.base_url(OAUTH), http);
    let grant = AccountCredentialsGrant::builder()
        .grant_type(AccountCredentialsGrantGrantType::AccountCredentials)
        .account_id(ACCOUNT);
    let token = client.request_access_token().body(grant).send().await?;
    Ok(token.access_token.as_ref().unwrap().expose().to_owned())
}

fn zoom_client(sandbox: &RunningSandbox, token: &str) -> zoom_billing::Client {
    zoom_billing::Client::new_with_client(
        &sandbox.base_url(ZOOM),
        zoom_billing::http_client_with_token(token).unwrap(),
    )
}

fn zoom_code(err: &zoom_billing::ZoomApiError) -> (u16, Option<i64>, String) {
    match err {
        zoom_billing::Error::ErrorResponse(r) => (
            r.status().as_u16(),
            r.code,
            r.message.clone().unwrap_or_default(),
        ),
        other => panic!("expected a typed Zoom error, got {other:?}"),
    }
}

fn huawei_code(err: &huawei_meeting::HuaweiApiError) -> (u16, String, String) {
    match err {
        huawei_meeting::Error::ErrorResponse(r) => (
            r.status().as_u16(),
            r.error_code.clone().unwrap_or_default(),
            r.error_msg.clone().unwrap_or_default(),
        ),
        other => panic!("expected a typed Huawei error, got {other:?}"),
    }
}

#[tokio::test]
async fn zoom_oauth_flow() {
    let sandbox = sandbox().await;
    let token = zoom_token(&sandbox, "sandbox-client-secret").await.unwrap();
    let usage = zoom_client(&sandbox, &token)
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
        .unwrap();
    let bases: Vec<_> = usage.plan_base.iter().flatten().collect();
    assert_eq!(bases.len(), 1);
    assert_eq!(bases[0].hosts, Some(75));

    // Wrong client secret: the token endpoint's documented 400 `invalid_client`.
    match zoom_token(&sandbox, "wrong").await.unwrap_err() {
        zoom_billing::Error::ErrorResponse(r) => {
            assert_eq!(r.status().as_u16(), 400);
            assert_eq!(r.error.as_deref(), Some("invalid_client"));
            assert_eq!(
                r.reason.as_deref(),
                Some("Invalid client_id or client_secret")
            );
        }
        other => panic!("{other:?}"),
    }
    // No client credentials at all: the documented 401 `invalid_request`.
    let response = post_token(
        &sandbox,
        None,
        "grant_type=account_credentials&account_id=kKPjoUQnTVGY0D8fXtmqUg",
    )
    .await;
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    // Malformed credentials (no `id:secret` pair) are not a wrong client: 401 as well.
    for malformed in ["no-colon", ":secret-only", "id-only:"] {
        let response = post_token(
            &sandbox,
            Some(malformed),
            "grant_type=account_credentials&account_id=kKPjoUQnTVGY0D8fXtmqUg",
        )
        .await;
        assert_eq!(response.status().as_u16(), 401, "{malformed}");
    }
    // No token, unknown token: Zoom's 401 with code 124.
    let anonymous = zoom_billing::Client::new(&sandbox.base_url(ZOOM));
    let err = anonymous
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        zoom_code(&err),
        (401, Some(124), "Invalid access token.".into())
    );
    let err = zoom_client(&sandbox, "made-up")
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
        .unwrap_err();
    assert_eq!(zoom_code(&err).1, Some(124));
    // Expired: still 124, and the message says why.
    sandbox.expire_issued_tokens();
    let err = zoom_client(&sandbox, &token)
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        zoom_code(&err),
        (401, Some(124), "The token has expired.".into())
    );
}

/// Posts a form body to the Zoom token endpoint, with `id:secret` as Basic credentials if given.
async fn post_token(
    sandbox: &RunningSandbox,
    credentials: Option<&str>,
    form: &'static str,
) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(format!("{}/oauth/token", sandbox.base_url(OAUTH)))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form);
    if let Some(credentials) = credentials {
        request = request.header(
            "authorization",
            format!("Basic {}", base64_encode(credentials)),
        );
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn zoom_oauth_refuses_an_unknown_account() {
    let sandbox = sandbox().await;
    let response = post_token(
        &sandbox,
        Some("sandbox-client-id:sandbox-client-secret"),
        "grant_type=account_credentials&account_id=someone-else",
    )
    .await;
    // The grant is refused (400), not the client.
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    let reason = body["reason"].as_str().unwrap();
    assert!(
        reason.contains("account_id") && reason.contains("does not belong to this client"),
        "{reason}"
    );
}

fn base64_encode(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

async fn huawei_token(
    sandbox: &RunningSandbox,
    key: &str,
    expire_time: i64,
) -> Result<huawei_meeting::types::TokenInfo, huawei_meeting::HuaweiApiError> {
    let app = AppCredentials::new(APP_ID, huawei_meeting::Secret::from(key));
    let nonce = huawei_meeting::app_auth::new_nonce().unwrap();
    let signed = app
        .sign(&SigningInput {
            user_id: None,
            expire_time,
            nonce: &nonce,
        })
        .unwrap();
    huawei_meeting::Client::new(&sandbox.base_url(HUAWEI))
        .create_app_id_token()
        .authorization(signed.authorization)
        .x_token_type("LongTicket")
        .body(signed.body)
        .send()
        .await
        .map(|r| r.into_inner())
}

fn in_ten_minutes() -> i64 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600) as i64
}

#[tokio::test]
async fn huawei_app_id_flow() {
    let sandbox = sandbox().await;
    let client = huawei_meeting::Client::new(&sandbox.base_url(HUAWEI));
    let token = huawei_token(&sandbox, "test-app-key", in_ten_minutes())
        .await
        .unwrap();
    let access = token.access_token.clone().unwrap();
    assert_eq!(token.valid_period.map(|v| v.get()), Some(3600));
    let usage = client
        .show_org_res()
        .x_access_token(access.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(usage.conf_length.as_ref().map(|v| v.get()), Some(57));
    let resources = client
        .show_corp_resource()
        .x_access_token(access.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        resources.room_count.as_ref().and_then(|r| r.sum_count),
        Some(15)
    );

    // The token validates; a made-up one does not (USG.000000004, as documented).
    let check = |token: &str| {
        huawei_meeting::types::TokenValidationRequest::builder()
            .token(token)
            .need_gen_new_token(false)
    };
    let valid = client
        .validate_token()
        .body(check(access.expose()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        valid.access_token.as_ref().map(|t| t.expose()),
        Some(access.expose())
    );
    let err = client
        .validate_token()
        .body(check("made-up"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(huawei_code(&err).1, "USG.000000004");

    // The refresh token buys a new access token that works.
    let refreshed = client
        .refresh_token()
        .x_access_token(token.refresh_token.clone().unwrap())
        .send()
        .await
        .unwrap();
    let new_access = refreshed.access_token.clone().unwrap();
    assert_ne!(new_access.expose(), access.expose());
    assert_eq!(
        refreshed.refresh_token.as_ref().map(|t| t.expose()),
        token.refresh_token.as_ref().map(|t| t.expose()),
        "the refresh token stays the presented one"
    );
    client
        .show_org_res()
        .x_access_token(new_access)
        .send()
        .await
        .unwrap();
    // An access token is not a refresh token.
    let err = client
        .refresh_token()
        .x_access_token(access)
        .send()
        .await
        .unwrap_err();
    assert_eq!(huawei_code(&err).0, 401);
}

#[tokio::test]
async fn huawei_refuses_bad_signatures_expiry_and_missing_tokens() {
    let sandbox = sandbox().await;
    let err = huawei_token(&sandbox, "wrong-key", in_ten_minutes())
        .await
        .unwrap_err();
    let (status, code, message) = huawei_code(&err);
    assert_eq!((status, code.as_str()), (401, "USG.000000005"));
    assert!(message.contains("does not match"), "{message}");

    let err = huawei_token(&sandbox, "test-app-key", 1_600_000_000)
        .await
        .unwrap_err();
    let (status, _, message) = huawei_code(&err);
    assert_eq!(status, 401);
    assert!(message.contains("expired"), "{message}");

    // A correct signature without `,access=<Base64 App ID>` is refused: clients must send it.
    let app = AppCredentials::new(APP_ID, huawei_meeting::Secret::from("test-app-key"));
    let nonce = huawei_meeting::app_auth::new_nonce().unwrap();
    let signed = app
        .sign(&SigningInput {
            user_id: None,
            expire_time: in_ten_minutes(),
            nonce: &nonce,
        })
        .unwrap();
    let full = signed.authorization.expose().to_owned();
    let (without_access, _) = full.split_once(",access=").unwrap();
    let err = huawei_meeting::Client::new(&sandbox.base_url(HUAWEI))
        .create_app_id_token()
        .authorization(without_access)
        .x_token_type("LongTicket")
        .body(signed.body)
        .send()
        .await
        .unwrap_err();
    let (status, _, message) = huawei_code(&err);
    assert_eq!(status, 401);
    assert!(message.contains("access="), "{message}");

    let response = reqwest::get(format!(
        "{}/v1/mmc/management/orgRes",
        sandbox.base_url(HUAWEI)
    ))
    .await
    .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "MMC.118000001");

    // A token the sandbox never issued gets the same 401 as a missing one.
    let err = huawei_meeting::Client::new(&sandbox.base_url(HUAWEI))
        .show_org_res()
        .x_access_token("never-issued-token")
        .send()
        .await
        .unwrap_err();
    let (status, code, _) = huawei_code(&err);
    assert_eq!((status, code.as_str()), (401, "MMC.118000001"));
}

#[tokio::test]
async fn invalid_requests_get_the_vendor_400_naming_the_field() {
    let sandbox = sandbox().await;
    let token = zoom_token(&sandbox, "sandbox-client-secret").await.unwrap();
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).unwrap(),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let url = format!("{}/accounts/me/plans/addons", sandbox.base_url(ZOOM));

    // `hosts` missing from the generic add-on shape.
    let response = http
        .post(&url)
        .json(&serde_json::json!({"type": "webinar500_monthly"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], 300);
    assert_eq!(body["errors"][0]["field"], "hosts", "{body}");

    // Not JSON at all.
    let response = http
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["errors"][0]["field"], "body");

    // Huawei: a correctly signed body whose nonce is too short gets the USG 400 naming it.
    let nonce = "short";
    let data = format!("{APP_ID}::0:{nonce}");
    let signature = huawei_meeting::app_auth::hmac_sha256_hex("test-app-key", &data);
    let authorization = format!(
        "HMAC-SHA256 signature={signature},access={}",
        base64_encode(APP_ID)
    );
    let response = reqwest::Client::new()
        .post(format!("{}/v2/usg/acs/auth/appauth", sandbox.base_url(HUAWEI)))
        .header("authorization", authorization)
        .header("x-token-type", "LongTicket")
        .json(&serde_json::json!({"appId": APP_ID, "clientType": 72, "expireTime": 0, "nonce": nonce}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "USG.000000001");
    assert!(
        body["error_msg"].as_str().unwrap().contains("nonce"),
        "{body}"
    );

    // A query parameter out of range.
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/usg/dcs/corp/resource-list?limit=0",
            sandbox.base_url(HUAWEI)
        ))
        .header("x-access-token", "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error_code"], "USG.000000001");
    assert!(
        body["error_msg"].as_str().unwrap().contains("limit"),
        "{body}"
    );

    // A valid body passes validation (the 204 of the spec comes back).
    let ok = zoom_client(&sandbox, &token)
        .update_a_base_plan()
        .account_id("me")
        .body(
            serde_json::from_value::<zoom_billing::types::BasePlanUpdate>(
                serde_json::json!({"type": "monthly"}),
            )
            .unwrap(),
        )
        .send()
        .await;
    assert!(ok.is_ok(), "a valid body passes: {ok:?}");
}

#[tokio::test]
async fn rate_limit_faults_then_success() {
    let sandbox = sandbox().await;
    let token = zoom_token(&sandbox, "sandbox-client-secret").await.unwrap();
    let client = zoom_client(&sandbox, &token);
    sandbox.clear_log();
    sandbox
        .inject(Fault {
            operation: Some("GetPlanUsage".into()),
            kind: FaultKind::Status {
                status: 429,
                retry_after: Some(2),
            },
            times: 2,
        })
        .expect("a valid fault");
    for _ in 0..2 {
        let err = client
            .get_plan_usage()
            .account_id("me")
            .send()
            .await
            .unwrap_err();
        match &err {
            zoom_billing::Error::ErrorResponse(r) => {
                assert_eq!(r.status().as_u16(), 429);
                assert_eq!(r.code, Some(429));
                assert_eq!(r.headers().get("retry-after").unwrap(), "2");
                assert_eq!(r.headers().get("x-ratelimit-type").unwrap(), "QPS");
            }
            other => panic!("{other:?}"),
        }
        assert!(err.is_retryable());
    }
    client
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
        .unwrap();
    assert_eq!(sandbox.count("GetPlanUsage"), 3);
    let statuses: Vec<u16> = sandbox.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[tokio::test]
async fn server_error_unavailable_and_delay() {
    let sandbox = sandbox().await;
    let huawei = huawei_meeting::Client::new(&sandbox.base_url(HUAWEI));
    let token = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    sandbox
        .inject(Fault {
            operation: Some("ShowOrgRes".into()),
            kind: FaultKind::Status {
                status: 500,
                retry_after: None,
            },
            times: 1,
        })
        .expect("a valid fault");
    let err = huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap_err();
    // The spec documents a 500 for orgRes: its example comes back, typed.
    assert_eq!(
        huawei_code(&err),
        (500, "MMC.111070003".into(), "Processing failed.".into())
    );

    sandbox
        .inject(Fault {
            operation: Some("ShowOrgRes".into()),
            kind: FaultKind::Status {
                status: 503,
                retry_after: None,
            },
            times: 1,
        })
        .expect("a valid fault");
    match huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap_err()
    {
        // 503 is not documented: the client sees an unexpected response, which is retryable.
        err @ huawei_meeting::Error::UnexpectedResponse(_) => {
            assert_eq!(err.status().unwrap().as_u16(), 503);
            assert!(err.is_retryable());
        }
        other => panic!("{other:?}"),
    }

    sandbox
        .inject(Fault {
            operation: Some("ShowOrgRes".into()),
            kind: FaultKind::Delay { millis: 300 },
            times: 1,
        })
        .expect("a valid fault");
    let started = Instant::now();
    huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn dropped_truncated_and_non_json_responses() {
    let sandbox = sandbox().await;
    let huawei = huawei_meeting::Client::new(&sandbox.base_url(HUAWEI));
    let token = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    let inject = |kind| {
        sandbox
            .inject(Fault {
                operation: Some("ShowOrgRes".into()),
                kind,
                times: 1,
            })
            .expect("a valid fault")
    };

    inject(FaultKind::Drop);
    let err = huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, huawei_meeting::Error::CommunicationError(_)),
        "{err:?}"
    );

    // Truncated: unlike a drop, the status and headers arrive, then the body stops short of
    // its Content-Length.
    inject(FaultKind::Truncate);
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/mmc/management/orgRes",
            sandbox.base_url(HUAWEI)
        ))
        .header("x-access-token", token)
        .send()
        .await
        .expect("a truncated answer still has a status line and headers");
    assert_eq!(response.status().as_u16(), 200);
    let promised = response.content_length().expect("a Content-Length");
    assert!(promised > 2, "{promised}");
    let err = response.bytes().await.unwrap_err();
    assert!(err.is_body() || err.is_decode(), "{err:?}");
    // Through the generated client, the same fault is a typed error, not a panic.
    inject(FaultKind::Truncate);
    let err = huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            huawei_meeting::Error::ResponseBodyError(_)
                | huawei_meeting::Error::InvalidResponsePayload(..)
        ),
        "{err:?}"
    );
    // An operation that answers without a body has nothing to truncate: refused, not queued.
    let refused = sandbox
        .inject(Fault {
            operation: Some("UpdateABasePlan".into()),
            kind: FaultKind::Truncate,
            times: 1,
        })
        .unwrap_err();
    assert!(refused.to_string().contains("without a body"), "{refused}");

    inject(FaultKind::NotJson);
    let err = huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, huawei_meeting::Error::InvalidResponsePayload(..)),
        "{err:?}"
    );

    // A drifted answer: the body given replaces the example, once, sent as is.
    let drifted = serde_json::json!({"usedAccountsCount": 4242, "newCounter": 1});
    inject(FaultKind::Body {
        body: drifted.clone(),
    });
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/mmc/management/orgRes",
            sandbox.base_url(HUAWEI)
        ))
        .header("x-access-token", token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), drifted);
    let refused = sandbox
        .inject(Fault {
            operation: Some("UpdateABasePlan".into()),
            kind: FaultKind::Body { body: drifted },
            times: 1,
        })
        .unwrap_err();
    assert!(
        refused.to_string().contains("nothing to replace"),
        "{refused}"
    );

    // The sandbox is still serving, with its own example again.
    let usage = huawei
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap();
    assert_ne!(
        serde_json::to_value(usage.into_inner()).unwrap()["usedAccountsCount"],
        4242
    );
    // Drop, two truncations, not-JSON, the body and this one: every faulted request is logged.
    assert_eq!(sandbox.count("ShowOrgRes"), 6);
}

#[tokio::test]
async fn faults_set_by_request_header_and_over_http() {
    let sandbox = sandbox().await;
    let mut headers = HeaderMap::new();
    headers.insert(
        spec_sandbox::FAULT_HEADER,
        HeaderValue::from_static("status=500; times=2"),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap();
    let faulty = huawei_meeting::Client::new_with_client(&sandbox.base_url(HUAWEI), http);
    let plain = huawei_meeting::Client::new(&sandbox.base_url(HUAWEI));
    let token = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    // `times=2` in the header: this request and the next one of the operation fail (the
    // second is sent without the header), the third succeeds.
    for client in [&faulty, &plain] {
        let err = client
            .show_org_res()
            .x_access_token(token)
            .send()
            .await
            .unwrap_err();
        assert_eq!(huawei_code(&err).0, 500);
    }
    plain
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap();

    let control = format!("http://{}/__sandbox", sandbox.addr());
    let http = reqwest::Client::new();
    let fault = serde_json::json!({"operation": "ShowCorpResource", "kind": "status", "status": 429, "times": 1});
    assert_eq!(
        http.post(format!("{control}/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        204
    );
    let err = plain
        .show_corp_resource()
        .x_access_token(token)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.status().unwrap().as_u16(), 429);
    assert!(err.to_string().contains("429"), "{err}");

    let log: serde_json::Value = http
        .get(format!("{control}/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["counts"]["ShowOrgRes"], 3);
    assert_eq!(log["counts"]["ShowCorpResource"], 1);
    let health: serde_json::Value = http
        .get(format!("{control}/health"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["status"], "ok");
    let bad = http
        .post(format!("{control}/faults"))
        .body("nonsense")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    // Values that would silently do something else are refused with a reason.
    for (fault, reason) in [
        (
            serde_json::json!({"operation": "NoSuchOp", "kind": "drop"}),
            "NoSuchOp",
        ),
        (serde_json::json!({"kind": "drop", "times": 0}), "times"),
        (
            serde_json::json!({"kind": "delay", "millis": 3_600_000}),
            "limit",
        ),
        (serde_json::json!({"kind": "status", "status": 200}), "200"),
    ] {
        let response = http
            .post(format!("{control}/faults"))
            .json(&fault)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 400, "{fault}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"], "invalid_fault");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains(reason), "{fault}: {message}");
    }
    let refused = sandbox.inject(Fault {
        operation: Some("NoSuchOp".into()),
        kind: FaultKind::Drop,
        times: 1,
    });
    assert!(refused.unwrap_err().to_string().contains("NoSuchOp"));
    let response = http
        .get(format!(
            "{}/v1/mmc/management/orgRes",
            sandbox.base_url(HUAWEI)
        ))
        .header("x-access-token", token)
        .header(spec_sandbox::FAULT_HEADER, "drop; times=0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["error_msg"].as_str().unwrap();
    assert!(
        message.contains(spec_sandbox::FAULT_HEADER) && message.contains("times"),
        "{message}"
    );
    // None of the refused faults was queued.
    plain
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap();
}

/// Status, `Allow` header and JSON body of one request.
async fn answer(method: reqwest::Method, url: String) -> (u16, Option<String>, serde_json::Value) {
    let response = reqwest::Client::new()
        .request(method, url)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let allow = response
        .headers()
        .get("allow")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, allow, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_the_vendor_format() {
    use reqwest::Method;
    let sandbox = sandbox().await;
    let base = format!("http://{}", sandbox.addr());

    // Zoom's format: `code` and `message`.
    let (status, _, body) =
        answer(Method::GET, format!("{base}/zoom/v2/accounts/me/nothing")).await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], 404);
    assert!(body["message"].is_string(), "{body}");
    let (status, allow, body) = answer(
        Method::DELETE,
        format!("{base}/zoom/v2/accounts/me/plans/usage"),
    )
    .await;
    assert_eq!((status, allow.as_deref()), (405, Some("GET")));
    assert!(
        body["code"].is_i64() && body["message"].is_string(),
        "{body}"
    );
    assert!(body.get("error_code").is_none(), "{body}");

    // Huawei's format: `error_code` and `error_msg`, from the API gateway.
    let (status, _, body) = answer(
        Method::GET,
        format!("{base}/huawei/v1/mmc/management/nothing"),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error_code"], "APIG.0101", "{body}");
    assert!(body["error_msg"].is_string(), "{body}");
    assert!(body.get("code").is_none(), "{body}");
    let (status, allow, body) = answer(
        Method::DELETE,
        format!("{base}/huawei/v1/mmc/management/orgRes"),
    )
    .await;
    assert_eq!((status, allow.as_deref()), (405, Some("GET")));
    assert_eq!(body["error_code"], "APIG.0101");

    // The token endpoint lives on Zoom's OAuth host: its 405 comes in the OAuth format.
    let (status, allow, body) = answer(Method::GET, format!("{base}/zoom/oauth/token")).await;
    assert_eq!((status, allow.as_deref()), (405, Some("POST")));
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(body.get("code").is_none(), "{body}");

    let (status, _, _) = answer(Method::GET, format!("{base}/elsewhere")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn prefer_picks_an_example_by_name_alone_or_a_status_alone() {
    let sandbox = sandbox().await;
    let token = zoom_token(&sandbox, "sandbox-client-secret").await.unwrap();
    let get = |prefer: &'static str| {
        reqwest::Client::new()
            .get(format!(
                "{}/accounts/me/plans/usage",
                sandbox.base_url(ZOOM)
            ))
            .bearer_auth(&token)
            .header("prefer", prefer)
            .send()
    };

    // A success example that is not the first one, named alone.
    let response = get("example=list-form").await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["plan_zwr"][0]["type"], "zwr_monthly", "{body}");
    assert!(body.get("plan_webinar").is_none(), "{body}");

    // An error example named alone brings its own status.
    let response = get("example=free-account").await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["code"], 200, "{body}");

    // A status alone: its first example.
    let response = get("code=400").await.unwrap();
    assert_eq!(response.status().as_u16(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["message"], "Only available for Paid account.",
        "{body}"
    );

    // Names and statuses the operation does not document are a 400 naming `Prefer`, not a
    // silent fallback to the success example.
    for prefer in ["example=no-such-example", "code=418"] {
        let response = get(prefer).await.unwrap();
        assert_eq!(response.status().as_u16(), 400, "{prefer}");
        let body = response.text().await.unwrap();
        assert!(body.to_lowercase().contains("prefer"), "{prefer}: {body}");
    }
}

#[tokio::test]
async fn vendor_headers_are_sent() {
    let sandbox = sandbox().await;
    let response = reqwest::Client::new()
        .get(format!(
            "{}/v1/mmc/management/orgRes",
            sandbox.base_url(HUAWEI)
        ))
        .header("x-access-token", "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax")
        .header("x-request-id", "trace-me-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("x-request-id").unwrap(),
        "trace-me-123"
    );
    let api = response
        .headers()
        .get("x-apig-ratelimit-api")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(
        api.starts_with("remain:") && api.ends_with(",limit:100,time:1 minute"),
        "{api}"
    );

    let token = zoom_token(&sandbox, "sandbox-client-secret").await.unwrap();
    let response = reqwest::Client::new()
        .get(format!("{}/accounts/me/plans", sandbox.base_url(ZOOM)))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers().get("x-ratelimit-category").unwrap(),
        "Medium"
    );
    assert_eq!(response.headers().get("x-ratelimit-limit").unwrap(), "20");
    assert!(response.headers().get("x-zm-trackingid").is_some());
}

#[tokio::test]
async fn it_listens_only_where_it_is_told() {
    let sandbox = sandbox().await;
    assert!(sandbox.addr().ip().is_loopback());
    assert_ne!(sandbox.addr().port(), 0);
    let addr = sandbox.addr();
    sandbox.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}

/// Webex's refresh grant, as the spec's example sends it, with this refresh token.
fn webex_grant(refresh: &str, secret: &str) -> webex_admin::types::RefreshTokenGrant {
    use webex_admin::types::{RefreshTokenGrant, RefreshTokenGrantGrantType};
    RefreshTokenGrant::builder()
        .grant_type(RefreshTokenGrantGrantType::RefreshToken)
        .client_id("C3f6a2b19d0e4c87a5b1e9d24f70c6a3b8e1d5f92a4c07b6e3d8f1a5c2b9e4d70")
        .client_secret(webex_admin::Secret::from(secret))
        .refresh_token(webex_admin::Secret::from(refresh))
        .try_into()
        .unwrap()
}

#[tokio::test]
async fn webex_refresh_tokens_rotate_and_the_old_one_is_refused() {
    // Nothing in the sandbox names Webex: the token flow comes from the spec's
    // `x-sandbox-vendor` (body refresh token, rotation, client in the body).
    const SECRET: &str = "9WI-AlhnQK8LQnScQFaWH7bywUuogm1ynMZR3Fef5lEGiL4_zotvYq0kLOBBR3BV";
    const EXAMPLE_REFRESH: &str =
        "hQUlcnQHvJ2WbKVckotJUMlJaJnGbK9z1FD3pb7jY8HkMtIkQS6XEfmkzq_ljjpj";
    let sandbox = sandbox().await;
    let base = sandbox.base_url(WEBEX);
    let client = webex_admin::Client::new(&base);
    let refresh = |token: &str| {
        client
            .refresh_access_token()
            .body(webex_grant(token, SECRET))
            .send()
    };

    let first = refresh(EXAMPLE_REFRESH).await.unwrap();
    assert!(
        first.headers().contains_key("trackingid"),
        "{:?}",
        first.headers()
    );
    let first = first.into_inner();
    let rotated = first.refresh_token.as_ref().unwrap().expose().to_owned();
    assert_ne!(rotated, EXAMPLE_REFRESH, "a new refresh token comes back");
    assert_eq!(first.expires_in.as_ref().map(|n| n.get()), Some(3600));

    // The new access token opens the licences.
    let access = first.access_token.as_ref().unwrap().expose().to_owned();
    let http = webex_admin::http_client_with_token(&access).unwrap();
    let licences = webex_admin::Client::new_with_client(&base, http)
        .list_licenses()
        .send()
        .await
        .unwrap();
    assert!(!licences.items.is_empty());

    // The rotated token works once; then its successor replaces it and it is refused.
    let second = refresh(&rotated).await.unwrap().into_inner();
    let newest = second.refresh_token.as_ref().unwrap().expose().to_owned();
    assert_ne!(newest, rotated);
    let err = refresh(&rotated).await.unwrap_err();
    let webex_admin::Error::ErrorResponse(answer) = err else {
        panic!("{err:?}")
    };
    assert_eq!(answer.status().as_u16(), 400);
    let description = answer.errors[0].description.clone().unwrap_or_default();
    assert!(description.starts_with("refresh_token: "), "{description}");
    refresh(&newest).await.unwrap();

    // A wrong client secret: the spec's 401, whatever the refresh token.
    let err = client
        .refresh_access_token()
        .body(webex_grant(&newest, "not-the-secret"))
        .send()
        .await
        .unwrap_err();
    let webex_admin::Error::ErrorResponse(answer) = err else {
        panic!("{err:?}")
    };
    assert_eq!(answer.status().as_u16(), 401);
    assert_eq!(
        answer.message.as_deref(),
        Some("Invalid client credentials")
    );
}

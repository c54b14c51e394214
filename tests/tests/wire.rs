//! Every operation of every spec, through its generated client, against a recording server on
//! 127.0.0.1: the request on the wire (method, path, query, headers, credentials, body) is
//! what the spec says, every success example decodes, and every documented error status with
//! every example becomes the typed vendor error.
//!
//! The cases come from the specs (parameter examples, request examples, response examples)
//! and the calls go through each crate's generated `dispatch` module, so an operation or
//! example added to a spec is tested here without editing this file.

use base64::Engine as _;
use serde_json::Value;
use workspace_tests::{Operation, Recorded, RecordingServer, Spec, call_with, check_answer, plain};

const TOKEN: &str = "test-token-Zk8";
const CLIENT_ID: &str = "test-client-id";
const CLIENT_SECRET: &str = "test-client-secret";

/// One spec: where its server URL puts it, and the credentials its client sends.
struct Target {
    spec: &'static str,
    /// Path prefix of the spec's server URL (`/v2` for Zoom's API).
    prefix: &'static str,
    /// The `Authorization` header every request must carry, if the client adds one, worked
    /// out here independently of the crates' helpers.
    authorization: Option<String>,
}

impl Target {
    /// The HTTP client a user would build: from the crate's own credential helpers, so the
    /// header check in `check_request` tests them.
    fn http(&self) -> reqwest::Client {
        match self.spec {
            "zoom/billing-plans.yaml" => zoom_billing::http_client_with_token(TOKEN).unwrap(),
            "zoom/oauth.yaml" => zoom_billing::oauth::http_client_with_client_credentials(
                CLIENT_ID,
                &zoom_billing::Secret::from(CLIENT_SECRET),
            )
            .unwrap(),
            "webex/admin.yaml" => webex_admin::http_client_with_token(TOKEN).unwrap(),
            _ => reqwest::Client::new(),
        }
    }
}

fn targets() -> Vec<Target> {
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"));
    vec![
        Target {
            spec: "zoom/billing-plans.yaml",
            prefix: "/v2",
            authorization: Some(format!("Bearer {TOKEN}")),
        },
        Target {
            spec: "zoom/oauth.yaml",
            prefix: "",
            authorization: Some(format!("Basic {basic}")),
        },
        Target {
            spec: "huawei/meeting.yaml",
            prefix: "",
            authorization: None,
        },
        Target {
            spec: "webex/admin.yaml",
            prefix: "/v1",
            authorization: Some(format!("Bearer {TOKEN}")),
        },
    ]
}

/// Checks one recorded request against the operation's spec; `body` is the request example
/// that was sent.
fn check_request(target: &Target, op: &Operation, request: &Recorded, body: Option<&Value>) {
    let context = format!("{} {}", target.spec, op.id);
    assert_eq!(request.method, op.method, "{context}");
    let (path, query) = request.uri.split_once('?').unwrap_or((&request.uri, ""));
    assert_eq!(
        path,
        format!("{}{}", target.prefix, op.example_path()),
        "{context}"
    );

    let mut expected_query: Vec<(String, String)> = op
        .params
        .iter()
        .filter(|p| p.location == "query")
        .filter_map(|p| p.example.as_ref().map(|e| (p.name.clone(), plain(e))))
        .collect();
    let mut sent_query: Vec<(String, String)> = url_pairs(query);
    expected_query.sort();
    sent_query.sort();
    assert_eq!(sent_query, expected_query, "{context}: query string");

    for param in op.params.iter().filter(|p| p.location == "header") {
        let expected = param.example.as_ref().map(plain);
        assert!(
            param.example.is_some() || !param.required,
            "{context}: required header {} needs an example",
            param.name
        );
        assert_eq!(
            request.header(&param.name).map(str::to_owned),
            expected,
            "{context}: header {}",
            param.name
        );
    }
    let declares_authorization = op
        .params
        .iter()
        .any(|p| p.name.eq_ignore_ascii_case("authorization"));
    if !declares_authorization {
        assert_eq!(
            request.header("authorization").map(str::to_owned),
            target.authorization,
            "{context}: credentials"
        );
    }
    assert_eq!(
        request.header("accept"),
        Some("application/json"),
        "{context}"
    );
    let crate_name = match target.spec.split('/').next() {
        Some("zoom") => "zoom-billing",
        Some("webex") => "webex-admin",
        _ => "huawei-meeting",
    };
    // The client crate and its version, whose build metadata is the spec's `info.version`.
    let spec_text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../spec")
            .join(target.spec),
    )
    .unwrap_or_default();
    let info_version = spec_text
        .lines()
        .skip_while(|l| *l != "info:")
        .find_map(|l| l.strip_prefix("  version: "))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .unwrap_or_default();
    assert_eq!(
        request.header("user-agent"),
        Some(
            format!(
                "{crate_name}/{}+spec.{info_version}",
                env!("CARGO_PKG_VERSION")
            )
            .as_str()
        ),
        "{context}: User-Agent names the client crate"
    );
    // Nothing goes to the vendor that the spec does not declare: its parameters, plus what
    // HTTP itself needs and the credentials.
    let transport = [
        "host",
        "accept",
        "content-type",
        "content-length",
        "user-agent",
    ];
    for name in request.headers.keys() {
        let declared = op
            .params
            .iter()
            .any(|p| p.location == "header" && p.name.eq_ignore_ascii_case(name.as_str()));
        let credentials = name == "authorization" && target.authorization.is_some();
        assert!(
            declared || credentials || transport.contains(&name.as_str()),
            "{context}: header `{name}` is not declared by the spec"
        );
    }

    match (&op.body_media_type, body) {
        (Some(media_type), Some(example)) => {
            let content_type = request.header("content-type").unwrap_or_default();
            assert!(
                content_type.starts_with(media_type.as_str()),
                "{context}: content-type {content_type}"
            );
            let sent = if media_type == "application/x-www-form-urlencoded" {
                let text = std::str::from_utf8(&request.body).unwrap();
                Value::Object(
                    url_pairs(text)
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                )
            } else {
                request.json()
            };
            assert_eq!(
                &sent, example,
                "{context}: the body on the wire is the spec's example"
            );
        }
        (Some(_), None) => panic!("{context}: a request body needs an example"),
        (None, _) => assert!(request.body.is_empty(), "{context}: no body expected"),
    }
}

/// `a=1&b=x+y` → pairs, decoded.
fn url_pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

async fn exercise(target: &Target) -> usize {
    let spec = Spec::load(target.spec);
    let server = RecordingServer::start().await;
    let mut calls = 0;
    for op in spec.operations() {
        let (params, body) = op.example_args();
        for param in op.params.iter().filter(|p| p.required) {
            assert!(
                param.example.is_some(),
                "{} {}: required {} has no example",
                target.spec,
                op.id,
                param.name
            );
        }
        assert!(
            op.responses.iter().any(|(s, _)| (200..300).contains(s)),
            "{}: no success status",
            op.id
        );
        for (status, examples) in &op.responses {
            let cases: Vec<Option<&Value>> = if examples.is_empty() {
                vec![None]
            } else {
                examples.iter().map(|e| Some(&e.value)).collect()
            };
            if !(200..300).contains(status) {
                assert!(
                    !examples.is_empty(),
                    "{} {} {status}: error statuses need an example",
                    target.spec,
                    op.id
                );
            }
            for example in cases {
                match example {
                    Some(value) => server.reply(*status, value.clone()),
                    None => server.reply_empty(*status),
                }
                let base = server.url(target.prefix);
                let answer = call_with(
                    target.spec,
                    &base,
                    target.http(),
                    &op.id,
                    params.clone(),
                    body.clone(),
                )
                .await;
                let context = format!("{} {} {status}", target.spec, op.id);
                check_answer(&context, answer, *status, example);
                let requests = server.take_requests();
                assert_eq!(
                    requests.len(),
                    1,
                    "{context}: exactly one request (no retries)"
                );
                check_request(target, &op, &requests[0], body.as_ref());
                calls += 1;
            }
        }
        // Every other request example goes out as written too (the first one went with every
        // response above): for a `oneOf` body, each shape is encoded as its own variant.
        let (status, examples) = op
            .responses
            .iter()
            .find(|(s, _)| (200..300).contains(s))
            .unwrap();
        for example in op.body_examples.iter().skip(1) {
            let reply = examples.first().map(|e| &e.value);
            match reply {
                Some(value) => server.reply(*status, value.clone()),
                None => server.reply_empty(*status),
            }
            let answer = call_with(
                target.spec,
                &server.url(target.prefix),
                target.http(),
                &op.id,
                params.clone(),
                Some(example.value.clone()),
            )
            .await;
            let context = format!("{} {} request {}", target.spec, op.id, example.name);
            check_answer(&context, answer, *status, reply);
            let requests = server.take_requests();
            assert_eq!(requests.len(), 1, "{context}: exactly one request");
            check_request(target, &op, &requests[0], Some(&example.value));
            calls += 1;
        }
    }
    calls
}

#[tokio::test]
async fn every_zoom_billing_operation_on_the_wire() {
    let target = &targets()[0];
    let calls = exercise(target).await;
    // 8 operations; the count grows with the spec's examples.
    assert!(calls >= 8 * 4, "only {calls} calls");
}

#[tokio::test]
async fn every_zoom_oauth_operation_on_the_wire() {
    let target = &targets()[1];
    assert!(exercise(target).await >= 4);
}

#[tokio::test]
async fn every_huawei_operation_on_the_wire() {
    let target = &targets()[2];
    let calls = exercise(target).await;
    assert!(calls >= 6 * 5, "only {calls} calls");
}

#[tokio::test]
async fn every_webex_operation_on_the_wire() {
    let target = &targets()[3];
    let calls = exercise(target).await;
    assert!(calls >= 3, "only {calls} calls");
}

#[tokio::test]
async fn every_operation_is_reachable_through_dispatch() {
    let expectations: [(&str, &[&str]); 4] = [
        (
            "zoom/billing-plans.yaml",
            zoom_billing::dispatch::OPERATION_IDS,
        ),
        (
            "zoom/oauth.yaml",
            zoom_billing::oauth::dispatch::OPERATION_IDS,
        ),
        (
            "huawei/meeting.yaml",
            huawei_meeting::dispatch::OPERATION_IDS,
        ),
        ("webex/admin.yaml", webex_admin::dispatch::OPERATION_IDS),
    ];
    for (spec, ids) in expectations {
        let from_spec: Vec<String> = Spec::load(spec)
            .operations()
            .into_iter()
            .map(|op| op.id)
            .collect();
        assert_eq!(from_spec, ids, "{spec}");
    }
}

#[tokio::test]
async fn quoted_huawei_numbers_decode_to_their_values() {
    let spec = Spec::load("huawei/meeting.yaml");
    let quoted = spec
        .response_examples("ShowOrgRes", "200")
        .into_iter()
        .find(|e| e.name == "quoted-numbers")
        .unwrap();
    let server = RecordingServer::start().await;
    server.reply(200, quoted.value.clone());
    let usage = huawei_meeting::Client::new(&server.url(""))
        .show_org_res()
        .x_access_token(TOKEN)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(usage.conf_length.as_ref().map(|v| v.get()), Some(45));
    assert_eq!(usage.used_rec_storage.as_ref().map(|v| v.get()), Some(0.0));
    assert!(usage.conf_count.as_ref().is_some_and(|v| v.was_quoted()));
}

#[tokio::test]
async fn a_malformed_vendor_body_is_a_typed_error_not_a_panic() {
    let server = RecordingServer::start().await;
    server.reply(200, serde_json::json!({"confLength": "not a number"}));
    let err = huawei_meeting::Client::new(&server.url(""))
        .show_org_res()
        .x_access_token(TOKEN)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, huawei_meeting::Error::InvalidResponsePayload(..)),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("\"not a number\" is not a 64-bit integer"),
        "{err}"
    );

    server.reply(200, Value::String("<html>".into()));
    let http = zoom_billing::http_client_with_token(TOKEN).unwrap();
    let err = zoom_billing::Client::new_with_client(&server.url("/v2"), http)
        .get_plan_usage()
        .account_id("me")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, zoom_billing::Error::InvalidResponsePayload(..)),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_empty_account_id_never_reaches_the_wire() {
    let server = RecordingServer::start().await;
    let http = zoom_billing::http_client_with_token(TOKEN).unwrap();
    let err = zoom_billing::Client::new_with_client(&server.url("/v2"), http)
        .get_plan_usage()
        .account_id("")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(err, zoom_billing::Error::InvalidRequest(_)),
        "{err:?}"
    );
    assert!(server.take_requests().is_empty());
}

#[tokio::test]
async fn a_signed_app_id_request_carries_the_signature_and_the_signed_body() {
    use huawei_meeting::app_auth::{AppCredentials, SigningInput};
    let server = RecordingServer::start().await;
    let spec = Spec::load("huawei/meeting.yaml");
    let token = spec
        .response_examples("CreateAppIdToken", "200")
        .remove(0)
        .value;
    server.reply(200, token.clone());
    let app = AppCredentials::new(
        "fdb8e4699586458bbd10c834872dcc62",
        huawei_meeting::Secret::from("test-app-key"),
    );
    let signed = app
        .sign(&SigningInput {
            user_id: Some("alice"),
            expire_time: 1_900_000_000,
            nonce: "0123456789abcdef0123456789abcdef",
        })
        .unwrap();
    let answer = huawei_meeting::Client::new(&server.url(""))
        .create_app_id_token()
        .authorization(signed.authorization.clone())
        .x_token_type("LongTicket")
        .body(signed.body.clone())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.access_token.as_ref().map(|t| t.expose()),
        token["accessToken"].as_str()
    );
    assert_eq!(format!("{:?}", answer.access_token), "Some(Secret(***))");

    let request = server.take_requests().remove(0);
    assert_eq!(
        request.header("authorization"),
        Some(signed.authorization.expose())
    );
    assert_eq!(request.header("x-token-type"), Some("LongTicket"));
    let body = request.json();
    assert_eq!(body["userId"], "alice");
    assert_eq!(body["expireTime"], 1_900_000_000);
    assert_eq!(body["clientType"], 72);
    let data = format!(
        "fdb8e4699586458bbd10c834872dcc62:alice:1900000000:{}",
        body["nonce"].as_str().unwrap()
    );
    let expected = huawei_meeting::app_auth::hmac_sha256_hex("test-app-key", &data);
    assert!(
        signed
            .authorization
            .expose()
            .contains(&format!("signature={expected},"))
    );
}

/// A token response that fails to decode, or a token argument of the wrong type: the dispatch
/// error says where and what kind, never the value.
#[tokio::test]
async fn dispatch_errors_never_quote_values() {
    let secret = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    let server = RecordingServer::start().await;
    // `expires_in` is an integer in the spec: the body does not decode.
    server.reply(
        200,
        serde_json::json!({"access_token": secret, "token_type": "bearer", "expires_in": secret}),
    );
    let client = zoom_billing::oauth::Client::new(&server.url(""));
    let args = zoom_billing::oauth::dispatch::Args {
        params: serde_json::Map::new(),
        body: Some(serde_json::json!({
            "grant_type": "account_credentials",
            "account_id": "kKPjoUQnTVGY0D8fXtmqUg"
        })),
    };
    let err = zoom_billing::oauth::dispatch::call(&client, "RequestAccessToken", &args)
        .await
        .unwrap_err();
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(
        shown.contains("does not decode") && shown.contains("line 1"),
        "{shown}"
    );

    // A string where an integer belongs: serde's own message would quote it.
    let mut params = serde_json::Map::new();
    params.insert("X-Access-Token".into(), serde_json::json!(secret));
    params.insert("offset".into(), serde_json::json!(secret));
    let args = huawei_meeting::dispatch::Args { params, body: None };
    let client = huawei_meeting::Client::new(&server.url(""));
    let err = huawei_meeting::dispatch::call(&client, "SearchCorpResources", &args)
        .await
        .unwrap_err();
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(
        shown.contains("offset") && shown.contains("JSON string"),
        "{shown}"
    );
}

/// Dispatch arguments and answers carry tokens; their `Debug` shows names and shapes only.
#[test]
fn dispatch_debug_never_prints_values() {
    let secret = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    let mut params = serde_json::Map::new();
    params.insert("X-Access-Token".into(), serde_json::json!(secret));
    let args = huawei_meeting::dispatch::Args {
        params,
        body: Some(serde_json::json!({"token": secret, "needGenNewToken": false})),
    };
    let shown = format!("{args:?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(
        shown.contains("X-Access-Token") && shown.contains("token"),
        "{shown}"
    );
    let outcome = zoom_billing::oauth::dispatch::Outcome::Success {
        status: 200,
        body: serde_json::json!({"access_token": secret, "expires_in": 3600, "scope": ["a"]}),
    };
    let shown = format!("{outcome:?}");
    assert!(
        !shown.contains(secret) && !shown.contains("3600"),
        "{shown}"
    );
    assert!(
        shown.contains("200") && shown.contains("access_token"),
        "{shown}"
    );
}

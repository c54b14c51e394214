//! Each generated client against a recording server on 127.0.0.1: what goes on the wire
//! (method, path, headers, body) is what the spec says, every success example decodes, and
//! every documented error status with every example becomes the typed vendor error.
//!
//! The cases come from the specs: an example or error status added to a spec is tested here
//! without editing this file.

use serde_json::Value;
use workspace_tests::{Example, RecordingServer, Spec, compare_json};

const TOKEN: &str = "test-token-Zk8";

fn zoom_client(server: &RecordingServer) -> zoom_billing::Client {
    let http = zoom_billing::http_client_with_token(TOKEN).unwrap();
    zoom_billing::Client::new_with_client(&server.url("/v2"), http)
}

fn huawei_client(server: &RecordingServer) -> huawei_meeting::Client {
    huawei_meeting::Client::new(&server.url(""))
}

/// Asserts that a decoded value re-encodes to the example (numbers may change representation).
fn assert_decodes_to(example: &Example, decoded: &impl serde::Serialize) {
    let reencoded = serde_json::to_value(decoded).unwrap();
    if let Err(difference) = compare_json(&example.value, &reencoded) {
        panic!("example {}: {difference}", example.name);
    }
}

/// Documented statuses of an operation, each with its examples.
type Statuses = Vec<(u16, Vec<Example>)>;

/// Statuses of an operation split into (success, error) lists with their examples.
fn cases(spec: &Spec, operation: &str) -> (Statuses, Statuses) {
    let (success, errors): (Vec<_>, Vec<_>) = spec
        .responses(operation)
        .into_iter()
        .partition(|(status, _)| (200..300).contains(status));
    for (status, examples) in success.iter().chain(&errors) {
        assert!(!examples.is_empty(), "{operation} {status} has no example");
    }
    (success, errors)
}

/// One request is sent per example.
fn example_count(success: &[(u16, Vec<Example>)], errors: &[(u16, Vec<Example>)]) -> usize {
    success
        .iter()
        .chain(errors)
        .map(|(_, examples)| examples.len())
        .sum()
}

#[tokio::test]
async fn zoom_get_plan_usage() {
    let spec = Spec::load("zoom/billing-plans.yaml");
    let (success, errors) = cases(&spec, "GetPlanUsage");
    let server = RecordingServer::start().await;
    let client = zoom_client(&server);

    for (status, examples) in &success {
        for example in examples {
            server.reply(*status, example.value.clone());
            let response = client
                .get_plan_usage()
                .account_id("me")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status().as_u16(), *status);
            assert_decodes_to(example, &response.into_inner());
        }
    }
    for (status, examples) in &errors {
        for example in examples {
            server.reply(*status, example.value.clone());
            let err = client
                .get_plan_usage()
                .account_id("me")
                .send()
                .await
                .unwrap_err();
            assert_zoom_error(&err, *status, example);
        }
    }

    let requests = server.take_requests();
    assert_eq!(requests.len(), example_count(&success, &errors));
    for request in &requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.uri, "/v2/accounts/me/plans/usage");
        assert_eq!(
            request.header("authorization"),
            Some("Bearer test-token-Zk8")
        );
        assert_eq!(request.header("accept"), Some("application/json"));
        assert!(request.body.is_empty());
    }
}

#[tokio::test]
async fn zoom_subscribe_to_an_addon() {
    let spec = Spec::load("zoom/billing-plans.yaml");
    let operation = "SubscribeAccountToAnAdditionalPlan";
    let (success, errors) = cases(&spec, operation);
    let body = spec.request_examples(operation).remove(0).value;
    let typed_body: zoom_billing::types::AdditionalPlanRequest =
        serde_json::from_value(body.clone()).unwrap();
    let server = RecordingServer::start().await;
    let client = zoom_client(&server);

    let send = || {
        client
            .subscribe_account_to_an_additional_plan()
            .account_id("kKPjoUQnTVGY0D8fXtmqUg")
            .body(typed_body.clone())
            .send()
    };
    for (status, examples) in &success {
        for example in examples {
            server.reply(*status, example.value.clone());
            let response = send().await.unwrap();
            assert_eq!(response.status().as_u16(), *status);
            assert_decodes_to(example, &response.into_inner());
        }
    }
    for (status, examples) in &errors {
        for example in examples {
            server.reply(*status, example.value.clone());
            assert_zoom_error(&send().await.unwrap_err(), *status, example);
        }
    }

    let requests = server.take_requests();
    assert_eq!(requests.len(), example_count(&success, &errors));
    for request in requests {
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.uri,
            "/v2/accounts/kKPjoUQnTVGY0D8fXtmqUg/plans/addons"
        );
        assert_eq!(
            request.header("authorization"),
            Some("Bearer test-token-Zk8")
        );
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(
            request.json(),
            body,
            "the body on the wire is the spec's example"
        );
    }
}

fn assert_zoom_error(err: &zoom_billing::ZoomApiError, status: u16, example: &Example) {
    match err {
        zoom_billing::Error::ErrorResponse(response) => {
            assert_eq!(
                response.status().as_u16(),
                status,
                "example {}",
                example.name
            );
            assert_eq!(
                response.code,
                example.value["code"].as_i64(),
                "example {}",
                example.name
            );
            assert_eq!(
                response.message.as_deref(),
                example.value["message"].as_str()
            );
        }
        other => panic!(
            "{status} {} should be a typed Zoom error, got {other:?}",
            example.name
        ),
    }
}

#[tokio::test]
async fn huawei_show_org_res() {
    let spec = Spec::load("huawei/meeting.yaml");
    let (success, errors) = cases(&spec, "ShowOrgRes");
    let server = RecordingServer::start().await;
    let client = huawei_client(&server);
    let send = || {
        client
            .show_org_res()
            .x_access_token(TOKEN)
            .x_request_id("6c1c5b3b2a2d4f0e")
            .accept_language("en-US")
            .send()
    };

    for (status, examples) in &success {
        for example in examples {
            server.reply(*status, example.value.clone());
            let response = send().await.unwrap();
            assert_eq!(response.status().as_u16(), *status);
            assert_decodes_to(example, &response.into_inner());
        }
    }
    for (status, examples) in &errors {
        for example in examples {
            server.reply(*status, example.value.clone());
            match send().await.unwrap_err() {
                huawei_meeting::Error::ErrorResponse(response) => {
                    assert_eq!(response.status().as_u16(), *status);
                    assert_eq!(
                        response.error_code.as_deref(),
                        example.value["error_code"].as_str()
                    );
                    assert!(
                        response
                            .error_code
                            .as_deref()
                            .is_some_and(|c| c.starts_with("MMC."))
                    );
                }
                other => panic!("{status} should be a typed Huawei error, got {other:?}"),
            }
        }
    }

    let requests = server.take_requests();
    assert_eq!(requests.len(), example_count(&success, &errors));
    for request in requests {
        assert_eq!(request.method, "GET");
        assert_eq!(request.uri, "/v1/mmc/management/orgRes");
        assert_eq!(request.header("x-access-token"), Some(TOKEN));
        assert_eq!(request.header("x-request-id"), Some("6c1c5b3b2a2d4f0e"));
        assert_eq!(request.header("accept-language"), Some("en-US"));
        assert!(request.body.is_empty());
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
    let usage = huawei_client(&server)
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
    let client = huawei_client(&server);
    server.reply(200, serde_json::json!({"confLength": "not a number"}));
    let err = client
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
    let err = zoom_client(&server)
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
    let err = zoom_client(&server)
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

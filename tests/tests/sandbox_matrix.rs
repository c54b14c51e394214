//! The sandbox test matrix, derived from the specs: for every operation of every spec, every
//! documented status and every example, the generated client calls the sandbox (with
//! `Prefer: code=..., example=...`) and gets exactly that example back, typed.
//!
//! Requests are built from the specs' own examples (parameters, bodies, the token examples
//! the sandbox accepts as test credentials), so they pass the sandbox's credential checks and
//! request validation. An operation or example added to a spec joins the matrix by itself.

use base64::Engine as _;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::Value;
use spec_sandbox::{Sandbox, SandboxConfig};
use vendor_types::dispatch::Outcome;
use workspace_tests::{SPECS, Spec, call, check_answer};

/// Credentials the sandbox accepts for a spec, as default headers.
fn credentials(spec: &str, config: &SandboxConfig) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let authorization = match spec {
        // The access token of the OAuth spec's example response is a sandbox test token.
        "zoom/billing-plans.yaml" => {
            let example = Spec::load("zoom/oauth.yaml")
                .response_examples("RequestAccessToken", "200")
                .remove(0);
            Some(format!(
                "Bearer {}",
                example.value["access_token"].as_str().unwrap()
            ))
        }
        "zoom/oauth.yaml" => {
            let pair = format!("{}:{}", config.zoom_client_id, config.zoom_client_secret);
            Some(format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            ))
        }
        // The access token of the refresh endpoint's example answer is a sandbox test token.
        "webex/admin.yaml" => {
            let example = Spec::load("webex/admin.yaml")
                .response_examples("RefreshAccessToken", "200")
                .remove(0);
            Some(format!(
                "Bearer {}",
                example.value["access_token"].as_str().unwrap()
            ))
        }
        // Huawei credentials are parameters; their examples are the sandbox's test tokens.
        _ => None,
    };
    if let Some(value) = authorization {
        headers.insert(AUTHORIZATION, HeaderValue::from_str(&value).unwrap());
    }
    headers
}

#[tokio::test]
async fn every_operation_status_and_example_through_the_sandbox() {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let mut cases = 0;
    let mut operations = 0;
    for spec_file in SPECS {
        let spec = Spec::load(spec_file);
        let base = sandbox.base_url(&format!("spec/{spec_file}"));
        // Worked out once per spec (the Zoom case reads the OAuth spec's example).
        let spec_credentials = credentials(spec_file, &config);
        for op in spec.operations() {
            operations += 1;
            let (params, body) = op.example_args();
            for (status, examples) in &op.responses {
                let named: Vec<(Option<&str>, Option<&Value>)> = if examples.is_empty() {
                    vec![(None, None)]
                } else {
                    examples
                        .iter()
                        .map(|e| (Some(e.name.as_str()), Some(&e.value)))
                        .collect()
                };
                for (name, example) in named {
                    let mut headers = spec_credentials.clone();
                    let prefer = match name {
                        Some(name) => format!("code={status}, example={name}"),
                        None => format!("code={status}"),
                    };
                    headers.insert("prefer", HeaderValue::from_str(&prefer).unwrap());
                    let context = format!("{spec_file} {} {prefer}", op.id);
                    let answer = call(
                        spec_file,
                        &base,
                        headers,
                        &op.id,
                        params.clone(),
                        body.clone(),
                    )
                    .await;
                    check_answer(&context, answer, *status, example);
                    cases += 1;
                }
            }
            assert!(sandbox.count(&op.id) > 0, "{} was never reached", op.id);
        }
    }
    // The matrix covered as many operations as the generated clients have (both follow the
    // specs, so a new operation changes both and this holds without editing the test).
    let generated = zoom_billing::spec::OPERATIONS.len()
        + zoom_billing::oauth::spec::OPERATIONS.len()
        + huawei_meeting::spec::OPERATIONS.len()
        + webex_admin::spec::OPERATIONS.len();
    assert_eq!(operations, generated);
    // Every case reached the sandbox once: nothing retried, nothing short-circuited.
    assert_eq!(sandbox.requests().len(), cases);
    assert!(cases >= 60, "only {cases} cases");
}

#[tokio::test]
async fn without_prefer_the_success_example_is_served() {
    let config = SandboxConfig::default();
    let sandbox = Sandbox::start(config.clone(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    for spec_file in SPECS {
        let spec = Spec::load(spec_file);
        let base = sandbox.base_url(&format!("spec/{spec_file}"));
        for op in spec.operations() {
            let (params, body) = op.example_args();
            let (status, examples) = op
                .responses
                .iter()
                .find(|(s, _)| (200..300).contains(s))
                .unwrap();
            let answer = call(
                spec_file,
                &base,
                credentials(spec_file, &config),
                &op.id,
                params,
                body.clone(),
            )
            .await;
            let role = spec
                .operation(&op.id)
                .get("x-sandbox-role")
                .and_then(Value::as_str);
            if let Some(role) = role {
                // Token operations work for real: a grant or refresh issues a fresh token, a
                // validation answers for the presented one, with real lifetimes.
                let Ok(Outcome::Success {
                    status: got,
                    body: answered,
                }) = answer
                else {
                    panic!("{}: {answer:?}", op.id);
                };
                assert_eq!(got, *status, "{}", op.id);
                let token = |v: &Value| {
                    v.get("access_token")
                        .or_else(|| v.get("accessToken"))
                        .cloned()
                };
                let documented = examples.first().and_then(|e| token(&e.value));
                match role {
                    "token-validation" => {
                        let presented = body.as_ref().and_then(|b| b.get("token")).cloned();
                        assert!(
                            presented.is_some(),
                            "{}: the example presents a token",
                            op.id
                        );
                        assert_eq!(token(&answered), presented, "{}", op.id);
                    }
                    _ => {
                        let issued = token(&answered)
                            .unwrap_or_else(|| panic!("{} answered without a token", op.id));
                        assert_ne!(Some(issued), documented, "{} must issue a new token", op.id);
                    }
                }
            } else {
                check_answer(&op.id, answer, *status, examples.first().map(|e| &e.value));
            }
        }
    }
}

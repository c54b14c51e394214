//! What users of the client crates rely on beyond the calls themselves: token answers decode
//! whatever JSON type their numbers arrive in, errors never carry a response body, every call
//! is observable, and test scaffolding stays out of the default API.

use huawei_meeting::Redact as _;
use serde_json::json;
use spec_sandbox::{Sandbox, SandboxConfig};
use workspace_tests::RecordingServer;

const SIGNATURE: &str = "HMAC-SHA256 signature=00,access=ZmRi";

fn signed_body() -> huawei_meeting::types::AppIdAuthRequest {
    serde_json::from_value(json!({
        "appId": "fdb8e4699586458bbd10c834872dcc62",
        "clientType": 72,
        "expireTime": 1_900_000_000,
        "nonce": "0123456789abcdef0123456789abcdef"
    }))
    .unwrap()
}

#[tokio::test]
async fn token_answers_decode_with_quoted_numbers() {
    let server = RecordingServer::start().await;
    server.reply(
        200,
        json!({"accessToken": "tok-Q9", "expireTime": "1700000000", "validPeriod": "86400",
               "clientType": "72", "tokenType": 0, "createTime": null}),
    );
    let answer = huawei_meeting::Client::new(&server.url(""))
        .create_app_id_token()
        .authorization(SIGNATURE)
        .x_token_type("LongTicket")
        .body(signed_body())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.expire_time.map(|t| t.get()), Some(1_700_000_000));
    assert_eq!(answer.valid_period.map(|t| t.get()), Some(86_400));
    assert_eq!(answer.client_type.map(|t| t.get()), Some(72));
    assert_eq!(answer.create_time, None);

    server.reply(
        200,
        json!({"access_token": "eyJ-z", "token_type": "bearer", "expires_in": "3600"}),
    );
    let grant = zoom_billing::oauth::types::AccountCredentialsGrant::builder()
        .grant_type(
            zoom_billing::oauth::types::AccountCredentialsGrantGrantType::AccountCredentials,
        )
        .account_id("acc");
    let token = zoom_billing::oauth::Client::new(&server.url(""))
        .request_access_token()
        .body(grant)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(token.expires_in.map(|t| t.get()), Some(3600));
}

#[tokio::test]
async fn an_undecodable_token_answer_is_reported_without_the_token() {
    let server = RecordingServer::start().await;
    let answer = json!({"accessToken": "tok-SECRET-7f3a", "expireTime": "soon"});
    let client = huawei_meeting::Client::new(&server.url(""));
    let call = || {
        client
            .create_app_id_token()
            .authorization(SIGNATURE)
            .x_token_type("LongTicket")
            .body(signed_body())
    };

    // progenitor's own error prints the body, token included: the reason to redact.
    server.reply(200, answer.clone());
    let raw = call().send().await.unwrap_err();
    assert!(format!("{raw}").contains("tok-SECRET-7f3a"));

    server.reply(200, answer);
    let err = call().send().await.redact("CreateAppIdToken").unwrap_err();
    let shown = format!("{err}\n{err:?}");
    assert!(!shown.contains("tok-SECRET-7f3a"), "{shown}");
    assert!(!shown.contains("soon"), "{shown}");
    assert!(
        err.to_string()
            .starts_with("huawei CreateAppIdToken: the response does not decode at `expireTime`: "),
        "{err}"
    );
    assert!(matches!(
        &err,
        huawei_meeting::CallError::Decode { path, .. } if path == "expireTime"
    ));
}

#[tokio::test]
async fn documented_errors_keep_status_code_and_request_id() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let client = huawei_meeting::Client::new(&sandbox.base_url("spec/huawei/meeting.yaml"));
    let err = client
        .show_org_res()
        .x_access_token("not-a-token-Xy1")
        .send()
        .await
        .redact("ShowOrgRes")
        .unwrap_err();
    assert_eq!(err.status(), Some(401));
    assert_eq!(err.vendor_code().as_deref(), Some("MMC.118000001"));
    assert!(err.request_id().is_some_and(|id| !id.is_empty()));
    let shown = format!("{err}\n{err:?}");
    assert!(!shown.contains("not-a-token-Xy1"), "{shown}");
    assert!(
        shown.starts_with("huawei ShowOrgRes: HTTP 401, code MMC.118000001"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_caller_can_name_itself_in_user_agent() {
    let server = RecordingServer::start().await;
    server.reply(200, json!({}));
    let client = huawei_meeting::Client::new(&server.url(""));
    vendor_types::hooks::with_user_agent(
        reqwest::header::HeaderValue::from_static("meeting-usage/9.9.9"),
        client.show_org_res().x_access_token("t").send(),
    )
    .await
    .unwrap();
    server.reply(200, json!({}));
    client
        .show_org_res()
        .x_access_token("t")
        .send()
        .await
        .unwrap();
    let requests = server.take_requests();
    assert_eq!(
        requests[0].header("user-agent"),
        Some("meeting-usage/9.9.9")
    );
    // The client's own name and version, which carries its spec's revision (`+spec.1.0.0`).
    let own = requests[1].header("user-agent").unwrap_or_default();
    assert!(
        own.starts_with(concat!(
            "huawei-meeting/",
            env!("CARGO_PKG_VERSION"),
            "+spec."
        )),
        "{own}"
    );
    assert!(requests.iter().all(|r| r.header("api-version").is_none()));
}

/// The workspace's packages as `cargo metadata --no-deps` describes them.
fn workspace_packages() -> Vec<serde_json::Value> {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success());
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"].as_array().unwrap().clone()
}

/// The generated `dispatch` modules and `vendor_types::dispatch` are test scaffolding: they
/// exist only with the cargo feature `dispatch`, which no crate enables by default.
#[test]
fn dispatch_is_behind_a_feature_that_is_off_by_default() {
    let metadata = workspace_packages();
    for name in ["zoom-billing", "huawei-meeting", "vendor-types"] {
        let package = metadata.iter().find(|p| p["name"] == name).unwrap();
        let features = &package["features"];
        assert!(
            features.get("dispatch").is_some(),
            "{name} has no `dispatch` feature"
        );
        let default = features
            .get("default")
            .and_then(|d| d.as_array())
            .cloned()
            .unwrap_or_default();
        assert!(
            !default.iter().any(|f| f == "dispatch"),
            "{name} enables dispatch by default"
        );
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for generated in [
        "crates/zoom-billing/src/generated.rs",
        "crates/zoom-billing/src/generated_oauth.rs",
        "crates/huawei-meeting/src/generated.rs",
    ] {
        let text = std::fs::read_to_string(root.join(generated)).unwrap();
        let module = text.find("pub mod dispatch").unwrap();
        let gate = text[..module]
            .rfind("#[cfg(feature = \"dispatch\")]")
            .unwrap();
        assert!(
            text[gate..module].lines().count() <= 2,
            "{generated}: `pub mod dispatch` is not gated"
        );
    }
    let lib = std::fs::read_to_string(root.join("crates/vendor-types/src/lib.rs")).unwrap();
    assert!(lib.contains("#[cfg(feature = \"dispatch\")]\npub mod dispatch;"));
}

/// The facade brings its own TLS (rustls with ring, `meeting_usage::tls`) and turns the
/// clients' `default-tls` off, so its dependency tree has no aws-lc (a long C build), while the
/// clients alone keep HTTPS working out of the box through that default feature.
#[test]
fn the_facade_builds_without_aws_lc_and_the_clients_default_to_tls() {
    let tree = std::process::Command::new(env!("CARGO"))
        .args([
            "tree",
            "--package",
            "meeting-usage",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
            "--locked",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(
        tree.status.success(),
        "{}",
        String::from_utf8_lossy(&tree.stderr)
    );
    let tree = String::from_utf8(tree.stdout).unwrap();
    let crates: Vec<&str> = tree
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(crates.contains(&"ring"), "ring is missing:\n{tree}");
    assert!(crates.contains(&"zoom-billing"));
    for absent in ["aws-lc-rs", "aws-lc-sys"] {
        assert!(
            !crates.contains(&absent),
            "{absent} is in the facade's tree"
        );
    }

    let metadata = workspace_packages();
    for name in ["zoom-billing", "huawei-meeting"] {
        let package = metadata.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(
            package["features"]["default"],
            serde_json::json!(["default-tls"]),
            "{name}"
        );
        assert_eq!(
            package["features"]["default-tls"],
            serde_json::json!(["reqwest/rustls"]),
            "{name}"
        );
    }
}

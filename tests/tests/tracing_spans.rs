//! Every call of a generated client is a `tracing` span. In a test binary of its own: tracing's
//! per-callsite interest is process-wide, and tests that run in parallel without a subscriber
//! could otherwise have the callsites disabled before this test's subscriber is installed.

use std::io::Write;
use std::sync::{Arc, Mutex};

use spec_sandbox::{Sandbox, SandboxConfig};

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn every_call_is_a_span_with_status_latency_and_request_id_but_no_secrets() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let token = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    let client = huawei_meeting::Client::new(&sandbox.base_url("spec/huawei/meeting.yaml"));
    client
        .show_org_res()
        .x_access_token(token)
        .send()
        .await
        .unwrap();
    let zoom = zoom_billing::Client::new_with_client(
        &sandbox.base_url("spec/zoom/billing-plans.yaml"),
        zoom_billing::http_client_with_token("expired-or-unknown-token-Q").unwrap(),
    );
    let _ = zoom.get_plan_usage().account_id("me").send().await;

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let huawei_line = log
        .lines()
        .find(|l| l.contains("vendor answered") && l.contains("ShowOrgRes"))
        .unwrap_or_else(|| panic!("no event for ShowOrgRes in:\n{log}"));
    for field in [
        "vendor_call{",
        "vendor=\"huawei\"",
        "operation=\"ShowOrgRes\"",
        "method=GET",
        "status=200",
        "latency_ms=",
        "request_id=",
    ] {
        assert!(
            huawei_line.contains(field),
            "{field} missing: {huawei_line}"
        );
    }
    let zoom_line = log
        .lines()
        .find(|l| l.contains("vendor answered") && l.contains("GetPlanUsage"))
        .unwrap_or_else(|| panic!("no event for GetPlanUsage in:\n{log}"));
    assert!(zoom_line.contains("status=401"), "{zoom_line}");
    assert!(zoom_line.contains("vendor=\"zoom\""), "{zoom_line}");
    for secret in [
        token,
        "expired-or-unknown-token-Q",
        "X-Access-Token",
        "Bearer",
    ] {
        assert!(!log.contains(secret), "{secret} leaked:\n{log}");
    }
}

//! The facade's Webex source end to end: the generated `webex-admin` client against the
//! in-process sandbox, which serves `spec/webex/admin.yaml` with refresh-token rotation.

use std::path::Path;
use std::time::Duration;

use meeting_usage::{
    Error, ProductKind, RetryPolicy, Secret, UsageSource, Vendor, WebexOrg, summarize,
};
use spec_sandbox::{Fault, FaultKind, RunningSandbox, Sandbox, SandboxConfig};
use webex_admin::token_file::TokenFile;

/// The integration of the spec's refresh example (seeded in the sandbox), and the access
/// token of its answer example.
const CLIENT_ID: &str = "C3f6a2b19d0e4c87a5b1e9d24f70c6a3b8e1d5f92a4c07b6e3d8f1a5c2b9e4d70";
const CLIENT_SECRET: &str = "9WI-AlhnQK8LQnScQFaWH7bywUuogm1ynMZR3Fef5lEGiL4_zotvYq0kLOBBR3BV";
const REFRESH_TOKEN: &str = "hQUlcnQHvJ2WbKVckotJUMlJaJnGbK9z1FD3pb7jY8HkMtIkQS6XEfmkzq_ljjpj";
const ACCESS_TOKEN: &str = "eg-0PTR6Yd3inZPNLTTXM57DFa_G6J_n7lVavmuj2VaWisK9pmwgsuuBU2ioOxRs";

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

fn integration(sandbox: &RunningSandbox, refresh: Option<&str>, file: &Path) -> WebexOrg {
    WebexOrg::integration(
        CLIENT_ID,
        Secret::from(CLIENT_SECRET),
        refresh.map(Secret::from),
    )
    .api_url(sandbox.base_url("spec/webex/admin.yaml"))
    .token_file(file)
    .retry(FAST)
    .build()
    .unwrap()
}

fn stored(file: &Path) -> String {
    TokenFile::new(file)
        .read()
        .unwrap()
        .unwrap()
        .expose()
        .to_owned()
}

/// No credential of the tests, and nothing shaped like an issued token (32 hex characters),
/// appears in `text`.
fn assert_no_secret(text: &str) {
    for secret in [CLIENT_SECRET, REFRESH_TOKEN, ACCESS_TOKEN, "Bearer "] {
        assert!(!text.contains(secret), "`{secret}` leaked: {text}");
    }
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        assert!(run < 32, "a token-like run in: {text}");
    }
}

#[tokio::test]
async fn the_example_licences_become_rows_with_kinds() {
    let sandbox = sandbox().await;
    let webex = WebexOrg::with_access_token(Secret::from(ACCESS_TOKEN))
        .api_url(sandbox.base_url("spec/webex/admin.yaml"))
        .build()
        .unwrap();
    assert_eq!((webex.vendor(), webex.account()), (Vendor::Webex, "me"));
    let report = webex.usage().await.unwrap();
    assert!(report.fully_recognized(), "{:?}", report.unrecognized);
    let row = |product: &'static str| report.seats_of(product).next().unwrap();
    let ee = row("EE");
    assert_eq!((ee.purchased(), ee.used()), (Some(400), Some(312)));
    assert_eq!(
        (ee.kind(), ee.label()),
        (ProductKind::Meetings, "Meeting - Webex Enterprise Edition")
    );
    assert_eq!(
        (ee.plan(), ee.site()),
        (Some("Sub-acme-2026-0147"), Some("acme.webex.com"))
    );
    assert_eq!(
        (row("SD").purchased(), row("SD").used()),
        (Some(12), Some(9)),
        "quoted counts"
    );
    let kinds: Vec<(&str, ProductKind)> = report
        .seats
        .iter()
        .map(|s| (s.product(), s.kind()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("BCPRO", ProductKind::Phone),
            ("CCSTD", ProductKind::ContactCenter),
            ("EE", ProductKind::Meetings),
            ("HECAL", ProductKind::Hybrid),
            ("MS", ProductKind::Messaging),
            ("ROUTELIST", ProductKind::Phone),
            ("SD", ProductKind::Rooms),
        ]
    );
    assert!(row("CCSTD").over_allocated(), "22 agents on 20 licences");
    let totals = summarize(std::slice::from_ref(&report));
    let phone = totals
        .iter()
        .find(|t| t.kind == ProductKind::Phone)
        .unwrap();
    assert_eq!((phone.purchased, phone.used), (Some(254), Some(232)));
    assert_eq!(sandbox.count("ListLicenses"), 1);
}

#[tokio::test]
async fn a_rotated_refresh_token_is_stored_and_used_next_time_and_the_old_one_is_refused() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("state/webex-token.json");

    // First run: the configured token is exchanged, and the new one lands in the file.
    integration(&sandbox, Some(REFRESH_TOKEN), &file)
        .usage()
        .await
        .unwrap();
    let first = stored(&file);
    assert_ne!(first, REFRESH_TOKEN);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    // Second run, configured with nothing: the file's token is used and replaced.
    integration(&sandbox, None, &file).usage().await.unwrap();
    let second = stored(&file);
    assert_ne!(second, first);
    assert_eq!(sandbox.count("RefreshAccessToken"), 2);

    // The first run's token was revoked by the rotation: a run that only has it fails with
    // the dedicated error, and the file keeps the newest token.
    let old = dir.path().join("old.json");
    TokenFile::new(&old)
        .write(&Secret::from(first.as_str()))
        .unwrap();
    let err = integration(&sandbox, None, &old).usage().await.unwrap_err();
    let Error::RefreshTokenRefused {
        status, request_id, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*status, 400);
    assert!(request_id.is_some(), "the tracking id is kept");
    let line = err.to_string();
    assert!(line.contains("authorize the integration again"), "{line}");
    assert!(!line.contains('\n'));
    assert_no_secret(&line.replace(request_id.as_deref().unwrap(), ""));
    assert_no_secret(&format!("{err:?}").replace(request_id.as_deref().unwrap(), ""));
    assert_eq!(stored(&file), second);
    assert_eq!(sandbox.count("ListLicenses"), 2);
}

#[tokio::test]
async fn a_newly_configured_token_recovers_from_a_refused_file() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    TokenFile::new(&file)
        .write(&Secret::from("revoked-long-ago"))
        .unwrap();
    integration(&sandbox, Some(REFRESH_TOKEN), &file)
        .usage()
        .await
        .unwrap();
    assert_eq!(
        sandbox.count("RefreshAccessToken"),
        2,
        "the file's, then the configured one"
    );
    assert_ne!(stored(&file), "revoked-long-ago");
}

#[tokio::test]
async fn two_concurrent_refreshes_keep_the_newest_token() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("token.json");
    // An issued (revocable) token in the file.
    integration(&sandbox, Some(REFRESH_TOKEN), &file)
        .usage()
        .await
        .unwrap();
    // Two independent sources, as two processes would be: each opens the lock file itself.
    // Without the lock both would send the file's token; the second would be refused, as the
    // first's refresh revoked it.
    let (a, b) = (
        integration(&sandbox, None, &file),
        integration(&sandbox, None, &file),
    );
    let (first, second) = tokio::join!(a.usage(), b.usage());
    first.unwrap();
    second.unwrap();
    assert_eq!(sandbox.count("RefreshAccessToken"), 3);
    // The file holds the last token issued, and it still works.
    integration(&sandbox, None, &file).usage().await.unwrap();
    assert_eq!(sandbox.count("RefreshAccessToken"), 4);
}

#[tokio::test]
async fn wrong_client_credentials_are_an_authentication_error() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let webex = WebexOrg::integration(
        CLIENT_ID,
        Secret::from("wrong-secret"),
        Some(Secret::from(REFRESH_TOKEN)),
    )
    .api_url(sandbox.base_url("spec/webex/admin.yaml"))
    .token_file(dir.path().join("token.json"))
    .build()
    .unwrap();
    let err = webex.usage().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_secret(&err.to_string().replace(err.request_id().unwrap_or("-"), ""));
    assert!(
        !dir.path().join("token.json").exists(),
        "nothing was stored"
    );
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let sandbox = sandbox().await;
    let webex = WebexOrg::with_access_token(Secret::from(ACCESS_TOKEN))
        .api_url(sandbox.base_url("spec/webex/admin.yaml"))
        .retry(FAST)
        .build()
        .unwrap();
    let limited = FaultKind::Status {
        status: 429,
        retry_after: Some(1),
    };
    let fault = Fault {
        operation: Some("ListLicenses".into()),
        kind: limited,
        times: 1,
    };
    sandbox.inject(fault).unwrap();
    let started = std::time::Instant::now();
    webex.usage().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(sandbox.count("ListLicenses"), 2);
}

#[tokio::test]
async fn a_refused_access_token_is_an_authentication_error_without_the_token() {
    let sandbox = sandbox().await;
    let webex = WebexOrg::with_access_token(Secret::from("0123456789abcdef0123456789abcdef"))
        .api_url(sandbox.base_url("spec/webex/admin.yaml"))
        .build()
        .unwrap();
    let err = webex.usage().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    let text = format!("{err} {err:?} {webex:?}");
    assert!(!text.contains("0123456789abcdef0123456789abcdef"), "{text}");
}

#[tokio::test]
async fn every_documented_error_status_maps_to_its_variant_on_one_line_without_secrets() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().unwrap();
    let webex = integration(
        &sandbox,
        Some(REFRESH_TOKEN),
        &dir.path().join("token.json"),
    );
    webex.usage().await.unwrap();
    type Case = (u16, fn(&Error) -> bool);
    let cases: [Case; 6] = [
        (400, |e| matches!(e, Error::Api { status: 400, .. })),
        (401, |e| {
            matches!(
                e,
                Error::Auth {
                    status: Some(401),
                    ..
                }
            )
        }),
        (403, |e| matches!(e, Error::Api { status: 403, .. })),
        (404, |e| matches!(e, Error::Api { status: 404, .. })),
        (429, |e| matches!(e, Error::RateLimited { status: 429, .. })),
        (503, |e| matches!(e, Error::Api { status: 503, .. })),
    ];
    for (code, expected) in cases {
        sandbox.clear_faults();
        let kind = FaultKind::Status {
            status: code,
            retry_after: None,
        };
        let fault = Fault {
            operation: Some("ListLicenses".into()),
            kind,
            times: 10,
        };
        sandbox.inject(fault).unwrap();
        let err = webex.usage().await.unwrap_err();
        assert!(expected(&err), "{code}: {err:?}");
        assert_eq!(
            (err.vendor(), err.operation()),
            (Some(Vendor::Webex), Some("ListLicenses"))
        );
        let id = err
            .request_id()
            .unwrap_or_else(|| panic!("{code}: no tracking id in {err:?}"));
        let line = err.to_string();
        assert!(
            line.starts_with("webex ListLicenses: ") && !line.contains('\n'),
            "{line}"
        );
        let text = format!("{line} {err:?} {webex:?}").replace(id, "");
        assert_no_secret(&text.replace(CLIENT_ID, "<client id>"));
    }
}

#[test]
fn builders_refuse_what_cannot_work() {
    let empty = WebexOrg::with_access_token(Secret::from("")).build();
    assert!(matches!(empty, Err(Error::Config { .. })));
    let no_token = WebexOrg::integration("id", Secret::from("secret"), None).build();
    assert!(matches!(no_token, Err(Error::Config { .. })));
    let plain = WebexOrg::with_access_token(Secret::from("t"))
        .api_url("ftp://x")
        .build();
    assert!(matches!(plain, Err(Error::Config { .. })));
    let debug = format!(
        "{:?}",
        WebexOrg::integration(
            "id",
            Secret::from("very-secret"),
            Some(Secret::from("very-refresh"))
        )
        .build()
        .unwrap()
    );
    assert!(!debug.contains("very-"), "{debug}");
}

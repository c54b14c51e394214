#![doc = include_str!("../README.md")]

mod call;
pub mod catalogue;
mod error;
mod fleet;
mod huawei;
mod huawei_map;
mod kind;
pub mod model;
mod pacer;
mod size;
mod source;
mod summary;
mod time;
pub mod tls;
mod token;
mod webex;
mod webex_map;
mod zoom;
mod zoom_map;

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};

pub use call::{RetryPolicy, Timeouts};
pub use error::Error;
pub use fleet::{
    AccountOutcome, FleetAccounts, FleetOptions, FleetProgress, FleetReport, FleetStats,
    FleetTotals, ProductTotal, ProgressFn, RateLimits, RateTier,
};
pub use huawei::{HuaweiEnterprise, HuaweiEnterpriseBuilder, HuaweiSite, Resource};
pub use kind::ProductKind;
pub use model::*;
pub use size::{BYTES_PER_GB, SizeError, parse_size};
pub use source::{BoxFuture, UsageSource, collect};
pub use summary::{Contributor, KindTotal, KindTotals, Unit, summarize};
pub use vendor_types::Secret;
pub use webex::{WebexOrg, WebexOrgBuilder};
pub use zoom::{
    AccountPlans, AddonReceipt, AddonRequest, SubAccount, SubAccounts, ZoomAccount,
    ZoomAccountBuilder,
};

/// The `User-Agent` the facade's requests carry unless a builder sets another.
pub const DEFAULT_USER_AGENT: &str = concat!("meeting-usage/", env!("CARGO_PKG_VERSION"));

/// A base URL the facade accepts: HTTP(S), no trailing slash (the generated clients join paths
/// by appending).
fn base_url(what: &str, url: &str) -> Result<String, Error> {
    let url = url.trim().trim_end_matches('/');
    let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
    if !scheme_ok || url.contains(char::is_whitespace) {
        return Err(Error::config(format!(
            "the {what} base URL must start with https:// (or http:// for a local test server)"
        )));
    }
    Ok(url.to_owned())
}

fn user_agent(value: &str) -> Result<HeaderValue, Error> {
    HeaderValue::try_from(value)
        .map_err(|_| Error::config("the User-Agent is not a valid HTTP header value"))
}

/// A header value that `Debug` output of clients and requests hides.
fn sensitive_header(value: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::try_from(value).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The HTTP client of one vendor account: the connect timeout, and `Authorization` if given
/// (marked sensitive). Per-attempt and overall timeouts are the facade's, not reqwest's.
fn http_client(
    timeouts: &Timeouts,
    authorization: Option<HeaderValue>,
) -> Result<reqwest::Client, Error> {
    let mut headers = HeaderMap::new();
    if let Some(value) = authorization {
        headers.insert(AUTHORIZATION, value);
    }
    tls::client_builder()?
        .connect_timeout(timeouts.connect)
        .default_headers(headers)
        .build()
        .map_err(|_| Error::config("the HTTP client cannot be built"))
}

/// An HTTP client of one vendor account that sends `Authorization: Bearer <token>`.
fn bearer_client(timeouts: &Timeouts, token: &Secret) -> Result<reqwest::Client, Error> {
    let bearer = sensitive_header(&format!("Bearer {}", token.expose()))
        .ok_or_else(|| Error::config("the access token cannot be sent in a header"))?;
    http_client(timeouts, Some(bearer))
}

/// The mappings from the generated clients' answers into the model, for programs that call
/// `zoom-billing`, `huawei-meeting` or `webex-admin` themselves (and for the decode benchmark).
///
/// ```
/// let usage: zoom_billing::types::PlanUsageReport = serde_json::from_str(
///     r#"{"plan_webinar": [{"hosts": 25, "usage": 18, "pending": 1, "type": "webinar500_monthly"}]}"#,
/// ).unwrap();
/// let report = meeting_usage::mapping::zoom_plan_usage("me", &usage, std::time::SystemTime::now());
/// assert_eq!(report.seats[0].purchased(), Some(25));
/// ```
pub mod mapping {
    use std::time::SystemTime;

    use crate::UsageReport;

    /// Zoom's plan usage (`GetPlanUsage`) of `account` as a report collected at `collected_at`.
    pub fn zoom_plan_usage(
        account: &str,
        usage: &zoom_billing::types::PlanUsageReport,
        collected_at: SystemTime,
    ) -> UsageReport {
        crate::zoom_map::zoom_report(account, usage, crate::time::rfc3339(collected_at))
    }

    /// Huawei's usage (`ShowOrgRes`), purchases (`ShowCorpResource`) and resource list
    /// (`SearchCorpResources`, every page) as one report collected at `now` (which also
    /// decides what expires within 30 days).
    pub fn huawei_enterprise(
        account: &str,
        org: &huawei_meeting::types::OrgResourceUsage,
        corp: &huawei_meeting::types::CorpResources,
        resources: &[huawei_meeting::types::CorpResourceItem],
        now: SystemTime,
    ) -> UsageReport {
        crate::huawei_map::huawei_report(
            account,
            org,
            corp,
            resources,
            now,
            crate::time::rfc3339(now),
        )
    }

    /// Webex's licence list (`ListLicenses`) of organisation `account`, collected at
    /// `collected_at`.
    pub fn webex_licenses(
        account: &str,
        list: &webex_admin::types::LicenseList,
        collected_at: SystemTime,
    ) -> UsageReport {
        crate::webex_map::webex_report(account, list, crate::time::rfc3339(collected_at))
    }

    pub use crate::webex_map::offer_code as webex_offer_code;
}

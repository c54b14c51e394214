//! `--format json`: `{"reports": [...], "errors": [...]}`.
//!
//! `reports` holds the usage model's reports as the facade serializes them (its documented
//! contract); `errors` one object per failed vendor with `vendor`, `account`, `operation`,
//! `status`, `code`, `request_id` and `message`, every field always present (`null` when
//! unknown).

use serde::Serialize;

use super::{Collected, Failure};
use meeting_usage::UsageReport;

/// The document printed.
#[derive(Serialize)]
struct Document<'a> {
    reports: &'a [UsageReport],
    errors: &'a [Failure],
}

/// The JSON document, pretty-printed, with a final newline; an error rather than an
/// incomplete document if serialization fails (the caller reports it and exits non-zero).
pub fn render(collected: &Collected) -> Result<String, serde_json::Error> {
    render_value(&Document {
        reports: &collected.reports,
        errors: &collected.failures,
    })
}

/// Any serializable answer (plans, resources), pretty-printed, with a final newline.
pub fn render_value<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use meeting_usage::{Seats, Vendor};
    use serde_json::{Value, json};

    #[test]
    fn shape() {
        let mut report = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        report.seats.push(Seats::new(
            "plan_webinar",
            Some("webinar500_monthly".into()),
            Some(25),
            Some(18),
            Some(1),
        ));
        let collected = Collected {
            reports: vec![report],
            failures: vec![Failure {
                vendor: Vendor::Huawei,
                account: "app".into(),
                operation: Some("ShowOrgRes".into()),
                status: Some(503),
                code: None,
                request_id: Some("r-1".into()),
                message: "huawei ShowOrgRes: HTTP 503".into(),
            }],
        };
        let value: Value =
            serde_json::from_str(&render(&collected).unwrap_or_default()).unwrap_or_default();
        assert_eq!(value["reports"][0]["vendor"], "zoom");
        assert_eq!(value["reports"][0]["seats"][0]["purchased"], 25);
        assert_eq!(value["reports"][0]["activity"], Value::Null);
        assert_eq!(
            value["errors"],
            json!([{
                "vendor": "huawei", "account": "app", "operation": "ShowOrgRes", "status": 503,
                "code": null, "request_id": "r-1", "message": "huawei ShowOrgRes: HTTP 503"
            }])
        );
    }
}

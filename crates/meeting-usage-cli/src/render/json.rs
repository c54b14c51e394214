//! `--format json`: `{"reports": [...], "by_kind": [...], "errors": [...]}`.
//!
//! `reports` holds the usage model's reports as the facade serializes them (its documented
//! contract); `by_kind` the facade's totals by product kind over those reports
//! ([`meeting_usage::summarize`], as it serializes them); `errors` one object per failed
//! vendor with `vendor`, `account`, `operation`, `status`, `code`, `request_id` and `message`,
//! every field always present (`null` when unknown).

use serde::Serialize;

use super::{Collected, Failure};
use meeting_usage::{KindTotal, UsageReport, summarize};

/// The document printed.
#[derive(Serialize)]
struct Document<'a> {
    reports: &'a [UsageReport],
    by_kind: Vec<KindTotal>,
    errors: &'a [Failure],
}

/// The JSON document, pretty-printed, with a final newline; an error rather than an
/// incomplete document if serialization fails (the caller reports it and exits non-zero).
pub fn render(collected: &Collected) -> Result<String, serde_json::Error> {
    render_value(&Document {
        reports: &collected.reports,
        by_kind: summarize(&collected.reports),
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
        report.classify();
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
        assert_eq!(value["by_kind"][0]["kind"], "webinars");
        assert_eq!(
            value["errors"],
            json!([{
                "vendor": "huawei", "account": "app", "operation": "ShowOrgRes", "status": 503,
                "code": null, "request_id": "r-1", "message": "huawei ShowOrgRes: HTTP 503"
            }])
        );
    }

    #[test]
    fn by_kind_adds_up_the_rows() {
        let mut zoom = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        zoom.seats = vec![
            Seats::new(
                "plan_base",
                Some("yearly".into()),
                Some(75),
                Some(44),
                Some(3),
            ),
            Seats::new("plan_zoom_one", None, Some(30), Some(28), Some(1)),
            Seats::new("plan_webinar", None, Some(25), Some(18), None),
            Seats::new("plan_mystery", None, Some(2), Some(3), None),
        ];
        zoom.classify();
        let mut huawei = UsageReport::new(Vendor::Huawei, "corp", "2026-05-04T09:30:00Z");
        huawei.seats = vec![Seats::new("SOFT", None, Some(200), Some(158), None)];
        huawei.classify();
        let collected = Collected {
            reports: vec![zoom, huawei],
            failures: Vec::new(),
        };
        let value: Value =
            serde_json::from_str(&render(&collected).unwrap_or_default()).unwrap_or_default();
        let by_kind = value["by_kind"].as_array().cloned().unwrap_or_default();
        let kinds: Vec<&str> = by_kind.iter().filter_map(|t| t["kind"].as_str()).collect();
        assert_eq!(kinds, ["meetings", "webinars", "other"]);
        for total in &by_kind {
            let rows: Vec<&Value> = value["reports"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|r| r["seats"].as_array().into_iter().flatten())
                .filter(|s| s["kind"] == total["kind"])
                .collect();
            for figure in ["purchased", "used"] {
                let sum: u64 = rows.iter().filter_map(|s| s[figure].as_u64()).sum();
                assert_eq!(total[figure].as_u64(), Some(sum), "{figure} of {total}");
            }
            assert_eq!(total["unit"], "seats");
            assert_eq!(total["products"].as_array().map(Vec::len), Some(rows.len()));
        }
        assert_eq!(by_kind[0]["pending"], 4);
        assert_eq!(by_kind[0]["available"], 75 + 30 + 200 - 44 - 28 - 158);
        assert_eq!(by_kind[1]["pending"], Value::Null);
        assert_eq!(by_kind[2]["over_allocated"], 1);
        assert_eq!(value["reports"][0]["seats"][3]["label"], "plan_mystery");
    }
}

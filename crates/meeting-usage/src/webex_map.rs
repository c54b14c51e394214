//! Cisco Webex's licences in the usage model.
//!
//! One answer, `ListLicenses` (`GET /licenses`, decoded as [`LicenseList`]), makes one report:
//! a seat row per licence.
//!
//! | row | from the licence |
//! |---|---|
//! | product key | the offer code in the licence id (`EE`, `MS`, ...; see [`offer_code`]), else the licence `name`, else the id |
//! | bought, in use | `totalUnits`, `consumedUnits` (numbers, numeric strings; `null` stays unknown) |
//! | plan | `subscriptionId` (a trial subscription, `trialSub.<uuid>`, makes every unit a trial) |
//! | name, site | `name`, `siteUrl` (meetings licences only) |
//! | kind, label | the catalogue (`catalogue/webex.json`) by product key, else by name; the label is the licence `name` |
//!
//! Several licences may share an offer code (one meetings licence per site, one per
//! subscription): each stays its own row, told apart by plan and site, and totals by kind add
//! them up. Left out on purpose: `consumedByUsers` and `consumedByWorkspaces` (a split of
//! `consumedUnits`), `siteType`, and the assigned `users` of licence details. Unrecognized:
//! keys no generated type knows, negative counts, a licence with neither id nor name.

use base64::Engine as _;
use serde_json::Value;
use webex_admin::Lenient;
use webex_admin::types::{License, LicenseList};

use crate::model::{Seats, Unrecognized, UsageReport, Vendor, pointer_join};

/// The operation the report comes from.
const LIST_LICENSES: &str = "ListLicenses";

/// The prefix of a trial subscription's id.
const TRIAL_SUBSCRIPTION: &str = "trialSub";

/// The usage report of Webex organisation `account` from its decoded licence list,
/// collected at `collected_at` (RFC 3339).
pub(crate) fn webex_report(account: &str, list: &LicenseList, collected_at: String) -> UsageReport {
    let mut report = UsageReport::new(Vendor::Webex, account, collected_at);
    for (key, value) in &list.extra {
        unrecognized(&mut report, &pointer_join("", key), value.clone());
    }
    for (index, licence) in list.items.iter().enumerate() {
        let base = format!("/items/{index}");
        if let Some(seats) = seats(&mut report, &base, licence) {
            report.seats.push(seats);
        }
    }
    report
        .seats
        .sort_by(|a, b| (a.product(), a.site(), a.plan()).cmp(&(b.product(), b.site(), b.plan())));
    report.classify();
    report
}

/// The offer code of a licence id: the id is unpadded base64url of
/// `ciscospark://<region>/LICENSE/<orgUUID>:<OFFER>_<subscriptionUUID>[_<siteUrl>]`. `None`
/// when the id does not decode to that shape (some ids carry no offer part).
///
/// ```
/// # use meeting_usage::mapping::webex_offer_code as offer_code;
/// // ciscospark://us/LICENSE/4f9c...:MS_6b1e...
/// let id = "Y2lzY29zcGFyazovL3VzL0xJQ0VOU0UvNGY5YzFiN2UtMmE2ZC00ZTgzLTliNTEtMGM3ZDJlOGZhNjEzOk1TXzZiMWUwZDJjLTkzYTQtNGY3ZS04YzI1LWQ0MWY3YTliM2UwOA";
/// assert_eq!(offer_code(id).as_deref(), Some("MS"));
/// assert_eq!(offer_code("not base64!"), None);
/// ```
pub fn offer_code(id: &str) -> Option<String> {
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let bytes = engine.decode(id.trim_end_matches('=')).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let rest = text.strip_prefix("ciscospark://")?;
    let (_, licence) = rest.split_once("/LICENSE/")?;
    let (_, offer) = licence.split_once(':')?;
    let code = offer.split('_').next()?;
    let plausible = !code.is_empty() && code.chars().all(|c| c.is_ascii_alphanumeric());
    plausible.then(|| code.to_owned())
}

/// One licence as a seat row, or `None` (and an unrecognized entry) without id and name.
fn seats(report: &mut UsageReport, base: &str, licence: &License) -> Option<Seats> {
    for (key, value) in &licence.extra {
        unrecognized(report, &pointer_join(base, key), value.clone());
    }
    let name = licence.name.clone().filter(|n| !n.trim().is_empty());
    let product = licence
        .id
        .as_deref()
        .and_then(offer_code)
        .or_else(|| name.clone())
        .or_else(|| licence.id.clone().filter(|id| !id.is_empty()));
    let Some(product) = product else {
        let value = serde_json::to_value(licence).unwrap_or(Value::Null);
        let reason = "a licence with neither id nor name";
        let entry = Unrecognized::new(base, LIST_LICENSES, value, reason);
        report.unrecognized.push(entry);
        return None;
    };
    let purchased = count(report, base, "totalUnits", licence.total_units.as_ref());
    let used = count(
        report,
        base,
        "consumedUnits",
        licence.consumed_units.as_ref(),
    );
    let plan = licence.subscription_id.clone().filter(|s| !s.is_empty());
    let trial = plan
        .as_deref()
        .is_some_and(|p| p.starts_with(TRIAL_SUBSCRIPTION));
    let site = licence.site_url.clone().filter(|s| !s.is_empty());
    Some(
        Seats::new(product, plan, purchased, used, None)
            .with_name(name)
            .with_site(site)
            .with_trial(if trial { purchased } else { None }),
    )
}

/// A count as a number of units; a negative one goes to `unrecognized`.
fn count(
    report: &mut UsageReport,
    base: &str,
    field: &str,
    value: Option<&Lenient<i64>>,
) -> Option<u64> {
    let value = value?;
    match u64::try_from(value.get()) {
        Ok(units) => Some(units),
        Err(_) => {
            let value = serde_json::to_value(value).unwrap_or(Value::Null);
            let path = pointer_join(base, field);
            let entry = Unrecognized::new(path, LIST_LICENSES, value, "a negative count");
            report.unrecognized.push(entry);
            None
        }
    }
}

fn unrecognized(report: &mut UsageReport, path: &str, value: Value) {
    let reason = "a field unknown to the facade";
    let entry = Unrecognized::new(path, LIST_LICENSES, value, reason);
    report.unrecognized.push(entry);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ProductKind;
    use serde_json::json;

    fn report(list: Value) -> UsageReport {
        let list: LicenseList = serde_json::from_value(list).expect("decodes");
        webex_report("org", &list, "2026-12-07T00:00:00Z".into())
    }

    fn licence_id(text: &str) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
    }

    #[test]
    fn licences_become_rows_keyed_by_offer_code_or_name() {
        let report = report(json!({"items": [
            {"id": licence_id("ciscospark://us/LICENSE/org-1:EE_sub-1_acme.webex.com"),
             "name": "Meeting - Webex Enterprise Edition", "totalUnits": 400,
             "consumedUnits": "312", "consumedByUsers": 300, "subscriptionId": "Sub-1",
             "siteUrl": "acme.webex.com", "siteType": "Control Hub managed site"},
            {"id": licence_id("ciscospark://us/LICENSE/org-1"), "name": "Webex Room Kit",
             "totalUnits": 12, "consumedUnits": null, "subscriptionId": "trialSub.abc"},
            {"id": licence_id("ciscospark://us/LICENSE/org-1:NEWOFFER_sub-2"),
             "name": "Something new", "totalUnits": 3, "consumedUnits": -1, "colour": "blue"},
            {"totalUnits": 1}
        ]}));
        type Row<'a> = (&'a str, ProductKind, &'a str, Option<u64>, Option<u64>);
        let rows: Vec<Row> = report
            .seats
            .iter()
            .map(|s| (s.product(), s.kind(), s.label(), s.purchased(), s.used()))
            .collect();
        assert_eq!(
            rows,
            [
                (
                    "EE",
                    ProductKind::Meetings,
                    "Meeting - Webex Enterprise Edition",
                    Some(400),
                    Some(312)
                ),
                (
                    "NEWOFFER",
                    ProductKind::Other,
                    "Something new",
                    Some(3),
                    None
                ),
                (
                    "Webex Room Kit",
                    ProductKind::Rooms,
                    "Webex Room Kit",
                    Some(12),
                    None
                ),
            ]
        );
        let ee = &report.seats[0];
        assert_eq!(
            (ee.plan(), ee.site()),
            (Some("Sub-1"), Some("acme.webex.com"))
        );
        assert_eq!(ee.trial(), None);
        assert_eq!(report.seats[2].trial(), Some(12));
        let paths: Vec<&str> = report
            .unrecognized
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert_eq!(
            paths,
            ["/items/2/colour", "/items/2/consumedUnits", "/items/3"]
        );
        assert_eq!(report.uncatalogued(), ["NEWOFFER"]);
    }

    #[test]
    fn ids_without_the_expected_shape_have_no_offer_code() {
        assert_eq!(
            offer_code(&licence_id("ciscospark://us/LICENSE/o:BCPRO_s")).as_deref(),
            Some("BCPRO")
        );
        assert_eq!(
            offer_code(&format!(
                "{}==",
                licence_id("ciscospark://us/LICENSE/o:MS_s")
            ))
            .as_deref(),
            Some("MS")
        );
        for text in [
            "ciscospark://us/PEOPLE/o:MS_s",
            "https://x/LICENSE/o:MS_s",
            "ciscospark://us/LICENSE/o:_s",
            "ciscospark://us/LICENSE/o:M S_s",
        ] {
            assert_eq!(offer_code(&licence_id(text)), None, "{text}");
        }
    }

    #[test]
    fn every_licence_of_the_spec_examples_is_catalogued() {
        let path = format!("{}/../../spec/webex/admin.yaml", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).expect("the spec is readable");
        let spec = spec_core::yaml::parse(&text)
            .expect("the spec parses")
            .value;
        let examples = &spec["paths"]["/licenses"]["get"]["responses"]["200"]["content"]["application/json"]
            ["examples"];
        let examples = examples.as_object().expect("ListLicenses has examples");
        for (name, example) in examples {
            let report = report(example["value"].clone());
            assert!(!report.seats.is_empty(), "{name}");
            assert_eq!(report.uncatalogued(), Vec::<&str>::new(), "{name}");
            assert!(
                report.fully_recognized(),
                "{name}: {:?}",
                report.unrecognized
            );
        }
    }
}

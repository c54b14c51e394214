//! Zoom's plan-usage report (`GetPlanUsage`, `GET /accounts/{accountId}/plans/usage`) in the
//! usage model.
//!
//! # How the report is read
//!
//! The report arrives decoded as the generated [`PlanUsageReport`]: one typed field per
//! `plan_*` key the spec knows, and an `extra` map with every key it does not know yet. Zoom
//! adds plan keys several times a year, so the mapping does not name the known fields one by
//! one (which would lose a key the moment the spec learns it and the field list here does
//! not): it re-encodes the decoded report to its JSON members (known fields and `extra`
//! alike) and decodes each member again into a generated type, chosen by its shape:
//!
//! - `plan_recording` (at the top or inside a group) → [`RecordingUsage`] → one
//!   [`Storage`] row;
//! - any other `plan_*` key holding an object of seat fields, or a list of them (Zoom sends
//!   both forms for several keys) → [`UnitedPlanUsage`], the generated schema with every seat
//!   field (`hosts`, `usage`, `pending`, `type`, plus `name`) → one [`Seats`] row per entry.
//!   `hosts` is bought, `usage` assigned, `pending` waiting; `product` is the key;
//! - a `plan_*` key holding an object whose members are themselves `plan_*` keys (a group
//!   such as `plan_znode`, `plan_zcc` or `plan_phone`, which Zoom nests in other plan
//!   responses) → each member in turn, with the dotted product key `plan_zcc.plan_usage`.
//!
//! Adding a plan key to the spec therefore needs no change here.
//!
//! # What goes to `unrecognized`
//!
//! Every value the model cannot hold is listed verbatim with its JSON pointer, never dropped
//! and never a panic:
//!
//! - a key that is not a `plan_*` key;
//! - a `plan_*` value of another shape (text, number, a list entry that is not an object, an
//!   object without any seat field, nesting deeper than [`MAX_DEPTH`]);
//! - a member of a plan entry the seat model has no place for (e.g. `partner_sku`), except
//!   `active_hosts`, a documented base-plan figure (hosts active in the billing period) that
//!   the seat model deliberately leaves out;
//! - a negative licence count (the field becomes `null`);
//! - a storage text [`parse_size`] refuses (the part's bytes and its total become `null`),
//!   and a `max_exceed_date` that is not a `yyyy-mm-dd` date;
//! - unknown members of `plan_recording`.
//!
//! A `null` plan value carries nothing and is skipped. An empty storage text (`""`) is read as
//! "not reported": the part is kept with its text and no bytes, so its total is `null`, but it
//! is not listed as unrecognized.

use serde::Deserialize;
use serde_json::Value;
use zoom_billing::types::{PlanUsageReport, RecordingUsage, UnitedPlanUsage};

use crate::model::{
    Seats, Storage, StoragePart, StorageRole, Unrecognized, UsageReport, Vendor, pointer_join,
};
use crate::size::{SizeError, parse_size};
use crate::time::parse_date;

/// The spec operation whose response is mapped here.
const OPERATION: &str = "GetPlanUsage";

/// The key of Zoom's recording-storage figures.
const RECORDING_KEY: &str = "plan_recording";

/// Deepest nesting of plan groups followed (Zoom's groups are one level deep).
const MAX_DEPTH: usize = 8;

/// Documented members of a plan entry the seat model leaves out on purpose.
const IGNORED_ENTRY_FIELDS: &[&str] = &["active_hosts"];

/// The storage figures of `plan_recording`, in the order the parts are listed, with their
/// role.
const STORAGE_FIELDS: [(&str, StorageRole); 5] = [
    ("plan_storage", StorageRole::Purchased),
    ("free_storage", StorageRole::Purchased),
    ("plan_storage_usage", StorageRole::Used),
    ("free_storage_usage", StorageRole::Used),
    ("plan_storage_exceed", StorageRole::Exceeded),
];

/// The usage report of Zoom account `account`, collected at `collected_at` (RFC 3339), from
/// the decoded `GetPlanUsage` response. Seat rows are ordered by product key (entries of one
/// key keep Zoom's order); `activity` and `expiring` are `None` (Zoom reports neither).
pub(crate) fn zoom_report(
    account: &str,
    usage: &PlanUsageReport,
    collected_at: String,
) -> UsageReport {
    let mut mapper = Mapper {
        report: UsageReport::new(Vendor::Zoom, account, collected_at),
    };
    match serde_json::to_value(usage) {
        Ok(Value::Object(members)) => {
            for (key, value) in &members {
                mapper.top_level(key, value);
            }
        }
        Ok(other) => mapper.unrecognized("", other, "the plan usage report is not an object"),
        Err(error) => mapper.unrecognized(
            "",
            Value::Null,
            format!("the decoded plan usage report could not be re-encoded: {error}"),
        ),
    }
    let mut report = mapper.report;
    report.seats.sort_by(|a, b| a.product().cmp(b.product()));
    report
}

/// Builds one report, collecting what it cannot place.
struct Mapper {
    report: UsageReport,
}

impl Mapper {
    fn unrecognized(&mut self, path: &str, value: Value, reason: impl Into<String>) {
        self.report
            .unrecognized
            .push(Unrecognized::new(path, OPERATION, value, reason));
    }

    /// One member of the report.
    fn top_level(&mut self, key: &str, value: &Value) {
        let path = pointer_join("", key);
        if !key.starts_with("plan_") {
            self.unrecognized(&path, value.clone(), "not a plan key");
        } else if key == RECORDING_KEY {
            self.recording(key, value, &path);
        } else {
            self.plan_value(key, value, &path, 0);
        }
    }

    /// The value of a `plan_*` key: an entry, a list of entries, or a group.
    fn plan_value(&mut self, product: &str, value: &Value, path: &str, depth: usize) {
        if depth > MAX_DEPTH {
            self.unrecognized(
                path,
                value.clone(),
                format!("plan groups nested deeper than {MAX_DEPTH} levels"),
            );
            return;
        }
        match value {
            Value::Null => {}
            Value::Array(entries) => {
                for (index, entry) in entries.iter().enumerate() {
                    let entry_path = pointer_join(path, &index.to_string());
                    if entry.is_object() {
                        self.object(product, entry, &entry_path, depth + 1);
                    } else {
                        self.unrecognized(
                            &entry_path,
                            entry.clone(),
                            "a plan list entry that is not an object",
                        );
                    }
                }
            }
            Value::Object(_) => self.object(product, value, path, depth),
            other => self.unrecognized(
                path,
                other.clone(),
                "a plan value that is neither an object nor a list of objects",
            ),
        }
    }

    /// An object under a `plan_*` key: a group of plans, or one plan's seats.
    fn object(&mut self, product: &str, value: &Value, path: &str, depth: usize) {
        let Value::Object(members) = value else {
            return;
        };
        if !members.keys().any(|key| key.starts_with("plan_")) {
            self.seats(product, value, path);
            return;
        }
        for (key, member) in members {
            let member_path = pointer_join(path, key);
            let member_product = format!("{product}.{key}");
            if !key.starts_with("plan_") {
                self.unrecognized(
                    &member_path,
                    member.clone(),
                    "not a plan key inside a plan group",
                );
            } else if key == RECORDING_KEY {
                self.recording(&member_product, member, &member_path);
            } else {
                self.plan_value(&member_product, member, &member_path, depth + 1);
            }
        }
    }

    /// A licence count: Zoom's integers, refused when negative.
    fn count(&mut self, value: Option<i64>, path: &str, key: &str) -> Option<u64> {
        let value = value?;
        match u64::try_from(value) {
            Ok(count) => Some(count),
            Err(_) => {
                self.unrecognized(
                    &pointer_join(path, key),
                    Value::from(value),
                    "a negative licence count",
                );
                None
            }
        }
    }

    /// One plan's seats.
    fn seats(&mut self, product: &str, value: &Value, path: &str) {
        let entry = match UnitedPlanUsage::deserialize(value) {
            Ok(entry) => entry,
            Err(error) => {
                self.unrecognized(
                    path,
                    value.clone(),
                    format!("not a plan usage entry: {error}"),
                );
                return;
            }
        };
        let has_seat_field = entry.hosts.is_some()
            || entry.usage.is_some()
            || entry.pending.is_some()
            || entry.type_.is_some()
            || entry.name.is_some();
        if !has_seat_field {
            self.unrecognized(
                path,
                value.clone(),
                "an object without any plan usage field (hosts, usage, pending, type, name)",
            );
            return;
        }
        let purchased = self.count(entry.hosts, path, "hosts");
        let used = self.count(entry.usage, path, "usage");
        let pending = self.count(entry.pending, path, "pending");
        let seats =
            Seats::new(product, entry.type_, purchased, used, pending).with_name(entry.name);
        self.report.seats.push(seats);
        for (key, member) in entry.extra {
            if !IGNORED_ENTRY_FIELDS.contains(&key.as_str()) {
                self.unrecognized(
                    &pointer_join(path, &key),
                    member,
                    "a plan entry field the seat model has no place for",
                );
            }
        }
    }

    /// `plan_recording`: Zoom's storage figures as display text.
    fn recording(&mut self, product: &str, value: &Value, path: &str) {
        let recording = match RecordingUsage::deserialize(value) {
            Ok(recording) => recording,
            Err(error) => {
                self.unrecognized(
                    path,
                    value.clone(),
                    format!("not a recording storage object: {error}"),
                );
                return;
            }
        };
        let mut parts = Vec::new();
        for (key, role) in STORAGE_FIELDS {
            let text = match key {
                "plan_storage" => &recording.plan_storage,
                "free_storage" => &recording.free_storage,
                "plan_storage_usage" => &recording.plan_storage_usage,
                "free_storage_usage" => &recording.free_storage_usage,
                _ => &recording.plan_storage_exceed,
            };
            let Some(text) = text else { continue };
            let bytes = match parse_size(text) {
                Ok(bytes) => Some(bytes),
                Err(SizeError::Empty) => None,
                Err(error) => {
                    self.unrecognized(
                        &pointer_join(path, key),
                        Value::String(text.clone()),
                        format!("unreadable storage size: {error}"),
                    );
                    None
                }
            };
            parts.push(StoragePart {
                key: key.to_owned(),
                role,
                text: Some(text.clone()),
                bytes,
            });
        }
        let excess_allowed_until = match recording.max_exceed_date {
            Some(date) if parse_date(&date).is_some() => Some(date),
            Some(date) if date.trim().is_empty() => None,
            Some(date) => {
                self.unrecognized(
                    &pointer_join(path, "max_exceed_date"),
                    Value::String(date),
                    "not a yyyy-mm-dd date",
                );
                None
            }
            None => None,
        };
        for (key, member) in recording.extra {
            self.unrecognized(
                &pointer_join(path, &key),
                member,
                "a recording storage field unknown to the storage model",
            );
        }
        self.report.storage.push(
            Storage::new(product, recording.type_, parts)
                .with_excess_allowed_until(excess_allowed_until),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const GB: u64 = crate::size::BYTES_PER_GB;
    const SEED_USAGE: &str =
        include_str!("../../../tests/fixtures/seeds/000-plan-usage.response.json");
    const SEED_ADDON: &str = include_str!("../../../tests/fixtures/seeds/001-addon.response.json");
    const AT: &str = "2026-05-04T09:30:00Z";

    fn decode(json: &str) -> PlanUsageReport {
        serde_json::from_str(json).expect("decodes through the generated type")
    }

    fn report_of(value: Value) -> UsageReport {
        let usage: PlanUsageReport =
            serde_json::from_value(value).expect("decodes through the generated type");
        zoom_report("me", &usage, AT.to_owned())
    }

    fn one<'a>(report: &'a UsageReport, product: &'a str) -> &'a Seats {
        let rows: Vec<&Seats> = report.seats_of(product).collect();
        assert_eq!(rows.len(), 1, "{product}: {rows:?}");
        rows[0]
    }

    fn figures(seats: &Seats) -> (Option<u64>, Option<u64>, Option<u64>, Option<&str>) {
        (
            seats.purchased(),
            seats.used(),
            seats.pending(),
            seats.plan(),
        )
    }

    #[test]
    fn seed_000_maps_completely() {
        let report = zoom_report("me", &decode(SEED_USAGE), AT.to_owned());
        assert_eq!(report.vendor, Vendor::Zoom);
        assert_eq!(report.account, "me");
        assert_eq!(report.collected_at, AT);
        assert_eq!(report.unrecognized, []);
        assert_eq!(report.activity, None);
        assert_eq!(report.expiring, None);

        let webinar = one(&report, "plan_webinar");
        assert_eq!(
            figures(webinar),
            (Some(25), Some(18), Some(1), Some("webinar500_monthly"))
        );
        assert_eq!(webinar.available(), Some(7));
        assert!(!webinar.over_allocated());

        let iq = one(&report, "plan_zoom_iq");
        assert_eq!(
            figures(iq),
            (Some(18), Some(28), Some(1), Some("ziq_sales_monthly"))
        );
        assert!(iq.over_allocated());
        assert_eq!(iq.available(), Some(-10));

        let rooms = one(&report, "plan_zoom_rooms");
        assert_eq!(
            figures(rooms),
            (Some(20), Some(12), None, Some("zroom_monthly"))
        );
        let connector = one(&report, "plan_room_connector");
        assert_eq!(connector.pending(), None);

        let united = one(&report, "plan_united");
        assert_eq!(
            united.name(),
            Some("Zoom Meetings Pro and Zoom Phone Pro Monthly")
        );
        assert_eq!(
            figures(united),
            (Some(20), Some(17), Some(1), Some("pro_zpp_monthly"))
        );

        let base = one(&report, "plan_base");
        assert_eq!(figures(base), (Some(75), Some(44), Some(3), Some("yearly")));

        // One seat row per seat entry of the seed: every plan key but plan_recording, an
        // array counting its entries.
        let seed: Value = serde_json::from_str(SEED_USAGE).expect("seed is JSON");
        let entries: usize = seed
            .as_object()
            .expect("seed is an object")
            .iter()
            .filter(|(key, _)| key.as_str() != RECORDING_KEY)
            .map(|(_, value)| value.as_array().map_or(1, Vec::len))
            .sum();
        assert_eq!(entries, 20);
        assert_eq!(report.seats.len(), entries);

        let over: Vec<&str> = report.over_allocated().map(Seats::product).collect();
        assert_eq!(over, ["plan_zoom_iq"]);
        assert_eq!(
            report.max_utilization().map(Seats::product),
            Some("plan_zoom_iq")
        );

        let products: Vec<&str> = report.seats.iter().map(Seats::product).collect();
        let mut sorted = products.clone();
        sorted.sort_unstable();
        assert_eq!(products, sorted);
    }

    #[test]
    fn seed_000_storage_in_bytes() {
        let report = zoom_report("me", &decode(SEED_USAGE), AT.to_owned());
        assert_eq!(report.storage.len(), 1);
        let storage = &report.storage[0];
        assert_eq!(storage.product(), "plan_recording");
        assert_eq!(storage.plan(), Some("cmr_monthly_commitment_40"));
        assert_eq!(storage.purchased_bytes(), Some(2 * GB + 10 * GB));
        assert_eq!(storage.used_bytes(), Some(2 * GB + GB));
        assert!(!storage.over_quota());
        assert_eq!(storage.excess_allowed_until(), Some("2023-05-04"));
        let parts: Vec<(&str, StorageRole, Option<&str>, Option<u64>)> = storage
            .parts()
            .iter()
            .map(|p| (p.key.as_str(), p.role, p.text.as_deref(), p.bytes))
            .collect();
        assert_eq!(
            parts,
            [
                (
                    "plan_storage",
                    StorageRole::Purchased,
                    Some("10 GB"),
                    Some(10 * GB)
                ),
                (
                    "free_storage",
                    StorageRole::Purchased,
                    Some("2 GB"),
                    Some(2 * GB)
                ),
                (
                    "plan_storage_usage",
                    StorageRole::Used,
                    Some("1 GB"),
                    Some(GB)
                ),
                (
                    "free_storage_usage",
                    StorageRole::Used,
                    Some("2 GB"),
                    Some(2 * GB)
                ),
                (
                    "plan_storage_exceed",
                    StorageRole::Exceeded,
                    Some("0"),
                    Some(0)
                ),
            ]
        );
    }

    #[test]
    fn list_form_example_of_the_spec() {
        // The spec's GetPlanUsage example `list-form`: keys documented as arrays, sent as arrays.
        let report = report_of(json!({
            "plan_base": [{"hosts": 10, "usage": 7, "pending": 0, "type": "monthly"}],
            "plan_zoom_rooms": [{"hosts": 3, "usage": 2, "type": "zroom_monthly"}],
            "plan_room_connector": [{"hosts": 2, "usage": 1, "type": "roomconnector_monthly"}],
            "plan_zwr": [{"hosts": 4, "usage": 4, "pending": 0, "type": "zwr_monthly"}],
            "plan_zva": [{"hosts": 3, "usage": 1, "pending": 0, "type": "zva_monthly"}]
        }));
        assert_eq!(report.unrecognized, []);
        assert_eq!(report.seats.len(), 5);
        assert_eq!(
            figures(one(&report, "plan_base")),
            (Some(10), Some(7), Some(0), Some("monthly"))
        );
        assert_eq!(
            figures(one(&report, "plan_zoom_rooms")),
            (Some(3), Some(2), None, Some("zroom_monthly"))
        );
        assert_eq!(one(&report, "plan_zwr").utilization(), Some(1.0));
        assert!(report.storage.is_empty());
    }

    #[test]
    fn several_entries_of_one_key_keep_their_order() {
        let report = report_of(json!({
            "plan_webinar": [
                {"hosts": 25, "usage": 18, "pending": 1, "type": "webinar500_monthly"},
                {"hosts": 2, "usage": 2, "pending": 0, "type": "webinar1000_monthly"}
            ]
        }));
        let plans: Vec<Option<&str>> = report.seats_of("plan_webinar").map(Seats::plan).collect();
        assert_eq!(
            plans,
            [Some("webinar500_monthly"), Some("webinar1000_monthly")]
        );
    }

    #[test]
    fn a_new_plan_key_becomes_seats() {
        let usage: PlanUsageReport = serde_json::from_value(json!({
            "plan_future_widget": {"hosts": 5, "usage": 2, "pending": 0, "type": "fw_monthly"},
            "plan_future_list": [{"hosts": 1, "usage": 1, "type": "fl_yearly"}]
        }))
        .expect("decodes");
        // The generated type keeps keys it does not know in its catch-all map.
        assert!(usage.extra.contains_key("plan_future_widget"));
        let report = zoom_report("me", &usage, AT.to_owned());
        assert_eq!(report.unrecognized, []);
        assert_eq!(
            figures(one(&report, "plan_future_widget")),
            (Some(5), Some(2), Some(0), Some("fw_monthly"))
        );
        assert_eq!(
            figures(one(&report, "plan_future_list")),
            (Some(1), Some(1), None, Some("fl_yearly"))
        );
    }

    #[test]
    fn odd_values_are_unrecognized() {
        let report = report_of(json!({
            "plan_odd": "text",
            "plan_number": 7,
            "plan_flag": true,
            "plan_nothing": null,
            "plan_empty": {},
            "plan_mixed": [{"hosts": 1, "usage": 0, "type": "m"}, "x", 3],
            "plan_negative": {"hosts": -1, "usage": 2, "type": "neg"},
            "plan_wrong_type": {"hosts": "five"},
            "plan_extra": {"hosts": 2, "usage": 1, "type": "e", "partner_sku": "SKU", "active_hosts": 1},
            "next_page_token": "abc"
        }));
        let found: Vec<(&str, &Value)> = report
            .unrecognized
            .iter()
            .map(|u| (u.path.as_str(), &u.value))
            .collect();
        let expected = [
            ("/plan_odd", json!("text")),
            ("/plan_number", json!(7)),
            ("/plan_flag", json!(true)),
            ("/plan_empty", json!({})),
            ("/plan_mixed/1", json!("x")),
            ("/plan_mixed/2", json!(3)),
            ("/plan_negative/hosts", json!(-1)),
            ("/plan_wrong_type", json!({"hosts": "five"})),
            ("/plan_extra/partner_sku", json!("SKU")),
            ("/next_page_token", json!("abc")),
        ];
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (path, value) in &expected {
            assert!(
                found.contains(&(*path, value)),
                "{path} missing from {found:?}"
            );
        }
        assert!(
            report
                .unrecognized
                .iter()
                .all(|u| u.operation == OPERATION && !u.reason.is_empty())
        );

        let negative = one(&report, "plan_negative");
        assert_eq!(figures(negative), (None, Some(2), None, Some("neg")));
        assert!(!negative.over_allocated());
        assert_eq!(one(&report, "plan_mixed").purchased(), Some(1));
        assert_eq!(one(&report, "plan_extra").used(), Some(1));
        assert_eq!(report.seats_of("plan_nothing").count(), 0);
        assert_eq!(report.seats.len(), 3);
    }

    #[test]
    fn unreadable_storage_leaves_the_total_unknown() {
        let report = report_of(json!({
            "plan_recording": {
                "free_storage": "2 GB",
                "plan_storage": "lots",
                "free_storage_usage": "2 GB",
                "plan_storage_usage": "1 GB",
                "max_exceed_date": "soon",
                "storage_color": "blue"
            }
        }));
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), None);
        assert_eq!(storage.used_bytes(), Some(3 * GB));
        assert!(!storage.over_quota());
        assert_eq!(storage.excess_allowed_until(), None);
        let lots = storage.parts().iter().find(|p| p.key == "plan_storage");
        assert_eq!(
            lots.map(|p| (p.text.as_deref(), p.bytes)),
            Some((Some("lots"), None))
        );

        let paths: Vec<(&str, &Value)> = report
            .unrecognized
            .iter()
            .map(|u| (u.path.as_str(), &u.value))
            .collect();
        assert_eq!(
            paths,
            [
                ("/plan_recording/plan_storage", &json!("lots")),
                ("/plan_recording/max_exceed_date", &json!("soon")),
                ("/plan_recording/storage_color", &json!("blue")),
            ]
        );
    }

    #[test]
    fn empty_storage_text_is_not_reported() {
        let report = report_of(json!({
            "plan_recording": {"free_storage": "", "plan_storage": "10 GB", "plan_storage_usage": "11 GB", "max_exceed_date": ""}
        }));
        assert_eq!(report.unrecognized, []);
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), None);
        assert_eq!(storage.used_bytes(), Some(11 * GB));
        // Used against an unknown allowance: not flagged.
        assert!(!storage.over_quota());
    }

    #[test]
    fn exceeded_storage_is_over_quota() {
        let report = report_of(json!({
            "plan_recording": {"free_storage": "0", "plan_storage": "1 TB", "plan_storage_usage": "1.5 TB", "plan_storage_exceed": "500 GB"}
        }));
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), Some(1_000 * GB));
        assert_eq!(storage.used_bytes(), Some(1_500 * GB));
        assert!(storage.over_quota());
        assert_eq!(report.over_quota().count(), 1);
    }

    #[test]
    fn nested_groups_from_the_addon_seed() {
        // The add-on result (seed 001) is a different response (`plan_recording` is a plan
        // code there), so it is not a usage report ...
        assert!(serde_json::from_str::<PlanUsageReport>(SEED_ADDON).is_err());
        // ... but its groups show the nested shapes Zoom uses; arriving in a usage report,
        // they map with dotted product keys.
        let seed: Value = serde_json::from_str(SEED_ADDON).expect("seed is JSON");
        let mut groups = serde_json::Map::new();
        for key in ["plan_zcc", "plan_znode", "plan_phone"] {
            groups.insert(key.to_owned(), seed[key].clone());
        }
        let report = report_of(Value::Object(groups));
        let products: Vec<&str> = report.seats.iter().map(Seats::product).collect();
        assert_eq!(
            products,
            [
                "plan_phone.plan_base",
                "plan_phone.plan_calling",
                "plan_phone.plan_calling_addons",
                "plan_phone.plan_number",
                "plan_zcc.plan_package",
                "plan_zcc.plan_phone_number",
                "plan_zcc.plan_usage",
                "plan_znode.plan_mchybrid",
                "plan_znode.plan_rchybrid",
                "plan_znode.plan_zmhybrid",
                "plan_znode.plan_znode_base",
                "plan_znode.plan_zphybrid",
            ]
        );
        assert_eq!(
            figures(one(&report, "plan_zcc.plan_usage")),
            (Some(39), None, None, Some("zcc_pay_as_you_go"))
        );
        assert_eq!(
            figures(one(&report, "plan_znode.plan_zphybrid")),
            (Some(2), None, None, Some("zph_monthly"))
        );
        // Purchase details of the add-on shapes have no place in the usage model.
        let paths: Vec<&str> = report
            .unrecognized
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert!(paths.contains(&"/plan_zcc/plan_package/callout_countries"));
        assert!(paths.contains(&"/plan_znode/plan_zphybrid/discount_rate"));
        assert!(paths.contains(&"/plan_phone/plan_base/callout_countries"));
        assert_eq!(
            paths
                .iter()
                .filter(|p| p.starts_with("/plan_znode/"))
                .count(),
            5 * 3
        );
    }

    #[test]
    fn usage_groups_map_with_dotted_keys() {
        let report = report_of(json!({
            "plan_znode": {
                "plan_zphybrid": {"hosts": 8, "usage": 9, "pending": 0, "type": "zphybrid_monthly"},
                "plan_cmrhybrid": [{"hosts": 2, "usage": 1, "type": "cmr"}]
            },
            "plan_zcc": {
                "plan_usage": {"hosts": 4, "usage": 3, "pending": 1, "type": "zcc_usage"},
                "plan_recording": {"plan_storage": "5 GB", "plan_storage_usage": "1 GB", "type": "zcc_rec"},
                "region": "US"
            }
        }));
        assert!(one(&report, "plan_znode.plan_zphybrid").over_allocated());
        assert_eq!(
            figures(one(&report, "plan_znode.plan_cmrhybrid")),
            (Some(2), Some(1), None, Some("cmr"))
        );
        assert_eq!(
            figures(one(&report, "plan_zcc.plan_usage")),
            (Some(4), Some(3), Some(1), Some("zcc_usage"))
        );
        assert_eq!(report.storage.len(), 1);
        assert_eq!(report.storage[0].product(), "plan_zcc.plan_recording");
        assert_eq!(report.storage[0].purchased_bytes(), Some(5 * GB));
        let paths: Vec<&str> = report
            .unrecognized
            .iter()
            .map(|u| u.path.as_str())
            .collect();
        assert_eq!(paths, ["/plan_zcc/region"]);
    }

    #[test]
    fn deep_nesting_stops_without_a_panic() {
        let mut value = json!({"hosts": 1, "usage": 1, "type": "deep"});
        for _ in 0..40 {
            value = json!({ "plan_level": value });
        }
        let report = report_of(json!({ "plan_deep": value }));
        assert!(report.seats.is_empty());
        assert_eq!(report.unrecognized.len(), 1);
        assert!(report.unrecognized[0].reason.contains("deeper"));
    }

    #[test]
    fn pointer_segments_are_escaped_in_paths() {
        let report = report_of(json!({"odd/key~": 1}));
        assert_eq!(report.unrecognized[0].path, "/odd~1key~0");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn any_json() -> impl Strategy<Value = Value> {
            let leaf =
                prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
                "(plan_[a-z]{1,3}|hosts|usage|pending|type|name|[a-z]{1,4}|[0-9 .]{0,4}(GB|MB)?)"
                    .prop_map(Value::from),
            ];
            leaf.prop_recursive(4, 48, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
                    prop::collection::btree_map(
                        "(plan_[a-z]{1,3}|plan_recording|hosts|usage|pending|type|name|free_storage|plan_storage|[a-z]{1,4})",
                        inner,
                        0..6
                    )
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            })
        }

        proptest! {
            #[test]
            fn any_report_maps_without_a_panic(members in prop::collection::btree_map("[a-z_]{1,12}", any_json(), 0..6)) {
                let value = Value::Object(members.into_iter().collect());
                // Only what the generated type accepts reaches the mapping.
                if let Ok(usage) = serde_json::from_value::<PlanUsageReport>(value) {
                    let report = zoom_report("me", &usage, AT.to_owned());
                    for seats in &report.seats {
                        prop_assert_eq!(
                            seats.over_allocated(),
                            matches!((seats.purchased(), seats.used()), (Some(p), Some(u)) if u > p)
                        );
                    }
                }
            }
        }
    }
}

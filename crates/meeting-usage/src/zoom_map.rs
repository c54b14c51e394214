//! Zoom's plan-usage report (`GetPlanUsage`, `GET /accounts/{accountId}/plans/usage`) in the
//! usage model.
//!
//! The decoded [`PlanUsageReport`] has one typed field per `plan_*` key the spec knows and an
//! `extra` map with the keys it does not know yet. Zoom adds plan keys several times a year, so
//! no key is named here: both halves are read as data, the typed fields through the generated
//! `properties()` (each key with its typed value) and `extra` as JSON. Each member is read by
//! its shape:
//!
//! - `plan_recording` (at the top or in a group) → [`RecordingUsage`] → one [`Storage`] row;
//! - another `plan_*` key holding an object of seat fields, or a list of them → one [`Seats`]
//!   row per entry (`hosts` bought, `usage` assigned, `pending` waiting, `type`, `name`, as
//!   [`UnitedPlanUsage`] reads them); `product` is the key;
//! - a `plan_*` object whose members are `plan_*` keys (a group: `plan_znode`, `plan_zcc`,
//!   `plan_phone`) → each member, with the dotted product key `plan_zcc.plan_usage`.
//!
//! A typed value of a type not read here is encoded and walked as JSON, so a key added to the
//! spec needs no code either; the tests hold the decoded report's mapping to the raw answer's.
//! Kinds and labels come from the catalogue (`catalogue/zoom.json`, [`crate::catalogue`]).
//!
//! What the model cannot hold goes to `unrecognized` verbatim with its JSON pointer: a key that
//! is not `plan_*`; a `plan_*` value of another shape (text, a number, a list entry that is not
//! an object, an object without seat fields, nesting deeper than [`MAX_DEPTH`]); an entry
//! member the model has no place for (e.g. `partner_sku`; `active_hosts`, a documented figure
//! the model leaves out, is skipped); a negative count (the field becomes `null`); a storage
//! text [`parse_size`] refuses; a `max_exceed_date` that is not `yyyy-mm-dd`; unknown members
//! of `plan_recording`. A `null` plan value is skipped; an empty storage text is "not
//! reported" (its total `null`), not unrecognized.

use std::any::Any;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use vendor_types::OneOrMany;
use zoom_billing::types::{
    BasePlanUsage, PlanUsage, PlanUsageList, PlanUsageReport, RecordingUsage, RoomPlanUsage,
    UnitedPlanUsage,
};

use crate::model::{
    Seats, Storage, StoragePart, StorageRole, Unrecognized, UsageReport, Vendor, pointer_push,
};
use crate::size::{SizeError, parse_size};
use crate::time::parse_date;

/// The spec operation whose response is mapped here.
const OPERATION: &str = "GetPlanUsage";

/// The key of Zoom's recording-storage figures.
const RECORDING_KEY: &str = "plan_recording";

/// Deepest nesting of plan groups followed (Zoom's groups are one level deep).
const MAX_DEPTH: usize = 8;

/// The members of a plan entry the seat model reads.
const SEAT_FIELDS: &[&str] = &["hosts", "usage", "pending", "type", "name"];

/// Documented members of a plan entry the seat model leaves out on purpose.
const IGNORED_ENTRY_FIELDS: &[&str] = &["active_hosts"];

/// The storage figures of `plan_recording`, in the order the parts are listed.
const STORAGE_FIGURES: [(&str, StorageRole); 5] = [
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
    let mut mapper = Mapper::new(account, collected_at);
    for (key, value) in usage.properties() {
        let mark = mapper.enter(key);
        mapper.property(key, value, usage);
        mapper.leave(mark);
    }
    mapper.members(None, Map::clone(&usage.extra), 0);
    mapper.finish()
}

/// A generated plan entry type's seat fields: the counts `hosts`, `usage`, `pending`, the
/// texts `type` and `name`, and the catch-all map.
trait PlanEntry: Serialize + 'static {
    fn fields(&self) -> Fields<'_>;
}

type Fields<'a> = (
    [Option<i64>; 3],
    [Option<&'a String>; 2],
    &'a Map<String, Value>,
);

impl PlanEntry for PlanUsage {
    fn fields(&self) -> Fields<'_> {
        let counts = [self.hosts, self.usage, self.pending];
        (counts, [self.type_.as_ref(), None], &self.extra)
    }
}

impl PlanEntry for BasePlanUsage {
    /// Without `active_hosts`, as [`IGNORED_ENTRY_FIELDS`] says.
    fn fields(&self) -> Fields<'_> {
        let counts = [self.hosts, self.usage, self.pending];
        (counts, [self.type_.as_ref(), None], &self.extra)
    }
}

impl PlanEntry for RoomPlanUsage {
    fn fields(&self) -> Fields<'_> {
        let counts = [self.hosts, self.usage, None];
        (counts, [self.type_.as_ref(), None], &self.extra)
    }
}

impl PlanEntry for UnitedPlanUsage {
    fn fields(&self) -> Fields<'_> {
        let counts = [self.hosts, self.usage, self.pending];
        let texts = [self.type_.as_ref(), self.name.as_ref()];
        (counts, texts, &self.extra)
    }
}

/// Builds one report, collecting what it cannot place; `pointer` is the JSON pointer of the
/// value being read (extended on the way down, cut back on the way up).
struct Mapper {
    report: UsageReport,
    pointer: String,
}

impl Mapper {
    fn new(account: &str, collected_at: String) -> Self {
        Mapper {
            report: UsageReport::new(Vendor::Zoom, account, collected_at),
            pointer: String::new(),
        }
    }

    fn finish(self) -> UsageReport {
        let mut report = self.report;
        report.seats.sort_by(|a, b| a.product().cmp(b.product()));
        report.classify();
        report
    }

    /// Steps into member `segment`; returns the mark [`leave`](Self::leave) steps back to.
    fn enter(&mut self, segment: &str) -> usize {
        let mark = self.pointer.len();
        pointer_push(&mut self.pointer, segment);
        mark
    }

    fn leave(&mut self, mark: usize) {
        self.pointer.truncate(mark);
    }

    /// Lists `value`, found at the current pointer, as unrecognized.
    fn unrecognized(&mut self, value: Value, reason: impl Into<String>) {
        let path = self.pointer.clone();
        let entry = Unrecognized::new(path, OPERATION, value, reason);
        self.report.unrecognized.push(entry);
    }

    /// Lists member `key` of the current value as unrecognized.
    fn unrecognized_member(&mut self, key: &str, value: Value, reason: impl Into<String>) {
        let mark = self.enter(key);
        self.unrecognized(value, reason);
        self.leave(mark);
    }

    /// Members of the report (`group` is `None`) or of a plan group, as JSON. A group's
    /// members get dotted product keys (`plan_zcc.plan_usage`); a `null` one carries nothing.
    fn members(&mut self, group: Option<&str>, members: Map<String, Value>, depth: usize) {
        for (key, value) in members {
            if group.is_some() && value.is_null() {
                continue;
            }
            let mark = self.enter(&key);
            let product = group.map_or_else(|| key.clone(), |group| format!("{group}.{key}"));
            if !key.starts_with("plan_") {
                self.unrecognized(value, "not a plan key");
            } else if key == RECORDING_KEY {
                self.recording(product, value);
            } else {
                self.plan_value(product, value, depth);
            }
            self.leave(mark);
        }
    }

    /// A member the spec names, read from its typed value; a value of a type this module does
    /// not read is encoded to JSON and walked.
    fn property(&mut self, key: &str, value: &dyn Any, usage: &PlanUsageReport) {
        let product = key.to_owned();
        if let Some(recording) = value.downcast_ref::<RecordingUsage>() {
            return self.storage(product, recording.clone());
        }
        if let Some(list) = value.downcast_ref::<PlanUsageList>() {
            return self.typed_list(&product, &list.0);
        }
        let read = self.typed::<PlanUsage>(&product, value)
            || self.typed::<BasePlanUsage>(&product, value)
            || self.typed::<RoomPlanUsage>(&product, value)
            || self.typed::<UnitedPlanUsage>(&product, value);
        if !read {
            let json = serde_json::to_value(usage)
                .ok()
                .and_then(|mut v| v.get_mut(key).map(Value::take));
            self.plan_value(product, json.unwrap_or_default(), 0);
        }
    }

    /// Reads `value` if it is a `T` or a `OneOrMany<T>`.
    fn typed<T: PlanEntry>(&mut self, product: &str, value: &dyn Any) -> bool {
        if let Some(entry) = value.downcast_ref::<T>() {
            self.typed_entry(product, entry, 0);
        } else if let Some(entries) = value.downcast_ref::<OneOrMany<T>>() {
            match entries {
                OneOrMany::One(entry) => self.typed_entry(product, entry, 0),
                OneOrMany::Many(entries) => self.typed_list(product, entries),
            }
        } else {
            return false;
        }
        true
    }

    fn typed_list<T: PlanEntry>(&mut self, product: &str, entries: &[T]) {
        for (index, entry) in entries.iter().enumerate() {
            let mark = self.enter(&index.to_string());
            self.typed_entry(product, entry, 1);
            self.leave(mark);
        }
    }

    fn typed_entry<T: PlanEntry>(&mut self, product: &str, entry: &T, depth: usize) {
        if !self.place(product, entry) {
            // Its JSON decides (a generated type always encodes: its map keys are text).
            match serde_json::to_value(entry) {
                Ok(json) => self.plan_value(product.to_owned(), json, depth),
                Err(error) => self.unrecognized(Value::Null, error.to_string()),
            }
        }
    }

    /// The value of a `plan_*` key: an entry, a list of entries, or a group.
    fn plan_value(&mut self, product: String, value: Value, depth: usize) {
        if depth > MAX_DEPTH {
            let reason = format!("plan groups nested deeper than {MAX_DEPTH} levels");
            return self.unrecognized(value, reason);
        }
        match value {
            Value::Null => {}
            Value::Array(entries) => {
                for (index, entry) in entries.into_iter().enumerate() {
                    let mark = self.enter(&index.to_string());
                    match entry {
                        Value::Object(members) => {
                            self.object(product.clone(), members, depth + 1);
                        }
                        other => {
                            self.unrecognized(other, "a plan list entry that is not an object");
                        }
                    }
                    self.leave(mark);
                }
            }
            Value::Object(members) => self.object(product, members, depth),
            other => self.unrecognized(
                other,
                "a plan value that is neither an object nor a list of objects",
            ),
        }
    }

    /// An object under a `plan_*` key: a group of plans, or one plan's seats.
    fn object(&mut self, product: String, members: Map<String, Value>, depth: usize) {
        if !members.keys().any(|key| key.starts_with("plan_")) {
            return self.seats(product, members);
        }
        self.members(Some(&product), members, depth + 1);
    }

    /// A licence count: Zoom's integers, refused when negative.
    fn count(&mut self, value: Option<i64>, key: &str) -> Option<u64> {
        let value = value?;
        let count = u64::try_from(value).ok();
        if count.is_none() {
            self.unrecognized_member(key, Value::from(value), "a negative licence count");
        }
        count
    }

    /// One plan's seats as JSON, read as the generated [`UnitedPlanUsage`] (every seat field).
    fn seats(&mut self, product: String, members: Map<String, Value>) {
        let value = Value::Object(members);
        match UnitedPlanUsage::deserialize(&value) {
            Err(error) => self.unrecognized(value, format!("not a plan usage entry: {error}")),
            Ok(entry) if self.place(&product, &entry) => {}
            Ok(_) => {
                let reason =
                    "an object without any plan usage field (hosts, usage, pending, type, name)";
                self.unrecognized(value, reason);
            }
        }
    }

    /// One plan's seat row, and what the seat model has no place for; `false` (nothing
    /// placed) when the entry has no seat field, or a seat field or `plan_*` key in its
    /// catch-all map, which only its JSON can place.
    fn place(&mut self, product: &str, entry: &impl PlanEntry) -> bool {
        let ([hosts, usage, pending], [plan, name], extra) = entry.fields();
        let stray = |key: &String| SEAT_FIELDS.contains(&key.as_str()) || key.starts_with("plan_");
        let no_field = [hosts, usage, pending].iter().all(Option::is_none);
        if (no_field && plan.is_none() && name.is_none()) || extra.keys().any(stray) {
            return false;
        }
        let purchased = self.count(hosts, "hosts");
        let used = self.count(usage, "usage");
        let pending = self.count(pending, "pending");
        let seats = Seats::new(product, plan.cloned(), purchased, used, pending);
        self.report.seats.push(seats.with_name(name.cloned()));
        for (key, member) in extra {
            if !IGNORED_ENTRY_FIELDS.contains(&key.as_str()) {
                let reason = "a plan entry field the seat model has no place for";
                self.unrecognized_member(key, member.clone(), reason);
            }
        }
        true
    }

    /// `plan_recording` as JSON.
    fn recording(&mut self, product: String, value: Value) {
        match RecordingUsage::deserialize(&value) {
            _ if value.is_null() => {}
            Ok(recording) => self.storage(product, recording),
            Err(error) => {
                let reason = format!("not a recording storage object: {error}");
                self.unrecognized(value, reason);
            }
        }
    }

    /// Zoom's storage figures as display text, as one storage row.
    fn storage(&mut self, product: String, recording: RecordingUsage) {
        let texts = [
            recording.plan_storage,
            recording.free_storage,
            recording.plan_storage_usage,
            recording.free_storage_usage,
            recording.plan_storage_exceed,
        ];
        let mut parts = Vec::new();
        for ((key, role), text) in STORAGE_FIGURES.into_iter().zip(texts) {
            let Some(text) = text else { continue };
            let bytes = match parse_size(&text) {
                Ok(bytes) => Some(bytes),
                Err(SizeError::Empty) => None,
                Err(error) => {
                    let reason = format!("unreadable storage size: {error}");
                    self.unrecognized_member(key, Value::from(text.clone()), reason);
                    None
                }
            };
            let (key, text) = (key.to_owned(), Some(text));
            parts.push(StoragePart {
                key,
                role,
                text,
                bytes,
            });
        }
        let excess_allowed_until = match recording.max_exceed_date {
            Some(date) if parse_date(&date).is_some() => Some(date),
            Some(date) if date.trim().is_empty() => None,
            Some(date) => {
                let value = Value::String(date);
                self.unrecognized_member("max_exceed_date", value, "not a yyyy-mm-dd date");
                None
            }
            None => None,
        };
        for (key, member) in recording.extra {
            let reason = "a recording storage field unknown to the storage model";
            self.unrecognized_member(&key, member, reason);
        }
        let storage = Storage::new(product, recording.type_, parts);
        self.report
            .storage
            .push(storage.with_excess_allowed_until(excess_allowed_until));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same mapping over the report as JSON (the general walk; the tests give it the raw
    /// answer, to show that reading the decoded report loses nothing).
    fn zoom_report_of_value(account: &str, value: Value, collected_at: String) -> UsageReport {
        let mut mapper = Mapper::new(account, collected_at);
        match value {
            Value::Object(members) => mapper.members(None, members, 0),
            other => mapper.unrecognized(other, "the plan usage report is not an object"),
        }
        mapper.finish()
    }
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

        /// Top-level keys: typed fields of every shape (list, object, one-or-many, recording,
        /// united) and keys the spec does not know.
        const REPORT_KEYS: &str = "(plan_base|plan_webinar|plan_zoom_rooms|plan_united|plan_zwr|plan_recording|plan_zoom_iq|plan_[a-z]{1,2}|[a-z]{1,3})";

        /// Values shaped like plan usage, with every odd case close by.
        fn report_json() -> impl Strategy<Value = Value> {
            let leaf = prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::from),
                (-3i64..60).prop_map(Value::from),
                any::<u64>().prop_map(Value::from),
                any::<i64>().prop_map(Value::from),
                (-10.0f64..10.0).prop_map(Value::from),
                "(monthly|[a-z]{1,3}|[0-9]{1,3} ?(GB|MB|TB|KB)|0|lots|2023-05-0[1-9]|soon|)"
                    .prop_map(Value::from),
            ];
            let count = prop_oneof![
                8 => (0i64..60).prop_map(Value::from),
                1 => Just(Value::Null),
                1 => leaf.clone(),
            ];
            let text = prop_oneof![
                8 => "[a-z]{1,8}_monthly".prop_map(Value::from),
                1 => Just(Value::Null),
                1 => leaf.clone(),
            ];
            let size = prop_oneof![
                8 => "([0-9]{1,3} ?(GB|MB|TB)|0|)".prop_map(Value::from),
                1 => "(2023-05-0[1-9]|soon|)".prop_map(Value::from),
                1 => leaf.clone(),
            ];
            let odd = prop::collection::btree_map(
                "(active_hosts|partner_sku|[a-z]{1,3}|a/b~)",
                leaf.clone(),
                0..2,
            );
            let entry = (
                prop::collection::btree_map("(hosts|usage|pending)", count, 0..4),
                prop::collection::btree_map("(type|name)", text, 0..3),
                odd.clone(),
            )
                .prop_map(|(counts, texts, odd)| {
                    Value::Object(counts.into_iter().chain(texts).chain(odd).collect())
                });
            let recording = (
                prop::collection::btree_map(
                    "(free_storage|plan_storage|plan_storage_usage|free_storage_usage|plan_storage_exceed|max_exceed_date|type)",
                    size,
                    0..7,
                ),
                odd,
            )
                .prop_map(|(sizes, odd)| Value::Object(sizes.into_iter().chain(odd).collect()));
            let plan = prop_oneof![
                4 => entry.clone(),
                2 => prop::collection::vec(prop_oneof![4 => entry.clone(), 1 => leaf.clone()], 0..3).prop_map(Value::from),
                1 => leaf.clone(),
            ];
            let group = prop::collection::btree_map(
                "(plan_[a-z]{1,2}|plan_recording|region)",
                prop_oneof![3 => plan.clone(), 1 => recording.clone()],
                0..4,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect()));
            let arbitrary = leaf.prop_recursive(4, 64, 6, |inner| {
                prop_oneof![
                    prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                    prop::collection::btree_map(
                        "(hosts|usage|pending|type|name|active_hosts|plan_[a-z]{1,2}|plan_recording|free_storage|plan_storage|max_exceed_date|a/b~)",
                        inner,
                        0..6
                    )
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
                ]
            });
            prop_oneof![
                6 => plan,
                2 => recording,
                2 => group,
                1 => arbitrary,
            ]
        }

        /// `value` without object members that are `null` (the generated types do not
        /// re-encode a member that was sent as `null`: the one thing decoding drops).
        fn without_nulls(value: &mut Value) {
            match value {
                Value::Object(members) => {
                    members.retain(|_, member| !member.is_null());
                    members.values_mut().for_each(without_nulls);
                }
                Value::Array(items) => items.iter_mut().for_each(without_nulls),
                _ => {}
            }
        }

        /// The report mapped from its decoded form and from the raw JSON it was decoded from,
        /// in one order (the decoded form lists the spec's fields before the others).
        fn both_ways(value: &Value) -> Option<(UsageReport, UsageReport)> {
            let usage: PlanUsageReport = serde_json::from_value(value.clone()).ok()?;
            let normal = |mut report: UsageReport| {
                report
                    .unrecognized
                    .iter_mut()
                    .for_each(|u| without_nulls(&mut u.value));
                report.unrecognized.sort_by(|a, b| a.path.cmp(&b.path));
                report.storage.sort_by(|a, b| a.product().cmp(b.product()));
                report
            };
            Some((
                normal(zoom_report("me", &usage, AT.to_owned())),
                normal(zoom_report_of_value("me", value.clone(), AT.to_owned())),
            ))
        }

        #[test]
        fn seeds_map_the_same_decoded_and_raw() {
            let seed: Value = serde_json::from_str(SEED_USAGE).expect("seed is JSON");
            let (decoded, raw) = both_ways(&seed).expect("the seed decodes");
            assert_eq!(decoded, raw);
            let addon: Value = serde_json::from_str(SEED_ADDON).expect("seed is JSON");
            let groups = json!({
                "plan_zcc": addon["plan_zcc"],
                "plan_znode": addon["plan_znode"],
                "plan_phone": addon["plan_phone"],
                "plan_base": {"hosts": 1, "active_hosts": 1, "partner_sku": "x"},
            });
            let (decoded, raw) = both_ways(&groups).expect("decodes");
            assert!(!decoded.unrecognized.is_empty());
            assert_eq!(decoded, raw);
        }

        /// `cargo test -p meeting-usage --release --lib -- --ignored --nocapture mapping_cost`
        #[test]
        #[ignore = "timing, not a check"]
        fn mapping_cost() {
            let usage = decode(SEED_USAGE);
            let rounds = 20_000;
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                std::hint::black_box(zoom_report(
                    "me",
                    std::hint::black_box(&usage),
                    AT.to_owned(),
                ));
            }
            let per_call = start.elapsed().as_secs_f64() * 1e6 / f64::from(rounds);
            println!("mapping {per_call:.2} us per report");
        }

        proptest! {
            #[test]
            fn decoding_loses_nothing(members in prop::collection::btree_map(REPORT_KEYS, report_json(), 0..8)) {
                let value = Value::Object(members.into_iter().collect());
                if let Some((decoded, raw)) = both_ways(&value) {
                    prop_assert_eq!(decoded, raw);
                }
            }
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

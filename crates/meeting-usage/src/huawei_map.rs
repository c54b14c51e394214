//! Huawei Cloud Meeting's enterprise resources in the usage model.
//!
//! Three responses, decoded as their generated types, make one report:
//!
//! | operation | path | generated type | gives |
//! |---|---|---|---|
//! | `ShowOrgRes` | `GET /v1/mmc/management/orgRes` | [`OrgResourceUsage`] | [`Activity`], recording storage in use, live usage of concurrent participants and streams |
//! | `ShowCorpResource` | `GET /v1/usg/dcs/corp/resource` | [`CorpResources`] | what was bought per resource type, cloud meeting room packages, recording capacity |
//! | `SearchCorpResources` | `GET /v1/usg/dcs/corp/resource-list` | [`CorpResourceItem`] (the `data` of every page) | [`ExpiringResource`]s |
//!
//! # Seats
//!
//! One row per resource type of `corp/resource`, keyed by the resource list's type name. The
//! catalogue (`catalogue/huawei.json`) names each type's counter (`field`: `teSoftCount` →
//! `SOFT`, ...), its kind and label, and for concurrent participants and live streams, which
//! have no `usedCount`, the orgRes figure counting their use (`used_from`: `usedAccountsCount`,
//! `usedLiveCount`; a `usedCount`, if Huawei ever sends one, wins). `sumCount` is bought,
//! `usedCount` in use, then `trialCount`, `expiredCount` and `expiringCount` (within 30 days).
//! An unknown member with those counters is a row keyed by its vendor key. Each cloud meeting
//! room package (`vmr`) is a `VMR` row: plan `vmrPkgId`, name `vmrName`, bought
//! `vmrPkgCount`, used `vmrPkgUsedCount`.
//!
//! # Storage and expiry
//!
//! One `RECORD` row joins the capacity bought (`recordCapability.sumCount`, GB) with the
//! storage in use (orgRes `usedRecStorage`, GB), in decimal units (1 GB = 10^9 bytes). Entries
//! of the resource list are listed by the model's rule ([`ExpiringResource::listed`]: within
//! 30 days of `now`, or marked expired, `status` 1), soonest expiry first.
//!
//! # Left out, and what goes to `unrecognized`
//!
//! Left out on purpose: the feature switches (`enablePstn`, `enableSMS`, `enableHybridCloud`,
//! `enableCloudDisk`, `enableUc`, `enableAiMinutes`), the per-meeting limits
//! `singleConfCallCount` and `confLength`, a package's `vmrPkgParties` and an entry's `vmrMode`
//! and `editable`. Unrecognized: keys no generated type knows (their `extra` maps), values of
//! an unexpected shape, negative counts, a storage figure that is negative, not finite or too
//! large, a non-zero trial, expired or expiring figure or any `usedCount` of the recording
//! capacity, an undocumented `status` code, an `expireDate` outside the years 0000 to 9999.

use std::time::SystemTime;

use huawei_meeting::Lenient;
use huawei_meeting::types::{
    CorpResourceItem, CorpResources, OrgResourceUsage, ResourceDetail, VmrPackage,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalogue;
use crate::model::{
    Activity, ExpiringResource, ResourceStatus, Seats, Storage, StoragePart, StorageRole,
    Unrecognized, UsageReport, Vendor, pointer_join,
};
use crate::size::{BYTES_PER_GB, gb_to_bytes};
use crate::time::{MILLIS_PER_DAY, rfc3339_from_unix_millis, unix_millis};

/// Operation of the usage figures.
const ORG_RES: &str = "ShowOrgRes";
/// Operation of the purchased totals.
const CORP_RESOURCE: &str = "ShowCorpResource";
/// Operation of the resource list.
const RESOURCE_LIST: &str = "SearchCorpResources";

/// Product key of recording storage.
const RECORD: &str = "RECORD";
/// Product key of cloud meeting room packages.
const VMR: &str = "VMR";

/// Known `corp/resource` fields that carry no quantity bought or used.
const IGNORED_CORP_FIELDS: [&str; 8] = [
    "enablePstn",
    "enableSMS",
    "enableHybridCloud",
    "enableCloudDisk",
    "enableUc",
    "enableAiMinutes",
    "singleConfCallCount",
    "confLength",
];

/// The usage report of Huawei enterprise `account` from its decoded orgRes (`org`),
/// corp/resource (`corp`) and resource-list entries (`resources`, the `data` of every page
/// read, in order), collected at `now` (`collected_at` is `now` as RFC 3339).
pub(crate) fn huawei_report(
    account: &str,
    org: &OrgResourceUsage,
    corp: &CorpResources,
    resources: &[CorpResourceItem],
    now: SystemTime,
    collected_at: String,
) -> UsageReport {
    let mut mapper = Mapper {
        report: UsageReport::new(Vendor::Huawei, account, collected_at),
    };
    let activity = mapper.activity(org);
    let used_storage = mapper.used_storage(org);
    let mut storage_parts = mapper.corp_resources(corp, &activity);
    storage_parts.extend(used_storage);
    mapper.report.activity = Some(activity);
    mapper.report.expiring = Some(mapper.expiring(resources, unix_millis(now)));
    let mut report = mapper.report;
    if !storage_parts.is_empty() {
        report
            .storage
            .push(Storage::new(RECORD, None, storage_parts));
    }
    report.seats.sort_by(|a, b| a.product().cmp(b.product()));
    report.classify();
    report
}

/// The orgRes figure of vendor key `key`, as the activity holds it (the catalogue's
/// `used_from`).
fn org_figure(activity: &Activity, key: Option<&str>) -> Option<u64> {
    let figures = [
        ("usedAccountsCount", activity.concurrent_participants),
        ("usedLiveCount", activity.live_streams),
        ("confCount", activity.meetings_today),
        ("confLength", activity.meeting_minutes_today),
        ("activeAttendeeCount", activity.active_users_today),
        ("totalAttendeeCount", activity.participants_today),
    ];
    let (_, figure) = figures.into_iter().find(|(name, _)| Some(*name) == key)?;
    figure
}

/// A value as the vendor sent it (re-encoded from its generated type, which keeps the form).
fn verbatim<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// Builds one report, collecting what it cannot place.
struct Mapper {
    report: UsageReport,
}

impl Mapper {
    fn unrecognized(&mut self, op: &str, path: &str, value: Value, reason: impl Into<String>) {
        self.report
            .unrecognized
            .push(Unrecognized::new(path, op, value, reason));
    }

    fn extra(&mut self, op: &str, base: &str, extra: &serde_json::Map<String, Value>) {
        for (key, value) in extra {
            let reason = "a field unknown to the facade";
            self.unrecognized(op, &pointer_join(base, key), value.clone(), reason);
        }
    }

    /// A count that arrived as a number or numeric string; negative ones are refused.
    fn lenient<T>(&mut self, value: &Option<Lenient<T>>, key: &str) -> Option<u64>
    where
        T: Copy + Into<i64> + Serialize,
    {
        let value = value.as_ref()?;
        let count = u64::try_from(value.get().into()).ok();
        if count.is_none() {
            let path = pointer_join("", key);
            self.unrecognized(ORG_RES, &path, verbatim(value), "a negative count");
        }
        count
    }

    /// A count of `corp/resource` or the resource list; negative ones are refused.
    fn count(&mut self, op: &str, value: Option<i64>, path: &str) -> Option<u64> {
        let value = value?;
        let count = u64::try_from(value).ok();
        if count.is_none() {
            self.unrecognized(op, path, Value::from(value), "a negative count");
        }
        count
    }

    fn activity(&mut self, org: &OrgResourceUsage) -> Activity {
        let activity = Activity {
            concurrent_participants: self.lenient(&org.used_accounts_count, "usedAccountsCount"),
            live_streams: self.lenient(&org.used_live_count, "usedLiveCount"),
            meetings_today: self.lenient(&org.conf_count, "confCount"),
            meeting_minutes_today: self.lenient(&org.conf_length, "confLength"),
            active_users_today: self.lenient(&org.active_attendee_count, "activeAttendeeCount"),
            participants_today: self.lenient(&org.total_attendee_count, "totalAttendeeCount"),
        };
        self.extra(ORG_RES, "", &org.extra);
        activity
    }

    /// orgRes `usedRecStorage` as a storage part.
    fn used_storage(&mut self, org: &OrgResourceUsage) -> Option<StoragePart> {
        let value = org.used_rec_storage.as_ref()?;
        let sent = verbatim(value);
        let bytes = gb_to_bytes(value.get())
            .map_err(|error| {
                let reason = format!("unusable storage figure: {error}");
                self.unrecognized(ORG_RES, "/usedRecStorage", sent.clone(), reason);
            })
            .ok();
        let text = sent.as_str().map(str::to_owned);
        let key = "usedRecStorage".to_owned();
        Some(StoragePart {
            key,
            role: StorageRole::Used,
            text,
            bytes,
        })
    }

    /// `corp/resource`'s seat rows, and its recording capacity as storage parts.
    fn corp_resources(&mut self, corp: &CorpResources, activity: &Activity) -> Vec<StoragePart> {
        let mut storage_parts: Vec<StoragePart> = Vec::new();
        let members = match verbatim(corp) {
            Value::Object(members) => members,
            other => {
                let reason = "the resource summary is not an object";
                self.unrecognized(CORP_RESOURCE, "", other, reason);
                serde_json::Map::new()
            }
        };
        for (key, value) in &members {
            let path = pointer_join("", key);
            let counted = catalogue::products(Vendor::Huawei)
                .iter()
                .find(|product| product.field.as_ref() == Some(key));
            if let Some(product) = counted {
                self.resource_detail(&product.key, value, &path, activity);
            } else if key == "recordCapability" {
                storage_parts.extend(self.record_capability(value, &path));
            } else if key == "vmr" {
                self.vmr_packages(value, &path);
            } else if !IGNORED_CORP_FIELDS.contains(&key.as_str()) {
                // A resource kind the spec does not know yet, if it has the counters' shape.
                // (Ignored fields: feature switches and per-meeting limits, see above.)
                self.resource_detail(key, value, &path, activity);
            }
        }
        storage_parts
    }

    /// One `ResourceDetail`: a seat row for `product` (a catalogued type, or a vendor key).
    fn resource_detail(&mut self, product: &str, value: &Value, path: &str, activity: &Activity) {
        let catalogued = catalogue::lookup(Vendor::Huawei, product);
        let known = catalogued.is_some();
        let joined_use = org_figure(activity, catalogued.and_then(|p| p.used_from.as_deref()));
        let unknown = "a field unknown to the facade";
        let detail = match ResourceDetail::deserialize(value) {
            Ok(detail) => detail,
            Err(error) => {
                let reason = match known {
                    true => format!("not a resource summary: {error}"),
                    false => unknown.to_owned(),
                };
                return self.unrecognized(CORP_RESOURCE, path, value.clone(), reason);
            }
        };
        let figures = [
            ("sumCount", detail.sum_count),
            ("usedCount", detail.used_count),
            ("trialCount", detail.trial_count),
            ("expiredCount", detail.expired_count),
            ("expiringCount", detail.expiring_count),
        ];
        if !known && figures.iter().all(|(_, figure)| figure.is_none()) {
            return self.unrecognized(CORP_RESOURCE, path, value.clone(), unknown);
        }
        let [purchased, used, trial, expired, expiring] =
            figures.map(|(key, value)| self.count(CORP_RESOURCE, value, &pointer_join(path, key)));
        let used = used.or(joined_use);
        let seats = Seats::new(product, None, purchased, used, None)
            .with_trial(trial)
            .with_expired(expired)
            .with_expiring_within_30_days(expiring);
        self.report.seats.push(seats);
        self.extra(CORP_RESOURCE, path, &detail.extra);
    }

    /// `recordCapability`: the recording capacity bought, in GB, as a storage part.
    fn record_capability(&mut self, value: &Value, path: &str) -> Option<StoragePart> {
        let detail = match ResourceDetail::deserialize(value) {
            Ok(detail) => detail,
            Err(error) => {
                let reason = format!("not a resource summary: {error}");
                self.unrecognized(CORP_RESOURCE, path, value.clone(), reason);
                return None;
            }
        };
        let unplaced = [
            ("usedCount", detail.used_count, "in use"),
            ("trialCount", detail.trial_count, "trial"),
            ("expiredCount", detail.expired_count, "expired"),
            ("expiringCount", detail.expiring_count, "expiring"),
        ];
        for (key, figure, what) in unplaced {
            if let Some(figure) = figure.filter(|&figure| figure != 0 || key == "usedCount") {
                let reason = match key {
                    "usedCount" => "storage in use is read from orgRes usedRecStorage".to_owned(),
                    _ => format!("the storage model has no place for {what} capacity"),
                };
                let path = pointer_join(path, key);
                self.unrecognized(CORP_RESOURCE, &path, Value::from(figure), reason);
            }
        }
        self.extra(CORP_RESOURCE, path, &detail.extra);
        let sum_path = pointer_join(path, "sumCount");
        let gigabytes = self.count(CORP_RESOURCE, detail.sum_count, &sum_path);
        let bytes = gigabytes.and_then(|gb| gb.checked_mul(BYTES_PER_GB));
        if let (Some(gb), None) = (gigabytes, bytes) {
            let reason = "more bytes than 64 bits hold";
            self.unrecognized(CORP_RESOURCE, &sum_path, Value::from(gb), reason);
        }
        let key = "recordCapability.sumCount".to_owned();
        let part = StoragePart {
            key,
            role: StorageRole::Purchased,
            text: None,
            bytes,
        };
        detail.sum_count.map(|_| part)
    }

    /// `vmr`: one seat row per cloud meeting room package.
    fn vmr_packages(&mut self, value: &Value, path: &str) {
        let Value::Array(packages) = value else {
            let reason = "not a list of packages";
            return self.unrecognized(CORP_RESOURCE, path, value.clone(), reason);
        };
        for (index, package) in packages.iter().enumerate() {
            let path = pointer_join(path, &index.to_string());
            let package = match VmrPackage::deserialize(package) {
                Ok(package) => package,
                Err(error) => {
                    let reason = format!("not a meeting room package: {error}");
                    self.unrecognized(CORP_RESOURCE, &path, package.clone(), reason);
                    continue;
                }
            };
            let mut count =
                |value, key| self.count(CORP_RESOURCE, value, &pointer_join(&path, key));
            let purchased = count(package.vmr_pkg_count, "vmrPkgCount");
            let used = count(package.vmr_pkg_used_count, "vmrPkgUsedCount");
            let seats = Seats::new(VMR, package.vmr_pkg_id, purchased, used, None);
            self.report.seats.push(seats.with_name(package.vmr_name));
            self.extra(CORP_RESOURCE, &path, &package.extra);
        }
    }

    /// The resource-list entries close to their expiry.
    fn expiring(&mut self, resources: &[CorpResourceItem], now_ms: i64) -> Vec<ExpiringResource> {
        let mut listed = Vec::new();
        for (index, item) in resources.iter().enumerate() {
            let path = pointer_join("/data", &index.to_string());
            self.extra(RESOURCE_LIST, &path, &item.extra);
            let count = self.count(RESOURCE_LIST, item.count, &pointer_join(&path, "count"));
            let status = item.status.and_then(|code| {
                let status = ResourceStatus::from_code(code);
                if status.is_none() {
                    let reason = "an undocumented resource status (documented: 0 normal, 1 expired, 2 disabled)";
                    let path = pointer_join(&path, "status");
                    self.unrecognized(RESOURCE_LIST, &path, Value::from(code), reason);
                }
                status
            });
            let expires_at = item.expire_date.and_then(|ms| {
                let text = rfc3339_from_unix_millis(ms);
                if text.is_none() {
                    let reason = "an expiry outside the years 0000 to 9999";
                    let path = pointer_join(&path, "expireDate");
                    self.unrecognized(RESOURCE_LIST, &path, Value::from(ms), reason);
                }
                text
            });
            let marked_expired = status == Some(ResourceStatus::Expired);
            if !ExpiringResource::listed(item.expire_date, marked_expired, now_ms) {
                continue;
            }
            let days_until_expiry = item
                .expire_date
                .and_then(|ms| ms.checked_sub(now_ms))
                .map(|left| left.div_euclid(MILLIS_PER_DAY));
            listed.push(ExpiringResource {
                resource_type: item.type_.clone(),
                id: item.id.clone(),
                type_id: item.type_id.clone(),
                description: item.type_desc.clone(),
                count,
                expires_at,
                expire_date_ms: item.expire_date,
                days_until_expiry,
                expired: marked_expired || item.expire_date.is_some_and(|ms| ms < now_ms),
                status,
                status_code: item.status,
                order_id: item.order_id.clone(),
            });
        }
        // Soonest expiry first; entries without one last.
        listed.sort_by_key(|entry| (entry.expire_date_ms.is_none(), entry.expire_date_ms));
        listed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::{Duration, UNIX_EPOCH};

    const GB: u64 = BYTES_PER_GB;
    const SEED_ORG: &str = include_str!("../../../tests/fixtures/seeds/003-org-res.response.json");
    const AT: &str = "2025-12-01T00:00:00Z";

    /// 2025-12-01T00:00:00Z.
    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_764_547_200)
    }

    /// The spec's `enterprise` example of ShowCorpResource.
    fn corp_example() -> Value {
        json!({
            "teSoftCount": {"sumCount": 200, "usedCount": 158, "trialCount": 0, "expiredCount": 0, "expiringCount": 20},
            "te1080pHardCount": {"sumCount": 12, "usedCount": 9, "trialCount": 0, "expiredCount": 1, "expiringCount": 0},
            "roomCount": {"sumCount": 15, "usedCount": 11, "trialCount": 2, "expiredCount": 0, "expiringCount": 0},
            "recordCapability": {"sumCount": 500, "trialCount": 0, "expiredCount": 0, "expiringCount": 0},
            "confCallCount": {"sumCount": 100, "trialCount": 0, "expiredCount": 0, "expiringCount": 0},
            "liveCount": {"sumCount": 2, "trialCount": 0, "expiredCount": 0, "expiringCount": 0},
            "vmr": [
                {"vmrPkgId": "7f3e1c2a9b8d4e6f", "vmrName": "Cloud meeting room, 100 participants",
                 "vmrPkgParties": 100, "vmrPkgCount": 10, "vmrPkgUsedCount": 7},
                {"vmrPkgId": "2a4c6e8f0b1d3f5a", "vmrName": "Cloud meeting room, 500 participants",
                 "vmrPkgParties": 500, "vmrPkgCount": 2, "vmrPkgUsedCount": 2}
            ],
            "enablePstn": true, "enableSMS": false, "enableHybridCloud": false,
            "enableCloudDisk": true, "enableUc": false, "enableAiMinutes": true,
            "singleConfCallCount": 300, "confLength": 1440
        })
    }

    fn entry(id: &str, kind: &str, count: i64, expire: i64, status: i64) -> Value {
        json!({"id": id, "type": kind, "typeId": kind.to_lowercase(), "typeDesc": kind,
               "count": count, "expireDate": expire, "orderId": "CS2512010001",
               "status": status, "editable": false})
    }

    /// The `data` of the spec's `all-resources` example of SearchCorpResources.
    fn resource_list_example() -> Value {
        json!([
            {"id": "res-0001", "type": "VMR", "typeId": "vmr-100", "typeDesc": "Cloud meeting room, 100 participants", "vmrMode": 1, "count": 10, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0002", "type": "VMR", "typeId": "vmr-500", "typeDesc": "Cloud meeting room, 500 participants", "vmrMode": 1, "count": 2, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0003", "type": "SOFT", "typeId": "soft-client", "typeDesc": "Software client licence", "count": 180, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0004", "type": "SOFT", "typeId": "soft-client", "typeDesc": "Software client licence", "count": 20, "expireDate": 1_765_756_800_000_i64, "orderId": "CS2509010003", "status": 0, "editable": false},
            {"id": "res-0005", "type": "HARD_1080P", "typeId": "hard-1080p", "typeDesc": "1080p hardware terminal", "count": 11, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0006", "type": "HARD_1080P", "typeId": "hard-1080p", "typeDesc": "1080p hardware terminal", "count": 1, "expireDate": 1_735_689_600_000_i64, "orderId": "CS2401150007", "status": 1, "editable": false},
            {"id": "res-0007", "type": "ROOM", "typeId": "room", "typeDesc": "Smart meeting room", "count": 15, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0008", "type": "RECORD", "typeId": "record-gb", "typeDesc": "Cloud recording storage (GB)", "count": 500, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0009", "type": "CONF_CALL", "typeId": "conf-call", "typeDesc": "Concurrent call", "count": 100, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false},
            {"id": "res-0010", "type": "LIVE", "typeId": "live", "typeDesc": "Live stream", "count": 2, "expireDate": 1_827_619_200_000_i64, "orderId": "CS2512010001", "status": 0, "editable": false}
        ])
    }

    fn decode<T: for<'de> Deserialize<'de>>(value: Value) -> T {
        serde_json::from_value(value).expect("decodes through the generated type")
    }

    fn report(org: Value, corp: Value, list: Value, now: SystemTime) -> UsageReport {
        let org: OrgResourceUsage = decode(org);
        let corp: CorpResources = decode(corp);
        let list: Vec<CorpResourceItem> = decode(list);
        huawei_report("corp-1", &org, &corp, &list, now, AT.to_owned())
    }

    fn seed_org() -> Value {
        serde_json::from_str(SEED_ORG).expect("seed is JSON")
    }

    fn one<'a>(report: &'a UsageReport, product: &'a str) -> &'a Seats {
        let rows: Vec<&Seats> = report.seats_of(product).collect();
        assert_eq!(rows.len(), 1, "{product}: {rows:?}");
        rows[0]
    }

    #[test]
    fn seed_and_spec_examples_map_completely() {
        let report = report(seed_org(), corp_example(), resource_list_example(), now());
        assert_eq!(report.vendor, Vendor::Huawei);
        assert_eq!(report.account, "corp-1");
        assert_eq!(report.collected_at, AT);
        assert_eq!(report.unrecognized, []);

        assert_eq!(
            report.activity,
            Some(Activity {
                concurrent_participants: Some(1),
                live_streams: Some(0),
                meetings_today: Some(4),
                meeting_minutes_today: Some(57),
                active_users_today: Some(1),
                participants_today: Some(2),
            })
        );

        let soft = one(&report, "SOFT");
        assert_eq!((soft.purchased(), soft.used()), (Some(200), Some(158)));
        assert_eq!(soft.available(), Some(42));
        assert_eq!(soft.trial(), Some(0));
        assert_eq!(soft.expired(), Some(0));
        assert_eq!(soft.expiring_within_30_days(), Some(20));
        assert_eq!(soft.pending(), None);
        assert_eq!(one(&report, "HARD_1080P").expired(), Some(1));
        assert_eq!(one(&report, "ROOM").trial(), Some(2));

        // Concurrency bought (corp/resource) joined with concurrency in use (orgRes).
        let calls = one(&report, "CONF_CALL");
        assert_eq!((calls.purchased(), calls.used()), (Some(100), Some(1)));
        let live = one(&report, "LIVE");
        assert_eq!((live.purchased(), live.used()), (Some(2), Some(0)));

        let rooms: Vec<_> = report
            .seats_of("VMR")
            .map(|s| (s.plan(), s.name(), s.purchased(), s.used()))
            .collect();
        assert_eq!(
            rooms,
            [
                (
                    Some("7f3e1c2a9b8d4e6f"),
                    Some("Cloud meeting room, 100 participants"),
                    Some(10),
                    Some(7)
                ),
                (
                    Some("2a4c6e8f0b1d3f5a"),
                    Some("Cloud meeting room, 500 participants"),
                    Some(2),
                    Some(2)
                ),
            ]
        );
        assert_eq!(report.seats.len(), 7);
        assert_eq!(report.over_allocated().count(), 0);

        assert_eq!(report.storage.len(), 1);
        let storage = &report.storage[0];
        assert_eq!(storage.product(), RECORD);
        assert_eq!(storage.purchased_bytes(), Some(500 * GB));
        assert_eq!(storage.used_bytes(), Some(39_590_000_000));
        assert!(!storage.over_quota());
        let keys: Vec<&str> = storage.parts().iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["recordCapability.sumCount", "usedRecStorage"]);
        assert_eq!(storage.parts()[1].text, None);
    }

    #[test]
    fn expiring_soon_from_the_spec_example() {
        let report = report(seed_org(), corp_example(), resource_list_example(), now());
        let expiring = report.expiring.as_deref().unwrap_or_default();
        assert_eq!(expiring.len(), 1, "{expiring:?}");
        let soft = &expiring[0];
        assert_eq!(soft.id.as_deref(), Some("res-0004"));
        assert_eq!(soft.resource_type.as_deref(), Some("SOFT"));
        assert_eq!(soft.type_id.as_deref(), Some("soft-client"));
        assert_eq!(soft.description.as_deref(), Some("Software client licence"));
        assert_eq!(soft.count, Some(20));
        assert_eq!(soft.expires_at.as_deref(), Some("2025-12-15T00:00:00Z"));
        assert_eq!(soft.expire_date_ms, Some(1_765_756_800_000));
        assert_eq!(soft.days_until_expiry, Some(14));
        assert!(!soft.expired);
        assert_eq!(soft.status, Some(ResourceStatus::Normal));
        assert_eq!(soft.status_code, Some(0));
        assert_eq!(soft.order_id.as_deref(), Some("CS2509010003"));
    }

    #[test]
    fn recently_expired_entries_are_listed() {
        // Nine days after res-0006 expired (2025-01-01).
        let then = UNIX_EPOCH + Duration::from_secs(1_735_689_600 + 9 * 86_400);
        let report = report(seed_org(), corp_example(), resource_list_example(), then);
        let expiring = report.expiring.unwrap_or_default();
        let ids: Vec<Option<&str>> = expiring.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, [Some("res-0006")]);
        assert!(expiring[0].expired);
        assert_eq!(expiring[0].days_until_expiry, Some(-9));
        assert_eq!(expiring[0].status, Some(ResourceStatus::Expired));
    }

    #[test]
    fn status_and_window_rules() {
        let now_ms = 1_764_547_200_000_i64;
        let day = MILLIS_PER_DAY;
        let list = json!([
            entry("future-far", "SOFT", 1, now_ms + 31 * day, 0),
            entry("future-edge", "SOFT", 2, now_ms + 30 * day, 0),
            entry("past-edge", "SOFT", 3, now_ms - 30 * day, 0),
            entry("past-far", "SOFT", 4, now_ms - 31 * day, 1),
            entry("marked-expired-future", "ROOM", 5, now_ms + 200 * day, 1),
            entry("disabled-soon", "ROOM", 6, now_ms + day / 2, 2),
            {"id": "marked-expired-undated", "type": "LIVE", "status": 1},
            {"id": "undated", "type": "LIVE", "status": 0},
        ]);
        let report = report(seed_org(), json!({}), list, now());
        let ids: Vec<&str> = report
            .expiring
            .iter()
            .flatten()
            .filter_map(|e| e.id.as_deref())
            .collect();
        assert_eq!(
            ids,
            [
                "past-edge",
                "disabled-soon",
                "future-edge",
                "marked-expired-future",
                "marked-expired-undated"
            ]
        );
        let by_id = |id: &str| {
            report
                .expiring
                .iter()
                .flatten()
                .find(|e| e.id.as_deref() == Some(id))
                .cloned()
        };
        assert_eq!(
            by_id("disabled-soon").map(|e| (e.days_until_expiry, e.status)),
            Some((Some(0), Some(ResourceStatus::Disabled)))
        );
        assert_eq!(
            by_id("past-edge").map(|e| (e.expired, e.days_until_expiry)),
            Some((true, Some(-30)))
        );
        assert_eq!(
            by_id("marked-expired-future").map(|e| e.expired),
            Some(true)
        );
        assert_eq!(
            by_id("marked-expired-undated").map(|e| (e.expires_at, e.days_until_expiry)),
            Some((None, None))
        );
        assert_eq!(report.unrecognized, []);
    }

    #[test]
    fn quoted_numbers_example() {
        // The spec's `quoted-numbers` example of ShowOrgRes.
        let org = json!({
            "usedRecStorage": "0.0", "usedAccountsCount": "0", "usedLiveCount": "0",
            "confCount": "3", "confLength": "45", "activeAttendeeCount": "2", "totalAttendeeCount": "5"
        });
        let report = report(org, json!({}), json!([]), now());
        assert_eq!(report.unrecognized, []);
        let activity = report.activity.clone().unwrap_or_default();
        assert_eq!(activity.meetings_today, Some(3));
        assert_eq!(activity.meeting_minutes_today, Some(45));
        assert_eq!(activity.participants_today, Some(5));
        // No capacity known: a storage row with the usage only.
        let storage = &report.storage[0];
        assert_eq!(storage.used_bytes(), Some(0));
        assert_eq!(storage.purchased_bytes(), None);
        assert_eq!(storage.parts()[0].text.as_deref(), Some("0.0"));
        assert!(report.seats.is_empty());
        assert_eq!(report.expiring, Some(vec![]));
    }

    #[test]
    fn negative_and_unknown_values_are_unrecognized() {
        let org = json!({
            "usedRecStorage": -1.5, "usedAccountsCount": "-3", "confCount": 2, "newFigure": 9
        });
        let corp = json!({
            "teSoftCount": {"sumCount": -5, "usedCount": 3, "colour": "red"},
            "confCallCount": {"sumCount": 10},
            "recordCapability": {"sumCount": 100, "usedCount": 40, "trialCount": 10, "expiredCount": 0},
            "vmr": [{"vmrPkgId": "p", "vmrPkgCount": 1, "vmrPkgUsedCount": -1, "vmrMode": 1}],
            "laserCount": {"sumCount": 4, "usedCount": 5, "trialCount": 0},
            "motto": "meet more",
            "oddObject": {"a": 1}
        });
        let list = json!([
            {"id": "x", "type": "SOFT", "count": -2, "expireDate": now_ms_plus_days(3), "status": 7, "flavour": "mint"},
            {"id": "y", "type": "SOFT", "expireDate": i64::MAX, "status": 1}
        ]);
        let report = report(org, corp, list, now());
        let found: Vec<(&str, &str, &Value)> = report
            .unrecognized
            .iter()
            .map(|u| (u.operation.as_str(), u.path.as_str(), &u.value))
            .collect();
        let expected = [
            (ORG_RES, "/usedAccountsCount", json!("-3")),
            (ORG_RES, "/newFigure", json!(9)),
            (ORG_RES, "/usedRecStorage", json!(-1.5)),
            (CORP_RESOURCE, "/teSoftCount/sumCount", json!(-5)),
            (CORP_RESOURCE, "/teSoftCount/colour", json!("red")),
            (CORP_RESOURCE, "/recordCapability/usedCount", json!(40)),
            (CORP_RESOURCE, "/recordCapability/trialCount", json!(10)),
            (CORP_RESOURCE, "/vmr/0/vmrPkgUsedCount", json!(-1)),
            (CORP_RESOURCE, "/vmr/0/vmrMode", json!(1)),
            (CORP_RESOURCE, "/motto", json!("meet more")),
            (CORP_RESOURCE, "/oddObject", json!({"a": 1})),
            (RESOURCE_LIST, "/data/0/flavour", json!("mint")),
            (RESOURCE_LIST, "/data/0/count", json!(-2)),
            (RESOURCE_LIST, "/data/0/status", json!(7)),
            (RESOURCE_LIST, "/data/1/expireDate", json!(i64::MAX)),
        ];
        for (operation, path, value) in &expected {
            assert!(
                found.contains(&(*operation, *path, value)),
                "{operation} {path} missing from {found:?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:?}");

        let soft = one(&report, "SOFT");
        assert_eq!((soft.purchased(), soft.used()), (None, Some(3)));
        // A used count negative in orgRes is not joined in.
        assert_eq!(one(&report, "CONF_CALL").used(), None);
        // A resource kind the spec does not know yet, with the counters' shape.
        let laser = one(&report, "laserCount");
        assert!(laser.over_allocated());
        assert_eq!(one(&report, VMR).used(), None);
        let storage = &report.storage[0];
        assert_eq!(storage.purchased_bytes(), Some(100 * GB));
        assert_eq!(storage.used_bytes(), None);
        let activity = report.activity.clone().unwrap_or_default();
        assert_eq!(activity.concurrent_participants, None);
        assert_eq!(activity.meetings_today, Some(2));

        // "y" is marked expired, so it is listed although its expiry cannot be written.
        let expiring = report.expiring.unwrap_or_default();
        let ids: Vec<Option<&str>> = expiring.iter().map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, [Some("x"), Some("y")]);
        assert_eq!(expiring[1].expires_at, None);
        assert!(expiring[1].expired);
        assert_eq!(expiring[0].count, None);
        assert_eq!(expiring[0].status, None);
        assert_eq!(expiring[0].status_code, Some(7));
    }

    fn now_ms_plus_days(days: i64) -> i64 {
        1_764_547_200_000 + days * MILLIS_PER_DAY
    }

    #[test]
    fn storage_overflow_and_absence() {
        let corp = json!({"recordCapability": {"sumCount": i64::MAX}});
        let report = report(json!({}), corp, json!([]), now());
        assert_eq!(report.storage[0].purchased_bytes(), None);
        assert_eq!(report.unrecognized.len(), 1);
        assert_eq!(report.unrecognized[0].path, "/recordCapability/sumCount");

        let nothing = report_of_empty();
        assert!(nothing.storage.is_empty());
        assert!(nothing.seats.is_empty());
        assert_eq!(nothing.activity, Some(Activity::default()));
        assert_eq!(nothing.unrecognized, []);
    }

    fn report_of_empty() -> UsageReport {
        report(json!({}), json!({}), json!([]), now())
    }

    #[test]
    fn over_quota_recording() {
        let org = json!({"usedRecStorage": 512.25});
        let corp = json!({"recordCapability": {"sumCount": 500}});
        let report = report(org, corp, json!([]), now());
        let storage = &report.storage[0];
        assert_eq!(storage.used_bytes(), Some(512_250_000_000));
        assert!(storage.over_quota());
    }
}

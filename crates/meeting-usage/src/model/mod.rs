//! The vendor-neutral usage model: what an organisation bought, and how much of it is in use.
//!
//! One [`UsageReport`] per vendor account. Its JSON form (serde, field names in `snake_case`)
//! is a documented contract, printed by the command line's `--format json`:
//!
//! - every field is always present; a figure the vendor did not report is `null`, never `0`;
//! - sizes are bytes, decimal units (1 GB = 10^9 bytes, see `size.rs` for why);
//! - times are RFC 3339 in UTC with whole seconds (`2026-05-04T09:30:00Z`);
//! - derived figures (`available`, `utilization`, `over_allocated`, `used_bytes`,
//!   `purchased_bytes`, `over_quota`) are computed by this crate from the vendor figures. When
//!   a report is read back from JSON they are computed again from the other fields, so they
//!   can never disagree with them;
//! - every seat and storage row has a `kind` (the cross-vendor [`ProductKind`], from the
//!   [catalogue](crate::catalogue)) and a `label` for people next to the vendor's raw
//!   `product` key, which stays as the vendor sent it;
//! - nothing the vendor sent is silently lost: whatever the mapping could not place in the
//!   model is listed verbatim in [`UsageReport::unrecognized`].
//!
//! ```
//! use meeting_usage::{Seats, UsageReport, Vendor};
//!
//! let mut report = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
//! report.seats.push(Seats::new("plan_zoom_iq", Some("ziq_sales_monthly".into()), Some(18), Some(28), Some(1)));
//! let seats = report.over_allocated().next().unwrap();
//! assert_eq!(seats.available(), Some(-10));
//!
//! let json = serde_json::to_value(&report).unwrap();
//! assert_eq!(json["vendor"], "zoom");
//! assert_eq!(json["seats"][0]["over_allocated"], true);
//! assert_eq!(json["activity"], serde_json::Value::Null);
//! let back: UsageReport = serde_json::from_value(json).unwrap();
//! assert_eq!(back, report);
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ProductKind;

mod seats;
mod storage;

pub use seats::Seats;
pub use storage::{Storage, StoragePart, StorageRole};

/// The vendor a report comes from. Serialized as `"zoom"`, `"huawei"` or `"webex"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Vendor {
    /// Zoom, through its Billing API (`GET /accounts/{accountId}/plans/usage`).
    Zoom,
    /// Huawei Cloud Meeting, through its enterprise resource APIs (`orgRes`,
    /// `corp/resource`, `corp/resource-list`).
    Huawei,
    /// Cisco Webex, through its licences API (`GET /licenses`).
    Webex,
}

impl Vendor {
    /// The vendor's name as it appears in JSON: `zoom`, `huawei` or `webex`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Vendor::Zoom => "zoom",
            Vendor::Huawei => "huawei",
            Vendor::Webex => "webex",
        }
    }
}

impl fmt::Display for Vendor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything one vendor account reports about what it bought and what it uses.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UsageReport {
    /// Which vendor the figures come from.
    pub vendor: Vendor,
    /// The account the figures belong to, as the caller named it (a Zoom account id or `me`,
    /// a Huawei enterprise).
    pub account: String,
    /// When the figures were collected, RFC 3339 in UTC (`2026-05-04T09:30:00Z`).
    pub collected_at: String,
    /// Licences bought and assigned, one row per product (and per plan within a product).
    #[serde(default)]
    pub seats: Vec<Seats>,
    /// Storage bought and used (cloud recording).
    #[serde(default)]
    pub storage: Vec<Storage>,
    /// The day's activity, for vendors that report it (Huawei); `null` otherwise.
    pub activity: Option<Activity>,
    /// Resources that expire soon or expired recently, for vendors that list purchases with
    /// expiry dates (Huawei); `null` when the vendor has no such list (Zoom). An empty list
    /// means the list was read and nothing is close to its expiry.
    pub expiring: Option<Vec<ExpiringResource>>,
    /// Vendor values the mapping could not place in the model, verbatim. Empty when the
    /// whole response was understood.
    #[serde(default)]
    pub unrecognized: Vec<Unrecognized>,
}

impl UsageReport {
    /// An empty report for `account` of `vendor`, collected at `collected_at` (RFC 3339).
    pub fn new(
        vendor: Vendor,
        account: impl Into<String>,
        collected_at: impl Into<String>,
    ) -> Self {
        UsageReport {
            vendor,
            account: account.into(),
            collected_at: collected_at.into(),
            seats: Vec::new(),
            storage: Vec::new(),
            activity: None,
            expiring: None,
            unrecognized: Vec::new(),
        }
    }

    /// Seat rows with more licences assigned than bought.
    pub fn over_allocated(&self) -> impl Iterator<Item = &Seats> {
        self.seats.iter().filter(|seats| seats.over_allocated())
    }

    /// The seat row with the highest utilization (assigned ÷ bought), if any row has one.
    /// Ties go to the first row.
    pub fn max_utilization(&self) -> Option<&Seats> {
        self.seats
            .iter()
            .filter_map(|seats| seats.utilization().map(|ratio| (seats, ratio)))
            .fold(
                None,
                |best: Option<(&Seats, f64)>, (seats, ratio)| match best {
                    Some((_, best_ratio)) if best_ratio.total_cmp(&ratio).is_ge() => best,
                    _ => Some((seats, ratio)),
                },
            )
            .map(|(seats, _)| seats)
    }

    /// Storage rows that use more than was bought, or report storage beyond the plan.
    pub fn over_quota(&self) -> impl Iterator<Item = &Storage> {
        self.storage.iter().filter(|storage| storage.over_quota())
    }

    /// The seat rows of one product key (several rows when the vendor lists several plans of
    /// one kind, such as two webinar sizes).
    pub fn seats_of<'a>(&'a self, product: &'a str) -> impl Iterator<Item = &'a Seats> + 'a {
        self.seats
            .iter()
            .filter(move |seats| seats.product() == product)
    }

    /// Sets every row's kind and label from the [catalogue](crate::catalogue) of the report's
    /// vendor, by product key, else by the seat's `name` (the vendor's own `name` wins as
    /// label). The facade's mappings call it; a
    /// program that builds rows itself may too.
    pub fn classify(&mut self) {
        for seats in &mut self.seats {
            seats.classify(self.vendor);
        }
        for storage in &mut self.storage {
            storage.classify(self.vendor);
        }
    }

    /// The product keys of this report's rows of kind `other`, each once: after
    /// [`classify`](Self::classify), the keys the catalogue does not know (no catalogue entry
    /// has kind `other`).
    pub fn uncatalogued(&self) -> Vec<&str> {
        let other = ProductKind::Other;
        let seats = self.seats.iter().filter(|s| s.kind() == other);
        let storage = self.storage.iter().filter(|s| s.kind() == other);
        let mut keys: Vec<&str> = seats.map(Seats::product).collect();
        keys.extend(storage.map(Storage::product));
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// Whether every vendor value was placed in the model (nothing in `unrecognized`).
    pub fn fully_recognized(&self) -> bool {
        self.unrecognized.is_empty()
    }
}

/// The day's activity of a Huawei enterprise (`GET /v1/mmc/management/orgRes`).
///
/// "Today" is the service's current day; Huawei does not name its time zone. The live figures
/// (`concurrent_participants`, `live_streams`) are also joined with what was bought into the
/// `CONF_CALL` and `LIVE` seat rows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    /// Participants in meetings right now, counted against the concurrent-participant
    /// licences (vendor key `usedAccountsCount`).
    pub concurrent_participants: Option<u64>,
    /// Live-streaming resources in use right now (vendor key `usedLiveCount`).
    pub live_streams: Option<u64>,
    /// Meetings held today (vendor key `confCount`).
    pub meetings_today: Option<u64>,
    /// Total length of today's meetings (vendor key `confLength`). Huawei does not document
    /// the unit; it is most likely minutes.
    pub meeting_minutes_today: Option<u64>,
    /// Distinct users active in meetings today (vendor key `activeAttendeeCount`).
    pub active_users_today: Option<u64>,
    /// Participants today, counted once per meeting joined (vendor key
    /// `totalAttendeeCount`).
    pub participants_today: Option<u64>,
}

/// State of a purchased Huawei resource (vendor field `status`: 0, 1, 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceStatus {
    /// In force (`0`).
    Normal,
    /// Expired (`1`).
    Expired,
    /// Disabled by an administrator or the vendor (`2`).
    Disabled,
}

impl ResourceStatus {
    /// The status for Huawei's numeric code; `None` for a code Huawei has not documented.
    pub fn from_code(code: i64) -> Option<Self> {
        match code {
            0 => Some(ResourceStatus::Normal),
            1 => Some(ResourceStatus::Expired),
            2 => Some(ResourceStatus::Disabled),
            _ => None,
        }
    }
}

/// One purchased resource close to its expiry: an entry of Huawei's resource list
/// (`GET /v1/usg/dcs/corp/resource-list`) that expires within 30 days after the collection
/// time, expired within the 30 days before it, or that Huawei marks expired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpiringResource {
    /// Resource type (`VMR`, `SOFT`, `HARD_1080P`, `RECORD`, …; vendor key `type`), the same
    /// key as the seat rows' `product`.
    pub resource_type: Option<String>,
    /// Resource id (vendor key `id`).
    pub id: Option<String>,
    /// The vendor's type id, e.g. `vmr-100` (vendor key `typeId`).
    pub type_id: Option<String>,
    /// Human-readable description of the type (vendor key `typeDesc`).
    pub description: Option<String>,
    /// Units in this entry: licences, rooms, or GB for `RECORD` (vendor key `count`).
    pub count: Option<u64>,
    /// Expiry as RFC 3339 UTC (seconds precision); `null` when absent or not representable.
    pub expires_at: Option<String>,
    /// Expiry as the vendor sent it: Unix time in milliseconds (vendor key `expireDate`).
    pub expire_date_ms: Option<i64>,
    /// Whole days from the collection time to the expiry, rounded down: negative once
    /// expired, 0 during the last day.
    pub days_until_expiry: Option<i64>,
    /// Whether the resource has expired: its expiry is past, or Huawei marks it expired.
    pub expired: bool,
    /// The resource's state, when Huawei sent a documented code.
    pub status: Option<ResourceStatus>,
    /// The state code as the vendor sent it (vendor key `status`: 0 normal, 1 expired,
    /// 2 disabled).
    pub status_code: Option<i64>,
    /// The order the resource was bought with (vendor key `orderId`).
    pub order_id: Option<String>,
}

impl ExpiringResource {
    /// Days before and after the collection time in which an expiry is listed.
    pub const WINDOW_DAYS: i64 = 30;

    /// Whether a resource expiring at `expire_ms` (Unix milliseconds, if known) is listed at
    /// `now_ms`: its expiry lies within [`WINDOW_DAYS`](Self::WINDOW_DAYS) of now, before or
    /// after, or the vendor marks it expired and its expiry is unknown or not longer ago than
    /// that. Older expiries are history; no expiry and no mark is nothing to report.
    pub(crate) fn listed(expire_ms: Option<i64>, marked_expired: bool, now_ms: i64) -> bool {
        let window = Self::WINDOW_DAYS * crate::time::MILLIS_PER_DAY;
        match expire_ms {
            Some(ms) => {
                ms >= now_ms.saturating_sub(window)
                    && (ms <= now_ms.saturating_add(window) || marked_expired)
            }
            None => marked_expired,
        }
    }
}

/// A vendor value the mapping could not place in the model, kept verbatim.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Unrecognized {
    /// JSON pointer (RFC 6901) to the value inside the vendor's response, e.g.
    /// `/plan_recording/free_storage`. For Huawei's resource list the index counts entries
    /// across all pages read.
    pub path: String,
    /// The operation (spec `operationId`) whose response held the value, e.g. `GetPlanUsage`.
    pub operation: String,
    /// The value exactly as the vendor sent it.
    pub value: serde_json::Value,
    /// Why it was not understood.
    pub reason: String,
}

impl Unrecognized {
    /// An entry for `value` at `path` in the response of `operation`.
    pub fn new(
        path: impl Into<String>,
        operation: impl Into<String>,
        value: serde_json::Value,
        reason: impl Into<String>,
    ) -> Self {
        Unrecognized {
            path: path.into(),
            operation: operation.into(),
            value,
            reason: reason.into(),
        }
    }
}

/// `base` extended by one JSON pointer segment (see [`pointer_push`]).
pub(crate) fn pointer_join(base: &str, segment: &str) -> String {
    let mut out = String::with_capacity(base.len() + segment.len() + 1);
    out.push_str(base);
    pointer_push(&mut out, segment);
    out
}

/// Appends one JSON pointer segment to `pointer`, escaped per RFC 6901 (`~` → `~0`, `/` →
/// `~1`).
pub(crate) fn pointer_push(pointer: &mut String, segment: &str) {
    pointer.push('/');
    for c in segment.chars() {
        match c {
            '~' => pointer.push_str("~0"),
            '/' => pointer.push_str("~1"),
            c => pointer.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn vendor_names() {
        assert_eq!(Vendor::Zoom.to_string(), "zoom");
        assert_eq!(Vendor::Huawei.to_string(), "huawei");
        assert_eq!(
            serde_json::to_value(Vendor::Huawei).ok(),
            Some(json!("huawei"))
        );
        assert_eq!(
            serde_json::from_value::<Vendor>(json!("zoom")).ok(),
            Some(Vendor::Zoom)
        );
    }

    #[test]
    fn seats_derived_figures() {
        let under = Seats::new("plan_webinar", None, Some(25), Some(18), Some(1));
        assert_eq!(under.available(), Some(7));
        assert_eq!(under.utilization(), Some(0.72));
        assert!(!under.over_allocated());

        let over = Seats::new("plan_zoom_iq", None, Some(18), Some(28), Some(1));
        assert_eq!(over.available(), Some(-10));
        assert!(over.over_allocated());

        let none_bought = Seats::new("x", None, Some(0), Some(0), None);
        assert_eq!(none_bought.utilization(), None);
        assert_eq!(none_bought.available(), Some(0));
        assert!(!none_bought.over_allocated());

        let unknown = Seats::new("x", None, None, Some(3), None);
        assert_eq!(unknown.available(), None);
        assert_eq!(unknown.utilization(), None);
        assert!(!unknown.over_allocated());
        assert_eq!(unknown.pending(), None);

        let huge = Seats::new("x", None, Some(u64::MAX), Some(0), None);
        assert_eq!(huge.available(), None);
        assert_eq!(huge.utilization(), Some(0.0));
    }

    #[test]
    fn seats_json_contract() {
        let seats = Seats::new(
            "plan_zoom_rooms",
            Some("zroom_monthly".into()),
            Some(20),
            Some(12),
            None,
        );
        let json = serde_json::to_value(&seats).ok();
        assert_eq!(
            json,
            Some(json!({
                "product": "plan_zoom_rooms",
                "kind": "other",
                "label": "plan_zoom_rooms",
                "plan": "zroom_monthly",
                "name": null,
                "purchased": 20,
                "used": 12,
                "pending": null,
                "available": 8,
                "utilization": 0.6,
                "over_allocated": false,
                "trial": null,
                "expired": null,
                "expiring_within_30_days": null
            }))
        );
    }

    #[test]
    fn derived_figures_are_recomputed_when_read() {
        let tampered = json!({
            "product": "p", "plan": null, "name": null, "purchased": 5, "used": 9,
            "pending": null, "available": 100, "utilization": 0.0, "over_allocated": false,
            "trial": null, "expired": null, "expiring_within_30_days": null
        });
        let seats: Seats = serde_json::from_value(tampered)
            .unwrap_or_else(|_| Seats::new("", None, None, None, None));
        assert_eq!(seats.available(), Some(-4));
        assert!(seats.over_allocated());
        assert_eq!(seats.utilization(), Some(1.8));
    }

    fn part(key: &str, role: StorageRole, bytes: Option<u64>) -> StoragePart {
        StoragePart {
            key: key.into(),
            role,
            text: None,
            bytes,
        }
    }

    #[test]
    fn storage_totals() {
        let storage = Storage::new(
            "plan_recording",
            None,
            vec![
                part("free_storage", StorageRole::Purchased, Some(2)),
                part("plan_storage", StorageRole::Purchased, Some(10)),
                part("free_storage_usage", StorageRole::Used, Some(2)),
                part("plan_storage_usage", StorageRole::Used, Some(1)),
                part("plan_storage_exceed", StorageRole::Exceeded, Some(0)),
            ],
        );
        assert_eq!(storage.purchased_bytes(), Some(12));
        assert_eq!(storage.used_bytes(), Some(3));
        assert!(!storage.over_quota());

        let unreadable = Storage::new(
            "plan_recording",
            None,
            vec![
                part("free_storage", StorageRole::Purchased, Some(2)),
                part("plan_storage", StorageRole::Purchased, None),
            ],
        );
        assert_eq!(unreadable.purchased_bytes(), None);
        assert_eq!(unreadable.used_bytes(), None);
        assert!(!unreadable.over_quota());

        let exceeded = Storage::new(
            "plan_recording",
            None,
            vec![part("plan_storage_exceed", StorageRole::Exceeded, Some(1))],
        );
        assert!(exceeded.over_quota());

        let over = Storage::new(
            "RECORD",
            None,
            vec![
                part("recordCapability/sumCount", StorageRole::Purchased, Some(5)),
                part("usedRecStorage", StorageRole::Used, Some(6)),
            ],
        );
        assert!(over.over_quota());

        let overflow = Storage::new(
            "x",
            None,
            vec![
                part("a", StorageRole::Used, Some(u64::MAX)),
                part("b", StorageRole::Used, Some(1)),
            ],
        );
        assert_eq!(overflow.used_bytes(), None);
    }

    #[test]
    fn report_accessors_and_round_trip() {
        let mut report = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
        assert_eq!(report.max_utilization(), None);
        report.seats = vec![
            Seats::new("a", None, Some(10), Some(5), None),
            Seats::new("b", None, Some(18), Some(28), None),
            Seats::new("c", None, None, Some(28), None),
            Seats::new("d", None, Some(4), Some(5), None),
        ];
        report.storage = vec![Storage::new(
            "plan_recording",
            None,
            vec![part("plan_storage_exceed", StorageRole::Exceeded, Some(1))],
        )];
        let over: Vec<&str> = report.over_allocated().map(Seats::product).collect();
        assert_eq!(over, ["b", "d"]);
        assert_eq!(report.max_utilization().map(Seats::product), Some("b"));
        assert_eq!(report.over_quota().count(), 1);
        assert_eq!(report.seats_of("c").count(), 1);
        assert!(report.fully_recognized());

        let json = serde_json::to_value(&report).unwrap_or_default();
        assert_eq!(json["expiring"], serde_json::Value::Null);
        assert_eq!(json["storage"][0]["used_bytes"], serde_json::Value::Null);
        assert_eq!(
            json["storage"][0]["excess_allowed_until"],
            serde_json::Value::Null
        );
        let back: Option<UsageReport> = serde_json::from_value(json).ok();
        assert_eq!(back.as_ref(), Some(&report));
    }

    #[test]
    fn pointer_segments_are_escaped() {
        assert_eq!(pointer_join("", "plan_recording"), "/plan_recording");
        assert_eq!(pointer_join("/a", "b/c~d"), "/a/b~1c~0d");
    }
}

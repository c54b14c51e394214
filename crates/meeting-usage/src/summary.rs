//! Totals by product kind, across vendors and accounts: how many licences of each kind an
//! organisation bought, uses and leaves idle.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::{ProductKind, UsageReport, Vendor};

/// What the figures of a [`KindTotal`] count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Licences (seat rows).
    Seats,
    /// Bytes (storage rows).
    Bytes,
}

/// One row that went into a [`KindTotal`].
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Contributor {
    /// The report's vendor.
    pub vendor: Vendor,
    /// The report's account.
    pub account: String,
    /// The row's product key.
    pub product: String,
}

/// The rows of one kind (and unit) added up over every report.
///
/// - `purchased`, `used` and `pending` are sums of the figures the rows report; a figure that
///   no row reports stays `null` (never `0`);
/// - `available` and `utilization` are computed over the rows that report both `purchased`
///   and `used` (so a row of unknown use never counts as idle): `available` is the sum of
///   their `purchased − used`, `utilization` their `used` over their `purchased`;
/// - `over_allocated` counts the rows over (seats over-allocated, storage over quota);
/// - sums saturate at the type's limit rather than wrap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KindTotal {
    /// The kind.
    pub kind: ProductKind,
    /// Licences (`seats`) or bytes (`bytes`, storage kinds).
    pub unit: Unit,
    /// Bought (storage: allowed).
    pub purchased: Option<u64>,
    /// In use.
    pub used: Option<u64>,
    /// Waiting to be assigned (seats only).
    pub pending: Option<u64>,
    /// Bought minus used, over the rows that report both; negative when over-allocated.
    pub available: Option<i64>,
    /// Used divided by bought, over the rows that report both.
    pub utilization: Option<f64>,
    /// Rows over their allowance.
    pub over_allocated: usize,
    /// The `(vendor, account, product)` of every row added, each once, sorted.
    pub products: Vec<Contributor>,
}

/// Running sums of one kind.
#[derive(Default)]
struct Sums {
    purchased: Option<u64>,
    used: Option<u64>,
    pending: Option<u64>,
    both_purchased: Option<u64>,
    both_used: Option<u64>,
    over: usize,
    products: BTreeSet<Contributor>,
}

fn add(sum: &mut Option<u64>, value: Option<u64>) {
    if let Some(value) = value {
        *sum = Some(sum.unwrap_or(0).saturating_add(value));
    }
}

impl Sums {
    fn row(&mut self, purchased: Option<u64>, used: Option<u64>, pending: Option<u64>, over: bool) {
        add(&mut self.purchased, purchased);
        add(&mut self.used, used);
        add(&mut self.pending, pending);
        if purchased.is_some() && used.is_some() {
            add(&mut self.both_purchased, purchased);
            add(&mut self.both_used, used);
        }
        self.over += usize::from(over);
    }

    fn total(self, (kind, unit): (ProductKind, Unit)) -> KindTotal {
        let both = self.both_purchased.zip(self.both_used);
        KindTotal {
            kind,
            unit,
            purchased: self.purchased,
            used: self.used,
            pending: self.pending,
            available: both.and_then(|(p, u)| i64::try_from(i128::from(p) - i128::from(u)).ok()),
            // Integer to float: only a ratio is wanted.
            utilization: both
                .filter(|(p, _)| *p > 0)
                .map(|(p, u)| u as f64 / p as f64),
            over_allocated: self.over,
            products: self.products.into_iter().collect(),
        }
    }
}

/// One [`KindTotal`] per kind (and unit) that any report has a row of, in the order of
/// [`ProductKind::ALL`].
///
/// ```
/// use meeting_usage::{ProductKind, Seats, UsageReport, Vendor, summarize};
///
/// let mut zoom = UsageReport::new(Vendor::Zoom, "me", "2026-05-04T09:30:00Z");
/// zoom.seats.push(Seats::new("plan_base", None, Some(75), Some(44), Some(3)));
/// let mut huawei = UsageReport::new(Vendor::Huawei, "corp", "2026-05-04T09:30:00Z");
/// huawei.seats.push(Seats::new("SOFT", None, Some(200), Some(158), None));
/// zoom.classify();
/// huawei.classify();
///
/// let totals = summarize(&[zoom, huawei]);
/// assert_eq!(totals[0].kind, ProductKind::Meetings);
/// assert_eq!((totals[0].purchased, totals[0].used, totals[0].available), (Some(275), Some(202), Some(73)));
/// assert_eq!(totals[0].pending, Some(3));
/// assert_eq!(totals[0].products.len(), 2);
/// ```
pub fn summarize<'a>(reports: impl IntoIterator<Item = &'a UsageReport>) -> Vec<KindTotal> {
    let mut totals = KindTotals::default();
    for report in reports {
        totals.add(report);
    }
    totals.into_totals()
}

/// [`summarize`] one report at a time, for a stream of reports.
///
/// [`KindTotals::for_fleet`] keeps the figures the same but names each vendor's product
/// once among the `products`, with account `*` (all the accounts that have it), so that what
/// it holds does not grow with the number of accounts.
///
/// ```
/// use meeting_usage::{KindTotals, Seats, UsageReport, Vendor};
/// let mut totals = KindTotals::for_fleet();
/// for account in ["a", "b", "c"] {
///     let mut report = UsageReport::new(Vendor::Zoom, account, "2026-05-04T09:30:00Z");
///     report.seats.push(Seats::new("plan_base", None, Some(10), Some(4), None));
///     report.classify();
///     totals.add(&report);
/// }
/// let meetings = &totals.into_totals()[0];
/// assert_eq!((meetings.purchased, meetings.used), (Some(30), Some(12)));
/// assert_eq!(meetings.products.len(), 1);
/// assert_eq!(meetings.products[0].account, "*");
/// ```
#[derive(Default)]
pub struct KindTotals {
    sums: BTreeMap<(ProductKind, Unit), Sums>,
    fleet: bool,
}

impl std::fmt::Debug for KindTotals {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KindTotals")
            .field("kinds", &self.sums.len())
            .field("fleet", &self.fleet)
            .finish()
    }
}

impl KindTotals {
    /// Totals whose `products` name each vendor's product once, for every account (`*`).
    pub fn for_fleet() -> KindTotals {
        KindTotals {
            sums: BTreeMap::new(),
            fleet: true,
        }
    }

    /// Adds one report's seat and storage rows.
    pub fn add(&mut self, report: &UsageReport) {
        let account = if self.fleet { "*" } else { &report.account };
        let contributor = |product: &str| Contributor {
            vendor: report.vendor,
            account: account.to_owned(),
            product: product.to_owned(),
        };
        for seats in &report.seats {
            let kind = self.sums.entry((seats.kind(), Unit::Seats)).or_default();
            kind.products.insert(contributor(seats.product()));
            kind.row(
                seats.purchased(),
                seats.used(),
                seats.pending(),
                seats.over_allocated(),
            );
        }
        for storage in &report.storage {
            let kind = self.sums.entry((storage.kind(), Unit::Bytes)).or_default();
            kind.products.insert(contributor(storage.product()));
            let (bought, used) = (storage.purchased_bytes(), storage.used_bytes());
            kind.row(bought, used, None, storage.over_quota());
        }
    }

    /// One total per kind (and unit) with a row, in the order of [`ProductKind::ALL`].
    pub fn into_totals(self) -> Vec<KindTotal> {
        self.sums
            .into_iter()
            .map(|(key, sums)| sums.total(key))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Seats, Storage, StoragePart, StorageRole};

    fn report(vendor: Vendor, account: &str, seats: Vec<Seats>) -> UsageReport {
        let mut report = UsageReport::new(vendor, account, "2026-05-04T09:30:00Z");
        report.seats = seats;
        report.classify();
        report
    }

    #[test]
    fn absent_figures_stay_absent_and_unknown_use_is_never_idle() {
        let one = report(
            Vendor::Zoom,
            "a",
            vec![
                Seats::new("plan_zoom_rooms", None, Some(20), Some(12), None),
                Seats::new("plan_room_connector", None, Some(5), None, None),
            ],
        );
        let two = report(
            Vendor::Huawei,
            "b",
            vec![Seats::new("ROOM", None, None, Some(3), None)],
        );
        let totals = summarize([&one, &two]);
        assert_eq!(totals.len(), 1);
        let rooms = &totals[0];
        assert_eq!((rooms.kind, rooms.unit), (ProductKind::Rooms, Unit::Seats));
        assert_eq!(
            (rooms.purchased, rooms.used, rooms.pending),
            (Some(25), Some(15), None)
        );
        // Only the row with both figures counts towards what is idle.
        assert_eq!(rooms.available, Some(8));
        assert_eq!(rooms.utilization, Some(0.6));
        assert_eq!(rooms.products.len(), 3);

        let unknown = report(
            Vendor::Zoom,
            "c",
            vec![Seats::new("plan_base", None, None, None, None)],
        );
        let totals = summarize([&unknown]);
        assert_eq!(
            (
                totals[0].purchased,
                totals[0].available,
                totals[0].utilization
            ),
            (None, None, None)
        );
    }

    #[test]
    fn storage_sums_bytes_and_rows_over_are_counted() {
        let part = |role, bytes| StoragePart {
            key: "k".into(),
            role,
            text: None,
            bytes: Some(bytes),
        };
        let mut zoom = report(
            Vendor::Zoom,
            "me",
            vec![
                Seats::new("plan_zoom_iq", None, Some(18), Some(28), None),
                Seats::new("plan_future", None, Some(1), Some(1), None),
            ],
        );
        zoom.storage.push(Storage::new(
            "plan_recording",
            None,
            vec![
                part(StorageRole::Purchased, 10),
                part(StorageRole::Used, 12),
            ],
        ));
        let mut huawei = report(Vendor::Huawei, "corp", Vec::new());
        huawei.storage.push(Storage::new(
            "RECORD",
            None,
            vec![part(StorageRole::Purchased, 500)],
        ));
        zoom.classify();
        huawei.classify();
        let totals = summarize([&zoom, &huawei]);
        let kinds: Vec<ProductKind> = totals.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            [
                ProductKind::Ai,
                ProductKind::RecordingStorage,
                ProductKind::Other
            ]
        );
        assert_eq!(totals[0].over_allocated, 1);
        assert_eq!(totals[0].available, Some(-10));
        let storage = &totals[1];
        assert_eq!(
            (storage.unit, storage.purchased, storage.used),
            (Unit::Bytes, Some(510), Some(12))
        );
        assert_eq!((storage.available, storage.over_allocated), (Some(-2), 1));
        assert_eq!(totals[2].products[0].product, "plan_future");
    }
}

//! One row of storage: [`Storage`] and its parts, with the figures derived from what the
//! vendor reported.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::Vendor;
use crate::{ProductKind, catalogue};

/// What a storage figure stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StorageRole {
    /// An allowance: storage bought, or included for free.
    Purchased,
    /// Storage in use.
    Used,
    /// Storage used beyond the allowance.
    Exceeded,
}

/// One vendor storage figure, as sent and in bytes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoragePart {
    /// The vendor's key, e.g. Zoom's `free_storage` or Huawei's `usedRecStorage`.
    pub key: String,
    /// What the figure counts.
    pub role: StorageRole,
    /// The vendor's value verbatim when it was text (Zoom's `"2 GB"`, a quoted Huawei number);
    /// `null` when it was a JSON number.
    pub text: Option<String>,
    /// The value in bytes; `null` when it could not be read (then it is also listed in
    /// [`UsageReport::unrecognized`](super::UsageReport::unrecognized)) or was reported empty.
    pub bytes: Option<u64>,
}

/// Storage of one product: allowances and usage, with the figures they were summed from.
///
/// The totals are computed from [`parts`](Storage::parts) when the row is built:
///
/// - `purchased_bytes` = the sum of the `purchased` parts (Zoom: plan storage + free
///   storage);
/// - `used_bytes` = the sum of the `used` parts (Zoom: plan storage used + free storage used);
/// - a total is `null` when it has no parts, or when any of its parts has no byte value: a
///   partial sum would understate it;
/// - `over_quota` = `used_bytes` > `purchased_bytes`, or any `exceeded` part above zero.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "StorageRecord")]
pub struct Storage {
    product: String,
    kind: ProductKind,
    label: Cow<'static, str>,
    plan: Option<String>,
    used_bytes: Option<u64>,
    purchased_bytes: Option<u64>,
    parts: Vec<StoragePart>,
    over_quota: bool,
    excess_allowed_until: Option<String>,
}

/// The stored fields of [`Storage`]: its JSON minus the derived totals.
#[derive(Deserialize)]
struct StorageRecord {
    product: String,
    #[serde(default)]
    kind: ProductKind,
    label: Option<String>,
    plan: Option<String>,
    #[serde(default)]
    parts: Vec<StoragePart>,
    excess_allowed_until: Option<String>,
}

impl From<StorageRecord> for Storage {
    fn from(record: StorageRecord) -> Self {
        Storage::new(record.product, record.plan, record.parts)
            .with_excess_allowed_until(record.excess_allowed_until)
            .with_kind(record.kind, record.label)
    }
}

impl Storage {
    /// Sets the kind and label from `vendor`'s storage catalogue, by product key. See
    /// [`UsageReport::classify`](super::UsageReport::classify).
    pub(super) fn classify(&mut self, vendor: Vendor) {
        let entry = catalogue::lookup_storage(vendor, &self.product);
        (self.kind, self.label) = catalogue::classify(entry, &self.product, None);
    }

    /// A storage row for `product` (Zoom's `plan_recording`, Huawei's `RECORD`) on the
    /// vendor's `plan` code, from its parts. The totals and `over_quota` are computed here.
    pub fn new(product: impl Into<String>, plan: Option<String>, parts: Vec<StoragePart>) -> Self {
        let total = |role: StorageRole| -> Option<u64> {
            let mut of_role = parts.iter().filter(|part| part.role == role).peekable();
            of_role.peek()?;
            of_role.try_fold(0u64, |sum, part| sum.checked_add(part.bytes?))
        };
        let purchased_bytes = total(StorageRole::Purchased);
        let used_bytes = total(StorageRole::Used);
        let exceeded = parts
            .iter()
            .any(|part| part.role == StorageRole::Exceeded && part.bytes.is_some_and(|b| b > 0));
        let over_quota = exceeded
            || matches!((used_bytes, purchased_bytes), (Some(used), Some(bought)) if used > bought);
        let product = product.into();
        Storage {
            label: Cow::Owned(product.clone()),
            kind: ProductKind::Other,
            product,
            plan,
            used_bytes,
            purchased_bytes,
            parts,
            over_quota,
            excess_allowed_until: None,
        }
    }

    /// The same row with its kind and label (the label stays the product key when `None`).
    pub fn with_kind(mut self, kind: ProductKind, label: Option<String>) -> Self {
        self.kind = kind;
        if let Some(label) = label {
            self.label = Cow::Owned(label);
        }
        self
    }

    /// What the storage is for (`recording_storage` for both vendors' recordings).
    pub fn kind(&self) -> ProductKind {
        self.kind
    }

    /// The storage's name for people (the catalogue's label, else the product key).
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The same row with the last day the vendor tolerates storage beyond the allowance.
    pub fn with_excess_allowed_until(mut self, date: Option<String>) -> Self {
        self.excess_allowed_until = date;
        self
    }

    /// Stable product key: Zoom's `plan_recording`, Huawei's `RECORD`.
    pub fn product(&self) -> &str {
        &self.product
    }

    /// The vendor's storage plan code, if reported (Zoom's `type`).
    pub fn plan(&self) -> Option<&str> {
        self.plan.as_deref()
    }

    /// Bytes in use, summed over the `used` parts.
    pub fn used_bytes(&self) -> Option<u64> {
        self.used_bytes
    }

    /// Bytes allowed, summed over the `purchased` parts.
    pub fn purchased_bytes(&self) -> Option<u64> {
        self.purchased_bytes
    }

    /// The vendor figures the totals were computed from, in the mapping's fixed order.
    pub fn parts(&self) -> &[StoragePart] {
        &self.parts
    }

    /// Whether more is used than allowed, or the vendor reports storage beyond the plan.
    pub fn over_quota(&self) -> bool {
        self.over_quota
    }

    /// Zoom's `max_exceed_date`: the last day (`yyyy-mm-dd`, as Zoom wrote it) storage beyond
    /// the allowance is tolerated. `null` when not reported.
    pub fn excess_allowed_until(&self) -> Option<&str> {
        self.excess_allowed_until.as_deref()
    }
}

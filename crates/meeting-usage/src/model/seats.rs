//! One row of licences: [`Seats`], with the figures derived from what the vendor reported.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use super::Vendor;
use crate::{ProductKind, catalogue};

/// Licences of one product (or one plan of a product): bought, assigned and waiting.
///
/// The derived figures are computed when the row is built and cannot be set directly:
///
/// - `available` = `purchased` − `used`, negative when more are assigned than bought; `null`
///   when either is unknown (or the difference does not fit in 64 bits);
/// - `utilization` = `used` ÷ `purchased` (1.0 = fully used, above 1.0 = over-allocated);
///   `null` when either is unknown or nothing was bought;
/// - `over_allocated` = `used` > `purchased`; `false` when either is unknown.
///
/// Vendor figures that are absent stay `null`, never `0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "SeatsRecord")]
pub struct Seats {
    product: String,
    kind: ProductKind,
    label: Cow<'static, str>,
    plan: Option<String>,
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    site: Option<String>,
    purchased: Option<u64>,
    used: Option<u64>,
    pending: Option<u64>,
    available: Option<i64>,
    utilization: Option<f64>,
    over_allocated: bool,
    trial: Option<u64>,
    expired: Option<u64>,
    expiring_within_30_days: Option<u64>,
}

/// The stored fields of [`Seats`]: its JSON minus the derived figures, which are recomputed.
#[derive(Deserialize)]
struct SeatsRecord {
    product: String,
    #[serde(default)]
    kind: ProductKind,
    label: Option<String>,
    plan: Option<String>,
    name: Option<String>,
    #[serde(default)]
    site: Option<String>,
    purchased: Option<u64>,
    used: Option<u64>,
    pending: Option<u64>,
    trial: Option<u64>,
    expired: Option<u64>,
    expiring_within_30_days: Option<u64>,
}

impl From<SeatsRecord> for Seats {
    fn from(record: SeatsRecord) -> Self {
        Seats::new(
            record.product,
            record.plan,
            record.purchased,
            record.used,
            record.pending,
        )
        .with_name(record.name)
        .with_site(record.site)
        .with_kind(record.kind, record.label)
        .with_trial(record.trial)
        .with_expired(record.expired)
        .with_expiring_within_30_days(record.expiring_within_30_days)
    }
}

impl Seats {
    /// Sets the kind and label from `vendor`'s catalogue: by product key, else by the
    /// vendor's `name` (which wins as label). See [`UsageReport::classify`](super::UsageReport::classify).
    pub(super) fn classify(&mut self, vendor: Vendor) {
        let named = || catalogue::lookup(vendor, self.name.as_deref()?);
        let entry = catalogue::lookup(vendor, &self.product).or_else(named);
        (self.kind, self.label) = catalogue::classify(entry, &self.product, self.name.as_deref());
    }

    /// A seat row for `product` (the stable product key, e.g. `plan_webinar` or `VMR`) and
    /// the vendor's `plan` code, with licences `purchased`, `used` (assigned) and `pending`
    /// (waiting for assignment). The derived figures are computed here.
    pub fn new(
        product: impl Into<String>,
        plan: Option<String>,
        purchased: Option<u64>,
        used: Option<u64>,
        pending: Option<u64>,
    ) -> Self {
        let available = match (purchased, used) {
            (Some(purchased), Some(used)) => {
                i64::try_from(i128::from(purchased) - i128::from(used)).ok()
            }
            _ => None,
        };
        let utilization = match (purchased, used) {
            // Integer to float: exact below 2^53, and only a ratio is wanted.
            (Some(purchased), Some(used)) if purchased > 0 => Some(used as f64 / purchased as f64),
            _ => None,
        };
        let over_allocated =
            matches!((purchased, used), (Some(purchased), Some(used)) if used > purchased);
        let product = product.into();
        Seats {
            label: Cow::Owned(product.clone()),
            kind: ProductKind::Other,
            product,
            plan,
            name: None,
            site: None,
            purchased,
            used,
            pending,
            available,
            utilization,
            over_allocated,
            trial: None,
            expired: None,
            expiring_within_30_days: None,
        }
    }

    /// The same row with the product's display name (Zoom's `name`, Huawei's package name).
    pub fn with_name(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }

    /// The same row with the site it belongs to (Webex's meetings site, e.g. `acme.webex.com`).
    pub fn with_site(mut self, site: Option<String>) -> Self {
        self.site = site;
        self
    }

    /// The same row with its kind and label (the label stays the product key when `None`).
    /// The facade's mappings set both from the [catalogue].
    pub fn with_kind(mut self, kind: ProductKind, label: Option<String>) -> Self {
        self.kind = kind;
        if let Some(label) = label {
            self.label = Cow::Owned(label);
        }
        self
    }

    /// The same row with the number of licences granted as a free trial.
    pub fn with_trial(mut self, trial: Option<u64>) -> Self {
        self.trial = trial;
        self
    }

    /// The same row with the number of licences that have expired.
    pub fn with_expired(mut self, expired: Option<u64>) -> Self {
        self.expired = expired;
        self
    }

    /// The same row with the number of licences that expire within 30 days.
    pub fn with_expiring_within_30_days(mut self, expiring: Option<u64>) -> Self {
        self.expiring_within_30_days = expiring;
        self
    }

    /// Stable product key: Zoom's `plan_*` key, dotted under its parent for nested groups
    /// (`plan_znode.plan_zphybrid`); Huawei's resource type (`SOFT`, `VMR`, `CONF_CALL`, …).
    pub fn product(&self) -> &str {
        &self.product
    }

    /// What the product is, across vendors (`other` when the catalogue does not know it).
    pub fn kind(&self) -> ProductKind {
        self.kind
    }

    /// The product's name for people: the vendor's `name` where it sent one, else the
    /// catalogue's label, else the product key.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The vendor's plan code (`webinar500_monthly`) or package id, if reported.
    pub fn plan(&self) -> Option<&str> {
        self.plan.as_deref()
    }

    /// The site the licences belong to (Webex meetings licences), if the vendor names one.
    pub fn site(&self) -> Option<&str> {
        self.site.as_deref()
    }

    /// Display name of the plan or package, if the vendor gives one.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Licences bought.
    pub fn purchased(&self) -> Option<u64> {
        self.purchased
    }

    /// Licences assigned or in use.
    pub fn used(&self) -> Option<u64> {
        self.used
    }

    /// Licences waiting to be assigned (Zoom's `pending`).
    pub fn pending(&self) -> Option<u64> {
        self.pending
    }

    /// Bought minus used; negative when over-allocated.
    pub fn available(&self) -> Option<i64> {
        self.available
    }

    /// Used divided by bought.
    pub fn utilization(&self) -> Option<f64> {
        self.utilization
    }

    /// Whether more are used than were bought.
    pub fn over_allocated(&self) -> bool {
        self.over_allocated
    }

    /// Licences granted as a free trial (Huawei's `trialCount`).
    pub fn trial(&self) -> Option<u64> {
        self.trial
    }

    /// Licences that have expired (Huawei's `expiredCount`).
    pub fn expired(&self) -> Option<u64> {
        self.expired
    }

    /// Licences expiring within 30 days (Huawei's `expiringCount`).
    pub fn expiring_within_30_days(&self) -> Option<u64> {
        self.expiring_within_30_days
    }
}

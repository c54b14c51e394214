//! The product catalogue: each vendor product key with its [`ProductKind`] and a label for
//! people. The data is `catalogue/zoom.json`, `catalogue/huawei.json` and
//! `catalogue/webex.json` in this crate, compiled in; no code here names a product key.
//!
//! A key is looked up exactly; a dotted key of a nested Zoom group (`plan_phone.plan_calling`)
//! without an entry of its own takes its group's kind (`plan_phone`: phone), and a storage row
//! its last segment's (`plan_zcc.plan_recording`: recording storage). A key the catalogue
//! does not know becomes kind [`ProductKind::Other`] with the key as its label.
//!
//! ```
//! use meeting_usage::{ProductKind, Vendor, catalogue};
//! let base = catalogue::lookup(Vendor::Zoom, "plan_base").unwrap();
//! assert_eq!((base.kind, base.label.as_str()), (ProductKind::Meetings, "Meetings"));
//! assert_eq!(catalogue::lookup(Vendor::Zoom, "plan_phone.plan_calling").unwrap().kind, ProductKind::Phone);
//! assert!(catalogue::lookup(Vendor::Huawei, "HOLOGRAM").is_none());
//! ```

use std::borrow::Cow;
use std::sync::LazyLock;

use serde::Deserialize;

use crate::{ProductKind, Vendor};

/// One catalogued product.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Product {
    /// The vendor's product key, as in [`Seats::product`](crate::Seats::product).
    pub key: String,
    /// What the product is.
    pub kind: ProductKind,
    /// The product's name for people.
    pub label: String,
    /// Why the kind was chosen, where it is not obvious.
    #[serde(default)]
    pub why: Option<String>,
    /// Huawei: the `ShowCorpResource` counter of this resource type (`teSoftCount`).
    #[serde(default)]
    pub field: Option<String>,
    /// Huawei: the `ShowOrgRes` figure that counts the type's use, where its counter has no
    /// `usedCount` (`usedAccountsCount`).
    #[serde(default)]
    pub used_from: Option<String>,
}

#[derive(Deserialize)]
struct File {
    products: Vec<Product>,
}

fn load(json: &str) -> Vec<Product> {
    // The files are compiled in and checked by this module's tests, so this cannot fail in a
    // released build; an empty catalogue (every product `other`) is the safe fallback.
    serde_json::from_str::<File>(json).map_or_else(|_| Vec::new(), |file| file.products)
}

static ZOOM: LazyLock<Vec<Product>> =
    LazyLock::new(|| load(include_str!("../catalogue/zoom.json")));
static HUAWEI: LazyLock<Vec<Product>> =
    LazyLock::new(|| load(include_str!("../catalogue/huawei.json")));
static WEBEX: LazyLock<Vec<Product>> =
    LazyLock::new(|| load(include_str!("../catalogue/webex.json")));

/// Every catalogued product of `vendor`, in the file's order.
pub fn products(vendor: Vendor) -> &'static [Product] {
    match vendor {
        Vendor::Zoom => &ZOOM,
        Vendor::Huawei => &HUAWEI,
        Vendor::Webex => &WEBEX,
    }
}

fn exact(vendor: Vendor, key: &str) -> Option<&'static Product> {
    products(vendor).iter().find(|product| product.key == key)
}

/// The catalogue entry of a seat row's product key: exact, else its group's (the part before
/// the first `.`).
pub fn lookup(vendor: Vendor, key: &str) -> Option<&'static Product> {
    exact(vendor, key).or_else(|| exact(vendor, key.split_once('.')?.0))
}

/// The catalogue entry of a storage row's product key: exact, else its last segment's.
pub fn lookup_storage(vendor: Vendor, key: &str) -> Option<&'static Product> {
    exact(vendor, key).or_else(|| exact(vendor, key.rsplit_once('.')?.1))
}

/// The kind and label of a row: the catalogue's kind (or `other`), and the vendor's own
/// `name` where it sent one, else the catalogue's label, else the key.
pub(crate) fn classify(
    product: Option<&'static Product>,
    key: &str,
    name: Option<&str>,
) -> (ProductKind, Cow<'static, str>) {
    let kind = product.map_or(ProductKind::Other, |product| product.kind);
    let label = match (name, product) {
        (Some(name), _) if !name.trim().is_empty() => Cow::Owned(name.to_owned()),
        (_, Some(product)) => Cow::Borrowed(product.label.as_str()),
        _ => Cow::Owned(key.to_owned()),
    };
    (kind, label)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn spec(path: &str) -> Value {
        let text = std::fs::read_to_string(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR")))
            .expect("the spec is readable");
        spec_core::yaml::parse(&text)
            .expect("the spec parses")
            .value
    }

    #[test]
    fn the_files_parse_and_keys_are_unique() {
        for (vendor, json) in [
            (Vendor::Zoom, include_str!("../catalogue/zoom.json")),
            (Vendor::Huawei, include_str!("../catalogue/huawei.json")),
            (Vendor::Webex, include_str!("../catalogue/webex.json")),
        ] {
            let file: File = serde_json::from_str(json).expect("the catalogue parses");
            assert_eq!(file.products, products(vendor));
            let mut keys: Vec<&str> = file.products.iter().map(|p| p.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(
                keys.len(),
                file.products.len(),
                "{vendor}: a key is listed twice"
            );
            assert!(
                file.products
                    .iter()
                    .all(|p| p.kind != ProductKind::Other && !p.label.is_empty())
            );
        }
    }

    #[test]
    fn every_zoom_plan_key_of_the_spec_is_catalogued() {
        let spec = spec("spec/zoom/billing-plans.yaml");
        let keys = spec["components"]["schemas"]["PlanUsageReport"]["properties"]
            .as_object()
            .expect("PlanUsageReport has properties");
        assert!(keys.len() > 20);
        let missing: Vec<&String> = keys
            .keys()
            .filter(|key| exact(Vendor::Zoom, key).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "the catalogue lacks Zoom keys {missing:?}"
        );
        // And it lists nothing the spec never mentions.
        let text = spec.to_string();
        for product in products(Vendor::Zoom) {
            assert!(
                text.contains(&product.key),
                "{} is not in the spec",
                product.key
            );
        }
    }

    #[test]
    fn every_huawei_resource_type_of_the_spec_is_catalogued() {
        let spec = spec("spec/huawei/meeting.yaml");
        let schemas = &spec["components"]["schemas"];
        let mut types: Vec<String> = schemas["ResourceTypeFilter"]["enum"]
            .as_array()
            .expect("ResourceTypeFilter is an enum")
            .iter()
            .filter_map(|value| value.as_str().map(str::to_owned))
            .collect();
        // The resource list's `type` names the documented types in backticks.
        let described = schemas["CorpResourceItem"]["properties"]["type"]["description"]
            .as_str()
            .expect("CorpResourceItem.type is described");
        types.extend(described.split('`').skip(1).step_by(2).map(str::to_owned));
        assert!(types.len() >= 11, "{types:?}");
        let missing: Vec<&String> = types
            .iter()
            .filter(|t| exact(Vendor::Huawei, t).is_none())
            .collect();
        assert!(
            missing.is_empty(),
            "the catalogue lacks Huawei types {missing:?}"
        );
        // Each counter named by the catalogue is a documented corp/resource field.
        let counters = &schemas["CorpResources"]["properties"];
        let usage = &schemas["OrgResourceUsage"]["properties"];
        for product in products(Vendor::Huawei) {
            if let Some(field) = &product.field {
                assert!(
                    counters.get(field).is_some(),
                    "{field} is not a corp/resource field"
                );
            }
            if let Some(field) = &product.used_from {
                assert!(usage.get(field).is_some(), "{field} is not an orgRes field");
            }
        }
    }

    #[test]
    fn groups_and_unknown_keys() {
        assert_eq!(
            lookup(Vendor::Zoom, "plan_znode.plan_zphybrid").map(|p| p.kind),
            Some(ProductKind::Hybrid)
        );
        assert_eq!(
            lookup(Vendor::Zoom, "plan_zcc.plan_usage").map(|p| p.kind),
            Some(ProductKind::ContactCenter)
        );
        assert_eq!(
            lookup_storage(Vendor::Zoom, "plan_zcc.plan_recording").map(|p| p.kind),
            Some(ProductKind::RecordingStorage)
        );
        assert_eq!(lookup(Vendor::Zoom, "plan_future"), None);
        assert_eq!(
            classify(None, "plan_future", None),
            (ProductKind::Other, "plan_future".into())
        );
        let base = lookup(Vendor::Zoom, "plan_base");
        assert_eq!(classify(base, "plan_base", Some("Pro")).1, "Pro");
        assert_eq!(classify(base, "plan_base", Some(" ")).1, "Meetings");
    }
}

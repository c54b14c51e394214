//! Values a vendor sends either as one object or as an array of them.

use serde::{Deserialize, Serialize};

/// One entry or a list of them.
///
/// Zoom documents some plan keys as arrays (`plan_room_connector`, `plan_zwr`, and at times
/// `plan_base` and `plan_zoom_rooms`, in the usage report; `plan_bundle` in subscription
/// results) but has been seen returning a single object for them, and sends
/// `plan_zcc.plan_usage` as an object in one response and an array in another. The spec models those keys as "object or array" (`*OneOrMany` schemas) and the
/// generated code uses this type, so both forms decode, iterate the same way, and re-encode in
/// the form they arrived in.
///
/// ```
/// use serde::Deserialize;
/// use vendor_types::OneOrMany;
///
/// #[derive(Deserialize)]
/// struct Plan {
///     hosts: i64,
/// }
///
/// let one: OneOrMany<Plan> = serde_json::from_str(r#"{"hosts": 5}"#).unwrap();
/// let many: OneOrMany<Plan> = serde_json::from_str(r#"[{"hosts": 2}, {"hosts": 3}]"#).unwrap();
/// assert_eq!(one.iter().map(|p| p.hosts).sum::<i64>(), 5);
/// assert_eq!(many.iter().map(|p| p.hosts).sum::<i64>(), 5);
/// assert!(serde_json::from_str::<OneOrMany<Plan>>("7").is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged, expecting = "a plan object or an array of plan objects")]
pub enum OneOrMany<T> {
    /// A single object.
    One(T),
    /// An array of objects.
    Many(Vec<T>),
}

impl<T> OneOrMany<T> {
    /// The entries, whichever form they arrived in.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        match self {
            OneOrMany::One(one) => std::slice::from_ref(one).iter(),
            OneOrMany::Many(many) => many.iter(),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        match self {
            OneOrMany::One(_) => 1,
            OneOrMany::Many(many) => many.len(),
        }
    }

    /// Whether there are no entries (only possible for an empty array).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> IntoIterator for OneOrMany<T> {
    type Item = T;
    type IntoIter = std::vec::IntoIter<T>;
    fn into_iter(self) -> Self::IntoIter {
        match self {
            OneOrMany::One(one) => vec![one].into_iter(),
            OneOrMany::Many(many) => many.into_iter(),
        }
    }
}

impl<T> From<T> for OneOrMany<T> {
    fn from(value: T) -> Self {
        OneOrMany::One(value)
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(value: Vec<T>) -> Self {
        OneOrMany::Many(value)
    }
}

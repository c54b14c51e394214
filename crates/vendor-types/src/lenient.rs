//! Numbers that Huawei sends either as JSON numbers or as numeric strings.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A number that arrived as a JSON number (`57`) or as a numeric string (`"57"`).
///
/// Huawei's documentation and SDKs use JSON numbers, while its API Explorer samples quote every
/// value; the spec types such fields as `Int32OrString`, `Int64OrString` or `DoubleOrString`
/// and the generated code uses this type for them. Decoding accepts both forms and rejects
/// anything else (a non-numeric string, or a number outside `T`'s range) with a clear error.
/// Encoding writes the value back in the form it arrived in: a quoted value as the exact text
/// received, a JSON number as `T` writes it. The JSON value is therefore the same, with one
/// inherent exception: an integer in a `Lenient<f64>` field (`57`) comes back as `57.0`, equal
/// as a number but not as text.
///
/// ```
/// use vendor_types::Lenient;
///
/// let n: Lenient<i64> = serde_json::from_str("\"45\"").unwrap();
/// assert_eq!(n.get(), 45);
/// assert_eq!(serde_json::to_string(&n).unwrap(), "\"45\"");
///
/// let x: Lenient<f64> = serde_json::from_str("39.59").unwrap();
/// assert_eq!(x.get(), 39.59);
/// let whole: Lenient<f64> = serde_json::from_str("57").unwrap();
/// assert_eq!(serde_json::to_string(&whole).unwrap(), "57.0");
///
/// assert!(serde_json::from_str::<Lenient<i32>>("\"many\"").is_err());
/// assert!(serde_json::from_str::<Lenient<i32>>("4294967296").is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Lenient<T> {
    value: T,
    /// The original text when the value arrived as a string.
    quoted: Option<String>,
}

impl<T: Copy> Lenient<T> {
    /// The numeric value.
    pub fn get(&self) -> T {
        self.value
    }
}

impl<T> Lenient<T> {
    /// A value that encodes as a JSON number.
    pub fn new(value: T) -> Self {
        Lenient {
            value,
            quoted: None,
        }
    }

    /// Whether the value arrived as a quoted string.
    pub fn was_quoted(&self) -> bool {
        self.quoted.is_some()
    }
}

impl<T> From<T> for Lenient<T> {
    fn from(value: T) -> Self {
        Lenient::new(value)
    }
}

impl<T: fmt::Display> fmt::Display for Lenient<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.value.fmt(f)
    }
}

impl<T: Serialize> Serialize for Lenient<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.quoted {
            Some(text) => serializer.serialize_str(text),
            None => self.value.serialize(serializer),
        }
    }
}

/// The numeric types a [`Lenient`] can hold.
pub trait LenientNumber: Sized {
    /// Name used in error messages.
    const NAME: &'static str;
    /// Converts a JSON integer, if it fits.
    fn from_i64(value: i64) -> Option<Self>;
    /// Converts a large positive JSON integer, if it fits.
    fn from_u64(value: u64) -> Option<Self>;
    /// Converts a JSON decimal, if this type accepts decimals.
    fn from_f64(value: f64) -> Option<Self>;
    /// Parses the text of a quoted number (already trimmed).
    fn parse(text: &str) -> Option<Self>;
}

impl LenientNumber for i32 {
    const NAME: &'static str = "a 32-bit integer";
    fn from_i64(value: i64) -> Option<Self> {
        i32::try_from(value).ok()
    }
    fn from_u64(value: u64) -> Option<Self> {
        i32::try_from(value).ok()
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
    fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl LenientNumber for i64 {
    const NAME: &'static str = "a 64-bit integer";
    fn from_i64(value: i64) -> Option<Self> {
        Some(value)
    }
    fn from_u64(value: u64) -> Option<Self> {
        i64::try_from(value).ok()
    }
    fn from_f64(_: f64) -> Option<Self> {
        None
    }
    fn parse(text: &str) -> Option<Self> {
        text.parse().ok()
    }
}

impl LenientNumber for f64 {
    const NAME: &'static str = "a number";
    fn from_i64(value: i64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_u64(value: u64) -> Option<Self> {
        Some(value as f64)
    }
    fn from_f64(value: f64) -> Option<Self> {
        Some(value)
    }
    fn parse(text: &str) -> Option<Self> {
        // Rust also parses "NaN" and "inf", which are not numbers on the wire.
        text.parse::<f64>().ok().filter(|v| v.is_finite())
    }
}

impl<'de, T: LenientNumber> Deserialize<'de> for Lenient<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LenientVisitor<T>(PhantomData<T>);

        impl<T: LenientNumber> LenientVisitor<T> {
            fn out_of_range<E: de::Error>(value: impl fmt::Display) -> E {
                E::custom(format_args!("{value} is not {}", T::NAME))
            }
        }

        impl<T: LenientNumber> Visitor<'_> for LenientVisitor<T> {
            type Value = Lenient<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{} as a JSON number or a numeric string", T::NAME)
            }

            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                T::from_i64(v)
                    .map(Lenient::new)
                    .ok_or_else(|| Self::out_of_range(v))
            }

            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::from_u64(v)
                    .map(Lenient::new)
                    .ok_or_else(|| Self::out_of_range(v))
            }

            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                T::from_f64(v)
                    .map(Lenient::new)
                    .ok_or_else(|| Self::out_of_range(v))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                let value = T::parse(v.trim())
                    .ok_or_else(|| E::custom(format_args!("\"{v}\" is not {}", T::NAME)))?;
                Ok(Lenient {
                    value,
                    quoted: Some(v.to_owned()),
                })
            }
        }

        deserializer.deserialize_any(LenientVisitor(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::Lenient;

    #[test]
    fn numbers_and_strings_round_trip() {
        for json in ["57", "\"57\"", "\" 57\"", "-3"] {
            let value: Lenient<i64> = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
        }
        let value: Lenient<f64> = serde_json::from_str("\"0.0\"").unwrap();
        assert_eq!(value.get(), 0.0);
        assert_eq!(serde_json::to_string(&value).unwrap(), "\"0.0\"");
    }

    #[test]
    fn rejects_what_is_not_a_number_of_the_type() {
        let err = serde_json::from_str::<Lenient<i32>>("2.5").unwrap_err();
        assert!(err.to_string().contains("not a 32-bit integer"), "{err}");
        let err = serde_json::from_str::<Lenient<i64>>("\"12abc\"").unwrap_err();
        assert!(
            err.to_string()
                .contains("\"12abc\" is not a 64-bit integer"),
            "{err}"
        );
        let err = serde_json::from_str::<Lenient<f64>>("true").unwrap_err();
        assert!(err.to_string().contains("numeric string"), "{err}");
        assert!(serde_json::from_str::<Lenient<f64>>("\"NaN\"").is_err());
        assert!(serde_json::from_str::<Lenient<f64>>("\"inf\"").is_err());
    }
}

//! Property tests for [`vendor_types::Lenient`] (`i32`, `i64`, `f64`) decoding JSON it did
//! not choose.
//!
//! Any JSON value, and any text given to `serde_json`, must decode or fail without a panic, and
//! agree with a plain model of the rules: a JSON number or a string holding a number (after
//! trimming) decodes when the number fits the type, and everything else is an error, never a
//! quiet zero. What decodes is written back in the form it arrived in: a string as the same
//! string, a number as a number of the same value.
//!
//! The number of cases per property is proptest's default (256), or `PROPTEST_CASES` when set;
//! see the README for the long run.

use std::fmt::Debug;

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Number, Value};
use vendor_types::{Lenient, LenientNumber};

/// Reads `PROPTEST_CASES` (through proptest's own default), so the long run needs no edit.
fn config() -> ProptestConfig {
    ProptestConfig::default()
}

#[test]
fn config_honours_proptest_cases() {
    let wanted = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok());
    assert_eq!(config().cases, wanted.unwrap_or(256));
}

/// The three number types the generated clients use, with the model of what each accepts.
trait Model: LenientNumber + Copy + Debug + PartialEq + Serialize + DeserializeOwned {
    /// What a JSON number should decode to.
    fn from_number(n: &Number) -> Option<Self>;
    /// What a quoted number should decode to.
    fn from_text(text: &str) -> Option<Self>;
    /// Whether two decoded values are the same number.
    fn same(a: Self, b: Self) -> bool {
        a == b
    }
}

impl Model for i32 {
    fn from_number(n: &Number) -> Option<Self> {
        match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i32::try_from(i).ok(),
            (None, Some(u)) => i32::try_from(u).ok(),
            (None, None) => None,
        }
    }
    fn from_text(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
}

impl Model for i64 {
    fn from_number(n: &Number) -> Option<Self> {
        match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => Some(i),
            (None, Some(u)) => i64::try_from(u).ok(),
            (None, None) => None,
        }
    }
    fn from_text(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
}

impl Model for f64 {
    fn from_number(n: &Number) -> Option<Self> {
        n.as_f64()
    }
    fn from_text(text: &str) -> Option<Self> {
        text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
    }
    fn same(a: Self, b: Self) -> bool {
        a.to_bits() == b.to_bits()
    }
}

/// What a JSON value should decode to under the model.
fn expected<T: Model>(value: &Value) -> Option<T> {
    match value {
        Value::Number(n) => T::from_number(n),
        Value::String(s) => T::from_text(s),
        _ => None,
    }
}

/// Decodes `value` both from the value and from its text, and checks both against the model and
/// the re-encoding.
fn check_value<T: Model>(value: &Value) -> Result<(), TestCaseError> {
    let text = serde_json::to_string(value).expect("a JSON value encodes");
    // serde_json may read a decimal back a few units in the last place off (see
    // `finite_floats_decode`): the text is held to what serde_json reads from it.
    let reread: Value = serde_json::from_str(&text).expect("its own text decodes");
    let from_value = serde_json::from_value::<Lenient<T>>(value.clone());
    let from_text = serde_json::from_str::<Lenient<T>>(&text);
    for (decoded, value) in [(from_value, value), (from_text, &reread)] {
        match (decoded, expected::<T>(value)) {
            (Ok(lenient), Some(want)) => {
                prop_assert!(T::same(lenient.get(), want), "{} gave {:?}", text, lenient);
                check_round_trip(value, &lenient)?;
            }
            (Err(err), None) => prop_assert!(!err.to_string().is_empty()),
            (Ok(lenient), None) => {
                return Err(TestCaseError::fail(format!(
                    "{text} decoded to {lenient:?}"
                )));
            }
            (Err(err), Some(want)) => {
                return Err(TestCaseError::fail(format!(
                    "{text} failed ({err}), expected {want:?}"
                )));
            }
        }
    }
    Ok(())
}

/// A decoded value encodes in the form it arrived in and decodes again to the same.
fn check_round_trip<T: Model>(arrived: &Value, lenient: &Lenient<T>) -> Result<(), TestCaseError> {
    let encoded = serde_json::to_value(lenient).expect("a lenient number encodes");
    prop_assert_eq!(lenient.was_quoted(), arrived.is_string());
    match arrived {
        // The exact text received, whatever whitespace or sign it had.
        Value::String(_) => prop_assert_eq!(&encoded, arrived),
        // A number of the same value (an integer in an `f64` field comes back as `57.0`).
        _ => {
            prop_assert!(encoded.is_number(), "{encoded}");
            prop_assert_eq!(encoded.as_f64(), arrived.as_f64());
        }
    }
    let again: Lenient<T> = serde_json::from_value(encoded).expect("its own encoding decodes");
    prop_assert!(T::same(again.get(), lenient.get()));
    prop_assert_eq!(again.was_quoted(), lenient.was_quoted());
    Ok(())
}

/// Decodes arbitrary text: must not panic, and must agree with decoding the same text as a
/// plain JSON value first.
fn check_text<T: Model>(text: &str) -> Result<(), TestCaseError> {
    let decoded = serde_json::from_str::<Lenient<T>>(text);
    match serde_json::from_str::<Value>(text) {
        Ok(value) => {
            let want = expected::<T>(&value);
            prop_assert_eq!(decoded.is_ok(), want.is_some(), "{:?}", text);
            if let (Ok(lenient), Some(want)) = (decoded, want) {
                prop_assert!(T::same(lenient.get(), want));
                check_round_trip(&value, &lenient)?;
            }
        }
        Err(_) => prop_assert!(decoded.is_err(), "{:?} is not JSON", text),
    }
    Ok(())
}

// --- Generators ----------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
        numeric_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..4)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Whitespace `str::trim` removes, including some beyond ASCII.
const PADDING: &[&str] = &["", "", " ", "  ", "\t", "\n", "\r\n", "\u{a0}", "\u{3000}"];

/// Text that looks like a number, often is one, and sometimes is one of the usual traps.
fn numeric_text() -> impl Strategy<Value = String> {
    let core = prop_oneof![
        any::<i32>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<i128>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| format!("+{n}")),
        (0u32..1000, 1usize..4).prop_map(|(n, zeros)| format!("{}{n}", "0".repeat(zeros))),
        any::<f64>().prop_map(|f| f.to_string()),
        any::<f64>().prop_map(|f| format!("{f:e}")),
        any::<f64>().prop_map(|f| format!("{f:?}")),
        prop::sample::select(
            &[
                "",
                "-",
                "+",
                "-0",
                "+0",
                "0",
                "0.0",
                "-0.0",
                ".5",
                "5.",
                "1e3",
                "1E-3",
                "1e400",
                "-1e400",
                "1e-400",
                "0x1F",
                "0o17",
                "0b1",
                "1_000",
                "1,000",
                "1 000",
                "12abc",
                "abc",
                "NaN",
                "nan",
                "inf",
                "-inf",
                "+Infinity",
                "infinity",
                "１２",
                "١٢",
                "²",
                "2147483647",
                "2147483648",
                "-2147483648",
                "-2147483649",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "-9223372036854775809",
                "18446744073709551616",
                "--1",
                "+-1",
                "1-",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    (
        prop::sample::select(PADDING),
        core,
        prop::sample::select(PADDING),
    )
        .prop_map(|(before, core, after)| format!("{before}{core}{after}"))
}

/// JSON text around numbers: numbers, quoted numbers, near misses and broken JSON.
fn json_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        numeric_text(),
        numeric_text().prop_map(|t| serde_json::to_string(&t).expect("a string encodes")),
        prop::sample::select(
            &[
                "\"", "\\", "\\u0035", "\\u00", "-", "+", ".", "e", "E", "0", "9", " ", "[", "]",
                "{", "}", ":", ",", "null", "true", "\"57\"", "-0", "1.0", "1e999", "\u{feff}",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 1..4).prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_json_value_i32(value in json_value()) {
        check_value::<i32>(&value)?;
    }

    #[test]
    fn any_json_value_i64(value in json_value()) {
        check_value::<i64>(&value)?;
    }

    #[test]
    fn any_json_value_f64(value in json_value()) {
        check_value::<f64>(&value)?;
    }

    #[test]
    fn any_text(text in prop_oneof![json_text(), any::<String>()]) {
        check_text::<i32>(&text)?;
        check_text::<i64>(&text)?;
        check_text::<f64>(&text)?;
    }

    /// Every number of the type decodes from a JSON number and from a padded numeric string,
    /// and the string comes back exactly as sent.
    #[test]
    fn in_range_integers_decode(
        n in any::<i64>(),
        before in prop::sample::select(PADDING),
        after in prop::sample::select(PADDING),
        plus in any::<bool>(),
    ) {
        let sign = if plus && n >= 0 { "+" } else { "" };
        let quoted = format!("{before}{sign}{n}{after}");
        let quoted_json = serde_json::to_string(&quoted).expect("a string encodes");

        let number: Lenient<i64> = serde_json::from_str(&n.to_string()).expect("an i64 decodes");
        prop_assert_eq!(number.get(), n);
        prop_assert!(!number.was_quoted());
        prop_assert_eq!(serde_json::to_string(&number).expect("encodes"), n.to_string());
        let text: Lenient<i64> = serde_json::from_str(&quoted_json).expect("a quoted i64 decodes");
        prop_assert_eq!(text.get(), n);
        prop_assert_eq!(serde_json::to_string(&text).expect("encodes"), quoted_json.clone());

        let small = serde_json::from_str::<Lenient<i32>>(&n.to_string());
        let small_text = serde_json::from_str::<Lenient<i32>>(&quoted_json);
        match i32::try_from(n) {
            Ok(m) => {
                prop_assert_eq!(small.expect("fits").get(), m);
                let small_text = small_text.expect("fits");
                prop_assert_eq!(small_text.get(), m);
                prop_assert_eq!(serde_json::to_string(&small_text).expect("encodes"), quoted_json);
            }
            Err(_) => {
                prop_assert!(small.is_err(), "{} fit an i32", n);
                prop_assert!(small_text.is_err(), "{:?} fit an i32", quoted);
            }
        }
    }

    /// Integers beyond `i64` are errors as numbers and as strings.
    #[test]
    fn out_of_range_integers_fail(n in prop_oneof![
        (i64::MAX as i128 + 1)..=i128::MAX,
        i128::MIN..(i64::MIN as i128),
    ]) {
        let number = n.to_string();
        let quoted = format!("\"{n}\"");
        prop_assert!(serde_json::from_str::<Lenient<i64>>(&number).is_err());
        prop_assert!(serde_json::from_str::<Lenient<i64>>(&quoted).is_err());
        prop_assert!(serde_json::from_str::<Lenient<i32>>(&quoted).is_err());
    }

    /// Every finite `f64` decodes to itself from a JSON number and from the usual ways of
    /// writing it as text, and encodes back in the same form.
    #[test]
    fn finite_floats_decode(
        x in any::<f64>().prop_filter("finite", |x| x.is_finite()),
        form in 0usize..3,
        before in prop::sample::select(PADDING),
    ) {
        let number_text = serde_json::to_string(&x).expect("a finite f64 encodes");
        let number: Lenient<f64> = serde_json::from_str(&number_text).expect("decodes");
        // serde_json reads JSON numbers to within a few units in the last place (exactly only
        // with its `float_roundtrip` feature), so compare with what it reads for a plain `f64`.
        let plain: f64 = serde_json::from_str(&number_text).expect("decodes");
        prop_assert_eq!(number.get().to_bits(), plain.to_bits());
        prop_assert_eq!(
            serde_json::to_string(&number).expect("encodes"),
            serde_json::to_string(&plain).expect("encodes")
        );

        let written = match form {
            0 => x.to_string(),
            1 => format!("{x:e}"),
            _ => format!("{x:?}"),
        };
        let quoted = serde_json::to_string(&format!("{before}{written}")).expect("encodes");
        let text: Lenient<f64> = serde_json::from_str(&quoted).expect("decodes");
        prop_assert_eq!(text.get().to_bits(), x.to_bits());
        prop_assert_eq!(serde_json::to_string(&text).expect("encodes"), quoted.clone());
        // Integer types refuse a decimal, quoted or not, unless it is written as an integer.
        if x.fract() != 0.0 {
            prop_assert!(serde_json::from_str::<Lenient<i64>>(&number_text).is_err());
            prop_assert!(serde_json::from_str::<Lenient<i64>>(&quoted).is_err());
        }
    }

    /// Strings with no number in them, and values of other JSON types, are errors for every
    /// type: never a zero.
    #[test]
    fn non_numbers_fail(
        text in prop_oneof![
            "[ \t]*[a-zA-Z_][a-zA-Z0-9_ ]*".prop_filter("not a float keyword", |s| {
                s.trim().parse::<f64>().is_err()
            }),
            prop::sample::select(&["", " ", "-", "+", ".", "e5", "1e", "0x10", "1_0", "١٢", "NaN", "inf", "-Infinity", "1e400"][..]).prop_map(str::to_owned),
        ],
        other in prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            Just(serde_json::json!([])),
            Just(serde_json::json!([1])),
            Just(serde_json::json!({})),
            Just(serde_json::json!({"value": 1})),
        ],
    ) {
        let quoted = Value::String(text.clone());
        prop_assert!(serde_json::from_value::<Lenient<i32>>(quoted.clone()).is_err(), "{:?}", text);
        prop_assert!(serde_json::from_value::<Lenient<i64>>(quoted.clone()).is_err(), "{:?}", text);
        prop_assert!(serde_json::from_value::<Lenient<f64>>(quoted).is_err(), "{:?}", text);
        prop_assert!(serde_json::from_value::<Lenient<i32>>(other.clone()).is_err());
        prop_assert!(serde_json::from_value::<Lenient<i64>>(other.clone()).is_err());
        prop_assert!(serde_json::from_value::<Lenient<f64>>(other).is_err());
    }
}

//! Property tests for [`vendor_types::OneOrMany`] decoding JSON it did not choose.
//!
//! The entry type here has the shape of the generated plan types the clients put inside
//! `OneOrMany`: optional typed fields (one of them a `Lenient` number) and every other key kept
//! in a flattened map. For such a type an object decodes as one entry and an array as many, and
//! each encodes back to the same JSON value; anything else is an error, and no input, JSON or
//! not, makes decoding panic.
//!
//! The number of cases per property is proptest's default (256), or `PROPTEST_CASES` when set;
//! see the README for the long run.

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value, json};
use vendor_types::{Lenient, OneOrMany};

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

/// Shaped like the generated plan types (see `PlanUsage` in the Zoom client).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Plan {
    #[serde(skip_serializing_if = "Option::is_none")]
    hosts: Option<i64>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    type_: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    usage: Option<Lenient<i64>>,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

// --- Generators ----------------------------------------------------------------------------

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        any::<String>().prop_map(Value::String),
        "[0-9 ]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..5)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

/// Object keys, the typed ones often.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(&["hosts", "type", "usage", "extra", "plan", ""][..])
            .prop_map(str::to_owned),
        any::<String>(),
    ]
}

/// An object `Plan` accepts: typed fields absent or of their type (never null, which would
/// not come back), and any other keys with any values.
fn plan_object() -> impl Strategy<Value = Value> {
    (
        prop::option::of(any::<i64>()),
        prop::option::of(any::<String>()),
        prop::option::of(prop_oneof![
            any::<i64>().prop_map(Value::from),
            any::<i64>().prop_map(|n| Value::String(n.to_string())),
            (any::<i32>(), prop::sample::select(&[" ", "  ", "\t"][..]))
                .prop_map(|(n, pad)| Value::String(format!("{pad}{n}"))),
        ]),
        prop::collection::vec(
            (
                any::<String>().prop_filter("not a typed field", |k| {
                    !["hosts", "type", "usage"].contains(&k.as_str())
                }),
                json_value(),
            ),
            0..4,
        ),
    )
        .prop_map(|(hosts, type_, usage, extra)| {
            let mut object = Map::new();
            if let Some(hosts) = hosts {
                object.insert("hosts".into(), json!(hosts));
            }
            if let Some(type_) = type_ {
                object.insert("type".into(), json!(type_));
            }
            if let Some(usage) = usage {
                object.insert("usage".into(), usage);
            }
            object.extend(extra);
            Value::Object(object)
        })
}

/// JSON-ish text: fragments of objects and arrays, broken or not.
fn json_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        json_value().prop_map(|v| v.to_string()),
        plan_object().prop_map(|v| v.to_string()),
        prop::sample::select(
            &[
                "{",
                "}",
                "[",
                "]",
                ",",
                ":",
                "\"hosts\"",
                "\"usage\"",
                "\"57\"",
                "57",
                "-0",
                "null",
                "\"",
                "\\",
                " ",
                "1e999",
                "\u{0}",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    prop::collection::vec(piece, 1..6).prop_map(|pieces| pieces.concat())
}

/// Checks the shape and the re-encoding of one successful decode.
fn check_decoded(input: &Value, decoded: &OneOrMany<Plan>) -> Result<(), TestCaseError> {
    match (input, decoded) {
        (Value::Object(_), OneOrMany::One(_)) => prop_assert_eq!(decoded.len(), 1),
        (Value::Array(items), OneOrMany::Many(plans)) => {
            prop_assert_eq!(items.len(), plans.len());
            prop_assert_eq!(decoded.is_empty(), items.is_empty());
        }
        _ => {
            return Err(TestCaseError::fail(format!(
                "{input} decoded as {decoded:?}"
            )));
        }
    }
    prop_assert_eq!(decoded.iter().count(), decoded.len());
    let encoded = serde_json::to_value(decoded).expect("a plan encodes");
    prop_assert_eq!(encoded.is_object(), input.is_object());
    prop_assert_eq!(encoded.is_array(), input.is_array());
    let again: OneOrMany<Plan> =
        serde_json::from_value(encoded.clone()).expect("its own encoding decodes");
    prop_assert_eq!(&again, decoded);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Any JSON value: no panic; what decodes keeps its shape; scalars never decode.
    #[test]
    fn any_json_value(value in json_value()) {
        let from_value = serde_json::from_value::<OneOrMany<Plan>>(value.clone());
        let from_text = serde_json::from_str::<OneOrMany<Plan>>(&value.to_string());
        prop_assert_eq!(from_value.is_ok(), from_text.is_ok());
        for decoded in [from_value, from_text] {
            match decoded {
                Ok(decoded) => check_decoded(&value, &decoded)?,
                Err(err) => {
                    prop_assert!(!err.to_string().is_empty());
                    // Every key of the entry is optional: the empty object is an entry.
                    prop_assert_ne!(&value, &json!({}));
                }
            }
        }
        if !(value.is_object() || value.is_array()) {
            prop_assert!(serde_json::from_value::<OneOrMany<Plan>>(value).is_err());
        }
    }

    /// Any text: no panic, and the same outcome as decoding it as a JSON value first.
    #[test]
    fn any_text(text in prop_oneof![json_text(), any::<String>()]) {
        let decoded = serde_json::from_str::<OneOrMany<Plan>>(&text);
        match serde_json::from_str::<Value>(&text) {
            Ok(value) => {
                let via_value = serde_json::from_value::<OneOrMany<Plan>>(value.clone());
                prop_assert_eq!(decoded.is_ok(), via_value.is_ok(), "{:?}", text);
                if let Ok(decoded) = decoded {
                    check_decoded(&value, &decoded)?;
                }
            }
            Err(_) => prop_assert!(decoded.is_err(), "{:?} is not JSON", text),
        }
    }

    /// An object of the entry's shape decodes as one entry and encodes back to the same value.
    #[test]
    fn an_object_is_one(object in plan_object()) {
        let decoded: OneOrMany<Plan> =
            serde_json::from_value(object.clone()).expect("a plan object decodes");
        prop_assert!(matches!(decoded, OneOrMany::One(_)), "{:?}", decoded);
        check_decoded(&object, &decoded)?;
        prop_assert_eq!(serde_json::to_value(&decoded).expect("encodes"), object);
    }

    /// An array of such objects, empty included, decodes as many and encodes back to the same
    /// value, in order.
    #[test]
    fn an_array_is_many(objects in prop::collection::vec(plan_object(), 0..5)) {
        let array = Value::Array(objects);
        let decoded: OneOrMany<Plan> =
            serde_json::from_value(array.clone()).expect("an array of plans decodes");
        prop_assert!(matches!(decoded, OneOrMany::Many(_)), "{:?}", decoded);
        check_decoded(&array, &decoded)?;
        prop_assert_eq!(serde_json::to_value(&decoded).expect("encodes"), array);
    }

    /// An array holding anything that is not an entry (a scalar, a nested array, an entry with
    /// a field of the wrong type) is an error, not a partial list.
    #[test]
    fn a_bad_item_fails_the_array(
        mut objects in prop::collection::vec(plan_object(), 0..4),
        bad in prop_oneof![
            Just(json!(7)),
            Just(json!("plan")),
            Just(json!(null)),
            Just(json!([{}])),
            Just(json!({"hosts": "many"})),
            Just(json!({"usage": "lots"})),
            Just(json!({"hosts": 1.5})),
        ],
        at in any::<prop::sample::Index>(),
    ) {
        let position = at.index(objects.len() + 1);
        objects.insert(position, bad);
        prop_assert!(serde_json::from_value::<OneOrMany<Plan>>(Value::Array(objects)).is_err());
    }
}

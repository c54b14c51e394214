//! Property tests for the OpenAPI 3.0 schema validator, [`spec_core::schema::SchemaValidator`].
//!
//! Schemas are drawn from a strategy that mixes every keyword the validator reads (and junk in
//! their place: wrong types, invalid regular expressions, dangling and cyclic `$ref`s), and
//! values are arbitrary JSON. Validation must never panic, and what it reports must point into
//! the value. Beside that, a few properties with a known answer: the empty schema accepts
//! everything, `not: {}` accepts nothing, a value built to fit a schema is accepted, and a
//! missing `readOnly` property is only required in responses.
//!
//! The number of cases per property is proptest's default (256), or `PROPTEST_CASES` when set;
//! see the README for the long run.

use proptest::prelude::*;
use serde_json::{Map, Number, Value, json};
use spec_core::pointer;
use spec_core::schema::{Direction, SchemaValidator, Violation};

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

// --- Arbitrary JSON ------------------------------------------------------------------------

fn json_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-3i64..300).prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        (-1e3f64..1e3).prop_filter_map("finite", |f| Number::from_f64(f).map(Value::Number)),
        Just(json!(2_147_483_648_i64)),
        Just(json!(-2_147_483_649_i64)),
        Just(json!(u64::MAX)),
        Just(json!(1.0)),
    ]
}

/// Strings the formats and patterns care about, and anything at all.
fn json_string() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-z0-9]{0,6}",
        prop::sample::select(
            &[
                "",
                "2026-11-23",
                "2026-13-01",
                "2020-05-31T00:00:00Z",
                "2020-05-31T00:00:0éé",
                "2020-05-31T",
                "123e4567-e89b-12d3-a456-426614174000",
                "a@b.c",
                "@",
                "aGk=",
                "====",
                "é日本",
                "-12",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

const NAMES: &[&str] = &["a", "b", "id", "type", "", "x/y", "~0", "é"];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        json_number(),
        json_string().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(NAMES), inner), 0..6).prop_map(|entries| {
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            }),
        ]
    })
}

// --- Arbitrary schemas ---------------------------------------------------------------------

/// References every schema may use: safe cycles, dangling and malformed targets.
const COMMON_REFS: &[&str] = &[
    "#/components/schemas/SelfRef",
    "#/components/schemas/Ping",
    "#/components/schemas/Node",
    "#/components/schemas/Missing",
    "#/components/schemas/Node/properties/next",
    "#/nowhere",
    "#",
    "#/",
    "",
    "other.yaml#/components/schemas/Node",
    "#/components/schemas/~",
];

const PATTERNS: &[&str] = &[
    "^[a-z]+$",
    "^-?[0-9]+$",
    "(?i)ABC",
    "\\d{3}",
    "é",
    "",
    "(",
    "[a-",
    "\\",
    "a{2,1}",
    "(?P<x",
    "\\p{NoSuchClass}",
    "(a{1000}){1000}",
    "^(a+)+$",
];

const FORMATS: &[&str] = &[
    "int32",
    "int64",
    "float",
    "double",
    "date",
    "date-time",
    "uuid",
    "email",
    "byte",
    "binary",
    "made-up",
    "",
];

const TYPES: &[&str] = &[
    "integer", "number", "string", "boolean", "array", "object", "null", "made-up",
];

/// A schema keyword with a value that is sometimes of the wrong kind.
fn keyword(
    inner: BoxedStrategy<Value>,
    refs: Vec<&'static str>,
) -> impl Strategy<Value = (String, Value)> {
    let junk = prop_oneof![
        Just(Value::Null),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!("x")),
        Just(json!([])),
        Just(json!({})),
    ];
    let number = prop_oneof![json_number(), junk.clone()];
    let count = prop_oneof![
        4 => (0u64..6).prop_map(Value::from),
        1 => Just(json!(u64::MAX)),
        1 => junk.clone(),
    ];
    let flag = prop_oneof![4 => any::<bool>().prop_map(Value::Bool), 1 => junk.clone()];
    let schemas = prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array);
    let names = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(NAMES).prop_map(Value::from),
            1 => Just(json!(7)),
        ],
        0..4,
    )
    .prop_map(Value::Array);
    prop_oneof![
        prop::sample::select(TYPES).prop_map(|t| ("type".to_owned(), json!(t))),
        junk.clone().prop_map(|j| ("type".to_owned(), j)),
        flag.clone().prop_map(|f| ("nullable".to_owned(), f)),
        prop::collection::vec(json_value(), 0..4).prop_map(|e| ("enum".to_owned(), json!(e))),
        junk.clone().prop_map(|j| ("enum".to_owned(), j)),
        number.clone().prop_map(|n| ("minimum".to_owned(), n)),
        number.clone().prop_map(|n| ("maximum".to_owned(), n)),
        flag.clone()
            .prop_map(|f| ("exclusiveMinimum".to_owned(), f)),
        flag.clone()
            .prop_map(|f| ("exclusiveMaximum".to_owned(), f)),
        number.prop_map(|n| ("multipleOf".to_owned(), n)),
        count.clone().prop_map(|n| ("minLength".to_owned(), n)),
        count.clone().prop_map(|n| ("maxLength".to_owned(), n)),
        count.clone().prop_map(|n| ("minItems".to_owned(), n)),
        count.clone().prop_map(|n| ("maxItems".to_owned(), n)),
        count.clone().prop_map(|n| ("minProperties".to_owned(), n)),
        count.prop_map(|n| ("maxProperties".to_owned(), n)),
        flag.clone().prop_map(|f| ("uniqueItems".to_owned(), f)),
        prop_oneof![
            4 => prop::sample::select(PATTERNS).prop_map(Value::from),
            2 => "[ -~]{0,12}".prop_map(Value::from),
            1 => junk.clone(),
        ]
        .prop_map(|p| ("pattern".to_owned(), p)),
        prop_oneof![
            4 => prop::sample::select(FORMATS).prop_map(Value::from),
            1 => junk.clone(),
        ]
        .prop_map(|f| ("format".to_owned(), f)),
        prop_oneof![
            4 => prop::sample::select(refs).prop_map(Value::from),
            1 => junk.clone(),
        ]
        .prop_map(|r| ("$ref".to_owned(), r)),
        names.prop_map(|n| ("required".to_owned(), n)),
        prop::collection::vec((prop::sample::select(NAMES), inner.clone()), 0..4).prop_map(
            |props| {
                let props: Map<String, Value> =
                    props.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
                ("properties".to_owned(), Value::Object(props))
            }
        ),
        prop_oneof![flag.clone(), inner.clone()]
            .prop_map(|a| ("additionalProperties".to_owned(), a)),
        prop_oneof![4 => inner.clone(), 1 => junk.clone()].prop_map(|i| ("items".to_owned(), i)),
        prop_oneof![4 => schemas.clone(), 1 => junk.clone()].prop_map(|s| ("allOf".to_owned(), s)),
        prop_oneof![4 => schemas.clone(), 1 => junk.clone()].prop_map(|s| ("anyOf".to_owned(), s)),
        prop_oneof![4 => schemas, 1 => junk].prop_map(|s| ("oneOf".to_owned(), s)),
        inner.prop_map(|n| ("not".to_owned(), n)),
        flag.clone().prop_map(|f| ("readOnly".to_owned(), f)),
        flag.prop_map(|f| ("writeOnly".to_owned(), f)),
    ]
}

/// Schemas that may `$ref` the targets in `refs`.
fn schema_with(refs: Vec<&'static str>) -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        4 => Just(json!({})),
        4 => prop::sample::select(TYPES).prop_map(|t| json!({"type": t})),
        2 => prop::sample::select(refs.clone()).prop_map(|r| json!({"$ref": r})),
        1 => prop_oneof![Just(json!(true)), Just(json!(false)), Just(json!(null)), Just(json!([]))],
    ];
    leaf.prop_recursive(4, 40, 5, move |inner| {
        prop::collection::vec(keyword(inner, refs.clone()), 0..6)
            .prop_map(|entries| Value::Object(entries.into_iter().collect()))
    })
    .boxed()
}

/// A document with the fixed schemas: a `$ref` to itself, two schemas referring to each other,
/// and `Node`, which recurses only into the value.
fn fixed_document() -> Value {
    json!({"components": {"schemas": {
        "SelfRef": {"$ref": "#/components/schemas/SelfRef"},
        "Ping": {"$ref": "#/components/schemas/Pong"},
        "Pong": {"$ref": "#/components/schemas/Ping"},
        "Node": {
            "type": "object", "nullable": true, "required": ["value"],
            "properties": {
                "value": {"type": "integer", "format": "int32"},
                "next": {"$ref": "#/components/schemas/Node"},
                "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
            },
            "additionalProperties": false
        }
    }}})
}

/// The fixed document plus generated schemas `S0`..`S2`, each of which may only refer to later
/// ones (and to the fixed schemas), so branching never runs around a cycle.
fn document() -> impl Strategy<Value = Value> {
    let refs = |later: &[&'static str]| -> Vec<&'static str> {
        COMMON_REFS.iter().chain(later).copied().collect()
    };
    (
        schema_with(refs(&[
            "#/components/schemas/S1",
            "#/components/schemas/S2",
        ])),
        schema_with(refs(&["#/components/schemas/S2"])),
        schema_with(refs(&[])),
    )
        .prop_map(|(s0, s1, s2)| {
            let mut doc = fixed_document();
            let schemas = doc["components"]["schemas"]
                .as_object_mut()
                .expect("the fixed document has schemas");
            schemas.insert("S0".into(), s0);
            schemas.insert("S1".into(), s1);
            schemas.insert("S2".into(), s2);
            doc
        })
}

/// The schema under test: generated, and free to refer to any schema of the document.
fn top_schema() -> BoxedStrategy<Value> {
    schema_with(
        COMMON_REFS
            .iter()
            .copied()
            .chain([
                "#/components/schemas/S0",
                "#/components/schemas/S1",
                "#/components/schemas/S2",
            ])
            .collect(),
    )
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![Just(Direction::Request), Just(Direction::Response)]
}

/// Checks what a validation reported: readable, and pointing into the value.
fn check_report(instance: &Value, found: &[Violation]) -> Result<(), TestCaseError> {
    for violation in found {
        prop_assert!(!violation.message.is_empty());
        let _ = violation.to_string();
        let _ = violation.field();
        let path = &violation.instance_path;
        if violation.message.contains("is missing") {
            // A missing property points where it should be: its parent exists.
            let parent = &path[..path.rfind('/').unwrap_or(0)];
            prop_assert!(instance.pointer(parent).is_some(), "{violation:?}");
        } else {
            prop_assert!(instance.pointer(path).is_some(), "{violation:?}");
        }
    }
    Ok(())
}

// --- Values built to fit -------------------------------------------------------------------

/// A schema and a value it accepts.
fn fitting() -> impl Strategy<Value = (Value, Value)> {
    let leaf = prop_oneof![
        (any::<i32>(), any::<i32>()).prop_flat_map(|(a, b)| {
            let (lo, hi) = (a.min(b), a.max(b));
            (lo..=hi).prop_map(move |n| {
                (
                    json!({"type": "integer", "format": "int32", "minimum": lo, "maximum": hi}),
                    json!(n),
                )
            })
        }),
        any::<i64>().prop_map(|n| (json!({"type": "integer", "format": "int64"}), json!(n))),
        (-1e9f64..1e9).prop_map(|x| {
            (
                json!({"type": "number", "minimum": -1e9, "maximum": 1e9}),
                json!(x),
            )
        }),
        (0usize..5, 0usize..5).prop_flat_map(|(min, extra)| {
            let max = min + extra;
            proptest::string::string_regex(&format!("[a-z]{{{min},{max}}}"))
                .expect("a valid regex")
                .prop_map(move |s| {
                    (
                        json!({"type": "string", "minLength": min, "maxLength": max,
                               "pattern": "^[a-z]*$"}),
                        json!(s),
                    )
                })
        }),
        any::<bool>().prop_map(|b| (json!({"type": "boolean"}), json!(b))),
        prop::collection::vec(json_value(), 1..5).prop_flat_map(|options| {
            prop::sample::select(options.clone())
                .prop_map(move |pick| (json!({"enum": options.clone()}), pick))
        }),
        prop::sample::select(&["date", "date-time", "uuid", "email", "byte"][..]).prop_map(
            |format| {
                let sample = match format {
                    "date" => "2026-02-28",
                    "date-time" => "2026-02-28T12:30:00+08:00",
                    "uuid" => "123e4567-e89b-12d3-a456-426614174000",
                    "email" => "someone@example.com",
                    _ => "aGVsbG8=",
                };
                (json!({"type": "string", "format": format}), json!(sample))
            }
        ),
        json_value().prop_map(|v| (json!({}), v)),
        Just((
            json!({"$ref": "#/components/schemas/Node"}),
            json!({"value": 1, "next": {"value": 2}})
        )),
    ];
    leaf.prop_recursive(4, 32, 5, |inner| {
        prop_oneof![
            // An object with every property present and nothing else.
            prop::collection::vec((prop::sample::select(NAMES), inner.clone()), 0..5).prop_map(
                |entries| {
                    let mut props = Map::new();
                    let mut value = Map::new();
                    for (name, (schema, item)) in entries {
                        props.entry(name).or_insert(schema);
                        value.entry(name).or_insert(item);
                    }
                    let required: Vec<&String> = props.keys().collect();
                    (
                        json!({"type": "object", "properties": props, "required": required,
                               "additionalProperties": false}),
                        Value::Object(value),
                    )
                }
            ),
            // An array repeating one fitting item.
            (inner.clone(), 0usize..4).prop_map(|((schema, item), n)| {
                (
                    json!({"type": "array", "items": schema, "minItems": n, "maxItems": n}),
                    Value::Array(vec![item; n]),
                )
            }),
            // Extra properties under an `additionalProperties` schema.
            (inner.clone(), prop::sample::select(NAMES)).prop_map(|((schema, item), name)| {
                (
                    json!({"type": "object", "additionalProperties": schema}),
                    json!({name: item}),
                )
            }),
            // `oneOf` with one branch that fits and one of another type.
            (inner.clone(), any::<bool>()).prop_map(|((schema, item), first)| {
                let other = if item.is_string() {
                    json!({"type": "boolean"})
                } else {
                    json!({"type": "string"})
                };
                let branches = if first {
                    vec![schema, other]
                } else {
                    vec![other, schema]
                };
                (json!({"oneOf": branches}), item)
            }),
            // `anyOf` and `allOf` with a schema that fits and the empty schema.
            inner
                .clone()
                .prop_map(|(schema, item)| (json!({"anyOf": [{"not": {}}, schema]}), item)),
            inner
                .clone()
                .prop_map(|(schema, item)| (json!({"allOf": [schema, {}]}), item)),
            // `nullable` beside a `type` admits null.
            inner.prop_filter_map("needs a type and no enum", |(schema, _)| {
                let mut map = schema.as_object()?.clone();
                if !map.contains_key("type") || map.contains_key("enum") {
                    return None;
                }
                map.insert("nullable".into(), json!(true));
                Some((Value::Object(map), Value::Null))
            }),
        ]
    })
}

fn node_chain(depth: usize) -> Value {
    // Built by hand: `json!` would copy the nested value at every level.
    (0..depth).fold(json!({"value": 0}), |next, i| {
        let mut node = Map::new();
        node.insert("value".into(), Value::from(i));
        node.insert("next".into(), next);
        Value::Object(node)
    })
}

proptest! {
    #![proptest_config(config())]

    /// Any schema, any value, either direction: no panic, and a sound report.
    #[test]
    fn any_schema_any_value(
        doc in document(),
        schema in top_schema(),
        instance in json_value(),
        dir in direction(),
    ) {
        let validator = SchemaValidator::new(doc);
        let found = validator.validate(&schema, "/x", &instance, dir);
        check_report(&instance, &found)?;
        // The pattern cache must not change the answer.
        prop_assert_eq!(validator.validate(&schema, "/x", &instance, dir), found);
    }

    /// Schemas of the document, addressed by pointers that may not exist.
    #[test]
    fn validate_at_any_pointer(
        doc in document(),
        at in prop_oneof![
            prop::sample::select(&[
                "/components/schemas/S0", "/components/schemas/S1", "/components/schemas/S2",
                "/components/schemas/SelfRef", "/components/schemas/Ping",
                "/components/schemas/Node", "/components/schemas/Node/properties",
                "", "/", "/nowhere", "components", "/components/schemas/~2",
            ][..]).prop_map(str::to_owned),
            any::<String>(),
        ],
        instance in json_value(),
        dir in direction(),
    ) {
        let validator = SchemaValidator::new(doc);
        let found = validator.validate_at(&at, &instance, dir);
        check_report(&instance, &found)?;
    }

    /// A document that is any JSON value at all, and `$ref`s into it.
    #[test]
    fn any_document(
        doc in json_value(),
        target in prop_oneof![any::<String>(), "#(/[a-z~0-9]{0,3}){0,3}"],
        instance in json_value(),
    ) {
        let validator = SchemaValidator::new(doc);
        let found = validator.validate(&json!({"$ref": target}), "", &instance, Direction::Request);
        check_report(&instance, &found)?;
    }

    /// Values nested deeper than the validator follows, against a recursive schema.
    #[test]
    fn deep_values_against_a_recursive_schema(depth in 0usize..300) {
        let validator = SchemaValidator::new(fixed_document());
        let chain = node_chain(depth);
        let found = validator.validate_at("/components/schemas/Node", &chain, Direction::Response);
        check_report(&chain, &found)?;
        // Below the depth limit, a well-formed chain is accepted.
        if depth < 60 {
            prop_assert!(found.is_empty(), "{found:?}");
        }
    }

    /// The empty schema accepts every value; `not: {}` accepts none.
    #[test]
    fn empty_schema_accepts_everything(instance in json_value(), dir in direction()) {
        let validator = SchemaValidator::new(fixed_document());
        let accepted = validator.validate(&json!({}), "", &instance, dir);
        prop_assert!(accepted.is_empty(), "{:?}", accepted);
        let refused = validator.validate(&json!({"not": {}}), "", &instance, dir);
        prop_assert_eq!(refused.len(), 1);
    }

    /// A value built to fit a schema is accepted, in both directions.
    #[test]
    fn fitting_values_are_accepted((schema, instance) in fitting(), dir in direction()) {
        let validator = SchemaValidator::new(fixed_document());
        let found = validator.validate(&schema, "", &instance, dir);
        prop_assert!(found.is_empty(), "{} against {}: {:?}", instance, schema, found);
    }

    /// A required `readOnly` property may be left out of a request, not of a response (and the
    /// other way round for `writeOnly`).
    #[test]
    fn read_only_and_write_only_required(
        name in prop::sample::select(NAMES),
        read_only in any::<bool>(),
        via_ref in any::<bool>(),
    ) {
        let keyword = if read_only { "readOnly" } else { "writeOnly" };
        let prop_schema = json!({"type": "string", keyword: true});
        let doc = json!({"components": {"schemas": {"P": prop_schema}}});
        let prop_schema = if via_ref { json!({"$ref": "#/components/schemas/P"}) } else { prop_schema };
        let schema = json!({"type": "object", "required": [name], "properties": {name: prop_schema}});
        let validator = SchemaValidator::new(doc);
        let (exempt, enforced) = if read_only {
            (Direction::Request, Direction::Response)
        } else {
            (Direction::Response, Direction::Request)
        };
        let empty = json!({});
        let found = validator.validate(&schema, "", &empty, exempt);
        prop_assert!(found.is_empty(), "{:?}", found);
        let missing = validator.validate(&schema, "", &empty, enforced);
        prop_assert_eq!(missing.len(), 1);
        prop_assert_eq!(&missing[0].instance_path, &pointer::push("", name));
    }
}

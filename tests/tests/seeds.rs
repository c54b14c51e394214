//! The seed payloads (tests/fixtures/seeds, extracted verbatim from ../shared/seeds) are the
//! specs' examples, decode through the generated types, and re-encode to the same JSON.
//!
//! The one inherent difference: a JSON integer in a field the spec types as `number` decodes
//! into an `f64` and re-encodes with a fraction (`21` → `21.0`). The tests list exactly where
//! that happens and require every other byte of meaning to survive (no keys dropped or added,
//! no value changed). Key order is not compared: JSON objects are unordered, and the generated
//! types write their keys in the spec's property order.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use workspace_tests::{Spec, compare_json, fixture, number_changes};

/// Decodes `payload` as `T`, re-encodes it, and returns the representation-only differences.
fn round_trip<T: DeserializeOwned + Serialize>(payload: &Value) -> (T, Vec<String>) {
    let typed: T = serde_json::from_value(payload.clone()).expect("the seed decodes");
    let reencoded = serde_json::to_value(&typed).expect("re-encodes");
    let differences = compare_json(payload, &reencoded).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        number_changes(&differences).len(),
        differences.len(),
        "{differences:?}"
    );
    (typed, number_changes(&differences))
}

fn example(spec: &Spec, operation: &str, status: &str, name: &str) -> Value {
    spec.response_examples(operation, status)
        .into_iter()
        .find(|e| e.name == name)
        .unwrap_or_else(|| panic!("{operation} {status} has no example {name}"))
        .value
}

#[test]
fn seed_000_plan_usage() {
    let seed = fixture("seeds/000-plan-usage.response.json");
    let spec = Spec::load("zoom/billing-plans.yaml");
    assert_eq!(seed, example(&spec, "GetPlanUsage", "200", "seed-000"));

    let (usage, differences) = round_trip::<zoom_billing::types::PlanUsageReport>(&seed);
    assert_eq!(differences, Vec::<String>::new());
    // Every one of the 21 keys has a typed field: nothing fell into the catch-all.
    assert_eq!(seed.as_object().unwrap().len(), 21);
    assert!(
        usage.extra.is_empty(),
        "untyped keys: {:?}",
        usage.extra.keys()
    );

    // The seed sends the base plan as one object (the spec also accepts a list).
    let Some(zoom_billing::OneOrMany::One(base)) = usage.plan_base.as_ref() else {
        panic!("plan_base: {:?}", usage.plan_base);
    };
    assert_eq!(
        (base.hosts, base.usage, base.pending),
        (Some(75), Some(44), Some(3))
    );
    assert_eq!(
        usage
            .plan_recording
            .as_ref()
            .unwrap()
            .plan_storage
            .as_deref(),
        Some("10 GB")
    );
    assert_eq!(
        usage.plan_united.as_ref().unwrap().name.as_deref(),
        Some("Zoom Meetings Pro and Zoom Phone Pro Monthly")
    );
    // Usage above the licence count is data, not an error.
    let iq = usage.plan_zoom_iq.as_ref().unwrap();
    assert!(iq.usage > iq.hosts);
    // Documented as arrays, sent as objects: both forms decode.
    assert!(matches!(
        usage.plan_room_connector,
        Some(zoom_billing::OneOrMany::One(_))
    ));
    assert!(matches!(
        usage.plan_zwr,
        Some(zoom_billing::OneOrMany::One(_))
    ));
    assert_eq!(
        usage.plan_webinar.as_ref().unwrap()[0].type_.as_deref(),
        Some("webinar500_monthly")
    );
}

#[test]
fn seed_001_addon_request() {
    let seed = fixture("seeds/001-addon.request.json");
    let spec = Spec::load("zoom/billing-plans.yaml");
    let examples = spec.request_examples("SubscribeAccountToAnAdditionalPlan");
    let embedded = examples.iter().find(|e| e.name == "seed-001").unwrap();
    assert_eq!(seed, embedded.value);

    let (request, differences) = round_trip::<zoom_billing::types::AdditionalPlanRequest>(&seed);
    assert_eq!(differences, Vec::<String>::new());
    match request {
        zoom_billing::types::AdditionalPlanRequest::Generic(generic) => {
            assert_eq!(generic.hosts.get(), 18);
            assert_eq!(generic.type_.as_str(), "webinar500_monthly");
        }
        other => panic!("decoded as the wrong shape: {other:?}"),
    }
}

#[test]
fn seed_001_addon_response() {
    let seed = fixture("seeds/001-addon.response.json");
    let spec = Spec::load("zoom/billing-plans.yaml");
    assert_eq!(
        seed,
        example(
            &spec,
            "SubscribeAccountToAnAdditionalPlan",
            "201",
            "seed-001"
        )
    );

    let (result, differences) = round_trip::<zoom_billing::types::AdditionalPlanResult>(&seed);
    // Integers in `number` fields (discount_rate/discount_percent) gain a fraction; nothing else.
    let mut expected: Vec<String> = [
        "plan_mchybrid",
        "plan_rchybrid",
        "plan_zmhybrid",
        "plan_znode_base",
        "plan_zphybrid",
    ]
    .iter()
    .map(|plan| format!("/plan_znode/{plan}/discount_percent"))
    .chain([
        "/plan_mesh/discount_percent".to_owned(),
        "/plan_workforce_management/discount_percent".to_owned(),
        "/plan_workforce_management/discount_rate".to_owned(),
        "/plan_zsched/discount_percent".to_owned(),
        "/plan_zsched/discount_rate".to_owned(),
    ])
    .collect();
    expected.sort();
    assert_eq!(differences, expected);
    assert!(
        result.extra.is_empty(),
        "untyped keys: {:?}",
        result.extra.keys()
    );

    assert_eq!(
        result.plan_recording.as_deref(),
        Some("cmr_monthly_commitment_40")
    );
    let node = result.plan_znode.as_ref().unwrap();
    assert_eq!(
        node.plan_zphybrid.as_ref().unwrap().discount_rate,
        Some(161.72)
    );
    let zcc = result.plan_zcc.as_ref().unwrap();
    assert_eq!(zcc.plan_usage.as_ref().unwrap().len(), 1);
    assert_eq!(result.plan_audio.as_ref().unwrap().ddi_numbers, Some(800));
    assert_eq!(result.plan_base.as_ref().unwrap().increasing_hosts, Some(1));
}

#[test]
fn seed_003_org_res() {
    let seed = fixture("seeds/003-org-res.response.json");
    let spec = Spec::load("huawei/meeting.yaml");
    assert_eq!(seed, example(&spec, "ShowOrgRes", "200", "seed-003"));

    let (usage, differences) = round_trip::<huawei_meeting::types::OrgResourceUsage>(&seed);
    assert_eq!(differences, Vec::<String>::new());
    assert!(usage.extra.is_empty());
    assert_eq!(
        usage.used_rec_storage.as_ref().map(|v| v.get()),
        Some(39.59)
    );
    assert_eq!(usage.conf_length.as_ref().map(|v| v.get()), Some(57));
    assert_eq!(
        usage.total_attendee_count.as_ref().map(|v| v.get()),
        Some(2)
    );
}

#[test]
fn unknown_plan_keys_survive_decoding() {
    let mut payload = fixture("seeds/000-plan-usage.response.json");
    let future = serde_json::json!({"hosts": 4, "usage": 1, "type": "zvm_monthly", "region": "EU"});
    payload["plan_zoom_video_management"] = future.clone();
    payload["plan_base"]["seats_note"] = Value::String("new nested key".into());
    let (usage, differences) = round_trip::<zoom_billing::types::PlanUsageReport>(&payload);
    assert_eq!(differences, Vec::<String>::new());
    assert_eq!(usage.extra.get("plan_zoom_video_management"), Some(&future));
    assert_eq!(
        usage
            .plan_base
            .unwrap()
            .iter()
            .next()
            .unwrap()
            .extra
            .get("seats_note"),
        Some(&Value::String("new nested key".into()))
    );
}

/// The add-on body is an untagged `oneOf` that progenitor decodes first-match: every request
/// example must come back as the shape its `type` names, and re-encode unchanged.
#[test]
fn every_addon_request_example_decodes_as_its_own_shape() {
    use zoom_billing::types::AdditionalPlanRequest;
    let spec = Spec::load("zoom/billing-plans.yaml");
    let examples = spec.request_examples("SubscribeAccountToAnAdditionalPlan");
    let mut shapes = std::collections::BTreeSet::new();
    for example in &examples {
        let (request, differences) = round_trip::<AdditionalPlanRequest>(&example.value);
        assert_eq!(differences, Vec::<String>::new(), "{}", example.name);
        let shape = match &request {
            AdditionalPlanRequest::Generic(_) => "generic",
            AdditionalPlanRequest::Phone(_) => "plan_phone",
            AdditionalPlanRequest::ContactCenter(_) => "plan_zcc",
            AdditionalPlanRequest::Node(_) => "plan_znode",
        };
        let expected = match example.value["type"].as_str().unwrap() {
            kind @ ("plan_phone" | "plan_zcc" | "plan_znode") => kind,
            _ => "generic",
        };
        assert_eq!(shape, expected, "{}: decoded as {request:?}", example.name);
        shapes.insert(shape);
    }
    assert_eq!(shapes.len(), 4, "an example for each shape: {shapes:?}");
}

/// Huawei sends `null` for tokens it did not issue (a proxy token, at times the refresh
/// token): the spec accepts such a response (so the sandbox can serve it and `validate` lets
/// examples show it), and the token fields decode to `None` rather than failing the response.
#[test]
fn null_huawei_tokens_are_valid_and_decode_as_absent() {
    use spec_core::schema::{Direction, SchemaValidator};
    let payload = serde_json::json!({
        "accessToken": "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax",
        "refreshToken": null,
        "proxyToken": {"accessToken": null, "longAccessToken": null, "validPeriod": 60}
    });
    let spec = Spec::load("huawei/meeting.yaml");
    let validator = SchemaValidator::new(spec.doc.clone());
    let violations = validator.validate_at(
        "/components/schemas/TokenInfo",
        &payload,
        Direction::Response,
    );
    assert!(violations.is_empty(), "{violations:?}");
    let token: huawei_meeting::types::TokenInfo = serde_json::from_value(payload).unwrap();
    assert_eq!(
        token.access_token.as_ref().map(|t| t.expose()),
        Some("stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax")
    );
    assert!(token.refresh_token.is_none());
    let proxy = token.proxy_token.unwrap();
    assert!(proxy.access_token.is_none() && proxy.long_access_token.is_none());
}

//! Shared helpers for the workspace-level end-to-end tests.
//!
//! - [`Spec`]: a spec loaded from `spec/`, with its operations' examples, so tests derive
//!   their cases from the specs instead of repeating them.
//! - [`RecordingServer`]: a tiny HTTP server on `127.0.0.1:0` that records every request and
//!   answers with replies queued by the test. It stops when dropped.
//! - [`compare_json`]: JSON equality that reports where numbers changed representation only.

/// The README's Rust examples compile as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use spec_core::openapi;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use vendor_types::dispatch::{DispatchError, Outcome};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ lives in the workspace")
        .to_path_buf()
}

/// A JSON file under `tests/fixtures/`.
pub fn fixture(name: &str) -> Value {
    let path = workspace_root().join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A spec from `spec/`, as JSON.
pub struct Spec {
    /// The document.
    pub doc: Value,
}

/// One named example of one response (or request) of an operation.
#[derive(Clone, Debug)]
pub struct Example {
    /// The example's name in the spec.
    pub name: String,
    /// The payload.
    pub value: Value,
}

impl Spec {
    /// Loads `spec/<rel>`.
    pub fn load(rel: &str) -> Spec {
        let path = workspace_root().join("spec").join(rel);
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc = spec_core::yaml::parse(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
            .value;
        Spec { doc }
    }

    /// Follows `$ref`s if `value` is one.
    pub fn deref<'a>(&'a self, value: &'a Value) -> &'a Value {
        spec_core::pointer::follow_refs(&self.doc, "", value)
            .unwrap_or_else(|| panic!("unresolved reference in {value}"))
            .1
    }

    /// The operation object with this `operationId`.
    pub fn operation(&self, operation_id: &str) -> &Value {
        self.doc["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .flat_map(|item| item.as_object().into_iter().flat_map(|m| m.values()))
            .find(|op| op.get("operationId").and_then(Value::as_str) == Some(operation_id))
            .unwrap_or_else(|| panic!("no operation {operation_id}"))
    }

    /// The JSON examples of one response of an operation (`status` as written in the spec).
    pub fn response_examples(&self, operation_id: &str, status: &str) -> Vec<Example> {
        let response = self.deref(&self.operation(operation_id)["responses"][status]);
        self.examples_of(&response["content"]["application/json"])
    }

    /// The JSON request-body examples of an operation.
    pub fn request_examples(&self, operation_id: &str) -> Vec<Example> {
        let body = self.deref(&self.operation(operation_id)["requestBody"]);
        self.examples_of(&body["content"]["application/json"])
    }
}

/// One operation of a spec, resolved enough to build and check a request from it.
#[derive(Clone, Debug)]
pub struct Operation {
    /// The spec's `operationId`.
    pub id: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// Path template, e.g. `/accounts/{accountId}/plans`.
    pub path: String,
    /// Path-item and operation parameters, `$ref`s followed.
    pub params: Vec<Param>,
    /// Media type of the request body, if there is one.
    pub body_media_type: Option<String>,
    /// Request body examples.
    pub body_examples: Vec<Example>,
    /// Every documented status with its JSON examples (none for no-content statuses).
    pub responses: Vec<(u16, Vec<Example>)>,
}

/// A parameter of an operation.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its name.
    pub name: String,
    /// `path`, `query` or `header`.
    pub location: String,
    /// Whether it is required.
    pub required: bool,
    /// Its `example`, if it has one.
    pub example: Option<Value>,
}

impl Operation {
    /// The path with every path parameter replaced by its example.
    pub fn example_path(&self) -> String {
        let mut path = self.path.clone();
        for param in self.params.iter().filter(|p| p.location == "path") {
            let value = param.example.as_ref().map(plain).unwrap_or_default();
            path = path.replace(&format!("{{{}}}", param.name), &value);
        }
        path
    }

    /// Arguments for `dispatch::call`-style functions: every parameter example and the first
    /// request-body example.
    pub fn example_args(&self) -> (serde_json::Map<String, Value>, Option<Value>) {
        let params = self
            .params
            .iter()
            .filter_map(|p| p.example.clone().map(|e| (p.name.clone(), e)))
            .collect();
        (params, self.body_examples.first().map(|e| e.value.clone()))
    }
}

/// A JSON scalar as it appears in a URL or header (strings without quotes).
pub fn plain(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Spec {
    /// Every operation, in spec order.
    pub fn operations(&self) -> Vec<Operation> {
        openapi::operations(&self.doc)
            .into_iter()
            .map(|op| {
                let params = openapi::parameters(&self.doc, &op)
                    .into_iter()
                    .map(|param| Param {
                        name: param.name().to_owned(),
                        location: param.location().to_owned(),
                        required: param.required(),
                        example: param.value.get("example").cloned(),
                    })
                    .collect();
                let body = op.value.get("requestBody").map(|b| self.deref(b));
                let (body_media_type, body_examples) = match body {
                    Some(body) => {
                        let (media_type, media) = body["content"]
                            .as_object()
                            .and_then(|c| c.iter().next())
                            .expect("a body media type");
                        (Some(media_type.clone()), self.examples_of(media))
                    }
                    None => (None, Vec::new()),
                };
                let responses = op.value["responses"]
                    .as_object()
                    .expect("responses")
                    .iter()
                    .map(|(status, response)| {
                        let response = self.deref(response);
                        (
                            status.parse().expect("numeric status"),
                            self.examples_of(&response["content"]["application/json"]),
                        )
                    })
                    .collect();
                Operation {
                    id: op.operation_id().expect("an operationId").to_owned(),
                    method: op.method.to_uppercase(),
                    path: op.path.to_owned(),
                    params,
                    body_media_type,
                    body_examples,
                    responses,
                }
            })
            .collect()
    }

    /// Examples of a media type object, following `$ref`s to `components/examples`. Panics
    /// when one cannot be read (a broken `$ref`, an `externalValue`): the tests built from
    /// the examples must not silently lose a case.
    fn examples_of(&self, media: &Value) -> Vec<Example> {
        let found: Vec<Example> = openapi::media_examples(&self.doc, media)
            .into_iter()
            .map(|e| Example {
                name: e.name.to_owned(),
                value: e.value.clone(),
            })
            .collect();
        let written = usize::from(media.get("example").is_some())
            + media
                .get("examples")
                .and_then(Value::as_object)
                .map_or(0, serde_json::Map::len);
        assert_eq!(found.len(), written, "unreadable examples in {media}");
        found
    }
}

/// The result of calling an operation through a generated client and its `dispatch` module
/// (the same types for every client: `vendor_types::dispatch`).
pub type Answer = Result<Outcome, DispatchError>;

/// Calls operation `id` of the spec `spec` (e.g. `zoom/oauth.yaml`) at `base_url` through its
/// generated client and `dispatch` module. `headers` go on every request (credentials,
/// `Prefer`, ...).
pub async fn call(
    spec: &str,
    base_url: &str,
    headers: reqwest::header::HeaderMap,
    id: &str,
    params: serde_json::Map<String, Value>,
    body: Option<Value>,
) -> Answer {
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .expect("an HTTP client");
    call_with(spec, base_url, http, id, params, body).await
}

/// Like [`call`], with the HTTP client the generated client is built on (e.g. one from a
/// crate's credential helpers).
pub async fn call_with(
    spec: &str,
    base_url: &str,
    http: reqwest::Client,
    id: &str,
    params: serde_json::Map<String, Value>,
    body: Option<Value>,
) -> Answer {
    match spec {
        "zoom/billing-plans.yaml" => {
            let client = zoom_billing::Client::new_with_client(base_url, http);
            let args = zoom_billing::dispatch::Args { params, body };
            zoom_billing::dispatch::call(&client, id, &args).await
        }
        "zoom/oauth.yaml" => {
            let client = zoom_billing::oauth::Client::new_with_client(base_url, http);
            let args = zoom_billing::oauth::dispatch::Args { params, body };
            zoom_billing::oauth::dispatch::call(&client, id, &args).await
        }
        "huawei/meeting.yaml" => {
            let client = huawei_meeting::Client::new_with_client(base_url, http);
            let args = huawei_meeting::dispatch::Args { params, body };
            huawei_meeting::dispatch::call(&client, id, &args).await
        }
        "webex/admin.yaml" => {
            let client = webex_admin::Client::new_with_client(base_url, http);
            let args = webex_admin::dispatch::Args { params, body };
            webex_admin::dispatch::call(&client, id, &args).await
        }
        other => panic!("no generated client for {other}"),
    }
}

/// Every spec with a generated client, as `call` names them.
pub const SPECS: &[&str] = &[
    "zoom/billing-plans.yaml",
    "zoom/oauth.yaml",
    "huawei/meeting.yaml",
    "webex/admin.yaml",
];

/// Checks an answer against the example the server should have sent (`None`: no body).
pub fn check_answer(context: &str, answer: Answer, status: u16, example: Option<&Value>) {
    let (got_status, body, success) = match answer {
        Ok(Outcome::Success { status, body }) => (status, body, true),
        Ok(Outcome::VendorError { status, body }) => (status, body, false),
        Err(err) => panic!("{context}: {err}"),
    };
    assert_eq!(got_status, status, "{context}");
    assert_eq!(
        success,
        (200..300).contains(&status),
        "{context}: success vs typed vendor error"
    );
    match example {
        Some(example) => {
            // Any difference beyond the lossless ones of [`Representation`] is an error here.
            if let Err(difference) = compare_json(example, &body) {
                panic!("{context}: the answer differs from the example at {difference}");
            }
        }
        None => assert_eq!(body, Value::Null, "{context}: no body expected"),
    }
}

/// A difference between a JSON document and its re-encoding that loses no information.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Representation {
    /// A number kept its value but changed form: a JSON integer decoded into an `f64` field
    /// re-encodes as `21.0`.
    Number(String),
    /// A `null` property or an empty array was dropped: optional nullable fields decode `null`
    /// and absent alike, optional arrays `[]` and absent alike, and re-encode as absent.
    NullDropped(String),
}

/// Compares an original JSON document with its re-encoding.
///
/// Returns the differences that lose no information (see [`Representation`]); any other
/// difference is an error naming the first place that differs.
pub fn compare_json(original: &Value, reencoded: &Value) -> Result<Vec<Representation>, String> {
    fn go(a: &Value, b: &Value, ptr: String, out: &mut Vec<Representation>) -> Result<(), String> {
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                if x == y {
                    Ok(())
                } else if x.as_f64() == y.as_f64() {
                    out.push(Representation::Number(ptr));
                    Ok(())
                } else {
                    Err(format!("{ptr}: {x} became {y}"))
                }
            }
            (Value::Object(x), Value::Object(y)) => {
                // Each key once: those of the original, then any the re-encoding added.
                for (key, a) in x {
                    let at = format!("{ptr}/{key}");
                    match (a, y.get(key)) {
                        (a, Some(b)) => go(a, b, at, out)?,
                        (Value::Null, None) => out.push(Representation::NullDropped(at)),
                        // Optional arrays decode `[]` and absent alike (an empty `Vec`).
                        (Value::Array(items), None) if items.is_empty() => {
                            out.push(Representation::NullDropped(at))
                        }
                        (_, None) => return Err(format!("{at}: dropped")),
                    }
                }
                if let Some(key) = y.keys().find(|k| !x.contains_key(*k)) {
                    return Err(format!("{ptr}/{key}: added"));
                }
                Ok(())
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
                for (i, (a, b)) in x.iter().zip(y).enumerate() {
                    go(a, b, format!("{ptr}/{i}"), out)?;
                }
                Ok(())
            }
            _ if a == b => Ok(()),
            _ => Err(format!("{ptr}: {a} became {b}")),
        }
    }
    let mut out = Vec::new();
    go(original, reencoded, String::new(), &mut out)?;
    out.sort();
    Ok(out)
}

/// The pointers of [`Representation::Number`] differences only.
pub fn number_changes(differences: &[Representation]) -> Vec<String> {
    differences
        .iter()
        .filter_map(|d| match d {
            Representation::Number(ptr) => Some(ptr.clone()),
            Representation::NullDropped(_) => None,
        })
        .collect()
}

/// A request as the server received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Request headers.
    pub headers: HeaderMap,
    /// The body bytes.
    pub body: Bytes,
}

impl Recorded {
    /// A header as a string (`None` when absent).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    replies: VecDeque<(u16, Option<Value>)>,
}

/// An HTTP/1.1 server on `127.0.0.1:0` that records requests and answers with queued replies.
///
/// Requests arriving with no reply queued get a 599 so the test fails loudly.
pub struct RecordingServer {
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    _shutdown: oneshot::Sender<()>,
}

impl RecordingServer {
    /// Binds a free port on loopback and starts serving on the current tokio runtime.
    pub async fn start() -> RecordingServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let (shutdown, mut stop) = oneshot::channel::<()>();
        let shared = state.clone();
        tokio::spawn(async move {
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => continue,
                    },
                    _ = &mut stop => break,
                };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| handle(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        RecordingServer {
            addr,
            state,
            _shutdown: shutdown,
        }
    }

    /// `http://127.0.0.1:<port><prefix>`.
    pub fn url(&self, prefix: &str) -> String {
        format!("http://{}{prefix}", self.addr)
    }

    /// Queues a JSON reply for the next request.
    pub fn reply(&self, status: u16, body: Value) {
        self.state
            .lock()
            .unwrap()
            .replies
            .push_back((status, Some(body)));
    }

    /// Queues a reply without a body (for 204 and other no-content statuses).
    pub fn reply_empty(&self, status: u16) {
        self.state.lock().unwrap().replies.push_back((status, None));
    }

    /// Takes the requests received so far.
    pub fn take_requests(&self) -> Vec<Recorded> {
        std::mem::take(&mut self.state.lock().unwrap().requests)
    }
}

async fn handle(
    state: Arc<Mutex<State>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let reply = {
        let mut state = state.lock().unwrap();
        state.requests.push(Recorded {
            method: parts.method.to_string(),
            uri: parts.uri.to_string(),
            headers: parts.headers,
            body,
        });
        state.replies.pop_front()
    };
    let (status, body) = reply.unwrap_or((599, Some(Value::String("no reply queued".into()))));
    let mut response = Response::new(Full::new(match &body {
        Some(body) => Bytes::from(body.to_string()),
        None => Bytes::new(),
    }));
    *response.status_mut() = hyper::StatusCode::from_u16(status).expect("valid status");
    if body.is_some() {
        response.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("application/json"),
        );
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::{Representation, compare_json};
    use serde_json::json;

    #[test]
    fn compare_json_separates_representation_from_real_changes() {
        let a = json!({"x": 21, "y": [1, {"z": "s"}]});
        assert_eq!(
            compare_json(&a, &json!({"x": 21.0, "y": [1, {"z": "s"}]})),
            Ok(vec![Representation::Number("/x".to_owned())])
        );
        assert_eq!(
            compare_json(&json!({"n": null, "k": 1}), &json!({"k": 1})),
            Ok(vec![Representation::NullDropped("/n".to_owned())])
        );
        assert_eq!(
            compare_json(&json!({"e": [], "k": 1}), &json!({"k": 1})),
            Ok(vec![Representation::NullDropped("/e".to_owned())])
        );
        assert!(compare_json(&json!({"n": 0}), &json!({})).is_err());
        assert!(compare_json(&json!({"a": [1]}), &json!({})).is_err());
        assert_eq!(compare_json(&a, &a), Ok(vec![]));
        assert!(compare_json(&a, &json!({"x": 22, "y": [1, {"z": "s"}]})).is_err());
        assert!(
            compare_json(&a, &json!({"y": [1, {"z": "s"}]}))
                .unwrap_err()
                .contains("/x: dropped")
        );
        assert!(compare_json(&a, &json!({"x": 21, "y": [1, {"z": "t"}]})).is_err());
    }
}

//! The specs compiled for serving: routes, parameters, body schemas, and every response
//! example pre-serialized, so answering a request is a lookup.

use bytes::Bytes;
use hyper::Method;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::{Map, Value};
use spec_core::schema::SchemaValidator;
use spec_core::{openapi, pointer};

use crate::specs::EmbeddedSpec;
use crate::vendor::{Families, Vendor};

/// Why the embedded specs could not be compiled (a build with a broken spec).
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ModelError {
    /// The spec file.
    pub file: String,
    /// What is wrong.
    pub message: String,
}

/// All served specs.
#[derive(Debug)]
pub struct Model {
    /// The specs, in embedding order.
    pub specs: Vec<SpecModel>,
}

/// One spec, ready to serve.
#[derive(Debug)]
pub struct SpecModel {
    /// Spec path in the workspace.
    pub file: &'static str,
    /// Whose API it is.
    pub vendor: Vendor,
    /// Vendor prefix (`/zoom`).
    pub prefix: &'static str,
    /// Prefix plus the path of the first server URL (`/zoom/v2`).
    pub mount: String,
    /// Validator over the whole document.
    pub validator: SchemaValidator,
    /// Operations in spec order.
    pub ops: Vec<Op>,
}

/// One path segment of a template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// Must equal this text.
    Literal(String),
    /// Captures the named path parameter.
    Param(String),
}

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// In the path.
    Path,
    /// In the query string.
    Query,
    /// In a header.
    Header,
}

/// A parameter of an operation.
#[derive(Clone, Debug)]
pub struct Param {
    /// Its name (headers compare case-insensitively).
    pub name: String,
    /// Where it goes.
    pub location: Location,
    /// Whether it must be present.
    pub required: bool,
    /// Its schema and the schema's pointer.
    pub schema: (String, Value),
    /// The parameter's `example`, if it has one.
    pub example: Option<Value>,
    /// The JSON type its text is read as (the `type` of its schema, `$ref`s followed).
    pub kind: ParamKind,
    /// For a schema that says no more than `type: string` and length bounds (besides
    /// annotations), those bounds: a value within them is valid without running the validator.
    pub plain_string: Option<LengthBounds>,
}

/// The JSON type a parameter's text is read as before validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// `type: integer`: a whole number if it parses, else the text.
    Integer,
    /// `type: number`: a number if it parses, else the text.
    Number,
    /// `type: boolean`: `true` or `false`, else the text.
    Boolean,
    /// Anything else: the text.
    Text,
}

/// `minLength` and `maxLength` of a plain string schema.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LengthBounds {
    /// `minLength`.
    pub min: Option<u64>,
    /// `maxLength`.
    pub max: Option<u64>,
}

impl LengthBounds {
    /// Whether `text` (counted in characters, as the validator counts) is within the bounds.
    pub fn admit(&self, text: &str) -> bool {
        if self.min.is_none() && self.max.is_none() {
            return true;
        }
        let len = text.chars().count() as u64;
        self.min.is_none_or(|min| len >= min) && self.max.is_none_or(|max| len <= max)
    }
}

/// The kind and, for a plain string, the length bounds of a parameter schema.
fn param_schema(doc: &Value, schema: &Value) -> (ParamKind, Option<LengthBounds>) {
    let Some((_, resolved)) = pointer::follow_refs(doc, "", schema) else {
        // The validator reports the broken `$ref`.
        return (ParamKind::Text, None);
    };
    let kind = match resolved.get("type").and_then(Value::as_str) {
        Some("integer") => ParamKind::Integer,
        Some("number") => ParamKind::Number,
        Some("boolean") => ParamKind::Boolean,
        _ => ParamKind::Text,
    };
    // Keywords the validator does not look at for a string (annotations), and the bounds.
    const ANNOTATIONS: [&str; 4] = ["description", "title", "example", "deprecated"];
    let Some(object) = resolved.as_object() else {
        return (kind, None);
    };
    let mut bounds = LengthBounds::default();
    for (key, value) in object {
        match key.as_str() {
            "type" if value == "string" => {}
            // A bound that is not a whole number is left to the validator.
            "minLength" | "maxLength" => {
                let Some(n) = value.as_u64() else {
                    return (kind, None);
                };
                if key == "minLength" {
                    bounds.min = Some(n);
                } else {
                    bounds.max = Some(n);
                }
            }
            key if ANNOTATIONS.contains(&key) || key.starts_with("x-") => {}
            _ => return (kind, None),
        }
    }
    let plain = object.get("type").is_some_and(|t| t == "string");
    (kind, plain.then_some(bounds))
}

/// A request body.
#[derive(Clone, Debug)]
pub struct Body {
    /// The one documented media type.
    pub media_type: String,
    /// Whether the body must be present.
    pub required: bool,
    /// Its schema and the schema's pointer.
    pub schema: (String, Value),
    /// Request-body examples (for token checks that need known values).
    pub examples: Vec<Value>,
}

/// An example of a response, pre-serialized.
#[derive(Clone, Debug)]
pub struct Example {
    /// Its name in the spec (`example` for a lone `example`).
    pub name: String,
    /// The value.
    pub value: Value,
    /// The value as sent.
    pub bytes: Bytes,
}

/// A documented response.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status.
    pub status: u16,
    /// Its media type, if it has a body.
    pub media_type: Option<String>,
    /// Its examples (a body generated from the schema when there are none).
    pub examples: Vec<Example>,
    /// Documented response headers that have an example value.
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

/// How a security scheme is checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    /// `Authorization: Bearer <issued token>`.
    Bearer,
    /// `Authorization: Basic <client id:secret>`.
    Basic,
    /// An issued token in this header.
    TokenHeader(String),
    /// Huawei's App ID HMAC signature in this header.
    AppIdSignature(String),
}

/// What a token operation does (the spec's `x-sandbox-role`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Issues tokens to valid credentials.
    TokenGrant,
    /// Says whether a token in the body is valid.
    TokenValidation,
    /// Exchanges a refresh token for a new access token.
    TokenRefresh,
}

/// One operation.
#[derive(Clone, Debug)]
pub struct Op {
    /// Index across all specs (for counters).
    pub index: usize,
    /// The spec's `operationId`.
    pub id: String,
    /// The HTTP method.
    pub method: Method,
    /// The path template as written in the spec.
    pub path: String,
    /// The template split into segments, relative to the mount.
    pub segments: Vec<Segment>,
    /// Parameters (path item and operation level merged).
    pub params: Vec<Param>,
    /// The request body, if any.
    pub body: Option<Body>,
    /// Documented responses in spec order.
    pub responses: Vec<Response>,
    /// Alternatives of security requirements (any one must pass entirely); empty = public.
    pub security: Vec<Vec<Check>>,
    /// A token operation's role.
    pub role: Option<Role>,
    /// The vendor's rate-limit label (`x-rate-limit`).
    pub rate_limit: Option<String>,
    /// What the operation does in fleet mode (`x-sandbox-fleet`).
    pub fleet: Option<FleetRole>,
}

/// What an operation does in the sandbox's fleet mode (the spec's `x-sandbox-fleet`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FleetRole {
    /// A paged list of the fleet's accounts.
    List(ListRole),
    /// A report about one account, named by a path parameter.
    PerAccount(PerAccountRole),
}

/// A paged list of generated accounts (`role: sub-account-list`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRole {
    /// The response's array field holding the accounts.
    pub list: String,
    /// The id field of each item.
    pub id: String,
    /// Item fields rendered from text templates (`{n}`: 1-based position, `{id}`: the id).
    pub item: Vec<(String, String)>,
    /// The page-size query parameter (repeated in the response under the same name).
    pub page_size: String,
    /// Its default (the schema's `default`, else 30).
    pub default_page_size: u64,
    /// Its maximum (the schema's `maximum`, else unbounded).
    pub max_page_size: u64,
    /// The page-number query parameter, if any (repeated in the response).
    pub page_number: Option<String>,
    /// The page-token query parameter (the next page's token goes into the response field of
    /// the same name).
    pub page_token: String,
    /// The response field counting all records, if any.
    pub total: Option<String>,
    /// The response field counting pages, if any.
    pub pages: Option<String>,
    /// The documented error answered for an unknown, stale or expired page token: status and
    /// example name.
    pub invalid_token: (u16, String),
}

/// A report about one generated account (`role: per-account`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PerAccountRole {
    /// The path parameter naming the account.
    pub parameter: String,
    /// The parameter's example value, which keeps answering the spec's example.
    pub parameter_example: Option<String>,
    /// The field of what an account bought (varied per account).
    pub capacity: String,
    /// The field of what it uses (above `capacity` for over-allocated accounts).
    pub used: String,
    /// The documented error answered for an unknown or missing account: status and example
    /// name.
    pub not_found: (u16, String),
}

impl Op {
    /// The default success response: the first 2xx in spec order.
    pub fn success(&self) -> Option<&Response> {
        self.responses
            .iter()
            .find(|r| (200..300).contains(&r.status))
    }

    /// The documented response of a status.
    pub fn response(&self, status: u16) -> Option<&Response> {
        self.responses.iter().find(|r| r.status == status)
    }
}

impl Model {
    /// Compiles the embedded specs.
    pub fn compile(embedded: &[EmbeddedSpec]) -> Result<Model, ModelError> {
        let mut specs = Vec::new();
        let mut next_index = 0;
        let mut families = Families::default();
        for spec in embedded {
            let fail = |message: String| ModelError {
                file: spec.file.to_owned(),
                message,
            };
            let doc = spec_core::yaml::parse(spec.source)
                .map_err(|err| fail(err.to_string()))?
                .value;
            let server_path = doc
                .pointer("/servers/0/url")
                .and_then(Value::as_str)
                .map(url_path)
                .unwrap_or_default();
            let mount = format!("{}{}", spec.prefix, server_path.trim_end_matches('/'));
            let vendor = doc
                .get("x-sandbox-vendor")
                .ok_or_else(|| "no x-sandbox-vendor extension".to_owned())
                .and_then(|ext| Vendor::compile(ext, &mut families))
                .map_err(|e| fail(format!("x-sandbox-vendor: {e}")))?;
            let ops = compile_ops(&doc, &mut next_index).map_err(fail)?;
            if vendor.tokens.access.is_empty() && ops.iter().any(|op| op.role.is_some()) {
                return Err(fail(
                    "x-sandbox-vendor: tokens.access is required with token operations".into(),
                ));
            }
            specs.push(SpecModel {
                file: spec.file,
                vendor,
                prefix: spec.prefix,
                mount,
                validator: SchemaValidator::new(doc),
                ops,
            });
        }
        Ok(Model { specs })
    }

    /// Number of operations across all specs.
    pub fn op_count(&self) -> usize {
        self.specs.iter().map(|s| s.ops.len()).sum()
    }
}

/// The path of a URL (`https://api.zoom.us/v2` → `/v2`).
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    match rest.find('/') {
        Some(i) => rest[i..].to_owned(),
        None => String::new(),
    }
}

/// Follows `$ref`s; an unresolvable one stays as it is (the validator reports it).
fn resolve<'a>(doc: &'a Value, ptr: &str, value: &'a Value) -> (String, &'a Value) {
    pointer::follow_refs(doc, ptr, value).unwrap_or_else(|| (ptr.to_owned(), value))
}

/// The method of an operation (`openapi::METHODS` are all standard HTTP methods).
fn method(name: &str) -> Method {
    match name {
        "get" => Method::GET,
        "put" => Method::PUT,
        "post" => Method::POST,
        "delete" => Method::DELETE,
        "patch" => Method::PATCH,
        "head" => Method::HEAD,
        "options" => Method::OPTIONS,
        _ => Method::TRACE,
    }
}

fn compile_ops(doc: &Value, next_index: &mut usize) -> Result<Vec<Op>, String> {
    let mut ops = Vec::new();
    let root_security = doc.get("security");
    for operation in openapi::operations(doc) {
        let op = operation.value;
        let op_ptr = &operation.pointer;
        let id = operation
            .operation_id()
            .ok_or_else(|| {
                format!(
                    "{} {} has no operationId",
                    operation.method.to_uppercase(),
                    operation.path
                )
            })?
            .to_owned();
        let params = compile_params(doc, &operation);
        let body = compile_body(doc, op_ptr, op);
        let responses = compile_responses(doc, op_ptr, op)?;
        let security = compile_security(doc, op.get("security").or(root_security))
            .map_err(|e| format!("{id}: {e}"))?;
        let role = match op.get("x-sandbox-role").and_then(Value::as_str) {
            Some("token-grant") => Some(Role::TokenGrant),
            Some("token-validation") => Some(Role::TokenValidation),
            Some("token-refresh") => Some(Role::TokenRefresh),
            Some(other) => return Err(format!("{id}: unknown x-sandbox-role `{other}`")),
            None => None,
        };
        let fleet = match op.get("x-sandbox-fleet") {
            None => None,
            Some(ext) => Some(
                compile_fleet(doc, ext, &params, &responses)
                    .map_err(|e| format!("{id}: x-sandbox-fleet: {e}"))?,
            ),
        };
        ops.push(Op {
            index: *next_index,
            id,
            method: method(operation.method),
            path: operation.path.to_owned(),
            segments: segments(operation.path),
            params,
            body,
            responses,
            security,
            role,
            rate_limit: op
                .get("x-rate-limit")
                .and_then(Value::as_str)
                .map(str::to_owned),
            fleet,
        });
        *next_index += 1;
    }
    Ok(ops)
}

/// `/accounts/{accountId}/plans` → literal, param, literal.
pub fn segments(path: &str) -> Vec<Segment> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => Segment::Param(name.to_owned()),
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

fn compile_params(doc: &Value, operation: &openapi::Operation<'_>) -> Vec<Param> {
    openapi::parameters(doc, operation)
        .into_iter()
        .filter_map(|param| {
            let location = match param.location() {
                "path" => Location::Path,
                "query" => Location::Query,
                "header" => Location::Header,
                // Cookie parameters are refused by the validator; nothing to serve.
                _ => return None,
            };
            let schema = param
                .value
                .get("schema")
                .cloned()
                .unwrap_or(Value::Object(Map::new()));
            let (kind, plain_string) = param_schema(doc, &schema);
            Some(Param {
                name: param.name().to_owned(),
                location,
                required: param.required(),
                schema: (pointer::push(&param.pointer, "schema"), schema),
                example: param.value.get("example").cloned(),
                kind,
                plain_string,
            })
        })
        .collect()
}

/// Compiles an `x-sandbox-fleet` extension, checking every name it uses against the
/// operation: the parameters it names exist where they must, the error example is documented.
fn compile_fleet(
    doc: &Value,
    ext: &Value,
    params: &[Param],
    responses: &[Response],
) -> Result<FleetRole, String> {
    let text = |key: &str| -> Result<String, String> {
        ext.get(key)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| format!("`{key}` (a non-empty string) is required"))
    };
    let optional = |key: &str| ext.get(key).and_then(Value::as_str).map(str::to_owned);
    let param = |name: &str, location: Location| -> Result<&Param, String> {
        params
            .iter()
            .find(|p| p.name == name && p.location == location)
            .ok_or_else(|| format!("the operation has no {location:?} parameter `{name}`"))
    };
    let error_example = |key: &str| -> Result<(u16, String), String> {
        let name = text(key)?;
        responses
            .iter()
            .find(|r| r.status >= 400 && r.examples.iter().any(|e| e.name == name))
            .map(|r| (r.status, name.clone()))
            .ok_or_else(|| format!("`{key}`: no error response has an example `{name}`"))
    };
    match ext.get("role").and_then(Value::as_str) {
        Some("sub-account-list") => {
            let page_size = text("page-size")?;
            let schema = &param(&page_size, Location::Query)?.schema.1;
            let (_, schema) = resolve(doc, "", schema);
            let bound = |key: &str| schema.get(key).and_then(Value::as_u64);
            let page_number = optional("page-number");
            if let Some(name) = &page_number {
                param(name, Location::Query)?;
            }
            let page_token = text("page-token")?;
            param(&page_token, Location::Query)?;
            let item = match ext.get("item") {
                None => Vec::new(),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(k, v)| match v {
                        Value::String(t) => Ok((k.clone(), t.clone())),
                        _ => Err(format!("`item.{k}` must be a text template")),
                    })
                    .collect::<Result<_, _>>()?,
                Some(_) => return Err("`item` must map fields to text templates".into()),
            };
            Ok(FleetRole::List(ListRole {
                list: text("list")?,
                id: text("id")?,
                item,
                default_page_size: bound("default").unwrap_or(30).max(1),
                max_page_size: bound("maximum").unwrap_or(u64::MAX).max(1),
                page_size,
                page_number,
                page_token,
                total: optional("total"),
                pages: optional("pages"),
                invalid_token: error_example("invalid-token")?,
            }))
        }
        Some("per-account") => {
            let parameter = text("parameter")?;
            let declared = param(&parameter, Location::Path)?;
            Ok(FleetRole::PerAccount(PerAccountRole {
                parameter_example: declared
                    .example
                    .as_ref()
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                parameter,
                capacity: text("capacity")?,
                used: text("used")?,
                not_found: error_example("not-found")?,
            }))
        }
        Some(other) => Err(format!(
            "unknown role `{other}`; the sandbox knows `sub-account-list` and `per-account`"
        )),
        None => Err("`role` is required".into()),
    }
}

fn compile_body(doc: &Value, op_ptr: &str, op: &Value) -> Option<Body> {
    let (ptr, body) = resolve(
        doc,
        &pointer::push(op_ptr, "requestBody"),
        op.get("requestBody")?,
    );
    let (media_type, media) = body.get("content")?.as_object()?.iter().next()?;
    let schema = media
        .get("schema")
        .cloned()
        .unwrap_or(Value::Object(Map::new()));
    let schema_ptr = pointer::push(
        &pointer::push(&pointer::push(&ptr, "content"), media_type),
        "schema",
    );
    Some(Body {
        media_type: media_type.clone(),
        required: body.get("required") == Some(&Value::Bool(true)),
        schema: (schema_ptr, schema),
        examples: examples_of(doc, media)
            .into_iter()
            .map(|(_, v)| v)
            .collect(),
    })
}

/// The named examples of a media type, owned (a lone `example` is named `example`).
fn examples_of(doc: &Value, media: &Value) -> Vec<(String, Value)> {
    openapi::media_examples(doc, media)
        .into_iter()
        .map(|e| (e.name.to_owned(), e.value.clone()))
        .collect()
}

fn compile_responses(doc: &Value, op_ptr: &str, op: &Value) -> Result<Vec<Response>, String> {
    let mut responses = Vec::new();
    let empty = Map::new();
    let listed = op
        .get("responses")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (status, response) in listed {
        let Ok(status) = status.parse::<u16>() else {
            continue;
        };
        let (_, response) = resolve(doc, &pointer::push(op_ptr, "responses"), response);
        let content = response.get("content").and_then(Value::as_object);
        let (media_type, examples) = match content.and_then(|c| c.iter().next()) {
            Some((media_type, media)) => {
                let mut examples = examples_of(doc, media);
                if examples.is_empty()
                    && let Some(schema) = media.get("schema")
                {
                    examples.push(("generated".to_owned(), generate(doc, schema, 0)));
                }
                (Some(media_type.clone()), examples)
            }
            None => (None, Vec::new()),
        };
        let examples = examples
            .into_iter()
            .map(|(name, value)| {
                let bytes = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
                Example { name, value, bytes }
            })
            .collect();
        let mut headers = Vec::new();
        for (name, header) in response
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let (_, header) = resolve(doc, "", header);
            let example = header
                .get("example")
                .or_else(|| header.pointer("/schema/example"))
                .and_then(|e| match e {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()),
                example.map(|e| HeaderValue::from_str(&e)),
            ) {
                headers.push((name, value));
            }
        }
        responses.push(Response {
            status,
            media_type,
            examples,
            headers,
        });
    }
    Ok(responses)
}

/// The checks of an operation's security requirements: one list per alternative. A scheme
/// the sandbox cannot check is an error, so an operation never becomes public by accident.
fn compile_security(doc: &Value, requirements: Option<&Value>) -> Result<Vec<Vec<Check>>, String> {
    let mut alternatives = Vec::new();
    for requirement in requirements.and_then(Value::as_array).into_iter().flatten() {
        let mut checks = Vec::new();
        for name in requirement
            .as_object()
            .into_iter()
            .flatten()
            .map(|(k, _)| k)
        {
            let (_, scheme) = doc
                .pointer(&pointer::from_tokens([
                    "components",
                    "securitySchemes",
                    name,
                ]))
                .map(|s| resolve(doc, "", s))
                .ok_or_else(|| {
                    format!(
                        "security scheme `{name}` is not declared in components.securitySchemes"
                    )
                })?;
            let header = scheme
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned();
            let check = match (
                scheme.get("type").and_then(Value::as_str),
                scheme
                    .get("scheme")
                    .and_then(Value::as_str)
                    .map(str::to_ascii_lowercase),
                scheme.get("in").and_then(Value::as_str),
            ) {
                (Some("http"), Some(s), _) if s == "bearer" => Check::Bearer,
                (Some("http"), Some(s), _) if s == "basic" => Check::Basic,
                (Some("apiKey"), _, Some("header")) if !header.is_empty() => {
                    match scheme.get("x-sandbox-check") {
                        None => Check::TokenHeader(header),
                        Some(Value::String(check)) if check == "app-id-signature" => {
                            Check::AppIdSignature(header)
                        }
                        Some(other) => {
                            return Err(format!(
                                "security scheme `{name}`: unknown x-sandbox-check {other}; the sandbox knows \"app-id-signature\""
                            ));
                        }
                    }
                }
                (None, _, _) => {
                    return Err(format!(
                        "security scheme `{name}` has no `type` (or its `$ref` does not resolve)"
                    ));
                }
                (kind, http_scheme, location) => {
                    return Err(format!(
                        "security scheme `{name}` ({}) cannot be checked by the sandbox; \
                         it supports http bearer, http basic and apiKey in a header",
                        [kind, http_scheme.as_deref(), location]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(" ")
                    ));
                }
            };
            checks.push(check);
        }
        alternatives.push(checks);
    }
    // `security: [{}]` or `security: []` make an operation public.
    if alternatives.iter().any(Vec::is_empty) {
        return Ok(Vec::new());
    }
    Ok(alternatives)
}

/// A value for a schema without examples: its `example`, else a minimal valid value.
pub fn generate(doc: &Value, schema: &Value, depth: usize) -> Value {
    if depth > 8 {
        return Value::Null;
    }
    let (_, schema) = resolve(doc, "", schema);
    if let Some(example) = schema.get("example") {
        return example.clone();
    }
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|e| e.first())
    {
        return first.clone();
    }
    if let Some(branch) = ["allOf", "oneOf", "anyOf"].iter().find_map(|k| {
        schema
            .get(*k)
            .and_then(Value::as_array)
            .and_then(|a| a.first())
    }) {
        return generate(doc, branch, depth + 1);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") | None if schema.get("properties").is_some() => {
            let mut map = Map::new();
            let required: Vec<&str> = schema
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for (name, prop) in schema
                .get("properties")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if required.contains(&name.as_str()) {
                    map.insert(name.clone(), generate(doc, prop, depth + 1));
                }
            }
            Value::Object(map)
        }
        Some("object") => Value::Object(Map::new()),
        Some("array") => Value::Array(Vec::new()),
        Some("integer") => Value::from(schema.get("minimum").and_then(Value::as_i64).unwrap_or(0)),
        Some("number") => Value::from(schema.get("minimum").and_then(Value::as_f64).unwrap_or(0.0)),
        Some("boolean") => Value::Bool(false),
        Some("string") => Value::String("string".into()),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::specs::EMBEDDED;

    #[test]
    fn every_embedded_spec_compiles() {
        let model = Model::compile(EMBEDDED).unwrap();
        let mounts: Vec<&str> = model.specs.iter().map(|s| s.mount.as_str()).collect();
        assert_eq!(mounts, ["/zoom/v2", "/zoom", "/huawei", "/webex/v1"]);
        assert_eq!(model.op_count(), 9 + 1 + 6 + 3);
        // Families by name: both Zoom documents share one, every other vendor has its own.
        let families: Vec<u16> = model.specs.iter().map(|s| s.vendor.family.0).collect();
        assert_eq!(families, [0, 0, 1, 2]);
        let usage = &model.specs[0].ops[0];
        assert_eq!(usage.id, "GetPlanUsage");
        assert_eq!(usage.security, vec![vec![Check::Bearer]]);
        assert_eq!(usage.success().unwrap().examples[0].name, "seed-000");
        let grant = &model.specs[2]
            .ops
            .iter()
            .find(|o| o.id == "CreateAppIdToken")
            .unwrap();
        assert_eq!(grant.role, Some(Role::TokenGrant));
        assert_eq!(
            grant.security,
            vec![vec![Check::AppIdSignature("Authorization".into())]]
        );
        let list = model.specs[0]
            .ops
            .iter()
            .find(|o| o.id == "ListSubAccounts")
            .unwrap();
        let Some(FleetRole::List(role)) = &list.fleet else {
            panic!("{:?}", list.fleet)
        };
        assert_eq!(
            (role.default_page_size, role.max_page_size),
            (30, 300),
            "bounds come from the parameter's schema"
        );
        assert_eq!(role.invalid_token, (400, "expired-page-token".into()));
        let Some(FleetRole::PerAccount(role)) = &usage.fleet else {
            panic!("{:?}", usage.fleet)
        };
        assert_eq!(role.parameter_example.as_deref(), Some("me"));
        assert_eq!(role.not_found, (404, "account-not-found".into()));
        let validate = model.specs[2]
            .ops
            .iter()
            .find(|o| o.id == "ValidateToken")
            .unwrap();
        assert!(validate.security.is_empty(), "security: [] is public");
    }

    fn compile_one(source: &'static str) -> Result<Model, ModelError> {
        Model::compile(&[EmbeddedSpec {
            file: "test.yaml",
            source,
            prefix: "/t",
        }])
    }

    #[test]
    fn security_the_sandbox_cannot_check_is_refused_not_skipped() {
        let spec = |schemes: &str, requirement: &str| -> &'static str {
            format!(
                "openapi: 3.0.3\ninfo: {{title: t, version: '1'}}\n\
                 x-sandbox-vendor: {{family: t, request-id: {{header: x}}, errors: {{message: m}}}}\n\
                 paths:\n  /x:\n    get:\n      \
                 operationId: X\n      security: [{{{requirement}: []}}]\n      responses:\n        \
                 '204': {{description: none}}\ncomponents:\n  securitySchemes:\n{schemes}"
            )
            .leak()
        };
        let cases = [
            (
                "    b: {type: http, scheme: bearer}\n",
                "missing",
                "not declared",
            ),
            (
                "    o: {type: oauth2, flows: {clientCredentials: {tokenUrl: 'https://x', scopes: {}}}}\n",
                "o",
                "oauth2",
            ),
            (
                "    k: {type: apiKey, in: query, name: key}\n",
                "k",
                "apiKey query",
            ),
            ("    d: {type: http, scheme: digest}\n", "d", "http digest"),
            (
                "    k: {type: apiKey, in: header, name: X-Key, x-sandbox-check: app-id-sig}\n",
                "k",
                "unknown x-sandbox-check",
            ),
            (
                "    r: {$ref: '#/components/securitySchemes/nowhere'}\n",
                "r",
                "no `type`",
            ),
        ];
        for (schemes, requirement, expected) in cases {
            let err = compile_one(spec(schemes, requirement)).unwrap_err();
            assert!(err.message.starts_with("X: "), "{err}");
            assert!(err.message.contains(expected), "{requirement}: {err}");
        }
        let ok = compile_one(spec(
            "    k: {type: apiKey, in: header, name: X-Key}\n",
            "k",
        ))
        .unwrap();
        assert_eq!(
            ok.specs[0].ops[0].security,
            vec![vec![Check::TokenHeader("X-Key".into())]]
        );
    }

    #[test]
    fn a_spec_without_its_vendor_extension_is_refused() {
        let err =
            compile_one("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.yaml: x-sandbox-vendor: no x-sandbox-vendor extension"
        );
    }

    #[test]
    fn token_operations_need_the_access_token_field() {
        let err = compile_one(
            "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n\
             x-sandbox-vendor: {family: t, request-id: {header: x}, errors: {message: m}}\n\
             paths:\n  /token:\n    post:\n      operationId: T\n      \
             x-sandbox-role: token-grant\n      security: []\n      responses:\n        \
             '204': {description: none}\n",
        )
        .unwrap_err();
        assert!(err.message.contains("tokens.access is required"), "{err}");
    }

    #[test]
    fn parameter_schemas_are_resolved_once() {
        let doc = serde_json::json!({"components": {"schemas": {
            "Id": {"type": "string", "minLength": 1, "description": "an id", "x-note": 1},
            "Ref": {"$ref": "#/components/schemas/Id"},
            "Count": {"type": "integer"},
        }}});
        let cases = [
            (
                serde_json::json!({"$ref": "#/components/schemas/Ref"}),
                ParamKind::Text,
                Some(LengthBounds {
                    min: Some(1),
                    max: None,
                }),
            ),
            (
                serde_json::json!({"$ref": "#/components/schemas/Count"}),
                ParamKind::Integer,
                None,
            ),
            (
                serde_json::json!({"type": "string"}),
                ParamKind::Text,
                Some(LengthBounds::default()),
            ),
            (
                serde_json::json!({"type": "string", "pattern": "^a$"}),
                ParamKind::Text,
                None,
            ),
            (
                serde_json::json!({"type": "string", "format": "date"}),
                ParamKind::Text,
                None,
            ),
            (
                serde_json::json!({"type": "string", "minLength": "1"}),
                ParamKind::Text,
                None,
            ),
            (
                serde_json::json!({"type": "string", "enum": ["a"]}),
                ParamKind::Text,
                None,
            ),
            (
                serde_json::json!({"$ref": "#/nowhere"}),
                ParamKind::Text,
                None,
            ),
            (serde_json::json!({}), ParamKind::Text, None),
            (
                serde_json::json!({"type": "boolean"}),
                ParamKind::Boolean,
                None,
            ),
        ];
        for (schema, kind, plain) in cases {
            assert_eq!(param_schema(&doc, &schema), (kind, plain), "{schema}");
        }
        let bounds = LengthBounds {
            min: Some(2),
            max: Some(3),
        };
        assert!(!bounds.admit("é") && bounds.admit("éé") && !bounds.admit("abcd"));
        assert!(LengthBounds::default().admit(""));
    }

    #[test]
    fn urls_and_templates() {
        assert_eq!(url_path("https://api.zoom.us/v2"), "/v2");
        assert_eq!(url_path("https://zoom.us"), "");
        assert_eq!(
            segments("/accounts/{accountId}/plans"),
            [
                Segment::Literal("accounts".into()),
                Segment::Param("accountId".into()),
                Segment::Literal("plans".into())
            ]
        );
    }
}

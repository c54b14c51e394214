//! The `pub mod dispatch` appended to each generated client: call any operation by its spec
//! `operationId` with JSON arguments.
//!
//! Spec-driven tests (the wire tests, the sandbox matrix) iterate over a spec's operations and
//! examples; they cannot name each typed builder method. This module bridges the two: for
//! every operation it decodes each JSON argument into the *exact* type the generated setter
//! takes, sends the request through the typed builder, and re-encodes the typed answer.
//!
//! The setter types are read from progenitor's own output (the `where V: TryInto<T>` bound of
//! each setter), so nothing here re-implements progenitor's naming; a parameter the generated
//! builder does not have is a generation error naming the spec.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{GenericArgument, ImplItem, Item, PathArguments, ReturnType, Type, WherePredicate};

use crate::diagnostics::Diagnostic;
use crate::validate::{LoadedSpec, walk};

/// One builder of the generated code: its setters and their value types.
#[derive(Default)]
struct Builder {
    setters: BTreeMap<String, Type>,
    has_send: bool,
}

/// Builds the dispatch module for a spec from progenitor's output.
pub fn module(spec: &LoadedSpec, code: &syn::File) -> Result<syn::File, Box<Diagnostic>> {
    let methods = client_methods(code);
    let builders = builders(code);
    let root = spec.value();
    let mut arms = Vec::new();
    let mut ids = Vec::new();
    for op in walk::operations(root) {
        let Some(id) = op.operation_id() else {
            continue;
        };
        let fail =
            |message: String| Box::new(spec.diagnostic("generator-dry-run", &op.pointer, message));
        let (method, builder_name) = methods
            .iter()
            .find(|(method, _)| normalize(method) == normalize(id))
            .ok_or_else(|| {
                fail(format!(
                    "dispatch: progenitor generated no method for `{id}`"
                ))
            })?;
        let builder = builders
            .get(builder_name)
            .filter(|b| b.has_send)
            .ok_or_else(|| {
                fail(format!(
                    "dispatch: no builder `{builder_name}` with `send` for `{id}`"
                ))
            })?;
        let mut setters = Vec::new();
        let mut names: Vec<String> = walk::parameters(root, &op)
            .iter()
            .map(|p| p.name().to_owned())
            .collect();
        if op.value.get("requestBody").is_some() {
            names.push("body".to_owned());
        }
        for name in names {
            let (setter, ty) = builder
                .setters
                .iter()
                .find(|(setter, _)| normalize(setter) == normalize(&name))
                .ok_or_else(|| {
                    fail(format!(
                        "dispatch: the builder for `{id}` has no setter for `{name}`"
                    ))
                })?;
            let setter = format_ident!("{}", setter);
            let source = if name == "body" && op.value.get("requestBody").is_some() {
                quote! { args.body.as_ref() }
            } else {
                quote! { args.params.get(#name) }
            };
            setters.push(quote! {
                if let Some(value) = #source {
                    request = request.#setter(decode::<#ty>(#name, value)?);
                }
            });
        }
        let method = format_ident!("{}", method);
        arms.push(quote! {
            #id => {
                let mut request = client.#method();
                #(#setters)*
                finish(request.send().await)
            }
        });
        ids.push(id.to_owned());
    }
    let tokens: TokenStream = quote! {
        /// Calls operations by their spec `operationId`, with arguments and answers as JSON.
        ///
        /// For spec-driven tools and tests: each argument is decoded into the type the generated
        /// builder takes, the request goes through the typed client, and the typed answer is
        /// re-encoded. Application code should call the typed methods of `Client` instead.
        pub mod dispatch {
            use super::{Client, Error, ResponseValue, types};

            /// The arguments of one call. `Debug` names the arguments and the body's shape but
            /// never prints a value: parameters and bodies carry tokens.
            #[derive(Clone, Default)]
            pub struct Args {
                /// Path, query and header parameters, by their name in the spec.
                pub params: ::serde_json::Map<::std::string::String, ::serde_json::Value>,
                /// The request body, if the operation has one.
                pub body: ::std::option::Option<::serde_json::Value>,
            }

            impl ::std::fmt::Debug for Args {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.debug_struct("Args")
                        .field("params", &self.params.keys().collect::<::std::vec::Vec<_>>())
                        .field("body", &self.body.as_ref().map(Shape))
                        .finish()
                }
            }

            /// What a call returned. `Debug` shows the status and the body's shape, never its
            /// values (token responses carry tokens).
            #[derive(Clone, PartialEq)]
            pub enum Outcome {
                /// A documented success status, with the decoded body re-encoded (`null` when
                /// the operation returns no body).
                Success {
                    /// HTTP status.
                    status: u16,
                    /// The body.
                    body: ::serde_json::Value,
                },
                /// A documented error status, with the vendor's error body decoded and
                /// re-encoded.
                VendorError {
                    /// HTTP status.
                    status: u16,
                    /// The error body.
                    body: ::serde_json::Value,
                },
            }

            impl ::std::fmt::Debug for Outcome {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    let (name, status, body) = match self {
                        Outcome::Success { status, body } => ("Success", status, body),
                        Outcome::VendorError { status, body } => ("VendorError", status, body),
                    };
                    f.debug_struct(name)
                        .field("status", status)
                        .field("body", &Shape(body))
                        .finish()
                }
            }

            /// A JSON value's keys and nesting, with every scalar replaced by its kind.
            struct Shape<'a>(&'a ::serde_json::Value);

            impl ::std::fmt::Debug for Shape<'_> {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    use ::serde_json::Value;
                    match self.0 {
                        Value::Null => f.write_str("null"),
                        Value::Bool(_) => f.write_str("<bool>"),
                        Value::Number(_) => f.write_str("<number>"),
                        Value::String(_) => f.write_str("<string>"),
                        Value::Array(items) => {
                            f.debug_list().entries(items.iter().map(Shape)).finish()
                        }
                        Value::Object(map) => f
                            .debug_map()
                            .entries(map.iter().map(|(k, v)| (k, Shape(v))))
                            .finish(),
                    }
                }
            }

            /// Why a call produced no [`Outcome`].
            #[derive(Clone, Debug, PartialEq)]
            pub enum DispatchError {
                /// No operation has this id.
                UnknownOperation(::std::string::String),
                /// An argument does not decode into the type the builder takes.
                InvalidArgument {
                    /// The parameter name (or `body`).
                    name: ::std::string::String,
                    /// Why it does not decode.
                    message: ::std::string::String,
                },
                /// The client failed: transport error, undocumented status, or a body that
                /// does not decode. The message never quotes a body or argument value.
                Client(::std::string::String),
            }

            impl ::std::fmt::Display for DispatchError {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    match self {
                        DispatchError::UnknownOperation(id) => write!(f, "no operation `{id}`"),
                        DispatchError::InvalidArgument { name, message } => {
                            write!(f, "argument `{name}`: {message}")
                        }
                        DispatchError::Client(message) => f.write_str(message),
                    }
                }
            }

            impl ::std::error::Error for DispatchError {}

            /// The operation ids [`call`] knows, in spec order.
            pub const OPERATION_IDS: &[&str] = &[#(#ids),*];

            /// Calls the operation `operation_id` with `args`.
            pub async fn call(
                client: &Client,
                operation_id: &str,
                args: &Args,
            ) -> ::std::result::Result<Outcome, DispatchError> {
                match operation_id {
                    #(#arms)*
                    other => Err(DispatchError::UnknownOperation(other.to_owned())),
                }
            }

            #[allow(dead_code, reason = "unused when no operation takes arguments")]
            fn decode<T: ::serde::de::DeserializeOwned>(
                name: &str,
                value: &::serde_json::Value,
            ) -> ::std::result::Result<T, DispatchError> {
                T::deserialize(value).map_err(|err| {
                    // serde quotes the refused value ("invalid type: string \"...\""), and
                    // arguments carry tokens: keep only messages that name fields.
                    let text = err.to_string();
                    let message = if text.starts_with("missing field") || text.starts_with("unknown field") {
                        text
                    } else {
                        let kind = match value {
                            ::serde_json::Value::Null => "null",
                            ::serde_json::Value::Bool(_) => "boolean",
                            ::serde_json::Value::Number(_) => "number",
                            ::serde_json::Value::String(_) => "string",
                            ::serde_json::Value::Array(_) => "array",
                            ::serde_json::Value::Object(_) => "object",
                        };
                        let target = ::std::any::type_name::<T>();
                        let short = target.rsplit("::").next().unwrap_or(target);
                        ::std::format!("a JSON {kind} that does not decode into `{short}`")
                    };
                    DispatchError::InvalidArgument {
                        name: name.to_owned(),
                        message,
                    }
                })
            }

            fn finish<T: ::serde::Serialize, E: ::serde::Serialize + ::std::fmt::Debug>(
                result: ::std::result::Result<ResponseValue<T>, Error<E>>,
            ) -> ::std::result::Result<Outcome, DispatchError> {
                let encode = |value: ::std::result::Result<::serde_json::Value, ::serde_json::Error>| {
                    value.map_err(|err| DispatchError::Client(err.to_string()))
                };
                match result {
                    Ok(response) => Ok(Outcome::Success {
                        status: response.status().as_u16(),
                        body: encode(::serde_json::to_value(response.into_inner()))?,
                    }),
                    Err(Error::ErrorResponse(response)) => Ok(Outcome::VendorError {
                        status: response.status().as_u16(),
                        body: encode(::serde_json::to_value(response.into_inner()))?,
                    }),
                    // The payload and serde's message may quote a token: say where decoding
                    // failed, not what was there.
                    Err(Error::InvalidResponsePayload(_, err)) => Err(DispatchError::Client(
                        ::std::format!(
                            "the response body does not decode ({:?} error at line {}, column {})",
                            err.classify(),
                            err.line(),
                            err.column()
                        ),
                    )),
                    Err(Error::UnexpectedResponse(response)) => Err(DispatchError::Client(
                        ::std::format!("unexpected response: status {}", response.status()),
                    )),
                    Err(other) => Err(DispatchError::Client(other.to_string())),
                }
            }
        }
    };
    Ok(syn::parse2(tokens).expect("the dispatch module is valid Rust"))
}

/// Lower-case ASCII letters and digits only: `X-Access-Token` and `x_access_token` agree.
fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `impl Client { pub fn method(&self) -> builder::Name<'_> }` → method → builder name.
fn client_methods(code: &syn::File) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for item in &code.items {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() || !is_path_named(&imp.self_ty, "Client") {
            continue;
        }
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            let ReturnType::Type(_, ty) = &f.sig.output else {
                continue;
            };
            let Type::Path(path) = ty.as_ref() else {
                continue;
            };
            let segments: Vec<_> = path.path.segments.iter().collect();
            if segments.len() == 2 && segments[0].ident == "builder" {
                found.push((f.sig.ident.to_string(), segments[1].ident.to_string()));
            }
        }
    }
    found
}

/// The builders in `mod builder`, with their setters' value types.
fn builders(code: &syn::File) -> BTreeMap<String, Builder> {
    let mut found: BTreeMap<String, Builder> = BTreeMap::new();
    let module = code.items.iter().find_map(|item| match item {
        Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    });
    for item in module.into_iter().flatten() {
        let Item::Impl(imp) = item else { continue };
        if imp.trait_.is_some() {
            continue;
        }
        let Type::Path(path) = imp.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = path.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let builder = found.entry(name).or_default();
        for item in &imp.items {
            let ImplItem::Fn(f) = item else { continue };
            if f.sig.ident == "send" {
                builder.has_send = true;
            } else if let Some(ty) = setter_type(f) {
                builder.setters.insert(f.sig.ident.to_string(), ty);
            }
        }
    }
    found
}

/// `T` of a setter `fn name<V>(mut self, value: V) -> Self where V: TryInto<T>`.
fn setter_type(f: &syn::ImplItemFn) -> Option<Type> {
    let clause = f.sig.generics.where_clause.as_ref()?;
    clause.predicates.iter().find_map(|predicate| {
        let WherePredicate::Type(bound) = predicate else {
            return None;
        };
        if !is_path_named(&bound.bounded_ty, "V") {
            return None;
        }
        bound.bounds.iter().find_map(|b| {
            let syn::TypeParamBound::Trait(t) = b else {
                return None;
            };
            let last = t.path.segments.last()?;
            if last.ident != "TryInto" {
                return None;
            }
            let PathArguments::AngleBracketed(args) = &last.arguments else {
                return None;
            };
            args.args.iter().find_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty.clone()),
                _ => None,
            })
        })
    })
}

fn is_path_named(ty: &Type, name: &str) -> bool {
    matches!(ty, Type::Path(p) if p.path.segments.len() == 1 && p.path.segments[0].ident == name)
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_normalize_across_conventions() {
        assert_eq!(
            super::normalize("X-Access-Token"),
            super::normalize("x_access_token")
        );
        assert_eq!(super::normalize("type"), super::normalize("type_"));
        assert_eq!(
            super::normalize("UpdateAnAccountsAdditionalPlan"),
            super::normalize("update_an_accounts_additional_plan")
        );
    }
}

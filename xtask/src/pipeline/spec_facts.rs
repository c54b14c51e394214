//! The facts progenitor drops, appended to each generated file as `pub mod spec`.
//!
//! progenitor ignores `servers`, `securitySchemes` and `x-` extensions. The hand-written layers
//! still need them (the default base URL, each operation's rate-limit label and scopes), and
//! the spec must stay their single source, so `generate` emits them as constants.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use super::LoadedSpec;
use crate::walk;

/// Builds the `spec` module for a spec; `code` is progenitor's output for it (each
/// operation's client method name is read from there, never re-derived).
pub fn module(spec: &LoadedSpec, code: &syn::File) -> syn::File {
    let methods = super::dispatch::client_methods(code);
    let root = spec.value();
    let source = &spec.file;
    let title = str_at(root, "/info/title");
    let version = str_at(root, "/info/version");
    let servers = root
        .get("servers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|server| {
            let url = str_at(server, "/url");
            let description = str_at(server, "/description");
            quote! { Server { url: #url, description: #description } }
        });
    let operations = walk::operations(root).into_iter().map(|op| {
        let id = op.operation_id().unwrap_or_default();
        let client_method = methods
            .iter()
            .find(|(method, _)| {
                super::dispatch::normalize(method) == super::dispatch::normalize(id)
            })
            .map(|(method, _)| method.as_str())
            .unwrap_or_default();
        let method = op.method.to_uppercase();
        let path = op.path;
        let summary = str_at(op.value, "/summary");
        let rate_limit = option(op.value.get("x-rate-limit").and_then(Value::as_str));
        let scopes = strings(op.value.get("x-scopes"));
        let classic_scopes = strings(op.value.get("x-classic-scopes"));
        let statuses = op
            .value
            .get("responses")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(status, _)| status.parse::<u16>().ok())
            .filter(|status| (200..300).contains(status));
        quote! {
            Operation {
                operation_id: #id,
                client_method: #client_method,
                method: #method,
                path: #path,
                summary: #summary,
                rate_limit: #rate_limit,
                scopes: &[#(#scopes),*],
                classic_scopes: &[#(#classic_scopes),*],
                success_statuses: &[#(#statuses),*],
            }
        }
    });
    let tokens = quote! {
        /// Facts from the spec that progenitor does not carry into the client: where the API
        /// lives and what each operation costs.
        pub mod spec {
            /// A server the API is published on.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct Server {
                /// Base URL; pass it to `Client::new`.
                pub url: &'static str,
                /// What the server is for.
                pub description: &'static str,
            }

            /// One operation of the spec.
            #[derive(Clone, Copy, Debug, PartialEq, Eq)]
            pub struct Operation {
                /// The spec's `operationId`.
                pub operation_id: &'static str,
                /// The `Client` method that calls it (progenitor's name for it).
                pub client_method: &'static str,
                /// HTTP method, upper case.
                pub method: &'static str,
                /// Path template relative to the server URL.
                pub path: &'static str,
                /// The spec's one-line summary.
                pub summary: &'static str,
                /// The vendor's rate-limit label (`x-rate-limit`), if it has one.
                pub rate_limit: Option<&'static str>,
                /// Granular OAuth scopes, any of which allows the call (`x-scopes`).
                pub scopes: &'static [&'static str],
                /// Classic (coarse) OAuth scopes that allow the call (`x-classic-scopes`).
                pub classic_scopes: &'static [&'static str],
                /// Documented success statuses.
                pub success_statuses: &'static [u16],
            }

            /// The spec file this client was generated from.
            pub const SOURCE: &str = #source;
            /// The spec's `info.title`.
            pub const TITLE: &str = #title;
            /// The spec's `info.version`.
            pub const VERSION: &str = #version;
            /// The spec's servers; the first is the default.
            pub const SERVERS: &[Server] = &[#(#servers),*];
            /// Every operation, in spec order.
            pub const OPERATIONS: &[Operation] = &[#(#operations),*];
        }
    };
    syn::parse2(tokens).expect("the spec facts module is valid Rust")
}

fn str_at<'a>(value: &'a Value, ptr: &str) -> &'a str {
    value
        .pointer(ptr)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

fn option(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => quote! { Some(#v) },
        None => quote! { None },
    }
}

fn strings(value: Option<&Value>) -> Vec<&str> {
    value
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

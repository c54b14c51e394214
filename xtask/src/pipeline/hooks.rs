//! The `ClientHooks` implementation appended to each generated client, and its `hooks` facts.
//!
//! progenitor calls a client's hooks around every request. The catalogue sets
//! `HooksMode::Expected`, so progenitor emits no default and checks that this implementation
//! exists. It delegates to `vendor_types::hooks` (shared by every client): remove
//! progenitor's undocumented `api-version` header, mark credential headers sensitive, send
//! `User-Agent: <crate>/<version>`, and run the call in a `tracing` span named after the
//! spec's `operationId` with status, latency and the vendor's request id.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use super::LoadedSpec;
use crate::catalogue::SpecEntry;

/// Builds the hooks section for a spec.
pub fn module(entry: &SpecEntry, spec: &LoadedSpec) -> syn::File {
    let vendor = entry.vendor;
    let request_id_header = entry.request_id_header;
    let sensitive = sensitive_headers(spec.value());
    let tokens: TokenStream = quote! {
        /// How this client's requests are prepared and observed (see `vendor_types::hooks`).
        pub mod hooks {
            /// The vendor, as `tracing` spans and errors name it.
            pub const VENDOR: &str = #vendor;
            /// The response header in which the vendor sends its request id.
            pub const REQUEST_ID_HEADER: &str = #request_id_header;
            /// Request headers that carry credentials (the spec's API-key headers and
            /// `Authorization`): marked sensitive before a request leaves.
            pub const SENSITIVE_HEADERS: &[&str] = &[#(#sensitive),*];
            /// The `User-Agent` of this crate's requests, unless the caller sets its own with
            /// `vendor_types::hooks::with_user_agent`.
            pub const USER_AGENT: &str =
                concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION"));
        }

        impl ClientHooks<()> for Client {
            async fn pre<E>(
                &self,
                request: &mut reqwest::Request,
                _info: &OperationInfo,
            ) -> ::std::result::Result<(), ::progenitor_client::Error<E>> {
                ::vendor_types::hooks::prepare(
                    request,
                    hooks::USER_AGENT,
                    hooks::SENSITIVE_HEADERS,
                );
                Ok(())
            }

            async fn exec(
                &self,
                request: reqwest::Request,
                info: &OperationInfo,
            ) -> reqwest::Result<reqwest::Response> {
                let operation = spec::OPERATIONS
                    .iter()
                    .find(|op| op.client_method == info.operation_id)
                    .map_or(info.operation_id, |op| op.operation_id);
                let call = ::vendor_types::hooks::Call {
                    vendor: hooks::VENDOR,
                    operation,
                    request_id_header: hooks::REQUEST_ID_HEADER,
                };
                ::vendor_types::hooks::execute(&self.client, request, call).await
            }
        }
    };
    syn::parse2(tokens).expect("the hooks section is valid Rust")
}

/// `Authorization` plus the header names of the spec's `apiKey` security schemes, sorted.
fn sensitive_headers(root: &Value) -> Vec<String> {
    let mut names = vec!["Authorization".to_owned()];
    let schemes = root
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for scheme in schemes.into_iter().flat_map(|s| s.values()) {
        let is_header_key = scheme.get("type").and_then(Value::as_str) == Some("apiKey")
            && scheme.get("in").and_then(Value::as_str) == Some("header");
        if let Some(name) = scheme.get("name").and_then(Value::as_str)
            && is_header_key
            && !names.iter().any(|n| n.eq_ignore_ascii_case(name))
        {
            names.push(name.to_owned());
        }
    }
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    #[test]
    fn api_key_headers_are_sensitive() {
        let spec = serde_json::json!({
            "components": {"securitySchemes": {
                "token": {"type": "apiKey", "in": "header", "name": "X-Access-Token"},
                "query": {"type": "apiKey", "in": "query", "name": "key"},
                "bearer": {"type": "http", "scheme": "bearer"}
            }}
        });
        assert_eq!(
            super::sensitive_headers(&spec),
            ["Authorization", "X-Access-Token"]
        );
    }
}

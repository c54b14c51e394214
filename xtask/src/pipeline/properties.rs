//! `properties()` accessors for the schemas a spec marks with `x-property-list: true`.
//!
//! A response type with a catch-all `extra` map (such as Zoom's plan-usage report, one member
//! per product) is easiest to read as data: every member with its JSON key. Its `extra` map
//! already is data; this section makes the typed fields data too, without re-encoding them:
//!
//! ```ignore
//! impl PlanUsageReport {
//!     pub fn properties(&self) -> Vec<(&'static str, &dyn std::any::Any)> { ... }
//! }
//! ```
//!
//! Each field present (an `Option` that is `Some`, or a required field) is listed with its JSON
//! key (the `#[serde(rename)]` progenitor gave it, else the field name), in field order. The
//! fields are read from progenitor's output, so the list cannot drift from the type.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use syn::{Fields, Item, Type};

use super::LoadedSpec;

/// The spec extension that asks for the accessor.
const EXTENSION: &str = "x-property-list";

/// One `impl` block per marked schema whose struct is in progenitor's `types` module.
pub fn module(spec: &LoadedSpec, code: &syn::File) -> syn::File {
    let marked = spec
        .value()
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .filter(|(_, schema)| schema.get(EXTENSION) == Some(&Value::Bool(true)))
        .map(|(name, _)| name.as_str());
    let impls = marked.filter_map(|name| accessor(code, name));
    let tokens = quote! { #(#impls)* };
    syn::parse2(tokens).expect("the property accessors are valid Rust")
}

/// The accessor of struct `name`, or `None` when progenitor did not make it a struct.
fn accessor(code: &syn::File, name: &str) -> Option<TokenStream> {
    let types = code.items.iter().find_map(|item| match item {
        Item::Mod(module) if module.ident == "types" => module.content.as_ref(),
        _ => None,
    })?;
    let fields = types.1.iter().find_map(|item| match item {
        Item::Struct(s) if s.ident == name => match &s.fields {
            Fields::Named(fields) => Some(fields),
            _ => None,
        },
        _ => None,
    })?;
    let pushes = fields.named.iter().filter_map(|field| {
        let serde = serde_args(&field.attrs);
        if serde.contains("flatten") {
            return None;
        }
        let ident = field.ident.as_ref()?;
        let key =
            rename(&serde).unwrap_or_else(|| ident.to_string().trim_start_matches("r#").to_owned());
        Some(if is_option(&field.ty) {
            quote! {
                if let Some(value) = &self.#ident {
                    properties.push((#key, value as &dyn ::std::any::Any));
                }
            }
        } else {
            quote! { properties.push((#key, &self.#ident as &dyn ::std::any::Any)); }
        })
    });
    let ty = format_ident!("{name}");
    Some(quote! {
        impl types::#ty {
            /// The members of this value that the spec names, in field order, each with its
            /// JSON key and its typed value (downcast it to the field's type); members the
            /// spec does not name are in `extra`. Generated for the spec's
            /// `x-property-list: true`.
            pub fn properties(&self) -> ::std::vec::Vec<(&'static str, &dyn ::std::any::Any)> {
                let mut properties = ::std::vec::Vec::new();
                #(#pushes)*
                properties
            }
        }
    })
}

/// The tokens of a field's `#[serde(...)]` attributes, as text.
fn serde_args(attrs: &[syn::Attribute]) -> String {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident("serde"))
        .filter_map(|attr| attr.meta.require_list().ok())
        .map(|list| list.tokens.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

/// The JSON key of a `rename = "..."` argument.
fn rename(serde: &str) -> Option<String> {
    let rest = serde.split("rename =").nth(1)?;
    let quoted = rest.trim_start().strip_prefix('"')?;
    Some(quoted.split('"').next()?.to_owned())
}

fn is_option(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .segments
            .last()
            .is_some_and(|segment| segment.ident == "Option"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_renames_and_field_names() {
        assert_eq!(rename(r#"rename = "type""#).as_deref(), Some("type"));
        assert_eq!(
            rename(r#"default , rename = "a-b""#).as_deref(),
            Some("a-b")
        );
        assert_eq!(rename("skip_serializing_if = \"x\""), None);
        let code: syn::File = syn::parse_quote! {
            pub mod types {
                pub struct Report {
                    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
                    pub type_: ::std::option::Option<String>,
                    pub count: i64,
                    #[serde(flatten)]
                    pub extra: ::serde_json::Map<String, ::serde_json::Value>,
                }
            }
        };
        let text = accessor(&code, "Report").expect("a struct").to_string();
        assert!(text.contains(r#""type""#), "{text}");
        assert!(text.contains("& self . count"), "{text}");
        assert!(!text.contains("self . extra"), "{text}");
        assert!(accessor(&code, "Missing").is_none());
    }
}

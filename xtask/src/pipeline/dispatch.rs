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

use super::LoadedSpec;
use crate::diagnostics::Diagnostic;
use crate::walk;

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
                    request = request.#setter(::vendor_types::dispatch::decode::<#ty>(#name, value)?);
                }
            });
        }
        let method = format_ident!("{}", method);
        arms.push(quote! {
            #id => {
                let mut request = client.#method();
                #(#setters)*
                ::vendor_types::dispatch::finish(#id, request.send().await)
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
        ///
        /// Only with the cargo feature `dispatch` (the workspace's tests enable it).
        #[cfg(feature = "dispatch")]
        pub mod dispatch {
            use super::{Client, types};

            pub use ::vendor_types::dispatch::{Args, DispatchError, Outcome};

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
        }
    };
    Ok(syn::parse2(tokens).expect("the dispatch module is valid Rust"))
}

/// Lower-case ASCII letters and digits only: `X-Access-Token` and `x_access_token` agree.
pub(crate) fn normalize(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// `impl Client { pub fn method(&self) -> builder::Name<'_> }` → method → builder name.
pub(crate) fn client_methods(code: &syn::File) -> Vec<(String, String)> {
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

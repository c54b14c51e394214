//! The spec-to-code pipeline that `generate` and `validate`'s dry run share: loading a spec
//! ([`LoadedSpec`]) and rendering it ([`generate_code`]: progenitor with its panics caught,
//! one `///` line per doc line, then the `spec` facts, `hooks`, `dispatch` and `properties`
//! sections).
//!
//! It runs no rules. `generate` runs validation groups 1 to 3 and then [`generate_code`];
//! `validate` runs the same function as its dry run (group 5). This module depends on neither
//! command, so the dependencies point one way: `generate` → `validate` → `pipeline`, and
//! `generate` → `pipeline`.

pub mod dispatch;
pub mod hooks;
pub mod properties;
pub mod requests;
pub mod spec_facts;

use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use serde_json::Value;
use spec_core::yaml::{self, Document};

use crate::catalogue::SpecEntry;
use crate::diagnostics::{Diagnostic, Diagnostics};

/// A spec file loaded into memory with source positions.
#[derive(Clone, Debug)]
pub struct LoadedSpec {
    /// The file name used in reports.
    pub file: String,
    /// The parsed document.
    pub doc: Document,
    /// The generator's model of the document, built on first use.
    model: std::sync::OnceLock<Result<openapiv3::OpenAPI, Diagnostic>>,
}

impl LoadedSpec {
    /// Reads and parses a spec; a file that is not well-formed YAML yields its diagnostics.
    pub fn read(root: &Path, file: &str) -> Result<LoadedSpec, Diagnostics> {
        let path = root.join(file);
        let source = std::fs::read_to_string(&path).map_err(|err| {
            Diagnostics::from(vec![Diagnostic {
                rule: "yaml-syntax",
                file: file.to_owned(),
                line: 1,
                col: 1,
                pointer: String::new(),
                message: format!("cannot read the file: {err}"),
            }])
        })?;
        Self::parse(file, &source)
    }

    /// Parses spec source text that claims to come from `file`.
    pub fn parse(file: &str, source: &str) -> Result<LoadedSpec, Diagnostics> {
        match yaml::parse(source) {
            Ok(doc) => Ok(LoadedSpec {
                file: file.to_owned(),
                doc,
                model: std::sync::OnceLock::new(),
            }),
            Err(err) => Err(Diagnostics::from(vec![Diagnostic {
                rule: "yaml-syntax",
                file: file.to_owned(),
                line: err.position.line,
                col: err.position.col,
                pointer: String::new(),
                message: err.message,
            }])),
        }
    }

    /// The document root.
    pub fn value(&self) -> &Value {
        &self.doc.value
    }

    /// A diagnostic for this spec at a JSON pointer. `rule` is an id of `validate::RULES`
    /// (`validate` asserts it in debug builds; this module does not know the rules).
    pub fn diagnostic(&self, rule: &'static str, pointer: &str, message: String) -> Diagnostic {
        let position = self.doc.locate(pointer);
        Diagnostic {
            rule,
            file: self.file.clone(),
            line: position.line,
            col: position.col,
            pointer: pointer.to_owned(),
            message,
        }
    }

    /// The document in progenitor's OpenAPI model (deserialized once, then cached).
    pub fn openapi(&self) -> Result<&openapiv3::OpenAPI, Diagnostic> {
        self.model
            .get_or_init(|| {
                crate::timings::timed(&self.file, "openapiv3 model", || {
                    serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(&self.doc.value)
                        .map_err(|err| {
                            let pointer = path_to_pointer(err.path());
                            let message = format!(
                                "does not fit the OpenAPI 3.0 model: {}",
                                err.inner().to_string().trim()
                            );
                            self.diagnostic("openapi-structure", &pointer, message)
                        })
                })
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// Converts a `serde_path_to_error` path into a JSON pointer.
fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer = spec_core::pointer::push(&pointer, &index.to_string())
            }
            Segment::Map { key } => pointer = spec_core::pointer::push(&pointer, key),
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

/// Everything generated from a spec, before formatting: progenitor's client, the `spec` facts
/// module, the `ClientHooks` implementation with its `hooks` facts, the `dispatch` module, and
/// the `properties()` accessors of the schemas marked `x-property-list`.
/// `validate`'s dry run runs exactly this, so a spec that validates always generates.
pub fn generate_code(
    entry: &SpecEntry,
    loaded: &LoadedSpec,
) -> Result<[syn::File; 5], Box<Diagnostic>> {
    use crate::timings::timed;
    let code = timed(&loaded.file, "progenitor + parse", || {
        progenitor_code(entry, loaded)
    })?;
    let dispatch = timed(&loaded.file, "dispatch section", || {
        dispatch::module(loaded, &code)
    })?;
    let facts = timed(&loaded.file, "spec section", || {
        spec_facts::module(loaded, &code)
    });
    let hooks = timed(&loaded.file, "hooks section", || {
        hooks::module(entry, loaded)
    });
    let properties = timed(&loaded.file, "properties section", || {
        properties::module(loaded, &code)
    });
    Ok([code, facts, hooks, dispatch, properties])
}

/// Runs progenitor on a loaded spec; panics and errors become a diagnostic naming the spec.
pub fn progenitor_code(
    entry: &SpecEntry,
    loaded: &LoadedSpec,
) -> Result<syn::File, Box<Diagnostic>> {
    let api = loaded.openapi().map_err(Box::new)?;
    let settings = entry.settings();
    let outcome = catch_panic(|| {
        let mut generator = progenitor::Generator::new(&settings);
        generator.generate_tokens(api)
    });
    let tokens = match outcome {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(err)) => {
            return Err(Box::new(loaded.diagnostic(
                "generator-dry-run",
                "",
                format!("progenitor refused the spec: {err}"),
            )));
        }
        Err(panic_message) => {
            return Err(Box::new(loaded.diagnostic(
                "generator-dry-run",
                "",
                format!("progenitor panicked: {panic_message}"),
            )));
        }
    };
    let tokens = requests::rewrite(split_doc_lines(tokens));
    let file: syn::File = syn::parse2(tokens).map_err(|err| {
        Box::new(loaded.diagnostic(
            "generator-dry-run",
            "",
            format!("progenitor produced code that does not parse: {err}"),
        ))
    })?;
    Ok(file)
}

/// Rewrites every multi-line `#[doc = "..."]` into one attribute per line.
///
/// prettyplease prints a multi-line doc string as a `/** ... */` block; rustfmt then re-indents
/// the block's lines, and the indentation turns prose into markdown code blocks that rustdoc
/// tries to compile. One `///` line per doc line survives formatting unchanged. Each non-empty
/// line gets a leading space (`/// text`); rustdoc strips the common indentation.
pub fn split_doc_lines(tokens: TokenStream) -> TokenStream {
    let mut out = Vec::new();
    let mut iter = tokens.into_iter().peekable();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Punct(hash) if hash.as_char() == '#' => {
                let bang = match iter.peek() {
                    Some(TokenTree::Punct(p)) if p.as_char() == '!' => iter.next(),
                    _ => None,
                };
                let doc = match iter.peek() {
                    Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Bracket => {
                        doc_text(&group.stream())
                    }
                    _ => None,
                };
                match doc {
                    Some(text) => {
                        let group = iter.next();
                        let lines: Vec<&str> = text.trim_end().split('\n').collect();
                        for line in lines {
                            let line = line.trim_end();
                            let line = if line.is_empty() {
                                line.to_owned()
                            } else {
                                format!(" {line}")
                            };
                            let attr = if bang.is_some() {
                                quote::quote! { #![doc = #line] }
                            } else {
                                quote::quote! { #[doc = #line] }
                            };
                            out.extend(attr);
                        }
                        drop(group);
                    }
                    None => {
                        out.push(TokenTree::Punct(hash));
                        out.extend(bang);
                    }
                }
            }
            TokenTree::Group(group) => {
                let mut rewritten =
                    proc_macro2::Group::new(group.delimiter(), split_doc_lines(group.stream()));
                rewritten.set_span(group.span());
                out.push(TokenTree::Group(rewritten));
            }
            other => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// The text of `doc = "..."`, if these are the tokens of a doc attribute.
fn doc_text(tokens: &TokenStream) -> Option<String> {
    let mut iter = tokens.clone().into_iter();
    match (iter.next(), iter.next(), iter.next(), iter.next()) {
        (
            Some(TokenTree::Ident(ident)),
            Some(TokenTree::Punct(eq)),
            Some(TokenTree::Literal(lit)),
            None,
        ) if ident == "doc" && eq.as_char() == '=' => {
            syn::parse2::<syn::LitStr>(TokenTree::Literal(lit).into())
                .ok()
                .map(|lit| lit.value())
        }
        _ => None,
    }
}

thread_local! {
    /// Whether this thread is inside [`catch_panic`] (its panics are reported, not printed).
    static CATCHING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `f` applied to every item, one thread per item, results in the items' order. The specs
/// of a run are independent, and progenitor and rustfmt keep a core busy each, so `generate`
/// and `validate` both spread their specs this way. A panic in `f` is a bug in xtask: it is
/// re-raised on the calling thread, and `main` reports it.
pub fn in_parallel<'a, T: Sync, R: Send>(items: &'a [T], f: impl Fn(&'a T) -> R + Sync) -> Vec<R> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = items
            .iter()
            .map(|item| {
                let f = &f;
                scope.spawn(move || f(item))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|payload| std::panic::resume_unwind(payload))
            })
            .collect()
    })
}

/// Runs `f`, turning a panic into its message without printing it.
///
/// Safe to call from several threads at once: one process-wide hook is installed once and
/// stays silent only for threads currently inside `catch_panic`; every other panic is printed
/// by the previous hook as usual.
pub fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if !CATCHING.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    // Nested calls (xtask's `main` wraps every task) restore the outer state on the way out.
    let outer = CATCHING.with(|c| c.replace(true));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(outer));
    result.map_err(|payload| {
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::SPECS;

    /// `openapi-structure` is the fallback for documents the official schema accepts but the
    /// generator's model does not; it must name the place, like every other rule.
    #[test]
    fn a_model_mismatch_names_its_pointer() {
        let spec =
            LoadedSpec::parse("t.yaml", "openapi: 3.0.3\npaths: {}\ninfo:\n  title: 7\n").unwrap();
        let diagnostic = spec.openapi().unwrap_err();
        assert_eq!(diagnostic.rule, "openapi-structure");
        assert_eq!(diagnostic.pointer, "/info/title");
        assert_eq!((diagnostic.line, diagnostic.col), (4, 10));
        assert!(
            diagnostic.message.contains("invalid type: integer `7`"),
            "{}",
            diagnostic.message
        );
    }

    /// A spec the rules would refuse, fed straight to progenitor: its panic must come back as
    /// a diagnostic naming the spec, not unwind through the tool.
    #[test]
    fn a_progenitor_panic_becomes_a_diagnostic() {
        let source = r##"
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:
    get:
      operationId: getX
      responses:
        "200": {description: ok}
        "400":
          description: a
          content: {application/json: {schema: {$ref: "#/components/schemas/A"}}}
        "404":
          description: b
          content: {application/json: {schema: {$ref: "#/components/schemas/B"}}}
components:
  schemas:
    A: {type: object, properties: {a: {type: string}}}
    B: {type: object, properties: {b: {type: integer}}}
"##;
        let spec = LoadedSpec::parse("inline.yaml", source).unwrap();
        let Err(err) = progenitor_code(&SPECS[0], &spec) else {
            panic!("progenitor accepted two error schemas");
        };
        assert_eq!(err.rule, "generator-dry-run");
        assert_eq!(err.file, "inline.yaml");
        assert!(
            err.message.starts_with("progenitor panicked: "),
            "{}",
            err.message
        );
        assert!(
            err.message.contains("response_types.len() <= 1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn panics_are_caught_on_many_threads_at_once() {
        let results: Vec<Result<(), String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|i| scope.spawn(move || catch_panic(|| panic!("boom {i}"))))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, result) in results.into_iter().enumerate() {
            assert_eq!(result, Err(format!("boom {i}")));
        }
        assert_eq!(catch_panic(|| 7), Ok(7));
    }

    #[test]
    fn doc_lines_are_split_and_spaced() {
        let tokens = quote::quote! {
            #[doc = "First line\nsecond\n\n    code"]
            mod m { #![doc = "inner\ntwo"] }
        };
        let file: syn::File = syn::parse2(split_doc_lines(tokens)).unwrap();
        let text = prettyplease::unparse(&file);
        assert_eq!(
            text,
            "/// First line\n/// second\n///\n///     code\nmod m {\n    //! inner\n    //! two\n}\n"
        );
    }
}

//! Two rewrites of progenitor's request code that make every generated call cheaper without
//! changing what it sends or returns.
//!
//! - progenitor adds an `api-version` header (the spec's `info.version`) to every request, and
//!   the generated hooks remove it again before the request leaves (neither vendor documents
//!   it). The rewrite drops the statement that adds it, so the header is never built: the
//!   request's header map is made one smaller, or not made at all when `api-version` was its
//!   only header. `vendor_types::hooks::prepare` still removes the header, should it ever be
//!   there.
//! - progenitor's `ResponseValue::from_response` clones the response's headers before reading
//!   the body. The rewrite calls `vendor_types::hooks::decode_response` instead, which does the
//!   same with the headers moved out of the response (the same status, headers, value and
//!   errors).
//!
//! The rewrites work on progenitor's tokens and look for the exact shapes progenitor 0.15.1
//! emits; the tests below pin those shapes, and `cargo xtask generate --check` shows any change
//! in the output.

use proc_macro2::{Delimiter, Group, Literal, Spacing, TokenStream, TokenTree};
use quote::quote;

/// The header progenitor adds to every request.
const API_VERSION: &str = "\"api-version\"";

/// The name progenitor gives a request's header map.
const HEADER_MAP: &str = "header_map";

/// Applies both rewrites to progenitor's output, at every nesting level.
pub fn rewrite(tokens: TokenStream) -> TokenStream {
    let mut tokens: Vec<TokenTree> = tokens
        .into_iter()
        .map(|tree| match tree {
            TokenTree::Group(group) => {
                let mut rewritten = Group::new(group.delimiter(), rewrite(group.stream()));
                rewritten.set_span(group.span());
                TokenTree::Group(rewritten)
            }
            other => other,
        })
        .collect();
    let removed = remove_api_version(&mut tokens);
    if removed > 0 {
        if count_ident(&tokens, HEADER_MAP) == 2 {
            // Only `let mut header_map = ...;` and `.headers(header_map)` are left.
            remove_header_map(&mut tokens);
        } else {
            shrink_capacity(&mut tokens, removed);
        }
    }
    decode_without_header_copy(&mut tokens);
    tokens.into_iter().collect()
}

fn is_ident(tree: Option<&TokenTree>, name: &str) -> bool {
    matches!(tree, Some(TokenTree::Ident(ident)) if ident == name)
}

fn is_punct(tree: Option<&TokenTree>, c: char) -> bool {
    matches!(tree, Some(TokenTree::Punct(punct)) if punct.as_char() == c)
}

fn paren(tree: Option<&TokenTree>) -> Option<&Group> {
    match tree {
        Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Parenthesis => Some(group),
        _ => None,
    }
}

/// Whether `tokens` are progenitor's own `HeaderName::from_static("api-version")` (not a
/// header parameter a spec might declare under that name, which progenitor appends from a
/// value): `from_static` immediately followed by `("api-version")`.
fn mentions_api_version(tokens: TokenStream) -> bool {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    trees.iter().enumerate().any(|(i, tree)| match tree {
        TokenTree::Group(group) => mentions_api_version(group.stream()),
        TokenTree::Ident(ident) if ident == "from_static" => {
            paren(trees.get(i + 1)).is_some_and(|args| {
                let args: Vec<TokenTree> = args.stream().into_iter().collect();
                matches!(args.as_slice(), [TokenTree::Literal(l)] if l.to_string() == API_VERSION)
            })
        }
        _ => false,
    })
}

/// Removes every `header_map.append(<...> "api-version" <...>);` at this level; returns how
/// many.
fn remove_api_version(tokens: &mut Vec<TokenTree>) -> usize {
    let mut removed = 0;
    let mut i = 0;
    while i < tokens.len() {
        let is_append = is_ident(tokens.get(i), HEADER_MAP)
            && is_punct(tokens.get(i + 1), '.')
            && is_ident(tokens.get(i + 2), "append")
            && paren(tokens.get(i + 3)).is_some_and(|args| mentions_api_version(args.stream()))
            && is_punct(tokens.get(i + 4), ';');
        if is_append {
            tokens.drain(i..i + 5);
            removed += 1;
        } else {
            i += 1;
        }
    }
    removed
}

/// How often the identifier `name` occurs in `tokens`, at any depth.
fn count_ident(tokens: &[TokenTree], name: &str) -> usize {
    tokens
        .iter()
        .map(|tree| match tree {
            TokenTree::Ident(ident) if ident == name => 1,
            TokenTree::Group(group) => {
                count_ident(&group.stream().into_iter().collect::<Vec<_>>(), name)
            }
            _ => 0,
        })
        .sum()
}

/// Removes `let mut header_map = ...;` and `.headers(header_map)` at this level.
fn remove_header_map(tokens: &mut Vec<TokenTree>) {
    let declaration = (0..tokens.len()).find(|&i| {
        is_ident(tokens.get(i), "let")
            && is_ident(tokens.get(i + 1), "mut")
            && is_ident(tokens.get(i + 2), HEADER_MAP)
            && is_punct(tokens.get(i + 3), '=')
    });
    if let Some(start) = declaration
        && let Some(end) = (start..tokens.len()).find(|&i| is_punct(tokens.get(i), ';'))
    {
        tokens.drain(start..=end);
    }
    let call = (0..tokens.len()).find(|&i| {
        is_punct(tokens.get(i), '.')
            && is_ident(tokens.get(i + 1), "headers")
            && paren(tokens.get(i + 2)).is_some_and(|args| {
                let args: Vec<TokenTree> = args.stream().into_iter().collect();
                args.len() == 1 && is_ident(args.first(), HEADER_MAP)
            })
    });
    if let Some(start) = call {
        tokens.drain(start..start + 3);
    }
}

/// `HeaderMap::with_capacity(N)` at this level becomes `with_capacity(N - removed)`.
fn shrink_capacity(tokens: &mut [TokenTree], removed: usize) {
    for i in 0..tokens.len() {
        // Only `HeaderMap::with_capacity`, the header map the removed appends were for.
        let header_map = i >= 3
            && is_ident(tokens.get(i - 3), "HeaderMap")
            && is_punct(tokens.get(i - 2), ':')
            && is_punct(tokens.get(i - 1), ':');
        if !header_map || !is_ident(tokens.get(i), "with_capacity") {
            continue;
        }
        let Some(args) = paren(tokens.get(i + 1)) else {
            continue;
        };
        let args: Vec<TokenTree> = args.stream().into_iter().collect();
        let [TokenTree::Literal(literal)] = args.as_slice() else {
            continue;
        };
        let text = literal.to_string();
        let Some(capacity) = text
            .strip_suffix("usize")
            .and_then(|digits| digits.parse::<usize>().ok())
        else {
            continue;
        };
        let shrunk = TokenTree::Literal(Literal::usize_suffixed(capacity.saturating_sub(removed)));
        tokens[i + 1] = TokenTree::Group(Group::new(
            Delimiter::Parenthesis,
            TokenStream::from(shrunk),
        ));
    }
}

/// `ResponseValue::from_response(...)` at this level becomes
/// `::vendor_types::hooks::decode_response(...)`.
fn decode_without_header_copy(tokens: &mut Vec<TokenTree>) {
    let mut i = 0;
    while i < tokens.len() {
        let is_call = is_ident(tokens.get(i), "ResponseValue")
            && matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == ':' && p.spacing() == Spacing::Joint)
            && is_punct(tokens.get(i + 2), ':')
            && is_ident(tokens.get(i + 3), "from_response")
            && paren(tokens.get(i + 4)).is_some();
        if is_call {
            let path: Vec<TokenTree> = quote! { ::vendor_types::hooks::decode_response }
                .into_iter()
                .collect();
            let length = path.len();
            tokens.splice(i..i + 4, path);
            i += length;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::rewrite;
    use quote::quote;

    fn rewritten(tokens: proc_macro2::TokenStream) -> String {
        rewrite(tokens).to_string()
    }

    /// progenitor 0.15.1's request code for an operation without header parameters.
    #[test]
    fn api_version_alone_leaves_no_header_map() {
        let progenitor = quote! {
            fn send() {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(1usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                );
                let mut request = client
                    .client
                    .get(url)
                    .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
                    .headers(header_map)
                    .build()?;
                match status {
                    200u16 => ResponseValue::from_response(response).await,
                    _ => Err(Error::ErrorResponse(ResponseValue::from_response(response).await?)),
                }
            }
        };
        let expected = quote! {
            fn send() {
                let mut request = client
                    .client
                    .get(url)
                    .header(::reqwest::header::ACCEPT, ::reqwest::header::HeaderValue::from_static("application/json"))
                    .build()?;
                match status {
                    200u16 => ::vendor_types::hooks::decode_response(response).await,
                    _ => Err(Error::ErrorResponse(::vendor_types::hooks::decode_response(response).await?)),
                }
            }
        };
        assert_eq!(rewritten(progenitor), expected.to_string());
    }

    /// With header parameters, the map stays, one smaller.
    #[test]
    fn other_headers_keep_their_map() {
        let progenitor = quote! {
            fn send() {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(3usize);
                header_map.append(
                    ::reqwest::header::HeaderName::from_static("api-version"),
                    ::reqwest::header::HeaderValue::from_static(super::Client::api_version()),
                );
                if let Some(value) = accept_language {
                    header_map.append("Accept-Language", value.to_string().try_into()?);
                }
                header_map.append("X-Access-Token", x_access_token.to_string().try_into()?);
                let request = client.client.get(url).headers(header_map).build()?;
            }
        };
        let expected = quote! {
            fn send() {
                let mut header_map = ::reqwest::header::HeaderMap::with_capacity(2usize);
                if let Some(value) = accept_language {
                    header_map.append("Accept-Language", value.to_string().try_into()?);
                }
                header_map.append("X-Access-Token", x_access_token.to_string().try_into()?);
                let request = client.client.get(url).headers(header_map).build()?;
            }
        };
        assert_eq!(rewritten(progenitor), expected.to_string());
    }

    #[test]
    fn other_code_is_untouched() {
        let code = quote! {
            fn f() -> usize {
                let map = HeaderMap::with_capacity(3usize);
                map.append("x-api-version", "1");
                ResponseValue::empty(response);
                3
            }
        };
        assert_eq!(rewritten(code.clone()), code.to_string());
    }
}

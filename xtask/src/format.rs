//! Formatting a generated file with rustfmt in two processes at once.
//!
//! rustfmt formats one file on one core, and the Zoom billing file (600 KB) is the longest
//! step of `generate`. rustfmt formats the items of a module one by one, given their
//! indentation, and the generated code has no blank lines or comments between items, so a
//! file can be cut at an item boundary, each half formatted on its own, and the halves spliced
//! back together, giving the bytes one rustfmt run over the whole file gives. (CI's
//! `cargo fmt --all --check` formats the committed files in one run and fails on any
//! difference; the tests below compare split and single runs directly.)
//!
//! How: before printing, [`mark_boundaries`] puts a marker item between every two items of
//! every module (not between two `use` items: rustfmt sorts runs of imports) and one at the
//! end of every inline module. The printed text then says where each boundary is. [`rustfmt`]
//! picks the boundary that halves the file best; the part from there to the end of its
//! module is formatted wrapped in that module's path (so it gets the same indentation), the
//! rest with a placeholder where that part was. Markers never reach the output: unused ones
//! are removed before formatting, modules with rustfmt attributes are never cut, a line of
//! generated code that reads like a marker is an error, and if a half fails or the splice
//! does not find its lines the whole file is formatted in one run instead.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// Why rustfmt could not format the code: it is missing, or it failed (the message says which).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct FormatError(pub String);

/// A file smaller than this is formatted in one run: a second rustfmt process costs about
/// 10 ms to start, which a small file does not win back.
const SPLIT_ABOVE: usize = 96 * 1024;

const MARK: &str = "const __XTASK_MARK_";
const SPLICE: &str = "const __XTASK_SPLICE: () = ();";
const BEGIN: &str = "const __XTASK_BEGIN: () = ();";
const END: &str = "const __XTASK_END: () = ();";

/// Where the markers [`mark_boundaries`] inserted belong: for marker `n`, the path of modules
/// it sits in, and whether it closes that module (`true`) or separates two of its items.
#[derive(Debug, Default)]
pub struct Boundaries {
    marks: Vec<(Vec<String>, bool)>,
}

/// Inserts the boundary markers into `file` (see the module documentation). Call it on every
/// part of a file with the same `boundaries`, then print the parts.
pub fn mark_boundaries(file: &mut syn::File, boundaries: &mut Boundaries) {
    mark_items(&mut file.items, &mut Vec::new(), boundaries, false);
}

fn mark_items(
    items: &mut Vec<syn::Item>,
    path: &mut Vec<String>,
    boundaries: &mut Boundaries,
    in_module: bool,
) {
    for item in items.iter_mut() {
        if let syn::Item::Mod(module) = item
            && !mentions_rustfmt(&module.attrs)
            && let Some((_, content)) = &mut module.content
        {
            path.push(module.ident.to_string());
            mark_items(content, path, boundaries, true);
            path.pop();
        }
    }
    let original = std::mem::take(items);
    let mut previous_is_use = true;
    for item in original {
        let is_use = matches!(item, syn::Item::Use(_));
        if !previous_is_use && !is_use && !items.is_empty() {
            items.push(marker(boundaries, path, false));
        }
        previous_is_use = is_use;
        items.push(item);
    }
    if in_module {
        items.push(marker(boundaries, path, true));
    }
}

/// Whether attributes say anything to rustfmt (`#[rustfmt::skip]`, a `cfg_attr` naming it):
/// a part cut out of such a module would be formatted without them, so none is cut out.
fn mentions_rustfmt(attrs: &[syn::Attribute]) -> bool {
    use quote::ToTokens;
    attrs
        .iter()
        .any(|attr| attr.to_token_stream().to_string().contains("rustfmt"))
}

fn marker(boundaries: &mut Boundaries, path: &[String], closes: bool) -> syn::Item {
    let name = quote::format_ident!("__XTASK_MARK_{}", boundaries.marks.len());
    boundaries.marks.push((path.to_vec(), closes));
    syn::parse_quote!(const #name: () = ();)
}

/// One marker line of the printed text.
struct Mark {
    index: usize,
    /// Byte offsets of the line's start and of the start of the next line.
    start: usize,
    end: usize,
}

fn marks(text: &str) -> Vec<Mark> {
    let mut found = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let end = start + line.len();
        if is_mark(line)
            && let Some(index) = line.trim()[MARK.len()..]
                .split(':')
                .next()
                .and_then(|n| n.parse().ok())
        {
            found.push(Mark { index, start, end });
        }
        start = end;
    }
    found
}

/// `text` without its marker lines.
fn strip(text: &str) -> String {
    text.split_inclusive('\n')
        .filter(|line| !is_mark(line))
        .collect()
}

/// Whether a printed line is one of the markers: exactly `const __XTASK_MARK_<n>: () = ();`.
fn is_mark(line: &str) -> bool {
    line.trim()
        .strip_prefix(MARK)
        .and_then(|rest| rest.strip_suffix(": () = ();"))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Formats printed code (with the markers of `boundaries`) exactly as one `rustfmt` run over
/// the code without markers would, in two processes when the code is large.
/// With `--timings`, each run is reported under `spec`.
pub fn rustfmt(
    spec: &str,
    code: &str,
    boundaries: &Boundaries,
    output: &Path,
) -> Result<String, FormatError> {
    use crate::timings::timed;
    let found = marks(code);
    if found.len() != boundaries.marks.len() {
        // A line of the generated code itself reads like a marker; removing the markers
        // would remove it too.
        return Err(FormatError(format!(
            "{}: the printed code has {} lines that read like xtask's formatting markers \
             (`{MARK}<n>: () = ();`) where {} were inserted",
            output.display(),
            found.len(),
            boundaries.marks.len()
        )));
    }
    let Some((rest, part)) = split(code, &found, boundaries) else {
        return timed(spec, "rustfmt (one run)", || {
            rustfmt_one(&strip(code), output)
        });
    };
    let (rest, part) = std::thread::scope(|scope| {
        let part =
            scope.spawn(|| timed(spec, "rustfmt (run 2 of 2)", || rustfmt_one(&part, output)));
        let rest = timed(spec, "rustfmt (run 1 of 2)", || rustfmt_one(&rest, output));
        let part = part
            .join()
            .unwrap_or_else(|payload| std::panic::resume_unwind(payload));
        (rest, part)
    });
    // Either half failing (it should not, as it is whole items) or a splice that does not
    // find its lines: format the whole file in one run, which reports any real error.
    let spliced = match (rest, part) {
        (Ok(rest), Ok(part)) => splice(&rest, &part),
        _ => None,
    };
    match spliced {
        Some(spliced) => Ok(spliced),
        // Not what rustfmt was expected to print: format the whole file in one run.
        None => timed(spec, "rustfmt (one run, after a failed splice)", || {
            rustfmt_one(&strip(code), output)
        }),
    }
}

/// The two texts to format, or `None` when the code is small or has no usable boundary:
/// the code with a placeholder instead of the part after the chosen boundary (to the end of
/// its module), and that part wrapped in its module path.
fn split(code: &str, found: &[Mark], boundaries: &Boundaries) -> Option<(String, String)> {
    if code.len() < SPLIT_ABOVE {
        return None;
    }
    let half = code.len() / 2;
    let mut closing = std::collections::HashMap::new();
    for mark in found {
        let (path, closes) = boundaries.marks.get(mark.index)?;
        if *closes {
            closing.insert(path.as_slice(), mark);
        }
    }
    let mut best: Option<(usize, &Mark, Option<&Mark>)> = None;
    for mark in found {
        let (path, closes) = boundaries.marks.get(mark.index)?;
        if *closes {
            continue;
        }
        let close = if path.is_empty() {
            None
        } else {
            Some(*closing.get(path.as_slice())?)
        };
        let end = close.map_or(code.len(), |c| c.start);
        if end < mark.end {
            return None;
        }
        let distance = (end - mark.end).abs_diff(half);
        if best.is_none_or(|(d, _, _)| distance < d) {
            best = Some((distance, mark, close));
        }
    }
    let (_, cut, close) = best?;
    let path = &boundaries.marks[cut.index].0;
    let end = close.map_or(code.len(), |c| c.start);
    let mut rest = strip(&code[..cut.start]);
    rest.push_str(SPLICE);
    rest.push('\n');
    rest.push_str(&strip(&code[close.map_or(code.len(), |c| c.end)..]));
    let mut part = String::new();
    for module in path {
        part.push_str("mod ");
        part.push_str(module);
        part.push_str(" {\n");
    }
    part.push_str(BEGIN);
    part.push('\n');
    // Only whole lines, and no blank line before the end marker: at the top level the part
    // runs to the end of the file, whose trailing blank lines one rustfmt run drops but a
    // blank line before the marker would keep.
    part.push_str(strip(&code[cut.end..end]).trim_end_matches('\n'));
    part.push('\n');
    part.push_str(END);
    part.push('\n');
    for _ in path {
        part.push_str("}\n");
    }
    Some((rest, part))
}

/// `rest` with its placeholder line replaced by the lines of `part` between its begin and end
/// lines; `None` if either is not found exactly once.
fn splice(rest: &str, part: &str) -> Option<String> {
    let only = |text: &str, needle: &str| {
        let mut lines = text
            .split_inclusive('\n')
            .scan(0, |offset, line| {
                let start = *offset;
                *offset += line.len();
                Some((start, line))
            })
            .filter(|(_, line)| line.trim() == needle);
        let (start, line) = lines.next()?;
        lines
            .next()
            .is_none()
            .then_some((start, start + line.len()))
    };
    let (_, body_start) = only(part, BEGIN)?;
    let (body_end, _) = only(part, END)?;
    let (at, after) = only(rest, SPLICE)?;
    let mut spliced = String::with_capacity(rest.len() + body_end - body_start);
    spliced.push_str(&rest[..at]);
    spliced.push_str(&part[body_start..body_end]);
    spliced.push_str(&rest[after..]);
    Some(spliced)
}

/// Formats code with the toolchain's rustfmt, exactly as `cargo fmt` would.
fn rustfmt_one(code: &str, output: &Path) -> Result<String, FormatError> {
    // rustfmt finds `rustfmt.toml` from its working directory: the output's directory, or
    // its nearest existing ancestor when the crate is new (a missing directory would make the
    // spawn fail and look like a missing rustfmt).
    let dir = output
        .ancestors()
        .skip(1)
        .find(|d| d.is_dir())
        .unwrap_or(Path::new("."));
    let mut child = Command::new(rustfmt_program())
        .args(["--edition", "2024", "--emit", "stdout", "--quiet"])
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| {
            FormatError(format!(
                "could not start rustfmt ({err}); install it with `rustup component add rustfmt`"
            ))
        })?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let input = code.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let result = child
        .wait_with_output()
        .map_err(|err| FormatError(err.to_string()))?;
    writer
        .join()
        .map_err(|_| FormatError("writer thread panicked".into()))?
        .map_err(|err| FormatError(err.to_string()))?;
    if !result.status.success() {
        return Err(FormatError(format!(
            "failed on generated code for {}: {}",
            output.display(),
            String::from_utf8_lossy(&result.stderr).trim()
        )));
    }
    String::from_utf8(result.stdout).map_err(|err| FormatError(err.to_string()))
}

/// The rustfmt to run: `$RUSTFMT` if set; else the one next to the cargo that started us
/// (`$CARGO`, as `cargo fmt` finds it: the same toolchain, without the ~50 ms of rustup's
/// proxy per spec); else `rustfmt` on `PATH`.
fn rustfmt_program() -> std::ffi::OsString {
    if let Some(program) = std::env::var_os("RUSTFMT") {
        return program;
    }
    if let Some(cargo) = std::env::var_os("CARGO") {
        let beside =
            Path::new(&cargo).with_file_name(format!("rustfmt{}", std::env::consts::EXE_SUFFIX));
        if beside.is_file() {
            return beside.into_os_string();
        }
    }
    "rustfmt".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printed(source: &str) -> (String, Boundaries) {
        let mut file: syn::File = syn::parse_str(source).unwrap();
        let mut boundaries = Boundaries::default();
        mark_boundaries(&mut file, &mut boundaries);
        (prettyplease::unparse(&file), boundaries)
    }

    #[test]
    fn markers_sit_between_items_but_not_between_imports() {
        let (text, boundaries) = printed(
            "use a::b; use c::d; fn one() {} mod m { use x::y; struct S; struct T; } fn two() {}",
        );
        let unmarked = prettyplease::unparse(
            &syn::parse_str::<syn::File>(
                "use a::b; use c::d; fn one() {} mod m { use x::y; struct S; struct T; } fn two() {}",
            )
            .unwrap(),
        );
        assert_eq!(strip(&text), unmarked);
        let kinds: Vec<_> = boundaries
            .marks
            .iter()
            .map(|(path, closes)| (path.join("::"), *closes))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("m".to_owned(), false),
                ("m".to_owned(), true),
                (String::new(), false),
                (String::new(), false),
            ]
        );
    }

    #[test]
    fn splicing_replaces_the_placeholder_with_the_part() {
        let rest = format!("mod m {{\n    fn a() {{}}\n    {SPLICE}\n}}\nfn z() {{}}\n");
        let part = format!("mod m {{\n    {BEGIN}\n    fn b() {{}}\n    {END}\n}}\n");
        assert_eq!(
            splice(&rest, &part).unwrap(),
            "mod m {\n    fn a() {}\n    fn b() {}\n}\nfn z() {}\n"
        );
        assert_eq!(splice(&rest, "fn b() {}\n"), None);
    }

    /// A cut at the top level, in a file printed as `generate` prints it (parts joined by a
    /// blank line), ends the file as one run does.
    #[test]
    fn a_top_level_cut_ends_the_file_as_one_run_does() {
        let mut boundaries = Boundaries::default();
        let mut text = String::new();
        for part in 0..2 {
            let mut source = String::new();
            for i in 0..1200 {
                source.push_str(&format!(
                    "/// Function {part}.{i}.\npub fn f{part}_{i}(a: u32) -> u32 {{ a + {i} }}\n"
                ));
            }
            let mut file: syn::File = syn::parse_str(&source).unwrap();
            mark_boundaries(&mut file, &mut boundaries);
            text.push_str(&prettyplease::unparse(&file));
            text.push('\n');
        }
        assert!(
            text.len() > SPLIT_ABOVE,
            "the test file is too small to split"
        );
        let (_, part) = split(&text, &marks(&text), &boundaries).expect("a split");
        assert!(part.starts_with(BEGIN), "a top-level cut");
        let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated.rs");
        let whole = rustfmt_one(&strip(&text), &output).unwrap();
        assert!(whole.ends_with("}\n") && !whole.ends_with("\n\n"));
        assert_eq!(rustfmt("test", &text, &boundaries, &output).unwrap(), whole);
    }

    #[test]
    fn modules_with_rustfmt_attributes_are_not_cut_and_marker_look_alikes_are_refused() {
        let (_, boundaries) = printed("#[rustfmt::skip] mod m { struct A; struct B; } fn f() {}");
        assert!(boundaries.marks.iter().all(|(path, _)| path.is_empty()));
        let (text, boundaries) = printed("fn f() {} fn g() {}");
        let text = format!("{text}const __XTASK_MARK_99: () = ();\n");
        let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated.rs");
        let error = rustfmt("test", &text, &boundaries, &output).unwrap_err();
        assert!(error.0.contains("read like"), "{error}");
    }

    /// The split picks a boundary that halves a large file and, formatted in two runs, gives
    /// the bytes of one run (here on a file of many small items in nested modules).
    #[test]
    fn two_runs_give_the_bytes_of_one() {
        let mut source = String::from("use std::fmt;\npub mod types {\n");
        for i in 0..1500 {
            source.push_str(&format!(
                "/// Item {i}.\n#[derive(Debug)] pub struct S{i} {{ pub a: u32, pub b: Option<String> }}\n"
            ));
        }
        source.push_str("pub mod builder {\n");
        for i in 0..1500 {
            source.push_str(&format!(
                "impl S{i} {{ pub fn new(a: u32) -> Self {{ Self {{ a, b: None }} }} }}\n"
            ));
        }
        source.push_str("}\n}\nfn tail() { let _ = 1; }\n");
        let (text, boundaries) = printed(&source);
        assert!(
            text.len() > SPLIT_ABOVE,
            "the test file is too small to split"
        );
        let (rest, part) = split(&text, &marks(&text), &boundaries).expect("a split");
        assert!(part.starts_with("mod types {\nmod builder {\n"));
        let ratio = part.len() as f64 / text.len() as f64;
        assert!((0.35..0.65).contains(&ratio), "unbalanced split: {ratio}");
        assert!(rest.contains(SPLICE));
        let output = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generated.rs");
        let whole = rustfmt_one(&strip(&text), &output).unwrap();
        assert_eq!(rustfmt("test", &text, &boundaries, &output).unwrap(), whole);
    }
}

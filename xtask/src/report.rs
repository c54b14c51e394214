//! How `validate` prints its findings: for people, for programs, and for GitHub Actions.

use std::fmt::Write as _;
use std::time::Duration;

use clap::ValueEnum;
use serde::Serialize;

use crate::diagnostics::Diagnostics;

/// Output format of `cargo xtask validate`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `file:line:col: error[rule]: message` lines and a summary, for a terminal.
    #[default]
    Human,
    /// One JSON document: the defects and a summary.
    Json,
    /// GitHub Actions workflow commands (`::error file=...`), annotating the pull request.
    Github,
}

/// What was checked.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Summary {
    /// Specs checked.
    pub specs: usize,
    /// Specs with at least one defect.
    pub specs_with_defects: usize,
    /// Wall time of the checks.
    #[serde(serialize_with = "millis")]
    pub elapsed: Duration,
}

fn millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

/// Renders the findings in `format`.
pub fn render(diagnostics: &Diagnostics, summary: Summary, format: Format) -> String {
    match format {
        Format::Human => human(diagnostics, summary),
        Format::Json => {
            #[derive(Serialize)]
            struct Report<'a> {
                defects: &'a [crate::diagnostics::Diagnostic],
                summary: Summary,
            }
            let report = Report {
                defects: diagnostics.as_slice(),
                summary,
            };
            serde_json::to_string_pretty(&report).expect("the report serializes") + "\n"
        }
        Format::Github => {
            let mut out = String::new();
            for d in diagnostics {
                let _ = writeln!(
                    out,
                    "::error file={},line={},col={},title={}::{}",
                    escape_property(&d.file),
                    d.line,
                    d.col,
                    escape_property(d.rule),
                    escape_data(&format!("{} (at #{})", d.message, d.pointer))
                );
            }
            out.push_str(&summary_line(diagnostics, summary));
            out.push('\n');
            out
        }
    }
}

fn human(diagnostics: &Diagnostics, summary: Summary) -> String {
    let mut out = String::new();
    for d in diagnostics {
        let _ = writeln!(
            out,
            "{}:{}:{}: error[{}]: {}",
            d.file, d.line, d.col, d.rule, d.message
        );
        let _ = writeln!(out, "    at #{}", d.pointer);
    }
    if !diagnostics.is_empty() {
        out.push('\n');
    }
    out.push_str(&summary_line(diagnostics, summary));
    out.push('\n');
    out
}

fn summary_line(diagnostics: &Diagnostics, summary: Summary) -> String {
    let ms = summary.elapsed.as_millis();
    if diagnostics.is_empty() {
        format!("{} spec(s) valid ({ms} ms)", summary.specs)
    } else {
        format!(
            "{} defect(s) in {} of {} spec(s) ({ms} ms); waive one only with `x-waive: {{rule-id: reason}}` at its location",
            diagnostics.len(),
            summary.specs_with_defects,
            summary.specs
        )
    }
}

/// Escapes the message part of a workflow command.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value of a workflow command.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostics::Diagnostic;

    fn sample() -> Diagnostics {
        Diagnostics::from(vec![Diagnostic {
            rule: "ref-resolves",
            file: "spec/a.yaml".into(),
            line: 3,
            col: 7,
            pointer: "/paths/~1x".into(),
            message: "`#/x` does not resolve, 100%".into(),
        }])
    }

    fn summary() -> Summary {
        Summary {
            specs: 2,
            specs_with_defects: 1,
            elapsed: Duration::from_millis(12),
        }
    }

    #[test]
    fn human_lines_point_at_the_place() {
        let out = render(&sample(), summary(), Format::Human);
        assert!(out.starts_with("spec/a.yaml:3:7: error[ref-resolves]: `#/x` does not resolve, 100%\n    at #/paths/~1x\n"), "{out}");
        assert!(
            out.contains("1 defect(s) in 1 of 2 spec(s) (12 ms)"),
            "{out}"
        );
    }

    #[test]
    fn github_annotations_are_escaped() {
        let out = render(&sample(), summary(), Format::Github);
        assert!(out.starts_with(
            "::error file=spec/a.yaml,line=3,col=7,title=ref-resolves::`#/x` does not resolve, 100%25 (at #/paths/~1x)\n"
        ), "{out}");
    }

    #[test]
    fn json_is_machine_readable() {
        let out = render(&sample(), summary(), Format::Json);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(value["defects"][0]["rule"], "ref-resolves");
        assert_eq!(value["defects"][0]["line"], 3);
        assert_eq!(value["summary"]["specs"], 2);
        assert_eq!(value["summary"]["elapsed"], 12);
    }
}

//! The one place that writes to stdout, and the terminal facts the output depends on.
//!
//! Writing to a closed pipe (`meeting-usage report | head -1`) is not an error worth a
//! message: [`print()`] reports it as [`Printed::PipeClosed`] and the command ends quietly.

#![allow(clippy::print_stdout, reason = "the module that owns stdout")]

use std::io::{self, IsTerminal, Write};

/// What became of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Printed {
    /// Everything was written.
    Done,
    /// The reader went away (`EPIPE`); the rest was dropped.
    PipeClosed,
}

/// Writes `text` to stdout and flushes it.
pub fn print(text: &str) -> io::Result<Printed> {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(Printed::Done),
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(Printed::PipeClosed),
        Err(err) => Err(err),
    }
}

/// Writes one line to stderr, ignoring failures (a closed stderr must not end the run).
pub fn note(line: &str) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "{line}");
}

/// Whether colour suits a stream that is (or is not) a terminal: only on a terminal, never
/// with `NO_COLOR` set to anything non-empty (<https://no-color.org>), never on `TERM=dumb`.
pub fn colour_allowed(is_terminal: bool) -> bool {
    colour_decision(
        is_terminal,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// [`colour_allowed`] with the environment passed in.
fn colour_decision(
    is_terminal: bool,
    no_color: Option<&std::ffi::OsStr>,
    term: Option<&std::ffi::OsStr>,
) -> bool {
    let no_color = no_color.is_some_and(|v| !v.is_empty());
    let dumb = term.is_some_and(|t| t == "dumb");
    is_terminal && !no_color && !dumb
}

/// Whether stdout gets colour.
pub fn stdout_colour() -> bool {
    colour_allowed(io::stdout().is_terminal())
}

/// Whether stderr gets colour (log lines, error prefixes).
pub fn stderr_colour() -> bool {
    colour_allowed(io::stderr().is_terminal())
}

/// Whether a live line (the spinner, the fleet's progress bar) may be drawn on stderr: a
/// terminal that is not `TERM=dumb`, since the line is rewritten with `\r` and an erase
/// sequence. The one decision for both; callers add `!--verbose`. Never coloured.
pub fn progress_allowed() -> bool {
    progress_decision(
        io::stderr().is_terminal(),
        std::env::var_os("TERM").as_deref(),
    )
}

/// [`progress_allowed`] with the environment passed in.
fn progress_decision(is_terminal: bool, term: Option<&std::ffi::OsStr>) -> bool {
    is_terminal && term.is_none_or(|t| t != "dumb")
}

/// `error: <message>` for stderr, the prefix in red when stderr takes colour.
pub fn error_line(message: &str) -> String {
    if stderr_colour() {
        format!("\x1b[1;31merror:\x1b[0m {message}")
    } else {
        format!("error: {message}")
    }
}

/// `warning: <message>` for stderr, the prefix in yellow when stderr takes colour.
pub fn warning_line(message: &str) -> String {
    if stderr_colour() {
        format!("\x1b[1;33mwarning:\x1b[0m {message}")
    } else {
        format!("warning: {message}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        let xterm = Some(OsStr::new("xterm-256color"));
        assert!(colour_decision(true, None, xterm));
        assert!(!colour_decision(false, None, xterm));
        assert!(!colour_decision(true, Some(OsStr::new("1")), xterm));
        // An empty NO_COLOR does not count (no-color.org).
        assert!(colour_decision(true, Some(OsStr::new("")), xterm));
        assert!(!colour_decision(true, None, Some(OsStr::new("dumb"))));
    }

    #[test]
    fn live_lines_only_on_a_terminal_that_is_not_dumb() {
        assert!(progress_decision(true, Some(OsStr::new("xterm-256color"))));
        assert!(progress_decision(true, None));
        assert!(!progress_decision(false, Some(OsStr::new("xterm"))));
        assert!(!progress_decision(true, Some(OsStr::new("dumb"))));
    }
}

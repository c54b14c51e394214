//! `report --resume FILE`: going on with an interrupted `--format jsonl` fleet run.
//!
//! The file is read line by line. A complete line (ending in a line feed) is one account's
//! entry: an answered account is kept and skipped by the new run; a failed one is dropped, so
//! the new run asks it again and the file ends with each account once. A last line without
//! its line feed was cut off (the process was killed while writing it): it is dropped and its
//! account asked again. The kept lines are written to a temporary file beside FILE, which
//! then replaces it (so a crash while resuming loses nothing), and the new lines are appended.
//!
//! A complete line that is not an entry (not JSON, or without `account_id`) stops the run
//! with a configuration error naming the line: the file is not what `--resume` expects, and
//! nothing is changed.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead as _, BufReader, BufWriter, Write as _};
use std::path::Path;

use serde::Deserialize;

use crate::sources::ConfigError;

/// What an earlier run left, once FILE holds only its answered accounts.
#[derive(Debug)]
pub struct Resumed {
    /// The ids of the accounts answered (skipped by the new run).
    pub done: HashSet<String>,
    /// Failed accounts dropped from the file (asked again).
    pub failed: usize,
    /// Whether a cut-off last line was dropped.
    pub truncated: bool,
    /// FILE, open for appending.
    pub file: File,
}

/// The members of an entry `--resume` reads.
#[derive(Deserialize)]
struct Entry {
    account_id: String,
    #[serde(default)]
    report: Option<serde::de::IgnoredAny>,
}

/// Reads `path`, rewrites it with its answered accounts only, and opens it for appending.
pub fn prepare(path: &Path) -> Result<Resumed, ConfigError> {
    let name = path.display();
    let cannot = |what: &str, err: std::io::Error| {
        ConfigError(format!("--resume {name}: cannot {what}: {err}"))
    };
    let file = File::open(path).map_err(|err| cannot("read it", err))?;
    let mut reader = BufReader::new(file);
    let temp_path = path.with_extension("resume-tmp");
    let temp = File::create(&temp_path).map_err(|err| cannot("write beside it", err))?;
    let mut kept = BufWriter::new(temp);
    let mut done = HashSet::new();
    let mut failed = 0;
    let mut truncated = false;
    let mut line = Vec::new();
    let mut number = 0;
    let result: Result<(), ConfigError> = (|| {
        loop {
            line.clear();
            let read = reader
                .read_until(b'\n', &mut line)
                .map_err(|err| cannot("read it", err))?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            if line.last() != Some(&b'\n') {
                truncated = true;
                return Ok(());
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let entry: Entry = serde_json::from_slice(&line).map_err(|err| {
                ConfigError(format!(
                    "--resume {name}, line {number}: not an account of a `--format jsonl` \
                     run ({err}); nothing was changed"
                ))
            })?;
            if entry.report.is_none() {
                failed += 1;
                continue;
            }
            if done.insert(entry.account_id) {
                kept.write_all(&line)
                    .map_err(|err| cannot("write beside it", err))?;
            }
        }
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_file(&temp_path);
        return Err(err);
    }
    let temp = kept
        .into_inner()
        .map_err(|err| cannot("write beside it", err.into_error()))?;
    temp.sync_all()
        .map_err(|err| cannot("write beside it", err))?;
    drop(temp);
    std::fs::rename(&temp_path, path).map_err(|err| cannot("replace it", err))?;
    let file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(|err| cannot("append to it", err))?;
    Ok(Resumed {
        done,
        failed,
        truncated,
        file,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_answered_accounts_and_drops_failures_and_a_cut_off_line() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join("fleet.jsonl");
        let text = concat!(
            "{\"account_id\":\"a\",\"account_name\":null,\"report\":{\"seats\":[]},\"error\":null}\n",
            "{\"account_id\":\"b\",\"account_name\":null,\"report\":null,\"error\":{\"status\":404}}\n",
            "{\"account_id\":\"c\",\"account_name\":null,\"report\":{\"seats\":[]},\"error\":null}\n",
            "{\"account_id\":\"d\",\"account_name\":null,\"rep",
        );
        std::fs::write(&path, text).unwrap_or_else(|err| panic!("{err}"));
        let resumed = prepare(&path).unwrap_or_else(|err| panic!("{}", err.0));
        let mut done: Vec<&str> = resumed.done.iter().map(String::as_str).collect();
        done.sort_unstable();
        assert_eq!(done, ["a", "c"]);
        assert_eq!(resumed.failed, 1);
        assert!(resumed.truncated);
        let rewritten = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(rewritten.lines().count(), 2);
        assert!(rewritten.ends_with('\n') && !rewritten.contains("\"b\""));
        assert!(!dir.path().join("fleet.resume-tmp").exists());
    }

    #[test]
    fn a_file_that_is_not_jsonl_is_refused_untouched() {
        let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
        let path = dir.path().join("report.json");
        std::fs::write(&path, "{\n  \"accounts\": [\n").unwrap_or_else(|err| panic!("{err}"));
        let err = prepare(&path).err().map(|e| e.0).unwrap_or_default();
        assert!(
            err.contains("line 1") && err.contains("nothing was changed"),
            "{err}"
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap_or_default(),
            "{\n  \"accounts\": [\n"
        );
    }
}

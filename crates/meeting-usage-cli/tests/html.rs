//! `report --format html` in a real browser: headless Chromium (Debian package `chromium`,
//! installed by CI) loads the page, its DOM is checked for the seed figures, and a screenshot
//! is written under `target/` for people to look at (CI keeps it). Skipped where Chromium is
//! not installed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

/// The browser, if one is installed.
fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Runs headless Chromium on `page` with `args`, within a minute; its stdout (through a file,
/// so that a large DOM cannot fill a pipe nobody reads while the test waits).
fn browse(browser: &str, page: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap_or_else(|err| panic!("{err}"));
    let dump = profile.path().join("stdout");
    let sink = std::fs::File::create(&dump).unwrap_or_else(|err| panic!("{err}"));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(sink)
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|err| panic!("{browser} does not start: {err}"));
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().ok().flatten().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{browser} did not finish within a minute");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    read(&dump)
}

fn write_page(name: &str, args: &[&str]) -> PathBuf {
    let output = run(meeting_usage().args(args).args(["--format", "html"]));
    assert_eq!(
        code(&output),
        if args.contains(&"--all-sub-accounts") {
            1
        } else {
            0
        },
        "stderr: {}",
        stderr(&output)
    );
    let html = stdout(&output);
    for forbidden in ["<script", "http://", "https://", "<link", "url("] {
        assert!(!html.contains(forbidden), "{forbidden} in the page");
    }
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, html).unwrap_or_else(|err| panic!("{err}"));
    path
}

/// The row of the table whose header cell is `label`, as text.
fn row<'a>(dom: &'a str, label: &str) -> &'a str {
    let start = dom
        .find(&format!("<th scope=\"row\">{label}</th>"))
        .unwrap_or_else(|| panic!("no row {label}"));
    let end = dom[start..].find("</tr>").map_or(dom.len(), |e| start + e);
    &dom[start..end]
}

#[test]
fn the_report_page_shows_the_seed_figures_in_a_browser() {
    let Some(browser) = chromium() else {
        common::skip_without("Chromium (Debian package `chromium`)");
        return;
    };
    let page = write_page("report.html", &["report", "--sandbox"]);
    let dom = browse(browser, &page, &["--dump-dom"]);
    assert!(dom.contains("<h1>Licence and storage use</h1>"), "{dom}");
    // Zoom's plan_base, Huawei's soft clients and Webex's Enterprise Edition, as the seeds say.
    for (label, bought, used) in [
        ("Meetings", "75", "44"),
        ("Soft-client accounts", "200", "158"),
        (
            "Meeting - Webex Enterprise Edition <span class=\"muted\">(acme.webex.com)</span>",
            "400",
            "312",
        ),
    ] {
        let cells = row(&dom, label);
        assert!(
            cells.contains(&format!(
                "<td class=\"n\">{bought}</td><td class=\"n\">{used}</td>"
            )),
            "{label}: {cells}"
        );
    }
    let iq = row(&dom, "Zoom IQ");
    assert!(
        iq.contains("<span class=\"over\">OVER</span>") && iq.contains("class=\"overflow\""),
        "{iq}"
    );
    let meetings = row(&dom, "meetings");
    assert!(
        meetings.contains("<td class=\"n\">725</td><td class=\"n\">559</td>"),
        "{meetings}"
    );
    assert!(dom.contains("<caption>Activity</caption>"));
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("report.png");
    browse(
        browser,
        &page,
        &[
            "--window-size=1100,1600",
            &format!("--screenshot={}", png.display()),
        ],
    );
    let written = std::fs::metadata(&png).map_or(0, |m| m.len());
    assert!(written > 10_000, "no screenshot at {}", png.display());
}

#[test]
fn the_fleet_page_lists_the_worst_accounts_first() {
    let Some(browser) = chromium() else {
        common::skip_without("Chromium (Debian package `chromium`)");
        return;
    };
    let page = write_page(
        "fleet.html",
        &[
            "report",
            "--sandbox",
            "--vendor",
            "zoom",
            "--all-sub-accounts",
            "--max-rps",
            "100",
        ],
    );
    let dom = browse(browser, &page, &["--dump-dom"]);
    assert!(
        dom.contains("<h2>Accounts by worst utilisation</h2>"),
        "{dom}"
    );
    assert!(
        dom.contains("<h2>Failures</h2>"),
        "the sandbox fleet has a failing account"
    );
    // The busiest product's use of each listed account, in page order, never rises.
    let mut worst = Vec::new();
    for section in dom.split("<h2>").filter(|s| s.contains(" — account ")) {
        let best = section
            .split("<td class=\"n\">")
            .filter_map(|c| c.split_once("%</td>").map(|(n, _)| n))
            .filter_map(|n| n.parse::<f64>().ok())
            .fold(f64::MIN, f64::max);
        worst.push(best);
    }
    assert!(worst.len() > 10, "{worst:?}");
    assert!(worst.windows(2).all(|w| w[0] >= w[1]), "{worst:?}");
    let png = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fleet.png");
    browse(
        browser,
        &page,
        &[
            "--window-size=1100,1600",
            &format!("--screenshot={}", png.display()),
        ],
    );
    assert!(std::fs::metadata(&png).is_ok_and(|m| m.len() > 10_000));
}

//! Live lines on stderr while the vendors answer: the spinner of a single command and the
//! progress bar of a fleet run (accounts done of the total, the rate and the time left). The
//! caller decides whether to draw ([`crate::output::progress_allowed`]: a terminal, not
//! `TERM=dumb`, and not `--verbose`); both go through [`draw_while`], and neither uses colour.
//!
//! The facade's progress callback only stores the latest figures ([`Shared::callback`]); a
//! ticker redraws the line every 100 ms from them, so a thousand accounts finishing in a burst
//! cost a thousand stores, not a thousand redraws.

use std::future::Future;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use meeting_usage::{FleetProgress, ProgressFn};

/// Frames of the spinner, drawn in turn.
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Cells of the bar itself.
const BAR: usize = 24;

/// How often the line is redrawn.
const REDRAW: Duration = Duration::from_millis(100);

/// How long the spinner waits before its first frame, so that quick answers do not flicker.
const SPINNER_DELAY: Duration = Duration::from_millis(150);

/// The latest figures the facade reported, shared with its callback.
#[derive(Clone, Default)]
pub struct Shared(Arc<Mutex<Option<FleetProgress>>>);

impl Shared {
    /// The callback for [`meeting_usage::FleetOptions::progress`]: stores the figures.
    pub fn callback(&self) -> ProgressFn {
        let shared = self.0.clone();
        Arc::new(move |progress| {
            *shared.lock().unwrap_or_else(|p| p.into_inner()) = Some(progress);
        })
    }

    fn latest(&self) -> Option<FleetProgress> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The spinner's frame `tick`.
fn frame(tick: usize) -> char {
    FRAMES[tick % FRAMES.len()]
}

/// Runs `future`; when `enabled`, draws `message` with a turning frame on stderr until it
/// completes (from 150 ms on), then erases the line.
pub async fn with_spinner<F: Future>(enabled: bool, message: &str, future: F) -> F::Output {
    if !enabled {
        return future.await;
    }
    draw_while(SPINNER_DELAY, future, |tick| {
        format!("{} {message}", frame(tick))
    })
    .await
}

/// Runs `future`; when `enabled`, redraws the progress line every 100 ms until it completes
/// (a spinner and `waiting` until the first account is done), then erases the line.
pub async fn with_progress<F: Future>(
    enabled: bool,
    shared: &Shared,
    waiting: &str,
    future: F,
) -> F::Output {
    if !enabled {
        return future.await;
    }
    draw_while(REDRAW, future, |tick| match shared.latest() {
        Some(progress) => line(&progress),
        None => format!("{} {waiting}", frame(tick)),
    })
    .await
}

/// The one writer of live lines: runs `future`, and from `delay` on, every 100 ms, rewrites
/// the stderr line with `text(tick)` (back to the line start, the text, then an erase of what
/// a longer line left); once `future` completes, erases the line if anything was drawn.
async fn draw_while<F: Future>(
    delay: Duration,
    future: F,
    mut text: impl FnMut(usize) -> String,
) -> F::Output {
    let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + delay, REDRAW);
    tokio::pin!(future);
    let mut tick = 0;
    let output = loop {
        tokio::select! {
            output = &mut future => break output,
            _ = ticks.tick() => {
                let line = text(tick);
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r{line}\x1b[K");
                let _ = stderr.flush();
                tick += 1;
            }
        }
    };
    if tick > 0 {
        let mut stderr = std::io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
    output
}

/// The progress line: `[#####...] 12/40 accounts  9.7/s  ETA 3s  1 failed`.
pub fn line(progress: &FleetProgress) -> String {
    let total = progress.total.max(1);
    let done = progress.done.min(total);
    let filled = done * BAR / total;
    let seconds = progress.elapsed.as_secs_f64();
    // Counts to float: only one decimal of the rate is shown.
    let rate = if seconds > 0.0 {
        done as f64 / seconds
    } else {
        0.0
    };
    let eta = if rate > 0.0 {
        let left = progress.total.saturating_sub(progress.done) as f64 / rate;
        format!("ETA {}", duration(left))
    } else {
        "ETA -".to_owned()
    };
    let mut text = format!(
        "[{}{}] {}/{} accounts  {rate:.1}/s  {eta}",
        "#".repeat(filled),
        ".".repeat(BAR - filled),
        progress.done,
        progress.total,
    );
    if progress.failed > 0 {
        text.push_str(&format!("  {} failed", progress.failed));
    }
    text
}

/// Seconds as `42s`, `3m05s` or `2h07m`.
fn duration(seconds: f64) -> String {
    // Float to integer: whole seconds, rounded up so that the ETA never says 0 too early.
    let whole = seconds.max(0.0).ceil() as u64;
    match whole {
        0..60 => format!("{whole}s"),
        60..3600 => format!("{}m{:02}s", whole / 60, whole % 60),
        _ => format!("{}h{:02}m", whole / 3600, whole % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_done_rate_and_eta() {
        let progress = FleetProgress {
            done: 10,
            total: 40,
            failed: 1,
            elapsed: Duration::from_secs(1),
        };
        assert_eq!(
            line(&progress),
            "[######..................] 10/40 accounts  10.0/s  ETA 3s  1 failed"
        );
        let start = FleetProgress {
            done: 0,
            total: 0,
            failed: 0,
            elapsed: Duration::ZERO,
        };
        assert!(line(&start).ends_with("0/0 accounts  0.0/s  ETA -"));
        assert!(line(&progress).chars().count() < 80);
    }

    #[test]
    fn durations() {
        assert_eq!(duration(0.2), "1s");
        assert_eq!(duration(185.0), "3m05s");
        assert_eq!(duration(7_620.0), "2h07m");
    }
}

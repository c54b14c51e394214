//! Wall time per spec and phase, for `cargo xtask validate --timings` and `generate --timings`.
//!
//! Off unless [`enable`] is called: [`timed`] then costs one relaxed atomic load. Phases of
//! different specs run on different threads, so their times overlap; the total line of
//! [`render`] is the sum, not the wall time of the run.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static ENABLED: AtomicBool = AtomicBool::new(false);
static RECORDED: Mutex<Vec<Timing>> = Mutex::new(Vec::new());

/// One timed phase.
#[derive(Clone, Debug)]
pub struct Timing {
    /// The spec it ran on (`-` for work shared by all specs).
    pub spec: String,
    /// What ran.
    pub phase: &'static str,
    /// How long it took.
    pub elapsed: Duration,
}

/// Starts recording.
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Runs `f`, recording its wall time under `spec` and `phase` when recording is on.
pub fn timed<T>(spec: &str, phase: &'static str, f: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return f();
    }
    let started = Instant::now();
    let result = f();
    let elapsed = started.elapsed();
    RECORDED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .push(Timing {
            spec: spec.to_owned(),
            phase,
            elapsed,
        });
    result
}

/// Everything recorded so far, in the order the phases ended.
pub fn take() -> Vec<Timing> {
    std::mem::take(&mut *RECORDED.lock().unwrap_or_else(|p| p.into_inner()))
}

/// A table: one line per spec and phase (in the order they ended), then the sum per phase.
pub fn render(timings: &[Timing]) -> String {
    let mut out = format!("{:<32} {:<28} {:>10}\n", "spec", "phase", "wall");
    for t in timings {
        out.push_str(&format!(
            "{:<32} {:<28} {:>10}\n",
            t.spec,
            t.phase,
            crate::bench::ms(t.elapsed)
        ));
    }
    let mut phases: Vec<&'static str> = Vec::new();
    for t in timings {
        if !phases.contains(&t.phase) {
            phases.push(t.phase);
        }
    }
    out.push('\n');
    for phase in phases {
        let sum: Duration = timings
            .iter()
            .filter(|t| t.phase == phase)
            .map(|t| t.elapsed)
            .sum();
        out.push_str(&format!(
            "{:<32} {:<28} {:>10}\n",
            "(all specs)",
            phase,
            crate::bench::ms(sum)
        ));
    }
    out
}

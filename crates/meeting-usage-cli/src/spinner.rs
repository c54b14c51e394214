//! A spinner on stderr while the vendors are queried, only when stderr is a terminal.

use std::future::Future;
use std::io::Write;
use std::time::Duration;

/// Frames drawn in turn.
const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Runs `future`; when `enabled`, draws `message` with a turning frame on stderr until it
/// completes (after a short delay, so quick answers do not flicker), then clears the line.
pub async fn with_spinner<F: Future>(enabled: bool, message: &str, future: F) -> F::Output {
    if !enabled {
        return future.await;
    }
    let start = tokio::time::Instant::now() + Duration::from_millis(150);
    let mut ticks = tokio::time::interval_at(start, Duration::from_millis(100));
    tokio::pin!(future);
    let mut frame = 0;
    let mut drawn = false;
    let output = loop {
        tokio::select! {
            output = &mut future => break output,
            _ = ticks.tick() => {
                let mut stderr = std::io::stderr().lock();
                let _ = write!(stderr, "\r{} {message}", FRAMES[frame % FRAMES.len()]);
                let _ = stderr.flush();
                frame += 1;
                drawn = true;
            }
        }
    };
    if drawn {
        let mut stderr = std::io::stderr().lock();
        // Back to the line start and erase it.
        let _ = write!(stderr, "\r\x1b[2K");
        let _ = stderr.flush();
    }
    output
}

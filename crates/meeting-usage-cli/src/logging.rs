//! Request tracing on stderr: `--verbose`, or a `RUST_LOG` filter.
//!
//! The generated clients run every request in a `vendor_call` span (vendor, operation, method,
//! status, latency, request id) and log one debug event when the answer arrives; header
//! values and bodies are never recorded, so no secret reaches the log.

use tracing_subscriber::EnvFilter;

/// What `--verbose` shows: the facade's and the clients' debug events (one per vendor call,
/// inside its `vendor_call` span), warnings from everything else.
const VERBOSE_FILTER: &str = "warn,vendor_types=debug,meeting_usage=debug";

/// Installs the stderr subscriber: `RUST_LOG` when set, else [`VERBOSE_FILTER`] with
/// `--verbose`, else nothing (no tracing at all).
pub fn init(verbose: bool, colour: bool) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = match from_env {
        Some(directives) => match EnvFilter::try_new(&directives) {
            Ok(filter) => filter,
            Err(err) => {
                crate::output::note(&crate::output::warning_line(&format!(
                    "RUST_LOG is not a valid filter ({err}); using the --verbose filter"
                )));
                EnvFilter::new(VERBOSE_FILTER)
            }
        },
        None if verbose => EnvFilter::new(VERBOSE_FILTER),
        None => return,
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .try_init();
}

//! Group 4: examples validate against their schemas (filled in by issue 4).

use super::LoadedSpec;
use crate::diagnostics::Diagnostic;

pub(super) fn check(_spec: &LoadedSpec) -> Vec<Diagnostic> {
    Vec::new()
}

//! Group 1: validation against the official OpenAPI 3.0 JSON Schema (filled in by issue 4).

use super::LoadedSpec;
use crate::diagnostics::Diagnostic;

pub(super) fn check(_spec: &LoadedSpec) -> Vec<Diagnostic> {
    Vec::new()
}

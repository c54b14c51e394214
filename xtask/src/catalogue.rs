//! The one place that says which spec becomes which generated file, and how.
//!
//! Adding a spec to the workspace means adding an entry here; `generate`, `validate`, the
//! drift check and the tests all read this table.

use progenitor::{GenerationSettings, HooksMode, InterfaceStyle, TagStyle, TypeImpl};

/// One spec and the generated module it produces.
#[derive(Clone, Copy, Debug)]
pub struct SpecEntry {
    /// Spec path, relative to the workspace root.
    pub spec: &'static str,
    /// Generated file path, relative to the workspace root.
    pub output: &'static str,
    /// Where `generate` copies the spec into the sandbox's package (which embeds it, and
    /// must build from its own files once published), relative to the workspace root.
    pub sandbox_copy: &'static str,
    /// Name of the crate that owns the generated file.
    pub crate_name: &'static str,
    /// The vendor, lower case, as the generated hooks name it in `tracing` spans and errors.
    pub vendor: &'static str,
    /// The response header in which the vendor sends its request id (recorded per call).
    pub request_id_header: &'static str,
    /// Lenient vendor types: spec schema name → hand-written Rust type in the owning crate.
    pub replacements: &'static [Replacement],
}

/// A spec schema whose generated type is replaced by a hand-written one.
#[derive(Clone, Copy, Debug)]
pub struct Replacement {
    /// Name of the schema under `components/schemas`.
    pub schema: &'static str,
    /// Path of the Rust type that replaces it.
    pub rust_type: &'static str,
    /// Whether the replacement implements `Default` (typify derives `Default` on structs whose
    /// fields all have one).
    pub default: bool,
}

/// Every spec of the workspace, in generation order.
pub const SPECS: &[SpecEntry] = &[
    SpecEntry {
        spec: "spec/zoom/billing-plans.yaml",
        output: "crates/zoom-billing/src/generated.rs",
        sandbox_copy: "crates/spec-sandbox/specs/zoom/billing-plans.yaml",
        crate_name: "zoom-billing",
        vendor: "zoom",
        request_id_header: "x-zm-trackingid",
        replacements: &[
            Replacement {
                schema: "PlanUsageOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::PlanUsage>",
                default: false,
            },
            Replacement {
                schema: "RoomPlanUsageOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::RoomPlanUsage>",
                default: false,
            },
            Replacement {
                schema: "PlanSeatsOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::PlanSeats>",
                default: false,
            },
            Replacement {
                schema: "DiscountedPlanOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::DiscountedPlan>",
                default: false,
            },
            Replacement {
                schema: "BasePlanUsageOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::BasePlanUsage>",
                default: false,
            },
            Replacement {
                schema: "PlanSubscriptionOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::PlanSubscription>",
                default: false,
            },
            Replacement {
                schema: "ContactCenterUsagePlanOneOrMany",
                rust_type: "crate::OneOrMany<crate::types::ContactCenterUsagePlan>",
                default: false,
            },
        ],
    },
    SpecEntry {
        spec: "spec/zoom/oauth.yaml",
        output: "crates/zoom-billing/src/generated_oauth.rs",
        sandbox_copy: "crates/spec-sandbox/specs/zoom/oauth.yaml",
        crate_name: "zoom-billing",
        vendor: "zoom",
        request_id_header: "x-zm-trackingid",
        replacements: &[
            Replacement {
                schema: "AccessToken",
                rust_type: "crate::Secret",
                default: false,
            },
            Replacement {
                schema: "Int64OrString",
                rust_type: "crate::Lenient<i64>",
                default: false,
            },
        ],
    },
    SpecEntry {
        spec: "spec/huawei/meeting.yaml",
        output: "crates/huawei-meeting/src/generated.rs",
        sandbox_copy: "crates/spec-sandbox/specs/huawei/meeting.yaml",
        crate_name: "huawei-meeting",
        vendor: "huawei",
        request_id_header: "X-Request-Id",
        replacements: &[
            Replacement {
                schema: "Int32OrString",
                rust_type: "crate::Lenient<i32>",
                default: false,
            },
            Replacement {
                schema: "Int64OrString",
                rust_type: "crate::Lenient<i64>",
                default: false,
            },
            Replacement {
                schema: "Int32OrStringOrNull",
                rust_type: "crate::Lenient<i32>",
                default: false,
            },
            Replacement {
                schema: "Int64OrStringOrNull",
                rust_type: "crate::Lenient<i64>",
                default: false,
            },
            Replacement {
                schema: "DoubleOrString",
                rust_type: "crate::Lenient<f64>",
                default: false,
            },
            Replacement {
                schema: "AccessToken",
                rust_type: "crate::Secret",
                default: false,
            },
            Replacement {
                schema: "IssuedToken",
                rust_type: "crate::Secret",
                default: false,
            },
            Replacement {
                schema: "AppIdAuthorization",
                rust_type: "crate::Secret",
                default: false,
            },
        ],
    },
    SpecEntry {
        spec: "spec/webex/admin.yaml",
        output: "crates/webex-admin/src/generated.rs",
        sandbox_copy: "crates/spec-sandbox/specs/webex/admin.yaml",
        crate_name: "webex-admin",
        vendor: "webex",
        request_id_header: "Trackingid",
        replacements: &[
            Replacement {
                schema: "Int64OrStringOrNull",
                rust_type: "crate::Lenient<i64>",
                default: false,
            },
            Replacement {
                schema: "AccessToken",
                rust_type: "crate::Secret",
                default: false,
            },
            Replacement {
                schema: "RefreshToken",
                rust_type: "crate::Secret",
                default: false,
            },
            Replacement {
                schema: "ClientSecret",
                rust_type: "crate::Secret",
                default: false,
            },
        ],
    },
];

impl SpecEntry {
    /// The progenitor settings for this spec.
    ///
    /// All specs use the builder interface (every parameter is named at the call site, and a
    /// new optional parameter in a spec does not break callers) with merged tags (one `Client`
    /// per spec, no extension traits to import). Hooks are expected: `generate` appends the
    /// `ClientHooks` implementation (`hooks.rs`), and progenitor then emits a compile-time
    /// check that it exists instead of its no-op default.
    pub fn settings(&self) -> GenerationSettings {
        let mut settings = GenerationSettings::new();
        settings
            .with_interface(InterfaceStyle::Builder)
            .with_tag(TagStyle::Merged)
            .with_hooks(HooksMode::Expected);
        for replacement in self.replacements {
            let impls: Vec<TypeImpl> = if replacement.default {
                vec![TypeImpl::Default]
            } else {
                Vec::new()
            };
            settings.with_replacement(replacement.schema, replacement.rust_type, impls.into_iter());
        }
        settings
    }
}

/// Looks an entry up by spec path (as written in [`SPECS`]).
pub fn by_spec(spec: &str) -> Option<&'static SpecEntry> {
    SPECS.iter().find(|entry| entry.spec == spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One entry per spec and per output file: `diff`, `validate` and `generate` walk the
    /// catalogue once and rely on it.
    #[test]
    fn specs_and_outputs_are_listed_once() {
        let mut specs: Vec<&str> = SPECS.iter().map(|e| e.spec).collect();
        let mut outputs: Vec<&str> = SPECS.iter().map(|e| e.output).collect();
        specs.sort_unstable();
        specs.dedup();
        outputs.sort_unstable();
        outputs.dedup();
        assert_eq!(specs.len(), SPECS.len(), "a spec is listed twice");
        assert_eq!(outputs.len(), SPECS.len(), "an output is listed twice");
    }
}

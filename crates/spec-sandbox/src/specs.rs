//! The specs compiled into the sandbox, and where each is served. What differs per vendor
//! (errors, request ids, tokens) is in each spec's `x-sandbox-vendor` extension.
//!
//! The files are the package's own `specs/` directory: copies of the workspace's `spec/` that
//! `cargo xtask generate` writes and its `--check` keeps equal (a published crate builds from
//! its own files only).

/// A spec compiled into the binary.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddedSpec {
    /// Path in the workspace, e.g. `spec/zoom/billing-plans.yaml`.
    pub file: &'static str,
    /// The YAML source.
    pub source: &'static str,
    /// URL prefix of the vendor; the path of the spec's first server URL follows it.
    pub prefix: &'static str,
}

/// Every spec the sandbox serves. The vendor prefix keeps vendors apart on one port: Zoom's
/// `/v2/accounts/...` and Huawei's `/v2/usg/...` would otherwise share `/v2`.
pub const EMBEDDED: &[EmbeddedSpec] = &[
    EmbeddedSpec {
        file: "spec/zoom/billing-plans.yaml",
        source: include_str!("../specs/zoom/billing-plans.yaml"),
        prefix: "/zoom",
    },
    EmbeddedSpec {
        file: "spec/zoom/oauth.yaml",
        source: include_str!("../specs/zoom/oauth.yaml"),
        prefix: "/zoom",
    },
    EmbeddedSpec {
        file: "spec/huawei/meeting.yaml",
        source: include_str!("../specs/huawei/meeting.yaml"),
        prefix: "/huawei",
    },
    EmbeddedSpec {
        file: "spec/webex/admin.yaml",
        source: include_str!("../specs/webex/admin.yaml"),
        prefix: "/webex",
    },
];

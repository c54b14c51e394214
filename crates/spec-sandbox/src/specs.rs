//! The specs compiled into the sandbox, and where each is served.

use crate::vendor::Vendor;

/// A spec compiled into the binary.
#[derive(Clone, Copy, Debug)]
pub struct EmbeddedSpec {
    /// Path in the workspace, e.g. `spec/zoom/billing-plans.yaml`.
    pub file: &'static str,
    /// The YAML source.
    pub source: &'static str,
    /// Whose API it describes (error format, auth, headers).
    pub vendor: Vendor,
    /// URL prefix of the vendor; the path of the spec's first server URL follows it.
    pub prefix: &'static str,
}

/// Every spec the sandbox serves. The vendor prefix keeps vendors apart on one port: Zoom's
/// `/v2/accounts/...` and Huawei's `/v2/usg/...` would otherwise share `/v2`.
pub const EMBEDDED: &[EmbeddedSpec] = &[
    EmbeddedSpec {
        file: "spec/zoom/billing-plans.yaml",
        source: include_str!("../../../spec/zoom/billing-plans.yaml"),
        vendor: Vendor::Zoom,
        prefix: "/zoom",
    },
    EmbeddedSpec {
        file: "spec/zoom/oauth.yaml",
        source: include_str!("../../../spec/zoom/oauth.yaml"),
        vendor: Vendor::ZoomOAuth,
        prefix: "/zoom",
    },
    EmbeddedSpec {
        file: "spec/huawei/meeting.yaml",
        source: include_str!("../../../spec/huawei/meeting.yaml"),
        vendor: Vendor::Huawei,
        prefix: "/huawei",
    },
];

//! Configuring the `meeting-usage` facade: credentials from the command line or the
//! environment (or the embedded sandbox) into [`ZoomAccount`], [`HuaweiEnterprise`] and
//! [`WebexOrg`], the
//! concurrent query of a single report, and the facade's errors into [`Failure`] entries.
//!
//! Not the only module that uses the facade: `main.rs` calls the clients built here and reads
//! their answers (plans, resources, add-on receipts, errors), `fleet.rs` runs a fleet and turns
//! its `FleetReport` into the renderers' input, `progress.rs` takes the fleet's progress
//! callback, and `render/` formats the usage model.

use meeting_usage::{
    Error, HuaweiEnterprise, Secret, UsageReport, UsageSource, Vendor, WebexOrg, ZoomAccount,
};
use spec_sandbox::{RunningSandbox, Sandbox, SandboxConfig};

use crate::cli::{GlobalArgs, HuaweiArgs, SecretArg, VendorChoice, WebexArgs, ZoomArgs};
use crate::render::{Failure, one_line};

/// The `User-Agent` of every request the command sends.
const USER_AGENT: &str = concat!("meeting-usage-cli/", env!("CARGO_PKG_VERSION"));

/// The Zoom account of the sandbox's OAuth example.
const SANDBOX_ZOOM_ACCOUNT: &str = "kKPjoUQnTVGY0D8fXtmqUg";
/// The Huawei App ID of the sandbox's signature example.
const SANDBOX_HUAWEI_APP_ID: &str = "fdb8e4699586458bbd10c834872dcc62";
/// The access token of the sandbox's Webex token example (no token file is involved).
const SANDBOX_WEBEX_TOKEN: &str =
    "eg-0PTR6Yd3inZPNLTTXM57DFa_G6J_n7lVavmuj2VaWisK9pmwgsuuBU2ioOxRs";

/// A configuration problem, reported on one line with exit status 2.
#[derive(Debug)]
pub struct ConfigError(pub String);

/// Where the vendors are: the configured ones, or the embedded sandbox.
pub enum Target {
    /// Credentials and URLs from flags and environment variables.
    Configured,
    /// The embedded sandbox, started on a free loopback port for this run.
    Sandbox(RunningSandbox),
}

impl Target {
    /// Starts the sandbox with `sandbox`'s settings when given (on the current tokio
    /// runtime).
    pub async fn new(sandbox: Option<SandboxConfig>) -> Result<Target, ConfigError> {
        let Some(config) = sandbox else {
            return Ok(Target::Configured);
        };
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        Sandbox::start(config, addr)
            .await
            .map(Target::Sandbox)
            .map_err(|err| ConfigError(format!("the sandbox cannot start: {err}")))
    }
}

/// Whether any Zoom credential is set (so that `--vendor all` includes Zoom).
pub fn zoom_configured(args: &ZoomArgs) -> bool {
    args.zoom_account_id.is_some()
        || args.zoom_client_id.is_some()
        || args.zoom_client_secret.is_some()
}

/// Whether any Huawei credential is set (so that `--vendor all` includes Huawei).
pub fn huawei_configured(args: &HuaweiArgs) -> bool {
    args.huawei_meeting_app_id.is_some() || args.huawei_meeting_app_key.is_some()
}

/// Whether any Webex credential is set (so that `--vendor all` includes Webex).
pub fn webex_configured(args: &WebexArgs) -> bool {
    args.webex_access_token.is_some() || args.webex_client_id.is_some()
}

/// The one line for missing credentials: which variables, and that `--sandbox` needs none.
fn missing(vendor: &str, names: &[&str]) -> ConfigError {
    ConfigError(format!(
        "missing {vendor} credential{}: set {} (or the flag{} of the same name), or try \
         --sandbox for the offline example figures",
        if names.len() == 1 { "" } else { "s" },
        names.join(", "),
        if names.len() == 1 { "" } else { "s" },
    ))
}

/// An empty value counts as not set.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

/// The Zoom account of the configuration or of the sandbox.
pub fn zoom(global: &GlobalArgs, target: &Target) -> Result<ZoomAccount, ConfigError> {
    let builder = match target {
        Target::Sandbox(sandbox) => ZoomAccount::builder(
            SANDBOX_ZOOM_ACCOUNT,
            SandboxConfig::default().zoom_client_id,
            Secret::from(SandboxConfig::default().zoom_client_secret),
        )
        .api_url(sandbox.base_url("spec/zoom/billing-plans.yaml"))
        .oauth_url(sandbox.base_url("spec/zoom/oauth.yaml")),
        Target::Configured => {
            let args = &global.zoom;
            let secret = args
                .zoom_client_secret
                .as_ref()
                .map(|s| s.0.as_str())
                .filter(|s| !s.is_empty());
            let (Some(account), Some(client), Some(secret)) = (
                present(&args.zoom_account_id),
                present(&args.zoom_client_id),
                secret,
            ) else {
                let mut names = Vec::new();
                if present(&args.zoom_account_id).is_none() {
                    names.push("ZOOM_ACCOUNT_ID");
                }
                if present(&args.zoom_client_id).is_none() {
                    names.push("ZOOM_CLIENT_ID");
                }
                if secret.is_none() {
                    names.push("ZOOM_CLIENT_SECRET");
                }
                return Err(missing("Zoom", &names));
            };
            let mut builder = ZoomAccount::builder(account, client, Secret::from(secret));
            if let Some(url) = present(&args.zoom_api_url) {
                builder = builder.api_url(url);
            }
            if let Some(url) = present(&args.zoom_oauth_url) {
                builder = builder.oauth_url(url);
            }
            builder
        }
    };
    builder
        .user_agent(USER_AGENT)
        .build()
        .map_err(|err| ConfigError(format!("zoom: {err}")))
}

/// The Huawei enterprise of the configuration or of the sandbox.
pub fn huawei(global: &GlobalArgs, target: &Target) -> Result<HuaweiEnterprise, ConfigError> {
    let builder = match target {
        Target::Sandbox(sandbox) => HuaweiEnterprise::builder(
            SANDBOX_HUAWEI_APP_ID,
            Secret::from(SandboxConfig::default().huawei_app_key),
        )
        .api_url(sandbox.base_url("spec/huawei/meeting.yaml")),
        Target::Configured => {
            let args = &global.huawei;
            let key = args
                .huawei_meeting_app_key
                .as_ref()
                .map(|s| s.0.as_str())
                .filter(|s| !s.is_empty());
            let (Some(app_id), Some(key)) = (present(&args.huawei_meeting_app_id), key) else {
                let mut names = Vec::new();
                if present(&args.huawei_meeting_app_id).is_none() {
                    names.push("HUAWEI_MEETING_APP_ID");
                }
                if key.is_none() {
                    names.push("HUAWEI_MEETING_APP_KEY");
                }
                return Err(missing("Huawei Cloud Meeting", &names));
            };
            let mut builder = HuaweiEnterprise::builder(app_id, Secret::from(key));
            if let Some(url) = present(&args.huawei_meeting_api_url) {
                builder = builder.api_url(url);
            }
            if let Some(user) = present(&args.huawei_meeting_user_id) {
                builder = builder.user_id(user);
            }
            if let Some(corp) = present(&args.huawei_meeting_corp_id) {
                builder = builder.corp_id(corp);
            }
            builder
        }
    };
    builder
        .user_agent(USER_AGENT)
        .build()
        .map_err(|err| ConfigError(format!("huawei: {err}")))
}

/// The Webex organisation of the configuration or of the sandbox: an access token, else an
/// integration whose refresh token is kept in the token file.
pub fn webex(global: &GlobalArgs, target: &Target) -> Result<WebexOrg, ConfigError> {
    let secret =
        |arg: &Option<SecretArg>| arg.as_ref().map(|s| s.0.clone()).filter(|s| !s.is_empty());
    let args = &global.webex;
    let mut builder = match target {
        Target::Sandbox(sandbox) => WebexOrg::with_access_token(Secret::from(SANDBOX_WEBEX_TOKEN))
            .api_url(sandbox.base_url("spec/webex/admin.yaml")),
        Target::Configured => {
            let builder = match (
                secret(&args.webex_access_token),
                present(&args.webex_client_id),
            ) {
                (Some(token), _) => WebexOrg::with_access_token(Secret::from(token)),
                (None, Some(client)) => {
                    let Some(client_secret) = secret(&args.webex_client_secret) else {
                        return Err(missing("Webex", &["WEBEX_CLIENT_SECRET"]));
                    };
                    let refresh = secret(&args.webex_refresh_token).map(Secret::from);
                    let file = args
                        .webex_token_file
                        .clone()
                        .or_else(WebexOrg::default_token_file);
                    let Some(file) = file else {
                        return Err(ConfigError(
                            "no state directory for the Webex token file: set WEBEX_TOKEN_FILE"
                                .into(),
                        ));
                    };
                    if refresh.is_none() && !file.exists() {
                        return Err(missing("Webex", &["WEBEX_REFRESH_TOKEN"]));
                    }
                    WebexOrg::integration(client, Secret::from(client_secret), refresh)
                        .token_file(file)
                }
                (None, None) => return Err(missing("Webex", &["WEBEX_ACCESS_TOKEN"])),
            };
            match present(&args.webex_api_url) {
                Some(url) => builder.api_url(url),
                None => builder,
            }
        }
    };
    if let Some(org) = present(&args.webex_org_id).filter(|_| matches!(target, Target::Configured))
    {
        builder = builder.org_id(org);
    }
    builder
        .user_agent(USER_AGENT)
        .build()
        .map_err(|err| ConfigError(format!("webex: {err}")))
}

/// The sources a command queries: the vendor chosen, or with [`VendorChoice::All`] every
/// vendor with a credential set (all of them on the sandbox).
pub struct Sources {
    /// Zoom, when chosen.
    pub zoom: Option<ZoomAccount>,
    /// Huawei Cloud Meeting, when chosen.
    pub huawei: Option<HuaweiEnterprise>,
    /// Webex, when chosen.
    pub webex: Option<WebexOrg>,
}

impl Sources {
    /// The chosen vendors' clients, built from the configuration (or the sandbox).
    pub fn chosen(
        global: &GlobalArgs,
        target: &Target,
        vendor: VendorChoice,
    ) -> Result<Sources, ConfigError> {
        let sandbox = matches!(target, Target::Sandbox(_));
        let (zoom, huawei, webex) = match vendor {
            VendorChoice::Zoom => (true, false, false),
            VendorChoice::Huawei => (false, true, false),
            VendorChoice::Webex => (false, false, true),
            VendorChoice::All if sandbox => (true, true, true),
            VendorChoice::All => (
                zoom_configured(&global.zoom),
                huawei_configured(&global.huawei),
                webex_configured(&global.webex),
            ),
        };
        if !zoom && !huawei && !webex {
            return Err(ConfigError(
                "no vendor is configured: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID and \
                 ZOOM_CLIENT_SECRET, or HUAWEI_MEETING_APP_ID and HUAWEI_MEETING_APP_KEY, or \
                 WEBEX_ACCESS_TOKEN (or WEBEX_CLIENT_ID, WEBEX_CLIENT_SECRET and \
                 WEBEX_REFRESH_TOKEN), or try --sandbox for the offline example figures"
                    .into(),
            ));
        }
        Ok(Sources {
            zoom: zoom.then(|| self::zoom(global, target)).transpose()?,
            huawei: huawei.then(|| self::huawei(global, target)).transpose()?,
            webex: webex.then(|| self::webex(global, target)).transpose()?,
        })
    }

    /// The chosen ones, in the order reports list them (Zoom, Huawei, Webex).
    pub fn list(&self) -> Vec<&dyn UsageSource> {
        let mut list: Vec<&dyn UsageSource> = Vec::new();
        if let Some(zoom) = &self.zoom {
            list.push(zoom);
        }
        if let Some(huawei) = &self.huawei {
            list.push(huawei);
        }
        if let Some(webex) = &self.webex {
            list.push(webex);
        }
        list
    }
}

/// Queries every source at once; reports and failures in the order of `sources`. A refused
/// refresh token, and anything else the facade calls a configuration error (a token file that
/// cannot be read, written or locked, a request the spec refuses), stops the run with one
/// line and status 2: only the user can fix those.
pub async fn collect(
    sources: &[&dyn UsageSource],
) -> Result<(Vec<UsageReport>, Vec<Failure>), ConfigError> {
    let mut reports = Vec::new();
    let mut failures = Vec::new();
    for (source, result) in sources.iter().zip(meeting_usage::collect(sources).await) {
        match outcome(*source, result)? {
            Ok(report) => reports.push(report),
            Err(failure) => failures.push(failure),
        }
    }
    Ok((reports, failures))
}

/// A source's answer: its report, a [`Failure`] entry, or (outer `Err`) a problem only the
/// user can fix: a refused refresh token, or anything else the facade calls a configuration
/// error.
pub fn outcome(
    source: &dyn UsageSource,
    result: Result<UsageReport, Error>,
) -> Result<Result<UsageReport, Failure>, ConfigError> {
    match result {
        Ok(report) => Ok(Ok(report)),
        Err(err @ Error::RefreshTokenRefused { .. }) => {
            let hint = "(WEBEX_REFRESH_TOKEN, which takes over from the token file)";
            Err(ConfigError(format!(
                "{} {hint}",
                one_line(&err.to_string())
            )))
        }
        Err(Error::Config { message }) => Err(ConfigError(format!(
            "{}: {}",
            source.vendor(),
            one_line(&message)
        ))),
        Err(err) => Ok(Err(failure(source.vendor(), source.account(), &err))),
    }
}

/// A facade error as a [`Failure`] entry.
pub fn failure(vendor: Vendor, account: &str, err: &Error) -> Failure {
    Failure {
        vendor: err.vendor().unwrap_or(vendor),
        account: account.to_owned(),
        operation: err.operation().map(str::to_owned),
        status: err.status(),
        code: err.vendor_code().map(str::to_owned),
        request_id: err.request_id().map(str::to_owned),
        message: one_line(&err.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_names_every_variable_and_the_sandbox() {
        let err = missing("Zoom", &["ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET"]);
        assert_eq!(
            err.0,
            "missing Zoom credentials: set ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET (or the flags of \
             the same name), or try --sandbox for the offline example figures"
        );
        assert!(!err.0.contains('\n'));
    }

    #[test]
    fn errors_become_failures() {
        let err = Error::Api {
            vendor: Vendor::Zoom,
            operation: "GetPlanUsage",
            status: 503,
            code: Some("503".into()),
            message: Some("down\nfor maintenance".into()),
            request_id: Some("r-1".into()),
        };
        let failure = failure(Vendor::Zoom, "acct", &err);
        assert_eq!(failure.operation.as_deref(), Some("GetPlanUsage"));
        assert_eq!(failure.status, Some(503));
        assert_eq!(failure.code.as_deref(), Some("503"));
        assert_eq!(failure.request_id.as_deref(), Some("r-1"));
        assert!(!failure.message.contains('\n'));
    }
}

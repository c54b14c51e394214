//! An embedded, spec-driven mock of the vendor APIs this workspace describes (Zoom, Huawei,
//! Webex). What differs per vendor comes from each spec's `x-sandbox-vendor` extension.
//!
//! The specs are compiled in. Every operation of every spec is served under its vendor prefix
//! and the path of its first server URL:
//!
//! | spec | base URL |
//! |---|---|
//! | `spec/zoom/billing-plans.yaml` | `http://HOST:PORT/zoom/v2` |
//! | `spec/zoom/oauth.yaml` | `http://HOST:PORT/zoom` (token at `/zoom/oauth/token`) |
//! | `spec/huawei/meeting.yaml` | `http://HOST:PORT/huawei` |
//! | `spec/webex/admin.yaml` | `http://HOST:PORT/webex/v1` (token at `/webex/v1/access_token`) |
//!
//! For each request the sandbox routes by path and method (unknown path 404, wrong method 405,
//! in the vendor's error format), applies queued faults, checks credentials like the vendor,
//! validates parameters and body against the spec (a 400 naming the field), and answers with
//! the example of the operation's success status. `Prefer: code=404` or `Prefer:
//! example=NAME` picks another documented response. Token operations (`x-sandbox-role`) issue,
//! validate and refresh tokens for real. No code is specific to an endpoint: add an operation
//! with examples to a spec and it is served.
//!
//! # Test credentials
//!
//! - Zoom OAuth: client id `sandbox-client-id`, secret `sandbox-client-secret`
//!   ([`SandboxConfig`]), account id `kKPjoUQnTVGY0D8fXtmqUg` (the spec's example). As the spec
//!   documents: missing or malformed Basic credentials get the 401 `invalid_request`, wrong
//!   ones the 400 `invalid_client`, an account id without an app the 400 `invalid_request`.
//! - Huawei App ID: the spec's example App ID `fdb8e4699586458bbd10c834872dcc62` with app key
//!   `test-app-key`; the spec's example `Authorization` header verifies. The header must carry
//!   both `signature=<hex>` (either hex case: Huawei's Python SDK sends upper case) and
//!   `access=<Base64 App ID>`.
//! - Webex: the refresh endpoint takes the spec's example client (`client_id`,
//!   `client_secret` in the form body; another client gets the 401) and a refresh token it
//!   knows (another gets the 400). Each refresh answers a new refresh token and revokes the
//!   one presented, unless it is the example's, which stays valid.
//! - The tokens in the token operations' examples are valid and never expire, so every spec
//!   example works as is; tokens issued at run time expire after
//!   [`SandboxConfig::token_lifetime`].
//!
//! # Rate limits (opt-in)
//!
//! With [`SandboxConfig::rate_limits`], [`RunningSandbox::set_rate_limits`], the binary's
//! `--rate-limit pro` (or `HEAVY=200,MEDIUM=5`), or `PUT /__sandbox/rate-limits` with
//! `{"tier": "pro"}` or `{"limits": {"HEAVY": 200}}`, each operation's `x-rate-limit` label
//! gets a quota per window ([`RateLimits::tier`] holds Zoom's table for Free, Pro and
//! Business+). All requests of one vendor count as one account; operations with one label
//! share a window, which opens with the first request after the previous one ended. A request
//! over the quota gets the operation's documented 429 body, `Retry-After` in seconds and
//! `X-RateLimit-Category`, `-Type: QPS`, `-Limit`, `-Remaining`. `DELETE` turns it off.
//!
//! # Fleet (opt-in)
//!
//! With [`SandboxConfig::fleet`], [`RunningSandbox::set_fleet`], `--fleet N --fleet-seed S`,
//! or `PUT /__sandbox/fleet` with `{"accounts": N, "seed": S, "missing": [positions]}`, the
//! operations a spec marks with `x-sandbox-fleet` answer for N generated accounts instead of
//! their examples (`spec/README.md` documents the extension):
//!
//! - `role: sub-account-list` (Zoom's `GET /accounts`): the N accounts in pages of the
//!   requested size, with signed `next_page_token`s that expire after
//!   [`FleetConfig::page_token_lifetime`] (15 minutes) or at
//!   [`RunningSandbox::expire_page_tokens`] (`POST /__sandbox/fleet/expire-page-tokens`); a
//!   stale or forged token gets the error example the extension names.
//! - `role: per-account` (plan usage): each account's own figures, derived from the seed and
//!   its id on the spec's example; about one account in four uses more than it bought
//!   ([`FleetConfig::over_allocated`]); `missing` positions and unknown ids get the not-found
//!   example; the path parameter's example (`me`) keeps the spec's example.
//!
//! # Example
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use spec_sandbox::{Sandbox, SandboxConfig};
//!
//! let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse()?).await?;
//! let zoom = zoom_billing::Client::new_with_client(
//!     &sandbox.base_url("spec/zoom/billing-plans.yaml"),
//!     zoom_billing::http_client_with_token("eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJhdWQiOiJodHRwczovL29hdXRoLnpvb20udXMifQ.c2lnbmF0dXJl")?,
//! );
//! let usage = zoom.get_plan_usage().account_id("me").send().await?;
//! let base = usage.plan_base.iter().flatten().next().expect("a base plan");
//! assert_eq!(base.hosts, Some(75));
//! # Ok(()) }
//! ```

mod app;
pub mod fleet;
pub mod limits;
pub mod model;
pub mod server;
pub mod specs;
pub mod state;
pub mod vendor;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;

pub use app::{CONTROL_ENDPOINTS, FAULT_HEADER};
pub use fleet::FleetConfig;
pub use limits::{Limit, RateLimits, RateTier};
pub use state::{Fault, FaultKind, InvalidFault, LoggedRequest};

/// Settings of a sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Zoom OAuth client id accepted by the token endpoint.
    pub zoom_client_id: String,
    /// Zoom OAuth client secret accepted by the token endpoint.
    pub zoom_client_secret: String,
    /// Secret key of the Huawei example App ID.
    pub huawei_app_key: String,
    /// Lifetime of tokens issued at run time (refresh tokens: 30 times this).
    pub token_lifetime: Duration,
    /// Largest request body accepted; larger ones get a 413.
    pub max_body_bytes: usize,
    /// How long a client may take to send a request's headers (then the connection is closed)
    /// and, separately, its body (then a 408 in the vendor's format).
    pub read_timeout: Duration,
    /// Zoom per-second limits reported for Heavy, Medium and Light operations.
    pub zoom_limits: [u64; 3],
    /// Huawei per-minute limit of each API (`X-APIG-Ratelimit-Api`).
    pub huawei_api_limit: u64,
    /// Huawei per-second limit for all environments (`X-APIG-Ratelimit-Api-Allenv`).
    pub huawei_allenv_limit: u64,
    /// Enforced rate limits per `x-rate-limit` label (`None`, the default: nothing is
    /// refused). See [`RateLimits`] and [`RunningSandbox::set_rate_limits`].
    pub rate_limits: Option<RateLimits>,
    /// A fleet of generated accounts served by the `x-sandbox-fleet` operations (`None`, the
    /// default: they serve their examples). See [`RunningSandbox::set_fleet`].
    pub fleet: Option<FleetConfig>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        SandboxConfig {
            zoom_client_id: "sandbox-client-id".into(),
            zoom_client_secret: "sandbox-client-secret".into(),
            huawei_app_key: "test-app-key".into(),
            token_lifetime: Duration::from_secs(3600),
            max_body_bytes: 1024 * 1024,
            read_timeout: Duration::from_secs(30),
            // Zoom's published per-second limits of a Pro account.
            zoom_limits: [10, 20, 30],
            // The quotas of Huawei's documented orgRes example.
            huawei_api_limit: 100,
            huawei_allenv_limit: 200,
            rate_limits: None,
            fleet: None,
        }
    }
}

/// Why a sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// An embedded spec does not compile (a build with a broken spec).
    #[error("{0}")]
    Spec(#[from] model::ModelError),
    /// The fleet settings are out of bounds ([`FleetConfig::validate`]).
    #[error("fleet: {0}")]
    Fleet(String),
    /// The address cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// Starts sandboxes.
pub struct Sandbox;

impl Sandbox {
    /// Binds `addr` (use `127.0.0.1:0` for a free port) and serves on the current tokio
    /// runtime until the returned handle is dropped or shut down.
    pub async fn start(
        config: SandboxConfig,
        addr: SocketAddr,
    ) -> Result<RunningSandbox, StartError> {
        if let Some(fleet) = &config.fleet {
            fleet.validate().map_err(StartError::Fleet)?;
        }
        let model = model::Model::compile(specs::EMBEDDED)?;
        let app = Arc::new(app::App::new(model, config));
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        let respond = app.clone();
        let server = server::Server::serve(listener, app.config.read_timeout, move |request| {
            respond.respond(request)
        })
        .map_err(|source| StartError::Bind { addr, source })?;
        Ok(RunningSandbox { addr, app, server })
    }
}

/// A running sandbox. Dropping it stops the server.
pub struct RunningSandbox {
    addr: SocketAddr,
    app: Arc<app::App>,
    server: server::Server,
}

impl RunningSandbox {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL of a spec (`spec/zoom/billing-plans.yaml` → `http://127.0.0.1:PORT/zoom/v2`);
    /// pass it to the generated client's `Client::new`.
    ///
    /// # Panics
    ///
    /// If the spec is not embedded.
    pub fn base_url(&self, spec: &str) -> String {
        let model = self
            .app
            .model
            .specs
            .iter()
            .find(|s| s.file == spec)
            .unwrap_or_else(|| panic!("the sandbox does not serve {spec}"));
        format!("http://{}{}", self.addr, model.mount)
    }

    /// Queues a fault.
    ///
    /// # Errors
    ///
    /// When the fault names an operation the sandbox does not serve, asks for zero uses, a
    /// status outside 400–599 or a delay above [`state::MAX_DELAY_MS`], or when
    /// [`state::MAX_QUEUED_FAULTS`] faults are already queued.
    pub fn inject(&self, fault: Fault) -> Result<(), InvalidFault> {
        self.app.queue_fault(fault)
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.app.faults.clear();
    }

    /// Requests that reached an operation (by `operationId`) since start or the last
    /// [`clear_log`](Self::clear_log).
    pub fn count(&self, operation_id: &str) -> u64 {
        self.app
            .model
            .specs
            .iter()
            .flat_map(|s| &s.ops)
            .find(|op| op.id == operation_id)
            .map_or(0, |op| self.app.log.count(op.index))
    }

    /// The most recent requests (up to [`state::LOG_CAPACITY`]), oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.app.log.entries()
    }

    /// How many requests made the sandbox panic (each was answered with a 500). Any value
    /// other than zero is a sandbox bug; the robustness tests assert it stays zero.
    pub fn panics(&self) -> u64 {
        self.app.panics()
    }

    /// Forgets the request log and counts.
    pub fn clear_log(&self) {
        self.app.log.clear();
    }

    /// Makes every token issued so far expire now (the tokens of the specs' examples stay).
    pub fn expire_issued_tokens(&self) {
        self.app.tokens.expire_all_issued();
    }

    /// Turns the rate-limit mode on with these limits, or off with `None`. Windows start
    /// afresh. Operations are limited per account (all Zoom requests are one account) and per
    /// `x-rate-limit` label; a request over its label's limit is answered 429 with the
    /// operation's documented 429 body, `Retry-After` (seconds) and Zoom's `X-RateLimit-*`
    /// headers, which admitted requests carry too.
    pub fn set_rate_limits(&self, limits: Option<RateLimits>) {
        self.app.limiter.set(limits);
    }

    /// The rate limits being enforced, if any.
    pub fn rate_limits(&self) -> Option<RateLimits> {
        self.app.limiter.get()
    }

    /// Serves this fleet of generated accounts from the `x-sandbox-fleet` operations, or
    /// turns fleet mode off with `None`. Page tokens issued before expire.
    ///
    /// # Errors
    ///
    /// When [`FleetConfig::validate`] refuses the settings (nothing changes then).
    pub fn set_fleet(&self, fleet: Option<FleetConfig>) -> Result<(), String> {
        self.app.set_fleet(fleet)
    }

    /// The ids of the fleet's accounts in list order (empty when fleet mode is off).
    pub fn fleet_account_ids(&self) -> Vec<String> {
        self.app.fleet().map(|f| f.ids.clone()).unwrap_or_default()
    }

    /// Makes every page token issued so far expire now, as if 15 minutes had passed.
    pub fn expire_page_tokens(&self) {
        self.app.expire_page_tokens();
    }

    /// Stops accepting connections, lets open ones finish their current request, and returns
    /// once the listening socket is closed.
    pub async fn shutdown(self) {
        self.server.shutdown().await;
    }
}

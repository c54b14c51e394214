//! Cisco Webex: an organisation's licences, with an access token or an integration whose
//! refresh token may be replaced on every refresh.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use webex_admin::token_file::{TokenFile, TokenFileLock};
use webex_admin::types as wt;

use crate::call::{self, Operation, ReadBody as _};
use crate::error::Error;
use crate::model::{UsageReport, Vendor};
use crate::source::{BoxFuture, UsageSource};
use crate::token::{Token, TokenCache};
use crate::{Secret, http_client};

/// The account name of a report when no organisation is named: the token's own.
const OWN_ORG: &str = "me";

/// How often a held token-file lock is tried again.
const LOCK_POLL: Duration = Duration::from_millis(50);

/// One Webex organisation, reached with an access token or an integration.
///
/// - **Access token** ([`WebexOrg::with_access_token`]): sent as it is; a personal token
///   lasts 12 hours, so this suits trying things out.
/// - **Integration** ([`WebexOrg::integration`]): client id, client secret and a refresh
///   token. The access token is fetched on first use from `<api url>/access_token`, cached
///   (at most a day) and shared by concurrent calls; a 401 renews it once. Webex may answer a
///   refresh with a **new refresh token**, after which the old one stops working: the facade
///   keeps the newest in memory and, with a [token file](WebexOrgBuilder::token_file), on
///   disk, where the next run finds it. Once the file exists its token is used first; the
///   configured one is tried only if the file's is refused (so configuring a freshly
///   authorized refresh token recovers without deleting the file). When every refresh
///   token is refused the call fails with [`Error::RefreshTokenRefused`].
///
/// ```no_run
/// # async fn demo() -> Result<(), meeting_usage::Error> {
/// use meeting_usage::{Secret, WebexOrg};
///
/// let webex = WebexOrg::integration("<client id>", Secret::from("<client secret>"), Some(Secret::from("<refresh token>")))
///     .token_file(WebexOrg::default_token_file().expect("a home directory"))
///     .build()?;
/// for seats in webex.usage().await?.seats {
///     println!("{}: {:?} of {:?}", seats.label(), seats.used(), seats.purchased());
/// }
/// # Ok(()) }
/// ```
pub struct WebexOrg {
    org_id: Option<String>,
    auth: Auth,
    api_url: String,
    /// The client of the token endpoint (no credentials in its headers).
    tokens: webex_admin::Client,
    settings: call::Settings,
    /// The licences client whose every request carries the current bearer token.
    api: TokenCache<Arc<webex_admin::Client>>,
}

/// How a [`WebexOrg`] authenticates (`Debug` shows no secret: they are [`Secret`]s).
#[derive(Debug)]
enum Auth {
    Token(Secret),
    Integration(Integration),
}

/// An integration's credentials and where its newest refresh token is kept.
#[derive(Debug)]
struct Integration {
    client_id: String,
    client_secret: Secret,
    /// The newest refresh token this process knows (configured, or received).
    latest: Mutex<Option<Secret>>,
    file: Option<TokenFile>,
}

impl std::fmt::Debug for WebexOrg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebexOrg")
            .field("org_id", &self.org_id)
            .field("api_url", &self.api_url)
            .field("auth", &self.auth)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`WebexOrg`] that differ from the defaults.
#[derive(Debug)]
pub struct WebexOrgBuilder {
    auth: Auth,
    api_url: String,
    org_id: Option<String>,
    token_file: Option<PathBuf>,
    options: call::Options,
}

impl WebexOrgBuilder {
    /// The API's base URL (default `https://webexapis.com/v1`); the token endpoint is
    /// `/access_token` under it.
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// The organisation whose licences to read (`orgId`; default: the token's own).
    pub fn org_id(mut self, org_id: impl Into<String>) -> Self {
        self.org_id = Some(org_id.into()).filter(|o| !o.is_empty());
        self
    }

    /// Where an integration keeps its newest refresh token between runs (see
    /// [`webex_admin::token_file`]); ignored with an access token.
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    call::option_setters!();

    /// Checks the settings and builds the organisation.
    pub fn build(self) -> Result<WebexOrg, Error> {
        let mut auth = self.auth;
        match &mut auth {
            Auth::Token(token) if token.expose().is_empty() => {
                return Err(Error::config("the Webex access token is empty"));
            }
            Auth::Token(_) => {}
            Auth::Integration(Integration {
                client_id,
                client_secret,
                latest,
                file,
            }) => {
                if client_id.trim().is_empty() || client_secret.expose().is_empty() {
                    return Err(Error::config("the Webex client id or secret is empty"));
                }
                *file = self.token_file.map(TokenFile::new);
                let configured = latest.get_mut().is_ok_and(|t| t.is_some());
                let stored = file.as_ref().is_some_and(|f| f.path().exists());
                if !configured && !stored {
                    return Err(Error::config(
                        "the Webex integration has no refresh token (none given, no token file)",
                    ));
                }
            }
        }
        let api_url = crate::base_url("Webex API", &self.api_url)?;
        let settings = self.options.settings()?;
        let tokens =
            webex_admin::Client::new_with_client(&api_url, http_client(&settings.timeouts, None)?);
        Ok(WebexOrg {
            org_id: self.org_id,
            auth,
            api_url,
            tokens,
            settings,
            api: TokenCache::new(),
        })
    }
}

fn operation(id: &'static str) -> Operation {
    Operation::from_spec(Vendor::Webex, id, |id| {
        webex_admin::spec::OPERATIONS
            .iter()
            .find(|op| op.operation_id == id)
            .map(|op| (op.method, op.rate_limit))
    })
}

impl WebexOrg {
    fn builder(auth: Auth) -> WebexOrgBuilder {
        WebexOrgBuilder {
            auth,
            api_url: webex_admin::DEFAULT_BASE_URL.to_owned(),
            org_id: None,
            token_file: None,
            options: call::Options::default(),
        }
    }

    /// Settings for an access token (a personal or previously obtained one).
    pub fn with_access_token(token: Secret) -> WebexOrgBuilder {
        WebexOrg::builder(Auth::Token(token))
    }

    /// Settings for an integration: its client id and secret, and a refresh token (`None`
    /// when a [token file](WebexOrgBuilder::token_file) already holds one).
    pub fn integration(
        client_id: impl Into<String>,
        client_secret: Secret,
        refresh_token: Option<Secret>,
    ) -> WebexOrgBuilder {
        WebexOrg::builder(Auth::Integration(Integration {
            client_id: client_id.into(),
            client_secret,
            latest: Mutex::new(refresh_token.filter(|t| !t.expose().is_empty())),
            file: None,
        }))
    }

    /// The conventional token file: `$XDG_STATE_HOME/meeting-usage/webex-token.json`, or
    /// `~/.local/state/meeting-usage/webex-token.json` when `XDG_STATE_HOME` is not set (or
    /// not absolute); `None` without either.
    pub fn default_token_file() -> Option<PathBuf> {
        let absolute = |v: std::ffi::OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
        let state = std::env::var_os("XDG_STATE_HOME").and_then(absolute);
        let home = || std::env::var_os("HOME").and_then(absolute);
        let state = state.or_else(|| Some(home()?.join(".local/state")))?;
        Some(state.join("meeting-usage/webex-token.json"))
    }

    /// The organisation's licences, one seat row each.
    pub async fn usage(&self) -> Result<UsageReport, Error> {
        let org_id = self.org_id.as_deref();
        let list = self
            .call("ListLicenses", |api| async move {
                let mut request = api.list_licenses();
                if let Some(org_id) = org_id {
                    request = request.org_id(org_id);
                }
                request.send().await.answer("ListLicenses").await
            })
            .await?;
        let collected_at = crate::time::rfc3339(SystemTime::now());
        Ok(crate::webex_map::webex_report(
            self.account(),
            &list,
            collected_at,
        ))
    }

    /// Runs one operation: token, deadline, retries for reads, one renewal on a 401.
    async fn call<T, F, Fut>(&self, id: &'static str, send: F) -> Result<T, Error>
    where
        F: Fn(Arc<webex_admin::Client>) -> Fut,
        Fut: std::future::Future<Output = Result<T, vendor_types::CallError<wt::WebexError>>>,
    {
        let credential = |deadline| self.api(deadline);
        call::authorized(
            operation(id),
            &self.settings,
            None,
            &self.api,
            credential,
            send,
        )
        .await
    }

    /// The licences client with a valid bearer token.
    async fn api(&self, deadline: Instant) -> Result<Token<Arc<webex_admin::Client>>, Error> {
        self.api
            .get(|| async {
                let (token, lifetime) = match &self.auth {
                    // No lifetime is known; the cache keeps it for a day at most.
                    Auth::Token(token) => (token.clone(), Duration::MAX),
                    Auth::Integration(integration) => integration.refresh(self, deadline).await?,
                };
                let http = crate::bearer_client(&self.settings.timeouts, &token)?;
                let api = webex_admin::Client::new_with_client(&self.api_url, http);
                Ok((Arc::new(api), lifetime))
            })
            .await
    }
}

impl Integration {
    /// A new access token of `org`'s integration from its refresh token, keeping whatever
    /// refresh token comes back. With a token file: under its lock, the file's token first.
    async fn refresh(
        &self,
        org: &WebexOrg,
        deadline: Instant,
    ) -> Result<(Secret, Duration), Error> {
        let Integration {
            client_id,
            client_secret,
            latest,
            file,
        } = self;
        let file_error = |file: &TokenFile, what: &str, err: std::io::Error| {
            let path = file.path().display();
            Error::config(format!("the Webex token file {path} {what}: {err}"))
        };
        let _lock = match file {
            Some(file) => Some(lock(file, deadline).await?),
            None => None,
        };
        let stored = match file {
            Some(file) => file
                .read()
                .map_err(|err| file_error(file, "cannot be read", err))?,
            None => None,
        };
        let remembered = latest.lock().map_or(None, |t| t.clone());
        let mut candidates: Vec<Secret> = stored.iter().cloned().collect();
        if let Some(token) = remembered.filter(|t| stored.as_ref() != Some(t)) {
            candidates.push(token);
        }
        let mut refusal = None;
        for candidate in candidates {
            let op = operation("RefreshAccessToken");
            let grant = wt::RefreshTokenGrant::builder()
                .grant_type(wt::RefreshTokenGrantGrantType::RefreshToken)
                .client_id(client_id.clone())
                .client_secret(client_secret.clone())
                .refresh_token(candidate.clone());
            let request = org.tokens.refresh_access_token().body(grant).send();
            // The token endpoint answers an unknown, expired or revoked refresh token with 400,
            // and wrong client credentials with 401 (an `Auth` error: no other token helps).
            let refused = [400, 401];
            let answer =
                call::token_request(op, &org.settings.user_agent, deadline, &refused, request);
            let grant = match answer.await {
                Ok(grant) => grant,
                Err(Error::Auth {
                    status: Some(400),
                    code,
                    request_id,
                    ..
                }) => {
                    tracing::debug!("a Webex refresh token was refused");
                    refusal = Some(Error::RefreshTokenRefused {
                        vendor: op.vendor,
                        operation: op.id,
                        status: 400,
                        code,
                        request_id,
                    });
                    continue;
                }
                Err(err) => return Err(err),
            };
            let newest = grant.refresh_token.unwrap_or(candidate);
            // In memory first: should the file not take it, this process still holds the one
            // token that works (the old one may already be revoked).
            if let Ok(mut latest) = latest.lock() {
                *latest = Some(newest.clone());
            }
            if let Some(file) = file.as_ref().filter(|_| stored.as_ref() != Some(&newest)) {
                file.write(&newest)
                    .map_err(|err| file_error(file, "cannot be written", err))?;
                tracing::debug!("the new Webex refresh token was stored");
            }
            let unusable = |reason| Error::decode(op.vendor, op.id, "access_token", reason);
            let token = grant
                .access_token
                .ok_or_else(|| unusable("the token answer has no access token"))?;
            let lifetime = crate::token::expires_in(grant.expires_in.map(|s| s.get()));
            return Ok((token, lifetime));
        }
        Err(refusal.unwrap_or_else(|| Error::config("the Webex integration has no refresh token")))
    }
}

/// The token file's lock, waited for until `deadline` (another process may be refreshing).
async fn lock(file: &TokenFile, deadline: Instant) -> Result<TokenFileLock, Error> {
    loop {
        match file.try_lock() {
            Ok(Some(lock)) => return Ok(lock),
            Ok(None) if Instant::now() + LOCK_POLL < deadline => {
                tokio::time::sleep(LOCK_POLL).await;
            }
            Ok(None) => {
                let path = file.path().display();
                let message = format!("the Webex token file {path} stayed locked by another run");
                return Err(Error::config(message));
            }
            Err(err) => {
                let path = file.path().display();
                let message = format!("the Webex token file {path} cannot be locked: {err}");
                return Err(Error::config(message));
            }
        }
    }
}

impl UsageSource for WebexOrg {
    fn vendor(&self) -> Vendor {
        Vendor::Webex
    }

    fn account(&self) -> &str {
        self.org_id.as_deref().unwrap_or(OWN_ORG)
    }

    fn usage(&self) -> BoxFuture<'_, Result<UsageReport, Error>> {
        Box::pin(WebexOrg::usage(self))
    }
}

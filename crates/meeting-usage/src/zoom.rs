//! Zoom: Server-to-Server OAuth, plan usage, plan information and add-on subscriptions.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::call::ReadBody as _;
use reqwest::header::AUTHORIZATION;
use zoom_billing::oauth;
use zoom_billing::types as zt;

use crate::call::{self, Operation};
use crate::error::Error;
use crate::http_client;
use crate::model::{UsageReport, Vendor};
use crate::pacer::Limiters;
use crate::source::{BoxFuture, UsageSource};
use crate::token::{Token, TokenCache};

mod fleet_run;

/// Zoom's plan information for an account (`GET /accounts/{accountId}/plans`), as the
/// generated client decodes it.
pub type AccountPlans = zt::AccountPlans;

/// Zoom's answer to an add-on subscription: the account's plans afterwards.
pub type AddonReceipt = zt::AdditionalPlanResult;

/// One Zoom account reached through a Server-to-Server OAuth app.
///
/// The access token is fetched on first use, cached until shortly before `expires_in` runs
/// out and shared by concurrent calls; a 401 for an expired or revoked token (Zoom code 124)
/// renews it once and repeats the call once.
///
/// ```no_run
/// # async fn demo() -> Result<(), meeting_usage::Error> {
/// use meeting_usage::{Secret, ZoomAccount};
///
/// let zoom = ZoomAccount::new("<account id>", "<client id>", Secret::from("<client secret>"))?;
/// let report = zoom.usage().await?;
/// for seats in report.over_allocated() {
///     println!("{} is over: {:?} used of {:?}", seats.product(), seats.used(), seats.purchased());
/// }
/// # Ok(()) }
/// ```
pub struct ZoomAccount {
    account_id: String,
    client_id: String,
    client_secret: zoom_billing::Secret,
    api_url: String,
    oauth: oauth::Client,
    oauth_url: String,
    settings: call::Settings,
    /// The Billing API client whose every request carries the current bearer token.
    api: TokenCache<Arc<zoom_billing::Client>>,
}

impl std::fmt::Debug for ZoomAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoomAccount")
            .field("account_id", &self.account_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &self.client_secret)
            .field("api_url", &self.api_url)
            .field("oauth_url", &self.oauth_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`ZoomAccount`] that differ from the defaults.
#[derive(Debug)]
pub struct ZoomAccountBuilder {
    account_id: String,
    client_id: String,
    client_secret: zoom_billing::Secret,
    api_url: String,
    oauth_url: String,
    options: call::Options,
}

impl ZoomAccountBuilder {
    /// The Billing API's base URL, `/v2` included (default `https://api.zoom.us/v2`, from the
    /// spec's first server).
    pub fn api_url(mut self, url: impl Into<String>) -> Self {
        self.api_url = url.into();
        self
    }

    /// The OAuth host; the token path is appended (default `https://zoom.us`).
    pub fn oauth_url(mut self, url: impl Into<String>) -> Self {
        self.oauth_url = url.into();
        self
    }

    call::option_setters!();

    /// Checks the settings and builds the account.
    pub fn build(self) -> Result<ZoomAccount, Error> {
        for (what, value) in [
            ("account id", &self.account_id),
            ("client id", &self.client_id),
        ] {
            if value.trim().is_empty() {
                return Err(Error::config(format!("the Zoom {what} is empty")));
            }
        }
        if self.client_secret.expose().is_empty() {
            return Err(Error::config("the Zoom client secret is empty"));
        }
        let api_url = crate::base_url("Zoom API", &self.api_url)?;
        let oauth_url = crate::base_url("Zoom OAuth", &self.oauth_url)?;
        let settings = self.options.settings()?;
        // The OAuth client gets the facade's TLS like every other client (zoom-billing's own
        // credentials helper needs its `default-tls` feature, which the facade turns off), with
        // `Authorization: Basic base64(client_id:client_secret)` as reqwest encodes it.
        let encoder = http_client(&settings.timeouts, None)?;
        let basic = encoder
            .post(&oauth_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose()))
            .build()
            .ok()
            .and_then(|request| {
                crate::sensitive_header(request.headers().get(AUTHORIZATION)?.to_str().ok()?)
            })
            .ok_or_else(|| {
                Error::config("the Zoom client id or secret cannot be sent in a header")
            })?;
        let basic = http_client(&settings.timeouts, Some(basic))?;
        Ok(ZoomAccount {
            account_id: self.account_id,
            client_id: self.client_id,
            client_secret: self.client_secret,
            api_url,
            // The facade's deadline bounds the token call.
            oauth: oauth::Client::new_with_client(&oauth_url, basic),
            oauth_url,
            settings,
            api: TokenCache::new(),
        })
    }
}

fn operation(id: &'static str) -> Operation {
    Operation::from_spec(Vendor::Zoom, id, |id| {
        let billing = zoom_billing::spec::OPERATIONS.iter();
        let token = oauth::spec::OPERATIONS.iter();
        billing
            .map(|op| (op.operation_id, op.method, op.rate_limit))
            .chain(token.map(|op| (op.operation_id, op.method, op.rate_limit)))
            .find(|(operation_id, _, _)| *operation_id == id)
            .map(|(_, method, rate_limit)| (method, rate_limit))
    })
}

impl ZoomAccount {
    /// Settings for the account `account_id` of the app with these credentials; defaults
    /// everywhere else.
    pub fn builder(
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: zoom_billing::Secret,
    ) -> ZoomAccountBuilder {
        ZoomAccountBuilder {
            account_id: account_id.into(),
            client_id: client_id.into(),
            client_secret,
            api_url: zoom_billing::DEFAULT_BASE_URL.to_owned(),
            oauth_url: oauth::DEFAULT_BASE_URL.to_owned(),
            options: call::Options::default(),
        }
    }

    /// The account with every default (Zoom's public HTTPS hosts).
    pub fn new(
        account_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: zoom_billing::Secret,
    ) -> Result<ZoomAccount, Error> {
        ZoomAccount::builder(account_id, client_id, client_secret).build()
    }

    /// The account id the OAuth app is for (the master account).
    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// Plan usage of the app's own account as one report.
    pub async fn usage(&self) -> Result<UsageReport, Error> {
        self.usage_of("me").await
    }

    /// Plan usage of `account_id` (`me`, or a sub account of the master account).
    pub async fn usage_of(&self, account_id: &str) -> Result<UsageReport, Error> {
        self.usage_limited(account_id, None).await
    }

    pub(crate) async fn usage_limited(
        &self,
        account_id: &str,
        limiters: Option<&Limiters>,
    ) -> Result<UsageReport, Error> {
        let label = if account_id == "me" {
            self.account_id.as_str()
        } else {
            account_id
        };
        let usage = self
            .call("GetPlanUsage", limiters, |api| async move {
                api.get_plan_usage()
                    .account_id(account_id)
                    .send()
                    .await
                    .boxed_answer("GetPlanUsage")
                    .await
            })
            .await?;
        Ok(crate::mapping::zoom_plan_usage(
            label,
            &usage,
            SystemTime::now(),
        ))
    }

    /// Every sub account of the master account, page by page (`ListSubAccounts`, 300 a
    /// page), as an async sequence: call [`SubAccounts::next`] until it returns `None`.
    ///
    /// ```no_run
    /// # async fn demo(zoom: &meeting_usage::ZoomAccount) -> Result<(), meeting_usage::Error> {
    /// let mut accounts = zoom.sub_accounts();
    /// while let Some(account) = accounts.next().await {
    ///     let account = account?;
    ///     println!("{:?} {:?}", account.id, account.account_name);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sub_accounts(&self) -> SubAccounts<'_> {
        SubAccounts {
            account: self,
            limiters: None,
            buffer: VecDeque::new(),
            next_token: None,
            last_page: false,
            total: None,
        }
    }

    /// The plans `account_id` holds (`me` for the app's own account).
    pub async fn plans(&self, account_id: &str) -> Result<AccountPlans, Error> {
        self.call("GetAccountPlanInformation", None, |api| async move {
            api.get_account_plan_information()
                .account_id(account_id)
                .send()
                .await
                .answer("GetAccountPlanInformation")
                .await
        })
        .await
    }

    /// Subscribes `account_id` to an add-on. **This buys licences.** The request is sent once
    /// and never repeated: when no answer arrives, the error's
    /// [`may_have_applied`](Error::may_have_applied) says the purchase may have gone through
    /// (check with [`plans`](Self::plans) before trying again).
    pub async fn subscribe_addon(
        &self,
        account_id: &str,
        addon: &AddonRequest,
    ) -> Result<AddonReceipt, Error> {
        let body = addon.to_body()?;
        self.call("SubscribeAccountToAnAdditionalPlan", None, |api| {
            let body = body.clone();
            async move {
                api.subscribe_account_to_an_additional_plan()
                    .account_id(account_id)
                    .body(body)
                    .send()
                    .await
                    .answer("SubscribeAccountToAnAdditionalPlan")
                    .await
            }
        })
        .await
    }

    /// Runs one operation of the Billing API: token, deadline, retries for reads, one token
    /// renewal on a 401 for an expired token. With a fleet run's `limiters`, every attempt
    /// waits for a token of the operation's rate label, and a 429 slows that label down.
    async fn call<T, F, Fut>(
        &self,
        id: &'static str,
        limiters: Option<&Limiters>,
        send: F,
    ) -> Result<T, Error>
    where
        F: Fn(Arc<zoom_billing::Client>) -> Fut,
        Fut: std::future::Future<Output = Result<T, vendor_types::CallError<zt::ZoomError>>>,
    {
        let credential = |deadline| self.api(deadline);
        call::authorized(
            operation(id),
            &self.settings,
            limiters,
            &self.api,
            credential,
            send,
        )
        .await
    }

    /// The Billing API client with a valid token in its `Authorization` header (the spec's
    /// bearer scheme): the cached one, or one built around a new token. One client per token,
    /// so its connection pool is shared by every call until the token is renewed.
    async fn api(&self, deadline: Instant) -> Result<Token<Arc<zoom_billing::Client>>, Error> {
        self.api
            .get(|| async {
                let op = operation("RequestAccessToken");
                let grant = oauth::types::AccountCredentialsGrant::builder()
                    .grant_type(oauth::types::AccountCredentialsGrantGrantType::AccountCredentials)
                    .account_id(self.account_id.clone());
                let request = self.oauth.request_access_token().body(grant).send();
                // The token endpoint answers refused credentials with 400 or 401.
                let refused = [400, 401];
                let grant =
                    call::token_request(op, &self.settings.user_agent, deadline, &refused, request)
                        .await?;
                let unusable = |reason| Error::decode(op.vendor, op.id, "access_token", reason);
                let token = grant
                    .access_token
                    .ok_or_else(|| unusable("the token answer has no access token"))?;
                let lifetime = crate::token::expires_in(grant.expires_in.map(|s| s.get()));
                let http = crate::bearer_client(&self.settings.timeouts, &token)?;
                let api = zoom_billing::Client::new_with_client(&self.api_url, http);
                Ok((Arc::new(api), lifetime))
            })
            .await
    }
}

impl UsageSource for ZoomAccount {
    fn vendor(&self) -> Vendor {
        Vendor::Zoom
    }

    fn account(&self) -> &str {
        &self.account_id
    }

    fn usage(&self) -> BoxFuture<'_, Result<UsageReport, Error>> {
        Box::pin(ZoomAccount::usage(self))
    }
}

/// An add-on subscription: the plan code and the number of licences (Zoom's generic add-on
/// shape; Phone, Contact Center and Node add-ons take more fields and are not offered here).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AddonRequest {
    /// The add-on's plan code, e.g. `webinar500_monthly`.
    pub addon_type: String,
    /// Licences to buy (at least 1).
    pub hosts: u64,
    /// When the service starts (`YYYY-MM-DD`), if not today.
    pub service_effective_date: Option<String>,
    /// When the paid period starts (`YYYY-MM-DD`), if not today.
    pub paid_period_start_date: Option<String>,
}

impl AddonRequest {
    /// The request body exactly as it will be sent, checked against the spec's request schema
    /// (through the generated type).
    ///
    /// ```
    /// let addon = meeting_usage::AddonRequest {
    ///     addon_type: "webinar500_monthly".into(),
    ///     hosts: 18,
    ///     service_effective_date: None,
    ///     paid_period_start_date: None,
    /// };
    /// assert_eq!(
    ///     addon.body_json().unwrap(),
    ///     serde_json::json!({"hosts": 18, "type": "webinar500_monthly"})
    /// );
    /// ```
    pub fn body_json(&self) -> Result<serde_json::Value, Error> {
        serde_json::to_value(self.to_body()?)
            .map_err(|err| Error::config(format!("the add-on request cannot be encoded: {err}")))
    }

    fn to_body(&self) -> Result<zt::AdditionalPlanRequest, Error> {
        let hosts = std::num::NonZeroU64::new(self.hosts)
            .ok_or_else(|| Error::config("an add-on needs at least 1 licence (hosts)"))?;
        let addon_type = self
            .addon_type
            .parse::<zt::AddonRequestGenericType>()
            .map_err(|err| Error::config(format!("add-on type: {err}")))?;
        Ok(zt::AdditionalPlanRequest::Generic(
            zt::AddonRequestGeneric {
                hosts,
                paid_period_start_date: self.paid_period_start_date.clone(),
                service_effective_date: self.service_effective_date.clone(),
                type_: addon_type,
            },
        ))
    }
}

/// One entry of the sub-account list, as the generated client decodes it.
pub type SubAccount = zt::SubAccount;

/// Sub accounts of a master account, read page by page; see [`ZoomAccount::sub_accounts`].
///
/// Paging follows `next_page_token` until it is empty or absent, never `page_number`. A token
/// that comes back unchanged ends the walk with an error instead of looping.
pub struct SubAccounts<'a> {
    account: &'a ZoomAccount,
    limiters: Option<&'a Limiters>,
    buffer: VecDeque<SubAccount>,
    next_token: Option<String>,
    last_page: bool,
    total: Option<u64>,
}

impl std::fmt::Debug for SubAccounts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubAccounts")
            .field("buffered", &self.buffer.len())
            .field("last_page", &self.last_page)
            .finish_non_exhaustive()
    }
}

/// Sub accounts per page: the most Zoom allows, to spend as few MEDIUM calls as possible.
const SUB_ACCOUNT_PAGE: std::num::NonZeroU32 = std::num::NonZeroU32::new(300).unwrap();

impl SubAccounts<'_> {
    /// How many sub accounts the list said it has (its `total_records`), once a page is read.
    pub fn total(&self) -> Option<u64> {
        self.total
    }

    /// The next sub account, reading the next page when the current one is used up; `None`
    /// after the last. After an error the sequence ends.
    pub async fn next(&mut self) -> Option<Result<SubAccount, Error>> {
        loop {
            if let Some(account) = self.buffer.pop_front() {
                return Some(Ok(account));
            }
            if self.last_page {
                return None;
            }
            if let Err(err) = self.read_page().await {
                self.last_page = true;
                return Some(Err(err));
            }
        }
    }

    async fn read_page(&mut self) -> Result<(), Error> {
        let token = self.next_token.clone();
        let page = self
            .account
            .call("ListSubAccounts", self.limiters, |api| {
                let token = token.clone();
                async move {
                    let mut request = api.list_sub_accounts().page_size(SUB_ACCOUNT_PAGE);
                    if let Some(token) = token {
                        request = request.next_page_token(token);
                    }
                    request.send().await.answer("ListSubAccounts").await
                }
            })
            .await?;
        let next = page.next_page_token.filter(|t| !t.is_empty());
        if next.is_some() && next == self.next_token {
            return Err(Error::decode(
                Vendor::Zoom,
                "ListSubAccounts",
                "next_page_token",
                "the next page token did not change; stopping instead of looping",
            ));
        }
        self.last_page = next.is_none();
        self.next_token = next;
        self.total = page
            .total_records
            .and_then(|n| u64::try_from(n).ok())
            .or(self.total);
        self.buffer.extend(page.accounts);
        Ok(())
    }
}

//! Huawei Cloud Meeting: App ID authentication, enterprise resources and their usage.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use crate::call::ReadBody as _;
use huawei_meeting::app_auth::{AppCredentials, SigningInput, new_nonce};
use huawei_meeting::types as ht;

use crate::call::{self, Operation};
use crate::error::Error;
use crate::http_client;
use crate::model::{UsageReport, Vendor};
use crate::source::{BoxFuture, UsageSource};
use crate::token::TokenCache;

/// One entry of the enterprise's resource list (`GET /v1/usg/dcs/corp/resource-list`), as the
/// generated client decodes it.
pub type Resource = ht::CorpResourceItem;

/// Entries per page when reading the resource list.
const PAGE_SIZE: NonZeroU32 = NonZeroU32::new(100).unwrap();

/// The most pages read when Huawei gives no `count` (a million entries).
const MAX_PAGES: usize = 10_000;

/// How long the signature of an authentication request stays valid: Huawei's recommended
/// now + 10 minutes (a signature without expiry could be replayed forever).
const SIGNATURE_LIFETIME: Duration = Duration::from_secs(600);

/// Where the enterprise's Huawei Cloud Meeting lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HuaweiSite {
    /// The China site, `https://api.meeting.huaweicloud.com` (the spec's first server).
    China,
    /// The international site, `https://api-intl.meeting.huaweicloud.com`.
    International,
    /// Another host (a private deployment, or a local test server).
    Custom(String),
}

/// One Huawei Cloud Meeting enterprise, reached with an App ID and its key.
///
/// The access token is fetched on first use with a signature valid for ten minutes, cached
/// until shortly before its `expireTime` (or `validPeriod`) and shared by concurrent calls; a
/// 401 for an expired or revoked token (`USG.000000004`, `MMC.118000001`) renews it once and
/// repeats the call once.
///
/// ```no_run
/// # async fn demo() -> Result<(), meeting_usage::Error> {
/// use meeting_usage::{HuaweiEnterprise, HuaweiSite, Secret};
///
/// let huawei = HuaweiEnterprise::builder("<app id>", Secret::from("<app key>"))
///     .site(HuaweiSite::International)
///     .build()?;
/// let report = huawei.usage().await?;
/// if let Some(activity) = &report.activity {
///     println!("meetings today: {:?}", activity.meetings_today);
/// }
/// # Ok(()) }
/// ```
pub struct HuaweiEnterprise {
    credentials: AppCredentials,
    user_id: Option<String>,
    api: Arc<huawei_meeting::Client>,
    api_url: String,
    settings: call::Settings,
    token: TokenCache<huawei_meeting::Secret>,
}

impl std::fmt::Debug for HuaweiEnterprise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HuaweiEnterprise")
            .field("app_id", &self.credentials.app_id())
            .field("user_id", &self.user_id)
            .field("api_url", &self.api_url)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// Settings of a [`HuaweiEnterprise`] that differ from the defaults.
#[derive(Debug)]
pub struct HuaweiEnterpriseBuilder {
    app_id: String,
    app_key: huawei_meeting::Secret,
    site: HuaweiSite,
    user_id: Option<String>,
    corp_id: Option<String>,
    options: call::Options,
}

impl HuaweiEnterpriseBuilder {
    /// The site (default: China).
    pub fn site(mut self, site: HuaweiSite) -> Self {
        self.site = site;
        self
    }

    /// The API host, e.g. a private deployment's (same as `site(HuaweiSite::Custom(url))`).
    pub fn api_url(self, url: impl Into<String>) -> Self {
        self.site(HuaweiSite::Custom(url.into()))
    }

    /// Authenticate as this user of the enterprise instead of its default administrator.
    pub fn user_id(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }

    /// For a multi-tenant (SP) app: the enterprise to act for (`corpId` in the signature).
    pub fn corp_id(mut self, corp_id: impl Into<String>) -> Self {
        self.corp_id = Some(corp_id.into());
        self
    }

    call::option_setters!();

    /// Checks the settings and builds the enterprise.
    pub fn build(self) -> Result<HuaweiEnterprise, Error> {
        if self.app_id.trim().is_empty() {
            return Err(Error::config("the Huawei App ID is empty"));
        }
        if self.app_key.expose().is_empty() {
            return Err(Error::config("the Huawei app key is empty"));
        }
        let url = match &self.site {
            HuaweiSite::China => huawei_meeting::DEFAULT_BASE_URL.to_owned(),
            HuaweiSite::International => huawei_meeting::INTERNATIONAL_BASE_URL.to_owned(),
            HuaweiSite::Custom(url) => crate::base_url("Huawei API", url)?,
        };
        let settings = self.options.settings()?;
        let mut credentials = AppCredentials::new(self.app_id, self.app_key);
        if let Some(corp_id) = self.corp_id.filter(|c| !c.is_empty()) {
            credentials = credentials.for_sp_enterprise(corp_id);
        }
        Ok(HuaweiEnterprise {
            credentials,
            user_id: self.user_id.filter(|u| !u.is_empty()),
            api: Arc::new(huawei_meeting::Client::new_with_client(
                &url,
                http_client(&settings.timeouts, None)?,
            )),
            api_url: url,
            settings,
            token: TokenCache::new(),
        })
    }
}

fn operation(id: &'static str) -> Operation {
    Operation::from_spec(Vendor::Huawei, id, |id| {
        huawei_meeting::spec::OPERATIONS
            .iter()
            .find(|op| op.operation_id == id)
            .map(|op| (op.method, op.rate_limit))
    })
}

impl HuaweiEnterprise {
    /// Settings for the App ID `app_id` with its key; defaults everywhere else.
    pub fn builder(
        app_id: impl Into<String>,
        app_key: huawei_meeting::Secret,
    ) -> HuaweiEnterpriseBuilder {
        HuaweiEnterpriseBuilder {
            app_id: app_id.into(),
            app_key,
            site: HuaweiSite::China,
            user_id: None,
            corp_id: None,
            options: call::Options::default(),
        }
    }

    /// The enterprise of this App ID on the China site, with every default.
    pub fn new(
        app_id: impl Into<String>,
        app_key: huawei_meeting::Secret,
    ) -> Result<HuaweiEnterprise, Error> {
        HuaweiEnterprise::builder(app_id, app_key).build()
    }

    /// The App ID.
    pub fn app_id(&self) -> &str {
        self.credentials.app_id()
    }

    /// Today's usage, what was bought, and what expires within 30 days, as one report.
    pub async fn usage(&self) -> Result<UsageReport, Error> {
        let (org, corp, resources) = tokio::try_join!(
            self.call("ShowOrgRes", |api, token| async move {
                api.show_org_res()
                    .x_access_token(token)
                    .send()
                    .await
                    .answer("ShowOrgRes")
                    .await
            }),
            self.call("ShowCorpResource", |api, token| async move {
                api.show_corp_resource()
                    .x_access_token(token)
                    .send()
                    .await
                    .answer("ShowCorpResource")
                    .await
            }),
            self.resources(None),
        )?;
        let account = self.credentials.app_id();
        let now = SystemTime::now();
        Ok(crate::mapping::huawei_enterprise(
            account, &org, &corp, &resources, now,
        ))
    }

    /// Every entry of the resource list, optionally of one type (`VMR`, `CONF_CALL`, ...).
    ///
    /// Pages are read until the entries add up to the `count` Huawei reports, or a page comes
    /// back shorter than asked (an empty page included). Past the end Huawei repeats the last
    /// page instead of answering an empty one, so the walk never waits for an empty page: it
    /// stops on `count` or a short page, fails if a page repeats the previous one, and reads
    /// at most `count / 100 + 1` pages (or 10,000 pages when Huawei gives no `count`).
    pub async fn resources(&self, resource_type: Option<&str>) -> Result<Vec<Resource>, Error> {
        let filter = resource_type.map(|name| {
            name.parse::<ht::ResourceTypeFilter>().map_err(|_| {
                Error::config(format!(
                    "unknown Huawei resource type `{name}` (the spec lists VMR, CONF_CALL, \
                     HARD_1080P, HARD_720P, SOFT, ROOM, LIVE, RECORD, HARD_THIRD_PARTY, \
                     HUAWEI_VISION)"
                ))
            })
        });
        let filter = filter.transpose()?;
        let unusable = |path: &'static str, reason: String| {
            Error::decode(Vendor::Huawei, "SearchCorpResources", path, reason)
        };
        let mut all: Vec<Resource> = Vec::new();
        // The previous page, encoded (the generated type has no `PartialEq`).
        let mut previous: Option<String> = None;
        let mut pages = 0usize;
        loop {
            let offset = i32::try_from(all.len()).map_err(|_| {
                unusable(
                    "offset",
                    "the resource list does not fit in 32-bit offsets".into(),
                )
            })?;
            let page = self
                .call("SearchCorpResources", |api, token| async move {
                    let mut request = api
                        .search_corp_resources()
                        .x_access_token(token)
                        .offset(offset)
                        .limit(PAGE_SIZE);
                    if let Some(filter) = filter {
                        request = request.type_(filter);
                    }
                    request.send().await.answer("SearchCorpResources").await
                })
                .await?;
            let received = page.data.len();
            pages += 1;
            let encoded = serde_json::to_string(&page.data).ok();
            if offset > 0 && received > 0 && encoded.is_some() && previous == encoded {
                let reason = format!("page at offset {offset} repeats the previous page");
                return Err(unusable("data", reason));
            }
            let total = page.count.and_then(|c| usize::try_from(c).ok());
            let most_pages = total.map_or(MAX_PAGES, |t| t / PAGE_SIZE.get() as usize + 1);
            if pages > most_pages {
                let reason = format!("more than {most_pages} pages; stopping instead of looping");
                return Err(unusable("count", reason));
            }
            previous = encoded;
            all.extend(page.data);
            let complete = total.is_some_and(|total| all.len() >= total);
            if complete || received < PAGE_SIZE.get() as usize {
                return Ok(all);
            }
        }
    }

    /// Runs one operation: token, deadline, retries for reads, one token renewal on a 401 for
    /// an expired token.
    async fn call<T, F, Fut>(&self, id: &'static str, send: F) -> Result<T, Error>
    where
        F: Fn(Arc<huawei_meeting::Client>, huawei_meeting::Secret) -> Fut,
        Fut: std::future::Future<Output = Result<T, vendor_types::CallError<ht::HuaweiError>>>,
    {
        let credential = |deadline| self.token(deadline);
        let send = |token| send(self.api.clone(), token);
        call::authorized(
            operation(id),
            &self.settings,
            None,
            &self.token,
            credential,
            send,
        )
        .await
    }

    async fn token(
        &self,
        deadline: Instant,
    ) -> Result<crate::token::Token<huawei_meeting::Secret>, Error> {
        self.token
            .get(|| async {
                let op = operation("CreateAppIdToken");
                let now = SystemTime::now();
                let now_s = now
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map(|d| d.as_secs())
                    .unwrap_or(0);
                let expire_time = i64::try_from(now_s + SIGNATURE_LIFETIME.as_secs())
                    .map_err(|_| Error::config("the system clock is out of range"))?;
                let nonce = new_nonce()
                    .map_err(|_| Error::config("no randomness available for the nonce"))?;
                let signed = self
                    .credentials
                    .sign(&SigningInput {
                        user_id: self.user_id.as_deref(),
                        expire_time,
                        nonce: &nonce,
                    })
                    .map_err(|err| Error::config(format!("Huawei App ID: {err}")))?;
                let request = self
                    .api
                    .create_app_id_token()
                    .authorization(signed.authorization)
                    .x_token_type("LongTicket")
                    .body(signed.body)
                    .send();
                let refused = [400, 401, 403, 412, 423];
                let info =
                    call::token_request(op, &self.settings.user_agent, deadline, &refused, request)
                        .await?;
                let lifetime = token_lifetime(&info, now_s);
                let token = info.access_token.ok_or_else(|| {
                    let reason = "the token answer has no access token";
                    Error::decode(op.vendor, op.id, "accessToken", reason)
                })?;
                Ok((token, lifetime))
            })
            .await
    }
}

/// How long a Huawei token lives: until `expireTime` (Unix seconds) if given, else
/// `validPeriod` seconds, else a conservative hour.
fn token_lifetime(info: &ht::TokenInfo, now_s: u64) -> Duration {
    let until_expiry = info
        .expire_time
        .as_ref()
        .map(|t| t.get())
        .filter(|&t| t > 0)
        .and_then(|t| u64::try_from(t).ok())
        .map(|t| t.saturating_sub(now_s));
    let period = info
        .valid_period
        .as_ref()
        .map(|p| p.get())
        .and_then(|p| u64::try_from(p).ok());
    Duration::from_secs(until_expiry.or(period).unwrap_or(3600))
}

impl UsageSource for HuaweiEnterprise {
    fn vendor(&self) -> Vendor {
        Vendor::Huawei
    }

    fn account(&self) -> &str {
        self.credentials.app_id()
    }

    fn usage(&self) -> BoxFuture<'_, Result<UsageReport, Error>> {
        Box::pin(HuaweiEnterprise::usage(self))
    }
}

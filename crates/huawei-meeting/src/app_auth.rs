//! App ID authentication: signing `POST /v2/usg/acs/auth/appauth`.
//!
//! The recipe (also in the spec's `app_id_signature` security scheme): join
//! `appId[:corpId]:userId:expireTime:nonce` with `:` keeping empty fields, HMAC-SHA256 it with
//! the App ID's secret key, hex-encode the MAC in lower case, and send
//! `Authorization: HMAC-SHA256 signature=<hex>,access=<Base64(appId)>` together with a body
//! that repeats exactly the signed values.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::Secret;
use crate::types::{AppIdAuthRequest, AppIdAuthRequestClientType};

/// The `clientType` of API clients.
pub const API_CLIENT_TYPE: i32 = 72;

/// An App ID and its secret key, as issued in Huawei's console.
///
/// `Debug` shows the App ID only.
#[derive(Clone, Debug)]
pub struct AppCredentials {
    app_id: String,
    app_key: Secret,
    /// Enterprise id, for multi-tenant (SP) apps only.
    corp_id: Option<String>,
}

/// What to sign besides the credentials.
#[derive(Clone, Debug, Default)]
pub struct SigningInput<'a> {
    /// Third-party user id; `None` or empty authenticates as the default administrator.
    pub user_id: Option<&'a str>,
    /// Unix seconds after which the signature is refused; 0 means it never expires.
    pub expire_time: i64,
    /// 32 to 64 random characters, new for every authentication (see [`new_nonce`]).
    pub nonce: &'a str,
}

/// A signed authentication request: the header value and the matching body.
#[derive(Clone, Debug)]
pub struct SignedRequest {
    /// The value of the `Authorization` header.
    pub authorization: Secret,
    /// The request body, with exactly the signed values.
    pub body: AppIdAuthRequest,
}

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SigningError {
    /// The nonce is not 32 to 64 characters long.
    #[error("the nonce must be 32 to 64 characters, not {0}")]
    NonceLength(usize),
    /// The App ID is empty or longer than 64 characters.
    #[error("the App ID must be 1 to 64 characters, not {0}")]
    AppIdLength(usize),
    /// The expiry is before 1970.
    #[error("the expiry must be 0 or a Unix time in seconds, not {0}")]
    NegativeExpiry(i64),
    /// A value the spec's request schema refuses for another reason (a rule added to the
    /// spec after this check was written).
    #[error("`{field}` is refused by the request schema: {message}")]
    Invalid {
        /// The request field.
        field: &'static str,
        /// The generated type's reason.
        message: String,
    },
}

/// A generated type's refusal as a [`SigningError`] (the generated checks stay authoritative).
fn invalid(field: &'static str, error: impl std::fmt::Display) -> SigningError {
    SigningError::Invalid {
        field,
        message: error.to_string(),
    }
}

impl AppCredentials {
    /// Credentials of a single-enterprise app.
    pub fn new(app_id: impl Into<String>, app_key: Secret) -> Self {
        AppCredentials {
            app_id: app_id.into(),
            app_key,
            corp_id: None,
        }
    }

    /// Credentials of a multi-tenant (SP) app acting for one enterprise. Only SP apps may send
    /// a `corpId`; for a single enterprise it makes authentication fail.
    pub fn for_sp_enterprise(mut self, corp_id: impl Into<String>) -> Self {
        self.corp_id = Some(corp_id.into());
        self
    }

    /// The App ID.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The text that is signed: `appId[:corpId]:userId:expireTime:nonce`.
    pub fn data_to_sign(&self, input: &SigningInput<'_>) -> String {
        let user_id = input.user_id.unwrap_or("");
        match &self.corp_id {
            Some(corp_id) => format!(
                "{}:{corp_id}:{user_id}:{}:{}",
                self.app_id, input.expire_time, input.nonce
            ),
            None => format!(
                "{}:{user_id}:{}:{}",
                self.app_id, input.expire_time, input.nonce
            ),
        }
    }

    /// Signs an authentication request.
    ///
    /// ```
    /// use huawei_meeting::Secret;
    /// use huawei_meeting::app_auth::{AppCredentials, SigningInput};
    ///
    /// let app = AppCredentials::new("fdb8e4699586458bbd10c834872dcc62", Secret::from("test-app-key"));
    /// let signed = app.sign(&SigningInput {
    ///     user_id: None,
    ///     expire_time: 0,
    ///     nonce: "EycLQsHwxhzK9OW8UEKWNfH2I3CGR2nINuU1EBpv162d42d92s",
    /// })?;
    /// assert_eq!(
    ///     signed.authorization.expose(),
    ///     "HMAC-SHA256 signature=9371e1e1c35623a217b0b31b04dc6c294df3a0424f2eaf9fa4ebb013b3113854,\
    ///      access=ZmRiOGU0Njk5NTg2NDU4YmJkMTBjODM0ODcyZGNjNjI="
    /// );
    /// assert_eq!(signed.body.expire_time, 0);
    /// # Ok::<(), huawei_meeting::app_auth::SigningError>(())
    /// ```
    pub fn sign(&self, input: &SigningInput<'_>) -> Result<SignedRequest, SigningError> {
        let app_id_len = self.app_id.chars().count();
        if !(1..=64).contains(&app_id_len) {
            return Err(SigningError::AppIdLength(app_id_len));
        }
        if input.expire_time < 0 {
            return Err(SigningError::NegativeExpiry(input.expire_time));
        }
        let nonce_len = input.nonce.chars().count();
        if !(32..=64).contains(&nonce_len) {
            return Err(SigningError::NonceLength(nonce_len));
        }
        let signature = hmac_sha256_hex(self.app_key.expose(), &self.data_to_sign(input));
        let access = base64::engine::general_purpose::STANDARD.encode(&self.app_id);
        let authorization =
            Secret::new(format!("HMAC-SHA256 signature={signature},access={access}"));
        let body = AppIdAuthRequest {
            app_id: self
                .app_id
                .clone()
                .try_into()
                .map_err(|e| invalid("appId", e))?,
            client_type: AppIdAuthRequestClientType::try_from(API_CLIENT_TYPE)
                .map_err(|e| invalid("clientType", e))?,
            expire_time: input.expire_time,
            nonce: input
                .nonce
                .to_owned()
                .try_into()
                .map_err(|e| invalid("nonce", e))?,
            user_id: input.user_id.map(str::to_owned),
            corp_id: self.corp_id.clone(),
            user_name: None,
            user_email: None,
            user_phone: None,
            dept_code: None,
        };
        Ok(SignedRequest {
            authorization,
            body,
        })
    }
}

/// Lower-case hex HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256_hex(key: &str, data: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).expect("HMAC takes any key");
    mac.update(data.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A fresh nonce: 32 lower-case hex characters from the operating system's random source.
pub fn new_nonce() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_ID: &str = "fdb8e4699586458bbd10c834872dcc62";
    const NONCE: &str = "EycLQsHwxhzK9OW8UEKWNfH2I3CGR2nINuU1EBpv162d42d92s";

    fn app() -> AppCredentials {
        AppCredentials::new(APP_ID, Secret::from("test-app-key"))
    }

    /// The worked examples of the reference sheet (computed independently, not official).
    #[test]
    fn matches_the_reference_vectors() {
        let with_user = SigningInput {
            user_id: Some("testuser@mycorp.com"),
            expire_time: 1627722929,
            nonce: NONCE,
        };
        assert_eq!(
            app().data_to_sign(&with_user),
            format!("{APP_ID}:testuser@mycorp.com:1627722929:{NONCE}")
        );
        assert_eq!(
            hmac_sha256_hex("test-app-key", &app().data_to_sign(&with_user)),
            "c7b419231620a96ed30f5deb8bfcecdca9f64cb4e9ac3ed2eb1b362d9c1f73dd"
        );
        let admin = SigningInput {
            user_id: None,
            ..with_user
        };
        let signed = app().sign(&admin).unwrap();
        assert_eq!(
            signed.authorization.expose(),
            "HMAC-SHA256 signature=e22fcb2e589a575857cf65e45a6d1e5dca2040ce7cc364ef573fc08211931551,access=ZmRiOGU0Njk5NTg2NDU4YmJkMTBjODM0ODcyZGNjNjI="
        );
        assert_eq!(signed.body.user_id, None);
        assert_eq!(signed.body.nonce.as_str(), NONCE);
        assert_eq!(signed.body.expire_time, 1627722929);
    }

    #[test]
    fn sp_apps_sign_the_corp_id() {
        let sp = app().for_sp_enterprise("corp-1");
        let input = SigningInput {
            user_id: None,
            expire_time: 5,
            nonce: NONCE,
        };
        assert_eq!(
            sp.data_to_sign(&input),
            format!("{APP_ID}:corp-1::5:{NONCE}")
        );
        assert_eq!(
            sp.sign(&input).unwrap().body.corp_id.as_deref(),
            Some("corp-1")
        );
    }

    #[test]
    fn refuses_bad_nonces_and_app_ids() {
        let short = SigningInput {
            user_id: None,
            expire_time: 0,
            nonce: "too-short",
        };
        assert!(matches!(
            app().sign(&short),
            Err(SigningError::NonceLength(9))
        ));
        let empty = AppCredentials::new("", Secret::from("k"));
        let ok_nonce = SigningInput {
            nonce: NONCE,
            ..short
        };
        assert!(matches!(
            empty.sign(&ok_nonce),
            Err(SigningError::AppIdLength(0))
        ));
        let negative = SigningInput {
            expire_time: -1,
            ..ok_nonce
        };
        assert!(matches!(
            app().sign(&negative),
            Err(SigningError::NegativeExpiry(-1))
        ));
    }

    #[test]
    fn nonces_are_fresh_and_the_right_length() {
        let a = new_nonce().unwrap();
        let b = new_nonce().unwrap();
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
        assert!(
            app()
                .sign(&SigningInput {
                    user_id: None,
                    expire_time: 0,
                    nonce: &a
                })
                .is_ok()
        );
    }

    #[test]
    fn the_key_never_shows_in_debug() {
        let debug = format!("{:?}", app());
        assert!(!debug.contains("test-app-key"), "{debug}");
        let signed = app()
            .sign(&SigningInput {
                user_id: None,
                expire_time: 0,
                nonce: NONCE,
            })
            .unwrap();
        let debug = format!("{signed:?}");
        assert!(!debug.contains("signature="), "{debug}");
    }
}

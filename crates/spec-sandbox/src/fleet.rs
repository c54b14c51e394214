//! The opt-in fleet mode: N generated accounts, deterministic from a seed, served by the
//! operations the specs mark with `x-sandbox-fleet` (a paged list, and reports per account).
//!
//! Nothing here knows an endpoint: the list's and the report's field names come from the
//! spec's extension ([`crate::model::FleetRole`]), their shapes from the spec's examples.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value};
use sha2::Sha256;

use crate::model::{ListRole, PerAccountRole};

/// The most accounts a fleet may have.
pub const MAX_FLEET_ACCOUNTS: usize = 100_000;

/// How long page tokens stay valid unless configured otherwise (Zoom documents 15 minutes).
pub const DEFAULT_PAGE_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// A fleet of generated accounts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FleetConfig {
    /// How many accounts the list holds (at most [`MAX_FLEET_ACCOUNTS`]).
    pub accounts: usize,
    /// Seed of the ids and of every generated figure.
    pub seed: u64,
    /// Positions (0-based, in list order) of accounts that are listed but whose per-account
    /// operations answer the spec's not-found error.
    pub missing: Vec<usize>,
    /// How long a page token stays valid.
    pub page_token_lifetime: Duration,
}

impl FleetConfig {
    /// `accounts` accounts from `seed`, none missing, page tokens valid for 15 minutes.
    pub fn new(accounts: usize, seed: u64) -> FleetConfig {
        FleetConfig {
            accounts,
            seed,
            missing: Vec::new(),
            page_token_lifetime: DEFAULT_PAGE_TOKEN_LIFETIME,
        }
    }

    /// These settings with the accounts at `positions` answering not-found.
    pub fn with_missing(mut self, positions: impl IntoIterator<Item = usize>) -> FleetConfig {
        self.missing.extend(positions);
        self
    }

    /// The id of the account at a position (0-based), as the list shows it: 22 letters and
    /// digits, like Zoom's account ids.
    pub fn account_id(&self, position: usize) -> String {
        account_id(self.seed, position as u64, 0)
    }

    /// Whether the account at a position uses more licences than it bought (in the first
    /// plan of its report); about one account in four.
    pub fn over_allocated(&self, position: usize) -> bool {
        over_allocated(self.seed, &self.account_id(position))
    }

    /// Checks the bounds.
    ///
    /// # Errors
    ///
    /// More than [`MAX_FLEET_ACCOUNTS`] accounts, a missing position beyond the fleet, or a
    /// zero token lifetime.
    pub fn validate(&self) -> Result<(), String> {
        if self.accounts > MAX_FLEET_ACCOUNTS {
            return Err(format!(
                "{} accounts; the sandbox serves at most {MAX_FLEET_ACCOUNTS}",
                self.accounts
            ));
        }
        if let Some(p) = self.missing.iter().find(|p| **p >= self.accounts) {
            return Err(format!(
                "missing position {p} is outside the fleet of {} accounts",
                self.accounts
            ));
        }
        if self.page_token_lifetime.is_zero() {
            return Err("the page token lifetime must be above zero".into());
        }
        Ok(())
    }
}

/// SplitMix64: a small, well-mixed, stable hash step (the output never depends on the
/// platform or the Rust version, unlike `std`'s hashers).
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A stable hash of a seed, a text and a number.
fn hash(seed: u64, text: &str, n: u64) -> u64 {
    let mut h = mix(seed);
    for chunk in text.as_bytes().chunks(8) {
        let mut word = [0u8; 8];
        word[..chunk.len()].copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(word));
    }
    mix(h ^ mix(n))
}

const ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn account_id(seed: u64, position: u64, attempt: u64) -> String {
    (0..22u64)
        .map(|i| {
            let h = hash(seed, "id", (position << 16) ^ (attempt << 8) ^ i);
            ID_ALPHABET[(h % ID_ALPHABET.len() as u64) as usize] as char
        })
        .collect()
}

fn over_allocated(seed: u64, id: &str) -> bool {
    hash(seed, id, u64::MAX).is_multiple_of(4)
}

/// A number near `original` (between half and one and a half times it), stable for a key.
fn vary(original: i64, h: u64) -> i64 {
    if original <= 0 {
        return (h % 3) as i64;
    }
    let span = original as u64 + 1;
    original / 2 + (h % span) as i64
}

/// A configured fleet, ready to serve.
#[derive(Debug)]
pub struct Fleet {
    /// Its settings.
    pub config: FleetConfig,
    /// The ids in list order.
    pub ids: Vec<String>,
    positions: HashMap<String, usize>,
    missing: HashSet<usize>,
}

/// Why a page token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageTokenProblem {
    /// Not a token the sandbox issued for this fleet (or tampered with).
    Unknown,
    /// Issued, but older than its lifetime or expired by the test API.
    Expired,
}

impl Fleet {
    /// Generates the ids (distinct, deterministic for the seed).
    pub fn new(config: FleetConfig) -> Result<Fleet, String> {
        config.validate()?;
        let mut ids = Vec::with_capacity(config.accounts);
        let mut positions = HashMap::with_capacity(config.accounts);
        for position in 0..config.accounts {
            let mut attempt = 0;
            let mut id = account_id(config.seed, position as u64, attempt);
            while positions.contains_key(&id) {
                attempt += 1;
                id = account_id(config.seed, position as u64, attempt);
            }
            positions.insert(id.clone(), position);
            ids.push(id);
        }
        let missing = config.missing.iter().copied().collect();
        Ok(Fleet {
            config,
            ids,
            positions,
            missing,
        })
    }

    /// The position of a listed account whose reports are served (not missing).
    pub fn served(&self, id: &str) -> Option<usize> {
        self.positions
            .get(id)
            .copied()
            .filter(|p| !self.missing.contains(p))
    }

    /// One page of the list, built on the first success example `template`: `offset..` up to
    /// `size` items, the counts, and `next_token` (empty on the last page).
    pub fn page(
        &self,
        role: &ListRole,
        template: &Value,
        offset: usize,
        size: u64,
        next_token: impl FnOnce(usize) -> String,
    ) -> Value {
        let total = self.ids.len();
        let size_usize = usize::try_from(size).unwrap_or(usize::MAX);
        let end = offset.saturating_add(size_usize).min(total);
        let item_template = template
            .get(&role.list)
            .and_then(Value::as_array)
            .and_then(|items| items.first())
            .cloned()
            .unwrap_or(Value::Object(Map::new()));
        let items: Vec<Value> = (offset.min(end)..end)
            .map(|position| self.item(role, &item_template, position))
            .collect();
        let mut page = match template {
            Value::Object(_) => template.clone(),
            _ => Value::Object(Map::new()),
        };
        page[&role.list] = Value::Array(items);
        if let Some(field) = &role.total {
            page[field] = Value::from(total as u64);
        }
        if let Some(field) = &role.pages {
            page[field] = Value::from((total as u64).div_ceil(size));
        }
        page[&role.page_size] = Value::from(size);
        if let Some(field) = &role.page_number {
            page[field] = Value::from(offset as u64 / size + 1);
        }
        page[&role.page_token] = Value::String(if end < total {
            next_token(end)
        } else {
            String::new()
        });
        page
    }

    /// One list item: the template with the id, the rendered text fields, and top-level
    /// integers varied.
    fn item(&self, role: &ListRole, template: &Value, position: usize) -> Value {
        let id = &self.ids[position];
        let mut item = match template {
            Value::Object(map) => map.clone(),
            _ => Map::new(),
        };
        for (key, value) in item.iter_mut() {
            if let Some(n) = value.as_i64() {
                *value = Value::from(vary(n, hash(self.config.seed, id, hash(0, key, 1))));
            }
        }
        item.insert(role.id.clone(), Value::String(id.clone()));
        for (field, text) in &role.item {
            let rendered = text
                .replace("{n}", &(position + 1).to_string())
                .replace("{id}", id);
            let numeric = item.get(field).is_some_and(Value::is_number);
            let value = match rendered.parse::<i64>() {
                Ok(n) if numeric => Value::from(n),
                _ => Value::String(rendered),
            };
            item.insert(field.clone(), value);
        }
        Value::Object(item)
    }

    /// A report about a served account, built on the first success example `template`: every
    /// object with both the capacity and the used field gets figures of its own; an
    /// over-allocated account uses more than it bought in the first such object.
    pub fn report(&self, role: &PerAccountRole, template: &Value, id: &str) -> Value {
        let over = over_allocated(self.config.seed, id);
        let mut report = template.clone();
        let mut slot = 0u64;
        self.vary_report(role, &mut report, id, over, &mut slot);
        report
    }

    fn vary_report(
        &self,
        role: &PerAccountRole,
        value: &mut Value,
        id: &str,
        over: bool,
        slot: &mut u64,
    ) {
        match value {
            Value::Object(map) => {
                let capacity = map.get(&role.capacity).and_then(Value::as_i64);
                if let (Some(capacity), true) = (capacity, map.contains_key(&role.used)) {
                    let h = hash(self.config.seed, id, *slot);
                    let capacity = vary(capacity, h).max(1);
                    let used = if over && *slot == 0 {
                        capacity + 1 + (mix(h) % 5) as i64
                    } else {
                        (mix(h ^ 1) % (capacity as u64 + 1)) as i64
                    };
                    map.insert(role.capacity.clone(), Value::from(capacity));
                    map.insert(role.used.clone(), Value::from(used));
                    *slot += 1;
                }
                for child in map.values_mut() {
                    self.vary_report(role, child, id, over, slot);
                }
            }
            Value::Array(items) => {
                for child in items {
                    self.vary_report(role, child, id, over, slot);
                }
            }
            _ => {}
        }
    }
}

/// Issues and checks page tokens: `offset`, issue time and generation, signed with a key of
/// this sandbox, in URL-safe Base64. Nothing is stored; a new generation (a new fleet, or
/// [`crate::RunningSandbox::expire_page_tokens`]) expires every token issued before.
#[derive(Debug)]
pub struct PageTokens {
    key: [u8; 32],
}

const TAG_BYTES: usize = 12;

impl PageTokens {
    /// A signer with a random key.
    pub fn new() -> PageTokens {
        let mut key = [0u8; 32];
        if getrandom::fill(&mut key).is_err() {
            key[..8].copy_from_slice(&crate::state::unix_ms().to_le_bytes());
        }
        PageTokens { key }
    }

    fn tag(&self, payload: &[u8]) -> [u8; TAG_BYTES] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("HMAC takes any key");
        mac.update(payload);
        let full = mac.finalize().into_bytes();
        let mut tag = [0u8; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }

    /// A token for the page starting at `offset`.
    pub fn issue(&self, offset: usize, now_ms: u64, generation: u64) -> String {
        let mut bytes = Vec::with_capacity(24 + TAG_BYTES);
        bytes.extend_from_slice(&(offset as u64).to_le_bytes());
        bytes.extend_from_slice(&now_ms.to_le_bytes());
        bytes.extend_from_slice(&generation.to_le_bytes());
        let tag = self.tag(&bytes);
        bytes.extend_from_slice(&tag);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The offset a token stands for, if it is valid now.
    pub fn check(
        &self,
        token: &str,
        now_ms: u64,
        generation: u64,
        lifetime: Duration,
    ) -> Result<usize, PageTokenProblem> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| PageTokenProblem::Unknown)?;
        if bytes.len() != 24 + TAG_BYTES || self.tag(&bytes[..24]) != bytes[24..] {
            return Err(PageTokenProblem::Unknown);
        }
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[i * 8..i * 8 + 8]);
            u64::from_le_bytes(w)
        };
        let (offset, issued, issued_generation) = (word(0), word(1), word(2));
        if issued_generation != generation
            || now_ms.saturating_sub(issued) > lifetime.as_millis() as u64
        {
            return Err(PageTokenProblem::Expired);
        }
        usize::try_from(offset).map_err(|_| PageTokenProblem::Unknown)
    }
}

impl Default for PageTokens {
    fn default() -> PageTokens {
        PageTokens::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_are_distinct_and_stable() {
        let fleet = Fleet::new(FleetConfig::new(2000, 7)).unwrap();
        let distinct: HashSet<&String> = fleet.ids.iter().collect();
        assert_eq!(distinct.len(), 2000);
        assert_eq!(fleet.ids[5], FleetConfig::new(1, 7).account_id(5));
        assert_ne!(fleet.ids[5], FleetConfig::new(1, 8).account_id(5));
        assert_eq!(fleet.ids[0].len(), 22);
        let over = (0..2000)
            .filter(|p| fleet.config.over_allocated(*p))
            .count();
        assert!((300..700).contains(&over), "{over}");
    }

    #[test]
    fn page_tokens_round_trip_and_expire() {
        let tokens = PageTokens::new();
        let token = tokens.issue(60, 1_000, 3);
        let minute = Duration::from_secs(60);
        assert_eq!(tokens.check(&token, 2_000, 3, minute), Ok(60));
        assert_eq!(
            tokens.check(&token, 2_000, 4, minute),
            Err(PageTokenProblem::Expired)
        );
        assert_eq!(
            tokens.check(&token, 62_000, 3, minute),
            Err(PageTokenProblem::Expired)
        );
        let mut forged = token.clone().into_bytes();
        forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        assert_eq!(
            tokens.check(&forged, 2_000, 3, minute),
            Err(PageTokenProblem::Unknown)
        );
        assert_eq!(
            PageTokens::new().check(&token, 2_000, 3, minute),
            Err(PageTokenProblem::Unknown),
            "another sandbox's token"
        );
        assert_eq!(
            tokens.check("not a token", 0, 3, minute),
            Err(PageTokenProblem::Unknown)
        );
    }

    #[test]
    fn reports_vary_per_account_and_keep_their_shape() {
        let role = PerAccountRole {
            parameter: "accountId".into(),
            parameter_example: None,
            capacity: "hosts".into(),
            used: "usage".into(),
            not_found: (404, "x".into()),
        };
        let template = json!({"plan_base": {"hosts": 10, "usage": 4, "type": "monthly"},
                              "plan_webinar": [{"hosts": 5, "usage": 5, "type": "w"}]});
        let fleet = Fleet::new(FleetConfig::new(40, 1)).unwrap();
        let reports: Vec<Value> = fleet
            .ids
            .iter()
            .map(|id| fleet.report(&role, &template, id))
            .collect();
        assert_eq!(reports[3], fleet.report(&role, &template, &fleet.ids[3]));
        let distinct: HashSet<String> = reports.iter().map(Value::to_string).collect();
        assert!(distinct.len() > 30, "{}", distinct.len());
        for (position, report) in reports.iter().enumerate() {
            assert_eq!(report["plan_base"]["type"], "monthly");
            let first = &report["plan_base"];
            let over = first["usage"].as_i64() > first["hosts"].as_i64();
            assert_eq!(over, fleet.config.over_allocated(position), "{report}");
            let webinar = &report["plan_webinar"][0];
            assert!(webinar["usage"].as_i64() <= webinar["hosts"].as_i64());
        }
    }

    #[test]
    fn bad_settings_are_refused() {
        assert!(
            FleetConfig::new(MAX_FLEET_ACCOUNTS + 1, 0)
                .validate()
                .is_err()
        );
        assert!(FleetConfig::new(3, 0).with_missing([3]).validate().is_err());
        let mut zero = FleetConfig::new(3, 0);
        zero.page_token_lifetime = Duration::ZERO;
        assert!(zero.validate().is_err());
    }
}

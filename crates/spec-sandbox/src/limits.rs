//! The opt-in rate-limit mode: each operation's `x-rate-limit` label gets a number of
//! requests per window, from a Zoom account tier or from explicit numbers, and requests over
//! it are refused with a 429 the way Zoom refuses them.
//!
//! Limits are per account and per label: all requests of one token family (Zoom's API and its
//! OAuth service) count as one account, and all operations with the same label share one
//! window. An operation without a label, or whose label has no limit, is never refused.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use crate::vendor::Family;

/// A Zoom account tier, as the rate-limit table of Zoom's documentation groups plans.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RateTier {
    /// Free (Basic) accounts.
    Free,
    /// Pro accounts.
    Pro,
    /// Business, Education, Enterprise and Partner accounts.
    BusinessPlus,
}

impl RateTier {
    /// The name used by the flag and the control endpoint (`free`, `pro`, `business-plus`).
    pub fn name(self) -> &'static str {
        match self {
            RateTier::Free => "free",
            RateTier::Pro => "pro",
            RateTier::BusinessPlus => "business-plus",
        }
    }
}

impl FromStr for RateTier {
    type Err = String;

    fn from_str(text: &str) -> Result<RateTier, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "free" | "basic" => Ok(RateTier::Free),
            "pro" => Ok(RateTier::Pro),
            "business-plus" | "business+" | "businessplus" | "business" => {
                Ok(RateTier::BusinessPlus)
            }
            other => Err(format!(
                "unknown tier `{other}`; use free, pro or business-plus"
            )),
        }
    }
}

/// At most `requests` requests per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Requests allowed in one window (0 refuses every request).
    pub requests: u32,
    /// The window's length.
    pub window: Duration,
}

impl Limit {
    /// `requests` per second.
    pub fn per_second(requests: u32) -> Limit {
        Limit {
            requests,
            window: Duration::from_secs(1),
        }
    }
}

/// Limits per rate-limit label (labels compare case-insensitively, `_` and ` ` as `-`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RateLimits {
    limits: BTreeMap<String, Limit>,
}

/// The form labels are compared in: `Resource_intensive` → `RESOURCE-INTENSIVE`.
pub fn normalize_label(label: &str) -> String {
    label.trim().to_ascii_uppercase().replace(['_', ' '], "-")
}

/// How Zoom writes a label in `X-RateLimit-Category`: `HEAVY` → `Heavy`.
pub fn category(label: &str) -> String {
    let lower = normalize_label(label).to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

impl RateLimits {
    /// No limits.
    pub fn new() -> RateLimits {
        RateLimits::default()
    }

    /// Zoom's per-second limits of a tier (Light, Medium, Heavy) and its per-minute limit of
    /// Resource-intensive operations, as its rate-limit documentation tabulates them. Daily
    /// limits are not enforced.
    pub fn tier(tier: RateTier) -> RateLimits {
        let (light, medium, heavy, intensive_per_minute) = match tier {
            RateTier::Free => (4, 2, 1, 10),
            RateTier::Pro => (30, 20, 10, 10),
            RateTier::BusinessPlus => (80, 60, 40, 20),
        };
        RateLimits::new()
            .with("LIGHT", Limit::per_second(light))
            .with("MEDIUM", Limit::per_second(medium))
            .with("HEAVY", Limit::per_second(heavy))
            .with(
                "RESOURCE-INTENSIVE",
                Limit {
                    requests: intensive_per_minute,
                    window: Duration::from_secs(60),
                },
            )
    }

    /// Explicit per-second limits: `[("HEAVY", 200), ("MEDIUM", 5)]`.
    pub fn per_second<L: AsRef<str>>(pairs: impl IntoIterator<Item = (L, u32)>) -> RateLimits {
        pairs.into_iter().fold(RateLimits::new(), |limits, (l, n)| {
            limits.with(l.as_ref(), Limit::per_second(n))
        })
    }

    /// These limits with `label` set to `limit`.
    pub fn with(mut self, label: &str, limit: Limit) -> RateLimits {
        self.limits.insert(normalize_label(label), limit);
        self
    }

    /// The limit of a label, if it has one.
    pub fn get(&self, label: &str) -> Option<Limit> {
        self.limits.get(&normalize_label(label)).copied()
    }

    /// Every label with its limit, labels normalized and sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Limit)> {
        self.limits.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Parses the flag's forms: a tier (`pro`), per-second numbers (`HEAVY=200,MEDIUM=5`), or
    /// a tier with overrides (`pro,HEAVY=200`).
    ///
    /// # Errors
    ///
    /// An unknown tier, a part that is neither a tier nor `LABEL=N`, or a bad number.
    pub fn parse(text: &str) -> Result<RateLimits, String> {
        let mut limits = RateLimits::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                None => {
                    let tier: RateTier = part.parse()?;
                    for (label, limit) in RateLimits::tier(tier).iter() {
                        limits = limits.with(label, limit);
                    }
                }
                Some((label, number)) if !label.trim().is_empty() => {
                    let n: u32 = number.trim().parse().map_err(|_| {
                        format!("`{part}`: the limit must be a whole number of requests per second")
                    })?;
                    limits = limits.with(label, Limit::per_second(n));
                }
                Some(_) => return Err(format!("`{part}`: a label is missing before `=`")),
            }
        }
        if limits.limits.is_empty() {
            return Err("no limits given; use a tier (free, pro, business-plus) or LABEL=N".into());
        }
        Ok(limits)
    }
}

/// The outcome of counting one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Within the limit: `remaining` requests are left in this window.
    Allowed {
        /// The label as Zoom writes it (`Heavy`).
        category: String,
        /// The window's quota.
        limit: u32,
        /// Requests left in the window after this one.
        remaining: u32,
    },
    /// Over the limit: retry after `retry_after` whole seconds.
    Refused {
        /// The label as Zoom writes it (`Heavy`).
        category: String,
        /// The window's quota.
        limit: u32,
        /// Seconds until the window ends, rounded up (at least 1).
        retry_after: u64,
    },
}

/// A fixed window that starts with the first request after the previous one ended, so a
/// burst gets exactly `requests` admissions per window whenever it starts.
#[derive(Debug)]
struct Window {
    limit: Limit,
    category: String,
    state: Mutex<(Option<Instant>, u32)>,
}

/// Enforced limits: one window per label (operations index into it).
#[derive(Debug)]
struct Enforced {
    limits: RateLimits,
    windows: Vec<Option<Window>>,
}

/// The rate limiter of a running sandbox. Off unless limits are set; when off, counting a
/// request costs one uncontended read lock.
#[derive(Debug)]
pub struct RateLimiter {
    /// Distinct normalized labels of the served operations, per account (token family).
    labels: Vec<(Family, String)>,
    /// Per operation index, its label's index in `labels`.
    op_labels: Vec<Option<usize>>,
    enforced: RwLock<Option<Arc<Enforced>>>,
    /// Whether `enforced` is `Some`: lets requests skip the lock while the mode is off.
    on: AtomicBool,
}

impl RateLimiter {
    /// A limiter for operations whose account (token family) and label are `op_labels` (by
    /// operation index). Operations share a window when both are equal.
    pub fn new(op_labels: &[Option<(Family, &str)>]) -> RateLimiter {
        let mut labels: Vec<(Family, String)> = Vec::new();
        let op_labels = op_labels
            .iter()
            .map(|label| {
                let (family, label) = (*label)?;
                let label = (family, normalize_label(label));
                Some(match labels.iter().position(|l| *l == label) {
                    Some(i) => i,
                    None => {
                        labels.push(label);
                        labels.len() - 1
                    }
                })
            })
            .collect();
        RateLimiter {
            labels,
            op_labels,
            enforced: RwLock::new(None),
            on: AtomicBool::new(false),
        }
    }

    /// Turns enforcement on with these limits (fresh windows), or off with `None`.
    pub fn set(&self, limits: Option<RateLimits>) {
        let enforced = limits.map(|limits| {
            let windows = self
                .labels
                .iter()
                .map(|(_, label)| {
                    limits.get(label).map(|limit| Window {
                        limit,
                        category: category(label),
                        state: Mutex::new((None, 0)),
                    })
                })
                .collect();
            Arc::new(Enforced { limits, windows })
        });
        let mut slot = self
            .enforced
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        self.on.store(enforced.is_some(), Ordering::Release);
        *slot = enforced;
    }

    /// The limits being enforced, if any.
    pub fn get(&self) -> Option<RateLimits> {
        self.enforced
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|e| e.limits.clone())
    }

    /// Counts a request of the operation with this index; `None` when it is not limited.
    pub fn admit(&self, op_index: usize) -> Option<Admission> {
        let label = (*self.op_labels.get(op_index)?)?;
        if !self.on.load(Ordering::Acquire) {
            return None;
        }
        let enforced = self
            .enforced
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()?;
        let window = enforced.windows.get(label)?.as_ref()?;
        let now = Instant::now();
        let mut state = window.state.lock().unwrap_or_else(PoisonError::into_inner);
        let start = match state.0 {
            Some(start) if now.duration_since(start) < window.limit.window => start,
            _ => {
                *state = (Some(now), 0);
                now
            }
        };
        if state.1 < window.limit.requests {
            state.1 += 1;
            Some(Admission::Allowed {
                category: window.category.clone(),
                limit: window.limit.requests,
                remaining: window.limit.requests - state.1,
            })
        } else {
            let left = (start + window.limit.window).saturating_duration_since(now);
            Some(Admission::Refused {
                category: window.category.clone(),
                limit: window.limit.requests,
                retry_after: left.as_secs_f64().ceil().max(1.0) as u64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_labels_and_parsing() {
        let pro = RateLimits::tier(RateTier::Pro);
        assert_eq!(pro.get("heavy"), Some(Limit::per_second(10)));
        assert_eq!(pro.get("Medium"), Some(Limit::per_second(20)));
        assert_eq!(
            RateLimits::tier(RateTier::BusinessPlus).get("resource_intensive"),
            Some(Limit {
                requests: 20,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(RateLimits::parse("pro").unwrap(), pro);
        let custom = RateLimits::parse("free, HEAVY=200").unwrap();
        assert_eq!(custom.get("HEAVY"), Some(Limit::per_second(200)));
        assert_eq!(custom.get("MEDIUM"), Some(Limit::per_second(2)));
        assert_eq!(
            RateLimits::parse("MEDIUM=5").unwrap(),
            RateLimits::per_second([("medium", 5)])
        );
        for bad in ["", "gold", "HEAVY=x", "=3", "HEAVY=-1"] {
            assert!(RateLimits::parse(bad).is_err(), "{bad}");
        }
        assert_eq!("business+".parse::<RateTier>(), Ok(RateTier::BusinessPlus));
        assert_eq!(category("RESOURCE-INTENSIVE"), "Resource-intensive");
        assert_eq!(category("HEAVY"), "Heavy");
    }

    #[test]
    fn a_window_admits_exactly_its_quota_and_labels_share_it() {
        let zoom = |label| Some((Family(0), label));
        let limiter = RateLimiter::new(&[
            zoom("HEAVY"),
            zoom("MEDIUM"),
            None,
            zoom("heavy"),
            Some((Family(1), "HEAVY")),
        ]);
        assert_eq!(limiter.admit(0), None, "off until set");
        limiter.set(Some(RateLimits::per_second([("HEAVY", 3)])));
        let allowed = (0..10)
            .map(|i| limiter.admit(if i % 2 == 0 { 0 } else { 3 }))
            .filter(|a| matches!(a, Some(Admission::Allowed { .. })))
            .count();
        assert_eq!(allowed, 3, "operations with one label share its window");
        match limiter.admit(0) {
            Some(Admission::Refused {
                category,
                limit,
                retry_after,
            }) => assert_eq!((category.as_str(), limit, retry_after), ("Heavy", 3, 1)),
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(limiter.admit(4), Some(Admission::Allowed { .. })),
            "another account has its own window"
        );
        assert_eq!(limiter.admit(1), None, "MEDIUM has no limit here");
        assert_eq!(limiter.admit(2), None, "no label");
        limiter.set(Some(RateLimits::per_second([("HEAVY", 1)])));
        assert!(matches!(
            limiter.admit(0),
            Some(Admission::Allowed { remaining: 0, .. })
        ));
        limiter.set(None);
        assert_eq!(limiter.admit(0), None);
    }
}

//! The pace of a fleet run: Zoom's per-second limits by account tier and rate label, and a
//! pacer per label shared by every call of the run (slot reservation at 95 % of the limit,
//! slowed by a 429, closed by a long `Retry-After` or by the run's stop flag).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A Zoom account's plan tier, which sets its per-second limits (Zoom's published table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateTier {
    /// Free accounts: Light 4/s, Medium 2/s, Heavy 1/s.
    Free,
    /// Pro: Light 30/s, Medium 20/s, Heavy 10/s.
    Pro,
    /// Business, Education, Enterprise and Partner: Light 80/s, Medium 60/s, Heavy 40/s.
    BusinessPlus,
}

impl RateTier {
    /// Calls per second allowed for a rate label (`LIGHT`, `MEDIUM`, `HEAVY`,
    /// `RESOURCE-INTENSIVE`, any case), or `None` for an unknown label.
    ///
    /// ```
    /// use meeting_usage::RateTier;
    /// assert_eq!(RateTier::Pro.per_second("HEAVY"), Some(10.0));
    /// assert_eq!(RateTier::BusinessPlus.per_second("Medium"), Some(60.0));
    /// ```
    pub fn per_second(self, label: &str) -> Option<f64> {
        let label = label.to_ascii_uppercase();
        let [light, medium, heavy, intensive_per_minute] = match self {
            RateTier::Free => [4.0, 2.0, 1.0, 10.0],
            RateTier::Pro => [30.0, 20.0, 10.0, 10.0],
            RateTier::BusinessPlus => [80.0, 60.0, 40.0, 20.0],
        };
        match label.as_str() {
            "LIGHT" => Some(light),
            "MEDIUM" => Some(medium),
            "HEAVY" => Some(heavy),
            "RESOURCE-INTENSIVE" | "RESOURCE_INTENSIVE" => Some(intensive_per_minute / 60.0),
            _ => None,
        }
    }
}

/// How fast a fleet run may call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RateLimits {
    /// The account tier's published limit for each operation's rate label (default Pro).
    Tier(RateTier),
    /// The same limit for every label, in calls per second.
    PerSecond(f64),
    /// No client-side limit (only to compare; expect 429s).
    Off,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits::Tier(RateTier::Pro)
    }
}

impl RateLimits {
    fn per_second(self, label: Option<&str>) -> Option<f64> {
        match self {
            RateLimits::Tier(tier) => label.and_then(|l| tier.per_second(l)),
            RateLimits::PerSecond(rate) => Some(rate),
            RateLimits::Off => None,
        }
    }

    /// The shortest time `calls` calls of rate label `label` take when paced at these
    /// limits, as a fleet run paces them (at 95 % of the limit, the first call at once), or
    /// `None` when the label is not limited.
    pub(crate) fn floor(self, label: Option<&str>, calls: usize) -> Option<Duration> {
        let rate = self.per_second(label)? * HEADROOM;
        // Integer to float: a count of calls, far below 2^52.
        let calls = calls.saturating_sub(1) as f64;
        (rate.is_finite() && rate > 0.0).then(|| Duration::from_secs_f64(calls / rate))
    }
}

/// The share of a published limit the limiter uses. The vendor counts arrivals in one-second
/// windows; a call that arrives late (a new connection, a late timer wake-up, a busy machine)
/// opens its window late and lets the next window's calls in. 5 % leaves about 50 ms of slack
/// per window; at 3 % a loaded 2-core machine still let 21 calls into a 20/s window.
const HEADROOM: f64 = 0.95;

/// A pacer of `rate` calls per second: each caller reserves the next free slot on a schedule
/// and sleeps until it (the "virtual scheduling" form of a token bucket with a burst of one).
///
/// Reserving on a schedule, instead of polling for tokens, keeps the rate exact however late
/// the timer wakes a caller: a late wake-up delays that call only, never the schedule.
///
/// After a 429 ([`slow_down`](RateLimiter::slow_down)) no call starts until the vendor's
/// `Retry-After` has passed, and the rate drops by a fifth, once per pause however many calls
/// in flight meet the same 429; each call afterwards wins back 1 % of the interval, so the
/// pace returns to the configured rate when the vendor stops refusing. A wait longer than
/// [`LONG_WAIT`] (Zoom's daily limit resets at midnight) closes the pacer instead: calls fail
/// at once with the remaining wait rather than sleeping for hours.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    state: Mutex<Schedule>,
    /// A stopped run's flag: once set, `acquire` lets no call through.
    stop: Option<Arc<AtomicBool>>,
}

#[derive(Debug)]
struct Schedule {
    /// The configured time between two calls.
    base: Duration,
    /// The current time between two calls (at least `base`).
    interval: Duration,
    /// The earliest start of the next call.
    next_free: Instant,
    /// The end of the pause of the last 429; a 429 before then does not cut the rate again.
    paused_until: Instant,
    /// The vendor refuses calls until then (a daily limit).
    closed_until: Option<Instant>,
}

/// The longest pause a 429 imposes on a fleet run; a longer `Retry-After` closes the pacer.
pub(crate) const LONG_WAIT: Duration = Duration::from_secs(60);

/// The slowest pace a run slows down to.
const SLOWEST: Duration = Duration::from_secs(10);

impl RateLimiter {
    /// A pacer of `per_second` calls per second; the first call may start at once.
    pub(crate) fn new(per_second: f64) -> RateLimiter {
        let valid = per_second.is_finite() && per_second > 0.0;
        let rate = if valid { per_second } else { 1.0 };
        let interval = Duration::from_secs_f64(1.0 / rate).min(SLOWEST);
        let now = Instant::now();
        RateLimiter {
            state: Mutex::new(Schedule {
                base: interval,
                interval,
                next_free: now,
                paused_until: now,
                closed_until: None,
            }),
            stop: None,
        }
    }

    /// Whether the run this pacer belongs to was stopped.
    fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|stop| stop.load(Ordering::Relaxed))
    }

    /// Waits until this call's slot; `Err` with the remaining wait when the vendor has closed
    /// for longer than [`LONG_WAIT`].
    pub(crate) async fn acquire(&self) -> Result<(), Duration> {
        loop {
            if self.stopped() {
                return Err(Duration::ZERO);
            }
            let slot = {
                let mut schedule = self.state.lock().unwrap_or_else(|p| p.into_inner());
                let now = Instant::now();
                if let Some(until) = schedule.closed_until {
                    if until > now {
                        return Err(until - now);
                    }
                    schedule.closed_until = None;
                }
                let slot = schedule.next_free.max(now);
                schedule.next_free = slot + schedule.interval;
                if schedule.interval > schedule.base {
                    schedule.interval = schedule.interval.mul_f64(0.99).max(schedule.base);
                }
                slot
            };
            tokio::time::sleep_until(slot.into()).await;
            // A 429 that arrived while this call slept paused the schedule after its slot was
            // reserved: take a new slot after the pause instead of going out during it (and a
            // stop while it slept means it is not sent at all: the loop's first check).
            let schedule = self.state.lock().unwrap_or_else(|p| p.into_inner());
            let open = schedule.paused_until <= Instant::now() && schedule.closed_until.is_none();
            if open && !self.stopped() {
                return Ok(());
            }
        }
    }

    /// The vendor answered 429 and asked to wait `retry_after` (one second when it did not
    /// say).
    pub(crate) fn slow_down(&self, retry_after: Option<Duration>) {
        let wait = retry_after.unwrap_or(Duration::from_secs(1));
        let mut schedule = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        if wait > LONG_WAIT {
            // Capped: a vendor date centuries away must not overflow `Instant`.
            let until = now
                .checked_add(wait.min(Duration::from_secs(2 * 86_400)))
                .unwrap_or(now);
            schedule.closed_until = Some(schedule.closed_until.map_or(until, |u| u.max(until)));
            return;
        }
        let until = now + wait;
        if now >= schedule.paused_until {
            schedule.interval = schedule.interval.mul_f64(1.25).min(SLOWEST);
        }
        schedule.paused_until = schedule.paused_until.max(until);
        schedule.next_free = schedule.next_free.max(until);
    }

    /// The current rate, in calls per second.
    #[cfg(test)]
    fn rate(&self) -> f64 {
        let interval = self
            .state
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .interval;
        1.0 / interval.as_secs_f64()
    }
}

/// One limiter per rate label, shared by every call of a run.
#[derive(Debug)]
pub(crate) struct Limiters {
    limits: RateLimits,
    by_label: Mutex<BTreeMap<String, Arc<RateLimiter>>>,
    rate_limited: AtomicU64,
    /// The run's stop flag, given to every pacer ([`Limiters::stopped_by`]).
    stop: Option<Arc<AtomicBool>>,
}

impl Limiters {
    pub(crate) fn new(limits: RateLimits) -> Limiters {
        Limiters {
            limits,
            by_label: Mutex::new(BTreeMap::new()),
            rate_limited: AtomicU64::new(0),
            stop: None,
        }
    }

    /// These limiters, whose pacers let no call through once `stop` is set: a call waiting
    /// for its slot then fails without being sent.
    pub(crate) fn stopped_by(mut self, stop: Arc<AtomicBool>) -> Limiters {
        self.stop = Some(stop);
        self
    }

    /// The vendor answered 429 to a call of this label: count it, and slow the label's
    /// limiter down (when the run has one).
    pub(crate) fn throttled_by_vendor(&self, label: Option<&str>, retry_after: Option<Duration>) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
        if let Some(limiter) = self.get(label) {
            limiter.slow_down(retry_after);
        }
    }

    /// The limiter of a rate label, or `None` when the run is not limited.
    pub(crate) fn get(&self, label: Option<&str>) -> Option<Arc<RateLimiter>> {
        let rate = self.limits.per_second(label)? * HEADROOM;
        let key = label.unwrap_or("").to_ascii_uppercase();
        let mut map = self.by_label.lock().unwrap_or_else(|p| p.into_inner());
        Some(
            map.entry(key)
                .or_insert_with(|| {
                    let mut limiter = RateLimiter::new(rate);
                    limiter.stop.clone_from(&self.stop);
                    Arc::new(limiter)
                })
                .clone(),
        )
    }

    /// 429 answers received during the run, limited or not.
    pub(crate) fn rate_limited(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_pacer_paces_calls_at_its_rate() {
        let limiter = RateLimiter::new(200.0);
        let started = Instant::now();
        for _ in 0..101 {
            limiter.acquire().await.unwrap();
        }
        // The first call at once, then 100 at 200/s: half a second.
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(480), "{took:?}");
        assert!(took < Duration::from_millis(800), "{took:?}");
    }

    #[tokio::test]
    async fn a_429_pauses_and_slows_the_pacer_once_then_it_recovers() {
        let limiter = RateLimiter::new(100.0);
        limiter.acquire().await.unwrap();
        // Sixteen calls in flight meet the same 429: one cut, not sixteen.
        for _ in 0..16 {
            limiter.slow_down(Some(Duration::from_millis(300)));
        }
        assert!((limiter.rate() - 80.0).abs() < 1e-3, "{}", limiter.rate());
        let started = Instant::now();
        limiter.acquire().await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(290));
        for _ in 0..40 {
            limiter.acquire().await.unwrap();
        }
        assert!(limiter.rate() > 95.0, "recovers: {}", limiter.rate());
        assert!(limiter.rate() <= 100.0 + 1e-3);
    }

    #[tokio::test]
    async fn a_daily_limit_closes_the_pacer_instead_of_sleeping() {
        let limiter = RateLimiter::new(100.0);
        limiter.slow_down(Some(Duration::from_secs(5 * 3600)));
        let wait = limiter.acquire().await.unwrap_err();
        assert!(wait > Duration::from_secs(4 * 3600), "{wait:?}");
        // A date centuries away is capped, not an overflow.
        limiter.slow_down(Some(Duration::from_secs(u64::MAX / 4)));
        assert!(limiter.acquire().await.unwrap_err() <= Duration::from_secs(2 * 86_400));
    }

    #[test]
    fn limits_come_from_the_label_and_the_tier() {
        let limiters = Limiters::new(RateLimits::Tier(RateTier::Free));
        let heavy = limiters.get(Some("HEAVY")).unwrap();
        assert!((heavy.rate() - HEADROOM).abs() < 1e-3);
        assert!(Arc::ptr_eq(&heavy, &limiters.get(Some("heavy")).unwrap()));
        assert!(limiters.get(Some("UNKNOWN")).is_none());
        assert!(Limiters::new(RateLimits::Off).get(Some("HEAVY")).is_none());
        let fixed = Limiters::new(RateLimits::PerSecond(200.0));
        assert!((fixed.get(None).unwrap().rate() - 200.0 * HEADROOM).abs() < 1e-3);
    }
}

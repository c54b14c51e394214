//! The sandbox's mutable state: issued tokens, queued faults, the request log and rate-limit
//! windows. Everything here is shared by all connections.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hyper::Method;
use serde::{Deserialize, Serialize};

use crate::vendor::Family;

/// What kind of token a value is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// Opens protected operations.
    Access,
    /// Buys a new access token.
    Refresh,
}

#[derive(Clone, Debug)]
struct Token {
    family: Family,
    kind: TokenKind,
    expires: Option<Instant>,
}

/// Tokens the sandbox has issued (or was seeded with from the specs' examples).
///
/// Bounded: when it has grown to twice its size after the last clean-up (at least
/// [`TOKEN_PRUNE_AT`]), an insert forgets expired tokens (they then count as unknown, which
/// also answers 401); at [`MAX_TOKENS`] it also forgets the `MAX_TOKENS / 4` issued tokens
/// closest to expiry. Clean-ups are amortised, so an insert costs O(1) on average. Seeded tokens are
/// never forgotten. `Debug` shows counts only, never a token.
#[derive(Default)]
pub struct TokenStore {
    inner: RwLock<Tokens>,
    /// Tokens given to [`with_seeds`](Self::with_seeds): they never expire and never change,
    /// so they are checked without taking the lock (the specs' example tokens, which most
    /// requests carry).
    seeds: Vec<Seed>,
}

/// A token that never expires, fixed when the store is made.
struct Seed {
    value: String,
    family: Family,
    kind: TokenKind,
}

#[derive(Default)]
struct Tokens {
    map: HashMap<String, Token>,
    /// Size at which the next insert cleans up (0: [`TOKEN_PRUNE_AT`]).
    prune_at: usize,
}

/// The smallest size at which the store forgets expired tokens.
pub const TOKEN_PRUNE_AT: usize = 4096;

/// The most tokens the store holds.
pub const MAX_TOKENS: usize = 65_536;

impl std::fmt::Debug for TokenStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenStore")
            .field("tokens", &self.len())
            .finish_non_exhaustive()
    }
}

/// Why a presented token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// Not issued by the sandbox (or of another vendor or kind).
    Unknown,
    /// Issued, but past its lifetime.
    Expired,
}

impl Tokens {
    fn clean_up(&mut self) {
        let now = Instant::now();
        self.map.retain(|_, t| t.expires.is_none_or(|e| e > now));
        if self.map.len() >= MAX_TOKENS {
            let mut issued: Vec<(Instant, String)> = self
                .map
                .iter()
                .filter_map(|(k, t)| t.expires.map(|e| (e, k.clone())))
                .collect();
            let evict = (MAX_TOKENS / 4).min(issued.len());
            if evict > 0 {
                // Partition around the evict-th soonest expiry; no full sort needed.
                issued.select_nth_unstable(evict - 1);
                for (_, key) in &issued[..evict] {
                    self.map.remove(key);
                }
            }
        }
        self.prune_at = (self.map.len() * 2).clamp(TOKEN_PRUNE_AT, MAX_TOKENS);
    }
}

impl TokenStore {
    /// A store that accepts these tokens for ever (they count in [`len`](Self::len), and
    /// [`expire_all_issued`](Self::expire_all_issued) leaves them). A value given twice keeps
    /// its last family and kind.
    pub fn with_seeds(seeds: impl IntoIterator<Item = (String, Family, TokenKind)>) -> TokenStore {
        let mut kept: Vec<Seed> = Vec::new();
        for (value, family, kind) in seeds {
            kept.retain(|seed| seed.value != value);
            kept.push(Seed {
                value,
                family,
                kind,
            });
        }
        TokenStore {
            inner: RwLock::default(),
            seeds: kept,
        }
    }

    /// Registers a token; `None` lifetime never expires.
    pub fn insert(&self, value: &str, family: Family, kind: TokenKind, lifetime: Option<Duration>) {
        let token = Token {
            family,
            kind,
            expires: lifetime.map(|l| Instant::now() + l),
        };
        let mut tokens = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if tokens.map.len() >= tokens.prune_at.max(TOKEN_PRUNE_AT)
            && !tokens.map.contains_key(value)
        {
            tokens.clean_up();
        }
        tokens.map.insert(value.to_owned(), token);
    }

    /// Makes an issued token unknown from now on (a rotated refresh token). Seeded tokens
    /// stay: the specs' examples are test credentials that keep working.
    pub fn revoke(&self, value: &str) {
        let mut tokens = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        tokens.map.remove(value);
    }

    /// Checks a presented token.
    pub fn check(&self, value: &str, family: Family, kind: TokenKind) -> Result<(), TokenProblem> {
        if self
            .seeds
            .iter()
            .any(|seed| seed.value == value && seed.family == family && seed.kind == kind)
        {
            return Ok(());
        }
        let tokens = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        match tokens.map.get(value) {
            Some(t) if t.family == family && t.kind == kind => match t.expires {
                Some(expires) if Instant::now() >= expires => Err(TokenProblem::Expired),
                _ => Ok(()),
            },
            _ => Err(TokenProblem::Unknown),
        }
    }

    /// Makes every token issued at run time expire now; seeded tokens stay.
    pub fn expire_all_issued(&self) {
        let now = Instant::now();
        for token in self
            .inner
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .map
            .values_mut()
        {
            if token.expires.is_some() {
                token.expires = Some(now);
            }
        }
    }

    /// How many tokens are held.
    pub fn len(&self) -> usize {
        self.seeds.len()
            + self
                .inner
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .map
                .len()
    }

    /// Whether no token is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A fault to inject into responses of an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FaultKind {
    /// Answer with this status and the vendor's error body (429 adds `Retry-After`).
    Status {
        /// The HTTP status.
        status: u16,
        /// Seconds for `Retry-After` (429 and 503 only; 1 when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        retry_after: Option<u64>,
    },
    /// Wait before answering normally.
    Delay {
        /// Milliseconds to wait.
        millis: u64,
    },
    /// Close the connection without an answer.
    Drop,
    /// Send the status, the headers (with the full `Content-Length`) and half of the body,
    /// then close the connection. Refused for an operation whose success response has no
    /// body; a truncate fault for every operation leaves a reply without a body whole.
    Truncate,
    /// Answer the success status with an HTML body instead of JSON.
    NotJson,
    /// Answer the success status with this JSON body instead of the spec's example: a vendor
    /// whose answers drifted (a new product key, a missing field). The body is sent as given,
    /// not validated. Set from the Rust API or the control endpoint, not the header.
    Body {
        /// The JSON body to send.
        body: serde_json::Value,
    },
}

/// A fault for the next requests of an operation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    /// The `operationId` it applies to; `None`: every operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// What happens.
    #[serde(flatten)]
    pub kind: FaultKind,
    /// How many requests it affects.
    #[serde(default = "one")]
    pub times: u32,
}

fn one() -> u32 {
    1
}

/// The longest delay a fault may ask for, in milliseconds.
pub const MAX_DELAY_MS: u64 = 60_000;

/// How many faults may wait at once; more are refused.
pub const MAX_QUEUED_FAULTS: usize = 1024;

/// Why a fault was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidFault(pub String);

impl Fault {
    /// Checks the values a fault carries: at least one use, an error status, a bounded delay.
    pub fn validate(&self) -> Result<(), InvalidFault> {
        if self.times == 0 {
            return Err(InvalidFault("`times` must be at least 1".into()));
        }
        match self.kind {
            FaultKind::Status { status, .. } if !(400..600).contains(&status) => Err(InvalidFault(
                format!("status {status} is not an error status (400-599)"),
            )),
            FaultKind::Delay { millis } if millis > MAX_DELAY_MS => Err(InvalidFault(format!(
                "a delay of {millis} ms is longer than the {MAX_DELAY_MS} ms limit"
            ))),
            _ => Ok(()),
        }
    }

    /// Parses the `X-Sandbox-Fault` header: `status=503`, `status=429; retry-after=2`,
    /// `delay=250ms`, `drop`, `truncate` or `not-json`, each optionally with `; times=N`.
    pub fn from_header(value: &str, operation: &str) -> Result<Fault, InvalidFault> {
        Self::parse_header(value, operation).map_err(InvalidFault)
    }

    fn parse_header(value: &str, operation: &str) -> Result<Fault, String> {
        let mut kind = None;
        let mut times = 1;
        let mut retry_after = None;
        for part in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, val) = part
                .split_once('=')
                .map_or((part, ""), |(k, v)| (k.trim(), v.trim()));
            match key {
                "status" => {
                    let status = val
                        .parse::<u16>()
                        .map_err(|_| format!("bad status `{val}`"))?;
                    kind = Some(FaultKind::Status {
                        status,
                        retry_after: None,
                    });
                }
                "retry-after" => {
                    retry_after = Some(
                        val.parse::<u64>()
                            .map_err(|_| format!("bad retry-after `{val}`"))?,
                    );
                }
                "delay" => {
                    let millis = val
                        .strip_suffix("ms")
                        .unwrap_or(val)
                        .parse::<u64>()
                        .map_err(|_| format!("bad delay `{val}`"))?;
                    kind = Some(FaultKind::Delay { millis });
                }
                "drop" => kind = Some(FaultKind::Drop),
                "truncate" => kind = Some(FaultKind::Truncate),
                "not-json" => kind = Some(FaultKind::NotJson),
                "times" => {
                    times = val
                        .parse::<u32>()
                        .map_err(|_| format!("bad times `{val}`"))?;
                }
                other => return Err(format!("unknown fault `{other}`")),
            }
        }
        let kind = match (kind, retry_after) {
            (Some(FaultKind::Status { status, .. }), retry_after) => FaultKind::Status {
                status,
                retry_after,
            },
            (Some(kind), _) => kind,
            (None, _) => {
                return Err("no fault named (status=, delay=, drop, truncate, not-json)".into());
            }
        };
        let fault = Fault {
            operation: Some(operation.to_owned()),
            kind,
            times,
        };
        fault.validate().map_err(|e| e.0)?;
        Ok(fault)
    }
}

/// Faults waiting to happen.
#[derive(Debug, Default)]
pub struct FaultQueue {
    faults: Mutex<Vec<Fault>>,
    /// How many faults are queued (changed under the lock), so that a request finds an empty
    /// queue without taking the lock.
    queued: AtomicUsize,
}

impl FaultQueue {
    /// Queues a fault after [`Fault::validate`]; refused when [`MAX_QUEUED_FAULTS`] wait.
    pub fn push(&self, fault: Fault) -> Result<(), InvalidFault> {
        self.insert(fault, false)
    }

    /// Like [`push`](Self::push), but ahead of every queued fault: the next request it
    /// matches gets it (how a header fault's further uses stay next in line).
    pub fn push_first(&self, fault: Fault) -> Result<(), InvalidFault> {
        self.insert(fault, true)
    }

    fn insert(&self, fault: Fault, first: bool) -> Result<(), InvalidFault> {
        fault.validate()?;
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        if faults.len() >= MAX_QUEUED_FAULTS {
            return Err(InvalidFault(format!(
                "{MAX_QUEUED_FAULTS} faults are already queued; clear them first"
            )));
        }
        if first {
            faults.insert(0, fault);
        } else {
            faults.push(fault);
        }
        self.queued.store(faults.len(), Ordering::Release);
        Ok(())
    }

    /// Removes every queued fault.
    pub fn clear(&self) {
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        faults.clear();
        self.queued.store(0, Ordering::Release);
    }

    /// Takes one use of the first fault for this operation, if any.
    pub fn take(&self, operation: &str) -> Option<FaultKind> {
        if self.queued.load(Ordering::Acquire) == 0 {
            return None;
        }
        let mut faults = self.faults.lock().unwrap_or_else(PoisonError::into_inner);
        let index = faults
            .iter()
            .position(|f| f.operation.as_deref().is_none_or(|op| op == operation))?;
        let fault = &mut faults[index];
        if fault.times > 1 {
            fault.times -= 1;
            Some(fault.kind.clone())
        } else {
            let kind = faults.remove(index).kind;
            self.queued.store(faults.len(), Ordering::Release);
            Some(kind)
        }
    }
}

/// One request as the sandbox saw it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoggedRequest {
    /// The operation it matched, if any.
    pub operation: Option<String>,
    /// HTTP method.
    pub method: String,
    /// Path and query.
    pub path: String,
    /// The status answered (0 when the connection was dropped).
    pub status: u16,
    /// Milliseconds since the Unix epoch.
    pub at_unix_ms: u64,
}

/// The most recent requests, and counts per operation that never wrap.
///
/// Entries name their operation by index and keep their method as a [`Method`]; once the log
/// is full, a new entry reuses the path buffer of the one it replaces, so recording allocates
/// nothing in the steady state. [`entries`](Self::entries) builds the [`LoggedRequest`]s.
#[derive(Debug)]
pub struct RequestLog {
    /// Entries and counts under one lock: a request takes it once.
    records: Mutex<Records>,
    /// Operation names by index (empty for a log made with [`new`](Self::new)).
    names: Vec<String>,
}

#[derive(Debug)]
struct Records {
    entries: VecDeque<Entry>,
    /// Requests per operation index.
    counts: Vec<u64>,
}

impl Records {
    fn new(operations: usize) -> Records {
        Records {
            entries: VecDeque::new(),
            counts: vec![0; operations],
        }
    }
}

/// A retained request.
#[derive(Debug)]
struct Entry {
    operation: EntryOperation,
    method: EntryMethod,
    path: String,
    status: u16,
    at_unix_ms: u64,
}

#[derive(Debug)]
enum EntryMethod {
    Known(Method),
    /// A method given by [`RequestLog::record`] as text that is not one.
    Text(String),
}

#[derive(Debug)]
enum EntryOperation {
    None,
    /// An index into [`RequestLog::names`].
    Index(usize),
    /// A name given by [`RequestLog::record`].
    Named(String),
}

/// How many requests the log keeps (counts are kept for all).
pub const LOG_CAPACITY: usize = 10_000;

impl RequestLog {
    /// A log for `operations` operations, recorded with [`record`](Self::record).
    pub fn new(operations: usize) -> RequestLog {
        RequestLog {
            records: Mutex::new(Records::new(operations)),
            names: Vec::new(),
        }
    }

    /// A log for these operations (by index), which
    /// [`record_request`](Self::record_request) names.
    pub fn with_operations(names: Vec<String>) -> RequestLog {
        RequestLog {
            records: Mutex::new(Records::new(names.len())),
            names,
        }
    }

    /// Records a request.
    pub fn record(&self, op_index: Option<usize>, entry: LoggedRequest) {
        let method = match Method::from_bytes(entry.method.as_bytes()) {
            Ok(method) if method.as_str() == entry.method => EntryMethod::Known(method),
            _ => EntryMethod::Text(entry.method),
        };
        let operation = entry
            .operation
            .map_or(EntryOperation::None, EntryOperation::Named);
        self.push(
            op_index,
            operation,
            method,
            &entry.path,
            entry.status,
            entry.at_unix_ms,
        );
    }

    /// Records a request to the operation with this index (named as in
    /// [`with_operations`](Self::with_operations)), without building a [`LoggedRequest`].
    pub fn record_request(
        &self,
        op_index: Option<usize>,
        method: &Method,
        path: &str,
        status: u16,
        at_unix_ms: u64,
    ) {
        let operation = match op_index {
            Some(i) if i < self.names.len() => EntryOperation::Index(i),
            _ => EntryOperation::None,
        };
        self.push(
            op_index,
            operation,
            EntryMethod::Known(method.clone()),
            path,
            status,
            at_unix_ms,
        );
    }

    fn push(
        &self,
        op_index: Option<usize>,
        operation: EntryOperation,
        method: EntryMethod,
        path: &str,
        status: u16,
        at_unix_ms: u64,
    ) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(count) = op_index.and_then(|i| records.counts.get_mut(i)) {
            *count = count.saturating_add(1);
        }
        let entries = &mut records.entries;
        let mut entry = if entries.len() >= LOG_CAPACITY {
            entries.pop_front()
        } else {
            None
        }
        .unwrap_or_else(|| Entry {
            operation: EntryOperation::None,
            method: EntryMethod::Known(Method::GET),
            path: String::new(),
            status: 0,
            at_unix_ms: 0,
        });
        entry.operation = operation;
        entry.method = method;
        entry.path.clear();
        entry.path.push_str(path);
        entry.status = status;
        entry.at_unix_ms = at_unix_ms;
        entries.push_back(entry);
    }

    /// Requests that reached the operation with this index.
    pub fn count(&self, op_index: usize) -> u64 {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .counts
            .get(op_index)
            .copied()
            .unwrap_or(0)
    }

    /// A copy of the retained entries, oldest first.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.records
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entries
            .iter()
            .map(|entry| LoggedRequest {
                operation: match &entry.operation {
                    EntryOperation::None => None,
                    EntryOperation::Index(i) => self.names.get(*i).cloned(),
                    EntryOperation::Named(name) => Some(name.clone()),
                },
                method: match &entry.method {
                    EntryMethod::Known(method) => method.as_str().to_owned(),
                    EntryMethod::Text(text) => text.clone(),
                },
                path: entry.path.clone(),
                status: entry.status,
                at_unix_ms: entry.at_unix_ms,
            })
            .collect()
    }

    /// Forgets entries and counts.
    pub fn clear(&self) {
        let mut records = self.records.lock().unwrap_or_else(PoisonError::into_inner);
        records.entries.clear();
        records.counts.fill(0);
    }
}

/// Fixed-window request counters per operation, for rate-limit headers.
#[derive(Debug)]
pub struct RateWindows {
    /// Per operation: the window's number (low 32 bits of it) in the high half, the requests
    /// counted in it in the low half; updated without a lock.
    windows: Vec<AtomicU64>,
}

impl RateWindows {
    /// Counters for `operations` operations.
    pub fn new(operations: usize) -> RateWindows {
        RateWindows {
            windows: (0..operations).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    /// Counts a request and returns how many fell into the current window of `length`.
    pub fn hit(&self, op_index: usize, length: Duration) -> u64 {
        let Some(window) = self.windows.get(op_index) else {
            return 0;
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let slot = (now.as_millis() as u64 / length.as_millis().max(1) as u64) & 0xffff_ffff;
        let mut current = window.load(Ordering::Relaxed);
        loop {
            let count = if current >> 32 == slot {
                (current & 0xffff_ffff).saturating_add(1).min(0xffff_ffff)
            } else {
                1
            };
            match window.compare_exchange_weak(
                current,
                slot << 32 | count,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return count,
                Err(actual) => current = actual,
            }
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_windows_count_per_window_and_operation() {
        let windows = RateWindows::new(2);
        let hour = Duration::from_secs(3600);
        assert_eq!(windows.hit(0, hour), 1);
        assert_eq!(windows.hit(0, hour), 2);
        assert_eq!(windows.hit(1, hour), 1);
        assert_eq!(windows.hit(2, hour), 0, "no such operation");
        // A window of a millisecond starts afresh within a few.
        std::thread::sleep(Duration::from_millis(3));
        assert_eq!(windows.hit(0, Duration::from_millis(1)), 1);
    }

    #[test]
    fn fault_headers() {
        assert_eq!(
            Fault::from_header("status=429; retry-after=2; times=3", "Op").unwrap(),
            Fault {
                operation: Some("Op".into()),
                kind: FaultKind::Status {
                    status: 429,
                    retry_after: Some(2)
                },
                times: 3
            }
        );
        assert_eq!(
            Fault::from_header("delay=250ms", "Op").unwrap().kind,
            FaultKind::Delay { millis: 250 }
        );
        assert_eq!(
            Fault::from_header("drop", "Op").unwrap().kind,
            FaultKind::Drop
        );
        assert!(Fault::from_header("status=200", "Op").is_err());
        assert!(Fault::from_header("explode", "Op").is_err());
        assert!(Fault::from_header("", "Op").is_err());
    }

    #[test]
    fn bad_fault_values_are_refused_not_clamped() {
        for header in ["times=0; drop", "delay=60001ms", "status=200", "status=399"] {
            let err = Fault::from_header(header, "Op").unwrap_err();
            assert!(!err.0.is_empty(), "{header}");
        }
        assert_eq!(
            Fault::from_header("delay=60000ms", "Op").unwrap().kind,
            FaultKind::Delay {
                millis: MAX_DELAY_MS
            }
        );
        let queue = FaultQueue::default();
        let fault = |times, kind| Fault {
            operation: None,
            kind,
            times,
        };
        assert!(queue.push(fault(0, FaultKind::Drop)).is_err());
        assert!(
            queue
                .push(fault(
                    1,
                    FaultKind::Status {
                        status: 200,
                        retry_after: None
                    }
                ))
                .is_err()
        );
        assert!(
            queue
                .push(fault(1, FaultKind::Delay { millis: u64::MAX }))
                .is_err()
        );
        assert_eq!(queue.take("Op"), None, "refused faults are not queued");
        for _ in 0..MAX_QUEUED_FAULTS {
            queue.push(fault(1, FaultKind::Drop)).unwrap();
        }
        let err = queue.push(fault(1, FaultKind::Drop)).unwrap_err();
        assert!(err.0.contains("already queued"), "{err}");
    }

    #[test]
    fn seeded_tokens_are_checked_without_the_lock_and_never_expire() {
        let store = TokenStore::with_seeds([
            ("a".to_owned(), Family(0), TokenKind::Access),
            ("r".to_owned(), Family(1), TokenKind::Access),
            ("r".to_owned(), Family(1), TokenKind::Refresh),
        ]);
        assert_eq!(store.len(), 2, "a value given twice is one token");
        assert_eq!(store.check("a", Family(0), TokenKind::Access), Ok(()));
        assert_eq!(
            store.check("a", Family(1), TokenKind::Access),
            Err(TokenProblem::Unknown)
        );
        assert_eq!(store.check("r", Family(1), TokenKind::Refresh), Ok(()));
        assert_eq!(
            store.check("r", Family(1), TokenKind::Access),
            Err(TokenProblem::Unknown),
            "the last kind given wins"
        );
        store.insert(
            "issued",
            Family(0),
            TokenKind::Access,
            Some(Duration::from_secs(60)),
        );
        store.expire_all_issued();
        assert_eq!(
            store.check("issued", Family(0), TokenKind::Access),
            Err(TokenProblem::Expired)
        );
        assert_eq!(store.check("a", Family(0), TokenKind::Access), Ok(()));
        assert_eq!(store.len(), 3);
    }

    #[test]
    fn the_token_store_stays_bounded_and_keeps_seeds() {
        let store = TokenStore::default();
        store.insert("seed", Family(0), TokenKind::Access, None);
        for i in 1..TOKEN_PRUNE_AT {
            store.insert(
                &format!("old{i}"),
                Family(0),
                TokenKind::Access,
                Some(Duration::ZERO),
            );
        }
        assert_eq!(store.len(), TOKEN_PRUNE_AT);
        store.insert(
            "fresh",
            Family(0),
            TokenKind::Access,
            Some(Duration::from_secs(60)),
        );
        assert_eq!(store.len(), 2, "expired tokens are forgotten");
        for i in 0..MAX_TOKENS + 10 {
            store.insert(
                &format!("live{i}"),
                Family(0),
                TokenKind::Access,
                Some(Duration::from_secs(60)),
            );
        }
        assert!(store.len() <= MAX_TOKENS, "{}", store.len());
        let newest = format!("live{}", MAX_TOKENS + 9);
        assert_eq!(store.check(&newest, Family(0), TokenKind::Access), Ok(()));
        assert_eq!(store.check("seed", Family(0), TokenKind::Access), Ok(()));
        let debug = format!("{store:?}");
        assert!(
            !debug.contains("seed") && !debug.contains("live"),
            "{debug}"
        );
    }

    #[test]
    fn faults_are_used_up_in_order() {
        let queue = FaultQueue::default();
        queue
            .push(Fault {
                operation: Some("A".into()),
                kind: FaultKind::Drop,
                times: 2,
            })
            .unwrap();
        queue
            .push(Fault {
                operation: None,
                kind: FaultKind::Truncate,
                times: 1,
            })
            .unwrap();
        assert_eq!(queue.take("B"), Some(FaultKind::Truncate));
        assert_eq!(queue.take("B"), None);
        queue
            .push(Fault {
                operation: None,
                kind: FaultKind::NotJson,
                times: 1,
            })
            .unwrap();
        queue
            .push_first(Fault {
                operation: Some("A".into()),
                kind: FaultKind::Truncate,
                times: 1,
            })
            .unwrap();
        assert_eq!(queue.take("A"), Some(FaultKind::Truncate), "pushed first");
        assert_eq!(queue.take("A"), Some(FaultKind::Drop), "then in order");
        assert_eq!(queue.take("B"), Some(FaultKind::NotJson));
        assert_eq!(queue.take("A"), Some(FaultKind::Drop), "the second use");
        assert_eq!(queue.take("A"), None);
    }

    #[test]
    fn tokens_expire_and_stay_in_their_family() {
        let store = TokenStore::default();
        store.insert(
            "t",
            Family(0),
            TokenKind::Access,
            Some(Duration::from_secs(60)),
        );
        assert_eq!(store.check("t", Family(0), TokenKind::Access), Ok(()));
        assert_eq!(
            store.check("t", Family(1), TokenKind::Access),
            Err(TokenProblem::Unknown)
        );
        assert_eq!(
            store.check("t", Family(0), TokenKind::Refresh),
            Err(TokenProblem::Unknown)
        );
        store.expire_all_issued();
        assert_eq!(
            store.check("t", Family(0), TokenKind::Access),
            Err(TokenProblem::Expired)
        );
        store.insert("seed", Family(0), TokenKind::Access, None);
        store.expire_all_issued();
        assert_eq!(store.check("seed", Family(0), TokenKind::Access), Ok(()));
    }

    #[test]
    fn the_log_keeps_counts_beyond_its_capacity() {
        let log = RequestLog::new(1);
        for _ in 0..LOG_CAPACITY + 5 {
            log.record(
                Some(0),
                LoggedRequest {
                    operation: None,
                    method: "GET".into(),
                    path: "/".into(),
                    status: 200,
                    at_unix_ms: 0,
                },
            );
        }
        assert_eq!(log.entries().len(), LOG_CAPACITY);
        assert_eq!(log.count(0), (LOG_CAPACITY + 5) as u64);
        assert_eq!(log.entries()[0].operation, None);
    }

    #[test]
    fn the_log_names_operations_and_reuses_its_entries() {
        let log = RequestLog::with_operations(vec!["A".into(), "B".into()]);
        for i in 0..LOG_CAPACITY + 2 {
            log.record_request(Some(i % 2), &Method::GET, &format!("/p/{i}"), 200, i as u64);
        }
        log.record_request(None, &Method::DELETE, "/x?y=1", 404, 7);
        log.record(
            Some(1),
            LoggedRequest {
                operation: Some("given".into()),
                method: "not a method".into(),
                path: "/z".into(),
                status: 418,
                at_unix_ms: 9,
            },
        );
        let entries = log.entries();
        assert_eq!(entries.len(), LOG_CAPACITY);
        assert_eq!(entries[0].path, "/p/4", "the oldest were replaced");
        assert_eq!(entries[0].operation.as_deref(), Some("A"));
        assert_eq!(entries[1].operation.as_deref(), Some("B"));
        assert_eq!(
            entries[LOG_CAPACITY - 2],
            LoggedRequest {
                operation: None,
                method: "DELETE".into(),
                path: "/x?y=1".into(),
                status: 404,
                at_unix_ms: 7,
            }
        );
        assert_eq!(
            entries[LOG_CAPACITY - 1].operation.as_deref(),
            Some("given")
        );
        assert_eq!(entries[LOG_CAPACITY - 1].method, "not a method");
        assert_eq!(log.count(0), (LOG_CAPACITY / 2 + 1) as u64);
        assert_eq!(log.count(1), (LOG_CAPACITY / 2 + 2) as u64);
        log.clear();
        assert!(log.entries().is_empty());
        assert_eq!(log.count(1), 0);
    }
}

//! `meeting-usage serve`: a Prometheus exporter of the same figures as `report --format
//! prometheus`.
//!
//! One task collects: at start-up, then every `--interval` (counted from the start of the
//! previous collection; one that runs longer is followed by the next at once). Each
//! collection renders the whole exposition text and the status page once, and swaps them in;
//! a request only copies a reference to the last ones, so `/metrics` never calls a vendor and
//! costs the same however many scrapers there are.
//!
//! Besides the usage gauges, per collection target (a vendor's account, or in fleet mode the
//! master account):
//! - `meeting_usage_up` 1 or 0 (in fleet mode one per sub account, and 0 for the master
//!   account when the run could not start);
//! - `meeting_usage_collection_duration_seconds`, how long the last collection took (in
//!   fleet mode the run's: accounts are asked concurrently under one rate budget, so a time
//!   per account would mostly measure the wait for the pacer);
//! - `meeting_usage_last_success_timestamp_seconds`, when the target last answered (absent
//!   until it has); in fleet mode also for each sub account that did not answer the last
//!   collection (one that did shares the fleet's).
//!
//! A failed collection drops the target's usage series instead of serving old figures under a
//! new scrape time: the last success time tells how old the last good figures are.
//!
//! The server is the sandbox's ([`spec_sandbox::server`]): 64 KiB request heads, a header-read
//! timeout, request bodies never read. SIGTERM and SIGINT stop it with status 0.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    ACCEPT_ENCODING, ALLOW, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, HeaderValue, VARY,
};
use hyper::{Method, Request, Response, StatusCode};
use meeting_usage::{
    AccountOutcome, FleetAccounts, FleetOptions, FleetTotals, Vendor, ZoomAccount,
};
use spec_sandbox::server::Server;
use tokio::net::TcpListener;
use tokio::task::JoinSet;

use crate::cli::{FleetArgs, GlobalArgs, ServeArgs};
use crate::output::{error_line, note, warning_line};
use crate::render::html::StatusRow;
use crate::render::prometheus::{self, Family, Gauges};
use crate::render::{self, Collected, Failure, one_line};
use crate::sources::{self, ConfigError, Sources, Target};
use crate::{Status, Stop};

/// How long a client may take to send a request's headers before its connection is closed.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a stop waits for the server to close (the whole stop stays under 2 s).
const STOP_WAIT: Duration = Duration::from_millis(1500);

/// The content type of the text exposition format.
const METRICS_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// What the endpoints serve: the last collection's texts.
struct Pages {
    metrics: Bytes,
    /// `metrics` compressed once, for scrapers that accept gzip (Prometheus does).
    metrics_gzip: Bytes,
    index: Bytes,
}

/// `text` compressed with gzip (fast level: the text is repetitive, and it is compressed once
/// a collection).
fn gzip(text: &[u8]) -> Bytes {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(text.len() / 8),
        flate2::Compression::fast(),
    );
    // Writing to a vector cannot fail.
    let _ = encoder.write_all(text);
    Bytes::from(encoder.finish().unwrap_or_default())
}

/// Whether an `Accept-Encoding` value accepts gzip (`gzip` or `x-gzip`, not with `q=0`).
fn accepts_gzip(value: &str) -> bool {
    value.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .is_some_and(|q| q.parse::<f64>().is_ok_and(|q| q <= 0.0))
        });
        (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
    })
}

/// What each collection queries.
enum Plan {
    /// Each chosen vendor's account, at once.
    Vendors(Arc<Sources>),
    /// A Zoom fleet.
    Fleet(Box<FleetPlan>),
}

/// A Zoom fleet collection.
struct FleetPlan {
    zoom: ZoomAccount,
    accounts: FleetAccounts,
    options: FleetOptions,
    args: FleetArgs,
    per_account: bool,
}

/// What carries over from one collection to the next: when each target last answered, in
/// seconds since the Unix epoch.
#[derive(Default)]
struct History {
    last_success: HashMap<(Vendor, String), f64>,
}

/// `serve`.
pub async fn run(global: &GlobalArgs, target: &Target, args: &ServeArgs) -> Result<Status, Stop> {
    let plan = plan(global, target, args).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .map_err(|err| Stop::Config(format!("cannot listen on {}: {err}", args.listen)))?;
    let interval = args.interval.as_secs();
    let pages = Arc::new(RwLock::new(Pages {
        metrics: Bytes::new(),
        metrics_gzip: gzip(b""),
        index: Bytes::from(render::html::status_page(&[], interval, None)),
    }));
    let serving = pages.clone();
    let server = Server::serve(listener, READ_TIMEOUT, move |request| {
        std::future::ready(Ok::<_, Infallible>(respond(&serving, &request)))
    })
    .map_err(|err| Stop::Config(format!("cannot serve on {}: {err}", args.listen)))?;
    note(&format!("listening on http://{}", server.addr()));
    let collector = tokio::spawn(collect_forever(plan, args.interval, pages));
    let signal = crate::fleet::Signals::new().next().await;
    note(&format!("{}: stopping", signal.name()));
    collector.abort();
    let _ = tokio::time::timeout(STOP_WAIT, server.shutdown()).await;
    Ok(Status::Ok)
}

/// What to collect, checked: the clients, and in fleet mode an interval the fleet's floor
/// fits in.
async fn plan(global: &GlobalArgs, target: &Target, args: &ServeArgs) -> Result<Plan, Stop> {
    if !args.fleet.fleet() {
        let sources = Sources::chosen(global, target, args.vendor)?;
        return Ok(Plan::Vendors(Arc::new(sources)));
    }
    let zoom = sources::zoom(global, target)?;
    let (accounts, _) = crate::fleet::accounts(&args.fleet, &zoom)?;
    let limits = crate::fleet::limits(&args.fleet);
    let count = match &accounts {
        FleetAccounts::Listed(ids) => ids.len(),
        FleetAccounts::AllSubAccounts => count_sub_accounts(&zoom).await?,
    };
    if let Some(floor) = ZoomAccount::fleet_floor(count, limits)
        && floor > args.interval
    {
        return Err(Stop::Config(format!(
            "--interval {} s is shorter than a collection of this fleet: {count} accounts at \
             the client's pace take at least {:.1} s (N / R); choose --interval {} s or more",
            args.interval.as_secs(),
            floor.as_secs_f64(),
            floor.as_secs() + 1
        )));
    }
    Ok(Plan::Fleet(Box::new(FleetPlan {
        zoom,
        accounts,
        options: FleetOptions {
            limits,
            concurrency: usize::from(args.fleet.concurrency),
            ..FleetOptions::default()
        },
        args: args.fleet.clone(),
        per_account: args.fleet.per_account_metrics,
    })))
}

/// The number of sub accounts of the master account (one listing, for the floor check).
async fn count_sub_accounts(zoom: &ZoomAccount) -> Result<usize, Stop> {
    let mut list = zoom.sub_accounts();
    let mut count = 0;
    while let Some(account) = list.next().await {
        if let Err(err) = account {
            return Err(Stop::Vendor(format!(
                "cannot list the sub accounts to check --interval against the fleet's size: {}",
                one_line(&err.to_string())
            )));
        }
        count += 1;
    }
    Ok(count)
}

/// Collects now and every `interval` after, swapping each result into `pages`.
async fn collect_forever(plan: Plan, interval: Duration, pages: Arc<RwLock<Pages>>) {
    let mut history = History::default();
    let mut next = Instant::now();
    loop {
        let (metrics, rows) = match &plan {
            Plan::Vendors(sources) => collect_vendors(sources, &mut history).await,
            Plan::Fleet(fleet) => collect_fleet(fleet, &mut history).await,
        };
        let finished = utc(unix_now());
        let index = render::html::status_page(&rows, interval.as_secs(), Some(&finished));
        let page = Pages {
            metrics_gzip: gzip(metrics.as_bytes()),
            metrics: Bytes::from(metrics),
            index: Bytes::from(index),
        };
        *pages.write().unwrap_or_else(PoisonError::into_inner) = page;
        next += interval;
        let now = Instant::now();
        if next < now {
            note(&warning_line(&format!(
                "a collection took longer than --interval ({} s): the next starts now",
                interval.as_secs()
            )));
            next = now;
        }
        tokio::time::sleep_until(next.into()).await;
    }
}

/// One collection of every chosen vendor, at once: the exposition text and the status rows.
async fn collect_vendors(
    sources: &Arc<Sources>,
    history: &mut History,
) -> (String, Vec<StatusRow>) {
    let mut tasks = JoinSet::new();
    for index in 0..sources.list().len() {
        let sources = sources.clone();
        tasks.spawn(async move {
            let source = sources.list()[index];
            let started = Instant::now();
            let result = source.usage().await;
            let outcome = sources::outcome(source, result);
            (index, outcome, started.elapsed())
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(answer) => answers.push(answer),
            Err(err) => note(&error_line(&format!("a collection task failed: {err}"))),
        }
    }
    answers.sort_unstable_by_key(|(index, _, _)| *index);
    let list = sources.list();
    let now = unix_now();
    let mut collected = Collected {
        reports: Vec::new(),
        failures: Vec::new(),
    };
    let mut timing = Timing::new();
    let mut rows = Vec::new();
    for (index, outcome, elapsed) in answers {
        let source = list[index];
        let key = (source.vendor(), source.account().to_owned());
        let up = matches!(outcome, Ok(Ok(_)));
        let detail = match outcome {
            Ok(Ok(report)) => {
                history.last_success.insert(key.clone(), now);
                let detail = format!(
                    "{} seat rows, {} storage rows",
                    report.seats.len(),
                    report.storage.len()
                );
                collected.reports.push(report);
                Ok(detail)
            }
            Ok(Err(failure)) => Err(failure),
            Err(ConfigError(message)) => Err(Failure {
                vendor: source.vendor(),
                account: source.account().to_owned(),
                operation: None,
                status: None,
                code: None,
                request_id: None,
                message,
            }),
        };
        let detail = match detail {
            Ok(detail) => detail,
            Err(failure) => {
                note(&error_line(&failure.message));
                let message = failure.message.clone();
                collected.failures.push(failure);
                message
            }
        };
        let last = history.last_success.get(&key).copied();
        timing.push(&key, elapsed, last);
        rows.push(StatusRow {
            vendor: key.0.to_string(),
            account: key.1,
            up,
            detail,
            last_success: last.map(utc),
            seconds: elapsed.as_secs_f64(),
        });
    }
    let mut text = render::prometheus::render(&collected);
    timing.write(&mut text);
    (text, rows)
}

/// One fleet run, each account's answer folded in as it arrives (only running totals and a
/// line or two per account are kept): the exposition text and the status row of the fleet.
async fn collect_fleet(plan: &FleetPlan, history: &mut History) -> (String, Vec<StatusRow>) {
    let master = (Vendor::Zoom, plan.zoom.account_id().to_owned());
    let mut fold = Fold {
        totals: FleetTotals::default(),
        gauges: plan.per_account.then(Gauges::new),
        up: prometheus::up_family(),
        timing: Timing::new(),
        last_success: HashMap::new(),
        previous: &history.last_success,
        over_allocated: 0,
        first_failure: None,
    };
    let started = Instant::now();
    let result = plan
        .zoom
        .fleet_each(plan.accounts.clone(), &plan.options, |_, outcome| {
            fold.add(outcome);
        })
        .await;
    let elapsed = started.elapsed();
    let Fold {
        totals,
        gauges,
        up,
        mut timing,
        mut last_success,
        over_allocated,
        first_failure,
        ..
    } = fold;
    let (mut text, detail, up) = match result {
        Ok(stats) => {
            let mut text = String::new();
            up.write(&mut text);
            if let Some(gauges) = &gauges {
                gauges.write(&mut text);
            }
            let summary = crate::fleet::summary(&stats, over_allocated, &plan.args);
            render::fleet::prometheus_totals(&mut text, &totals.into_totals(), &summary);
            if let Some(first) = first_failure {
                note(&error_line(&format!(
                    "{} of {} accounts failed in this collection (meeting_usage_up is 0 for \
                     them); the first, account {}: {}",
                    stats.failed,
                    stats.accounts,
                    one_line(&first.account),
                    first.message
                )));
            }
            let detail = format!(
                "{} accounts: {} answered, {} failed",
                stats.accounts,
                stats.accounts - stats.failed,
                stats.failed
            );
            last_success.insert(master.clone(), unix_now());
            (text, detail, true)
        }
        Err(err) => {
            let failure = sources::failure(Vendor::Zoom, &master.1, &err);
            note(&error_line(&format!(
                "the fleet run could not start: {}",
                failure.message
            )));
            let detail = failure.message.clone();
            // No account was asked: every sub account's last success carries over.
            last_success = std::mem::take(&mut history.last_success);
            let collected = Collected {
                reports: Vec::new(),
                failures: vec![failure],
            };
            (render::prometheus::render(&collected), detail, false)
        }
    };
    let last = last_success.get(&master).copied();
    timing.push(&master, elapsed, last);
    timing.write(&mut text);
    history.last_success = last_success;
    let row = StatusRow {
        vendor: master.0.to_string(),
        account: master.1,
        up,
        detail,
        last_success: last.map(utc),
        seconds: elapsed.as_secs_f64(),
    };
    (text, vec![row])
}

/// What a fleet collection keeps of its accounts' answers.
struct Fold<'a> {
    totals: FleetTotals,
    /// Every account's usage gauges (`--per-account-metrics`).
    gauges: Option<Gauges>,
    up: Family,
    timing: Timing,
    /// When each account of this run last answered.
    last_success: HashMap<(Vendor, String), f64>,
    /// The same, as of the previous run.
    previous: &'a HashMap<(Vendor, String), f64>,
    over_allocated: usize,
    first_failure: Option<Failure>,
}

impl Fold<'_> {
    fn add(&mut self, outcome: AccountOutcome) {
        let key = (Vendor::Zoom, outcome.account_id);
        let answered = outcome.result.is_ok();
        let last = match outcome.result {
            Ok(report) => {
                self.totals.add(&report);
                self.over_allocated += usize::from(report.over_allocated().next().is_some());
                if let Some(gauges) = &mut self.gauges {
                    gauges.add(&report);
                }
                self.up.push(labels(&key), 1);
                Some(unix_now())
            }
            Err(err) => {
                self.up.push(labels(&key), 0);
                if self.first_failure.is_none() {
                    self.first_failure = Some(sources::failure(Vendor::Zoom, &key.1, &err));
                }
                self.previous.get(&key).copied()
            }
        };
        // Only the accounts of this run are kept: one that left the fleet is forgotten. An
        // account that answered has its figures in this collection: its last success is the
        // fleet's, so only those that did not answer get a series (10,000 accounts would
        // otherwise add 10,000 series that all say "now").
        if let Some(last) = last {
            if !answered {
                self.timing.last_success.push(labels(&key), seconds(last));
            }
            self.last_success.insert(key, last);
        }
    }
}

/// The exporter's own gauges.
struct Timing {
    duration: Family,
    last_success: Family,
}

impl Timing {
    fn new() -> Timing {
        Timing {
            duration: Family::new(
                "collection_duration_seconds",
                "How long the last collection of the target took, in seconds.",
            ),
            last_success: Family::new(
                "last_success_timestamp_seconds",
                "When the target last answered a collection (Unix time); absent until it has.",
            ),
        }
    }

    /// A target's duration, and its last success when it has one.
    fn push(&mut self, key: &(Vendor, String), elapsed: Duration, last: Option<f64>) {
        self.duration
            .push(labels(key), format!("{:.3}", elapsed.as_secs_f64()));
        if let Some(last) = last {
            self.last_success.push(labels(key), seconds(last));
        }
    }

    fn write(&self, out: &mut String) {
        self.duration.write(out);
        self.last_success.write(out);
    }
}

/// The `vendor` and `account` labels of a target.
fn labels(key: &(Vendor, String)) -> Vec<(&'static str, String)> {
    vec![("vendor", key.0.to_string()), ("account", key.1.clone())]
}

/// A Unix time as the text format writes it (milliseconds).
fn seconds(unix: f64) -> String {
    format!("{unix:.3}")
}

/// Now, in seconds since the Unix epoch (milliseconds kept).
fn unix_now() -> f64 {
    let since = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default();
    (since.as_millis() as f64) / 1000.0
}

/// A Unix time as `yyyy-mm-dd hh:mm:ss UTC`.
fn utc(unix: f64) -> String {
    // Float to integer: whole seconds of a time after 1970.
    let secs = unix.max(0.0) as i64;
    let day = crate::date_of_ms(secs * 1000).unwrap_or_default();
    let in_day = secs % 86_400;
    format!(
        "{day} {:02}:{:02}:{:02} UTC",
        in_day / 3600,
        in_day / 60 % 60,
        in_day % 60
    )
}

/// The answer to one request: `/metrics`, `/healthz`, `/`; 404 elsewhere, 405 for methods
/// other than GET and HEAD.
fn respond<B>(pages: &RwLock<Pages>, request: &Request<B>) -> Response<Full<Bytes>> {
    let known = matches!(request.uri().path(), "/metrics" | "/healthz" | "/");
    if known && !matches!(*request.method(), Method::GET | Method::HEAD) {
        let mut response = plain(StatusCode::METHOD_NOT_ALLOWED, "only GET and HEAD\n");
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let gzip = request
        .headers()
        .get_all(ACCEPT_ENCODING)
        .iter()
        .any(|value| value.to_str().is_ok_and(accepts_gzip));
    let (body, content_type) = match request.uri().path() {
        "/metrics" => {
            let pages = pages.read().unwrap_or_else(PoisonError::into_inner);
            let mut response = Response::new(Full::new(if gzip {
                pages.metrics_gzip.clone()
            } else {
                pages.metrics.clone()
            }));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(METRICS_TYPE));
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
            if gzip {
                headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
            return response;
        }
        "/" => {
            let pages = pages.read().unwrap_or_else(PoisonError::into_inner);
            (pages.index.clone(), "text/html; charset=utf-8")
        }
        "/healthz" => return plain(StatusCode::OK, "ok\n"),
        _ => {
            return plain(
                StatusCode::NOT_FOUND,
                "not found: the exporter serves /metrics, /healthz and /\n",
            );
        }
    };
    let mut response = Response::new(Full::new(body));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// A short text answer.
fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pages() -> RwLock<Pages> {
        RwLock::new(Pages {
            metrics: Bytes::from_static(b"# TYPE meeting_usage_up gauge\n"),
            metrics_gzip: gzip(b"# TYPE meeting_usage_up gauge\n"),
            index: Bytes::from_static(b"<!DOCTYPE html>"),
        })
    }

    fn answer(method: Method, path: &str) -> Response<Full<Bytes>> {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(())
            .unwrap_or_default();
        respond(&pages(), &request)
    }

    #[test]
    fn routes() {
        let metrics = answer(Method::GET, "/metrics?x=1");
        assert_eq!(metrics.status(), StatusCode::OK);
        assert_eq!(metrics.headers()[CONTENT_TYPE], METRICS_TYPE);
        assert_eq!(answer(Method::HEAD, "/healthz").status(), StatusCode::OK);
        let index = answer(Method::GET, "/");
        assert_eq!(index.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(answer(Method::GET, "/nope").status(), StatusCode::NOT_FOUND);
        let post = answer(Method::POST, "/metrics");
        assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(post.headers()[ALLOW], "GET, HEAD");
    }

    #[test]
    fn gzip_when_asked() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("identity, GZIP;q=0.5"));
        assert!(accepts_gzip("deflate, x-gzip"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("br, deflate"));
        let request = Request::builder()
            .uri("/metrics")
            .header(ACCEPT_ENCODING, "gzip")
            .body(())
            .unwrap_or_default();
        let zipped = respond(&pages(), &request);
        assert_eq!(zipped.headers()[CONTENT_ENCODING], "gzip");
        let plain = answer(Method::GET, "/metrics");
        assert!(plain.headers().get(CONTENT_ENCODING).is_none());
        assert_eq!(plain.headers()[VARY], "accept-encoding");
    }

    #[test]
    fn times() {
        assert_eq!(utc(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_765_756_800.5), "2025-12-15 00:00:00 UTC");
        assert_eq!(utc(1_765_803_723.0), "2025-12-15 13:02:03 UTC");
        assert_eq!(seconds(1_765_756_800.25), "1765756800.250");
    }
}

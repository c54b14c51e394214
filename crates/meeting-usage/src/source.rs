//! Sources of usage reports, and collecting from several at once.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Error;
use crate::model::{UsageReport, Vendor};

/// A boxed future, as [`UsageSource::usage`] returns it (so sources can be used as trait
/// objects and collected together).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that reports what an organisation bought and uses: one vendor account.
///
/// [`ZoomAccount`](crate::ZoomAccount) and [`HuaweiEnterprise`](crate::HuaweiEnterprise)
/// implement it. A third vendor is one more implementation: a client generated from its spec,
/// a mapping of its answers into [`UsageReport`], and its token flow.
pub trait UsageSource: Send + Sync {
    /// The vendor.
    fn vendor(&self) -> Vendor;
    /// The account the report is about, as the vendor names it.
    fn account(&self) -> &str;
    /// Fetches the current figures.
    fn usage(&self) -> BoxFuture<'_, Result<UsageReport, Error>>;
}

/// Asks every source at once and returns one result per source, in the order given. One
/// source failing never hides another's report.
///
/// ```no_run
/// # async fn demo() -> Result<(), meeting_usage::Error> {
/// use meeting_usage::{HuaweiEnterprise, Secret, UsageSource, ZoomAccount, collect};
///
/// let zoom = ZoomAccount::new("<account id>", "<client id>", Secret::from("<client secret>"))?;
/// let huawei = HuaweiEnterprise::new("<app id>", Secret::from("<app key>"))?;
/// for result in collect(&[&zoom, &huawei]).await {
///     match result {
///         Ok(report) => println!("{} {}: {} seat rows", report.vendor, report.account, report.seats.len()),
///         Err(err) => eprintln!("{err}"),
///     }
/// }
/// # Ok(()) }
/// ```
pub async fn collect(sources: &[&dyn UsageSource]) -> Vec<Result<UsageReport, Error>> {
    join_all(sources.iter().map(|s| s.usage()).collect()).await
}

/// Runs every future to completion, concurrently on the current task, and returns their
/// outputs in order (the few lines of `join_all` the facade needs).
pub(crate) async fn join_all<F: Future>(futures: Vec<F>) -> Vec<F::Output> {
    JoinAll {
        pending: futures.into_iter().map(|f| Some(Box::pin(f))).collect(),
        done: Vec::new(),
    }
    .await
}

/// Polls every future until all are done.
struct JoinAll<F: Future> {
    pending: Vec<Option<Pin<Box<F>>>>,
    done: Vec<Option<F::Output>>,
}

// The futures are boxed and the outputs are never pinned, so moving a `JoinAll` is fine.
impl<F: Future> Unpin for JoinAll<F> {}

impl<F: Future> Future for JoinAll<F> {
    type Output = Vec<F::Output>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.done.len() != this.pending.len() {
            this.done = this.pending.iter().map(|_| None).collect();
        }
        let mut waiting = false;
        for (slot, done) in this.pending.iter_mut().zip(this.done.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(output) => {
                        *done = Some(output);
                        *slot = None;
                    }
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            return Poll::Pending;
        }
        Poll::Ready(this.done.iter_mut().filter_map(Option::take).collect())
    }
}

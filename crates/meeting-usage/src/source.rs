//! Sources of usage reports, and collecting from several at once.

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use crate::error::Error;
use crate::model::{UsageReport, Vendor};

/// A boxed future, as [`UsageSource::usage`] returns it (so sources can be used as trait
/// objects and collected together).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Something that reports what an organisation bought and uses: one vendor account.
///
/// [`ZoomAccount`](crate::ZoomAccount), [`HuaweiEnterprise`](crate::HuaweiEnterprise) and
/// [`WebexOrg`](crate::WebexOrg) implement it. Another vendor is one more implementation: a
/// client generated from its spec, a mapping of its answers into [`UsageReport`], and its
/// token flow.
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
    let mut pending: Vec<_> = futures.into_iter().map(|f| Some(Box::pin(f))).collect();
    let mut done: Vec<Option<F::Output>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut waiting = false;
        for (slot, output) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(future) = slot {
                match future.as_mut().poll(cx) {
                    Poll::Ready(value) => {
                        *output = Some(value);
                        *slot = None;
                    }
                    Poll::Pending => waiting = true,
                }
            }
        }
        if waiting {
            return Poll::Pending;
        }
        Poll::Ready(done.iter_mut().filter_map(Option::take).collect())
    })
    .await
}

//! A fleet run of [`ZoomAccount`]: plan usage of many sub accounts within the master
//! account's rate limit, each handed over as it is answered.
//!
//! Workers (at most `concurrency`) share one feed of accounts: the ids given, or the
//! sub-account list read a page at a time as they need the next account (behind an async
//! lock, so a worker that finds the page used up reads the next while the others wait). Each
//! call waits for its rate label's pacer ([`Limiters`]); the run's stop flag closes those
//! pacers, so a call still waiting for its slot is never sent.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use super::{SubAccounts, ZoomAccount, operation};
use crate::error::Error;
use crate::fleet::{
    AccountOutcome, FleetAccounts, FleetOptions, FleetReport, FleetStats, FleetTotals, Progress,
};
use crate::model::Vendor;
use crate::pacer::Limiters;
use crate::source::join_all;

impl ZoomAccount {
    /// Plan usage of many accounts within the account's rate limit: every sub account of the
    /// master account, or the ids given. One token serves every call; each rate label gets a
    /// pacer at 95 % of the limit `options.limits` gives it, shared by all calls of the run; at
    /// most `options.concurrency` calls are in flight; a failing account is reported in its
    /// [`AccountOutcome`] and never stops the run (a listed sub account without an id is
    /// reported as one, named by its position, `#12`). Fails as a whole only when the token
    /// cannot be fetched or the sub-account list cannot be read; the error names which.
    ///
    /// Holds every account's report until the end; [`fleet_each`](Self::fleet_each) hands
    /// them over one by one instead.
    pub async fn fleet_usage(
        &self,
        accounts: FleetAccounts,
        options: &FleetOptions,
    ) -> Result<FleetReport, Error> {
        let mut outcomes = Vec::new();
        let run = self
            .fleet_each(accounts, options, |position, outcome| {
                outcomes.push((position, outcome));
            })
            .await?;
        outcomes.sort_unstable_by_key(|(position, _)| *position);
        let outcomes: Vec<AccountOutcome> = outcomes.into_iter().map(|(_, o)| o).collect();
        let reports = || outcomes.iter().filter_map(|o| o.result.as_ref().ok());
        let mut totals = FleetTotals::default();
        reports().for_each(|report| totals.add(report));
        let by_kind = crate::summarize(reports());
        Ok(FleetReport {
            accounts: outcomes,
            totals: totals.into_totals(),
            by_kind,
            elapsed: run.elapsed,
            rate_limited: run.rate_limited,
        })
    }

    /// The run of [`fleet_usage`](Self::fleet_usage), each account handed to `each` as soon
    /// as it is answered (with its position in the list: outcomes arrive in the order calls
    /// finish), so that nothing but what `each` keeps grows with the fleet. The sub-account
    /// list is read a page at a time as the run needs the next account, never held whole.
    ///
    /// Accounts in [`FleetOptions::skip`] are not asked; once [`FleetOptions::stop`] is set
    /// no account is started (not even one waiting for its pacing slot) and the run returns
    /// after the calls in flight. A list that cannot be read to its end fails the run, after
    /// the accounts already taken have been handed over.
    pub async fn fleet_each<F>(
        &self,
        accounts: FleetAccounts,
        options: &FleetOptions,
        each: F,
    ) -> Result<FleetStats, Error>
    where
        F: FnMut(usize, AccountOutcome) + Send,
    {
        let limiters = Limiters::new(options.limits).stopped_by(options.stop.clone());
        // The token first: calls that reserved pacing slots and then all waited for one token
        // request would start together, bunched above the rate.
        self.api(Instant::now() + self.settings.timeouts.overall)
            .await?;
        let (feed, known) = match accounts {
            FleetAccounts::Listed(ids) => {
                let count = ids.len();
                let last_first = ids.into_iter().enumerate().rev().collect();
                (Feed::Listed(last_first), count)
            }
            FleetAccounts::AllSubAccounts => {
                let mut pages = self.sub_accounts();
                pages.limiters = Some(&limiters);
                (Feed::Pages(pages), 0)
            }
        };
        let feed = tokio::sync::Mutex::new(FeedState {
            feed,
            position: 0,
            error: None,
        });
        let progress = Progress::new(known, options.progress.clone());
        let (handed, skipped) = (AtomicUsize::new(0), AtomicUsize::new(0));
        let each = std::sync::Mutex::new(each);
        let hand_over = |position: usize, outcome: AccountOutcome| {
            handed.fetch_add(1, Ordering::Relaxed);
            progress.finished(outcome.result.is_ok());
            let mut each = each.lock().unwrap_or_else(|p| p.into_inner());
            (*each)(position, outcome);
        };
        // Each worker takes the next account until none is left or the run is stopped.
        let worker = || async {
            while !options.stop.load(Ordering::Relaxed) {
                let (position, id, name) = match feed.lock().await.next(&progress).await {
                    Next::Account(position, id, name) => (position, id, name),
                    Next::WithoutId(position, outcome) => {
                        hand_over(position, *outcome);
                        continue;
                    }
                    Next::End => return,
                };
                if options.skip.contains(&id) {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let result = self.usage_limited(&id, Some(&limiters)).await;
                if options.stop.load(Ordering::Relaxed)
                    && matches!(
                        &result,
                        Err(Error::RateLimited {
                            request_id: None,
                            ..
                        })
                    )
                {
                    // Stopped while it waited for its slot: never sent, so not handed over.
                    return;
                }
                let outcome = AccountOutcome {
                    account_id: id,
                    account_name: name,
                    result,
                };
                hand_over(position, outcome);
            }
        };
        let workers = options.concurrency.max(1);
        join_all((0..workers).map(|_| worker()).collect()).await;
        if let Some(err) = feed.into_inner().error {
            return Err(err);
        }
        Ok(FleetStats {
            accounts: handed.into_inner(),
            skipped: skipped.into_inner(),
            failed: progress.failed(),
            elapsed: progress.elapsed(),
            rate_limited: limiters.rate_limited(),
        })
    }

    /// The shortest wall time a fleet run of `accounts` accounts can take at `limits`: one
    /// `GetPlanUsage` call per account, paced at its rate label as
    /// [`fleet_usage`](Self::fleet_usage) paces it (listing the sub accounts excluded);
    /// `None` when that label is not limited.
    ///
    /// ```
    /// use meeting_usage::{RateLimits, RateTier, ZoomAccount};
    /// // Pro's HEAVY limit is 10 calls a second; the pacer keeps 5 % below it.
    /// let floor = ZoomAccount::fleet_floor(951, RateLimits::Tier(RateTier::Pro));
    /// assert_eq!(floor.map(|f| f.as_secs()), Some(100));
    /// ```
    pub fn fleet_floor(accounts: usize, limits: crate::RateLimits) -> Option<std::time::Duration> {
        limits.floor(operation("GetPlanUsage").rate_label, accounts)
    }
}

/// Where a fleet run takes its accounts from.
enum Feed<'a> {
    /// Ids given, with their positions, not yet taken (last first: taken from the end).
    Listed(Vec<(usize, String)>),
    /// The master account's sub accounts, a page at a time.
    Pages(SubAccounts<'a>),
}

/// A fleet run's feed, shared by its workers.
struct FeedState<'a> {
    feed: Feed<'a>,
    /// The position of the next listed sub account.
    position: usize,
    /// Why the list could not be read to its end.
    error: Option<Error>,
}

/// What a worker gets from the feed.
enum Next {
    Account(usize, String, Option<String>),
    /// A listed sub account without an id: its outcome is this error.
    WithoutId(usize, Box<AccountOutcome>),
    End,
}

impl FeedState<'_> {
    async fn next(&mut self, progress: &Progress) -> Next {
        let pages = match &mut self.feed {
            Feed::Listed(ids) => {
                return match ids.pop() {
                    Some((position, id)) => Next::Account(position, id, None),
                    None => Next::End,
                };
            }
            Feed::Pages(pages) => pages,
        };
        if self.error.is_some() {
            return Next::End;
        }
        let account = match pages.next().await {
            Some(Ok(account)) => account,
            Some(Err(err)) => {
                self.error = Some(err);
                return Next::End;
            }
            None => return Next::End,
        };
        if let Some(total) = pages.total() {
            progress.at_least(usize::try_from(total).unwrap_or(usize::MAX));
        }
        let position = self.position;
        self.position += 1;
        match account.id.filter(|id| !id.is_empty()) {
            Some(id) => Next::Account(position, id, account.account_name),
            None => Next::WithoutId(
                position,
                Box::new(AccountOutcome {
                    account_id: format!("#{position}"),
                    account_name: account.account_name,
                    result: Err(Error::decode(
                        Vendor::Zoom,
                        "ListSubAccounts",
                        format!("accounts[{position}].id"),
                        "a sub account without an id",
                    )),
                }),
            ),
        }
    }
}

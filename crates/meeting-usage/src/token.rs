//! A token fetched lazily, cached until shortly before it expires, and shared by concurrent
//! calls.

use std::future::Future;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use crate::error::Error;

/// A token (or what carries it, such as a client with the token in its headers) with its
/// generation: a call that saw a token refused invalidates that generation only, so N calls
/// refused at once cause one renewal, not N.
#[derive(Clone)]
pub(crate) struct Token<T> {
    pub value: T,
    pub generation: u64,
}

struct Cached<T> {
    value: T,
    renew_at: Instant,
}

/// One vendor account's token.
pub(crate) struct TokenCache<T> {
    state: Mutex<State<T>>,
}

struct State<T> {
    cached: Option<Cached<T>>,
    generation: u64,
}

impl<T: Clone> TokenCache<T> {
    pub(crate) fn new() -> TokenCache<T> {
        TokenCache {
            state: Mutex::new(State {
                cached: None,
                generation: 0,
            }),
        }
    }

    /// The cached token, or a new one from `fetch` (which returns the token and its lifetime).
    /// Callers arriving while a fetch runs wait for it and share its result.
    pub(crate) async fn get<F, Fut>(&self, fetch: F) -> Result<Token<T>, Error>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(T, Duration), Error>>,
    {
        let mut state = self.state.lock().await;
        if let Some(cached) = &state.cached
            && Instant::now() < cached.renew_at
        {
            return Ok(Token {
                value: cached.value.clone(),
                generation: state.generation,
            });
        }
        let (value, lifetime) = fetch().await?;
        // A vendor may announce any lifetime; a day is plenty, and keeps `Instant` arithmetic
        // far from overflow.
        let lifetime = lifetime.min(MAX_LIFETIME);
        state.generation += 1;
        let now = Instant::now();
        state.cached = Some(Cached {
            value: value.clone(),
            renew_at: now.checked_add(renew_after(lifetime)).unwrap_or(now),
        });
        tracing::debug!(
            lifetime_s = lifetime.as_secs(),
            generation = state.generation,
            "token fetched"
        );
        Ok(Token {
            value,
            generation: state.generation,
        })
    }

    /// Forgets the token of `generation` (refused by the vendor), unless a newer one was
    /// already fetched.
    pub(crate) async fn invalidate(&self, generation: u64) {
        let mut state = self.state.lock().await;
        if state.generation == generation {
            state.cached = None;
        }
    }
}

/// A token's lifetime from its answer's `expires_in` (seconds); an hour when absent or negative.
pub(crate) fn expires_in(seconds: Option<i64>) -> Duration {
    let seconds = seconds.and_then(|s| u64::try_from(s).ok());
    seconds.map_or(Duration::from_secs(3600), Duration::from_secs)
}

/// The longest a token is kept, whatever lifetime the vendor announces.
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);

/// When to renew a token of this lifetime: a tenth of its life early, at least 10 s and at
/// most 5 minutes early, so a call never starts with a token about to expire.
fn renew_after(lifetime: Duration) -> Duration {
    let margin = (lifetime / 10).clamp(Duration::from_secs(10), Duration::from_secs(300));
    lifetime.saturating_sub(margin)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};
    use zoom_billing::Secret;

    #[tokio::test]
    async fn concurrent_callers_share_one_fetch_and_one_renewal() {
        let cache: Arc<TokenCache<Secret>> = Arc::new(TokenCache::new());
        let fetches = Arc::new(AtomicU32::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, fetches) = (cache.clone(), fetches.clone());
            tasks.push(tokio::spawn(async move {
                cache
                    .get(|| async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok((Secret::from("t1"), Duration::from_secs(3600)))
                    })
                    .await
                    .map(|t| t.generation)
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), 1);
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        // Two refusals of generation 1: one renewal.
        cache.invalidate(1).await;
        let renewed = cache
            .get(|| async { Ok((Secret::from("t2"), Duration::from_secs(3600))) })
            .await
            .unwrap();
        cache.invalidate(1).await;
        let again = cache
            .get(|| async { Err(Error::config("no second renewal")) })
            .await
            .unwrap();
        assert_eq!((renewed.generation, again.generation), (2, 2));
        assert_eq!(again.value.expose(), "t2");
    }

    #[tokio::test]
    async fn an_absurd_lifetime_is_capped_not_an_overflow() {
        let cache: TokenCache<Secret> = TokenCache::new();
        let token = cache
            .get(|| async { Ok((Secret::from("t"), Duration::from_secs(u64::MAX))) })
            .await
            .unwrap();
        assert_eq!(token.generation, 1);
    }

    #[test]
    fn tokens_are_renewed_before_they_expire() {
        assert_eq!(
            renew_after(Duration::from_secs(3600)),
            Duration::from_secs(3300)
        );
        assert_eq!(
            renew_after(Duration::from_secs(60)),
            Duration::from_secs(50)
        );
        assert_eq!(renew_after(Duration::from_secs(5)), Duration::ZERO);
    }
}

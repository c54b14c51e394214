//! The HTTP/1.1 server under the sandbox, usable by any handler: the CLI's exporter
//! (`meeting-usage serve`) runs on it too, so both get the same bounds.
//!
//! What every connection gets:
//! - request heads of at most 64 KiB (hyper's read buffer; a larger head closes the
//!   connection with a 431);
//! - a header-read timeout: a connection that has not sent the next request's headers within
//!   `read_timeout` of being opened or of its last response is closed (slow-loris clients
//!   hold no task for long). The watchdog arms one timer per connection, not one per request;
//! - a graceful stop: [`Server::shutdown`] closes the listening socket, asks each open
//!   connection to finish the request it is answering and close, and returns when the
//!   accept loop has ended.
//!
//! Request bodies are the handler's to read (and to bound: the sandbox refuses bodies over
//! [`crate::SandboxConfig::max_body_bytes`]; a handler that never reads the body never
//! buffers it).
//!
//! ```no_run
//! # #[tokio::main] async fn main() -> std::io::Result<()> {
//! use std::time::Duration;
//! use bytes::Bytes;
//! use http_body_util::Full;
//! use hyper::Response;
//!
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let server = spec_sandbox::server::Server::serve(listener, Duration::from_secs(10), |_request| {
//!     std::future::ready(Ok::<_, std::convert::Infallible>(Response::new(Full::new(
//!         Bytes::from_static(b"ok\n"),
//!     ))))
//! })?;
//! println!("listening on http://{}", server.addr());
//! server.shutdown().await;
//! # Ok(()) }
//! ```

use std::error::Error as StdError;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::body::{Body as HttpBody, Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, watch};

/// Largest request head (request line and headers) a connection buffers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;

/// A running server. Dropping it stops accepting connections (as [`Server::shutdown`] does,
/// without waiting).
pub struct Server {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server").field("addr", &self.addr).finish()
    }
}

impl Server {
    /// Serves `listener` on the current tokio runtime, answering every request with
    /// `handler`, until [`shutdown`](Self::shutdown) or drop.
    ///
    /// # Errors
    ///
    /// When the listener's local address cannot be read.
    pub fn serve<H, F, B, E>(
        listener: TcpListener,
        read_timeout: Duration,
        handler: H,
    ) -> std::io::Result<Server>
    where
        H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
        F: Future<Output = Result<Response<B>, E>> + Unpin + Send + 'static,
        B: HttpBody<Data = bytes::Bytes> + Unpin + Send + 'static,
        B::Error: Into<Box<dyn StdError + Send + Sync>>,
        E: Into<Box<dyn StdError + Send + Sync>> + 'static,
    {
        let addr = listener.local_addr()?;
        let handler = Arc::new(handler);
        let (stop, mut stopped) = watch::channel(false);
        let task = tokio::spawn(async move {
            // One sender per open connection: dropping them (when this loop ends) tells each
            // connection to finish its request in flight and close. A oneshot receiver is
            // cheaper to poll on every wake-up of a connection than a shared watch channel.
            let mut connections: Vec<oneshot::Sender<()>> = Vec::new();
            let mut prune_at = 64;
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(err) => {
                            tracing::warn!("accept failed: {err}");
                            tokio::time::sleep(Duration::from_millis(10)).await;
                            continue;
                        }
                    },
                    _ = stopped.changed() => break,
                };
                let _ = stream.set_nodelay(true);
                // Forget the senders of closed connections now and then (amortised).
                if connections.len() >= prune_at {
                    connections.retain(|sender| !sender.is_closed());
                    prune_at = (connections.len() * 2).max(64);
                }
                let (stop_connection, stop_requested) = oneshot::channel::<()>();
                connections.push(stop_connection);
                tokio::spawn(connection(
                    stream,
                    handler.clone(),
                    read_timeout,
                    stop_requested,
                ));
            }
            // The listener is dropped here: no new connections from now on; dropping the
            // senders asks the open ones to close.
        });
        Ok(Server {
            addr,
            stop,
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, asks open ones to finish their current request and
    /// close, and returns once the listening socket is closed.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

/// Serves one connection until it closes, the header-read watchdog fires, or the server
/// asks it to stop (then the request in flight is finished first).
async fn connection<H, F, B, E>(
    stream: tokio::net::TcpStream,
    handler: Arc<H>,
    read_timeout: Duration,
    mut stop_requested: oneshot::Receiver<()>,
) where
    H: Fn(Request<Incoming>) -> F + Send + Sync + 'static,
    F: Future<Output = Result<Response<B>, E>> + Unpin + Send + 'static,
    B: HttpBody<Data = bytes::Bytes> + Unpin + Send + 'static,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
    E: Into<Box<dyn StdError + Send + Sync>> + 'static,
{
    let activity = Arc::new(Activity::new());
    let answering = activity.clone();
    let service =
        service_fn(move |request: Request<Incoming>| Tracked::new(handler(request), &answering));
    // No header-read timeout in hyper (it arms a timer for every request): the watchdog below
    // closes a connection that has been waiting for a request's headers for `read_timeout`,
    // checking only when its one timer fires.
    let connection = http1::Builder::new()
        .max_buf_size(MAX_HEAD_BYTES)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(connection);
    let watchdog = tokio::time::sleep(read_timeout);
    tokio::pin!(watchdog);
    let mut stopping = false;
    loop {
        tokio::select! {
            // The connection first: it is what wakes this task almost always.
            biased;
            result = connection.as_mut() => {
                if let Err(err) = result {
                    tracing::debug!("connection closed: {err}");
                }
                break;
            }
            // Finish the request in flight, then close.
            _ = &mut stop_requested, if !stopping => {
                stopping = true;
                connection.as_mut().graceful_shutdown();
            }
            () = watchdog.as_mut() => match activity.deadline(read_timeout) {
                Some(next) => watchdog.as_mut().reset(next.into()),
                None => {
                    tracing::debug!("closing a connection: no request headers within {read_timeout:?}");
                    break;
                }
            },
        }
    }
}

/// What the header-read watchdog of a connection looks at: whether a request is being
/// answered, and since when the connection has been waiting for the next request's headers.
/// Only the connection's own task touches it.
#[derive(Debug)]
struct Activity {
    /// When the connection was accepted.
    opened: Instant,
    /// Requests handed to the service whose response hyper has not finished with.
    answering: AtomicUsize,
    /// When the last response was finished, in microseconds after `opened`.
    idle_since_us: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            answering: AtomicUsize::new(0),
            idle_since_us: AtomicU64::new(0),
        }
    }

    /// When to look again, or `None` when the client has taken `timeout` or longer to send
    /// the headers of its next request (counted from the last response, or from the
    /// connection's start).
    fn deadline(&self, timeout: Duration) -> Option<Instant> {
        let now = Instant::now();
        if self.answering.load(Ordering::Relaxed) > 0 {
            // A body read, a delay or the response itself: bounded elsewhere, or the client's
            // to read.
            return Some(now + timeout);
        }
        let idle_since =
            self.opened + Duration::from_micros(self.idle_since_us.load(Ordering::Relaxed));
        Some(idle_since + timeout).filter(|deadline| *deadline > now)
    }
}

/// Marks a request of a connection as being answered until it is dropped: with the response
/// body once hyper has sent it, or with the answer if the connection closes first.
#[derive(Debug)]
struct Answering(Arc<Activity>);

impl Answering {
    fn new(activity: &Arc<Activity>) -> Answering {
        activity.answering.fetch_add(1, Ordering::Relaxed);
        Answering(activity.clone())
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        let activity = &self.0;
        let micros = u64::try_from(activity.opened.elapsed().as_micros()).unwrap_or(u64::MAX);
        activity.idle_since_us.store(micros, Ordering::Relaxed);
        activity.answering.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The handler's answer, with an [`Answering`] mark that moves into the response body.
struct Tracked<F> {
    answer: F,
    answering: Option<Answering>,
}

impl<F> Tracked<F> {
    fn new(answer: F, activity: &Arc<Activity>) -> Tracked<F> {
        Tracked {
            answer,
            answering: Some(Answering::new(activity)),
        }
    }
}

impl<F, B, E> Future for Tracked<F>
where
    F: Future<Output = Result<Response<B>, E>> + Unpin,
{
    type Output = Result<Response<TrackedBody<B>>, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let result = std::task::ready!(Pin::new(&mut this.answer).poll(cx));
        let answering = this.answering.take();
        Poll::Ready(result.map(|response| {
            response.map(|body| TrackedBody {
                body,
                _answering: answering,
            })
        }))
    }
}

/// A response body that marks its request as answered when hyper drops it.
struct TrackedBody<B> {
    body: B,
    _answering: Option<Answering>,
}

impl<B> HttpBody for TrackedBody<B>
where
    B: HttpBody<Data = bytes::Bytes> + Unpin,
{
    type Data = bytes::Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<bytes::Bytes>, B::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

//! The TLS every HTTP client of the facade uses: rustls with the *ring* provider and the
//! platform's certificate verifier, handed to reqwest ready-made.
//!
//! Building the configuration here, instead of letting reqwest pick a provider, has two
//! effects. The facade needs no process-wide rustls provider (nothing to install, nothing that
//! can panic when another crate installed a different one first), and its dependency tree has
//! no aws-lc-rs, whose C build was a third of a cold build of this crate (BENCHMARKS.md, row 6).

use std::sync::{Arc, OnceLock};

use crate::Error;

/// The shared configuration, built once per process (a failure is not kept: the next client
/// tries again). rustls's `ClientConfig` is mostly `Arc`s, so a clone per HTTP client is
/// cheap; the clones share one session-resumption cache.
fn config() -> Result<rustls::ClientConfig, Error> {
    static CONFIG: OnceLock<rustls::ClientConfig> = OnceLock::new();
    if let Some(config) = CONFIG.get() {
        return Ok(config.clone());
    }
    let config =
        build().map_err(|error| Error::config(format!("TLS cannot be set up: {error}")))?;
    Ok(CONFIG.get_or_init(|| config).clone())
}

fn build() -> Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    // The clients speak HTTP/1.1 only (reqwest is built without `http2`); say so in the
    // handshake as reqwest does for the configurations it builds itself.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A `reqwest::ClientBuilder` with the facade's TLS: rustls, the *ring* provider and the
/// platform's certificate verifier (the operating system's trust store).
///
/// Use it to build the HTTP client of a generated client when you call `zoom-billing` or
/// `huawei-meeting` yourself without their `default-tls` feature (as the facade does), so
/// that their TLS matches the facade's and no rustls provider has to be installed:
///
/// ```
/// let http = meeting_usage::tls::client_builder()?
///     .connect_timeout(std::time::Duration::from_secs(5))
///     .build()?;
/// let zoom = zoom_billing::Client::new_with_client("https://api.zoom.us/v2", http);
/// # let _ = zoom;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`Error::Config`](crate::Error) when the platform's verifier cannot be set up (on Linux
/// this does not read the trust store yet; that happens at the first handshake).
pub fn client_builder() -> Result<reqwest::ClientBuilder, Error> {
    Ok(reqwest::Client::builder().tls_backend_preconfigured(config()?))
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[test]
    fn the_configuration_offers_http_1_1() {
        let config = config().expect("TLS configuration");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    /// A client from `client_builder` starts a TLS handshake (a ClientHello naming the host
    /// and offering HTTP/1.1), whatever TLS features reqwest was compiled with.
    #[tokio::test]
    async fn an_https_request_starts_a_handshake() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut hello = vec![0; 4096];
            let mut read = 0;
            // The ClientHello's record header says how long it is.
            while read < 5 || read < 5 + usize::from(u16::from_be_bytes([hello[3], hello[4]])) {
                match stream.read(&mut hello[read..]).await.unwrap() {
                    0 => break,
                    n => read += n,
                }
            }
            hello.truncate(read);
            hello
        });
        let http = client_builder().unwrap().build().unwrap();
        let answer = http.get(format!("https://localhost:{port}/")).send().await;
        assert!(answer.is_err(), "the server closed without answering");
        let hello = server.await.unwrap();
        assert_eq!(hello[0], 0x16, "a TLS handshake record");
        assert_eq!(hello[5], 0x01, "a ClientHello");
        let contains = |needle: &[u8]| hello.windows(needle.len()).any(|w| w == needle);
        assert!(contains(b"localhost"), "server name indication");
        assert!(contains(b"http/1.1"), "ALPN");
    }
}

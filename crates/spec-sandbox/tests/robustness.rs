//! The sandbox never panics and keeps serving whatever arrives on the socket.

use std::net::SocketAddr;
use std::time::Duration;

use spec_sandbox::{Sandbox, SandboxConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends raw bytes and reads whatever comes back (bounded in time). Requests that expect an
/// answer say `Connection: close`; for anything else the write side is closed after sending,
/// so a server waiting for more bytes sees the end.
async fn raw(addr: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return Vec::new();
    };
    let _ = stream.write_all(bytes).await;
    let wants_answer = String::from_utf8_lossy(bytes)
        .to_ascii_lowercase()
        .contains("connection: close");
    if !wants_answer {
        let _ = stream.shutdown().await;
    }
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(2), stream.read_to_end(&mut out)).await;
    out
}

fn status_of(response: &[u8]) -> Option<u16> {
    let text = String::from_utf8_lossy(response);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

async fn healthy(addr: SocketAddr) {
    let response = raw(
        addr,
        b"GET /__sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(
        status_of(&response),
        Some(200),
        "{}",
        String::from_utf8_lossy(&response)
    );
}

#[tokio::test]
async fn hostile_input_gets_an_answer_or_a_closed_socket_never_a_crash() {
    let config = SandboxConfig {
        max_body_bytes: 4096,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sandbox.addr();

    // Pseudo-random garbage (deterministic).
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    for round in 0..40 {
        let len = 1 + (round * 37) % 900;
        let garbage: Vec<u8> = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        raw(addr, &garbage).await;
    }
    healthy(addr).await;

    let token = "stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax";
    let cases: Vec<(Vec<u8>, Option<u16>)> = vec![
        // Invalid UTF-8 and bad percent-encoding in the path.
        (b"GET /huawei/v1/\xff\xfe/orgRes HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), None),
        (b"GET /zoom/v2/accounts/%ZZ%/plans/usage HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer x\r\nConnection: close\r\n\r\n".to_vec(), Some(401)),
        (b"GET /zoom/v2/accounts/%ff%fe/plans/usage HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), Some(401)),
        // An unknown method on a known path.
        (b"BREW /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), Some(405)),
        // A header far beyond any sane size.
        ([b"GET / HTTP/1.1\r\nX-Big: ".to_vec(), vec![b'a'; 200_000], b"\r\n\r\n".to_vec()].concat(), None),
        // A body larger than the limit, declared and chunked.
        (
            [
                b"POST /huawei/v1/usg/acs/token/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\nConnection: close\r\n\r\n".to_vec(),
                vec![b' '; 5000],
            ]
            .concat(),
            Some(413),
        ),
        (
            [
                b"POST /huawei/v1/usg/acs/token/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec(),
                format!("{:x}\r\n", 6000).into_bytes(),
                vec![b'{'; 6000],
                b"\r\n0\r\n\r\n".to_vec(),
            ]
            .concat(),
            Some(413),
        ),
        // A body that lies about its length.
        (b"POST /huawei/v1/usg/acs/token/validate HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{}".to_vec(), None),
        (b"POST /huawei/v1/usg/acs/token/validate HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(), None),
        // Deeply nested JSON within the size limit.
        (
            [
                b"POST /huawei/v1/usg/acs/token/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\nConnection: close\r\n\r\n".to_vec(),
                vec![b'['; 2000],
                vec![b']'; 2000],
            ]
            .concat(),
            Some(400),
        ),
        // Control characters in a header value (the HTTP parser refuses them), and a token
        // that is not text.
        (format!("GET /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nX-Access-Token: {token}\r\nX-Request-Id: \u{1}\u{7f}\r\nConnection: close\r\n\r\n").into_bytes(), Some(400)),
        (b"GET /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nX-Access-Token: \xff\xfe\r\nConnection: close\r\n\r\n".to_vec(), Some(401)),
        // A malformed fault header and Prefer header.
        (format!("GET /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nX-Access-Token: {token}\r\nX-Sandbox-Fault: status=abc\r\nConnection: close\r\n\r\n").into_bytes(), Some(400)),
        (format!("GET /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nX-Access-Token: {token}\r\nPrefer: code=999999, example=\r\nConnection: close\r\n\r\n").into_bytes(), Some(400)),
        // HTTP/1.0, and two pipelined requests.
        (b"GET /__sandbox/health HTTP/1.0\r\n\r\n".to_vec(), None),
        (b"GET /__sandbox/health HTTP/1.1\r\nHost: x\r\n\r\nGET /__sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".to_vec(), Some(200)),
        // A truncated request line.
        (b"GET /zoom/v2/acc".to_vec(), None),
    ];
    for (i, (bytes, expected)) in cases.iter().enumerate() {
        let response = raw(addr, bytes).await;
        if let Some(expected) = expected {
            assert_eq!(
                status_of(&response),
                Some(*expected),
                "case {i}: {}",
                String::from_utf8_lossy(&response[..response.len().min(400)])
            );
        }
        healthy(addr).await;
    }
    // A panic would have been answered with a 500 and counted; none may happen.
    assert_eq!(sandbox.panics(), 0, "the sandbox panicked on some input");
}

#[tokio::test]
async fn many_concurrent_connections_are_served() {
    let sandbox = Sandbox::start(SandboxConfig::default(), "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sandbox.addr();
    let request = b"GET /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nX-Access-Token: stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax\r\nConnection: close\r\n\r\n";
    let tasks: Vec<_> = (0..200)
        .map(|_| tokio::spawn(async move { raw(addr, request).await }))
        .collect();
    for task in tasks {
        assert_eq!(status_of(&task.await.unwrap()), Some(200));
    }
    assert_eq!(sandbox.count("ShowOrgRes"), 200);
}

/// A client that stops sending mid-request does not hold a connection forever: slow headers
/// close the connection, a slow body gets a 408 in the vendor's format.
#[tokio::test]
async fn slow_clients_are_timed_out() {
    let config = SandboxConfig {
        read_timeout: Duration::from_millis(300),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sandbox.addr();
    let wait_for_answer = |mut stream: TcpStream| async move {
        let mut out = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut out)).await;
        assert!(read.is_ok(), "the sandbox kept the connection open");
        out
    };

    // Headers that never finish: the connection is closed without serving anything.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /__sandbox/health HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let answer = wait_for_answer(stream).await;
    assert_ne!(
        status_of(&answer),
        Some(200),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // A body shorter than its Content-Length: 408 in Huawei's format, naming the body.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"POST /huawei/v1/usg/acs/token/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\nConnection: close\r\n\r\n{\"tok")
        .await
        .unwrap();
    let answer = wait_for_answer(stream).await;
    assert_eq!(
        status_of(&answer),
        Some(408),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    let text = String::from_utf8_lossy(&answer);
    assert!(
        text.contains("APIG.9999") && text.contains("body"),
        "{text}"
    );

    healthy(addr).await;
    assert_eq!(sandbox.panics(), 0);
}

/// The header-read timeout counts from the end of the previous response: an idle keep-alive
/// connection is closed after it, a second request sent in time is served, and an answer that
/// itself takes longer (a delay fault) is not cut short by it.
#[tokio::test]
async fn the_header_timeout_counts_from_the_last_response() {
    let config = SandboxConfig {
        read_timeout: Duration::from_millis(300),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = sandbox.addr();
    let request = b"GET /__sandbox/health HTTP/1.1\r\nHost: x\r\n\r\n";
    // Reads one response (the health answer has a Content-Length) and returns its status.
    async fn one_response(stream: &mut TcpStream) -> Option<u16> {
        let mut seen = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buffer))
                .await
                .ok()?
                .ok()?;
            if n == 0 {
                return None;
            }
            seen.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&seen).to_ascii_lowercase();
            let Some(end) = text.find("\r\n\r\n") else {
                continue;
            };
            let length: usize = text[..end]
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())?;
            if seen.len() >= end + 4 + length {
                return status_of(&seen);
            }
        }
    }

    let mut stream = TcpStream::connect(addr).await.unwrap();
    for _ in 0..3 {
        // Each request within the timeout of the previous answer, though the connection has
        // been open for longer than the timeout by the third.
        tokio::time::sleep(Duration::from_millis(150)).await;
        stream.write_all(request).await.unwrap();
        assert_eq!(one_response(&mut stream).await, Some(200));
    }
    // Idle for longer than the timeout: closed.
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut rest)).await;
    assert!(closed.is_ok(), "an idle connection was kept open");
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));

    // A slow answer is not a slow client.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET /huawei/v1/mmc/management/orgRes HTTP/1.1\r\nHost: x\r\nX-Access-Token: stbH9kUr7lHzdsfFrXEoq3QFs7vPBXoaA9Ax\r\nX-Sandbox-Fault: delay=700ms\r\n\r\n")
        .await
        .unwrap();
    assert_eq!(one_response(&mut stream).await, Some(200));
    stream.write_all(request).await.unwrap();
    assert_eq!(one_response(&mut stream).await, Some(200));
    assert_eq!(sandbox.panics(), 0);
}

//! `spec-sandbox`: serve the workspace's specs as a mock of the Zoom and Huawei APIs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use spec_sandbox::{Sandbox, SandboxConfig};

/// Serve the Zoom and Huawei specs as a mock API (until Ctrl-C).
#[derive(Parser)]
#[command(name = "spec-sandbox", version)]
struct Cli {
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Address to listen on. Only loopback unless you say otherwise.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = SandboxConfig::default();
    let sandbox = match Sandbox::start(config.clone(), SocketAddr::new(cli.host, cli.port)).await {
        Ok(sandbox) => sandbox,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    println!("spec-sandbox listening on http://{}", sandbox.addr());
    for spec in spec_sandbox::specs::EMBEDDED {
        println!("  {:<30} {}", spec.file, sandbox.base_url(spec.file));
    }
    println!(
        "  Zoom OAuth client: {} / {}    Huawei app key: {}",
        config.zoom_client_id, config.zoom_client_secret, config.huawei_app_key
    );
    println!(
        "  control: GET /__sandbox/health, GET|DELETE /__sandbox/requests, POST|DELETE /__sandbox/faults"
    );
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {err}");
        return ExitCode::from(2);
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

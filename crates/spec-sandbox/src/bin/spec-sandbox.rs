//! `spec-sandbox`: serve the workspace's specs as a mock of the Zoom and Huawei APIs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;

use clap::Parser;
use spec_sandbox::{FleetConfig, RateLimits, Sandbox, SandboxConfig};

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
    /// Enforce rate limits per `x-rate-limit` label: a Zoom tier (free, pro, business-plus),
    /// per-second numbers (HEAVY=200,MEDIUM=5), or both (pro,HEAVY=200). Off by default.
    #[arg(long, value_name = "TIER|LABEL=N,...", value_parser = RateLimits::parse)]
    rate_limit: Option<RateLimits>,
    /// Serve N generated sub-accounts from the `x-sandbox-fleet` operations. Off by default.
    #[arg(long, value_name = "N")]
    fleet: Option<usize>,
    /// Seed of the fleet's ids and figures.
    #[arg(long, default_value_t = 0, requires = "fleet")]
    fleet_seed: u64,
    /// Positions (0-based) of fleet accounts that are listed but answer not-found.
    #[arg(long, value_delimiter = ',', requires = "fleet")]
    fleet_missing: Vec<usize>,
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let config = SandboxConfig {
        rate_limits: cli.rate_limit.clone(),
        fleet: cli
            .fleet
            .map(|n| FleetConfig::new(n, cli.fleet_seed).with_missing(cli.fleet_missing.clone())),
        ..SandboxConfig::default()
    };
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
    if let Some(limits) = &config.rate_limits {
        let shown: Vec<String> = limits
            .iter()
            .map(|(label, l)| format!("{label}={}/{}s", l.requests, l.window.as_secs()))
            .collect();
        println!("  rate limits: {}", shown.join(", "));
    }
    if let Some(fleet) = &config.fleet {
        println!(
            "  fleet: {} accounts, seed {}, missing {:?}",
            fleet.accounts, fleet.seed, fleet.missing
        );
    }
    println!("  {}", spec_sandbox::CONTROL_ENDPOINTS);
    if let Err(err) = tokio::signal::ctrl_c().await {
        eprintln!("error: cannot wait for Ctrl-C: {err}");
        return ExitCode::from(2);
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}

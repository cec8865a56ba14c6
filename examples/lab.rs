//! Manual poking: `cargo run --example lab [PORT] [SECONDS] [COPIES]` serves COPIES (default 1)
//! devices per platform on
//! 127.0.0.1 (user `admin`, password `admin`, IOS enable secret `enable`) and prints the endpoints.

use std::time::Duration;

use netrun::lab::{DeviceSpec, Faults, Lab};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().map(|p| p.parse()).transpose()?.unwrap_or(0);
    let seconds: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(600);
    let copies: usize = args.next().map(|c| c.parse()).transpose()?.unwrap_or(1);
    let devices = (1..=copies)
        .flat_map(|i| {
            ["ios", "nxos", "iosxr", "eos", "junos", "linux"]
                .into_iter()
                .map(move |platform| (i, platform))
        })
        .map(|(i, platform)| DeviceSpec {
            name: format!("{platform}{i}.lab"),
            platform: platform.to_string(),
            username: "admin".into(),
            password: "admin".into(),
            enable_secret: (platform == "ios").then(|| "enable".to_string()),
            vars: serde_json::Map::new(),
            faults: Faults::default(),
        })
        .collect();
    let lab = Lab::start(devices, std::net::SocketAddr::from(([127, 0, 0, 1], port))).await?;
    for (name, addr) in lab.endpoints().iter().take(12) {
        println!("{name} {addr}");
    }
    println!("{} devices listening", lab.endpoints().len());
    tokio::select! {
        _ = tokio::time::sleep(Duration::from_secs(seconds)) => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    println!("{}", serde_json::to_string(&lab.counters())?);
    lab.shutdown().await;
    Ok(())
}

//! The lab: an SSH server on loopback that simulates network devices (IOS, NX-OS, IOS-XR, EOS,
//! Junos, Linux) so tests, demos and benchmarks exercise real SSH without real equipment.
//!
//! Each device gets its own listener; all share one fixed host key. Canned outputs live in
//! `outputs/<platform>.yaml` and render through the program's template environment.

mod catalog;
mod counters;
mod device;
mod faults;
mod server;

pub use faults::FAULT_KEYS;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use counters::{DeviceCounters, LabCounters};

use catalog::{Catalog, Platform};
use device::DeviceShared;

/// One simulated device.
#[derive(Debug, Clone)]
pub struct DeviceSpec {
    /// Inventory host name, e.g. `edge01.earth`; the prompt uses the part before the first `.`.
    pub name: String,
    /// Canonical platform: `ios`, `nxos`, `iosxr`, `eos`, `junos` or `linux`.
    pub platform: String,
    /// Accepted user name.
    pub username: String,
    /// Accepted password (password and keyboard-interactive authentication).
    pub password: String,
    /// `Some`: the CLI starts in user mode and `enable` asks for this; `None`: starts privileged.
    pub enable_secret: Option<String>,
    /// Host data for the output templates (`os_version`, `model`, `serial`, `interfaces`, ...).
    pub vars: serde_json::Map<String, serde_json::Value>,
    /// Misbehaviour to simulate.
    pub faults: Faults,
}

/// Misbehaviour of a simulated device.
#[derive(Default, Clone, Debug)]
pub struct Faults {
    /// Every authentication attempt fails.
    pub reject_auth: bool,
    /// Close the TCP connection when command N+1 of a connection arrives (before answering it).
    pub drop_after_commands: Option<u32>,
    /// Accept TCP, SSH, authentication and channels, then never print a prompt or an answer.
    pub never_answer: bool,
    /// Delay before each command's answer.
    pub latency: Duration,
}

/// Why a lab could not start.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// The lab only ever listens on loopback.
    #[error("refusing to listen on {0}: the lab only binds loopback addresses (127.0.0.0/8, ::1)")]
    NotLoopback(std::net::IpAddr),
    /// Two devices with one name would make endpoints and counters ambiguous.
    #[error("duplicate device name {0:?}")]
    DuplicateDevice(String),
    /// The platform has no simulation.
    #[error(
        "device {device:?}: unknown platform {platform:?} (expected ios, nxos, iosxr, eos, junos or linux)"
    )]
    UnknownPlatform {
        /// Device name.
        device: String,
        /// The platform given.
        platform: String,
    },
    /// `port + number of devices` does not fit in a port number.
    #[error("ports {first}..{first}+{count} do not fit below 65536")]
    PortRange {
        /// First port requested.
        first: u16,
        /// Number of devices.
        count: usize,
    },
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// Address tried.
        addr: SocketAddr,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A device's data did not render (bad vars) or an embedded data file is broken.
    #[error("lab data: {0}")]
    Data(String),
}

/// A running lab; dropping it stops the listeners, [`Lab::shutdown`] also waits for the connections.
pub struct Lab {
    endpoints: Vec<(String, SocketAddr)>,
    devices: Vec<Arc<DeviceShared>>,
    stop: watch::Sender<bool>,
    listeners: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Lab {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lab")
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl Lab {
    /// Binds one listener per device on `listen` (loopback only; port 0 → ephemeral ports,
    /// port P → P, P+1, ...) and starts serving.
    pub async fn start(devices: Vec<DeviceSpec>, listen: SocketAddr) -> Result<Lab, LabError> {
        if !listen.ip().is_loopback() {
            return Err(LabError::NotLoopback(listen.ip()));
        }
        let mut seen = HashSet::new();
        for spec in &devices {
            if !seen.insert(spec.name.as_str()) {
                return Err(LabError::DuplicateDevice(spec.name.clone()));
            }
        }
        if listen.port() != 0 && usize::from(listen.port()) + devices.len() > 65_536 {
            return Err(LabError::PortRange {
                first: listen.port(),
                count: devices.len(),
            });
        }
        let catalog = Arc::new(Catalog::load().map_err(LabError::Data)?);
        let mut shared = Vec::with_capacity(devices.len());
        for spec in &devices {
            let platform =
                Platform::parse(&spec.platform).ok_or_else(|| LabError::UnknownPlatform {
                    device: spec.name.clone(),
                    platform: spec.platform.clone(),
                })?;
            let device =
                DeviceShared::new(spec, platform, Arc::clone(&catalog)).map_err(LabError::Data)?;
            shared.push(Arc::new(device));
        }
        let config = Arc::new(server::config());
        let (stop, _) = watch::channel(false);
        let mut endpoints = Vec::with_capacity(shared.len());
        let mut listeners = Vec::with_capacity(shared.len());
        for (i, device) in shared.iter().enumerate() {
            let port = if listen.port() == 0 {
                0
            } else {
                // Checked above: listen.port() + devices.len() <= 65536.
                listen.port() + i as u16
            };
            let addr = SocketAddr::new(listen.ip(), port);
            let listener = match TcpListener::bind(addr).await {
                Ok(listener) => listener,
                Err(source) => {
                    // Listeners already spawned see the stop signal when `stop` is dropped.
                    return Err(LabError::Bind { addr, source });
                }
            };
            let local = listener
                .local_addr()
                .map_err(|source| LabError::Bind { addr, source })?;
            endpoints.push((device.name.clone(), local));
            listeners.push(tokio::spawn(server::serve(
                listener,
                Arc::clone(device),
                Arc::clone(&config),
                stop.subscribe(),
            )));
        }
        Ok(Lab {
            endpoints,
            devices: shared,
            stop,
            listeners,
        })
    }

    /// Device name and listening address, in device order.
    pub fn endpoints(&self) -> Vec<(String, SocketAddr)> {
        self.endpoints.clone()
    }

    /// A snapshot of every device's counters.
    pub fn counters(&self) -> LabCounters {
        LabCounters::from_devices(
            self.devices
                .iter()
                .map(|d| (d.name.clone(), d.counters.snapshot()))
                .collect(),
        )
    }

    /// Stops listening, disconnects every client and waits until all connections are closed;
    /// returns the final counters (every connection counted, none open).
    pub async fn shutdown(self) -> LabCounters {
        let _ = self.stop.send(true);
        for listener in self.listeners {
            let _ = listener.await;
        }
        LabCounters::from_devices(
            self.devices
                .iter()
                .map(|d| (d.name.clone(), d.counters.snapshot()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests;

//! AcmeOS, the imaginary network OS of nornir's demo, simulated in-process: each device's
//! version is derived from its hostname so tests can predict it, and hostnames containing `bad`
//! fail like an unreachable device.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use netrun_plugin_sdk::serde_json::{Value, json};
use netrun_plugin_sdk::{
    Canceller, CommandType, Info, OpenParams, Operation, Plugin, PluginConnection, PluginError,
    export_plugin,
};

/// The plugin type `export_plugin!` exposes.
pub struct AcmeOs;

/// One simulated device session.
pub struct Device {
    hostname: String,
    version: String,
    /// Set by netrun (through `cancel`) when it gives up on a running call.
    cancelled: Arc<AtomicBool>,
}

/// FNV-1a: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The version a device reports before anything is installed: `5.<h%5+1>.<h/5%3>`.
pub fn initial_version(hostname: &str) -> String {
    let h = fnv1a(hostname);
    format!("5.{}.{}", h % 5 + 1, h / 5 % 3)
}

impl Plugin for AcmeOs {
    const NAME: &'static str = "acmeos";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    type Conn = Device;

    fn info() -> Info {
        let op = |name: &str, read_only| Operation {
            name: name.to_string(),
            read_only,
        };
        Info {
            command_types: vec![CommandType::Custom],
            operations: vec![
                op("get_version", true),
                op("get_cpu_ram", true),
                op("install_os_version", false),
                op("sleep", true),
                op("panic", true),
            ],
            dry_run: true,
        }
    }

    fn open(params: OpenParams) -> Result<Device, PluginError> {
        if params.hostname.contains("bad") {
            return Err(PluginError::unreachable(format!(
                "problem communicating with device {}",
                params.hostname
            )));
        }
        Ok(Device {
            version: initial_version(&params.hostname),
            hostname: params.hostname,
            cancelled: Arc::new(AtomicBool::new(false)),
        })
    }
}

impl PluginConnection for Device {
    fn call(&mut self, op: &str, args: Value) -> Result<Value, PluginError> {
        match op {
            "get_version" => Ok(json!({ "full_version": self.version })),
            "get_cpu_ram" => {
                let h = fnv1a(&self.hostname);
                Ok(json!({ "cpu": h % 100, "ram": 1024 * (h % 16 + 1) }))
            }
            "install_os_version" => {
                let version = args
                    .get("version")
                    .and_then(Value::as_str)
                    .ok_or_else(|| PluginError::invalid("install_os_version needs args.version"))?;
                let previous = std::mem::replace(&mut self.version, version.to_string());
                Ok(json!({ "previous": previous, "installed": version }))
            }
            // For concurrency and deadline tests: blocks like a slow device would, until the
            // time is up or netrun cancels the call.
            "sleep" => {
                let ms = args.get("ms").and_then(Value::as_u64).unwrap_or(0);
                let until = Instant::now() + Duration::from_millis(ms);
                while Instant::now() < until {
                    if self.cancelled.load(Ordering::SeqCst) {
                        return Err(PluginError::failed("cancelled"));
                    }
                    std::thread::sleep(
                        Duration::from_millis(10)
                            .min(until.saturating_duration_since(Instant::now())),
                    );
                }
                Ok(json!({ "slept_ms": ms }))
            }
            // For tests of the boundary: a bug in the plugin must fail only this host, and it
            // only on hostnames containing `boom`, so a test can see the other hosts carry on.
            "panic" if self.hostname.contains("boom") => {
                panic!("acmeos bug on {}", self.hostname)
            }
            "panic" => Ok(json!({ "panicked": false })),
            other => Err(PluginError::invalid(format!("unknown operation `{other}`"))),
        }
    }

    fn canceller(&self) -> Option<Canceller> {
        let cancelled = self.cancelled.clone();
        Some(Arc::new(move || cancelled.store(true, Ordering::SeqCst)))
    }
}

export_plugin!(AcmeOs);

//! Lab devices built from inventory hosts, and a run's targets pointed at them.

use std::time::Duration;

use super::{DeviceSpec, Faults};
use crate::connection::Target;
use crate::inventory::HostView;
use crate::platform::Platforms;

/// The `data.lab` keys that make a lab device misbehave.
pub const FAULT_KEYS: [&str; 4] = [
    "reject_auth",
    "drop_after_commands",
    "never_answer",
    "latency_ms",
];

impl DeviceSpec {
    /// A simulated device for `host`: its platform, its ssh credentials (enable secret from
    /// `extras.secret`), its data as template variables, and faults from `data.lab`.
    pub fn from_host(host: HostView<'_>, platforms: &Platforms) -> Result<DeviceSpec, String> {
        let target = Target::from_host(host, "ssh");
        let platform_name = target
            .platform
            .as_deref()
            .ok_or("no platform set; the lab simulates ios, nxos, iosxr, eos, junos and linux")?;
        let platform = platforms
            .get(platform_name)
            .ok_or_else(|| format!("unknown platform `{platform_name}`"))?;
        let mut vars = serde_json::Map::new();
        for key in host.data_keys() {
            if let Some((value, _)) = host.data(key) {
                let json = serde_json::to_value(value).map_err(|e| format!("data.{key}: {e}"))?;
                vars.insert(key.to_string(), json);
            }
        }
        let faults = match vars.get("lab") {
            None | Some(serde_json::Value::Null) => Faults::default(),
            Some(serde_json::Value::Object(lab)) => faults(lab)?,
            Some(other) => return Err(format!("data.lab: expected a mapping, found {other}")),
        };
        Ok(DeviceSpec {
            name: host.name().to_string(),
            platform: platform.name.clone(),
            username: target.username.clone().unwrap_or_default(),
            password: target.password.clone().unwrap_or_default(),
            enable_secret: target.extra_str("secret").map(str::to_string),
            vars,
            faults,
        })
    }
}

fn faults(lab: &serde_json::Map<String, serde_json::Value>) -> Result<Faults, String> {
    let mut faults = Faults::default();
    for (key, value) in lab {
        let bad = |expected: &str| format!("data.lab.{key}: expected {expected}, found {value}");
        match key.as_str() {
            "reject_auth" => {
                faults.reject_auth = value.as_bool().ok_or_else(|| bad("true or false"))?
            }
            "never_answer" => {
                faults.never_answer = value.as_bool().ok_or_else(|| bad("true or false"))?
            }
            "drop_after_commands" => {
                let n = value.as_u64().and_then(|n| u32::try_from(n).ok());
                faults.drop_after_commands = Some(n.ok_or_else(|| bad("a number of commands"))?);
            }
            "latency_ms" => {
                let ms = value.as_u64().ok_or_else(|| bad("milliseconds"))?;
                faults.latency = Duration::from_millis(ms);
            }
            other => {
                return Err(format!(
                    "data.lab: unknown key `{other}` (known: {})",
                    FAULT_KEYS.join(", ")
                ));
            }
        }
    }
    Ok(faults)
}

/// Points an ssh target at its lab device: loopback address, lab port, and no host key
/// bookkeeping (lab ports change every run; recording them would litter known_hosts).
pub fn point_at_lab(target: &mut Target, addr: std::net::SocketAddr) {
    target.hostname = addr.ip().to_string();
    target.port = Some(addr.port());
    target
        .extras
        .insert("known_hosts".into(), serde_json::Value::from("off"));
}

//! Misbehaviour a lab device can be asked for, through its host's `data.lab`.

use std::time::Duration;

use super::Faults;

/// The `data.lab` keys that make a lab device misbehave.
pub const FAULT_KEYS: [&str; 4] = [
    "reject_auth",
    "drop_after_commands",
    "never_answer",
    "latency_ms",
];

impl Faults {
    /// The faults a host's `data.lab` value asks for (none when absent or null).
    pub fn from_data(lab: Option<&serde_json::Value>) -> Result<Faults, String> {
        match lab {
            None | Some(serde_json::Value::Null) => Ok(Faults::default()),
            Some(serde_json::Value::Object(lab)) => faults(lab),
            Some(other) => Err(format!("data.lab: expected a mapping, found {other}")),
        }
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

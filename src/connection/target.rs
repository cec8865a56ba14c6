//! What a connection plugin is given to open a connection to one host.

use std::fmt;

/// Everything needed to open a connection to one host, resolved from the inventory.
#[derive(Clone)]
pub struct Target {
    /// The inventory name.
    pub host: String,
    /// Address or DNS name to connect to (the host name when unset).
    pub hostname: String,
    /// Port, if set (the plugin picks its default otherwise).
    pub port: Option<u16>,
    /// Login name.
    pub username: Option<String>,
    /// Login password; never printed.
    pub password: Option<String>,
    /// Platform name, as written in the inventory.
    pub platform: Option<String>,
    /// Plugin-specific settings, merged through the layers.
    pub extras: serde_json::Map<String, serde_json::Value>,
    /// Values of the host's secret-named data keys (`api_token`, `snmp_secret`, ...), which a
    /// task may send: transcripts must scrub them like the password.
    pub data_secrets: Vec<String>,
}

impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Target")
            .field("host", &self.host)
            .field("hostname", &self.hostname)
            .field("port", &self.port)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("platform", &self.platform)
            .finish_non_exhaustive()
    }
}

impl Target {
    /// Every secret value this target carries, for redaction: the password, extras under
    /// secret-named keys (`secret`, `passphrase`, `api_token`, ...), and the host's
    /// secret-named data.
    pub fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = self.password.iter().cloned().collect();
        for (key, value) in &self.extras {
            if crate::secrets::is_secret_key(key) {
                match value {
                    serde_json::Value::String(s) => out.push(s.clone()),
                    serde_json::Value::Number(n) => out.push(n.to_string()),
                    _ => {}
                }
            }
        }
        out.extend(self.data_secrets.iter().cloned());
        out.retain(|s| !s.is_empty());
        out
    }

    /// A string extra.
    pub fn extra_str(&self, key: &str) -> Option<&str> {
        self.extras.get(key).and_then(|v| v.as_str())
    }
}

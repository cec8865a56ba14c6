//! A host's resolved options for one connection plugin, as the plugin receives them.

use super::HostView;
use crate::connection::Target;
use crate::yaml::EnvString;

impl HostView<'_> {
    /// Resolves this host's options for `plugin`: connection options, falling back to the
    /// host's attributes, with the values of its secret-named data keys for redaction.
    pub fn target(&self, plugin: &str) -> Target {
        let conn = self.connection(plugin);
        let text = |r: Option<super::Resolved<'_, EnvString>>| {
            r.and_then(|r| r.value).map(|v| v.value.clone())
        };
        let extras = conn
            .extras()
            .into_iter()
            .map(|(key, (value, _))| {
                let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
                (key.to_string(), json)
            })
            .collect();
        let mut data_secrets = Vec::new();
        for key in self.data_keys() {
            if let Some((value, _)) = self.data(key) {
                crate::secrets::collect_secret_values(key, value, &mut data_secrets);
            }
        }
        Target {
            host: self.name().to_string(),
            hostname: text(conn.hostname()).unwrap_or_else(|| self.name().to_string()),
            port: conn.port().and_then(|r| r.value).map(|p| p.value),
            username: text(conn.username()),
            password: text(conn.password()),
            platform: conn.platform().and_then(|(v, _)| v).map(str::to_string),
            extras,
            data_secrets,
        }
    }
}

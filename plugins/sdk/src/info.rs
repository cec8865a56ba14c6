//! The plugin contract's metadata, defined once: a plugin serializes [`Info`] into its table's
//! `info_json`, and netrun deserializes the same type. Nothing else describes a plugin.

use serde::{Deserialize, Serialize};

/// The operation a `command:` step becomes over a plugin that accepts [`CommandType::Cli`]:
/// args `{"command": "show version"}`, result the device's text as a JSON string.
pub const CLI_COMMAND: &str = "cli.command";
/// The operation a `config:` step becomes over a plugin that accepts [`CommandType::Cli`]:
/// args `{"lines": ["...", ...]}`, result the device's text as a JSON string.
pub const CLI_CONFIG: &str = "cli.config";

/// The kinds of step a plugin carries out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandType {
    /// CLI commands and configuration lines (`command:` and `config:` steps), received as the
    /// operations [`CLI_COMMAND`] and [`CLI_CONFIG`].
    Cli,
    /// NETCONF RPCs.
    Netconf,
    /// JSON API calls.
    JsonApi,
    /// Plugin-defined operations (`call:` steps).
    Custom,
}

impl CommandType {
    /// The name used in the info JSON and in messages.
    pub fn as_str(self) -> &'static str {
        match self {
            CommandType::Cli => "cli",
            CommandType::Netconf => "netconf",
            CommandType::JsonApi => "json_api",
            CommandType::Custom => "custom",
        }
    }
}

/// An operation offered to `call:` steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operation {
    /// Its name.
    pub name: String,
    /// Whether it only reads (and so still runs under `--dry-run`).
    #[serde(default)]
    pub read_only: bool,
}

impl Operation {
    /// An operation that only reads.
    pub fn read_only(name: impl Into<String>) -> Operation {
        Operation {
            name: name.into(),
            read_only: true,
        }
    }

    /// An operation that changes the device (skipped under `--dry-run`).
    pub fn changing(name: impl Into<String>) -> Operation {
        Operation {
            name: name.into(),
            read_only: false,
        }
    }
}

/// What a plugin declares besides its name and version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Info {
    /// Step kinds it accepts.
    pub command_types: Vec<CommandType>,
    /// Operations for `call:` steps.
    #[serde(default)]
    pub operations: Vec<Operation>,
    /// Whether it honours `--dry-run` for its own operations.
    #[serde(default)]
    pub dry_run: bool,
}

impl Info {
    /// Reads the info JSON of a plugin's table.
    pub fn from_json(text: &str) -> Result<Info, String> {
        serde_json::from_str(text).map_err(|e| format!("bad info JSON: {e}"))
    }

    /// Whether the plugin accepts steps of `kind`.
    pub fn accepts(&self, kind: CommandType) -> bool {
        self.command_types.contains(&kind)
    }

    /// The operation called `name`, if the plugin offers it.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.name == name)
    }
}

/// Whether `name` is a valid plugin name: lowercase ASCII letters, digits and `_`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_json_round_trips_and_rejects_unknown_types() {
        let info = Info {
            command_types: vec![CommandType::Cli, CommandType::JsonApi],
            operations: vec![Operation::read_only("get"), Operation::changing("set")],
            dry_run: true,
        };
        let json = serde_json::to_string(&info).expect("json");
        assert_eq!(Info::from_json(&json), Ok(info));
        let err = Info::from_json(r#"{"command_types": ["telnet"]}"#).expect_err("unknown");
        assert!(err.contains("unknown variant `telnet`"), "{err}");
        let err = Info::from_json(r#"{"command_types": [], "extra": 1}"#).expect_err("field");
        assert!(err.contains("unknown field `extra`"), "{err}");
        assert!(valid_name("acme_os2") && !valid_name("Acme") && !valid_name(""));
    }
}

//! The two sides of the comparison: nornir's view of an inventory (through
//! tests/fixtures/nornir_inventory.py) and netrun's (`netrun inventory --format json`), each
//! flattened to one map of field → value per host.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

const PREREQS: &str = "run `bash tests/prerequisites.sh` to install it";

/// Every resolved field of one host: `hostname`, `data.site`, `connection_options.netmiko.port`,
/// `connection_options.netmiko.extras.secret`, ... A field one side lacks is absent.
pub struct HostFields {
    pub name: String,
    pub fields: BTreeMap<String, Value>,
}

/// One side's view of an inventory.
pub struct Side {
    /// nornir's version (empty for netrun).
    pub version: String,
    /// Hosts in inventory order; empty when the inventory did not load.
    pub hosts: Vec<HostFields>,
    /// Why the inventory did not load (netrun's stderr), if it did not.
    pub load_error: Option<String>,
    /// nornir only: each host's document as the script printed it, by name.
    pub raw: BTreeMap<String, Value>,
    /// nornir only: defaults.yaml's own connection options, by plugin.
    pub defaults: Map<String, Value>,
}

/// What nornir makes of the inventory in `dir`.
pub fn nornir(dir: &Path) -> Side {
    let script =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nornir_inventory.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir)
        .output()
        .unwrap_or_else(|e| panic!("python3 not found ({e}); the nornir tests need it: {PREREQS}"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(3) => panic!(
            "python3 cannot import nornir ({}); {PREREQS}",
            stderr.trim()
        ),
        _ => panic!(
            "nornir could not load {} (exit {:?}):\n{stderr}",
            dir.display(),
            out.status.code()
        ),
    }
    let doc: Value = serde_json::from_slice(&out.stdout).expect("nornir_inventory.py prints JSON");
    let mut side = Side {
        version: doc["nornir"].as_str().unwrap_or_default().to_string(),
        hosts: Vec::new(),
        load_error: None,
        raw: BTreeMap::new(),
        defaults: doc["defaults_connection_options"]
            .as_object()
            .cloned()
            .unwrap_or_default(),
    };
    for host in doc["hosts"].as_array().expect("hosts") {
        let name = host["name"].as_str().expect("name").to_string();
        side.hosts.push(HostFields {
            name: name.clone(),
            fields: nornir_fields(host),
        });
        side.raw.insert(name, host.clone());
    }
    side
}

/// What netrun makes of it: `netrun --inventory DIR inventory --format json`, run in an empty
/// directory (no netrun.yaml) with no `NETRUN_*` variable but `env`.
pub fn netrun(dir: &Path, env: &[(&str, &str)]) -> Side {
    let cwd = std::env::temp_dir();
    let mut command = Command::new(env!("CARGO_BIN_EXE_netrun"));
    command
        .current_dir(&cwd)
        .arg("--inventory")
        .arg(dir)
        .args(["inventory", "--format", "json"]);
    for (key, _) in std::env::vars() {
        if key.starts_with("NETRUN_") {
            command.env_remove(key);
        }
    }
    command.env("NO_COLOR", "1").envs(env.iter().copied());
    let out = command.output().expect("run netrun");
    let mut side = Side {
        version: String::new(),
        hosts: Vec::new(),
        load_error: None,
        raw: BTreeMap::new(),
        defaults: Map::new(),
    };
    if !out.status.success() {
        side.load_error = Some(String::from_utf8_lossy(&out.stderr).trim().to_string());
        return side;
    }
    let doc: Value = serde_json::from_slice(&out.stdout).expect("netrun prints JSON");
    let hosts = match &doc {
        Value::Array(hosts) => hosts,
        other => other["hosts"].as_array().expect("a list of hosts"),
    };
    for host in hosts {
        side.hosts.push(HostFields {
            name: host["name"].as_str().expect("name").to_string(),
            fields: netrun_fields(host),
        });
    }
    side
}

/// netrun shows a set password as `"***"`; a nornir value becomes the same.
fn presence(value: &Value) -> Value {
    if value.is_null() {
        Value::Null
    } else {
        Value::from("***")
    }
}

/// Whether a key names a secret (README, "Secrets": its value shows as `***`).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "passphrase",
        "token",
        "api_key",
        "apikey",
    ]
    .iter()
    .any(|word| key.contains(word))
}

/// A nornir value under `key` as netrun shows it: secret-named keys with a value are `***`,
/// at any depth of mappings and lists.
pub fn redacted(key: &str, value: &Value) -> Value {
    if is_secret_key(key) && !value.is_null() {
        return Value::from("***");
    }
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redacted(k, v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| redacted("", v)).collect()),
        other => other.clone(),
    }
}

/// The attribute fields of a host or a connection.
const ATTRIBUTES: [&str; 4] = ["hostname", "port", "username", "platform"];

fn connection_fields(fields: &mut BTreeMap<String, Value>, options: &Value, redact: bool) {
    for (plugin, conn) in options.as_object().into_iter().flatten() {
        let prefix = format!("connection_options.{plugin}");
        for attr in ATTRIBUTES {
            fields.insert(format!("{prefix}.{attr}"), conn[attr].clone());
        }
        let password = &conn["password"];
        let password = if redact {
            presence(password)
        } else {
            password.clone()
        };
        fields.insert(format!("{prefix}.password"), password);
        for (key, value) in conn["extras"].as_object().into_iter().flatten() {
            let value = if redact {
                redacted(key, value)
            } else {
                value.clone()
            };
            fields.insert(format!("{prefix}.extras.{key}"), value);
        }
    }
}

/// nornir's host document as fields. `host[KEY]` is only written for the data keys nornir's
/// `host[KEY]` does not find although `host.items()` lists them (a `null` in defaults); for
/// every other key the two agree by construction of nornir's code, and `data.KEY` covers both.
fn nornir_fields(host: &Value) -> BTreeMap<String, Value> {
    let mut fields = BTreeMap::new();
    for attr in ATTRIBUTES {
        fields.insert(attr.to_string(), host[attr].clone());
    }
    fields.insert("password".into(), presence(&host["password"]));
    fields.insert("groups".into(), host["groups"].clone());
    fields.insert("group_order".into(), host["group_order"].clone());
    for (key, value) in host["data"].as_object().into_iter().flatten() {
        fields.insert(format!("data.{key}"), redacted(key, value));
    }
    connection_fields(&mut fields, &host["connection_options"], true);
    fields
}

/// netrun's host document as fields. Keys nornir's `host[KEY]` misses are added by the
/// comparison, which knows them (`compare::lookups`).
fn netrun_fields(host: &Value) -> BTreeMap<String, Value> {
    let mut fields = BTreeMap::new();
    for attr in ATTRIBUTES {
        fields.insert(attr.to_string(), host[attr].clone());
    }
    fields.insert("password".into(), host["password"].clone());
    fields.insert("groups".into(), host["groups"].clone());
    fields.insert("group_order".into(), host["group_order"].clone());
    for (key, value) in host["data"].as_object().into_iter().flatten() {
        fields.insert(format!("data.{key}"), value.clone());
    }
    connection_fields(&mut fields, &host["connection_options"], false);
    fields
}

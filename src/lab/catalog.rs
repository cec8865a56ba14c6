//! The embedded dialect files, parsed and compiled once into the program's template
//! environment.

use std::collections::HashMap;
use std::sync::Arc;

use minijinja::Environment;
use serde_json::Value;

use super::dialect::{self, Dialect};

/// Every dialect file: its name (a canonical platform name, or a family: `cli`) and text.
const SOURCES: &[(&str, &str)] = &[
    ("ios", include_str!("dialects/ios.yaml")),
    ("nxos", include_str!("dialects/nxos.yaml")),
    ("iosxr", include_str!("dialects/iosxr.yaml")),
    ("eos", include_str!("dialects/eos.yaml")),
    ("junos", include_str!("dialects/junos.yaml")),
    ("linux", include_str!("dialects/linux.yaml")),
    ("generic", include_str!("dialects/generic.yaml")),
    ("cli", include_str!("dialects/cli.yaml")),
    ("huawei_vrp", include_str!("dialects/huawei_vrp.yaml")),
    (
        "huawei_smartax",
        include_str!("dialects/huawei_smartax.yaml"),
    ),
    ("hp_comware", include_str!("dialects/hp_comware.yaml")),
    ("hp_procurve", include_str!("dialects/hp_procurve.yaml")),
    ("aruba_os", include_str!("dialects/aruba_os.yaml")),
    ("cisco_asa", include_str!("dialects/cisco_asa.yaml")),
    ("cisco_ftd", include_str!("dialects/cisco_ftd.yaml")),
    ("cisco_s300", include_str!("dialects/cisco_s300.yaml")),
    ("cisco_wlc", include_str!("dialects/cisco_wlc.yaml")),
    ("fortinet", include_str!("dialects/fortinet.yaml")),
    (
        "paloalto_panos",
        include_str!("dialects/paloalto_panos.yaml"),
    ),
    (
        "mikrotik_routeros",
        include_str!("dialects/mikrotik_routeros.yaml"),
    ),
    ("dell_os10", include_str!("dialects/dell_os10.yaml")),
    ("dell_force10", include_str!("dialects/dell_force10.yaml")),
    (
        "dell_powerconnect",
        include_str!("dialects/dell_powerconnect.yaml"),
    ),
    (
        "brocade_netiron",
        include_str!("dialects/brocade_netiron.yaml"),
    ),
    (
        "ruckus_fastiron",
        include_str!("dialects/ruckus_fastiron.yaml"),
    ),
    ("extreme_exos", include_str!("dialects/extreme_exos.yaml")),
    ("extreme_vsp", include_str!("dialects/extreme_vsp.yaml")),
    ("alcatel_aos", include_str!("dialects/alcatel_aos.yaml")),
    ("nokia_sros", include_str!("dialects/nokia_sros.yaml")),
    (
        "allied_telesis_awplus",
        include_str!("dialects/allied_telesis_awplus.yaml"),
    ),
    ("avaya_ers", include_str!("dialects/avaya_ers.yaml")),
    ("ubiquiti_edge", include_str!("dialects/ubiquiti_edge.yaml")),
    (
        "ubiquiti_edgerouter",
        include_str!("dialects/ubiquiti_edgerouter.yaml"),
    ),
    ("vyos", include_str!("dialects/vyos.yaml")),
    ("cumulus_linux", include_str!("dialects/cumulus_linux.yaml")),
    ("broadcom_icos", include_str!("dialects/broadcom_icos.yaml")),
    (
        "checkpoint_gaia",
        include_str!("dialects/checkpoint_gaia.yaml"),
    ),
    ("ciena_saos", include_str!("dialects/ciena_saos.yaml")),
    ("dlink_ds", include_str!("dialects/dlink_ds.yaml")),
    ("eltex", include_str!("dialects/eltex.yaml")),
    ("ericsson_ipos", include_str!("dialects/ericsson_ipos.yaml")),
    (
        "ipinfusion_ocnos",
        include_str!("dialects/ipinfusion_ocnos.yaml"),
    ),
    (
        "juniper_screenos",
        include_str!("dialects/juniper_screenos.yaml"),
    ),
    ("yamaha", include_str!("dialects/yamaha.yaml")),
    ("zyxel_os", include_str!("dialects/zyxel_os.yaml")),
];

/// The names of the dialect files.
#[cfg(test)]
pub(crate) fn files() -> impl Iterator<Item = &'static str> {
    SOURCES.iter().map(|(name, _)| *name)
}

/// The canonical names of the simulated platforms: every built-in platform (those without a
/// dialect file borrow their family's, see `derive`).
pub fn platforms() -> impl Iterator<Item = &'static str> {
    crate::platform::Platforms::builtin().names()
}

/// All dialects, their templates compiled into one environment.
pub(crate) struct Catalog {
    env: Environment<'static>,
    dialects: HashMap<String, Arc<Dialect>>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog")
            .field("dialects", &self.dialects.len())
            .finish_non_exhaustive()
    }
}

impl Catalog {
    /// Parses and checks the embedded dialect files; an error here is a bug in a data file.
    pub(crate) fn load() -> Result<Catalog, String> {
        let mut env = crate::template::environment(None);
        env.add_filter("checksum", checksum);
        let mut dialects = HashMap::new();
        for (name, _) in SOURCES {
            let yaml = resolve(name, 0)?;
            let dialect = dialect::compile(yaml, &mut env)
                .map_err(|e| format!("dialects/{name}.yaml: {e}"))?;
            if dialect.name != *name {
                return Err(format!(
                    "dialects/{name}.yaml: `name: {}` differs from the file name",
                    dialect.name
                ));
            }
            dialects.insert((*name).to_string(), Arc::new(dialect));
        }
        Ok(Catalog { env, dialects })
    }

    /// The dialect of a canonical platform name.
    pub(crate) fn dialect(&self, platform: &str) -> Option<Arc<Dialect>> {
        self.dialects.get(platform).cloned()
    }

    /// The dialect of a built-in platform without a file of its own, built from its family's
    /// and its definition (once; later calls find it).
    pub(crate) fn derive(&mut self, platform: &str) -> Result<Option<Arc<Dialect>>, String> {
        if let Some(dialect) = self.dialect(platform) {
            return Ok(Some(dialect));
        }
        let Some(def) = crate::platform::Platforms::builtin().get(platform) else {
            return Ok(None);
        };
        let mut yaml = resolve(super::derive::family(def), 0)?;
        dialect::merge(&mut yaml, super::derive::patch(def)?);
        let dialect = Arc::new(
            dialect::compile(yaml, &mut self.env)
                .map_err(|e| format!("platform {platform}: {e}"))?,
        );
        self.dialects
            .insert(dialect.name.clone(), Arc::clone(&dialect));
        if dialect.name != platform {
            self.dialects
                .insert(platform.to_string(), Arc::clone(&dialect));
        }
        Ok(Some(dialect))
    }

    /// Renders a named template over `ctx`.
    pub(crate) fn render(
        &self,
        template: &str,
        ctx: minijinja::Value,
    ) -> Result<String, minijinja::Error> {
        self.env.get_template(template)?.render(ctx)
    }

    /// Renders a named template over a JSON context (device preparation).
    pub(crate) fn render_json(
        &self,
        template: &str,
        ctx: &Value,
    ) -> Result<String, minijinja::Error> {
        self.render(
            template,
            minijinja::Value::from(minijinja::value::Serde(ctx)),
        )
    }
}

/// A dialect file as YAML with its `extends` chain merged in.
fn resolve(name: &str, depth: usize) -> Result<serde_yaml::Value, String> {
    let embedded = SOURCES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| *s)
        .ok_or_else(|| format!("no dialect {name:?}"))?;
    // Dialect authors point NETRUN_LAB_DIALECTS at their copy of `dialects/` to try changes
    // without rebuilding; files missing there are the embedded ones.
    let edited = std::env::var_os("NETRUN_LAB_DIALECTS").and_then(|dir| {
        std::fs::read_to_string(std::path::Path::new(&dir).join(format!("{name}.yaml"))).ok()
    });
    let source = edited.as_deref().unwrap_or(embedded);
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(source).map_err(|e| format!("dialects/{name}.yaml: {e}"))?;
    let parent = yaml
        .get("extends")
        .and_then(|p| p.as_str())
        .map(str::to_string);
    match parent {
        None => Ok(yaml),
        Some(_) if depth > 4 => Err(format!("dialects/{name}.yaml: `extends` chain too long")),
        Some(parent) => {
            let mut base = resolve(&parent, depth + 1)?;
            dialect::merge(&mut base, yaml);
            Ok(base)
        }
    }
}

/// 32 hex digits that change with the text (ASA `Cryptochecksum:` lines): two FNV-1a hashes.
fn checksum(text: String) -> String {
    let fnv = |seed: u64| {
        text.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    format!(
        "{:016x}{:016x}",
        fnv(0xcbf2_9ce4_8422_2325),
        fnv(0x8422_2325_cbf2_9ce4)
    )
}

//! Platform data: the embedded `outputs/<platform>.yaml` files, compiled once into the program's
//! template environment.

use indexmap::IndexMap;
use minijinja::Environment;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The simulated platforms (canonical names; aliases are resolved by the caller).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Platform {
    Ios,
    Nxos,
    Iosxr,
    Eos,
    Junos,
    Linux,
}

impl Platform {
    const ALL: [Platform; 6] = [
        Platform::Ios,
        Platform::Nxos,
        Platform::Iosxr,
        Platform::Eos,
        Platform::Junos,
        Platform::Linux,
    ];

    /// Parses a canonical platform name.
    pub(crate) fn parse(name: &str) -> Option<Platform> {
        Platform::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The canonical name, also the template name prefix.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Platform::Ios => "ios",
            Platform::Nxos => "nxos",
            Platform::Iosxr => "iosxr",
            Platform::Eos => "eos",
            Platform::Junos => "junos",
            Platform::Linux => "linux",
        }
    }

    /// Cisco-style CLIs share the exec/config state machine.
    pub(crate) fn is_cisco_like(self) -> bool {
        matches!(
            self,
            Platform::Ios | Platform::Nxos | Platform::Iosxr | Platform::Eos
        )
    }

    fn source(self) -> &'static str {
        match self {
            Platform::Ios => include_str!("outputs/ios.yaml"),
            Platform::Nxos => include_str!("outputs/nxos.yaml"),
            Platform::Iosxr => include_str!("outputs/iosxr.yaml"),
            Platform::Eos => include_str!("outputs/eos.yaml"),
            Platform::Junos => include_str!("outputs/junos.yaml"),
            Platform::Linux => include_str!("outputs/linux.yaml"),
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PlatformFile {
    indent: usize,
    defaults: Map<String, Value>,
    base_config: String,
    commands: IndexMap<String, String>,
}

/// One canned command: its words and whether it takes free arguments (`key *`).
#[derive(Debug)]
pub(crate) struct CommandDef {
    pub(crate) words: Vec<String>,
    pub(crate) wildcard: bool,
    pub(crate) template: String,
}

/// Everything the lab knows about one platform.
#[derive(Debug)]
pub(crate) struct PlatformData {
    /// Spaces per nesting level in configuration output.
    pub(crate) indent: usize,
    /// Host vars used when the inventory does not set them.
    pub(crate) defaults: Map<String, Value>,
    pub(crate) commands: Vec<CommandDef>,
    pub(crate) base_template: String,
}

/// All platforms, with their templates compiled into one environment.
pub(crate) struct Catalog {
    env: Environment<'static>,
    platforms: Vec<PlatformData>,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").finish_non_exhaustive()
    }
}

impl Catalog {
    /// Parses the embedded platform files; an error here is a bug in a data file.
    pub(crate) fn load() -> Result<Catalog, String> {
        let mut env = crate::template::environment(None);
        let mut platforms = Vec::new();
        for platform in Platform::ALL {
            let file: PlatformFile = serde_yaml::from_str(platform.source())
                .map_err(|err| format!("outputs/{}.yaml: {err}", platform.name()))?;
            let base_template = format!("{}/base_config", platform.name());
            env.add_template_owned(base_template.clone(), file.base_config)
                .map_err(|err| format!("outputs/{}.yaml base_config: {err}", platform.name()))?;
            let mut commands = Vec::new();
            for (key, source) in file.commands {
                let mut words: Vec<String> = key.split_whitespace().map(str::to_string).collect();
                let wildcard = words.last().is_some_and(|w| w == "*");
                if wildcard {
                    words.pop();
                }
                let template = format!("{}/{}", platform.name(), key);
                env.add_template_owned(template.clone(), source)
                    .map_err(|err| format!("outputs/{}.yaml {key:?}: {err}", platform.name()))?;
                commands.push(CommandDef {
                    words,
                    wildcard,
                    template,
                });
            }
            platforms.push(PlatformData {
                indent: file.indent,
                defaults: file.defaults,
                commands,
                base_template,
            });
        }
        Ok(Catalog { env, platforms })
    }

    /// The data of one platform.
    pub(crate) fn platform(&self, platform: Platform) -> &PlatformData {
        // `load` pushes one entry per `Platform::ALL` member, in order.
        &self.platforms[platform.index()]
    }

    /// Renders a named template over `ctx`.
    pub(crate) fn render(&self, template: &str, ctx: &Value) -> Result<String, minijinja::Error> {
        self.env
            .get_template(template)?
            .render(minijinja::value::Serde(ctx))
    }
}

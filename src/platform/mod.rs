//! Device platforms described as data: prompts, pager, enable, config mode, error markers,
//! running configuration. The built-in set lives in `platforms.yaml` beside this file (embedded
//! at compile time), so adding or fixing a platform never needs Rust code; netrun.yaml's
//! `platforms:` patches or adds platforms (`schema::Overrides`).

pub mod exact;
mod schema;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use indexmap::IndexMap;
use regex::{Regex, RegexBuilder};
use serde::Serialize;

pub use schema::{
    ConfigSpec, ConfigStyle, EnableSpec, Examples, LoginHook, Mode, Overrides, PagerSpec, Patch,
    Pattern, PlatformFile, PlatformOverride, PromptPattern, PromptPatterns, RunningConfig,
};

/// The embedded YAML that defines the built-in platforms.
pub const BUILTIN_YAML: &str = include_str!("platforms.yaml");

/// The platform of hosts that name none, or one netrun does not know.
pub const GENERIC: &str = "generic";

/// Why platform definitions cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The YAML does not have the expected shape (unknown key, wrong type, bad regex).
    #[error("invalid platform definition: {0}")]
    Parse(#[from] serde_yaml::Error),
    /// An alias (or name) is claimed by two platforms.
    #[error("platform name or alias `{alias}` is used by both `{first}` and `{second}`")]
    DuplicateAlias {
        /// The contested name.
        alias: String,
        /// Platform that had it first.
        first: String,
        /// Platform that also wants it.
        second: String,
    },
}

/// Compiled regexes of a platform, made once when the table is built.
#[derive(Debug, Clone)]
struct Compiled {
    failures: Vec<Regex>,
    context_lines: Vec<Regex>,
    mode_from_context: Option<Regex>,
    volatile_lines: Vec<Regex>,
}

/// One device platform (a CLI dialect).
#[derive(Debug, Clone, Serialize)]
pub struct Platform {
    /// Canonical name (the YAML key).
    pub name: String,
    /// Where the definition comes from: `built-in`, or the config file that patched or added it.
    pub source: String,
    /// The definition.
    #[serde(flatten)]
    pub def: PlatformFile,
    #[serde(skip)]
    compiled: Compiled,
}

impl std::ops::Deref for Platform {
    type Target = PlatformFile;
    fn deref(&self) -> &PlatformFile {
        &self.def
    }
}

fn compile_all(patterns: &[Pattern], insensitive: bool) -> Vec<Regex> {
    patterns
        .iter()
        .filter_map(|p| {
            RegexBuilder::new(&p.0)
                .case_insensitive(insensitive)
                .build()
                .ok()
        })
        .collect()
}

impl Platform {
    fn new(name: String, source: String, def: PlatformFile) -> Platform {
        // Patterns were checked when read: compiling cannot fail here.
        let compiled = Compiled {
            failures: compile_all(&def.failures, true),
            context_lines: compile_all(&def.context_lines, false),
            mode_from_context: def
                .mode_from_context
                .as_ref()
                .and_then(|p| Regex::new(&p.0).ok()),
            volatile_lines: compile_all(&def.volatile_lines, false),
        };
        Platform {
            name,
            source,
            def,
            compiled,
        }
    }

    /// A copy of this platform with its definition changed by `change` (regexes recompiled).
    pub fn changed(&self, change: impl FnOnce(&mut PlatformFile)) -> Platform {
        let mut def = self.def.clone();
        change(&mut def);
        Platform::new(self.name.clone(), self.source.clone(), def)
    }

    /// The prompt regexes of this platform: user, then privileged and config when it has them.
    pub fn prompt_patterns(&self) -> Vec<&str> {
        let prompt = &self.def.prompt;
        std::iter::once(&prompt.user)
            .chain(prompt.privileged.as_ref())
            .chain(prompt.config.as_ref())
            .map(|p| p.0.as_str())
            .collect()
    }

    /// The pager regexes of this platform.
    pub fn pager_patterns(&self) -> Vec<&str> {
        self.def
            .pager
            .patterns
            .iter()
            .map(|p| p.0.as_str())
            .collect()
    }

    /// The prompt patterns of this device's session once its base name is known.
    pub fn exact_prompts(&self, base: &str) -> ExactPrompts {
        let exact = |p: &PromptPattern| exact::with_base(&p.0, base).unwrap_or_else(|| p.0.clone());
        let prompt = &self.def.prompt;
        ExactPrompts {
            user: exact(&prompt.user),
            privileged: prompt.privileged.as_ref().map(exact),
            config: prompt.config.as_ref().map(exact),
        }
    }

    /// The base name a prompt line shows, by the first mode pattern that matches it.
    pub fn base_of(&self, line: &str) -> Option<String> {
        let prompt = &self.def.prompt;
        std::iter::once(&prompt.user)
            .chain(prompt.privileged.as_ref())
            .chain(prompt.config.as_ref())
            .find_map(|p| exact::capture_base(&p.0, line))
    }

    /// Whether `line` is one of the device's rejection messages.
    pub fn failure_marker_in(&self, line: &str) -> bool {
        let line = line.trim();
        self.compiled.failures.iter().any(|re| re.is_match(line))
    }

    /// Whether `line` is a context line printed above the prompt (not output).
    pub fn is_context_line(&self, line: &str) -> bool {
        let line = line.trim_end();
        self.compiled
            .context_lines
            .iter()
            .any(|re| re.is_match(line))
    }

    /// Whether the context line above the prompt says configuration mode (platforms whose
    /// prompt is the same in every mode).
    pub fn context_means_config(&self, line: &str) -> Option<bool> {
        self.compiled
            .mode_from_context
            .as_ref()
            .map(|re| re.is_match(line.trim_end()))
    }

    /// Whether a running-configuration line changes on every read (a timestamp).
    pub fn is_volatile(&self, line: &str) -> bool {
        self.compiled
            .volatile_lines
            .iter()
            .any(|re| re.is_match(line))
    }
}

/// A session's prompt patterns with the device's name in them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExactPrompts {
    /// User mode.
    pub user: String,
    /// Privileged mode.
    pub privileged: Option<String>,
    /// Configuration mode.
    pub config: Option<String>,
}

impl ExactPrompts {
    /// Regex source matching this device's prompt in any mode.
    pub fn any(&self) -> String {
        std::iter::once(&self.user)
            .chain(self.privileged.as_ref())
            .chain(self.config.as_ref())
            .map(|p| format!("(?:{p})"))
            .collect::<Vec<_>>()
            .join("|")
    }
}

/// The set of known platforms, looked up by canonical name or alias.
#[derive(Debug, Clone)]
pub struct Platforms {
    // Shared so that every SSH session of a run points at one copy instead of cloning it.
    by_name: IndexMap<String, Arc<Platform>>,
    // lowercase alias or name -> canonical name
    aliases: HashMap<String, String>,
}

impl Platforms {
    /// The platforms shipped with netrun, parsed once per process.
    pub fn builtin() -> &'static Platforms {
        static BUILTIN: OnceLock<Platforms> = OnceLock::new();
        // The embedded file is covered by unit tests, so failing here is a build defect.
        BUILTIN.get_or_init(|| {
            Self::from_yaml(BUILTIN_YAML, "built-in").expect("embedded platforms.yaml is valid")
        })
    }

    /// Parses a complete platform table (the format of the built-in file).
    pub fn from_yaml(text: &str, source: &str) -> Result<Platforms, PlatformError> {
        let raw: IndexMap<String, PlatformFile> = serde_yaml::from_str(text)?;
        let by_name = raw
            .into_iter()
            .map(|(name, def)| {
                let name = name.to_lowercase();
                (
                    name.clone(),
                    Arc::new(Platform::new(name, source.to_string(), def)),
                )
            })
            .collect();
        Self::index(by_name)
    }

    fn index(by_name: IndexMap<String, Arc<Platform>>) -> Result<Platforms, PlatformError> {
        let mut aliases: HashMap<String, String> = HashMap::new();
        for p in by_name.values() {
            for alias in std::iter::once(&p.name).chain(p.def.aliases.iter()) {
                let key = alias.to_lowercase();
                match aliases.get(&key) {
                    Some(first) if first != &p.name => {
                        return Err(PlatformError::DuplicateAlias {
                            alias: key,
                            first: first.clone(),
                            second: p.name.clone(),
                        });
                    }
                    Some(_) => {}
                    None => {
                        aliases.insert(key, p.name.clone());
                    }
                }
            }
        }
        Ok(Platforms { by_name, aliases })
    }

    /// Look up a platform by canonical name or alias (case-insensitive).
    pub fn get(&self, name_or_alias: &str) -> Option<&Platform> {
        self.shared(name_or_alias).map(|p| &**p)
    }

    /// Like [`Platforms::get`], as a shared handle a session can keep.
    pub fn shared(&self, name_or_alias: &str) -> Option<&Arc<Platform>> {
        let canonical = self.aliases.get(&name_or_alias.trim().to_lowercase())?;
        self.by_name.get(canonical)
    }

    /// The canonical name of a platform given by name or alias (case-insensitive).
    pub fn canonical(&self, name_or_alias: &str) -> Option<&str> {
        self.aliases
            .get(&name_or_alias.trim().to_lowercase())
            .map(String::as_str)
    }

    /// Canonical names, in definition order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// Every name and alias a platform can be given by, lowercase, in no particular order.
    pub fn spellings(&self) -> impl Iterator<Item = &str> {
        self.aliases.keys().map(String::as_str)
    }

    /// Every platform, in definition order.
    pub fn all(&self) -> impl Iterator<Item = &Arc<Platform>> {
        self.by_name.values()
    }

    /// This table with netrun.yaml's `platforms:` applied (from config file `source`): patches
    /// existing platforms (by name or alias) and adds new ones. All-or-nothing.
    pub fn with_overrides(
        &self,
        overrides: &Overrides,
        source: &str,
    ) -> Result<Platforms, PlatformError> {
        let mut by_name = self.by_name.clone();
        let mut aliases = self.aliases.clone();
        for (name, ov) in &overrides.0 {
            let key = name.to_lowercase();
            let (canonical, mut def) = match (aliases.get(&key), &ov.base) {
                (Some(canonical), _) => {
                    let def = by_name
                        .get(canonical)
                        .map(|p| p.def.clone())
                        .ok_or_else(|| unknown(name))?;
                    (canonical.clone(), def)
                }
                (None, Some(base)) => {
                    let base = aliases
                        .get(&base.to_lowercase())
                        .ok_or_else(|| unknown(base))?;
                    let mut def = by_name
                        .get(base)
                        .map(|p| p.def.clone())
                        .ok_or_else(|| unknown(base))?;
                    // A derived platform does not inherit the base's aliases.
                    def.aliases.clear();
                    (key.clone(), def)
                }
                (None, None) => {
                    // Checked when read: a new platform without a base has a user prompt.
                    let user = ov
                        .prompt
                        .as_ref()
                        .and_then(|p| p.user.clone())
                        .ok_or_else(|| unknown(name))?;
                    (key.clone(), bare(user))
                }
            };
            apply(&mut def, ov.clone());
            aliases.insert(canonical.clone(), canonical.clone());
            for alias in &def.aliases {
                aliases
                    .entry(alias.to_lowercase())
                    .or_insert_with(|| canonical.clone());
            }
            let platform = Platform::new(canonical.clone(), source.to_string(), def);
            by_name.insert(canonical, Arc::new(platform));
        }
        Self::index(by_name)
    }
}

/// An error for a base or patched platform that cannot be found (checked when read; kept so
/// that a table built by hand fails cleanly too).
fn unknown(name: &str) -> PlatformError {
    PlatformError::Parse(serde::de::Error::custom(format!(
        "platform `{name}` is unknown"
    )))
}

/// A new platform with only a user prompt.
fn bare(user: PromptPattern) -> PlatformFile {
    PlatformFile {
        aliases: Vec::new(),
        prompt: PromptPatterns {
            user,
            privileged: None,
            config: None,
        },
        context_lines: Vec::new(),
        mode_from_context: None,
        on_open: Vec::new(),
        pager: PagerSpec::default(),
        enable: None,
        config: None,
        failures: Vec::new(),
        marker: false,
        login_hooks: Vec::new(),
        username_suffix: None,
        running_config: None,
        volatile_lines: Vec::new(),
        default_mode: Mode::Shell,
        save_config: None,
        examples: Examples::default(),
    }
}

fn apply(p: &mut PlatformFile, ov: PlatformOverride) {
    if let Some(aliases) = ov.aliases {
        for a in aliases {
            if !p.aliases.iter().any(|x| x.eq_ignore_ascii_case(&a)) {
                p.aliases.push(a);
            }
        }
    }
    if let Some(prompt) = ov.prompt {
        if let Some(u) = prompt.user {
            p.prompt.user = u;
        }
        prompt.privileged.apply(&mut p.prompt.privileged);
        prompt.config.apply(&mut p.prompt.config);
    }
    if let Some(v) = ov.context_lines {
        p.context_lines = v;
    }
    ov.mode_from_context.apply(&mut p.mode_from_context);
    if let Some(v) = ov.on_open {
        p.on_open = v;
    }
    if let Some(v) = ov.pager {
        p.pager = v;
    }
    ov.enable.apply(&mut p.enable);
    ov.config.apply(&mut p.config);
    if let Some(v) = ov.failures {
        p.failures = v;
    }
    if let Some(v) = ov.marker {
        p.marker = v;
    }
    if let Some(v) = ov.login_hooks {
        p.login_hooks = v;
    }
    ov.username_suffix.apply(&mut p.username_suffix);
    ov.running_config.apply(&mut p.running_config);
    if let Some(v) = ov.volatile_lines {
        p.volatile_lines = v;
    }
    if let Some(v) = ov.default_mode {
        p.default_mode = v;
    }
}

#[cfg(test)]
mod tests;

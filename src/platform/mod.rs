//! Device platforms described as data: prompts, pager, enable, config mode and error markers.
//!
//! The built-in set lives in `platforms.yaml` beside this file (embedded at compile time) so that
//! adding or fixing a platform never needs Rust code; users can patch or add platforms at run
//! time with [`Platforms::merge_overrides`].

use indexmap::IndexMap;
use regex::Regex;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// The embedded YAML that defines the built-in platforms.
pub const BUILTIN_YAML: &str = include_str!("platforms.yaml");

/// Errors raised while loading or overriding platform definitions.
#[derive(Debug, thiserror::Error)]
pub enum PlatformError {
    /// The YAML does not have the expected shape (unknown key, wrong type, ...).
    #[error("invalid platform definition: {0}")]
    Parse(#[from] serde_yaml::Error),
    /// A regex in a platform definition does not compile.
    #[error("platform '{platform}': {field} is not a valid regex ({pattern:?}): {source}")]
    Regex {
        /// Canonical platform name.
        platform: String,
        /// Which field holds the bad pattern.
        field: String,
        /// The pattern as written.
        pattern: String,
        /// The compiler's complaint.
        source: regex::Error,
    },
    /// An alias (or name) is claimed by two platforms.
    #[error("platform name or alias '{alias}' is used by both '{first}' and '{second}'")]
    DuplicateAlias {
        /// The contested name.
        alias: String,
        /// Platform that had it first.
        first: String,
        /// Platform that also wants it.
        second: String,
    },
    /// A new platform was declared without a `base` and without a user prompt.
    #[error("new platform '{0}' needs either `base: <existing platform>` or `prompt.user`")]
    Incomplete(String),
    /// `base:` names a platform that does not exist.
    #[error("platform '{platform}': base platform '{base}' is unknown")]
    UnknownBase {
        /// The platform being defined.
        platform: String,
        /// The missing base.
        base: String,
    },
}

/// How commands are run on a device: an interactive CLI shell or one SSH exec per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Interactive shell on a PTY, driven by prompt matching (network devices).
    #[default]
    Shell,
    /// One exec channel per command with exit status (servers).
    Exec,
}

/// Prompt regexes for each CLI mode; each matches a whole (trimmed) last line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptPatterns {
    /// Unprivileged / operational prompt (`router>`).
    pub user: String,
    /// Privileged exec prompt (`router#`), if the platform has one.
    #[serde(default)]
    pub privileged: Option<String>,
    /// Configuration-mode prompt (`router(config)#`), if distinct.
    #[serde(default)]
    pub config: Option<String>,
}

/// Pager ("--More--") handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerSpec {
    /// Regexes that recognise a pager prompt in the last line.
    #[serde(default)]
    pub patterns: Vec<String>,
    /// What to write to make the pager continue.
    #[serde(default = "default_pager_send")]
    pub send: String,
}

fn default_pager_send() -> String {
    " ".to_string()
}

impl Default for PagerSpec {
    fn default() -> Self {
        PagerSpec {
            patterns: Vec::new(),
            send: default_pager_send(),
        }
    }
}

/// How to get from user to privileged mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnableSpec {
    /// Command that asks for privilege (`enable`).
    pub command: String,
    /// Regex for the password question the device asks.
    pub password_prompt: String,
}

/// How to enter and leave configuration mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// Commands that enter configuration mode.
    pub enter: Vec<String>,
    /// Commands that apply (if needed) and leave configuration mode.
    pub exit: Vec<String>,
    /// Commands that leave configuration mode after an error; defaults to `exit`.
    #[serde(default)]
    pub abort: Option<Vec<String>>,
}

impl ConfigSpec {
    /// Commands to run when leaving configuration mode after a failed line.
    pub fn abort_commands(&self) -> &[String] {
        self.abort.as_deref().unwrap_or(&self.exit)
    }
}

/// One device platform (a CLI dialect).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Platform {
    /// Canonical name (the YAML key); filled in on load.
    #[serde(default)]
    pub name: String,
    /// Other names accepted for this platform (nornir/netmiko/scrapli spellings).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Prompt regexes.
    pub prompt: PromptPatterns,
    /// Commands sent once after the first prompt (disable paging, widen the terminal, ...).
    #[serde(default)]
    pub on_open: Vec<String>,
    /// Pager handling.
    #[serde(default)]
    pub pager: PagerSpec,
    /// Enable (privilege escalation), if the platform has it.
    #[serde(default)]
    pub enable: Option<EnableSpec>,
    /// Configuration mode, if the platform has one.
    #[serde(default)]
    pub config: Option<ConfigSpec>,
    /// Case-insensitive substrings that mean the device rejected a command.
    #[serde(default)]
    pub failures: Vec<String>,
    /// Shell or exec when the inventory does not say.
    #[serde(default)]
    pub default_mode: Mode,
}

impl Platform {
    /// Regex source matching any prompt of this platform (user, privileged or config).
    pub fn any_prompt_pattern(&self) -> String {
        let mut parts = vec![self.prompt.user.as_str()];
        parts.extend(self.prompt.privileged.as_deref());
        parts.extend(self.prompt.config.as_deref());
        parts
            .iter()
            .map(|p| format!("(?:{p})"))
            .collect::<Vec<_>>()
            .join("|")
    }

    /// Check that every regex of the platform compiles.
    pub fn validate(&self) -> Result<(), PlatformError> {
        let mut checks: Vec<(String, &str)> = vec![("prompt.user".into(), &self.prompt.user)];
        if let Some(p) = &self.prompt.privileged {
            checks.push(("prompt.privileged".into(), p));
        }
        if let Some(p) = &self.prompt.config {
            checks.push(("prompt.config".into(), p));
        }
        if let Some(e) = &self.enable {
            checks.push(("enable.password_prompt".into(), &e.password_prompt));
        }
        for (i, p) in self.pager.patterns.iter().enumerate() {
            checks.push((format!("pager.patterns[{i}]"), p));
        }
        for (field, pattern) in checks {
            Regex::new(pattern).map_err(|source| PlatformError::Regex {
                platform: self.name.clone(),
                field,
                pattern: pattern.to_string(),
                source,
            })?;
        }
        Ok(())
    }

    /// Whether `line` (case-insensitively) contains one of the failure markers.
    pub fn failure_marker_in(&self, line: &str) -> bool {
        self.failures
            .iter()
            .any(|m| !m.is_empty() && contains_ignoring_case(line, m))
    }
}

/// Whether `haystack` contains `needle`, ignoring case. Checked on every output line of every
/// command, so the common ASCII case compares bytes in place instead of lowercasing copies.
fn contains_ignoring_case(haystack: &str, needle: &str) -> bool {
    if needle.is_ascii() {
        let needle = needle.as_bytes();
        haystack
            .as_bytes()
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
    } else {
        haystack.to_lowercase().contains(&needle.to_lowercase())
    }
}

/// A partial platform used to patch an existing one or derive a new one (`base:`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformOverride {
    /// Start from this platform when defining a new one.
    #[serde(default)]
    pub base: Option<String>,
    /// Extra aliases (added to the existing ones).
    #[serde(default)]
    pub aliases: Option<Vec<String>>,
    /// Replacement prompt patterns (fields given replace, others stay).
    #[serde(default)]
    pub prompt: Option<PromptOverride>,
    /// Replacement on-open commands.
    #[serde(default)]
    pub on_open: Option<Vec<String>>,
    /// Replacement pager handling.
    #[serde(default)]
    pub pager: Option<PagerSpec>,
    /// Replacement enable handling.
    #[serde(default)]
    pub enable: Option<EnableSpec>,
    /// Replacement config mode handling.
    #[serde(default)]
    pub config: Option<ConfigSpec>,
    /// Replacement failure markers.
    #[serde(default)]
    pub failures: Option<Vec<String>>,
    /// Replacement default mode.
    #[serde(default)]
    pub default_mode: Option<Mode>,
}

/// Prompt fields of an override; each one given replaces the platform's.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptOverride {
    /// Replacement user prompt regex.
    #[serde(default)]
    pub user: Option<String>,
    /// Replacement privileged prompt regex.
    #[serde(default)]
    pub privileged: Option<String>,
    /// Replacement config prompt regex.
    #[serde(default)]
    pub config: Option<String>,
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
    /// The platforms shipped with netrun.
    pub fn builtin() -> Platforms {
        // The embedded file is covered by unit tests, so failing here is a build defect.
        Self::from_yaml(BUILTIN_YAML).expect("embedded platforms.yaml is valid")
    }

    /// Parse a complete platform table (same format as the built-in file).
    pub fn from_yaml(text: &str) -> Result<Platforms, PlatformError> {
        let raw: IndexMap<String, Platform> = serde_yaml::from_str(text)?;
        let mut by_name = IndexMap::new();
        for (name, mut p) in raw {
            p.name = name.to_lowercase();
            by_name.insert(p.name.clone(), Arc::new(p));
        }
        Self::index(by_name)
    }

    fn index(by_name: IndexMap<String, Arc<Platform>>) -> Result<Platforms, PlatformError> {
        let mut aliases: HashMap<String, String> = HashMap::new();
        for p in by_name.values() {
            p.validate()?;
            for alias in std::iter::once(&p.name).chain(p.aliases.iter()) {
                let key = alias.to_lowercase();
                if let Some(first) = aliases.get(&key) {
                    if first != &p.name {
                        return Err(PlatformError::DuplicateAlias {
                            alias: key,
                            first: first.clone(),
                            second: p.name.clone(),
                        });
                    }
                    continue;
                }
                aliases.insert(key, p.name.clone());
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

    /// Apply user overrides given as YAML (`{name: PlatformOverride}`), e.g. from netrun.yaml.
    pub fn merge_overrides_value(
        &mut self,
        overrides: serde_yaml::Value,
    ) -> Result<(), PlatformError> {
        let typed: IndexMap<String, PlatformOverride> = serde_yaml::from_value(overrides)?;
        self.merge_overrides(typed)
    }

    /// Apply typed overrides: patch existing platforms (by name or alias) or add new ones.
    ///
    /// All-or-nothing: on error `self` is left unchanged.
    pub fn merge_overrides(
        &mut self,
        overrides: IndexMap<String, PlatformOverride>,
    ) -> Result<(), PlatformError> {
        let mut by_name = self.by_name.clone();
        for (name, ov) in overrides {
            let key = name.to_lowercase();
            let existing = self.aliases.get(&key).cloned();
            let mut platform = match (&existing, &ov.base) {
                (Some(canonical), _) => by_name
                    .get(canonical)
                    .map(|p| Platform::clone(p))
                    .ok_or_else(|| PlatformError::Incomplete(name.clone()))?,
                (None, Some(base)) => {
                    let base_name = self.aliases.get(&base.to_lowercase()).ok_or_else(|| {
                        PlatformError::UnknownBase {
                            platform: name.clone(),
                            base: base.clone(),
                        }
                    })?;
                    let mut p = by_name
                        .get(base_name)
                        .map(|p| Platform::clone(p))
                        .ok_or_else(|| PlatformError::Incomplete(name.clone()))?;
                    // A derived platform does not inherit the base's aliases.
                    p.aliases.clear();
                    p.name = key.clone();
                    p
                }
                (None, None) => {
                    let user = ov
                        .prompt
                        .as_ref()
                        .and_then(|p| p.user.clone())
                        .ok_or_else(|| PlatformError::Incomplete(name.clone()))?;
                    Platform {
                        name: key.clone(),
                        aliases: Vec::new(),
                        prompt: PromptPatterns {
                            user,
                            privileged: None,
                            config: None,
                        },
                        on_open: Vec::new(),
                        pager: PagerSpec::default(),
                        enable: None,
                        config: None,
                        failures: Vec::new(),
                        default_mode: Mode::Shell,
                    }
                }
            };
            apply_override(&mut platform, ov);
            by_name.insert(platform.name.clone(), Arc::new(platform));
        }
        *self = Self::index(by_name)?;
        Ok(())
    }
}

fn apply_override(p: &mut Platform, ov: PlatformOverride) {
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
        if prompt.privileged.is_some() {
            p.prompt.privileged = prompt.privileged;
        }
        if prompt.config.is_some() {
            p.prompt.config = prompt.config;
        }
    }
    if let Some(v) = ov.on_open {
        p.on_open = v;
    }
    if let Some(v) = ov.pager {
        p.pager = v;
    }
    if ov.enable.is_some() {
        p.enable = ov.enable;
    }
    if ov.config.is_some() {
        p.config = ov.config;
    }
    if let Some(v) = ov.failures {
        p.failures = v;
    }
    if let Some(v) = ov.default_mode {
        p.default_mode = v;
    }
}

#[cfg(test)]
mod tests;

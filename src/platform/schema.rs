//! The shape of a platform definition, as `platforms.yaml` and netrun.yaml's `platforms:`
//! write it. Every regex is compiled while the file is read, so a bad one is reported at its
//! line and column.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// A regular expression, checked when it is read (case-insensitive when `INSENSITIVE`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Pattern(pub String);

impl<'de> Deserialize<'de> for Pattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Pattern;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a regular expression")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Pattern, E> {
                match regex::Regex::new(v) {
                    Ok(_) => Ok(Pattern(v.to_string())),
                    Err(err) => {
                        let text = err.to_string();
                        let reason = text
                            .lines()
                            .find_map(|l| l.strip_prefix("error: "))
                            .unwrap_or("it does not compile");
                        Err(E::custom(format!("`{v}` is not a valid regex: {reason}")))
                    }
                }
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// A prompt regex: checked like a [`Pattern`], and required to capture the device's base name
/// in a group `(?P<base>...)`, from which netrun builds the exact prompt of the session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct PromptPattern(pub String);

impl<'de> Deserialize<'de> for PromptPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let Pattern(text) = Pattern::deserialize(deserializer)?;
        if super::exact::base_group(&text).is_none() {
            return Err(de::Error::custom(format!(
                "prompt `{text}` has no `(?P<base>...)` group: netrun needs it to learn the device's name"
            )));
        }
        Ok(PromptPattern(text))
    }
}

/// Prompt regexes per CLI mode; each matches a whole (trimmed) last line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptPatterns {
    /// Unprivileged / operational prompt (`router>`).
    pub user: PromptPattern,
    /// Privileged exec prompt (`router#`), if the platform has one.
    #[serde(default)]
    pub privileged: Option<PromptPattern>,
    /// Configuration-mode prompt (`router(config)#`), if distinct.
    #[serde(default)]
    pub config: Option<PromptPattern>,
}

/// How a command is run: an interactive CLI shell, or one SSH exec per command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Interactive shell on a PTY, driven by prompt matching (network devices).
    #[default]
    Shell,
    /// One exec channel per command with exit status (servers).
    Exec,
}

/// Pager ("--More--") handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagerSpec {
    /// Regexes that recognise a pager prompt in the last line.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
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
    pub password_prompt: Pattern,
}

/// How to enter and leave configuration mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigSpec {
    /// Commands that enter configuration mode.
    pub enter: Vec<String>,
    /// Commands that apply (commit, where the platform has a candidate) and leave.
    pub exit: Vec<String>,
    /// Commands that leave configuration mode after an error, discarding what they can;
    /// `exit` when absent.
    #[serde(default)]
    pub abort: Option<Vec<String>>,
    /// Changes go to a candidate configuration that `exit` commits.
    #[serde(default)]
    pub commit_model: bool,
    /// The command that shows the uncommitted change (`show | compare`).
    #[serde(default)]
    pub candidate_diff: Option<String>,
}

impl ConfigSpec {
    /// Commands to run when leaving configuration mode after a failed line.
    pub fn abort_commands(&self) -> &[String] {
        self.abort.as_deref().unwrap_or(&self.exit)
    }
}

/// How lines of the running configuration relate to each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigStyle {
    /// Sections by indentation (IOS).
    Indent,
    /// Flat full-path `set` lines (Junos `| display set`).
    Set,
    /// `{ }` blocks.
    Braces,
    /// One command per line, no hierarchy.
    Flat,
    /// Not line-matchable.
    None,
}

/// How to read the running configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunningConfig {
    /// The command that prints it.
    pub command: String,
    /// How its lines nest.
    pub style: ConfigStyle,
}

/// A question the device may ask around login, and the answer to send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginHook {
    /// Regex on the last line.
    #[serde(rename = "match")]
    pub pattern: Pattern,
    /// The answer (`{username}` and `{password}` stand for the credentials).
    pub send: String,
    /// Why, for people reading the definition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Lines a definition's prompts must and must not match (checked by unit tests).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    /// User-mode prompts.
    #[serde(default)]
    pub user: Vec<String>,
    /// Privileged prompts.
    #[serde(default)]
    pub privileged: Vec<String>,
    /// Configuration-mode prompts.
    #[serde(default)]
    pub config: Vec<String>,
    /// Lines no prompt may match.
    #[serde(default)]
    pub not_prompt: Vec<String>,
    /// Output lines that do look like prompts (what exact prompts are for).
    #[serde(default)]
    pub lookalikes: Vec<String>,
    /// Lines `context_lines` must match.
    #[serde(default)]
    pub context: Vec<String>,
}

/// One platform as the built-in table writes it (every field but `name`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFile {
    /// Other names accepted (netmiko, scrapli, napalm spellings).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Prompt regexes.
    pub prompt: PromptPatterns,
    /// Lines printed just above the prompt that are not output (Junos `{master:0}`).
    #[serde(default)]
    pub context_lines: Vec<Pattern>,
    /// A context line that means configuration mode, for platforms whose prompt looks the same
    /// in every mode.
    #[serde(default)]
    pub mode_from_context: Option<Pattern>,
    /// Commands sent once after login (paging off, width).
    #[serde(default)]
    pub on_open: Vec<String>,
    /// Pager handling.
    #[serde(default)]
    pub pager: PagerSpec,
    /// Privilege escalation, if the platform has it.
    #[serde(default)]
    pub enable: Option<EnableSpec>,
    /// Configuration mode, if the platform has one.
    #[serde(default)]
    pub config: Option<ConfigSpec>,
    /// Case-insensitive regexes that mean the device rejected a command.
    #[serde(default)]
    pub failures: Vec<Pattern>,
    /// A POSIX shell: commands end with a marker that carries their exit status.
    #[serde(default)]
    pub marker: bool,
    /// Questions around login and their answers.
    #[serde(default)]
    pub login_hooks: Vec<LoginHook>,
    /// Appended to the user name at login (MikroTik `+ct`).
    #[serde(default)]
    pub username_suffix: Option<String>,
    /// How to read the running configuration.
    #[serde(default)]
    pub running_config: Option<RunningConfig>,
    /// Running-configuration lines that change on every read (timestamps).
    #[serde(default)]
    pub volatile_lines: Vec<Pattern>,
    /// Shell or exec when the inventory does not say.
    #[serde(default)]
    pub default_mode: Mode,
    /// The command that saves the configuration (documentation).
    #[serde(default)]
    pub save_config: Option<String>,
    /// Lines the prompts must and must not match.
    #[serde(default, skip_serializing)]
    pub examples: Examples,
}

/// A field of an override: left out (keep the base's), `null` (remove it), or a new value.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Patch<T> {
    /// Not given.
    #[default]
    Keep,
    /// `null`: remove what the base has.
    Remove,
    /// Replace with this.
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            Some(value) => Patch::Set(value),
            None => Patch::Remove,
        })
    }
}

impl<T> Patch<T> {
    /// Applies the patch to an optional field.
    pub fn apply(self, field: &mut Option<T>) {
        match self {
            Patch::Keep => {}
            Patch::Remove => *field = None,
            Patch::Set(value) => *field = Some(value),
        }
    }
}

/// Prompt fields of an override; each one given replaces the platform's (`null` removes the
/// privileged or config prompt).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptOverride {
    /// Replacement user prompt regex.
    #[serde(default)]
    pub user: Option<PromptPattern>,
    /// Replacement privileged prompt regex.
    #[serde(default)]
    pub privileged: Patch<PromptPattern>,
    /// Replacement config prompt regex.
    #[serde(default)]
    pub config: Patch<PromptPattern>,
}

/// A partial platform that patches an existing one or derives a new one (`base:`), as
/// netrun.yaml's `platforms:` writes it.
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
    /// Replacement context lines.
    #[serde(default)]
    pub context_lines: Option<Vec<Pattern>>,
    /// Replacement configuration-mode context line (`null` removes it).
    #[serde(default)]
    pub mode_from_context: Patch<Pattern>,
    /// Replacement on-open commands.
    #[serde(default)]
    pub on_open: Option<Vec<String>>,
    /// Replacement pager handling.
    #[serde(default)]
    pub pager: Option<PagerSpec>,
    /// Replacement enable handling (`null` removes it).
    #[serde(default)]
    pub enable: Patch<EnableSpec>,
    /// Replacement config mode handling (`null` removes it).
    #[serde(default)]
    pub config: Patch<ConfigSpec>,
    /// Replacement failure regexes.
    #[serde(default)]
    pub failures: Option<Vec<Pattern>>,
    /// Replacement marker setting.
    #[serde(default)]
    pub marker: Option<bool>,
    /// Replacement login hooks.
    #[serde(default)]
    pub login_hooks: Option<Vec<LoginHook>>,
    /// Replacement user-name suffix (`null` removes it).
    #[serde(default)]
    pub username_suffix: Patch<String>,
    /// Replacement running-config reading (`null` removes it).
    #[serde(default)]
    pub running_config: Patch<RunningConfig>,
    /// Replacement volatile lines.
    #[serde(default)]
    pub volatile_lines: Option<Vec<Pattern>>,
    /// Replacement default mode.
    #[serde(default)]
    pub default_mode: Option<Mode>,
}

/// netrun.yaml's `platforms:`: overrides by name, in file order, each checked against the
/// platforms known when it is read (built-in ones and those defined above it), so that an
/// unknown base or a missing prompt is reported at the entry's own line.
#[derive(Debug, Clone, Default)]
pub struct Overrides(pub IndexMap<String, PlatformOverride>);

impl<'de> Deserialize<'de> for Overrides {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Overrides;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping of platform names to definitions")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Overrides, E> {
                Ok(Overrides::default())
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Overrides, A::Error> {
                let builtin = super::Platforms::builtin();
                let mut out: IndexMap<String, PlatformOverride> = IndexMap::new();
                while let Some(name) = map.next_key::<String>()? {
                    let known = |n: &str| {
                        builtin.canonical(n).is_some()
                            || out.keys().any(|k| k.eq_ignore_ascii_case(n))
                    };
                    let exists = known(&name);
                    let entry: PlatformOverride = map.next_value_seed(Checked {
                        name: &name,
                        exists,
                        known: &known,
                    })?;
                    if out.contains_key(&name) {
                        return Err(de::Error::custom(format!("duplicate platform `{name}`")));
                    }
                    out.insert(name, entry);
                }
                Ok(Overrides(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

/// Reads one override and checks it against the known platforms while its mapping is being
/// read, which is when serde_yaml can still give the error its position.
struct Checked<'a, F: Fn(&str) -> bool> {
    name: &'a str,
    exists: bool,
    known: &'a F,
}

impl<'de, F: Fn(&str) -> bool> de::DeserializeSeed<'de> for Checked<'_, F> {
    type Value = PlatformOverride;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de, F: Fn(&str) -> bool> Visitor<'de> for Checked<'_, F> {
    type Value = PlatformOverride;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a platform definition")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<PlatformOverride, A::Error> {
        let entry = PlatformOverride::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let name = self.name;
        if let Some(base) = &entry.base {
            if self.exists {
                return Err(de::Error::custom(format!(
                    "platform `{name}` exists already; `base:` only derives new platforms (patch it without `base:`)"
                )));
            }
            if !(self.known)(base) {
                return Err(de::Error::custom(format!(
                    "platform `{name}`: base platform `{base}` is unknown (`netrun platforms` lists them)"
                )));
            }
        } else if !self.exists && entry.prompt.as_ref().is_none_or(|p| p.user.is_none()) {
            return Err(de::Error::custom(format!(
                "new platform `{name}` needs `base: <existing platform>` or `prompt.user`"
            )));
        }
        if let Some(alias) = entry
            .aliases
            .iter()
            .flatten()
            .find(|a| !a.eq_ignore_ascii_case(name) && (self.known)(a))
        {
            return Err(de::Error::custom(format!(
                "platform `{name}`: alias `{alias}` already names a platform"
            )));
        }
        Ok(entry)
    }
}

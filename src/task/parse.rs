//! `parse:` on command steps: the device's text becomes records through TextFSM templates —
//! the one the ntc-templates index gives the host's platform and the command, or a template file
//! of the task templates directory — each compiled once per run and shared by every host.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

use crate::result::Parsed;
use crate::textfsm::{Library, LibraryError, Records};

/// A step's `parse:`.
#[derive(Clone, Debug, PartialEq)]
pub enum ParseSpec {
    /// `parse: textfsm`: the template the ntc-templates index gives the platform and command.
    Index,
    /// `parse: {textfsm: FILE}`: a template file of the task templates directory.
    File(String),
    /// By platform name (`default` for the rest), each one of the forms above.
    ByPlatform(IndexMap<String, ParseSpec>),
}

impl ParseSpec {
    /// Whether any form in it looks templates up in the index.
    pub fn uses_index(&self) -> bool {
        match self {
            ParseSpec::Index => true,
            ParseSpec::File(_) => false,
            ParseSpec::ByPlatform(map) => map.values().any(ParseSpec::uses_index),
        }
    }
}

const EXPECTING: &str =
    "`textfsm`, `{textfsm: FILE}`, or a map of platform names (and `default`) to those";

/// One of the two single forms; `ByPlatform` values.
fn single<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ParseSpec, D::Error> {
    match ParseSpec::deserialize(deserializer)? {
        ParseSpec::ByPlatform(_) => Err(de::Error::custom(
            "a platform's parser is `textfsm` or `{textfsm: FILE}`",
        )),
        single => Ok(single),
    }
}

impl<'de> Deserialize<'de> for ParseSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ParseSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(EXPECTING)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<ParseSpec, E> {
                match v {
                    "textfsm" => Ok(ParseSpec::Index),
                    other => Err(E::custom(format!(
                        "unknown parser `{other}`: expected {EXPECTING}"
                    ))),
                }
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<ParseSpec, A::Error> {
                let mut by_platform = IndexMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "textfsm" {
                        if !by_platform.is_empty() {
                            return Err(de::Error::custom(
                                "`textfsm` cannot sit beside platform names; use `default: {textfsm: FILE}`",
                            ));
                        }
                        let file: String = map.next_value()?;
                        if let Some(other) = map.next_key::<String>()? {
                            return Err(de::Error::custom(format!(
                                "`{{textfsm: FILE}}` takes no other key, found `{other}`"
                            )));
                        }
                        return Ok(ParseSpec::File(file));
                    }
                    let value = map.next_value_seed(Single)?;
                    by_platform.insert(key, value);
                }
                if by_platform.is_empty() {
                    return Err(de::Error::custom(format!(
                        "empty parser: expected {EXPECTING}"
                    )));
                }
                Ok(ParseSpec::ByPlatform(by_platform))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Reads a map value with [`single`].
struct Single;

impl<'de> de::DeserializeSeed<'de> for Single {
    type Value = ParseSpec;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<ParseSpec, D::Error> {
        single(deserializer)
    }
}

/// [`Parsers::parse`] on the blocking pool (a long output takes a while; on a runtime thread
/// it would hold up every host's timers): the records with the text and columns, or the
/// failure message with the text.
pub(super) async fn off_runtime(
    parsers: Arc<Parsers>,
    spec: ParseSpec,
    platform: Option<Vec<String>>,
    command: String,
    text: String,
) -> Result<(serde_json::Value, Parsed), (String, Option<String>)> {
    let parsed = tokio::task::spawn_blocking(move || {
        match parsers.parse(&spec, platform.as_deref(), &command, &text) {
            Ok(records) => {
                let columns = records.header().iter().map(|h| h.to_lowercase()).collect();
                Ok((records.to_json(), Parsed { text, columns }))
            }
            Err(message) => Err((message, Some(text))),
        }
    })
    .await;
    parsed.unwrap_or_else(|err| Err((format!("parsing failed: {err}"), None)))
}

/// The TextFSM templates of a run, shared by every host.
#[derive(Debug)]
pub struct Parsers {
    /// The ntc-templates directory with its index, when a step of the run parses by index.
    pub index: Option<Arc<Library>>,
    /// Template files named by `{textfsm: FILE}`, in the task templates directory.
    pub files: Library,
}

impl Parsers {
    /// Parsers over `index` (if any) and the task templates directory `templates`.
    pub fn new(index: Option<Arc<Library>>, templates: &Path) -> Parsers {
        Parsers {
            index,
            files: Library::files(templates),
        }
    }

    /// Parses `text`, the output of `command` on a host whose platform the index may know by
    /// any of `platform` ([`crate::textfsm::index_names`]), as `spec` (a single form) says; the
    /// error is the step's failure message.
    pub(super) fn parse(
        &self,
        spec: &ParseSpec,
        platform: Option<&[String]>,
        command: &str,
        text: &str,
    ) -> Result<Records, String> {
        let parsed = match spec {
            ParseSpec::File(file) => self.files.parse_with_template(file, text),
            ParseSpec::Index | ParseSpec::ByPlatform(_) => {
                let Some(platform) = platform else {
                    return Err(
                        "cannot choose a TextFSM template: the host has no platform".to_string()
                    );
                };
                let Some(library) = &self.index else {
                    return Err("no TextFSM templates directory for this run".to_string());
                };
                library.parse_as(platform, command, text)
            }
        };
        parsed.map_err(|err| match err {
            LibraryError::Parse(err) => format!("parse failed: {err}"),
            other => other.to_string(),
        })
    }
}

//! A templates directory (ntc-templates layout: an `index` plus `*.textfsm` files) with its
//! index and every template compiled at most once, shareable across threads; plus finding the
//! directory and naming platforms the way ntc-templates does.

use super::engine::ParseError;
use super::index::{Index, IndexError};
use super::pyre::Scratch;
use super::record::{Field, Records};
use super::template::{Template, TemplateError};
use std::collections::HashMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Environment variable naming a templates directory (netmiko's convention).
pub const TEMPLATES_ENV: &str = "NET_TEXTFSM";

/// Why a templates directory could not be found.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// A directory was named (by option, config or environment) but has no `index` file.
    #[error("TextFSM templates directory {} (from {from}) has no 'index' file", dir.display())]
    NoIndex {
        /// The directory.
        dir: PathBuf,
        /// Where it was named: `--templates`, `parse.templates`, `NET_TEXTFSM`, `ntc_templates`.
        from: &'static str,
    },
    /// Nothing named a directory and no `ntc_templates` Python package was found.
    #[error(
        "no TextFSM templates directory found (looked at: {}); install them with `pip install ntc-templates` or set NET_TEXTFSM to a templates directory",
        looked.join("; ")
    )]
    NotFound {
        /// Each place tried and what was found there.
        looked: Vec<String>,
    },
}

/// A failure of [`Library`] operations.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    /// The index cannot be used.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// No index row matches the platform and command.
    #[error(
        "no TextFSM template for platform '{platform}'{} and command '{command}' in {}",
        if also.is_empty() { String::new() } else { format!(" (also looked up as {})", also.join(", ")) },
        index.display()
    )]
    NoTemplate {
        /// The platform as looked up (ntc-templates naming).
        platform: String,
        /// Other names of the platform looked up in turn ([`index_names`]).
        also: Vec<String>,
        /// The command.
        command: String,
        /// The index file consulted.
        index: PathBuf,
    },
    /// A template file cannot be read.
    #[error("cannot read template {}: {source}", path.display())]
    Io {
        /// The template file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// A template does not compile.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// The text could not be parsed (an `Error` action).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Joined templates: a Key of the first template is not a column of the joined table.
    #[error("template {template}: key column '{key}' is missing from the joined records")]
    JoinKey {
        /// The template being joined.
        template: String,
        /// The missing key.
        key: String,
    },
}

/// A template compiled on first use; its own lock makes concurrent first users wait for one compilation.
type TemplateCell = Arc<Mutex<Option<Arc<Template>>>>;

/// A templates directory with its compiled index and a cache of compiled templates.
#[derive(Debug)]
pub struct Library {
    dir: PathBuf,
    index: Index,
    templates: Mutex<HashMap<String, TemplateCell>>,
    /// Index rows already found for `platform\0command`: the same commands come back for
    /// every device, and scanning the index costs more than parsing a short output.
    rows: Mutex<HashMap<String, Option<usize>>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere cannot leave the cache inconsistent (entries are inserted whole).
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Library {
    /// Opens `dir`, reading and compiling its `index`. Templates are compiled on first use.
    pub fn open(dir: &Path) -> Result<Library, LibraryError> {
        let index = Index::load(dir)?;
        Ok(Library {
            dir: dir.to_path_buf(),
            index,
            templates: Mutex::new(HashMap::new()),
            rows: Mutex::new(HashMap::new()),
        })
    }

    /// A directory of template files used by name only ([`Library::parse_with_template`]),
    /// with no index: every [`Library::lookup`] fails.
    pub fn files(dir: &Path) -> Library {
        Library {
            dir: dir.to_path_buf(),
            index: Index::without_rows(dir.join("index")),
            templates: Mutex::new(HashMap::new()),
            rows: Mutex::new(HashMap::new()),
        }
    }

    /// The templates directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The compiled index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The compiled template at `path` (relative to the directory, or absolute), compiling it
    /// on first use; concurrent callers wait for that single compilation.
    pub fn template(&self, path: &str) -> Result<Arc<Template>, LibraryError> {
        let cell = lock(&self.templates)
            .entry(path.to_string())
            .or_default()
            .clone();
        let mut slot = lock(&cell);
        if let Some(t) = slot.as_ref() {
            return Ok(Arc::clone(t));
        }
        let full = self.dir.join(path);
        let text = std::fs::read_to_string(&full).map_err(|source| LibraryError::Io {
            path: full.clone(),
            source,
        })?;
        let compiled = Arc::new(Template::compile(&full.display().to_string(), &text)?);
        *slot = Some(Arc::clone(&compiled));
        Ok(compiled)
    }

    /// The template files the index chooses for `platform` (ntc-templates naming, see
    /// [`ntc_platform`]) and `command`.
    pub fn lookup(&self, platform: &str, command: &str) -> Result<Vec<&str>, LibraryError> {
        let key = format!("{platform}\0{command}");
        let cached = lock(&self.rows).get(&key).copied();
        let row = match cached {
            Some(row) => row,
            None => {
                let row = self.index.find_row(platform, command);
                lock(&self.rows).insert(key, row);
                row
            }
        };
        row.map(|row| self.index.templates_of(row))
            .ok_or_else(|| LibraryError::NoTemplate {
                platform: platform.to_string(),
                also: Vec::new(),
                command: command.to_string(),
                index: self.index.path().to_path_buf(),
            })
    }

    /// Parses `text`, the output of `command` on `platform`, with the template(s) the index
    /// chooses, exactly as `ntc_templates.parse.parse_output` does.
    pub fn parse(
        &self,
        platform: &str,
        command: &str,
        text: &str,
    ) -> Result<Records, LibraryError> {
        self.parse_as(&[platform], command, text)
    }

    /// [`Library::parse`] with the first of `platforms` (see [`index_names`]) the index has a
    /// template for with `command`.
    pub fn parse_as<S: AsRef<str>>(
        &self,
        platforms: &[S],
        command: &str,
        text: &str,
    ) -> Result<Records, LibraryError> {
        let mut files = None;
        for platform in platforms {
            match self.lookup(platform.as_ref(), command) {
                Ok(found) => {
                    files = Some(found);
                    break;
                }
                Err(LibraryError::NoTemplate { .. }) => {}
                Err(err) => return Err(err),
            }
        }
        let Some(files) = files else {
            let mut tried = platforms.iter().map(|p| p.as_ref().to_string());
            return Err(LibraryError::NoTemplate {
                platform: tried.next().unwrap_or_default(),
                also: tried.collect(),
                command: command.to_string(),
                index: self.index.path().to_path_buf(),
            });
        };
        let mut scratch = Scratch::default();
        let mut templates = files.iter().map(|f| self.template(f));
        let first = match templates.next() {
            Some(t) => t?,
            None => return Ok(Records::new(Vec::new(), Vec::new())),
        };
        let mut keys: Vec<String> = first.keys().map(str::to_string).collect();
        let (mut header, mut rows) = first.parse_with(text, &mut scratch)?.into_parts();
        for template in templates {
            let template = template?;
            if keys.is_empty() {
                keys = template.keys().map(str::to_string).collect();
            }
            let more = template.parse_with(text, &mut scratch)?;
            join(&mut header, &mut rows, &more, &keys, template.name())?;
        }
        Ok(Records::new(header, rows))
    }

    /// Parses `text` with one template file (relative to the directory, or absolute).
    pub fn parse_with_template(&self, path: &str, text: &str) -> Result<Records, LibraryError> {
        Ok(self.template(path)?.parse(text)?)
    }
}

/// CliTable's `extend`: adds the columns of `more` that `header` lacks; each row takes them
/// from the first row of `more` whose key columns are equal (by position when there are no keys),
/// else keeps `""`.
fn join(
    header: &mut Vec<String>,
    rows: &mut [Vec<Field>],
    more: &Records,
    keys: &[String],
    template: &str,
) -> Result<(), LibraryError> {
    let key_cols: Vec<usize> = keys
        .iter()
        .map(|k| {
            header
                .iter()
                .position(|h| h == k)
                .ok_or_else(|| LibraryError::JoinKey {
                    template: template.to_string(),
                    key: k.clone(),
                })
        })
        .collect::<Result<_, _>>()?;
    let added: Vec<usize> = (0..more.header().len())
        .filter(|&i| !header.contains(&more.header()[i]))
        .collect();
    if added.is_empty() {
        return Ok(());
    }
    let more_key_cols: Vec<Option<usize>> = keys
        .iter()
        .map(|k| more.header().iter().position(|h| h == k))
        .collect();
    // The reference fails (IndexError) when it has to compare rows on a key the later template lacks.
    if let Some(i) = more_key_cols.iter().position(Option::is_none)
        && !rows.is_empty()
        && !more.is_empty()
    {
        return Err(LibraryError::JoinKey {
            template: template.to_string(),
            key: keys[i].clone(),
        });
    }
    header.extend(added.iter().map(|&i| more.header()[i].clone()));
    for (r, row) in rows.iter_mut().enumerate() {
        let source = if keys.is_empty() {
            more.rows().get(r)
        } else {
            more.rows().iter().find(|other| {
                key_cols.iter().zip(&more_key_cols).all(|(&mine, theirs)| {
                    theirs.is_some_and(|t| row[mine].to_json() == other[t].to_json())
                })
            })
        };
        for &i in &added {
            row.push(source.map_or_else(|| Field::Text(String::new()), |other| other[i].clone()));
        }
    }
    Ok(())
}

/// The ntc-templates platform name for a netrun platform name or built-in alias (`ios` →
/// `cisco_ios`, `nxos` → `cisco_nxos`, `iosxr` → `cisco_xr`, `eos` → `arista_eos`, `junos` →
/// `juniper_junos`, `linux` → `linux`); any other name is returned unchanged.
pub fn ntc_platform(name: &str) -> &str {
    let canonical = crate::platform::Platforms::builtin()
        .canonical(name)
        .unwrap_or(name);
    match canonical {
        "ios" => "cisco_ios",
        "nxos" => "cisco_nxos",
        "iosxr" => "cisco_xr",
        "eos" => "arista_eos",
        "junos" => "juniper_junos",
        "linux" => "linux",
        _ => name,
    }
}

/// The names to look netrun platform `name` up by in an ntc-templates index, in order: as
/// given, its ntc-templates name ([`ntc_platform`]), netrun's canonical name, then its aliases
/// in `platforms` (they include netmiko's device types, which ntc-templates uses), each once.
pub fn index_names(name: &str, platforms: &crate::platform::Platforms) -> Vec<String> {
    let mut names = vec![name.to_string()];
    let mut add = |n: &str| {
        if !names.iter().any(|have| have == n) {
            names.push(n.to_string());
        }
    };
    if let Some(platform) = platforms.get(name) {
        add(ntc_platform(&platform.name));
        add(&platform.name);
        for alias in &platform.aliases {
            add(alias);
        }
    } else {
        add(ntc_platform(name));
    }
    names
}

/// Finds the templates directory: `explicit` (`--templates`), else `configured`
/// (`parse.templates` in netrun.yaml), else `env` (the value of `NET_TEXTFSM`), else the
/// `templates/` folder of the `ntc_templates` package of `python3`.
pub fn templates_dir(
    explicit: Option<&Path>,
    configured: Option<&Path>,
    env: Option<&OsStr>,
) -> Result<PathBuf, DiscoveryError> {
    templates_dir_using(explicit, configured, env, "python3")
}

/// [`templates_dir`] with the Python interpreter to ask for `ntc_templates` named.
pub fn templates_dir_using(
    explicit: Option<&Path>,
    configured: Option<&Path>,
    env: Option<&OsStr>,
    python: &str,
) -> Result<PathBuf, DiscoveryError> {
    let named = [
        (explicit.map(Path::to_path_buf), "--templates"),
        (configured.map(Path::to_path_buf), "parse.templates"),
        (
            env.filter(|v| !v.is_empty()).map(PathBuf::from),
            TEMPLATES_ENV,
        ),
    ];
    let mut looked = Vec::new();
    for (dir, from) in named {
        match dir {
            Some(dir) if dir.join("index").is_file() => return Ok(dir),
            Some(dir) => return Err(DiscoveryError::NoIndex { dir, from }),
            None => looked.push(format!("{from}: not set")),
        }
    }
    let probe = "import ntc_templates, os; print(os.path.join(os.path.dirname(ntc_templates.__file__), 'templates'))";
    match std::process::Command::new(python)
        .args(["-c", probe])
        .output()
    {
        Ok(out) if out.status.success() => {
            let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
            if dir.join("index").is_file() {
                return Ok(dir);
            }
            Err(DiscoveryError::NoIndex {
                dir,
                from: "ntc_templates",
            })
        }
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("").trim();
            looked.push(format!("{python}: no ntc_templates package ({last})"));
            Err(DiscoveryError::NotFound { looked })
        }
        Err(e) => {
            looked.push(format!("{python}: cannot run it ({e})"));
            Err(DiscoveryError::NotFound { looked })
        }
    }
}

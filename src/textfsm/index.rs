//! The ntc-templates `index` file, read with the semantics of textfsm's `clitable.IndexTable`.
//!
//! The first non-comment line names the columns (`Template, Hostname, Platform, Command`); each
//! later line with as many comma-separated fields is a row (others, blank lines included, are
//! skipped, as are lines starting with `#`). Every field but `Template` is a Python regex tried
//! with `re.match`, i.e. anchored at the start only; an empty field matches anything. In
//! `Command`, `ab[[cd]]` means `ab`, `abc` or `abcd`. The first row whose `Platform` and
//! `Command` both match wins.

use super::pyre::{Regex, RegexError, Scratch};
use super::pystr;
use std::path::{Path, PathBuf};

/// An index file that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("index {}{}: {kind}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct IndexError {
    /// The index file.
    pub path: PathBuf,
    /// 1-based line of the problem, if it is on one line.
    pub line: Option<usize>,
    /// What is wrong.
    pub kind: IndexErrorKind,
}

/// What is wrong with an index file.
#[derive(Debug, thiserror::Error)]
pub enum IndexErrorKind {
    /// The file cannot be read.
    #[error("cannot read it: {0}")]
    Io(#[from] std::io::Error),
    /// No header line (only comments and blank lines).
    #[error("no header line")]
    NoHeader,
    /// A column named twice in the header.
    #[error("duplicate header entry '{0}'")]
    DuplicateColumn(String),
    /// The header lacks the `Template` column.
    #[error("the header has no 'Template' column")]
    NoTemplateColumn,
    /// A field that is not a valid Python regex.
    #[error("column {column}: invalid regular expression '{pattern}': {source}")]
    Regex {
        /// The column.
        column: String,
        /// The field after `[[...]]` expansion.
        pattern: String,
        /// Python's complaint.
        source: RegexError,
    },
}

#[derive(Debug)]
struct Row {
    templates: String,
    /// One compiled regex per matched column (`Platform`, `Command`); `None` when empty.
    platform: Option<Regex>,
    command: Option<Regex>,
}

/// A parsed, compiled index.
#[derive(Debug)]
pub struct Index {
    path: PathBuf,
    rows: Vec<Row>,
}

impl Index {
    /// An index without rows (template files used by name only).
    pub(super) fn without_rows(path: PathBuf) -> Index {
        Index {
            path,
            rows: Vec::new(),
        }
    }

    /// Reads `dir/index`.
    pub fn load(dir: &Path) -> Result<Index, IndexError> {
        let path = dir.join("index");
        let text = std::fs::read_to_string(&path).map_err(|e| IndexError {
            path: path.clone(),
            line: None,
            kind: e.into(),
        })?;
        Index::parse(&path, &text)
    }

    /// Parses index `text`; `path` is only used in errors and [`Index::path`].
    pub fn parse(path: &Path, text: &str) -> Result<Index, IndexError> {
        let err = |line, kind| IndexError {
            path: path.to_path_buf(),
            line,
            kind,
        };
        let mut lines = pystr::file_lines(text).enumerate().map(|(i, l)| (i + 1, l));
        let mut header: Vec<String> = Vec::new();
        for (n, line) in lines.by_ref() {
            let before_comment = line.split('#').next().unwrap_or("");
            let fields = pystr::strip(before_comment);
            if fields.is_empty() {
                continue;
            }
            for column in fields.split(',').map(pystr::strip) {
                if header.iter().any(|h| h == column) {
                    return Err(err(
                        Some(n),
                        IndexErrorKind::DuplicateColumn(column.to_string()),
                    ));
                }
                header.push(column.to_string());
            }
            break;
        }
        if header.is_empty() {
            return Err(err(None, IndexErrorKind::NoHeader));
        }
        let column = |name: &str| header.iter().position(|h| h == name);
        let Some(template_col) = column("Template") else {
            return Err(err(None, IndexErrorKind::NoTemplateColumn));
        };
        let (platform_col, command_col) = (column("Platform"), column("Command"));
        let mut rows = Vec::new();
        for (n, line) in lines {
            if line.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = line.split(',').map(pystr::strip).collect();
            if fields.len() != header.len() {
                continue;
            }
            let compile = |col: Option<usize>,
                           name: &str,
                           expand: bool|
             -> Result<Option<Regex>, IndexError> {
                let Some(field) = col.map(|c| fields[c]).filter(|f| !f.is_empty()) else {
                    return Ok(None);
                };
                let pattern = if expand {
                    expand_completions(field)
                } else {
                    field.to_string()
                };
                Regex::new(&pattern).map(Some).map_err(|source| {
                    err(
                        Some(n),
                        IndexErrorKind::Regex {
                            column: name.to_string(),
                            pattern,
                            source,
                        },
                    )
                })
            };
            // The reference compiles every non-empty field; check the others too so that a bad
            // index fails the same way, even though only Platform and Command are matched.
            for (i, name) in header.iter().enumerate() {
                let field = fields[i];
                if i != template_col
                    && Some(i) != platform_col
                    && Some(i) != command_col
                    && !field.is_empty()
                {
                    Regex::check(field).map_err(|source| {
                        err(
                            Some(n),
                            IndexErrorKind::Regex {
                                column: name.clone(),
                                pattern: field.to_string(),
                                source,
                            },
                        )
                    })?;
                }
            }
            rows.push(Row {
                templates: fields[template_col].to_string(),
                platform: compile(platform_col, "Platform", false)?,
                command: compile(command_col, "Command", true)?,
            });
        }
        Ok(Index {
            path: path.to_path_buf(),
            rows,
        })
    }

    /// The index file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The template files of the first row matching `platform` and `command` (several when
    /// the row's Template field joins them with `:`), or `None`.
    pub fn lookup(&self, platform: &str, command: &str) -> Option<Vec<&str>> {
        self.find_row(platform, command)
            .map(|row| self.templates_of(row))
    }

    /// The number of the first row matching both. Platform is tried first: its patterns are
    /// short and reject most rows at once.
    pub(crate) fn find_row(&self, platform: &str, command: &str) -> Option<usize> {
        let mut scratch = Scratch::default();
        let matches = |re: &Option<Regex>, text: &str, scratch: &mut Scratch| {
            re.as_ref().is_none_or(|re| re.match_start(text, scratch))
        };
        self.rows.iter().position(|row| {
            matches(&row.platform, platform, &mut scratch)
                && matches(&row.command, command, &mut scratch)
        })
    }

    /// The template files of row `row` (from [`Index::find_row`]).
    pub(crate) fn templates_of(&self, row: usize) -> Vec<&str> {
        self.rows
            .get(row)
            .map(|r| r.templates.split(':').collect())
            .unwrap_or_default()
    }
}

/// Expands each `[[xyz]]` in a Command field to `(x(y(z)?)?)?` (the reference's completion
/// syntax; the brackets' content is taken character by character, never as a regex).
pub fn expand_completions(field: &str) -> String {
    let mut out = String::with_capacity(field.len() * 2);
    let mut rest = field;
    while let Some(open) = rest.find("[[") {
        // The reference's `\[\[.+?\]\]`: the shortest non-empty content up to `]]`.
        let body = &rest[open + 2..];
        let close = body
            .char_indices()
            .skip(1)
            .find(|&(i, _)| body[i..].starts_with("]]"))
            .map(|(i, _)| i);
        let Some(close) = close else { break };
        out.push_str(&rest[..open]);
        let word = &body[..close];
        for c in word.chars() {
            out.push('(');
            out.push(c);
        }
        for _ in word.chars() {
            out.push_str(")?");
        }
        rest = &body[close + 2..];
    }
    out.push_str(rest);
    out
}

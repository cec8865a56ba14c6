//! `netrun parse [FILE|-]`: saved command output parsed into records with TextFSM templates,
//! offline — by the ntc-templates index (`--platform`, `--command`), by a template file
//! (`--template`), or many outputs listed in a manifest (`--manifest`) in one process.

use std::io::{BufRead, Read, Write};
use std::path::{Path, PathBuf};

use netrun::textfsm::{Library, LibraryError, Records, index_names};

use crate::cli::args::{ParseArgs, ParseFormat};
use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun parse`.
pub fn run(context: &Context, args: ParseArgs) -> Result<u8, AppError> {
    if let Some(manifest) = &args.manifest {
        let library = context.textfsm_library(args.templates.as_deref())?;
        return parse_manifest(context, &library, manifest);
    }
    let text = read_input(args.input.as_deref())?;
    let records = match (&args.template, &args.platform, &args.command) {
        (Some(file), _, _) => {
            // The file as given (relative to the working directory), so errors name it so.
            Library::files(Path::new("")).parse_with_template(&file.to_string_lossy(), &text)?
        }
        (None, Some(platform), Some(command)) => {
            let library = context.textfsm_library(args.templates.as_deref())?;
            library.parse_as(&index_platform(context, platform)?, command, &text)?
        }
        // clap requires --template, --manifest, or --platform with --command.
        _ => Records::new(Vec::new(), Vec::new()),
    };
    let out = match args.format {
        ParseFormat::Json => {
            let mut json = serde_json::to_string_pretty(&records).map_err(json_error)?;
            json.push('\n');
            json
        }
        ParseFormat::Yaml => serde_yaml::to_string(&records)
            .map_err(|e| AppError::Output(std::io::Error::other(e)))?,
        ParseFormat::Table => {
            let columns: Vec<String> = records.header().iter().map(|h| h.to_lowercase()).collect();
            let rows = match records.to_json() {
                serde_json::Value::Array(rows) => rows,
                _ => Vec::new(),
            };
            format!(
                "{}{} record{}\n",
                netrun::output::records_table(&rows, &columns),
                rows.len(),
                netrun::output::plural(rows.len())
            )
        }
    };
    crate::cli::print(&out)?;
    Ok(netrun::exit::OK)
}

fn json_error(err: serde_json::Error) -> AppError {
    AppError::Output(std::io::Error::other(err))
}

/// The names the index may know a platform by: as given, then netrun's names for it (with
/// netrun.yaml's platforms), ntc-templates' first.
fn index_platform(context: &Context, platform: &str) -> Result<Vec<String>, AppError> {
    Ok(index_names(platform, context.platforms()?))
}

/// The text of `FILE`, or of standard input for `-` or no file.
fn read_input(input: Option<&Path>) -> Result<String, AppError> {
    let mut bytes = Vec::new();
    let (path, read) = match input {
        None => (PathBuf::from("-"), std::io::stdin().read_to_end(&mut bytes)),
        Some(path) if path == Path::new("-") => {
            (path.to_path_buf(), std::io::stdin().read_to_end(&mut bytes))
        }
        Some(path) => (
            path.to_path_buf(),
            std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)),
        ),
    };
    read.map_err(|source| AppError::Read { path, source })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// One line of a manifest.
#[derive(serde::Deserialize)]
struct Entry {
    raw: PathBuf,
    platform: String,
    command: String,
}

/// Parses every output a manifest lists, printing one JSON line per entry, in order: the
/// records, or `{"error": "..."}`. Exit 1 when some entry failed.
fn parse_manifest(context: &Context, library: &Library, manifest: &Path) -> Result<u8, AppError> {
    let read_error = |source| AppError::Read {
        path: manifest.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(manifest).map_err(read_error)?;
    let base = manifest.parent().unwrap_or(Path::new(""));
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut failed = false;
    for (number, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(read_error)?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Entry = serde_json::from_str(&line).map_err(|err| AppError::Manifest {
            path: manifest.to_path_buf(),
            line: number + 1,
            reason: err.to_string(),
        })?;
        let parsed = parse_entry(context, library, base, &entry);
        let json = match parsed {
            Ok(records) => serde_json::to_string(&records).map_err(json_error)?,
            Err(message) => {
                failed = true;
                serde_json::json!({ "error": message }).to_string()
            }
        };
        writeln!(out, "{json}").map_err(AppError::Output)?;
    }
    out.flush().map_err(AppError::Output)?;
    Ok(if failed {
        netrun::exit::HOSTS_FAILED
    } else {
        netrun::exit::OK
    })
}

fn parse_entry(
    context: &Context,
    library: &Library,
    base: &Path,
    entry: &Entry,
) -> Result<Records, String> {
    let path = base.join(&entry.raw);
    let bytes =
        std::fs::read(&path).map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let text = String::from_utf8_lossy(&bytes);
    let platform = index_platform(context, &entry.platform).map_err(|e| e.to_string())?;
    library
        .parse_as(&platform, &entry.command, &text)
        .map_err(|err: LibraryError| err.to_string())
}

//! `netrun init [DIR]`: a starter project (netrun.yaml, an inventory of two sites, a task) that
//! runs against the built-in lab at once.

use std::path::{Path, PathBuf};

use crate::cli::args::InitArgs;
use crate::cli::error::AppError;

/// The files of a starter project, by path inside it.
const FILES: &[(&str, &str)] = &[
    ("netrun.yaml", include_str!("../starter/netrun.yaml")),
    (
        "inventory/hosts.yaml",
        include_str!("../starter/hosts.yaml"),
    ),
    (
        "inventory/groups.yaml",
        include_str!("../starter/groups.yaml"),
    ),
    (
        "inventory/defaults.yaml",
        include_str!("../starter/defaults.yaml"),
    ),
    (
        "tasks/get_version.yaml",
        include_str!("../starter/get_version.yaml"),
    ),
];

/// Runs `netrun init`: refuses to overwrite anything, then writes every file.
pub fn run(args: InitArgs) -> Result<u8, AppError> {
    let dir = args.dir.unwrap_or_else(|| PathBuf::from("."));
    if let Some(path) = FILES
        .iter()
        .map(|(name, _)| dir.join(name))
        .chain([dir.join("inventory"), dir.join("tasks")])
        .find(|path| path.exists())
    {
        return Err(AppError::InitExists { path });
    }
    for (name, text) in FILES {
        write(&dir.join(name), text)?;
    }
    let cd = if dir == Path::new(".") {
        String::new()
    } else {
        format!("  cd {}\n", shell_word(&dir.display().to_string()))
    };
    crate::cli::print(&format!(
        "created a netrun project in {}: netrun.yaml, inventory/ (4 hosts on 2 sites), tasks/get_version.yaml\n\
         next, against the built-in simulated lab:\n\
         {cd}  netrun inventory\n  \
         netrun command \"show version\" --lab\n  \
         netrun run get_version --filter site=north --lab\n",
        dir.display()
    ))?;
    Ok(netrun::exit::OK)
}

fn write(path: &Path, text: &str) -> Result<(), AppError> {
    let failed = |source| AppError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}

/// `word` as one shell word: as it is when plain, else single-quoted.
fn shell_word(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./+:@".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

//! `netrun platforms [NAME]`: the device platforms netrun drives, or one definition in full.

use netrun::output::{cells, new_table, plural};

use crate::cli::args::PlatformsArgs;
use crate::cli::context::Context;
use crate::cli::error::AppError;

/// Runs `netrun platforms`.
pub fn run(context: &Context, args: PlatformsArgs) -> Result<u8, AppError> {
    let platforms = context.platforms()?;
    let text = match &args.name {
        Some(name) => {
            let platform = platforms
                .get(name)
                .ok_or_else(|| AppError::UnknownPlatform {
                    suggestions: netrun::suggest::nearest(
                        &name.to_lowercase(),
                        platforms.names().chain(platforms.spellings()),
                    ),
                    name: name.clone(),
                })?;
            let yaml = serde_yaml::to_string(platform)
                .map_err(|e| AppError::Output(std::io::Error::other(e)))?;
            netrun::escape::lines(&yaml).into_owned()
        }
        None => {
            let mut table =
                new_table(&["platform", "aliases", "enable", "config", "mode", "source"]);
            let mut count = 0;
            for p in platforms.all() {
                count += 1;
                let config = match &p.config {
                    None => "-".to_string(),
                    Some(c) if c.commit_model => format!("{} (commit)", c.enter.join("; ")),
                    Some(c) => c.enter.join("; "),
                };
                table.add_row(cells([
                    p.name.clone(),
                    p.aliases.join(", "),
                    p.enable
                        .as_ref()
                        .map(|e| e.command.clone())
                        .unwrap_or_else(|| "-".into()),
                    config,
                    format!("{:?}", p.default_mode).to_lowercase(),
                    p.source.clone(),
                ]));
            }
            format!("{}\n{count} platform{}\n", table.trim_fmt(), plural(count))
        }
    };
    crate::cli::print(&text)?;
    Ok(netrun::exit::OK)
}

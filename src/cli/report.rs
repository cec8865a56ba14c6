//! A run's results leaving the process: printed in the chosen format as hosts finish and at
//! the end, and written to the files asked for (`--save-dir`, `--save-failed`).

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use netrun::output;
use netrun::result::{HostResult, Status, Summary};
use netrun::runner::OnDone;

use super::args::{RunOptions, RunOutput};
use super::error::AppError;
use super::terminal::Terminal;

/// What happens as each host finishes: the progress bar moves, `--output ndjson` prints the
/// host's line. `None` when neither is wanted.
pub fn on_done(bar: Option<indicatif::ProgressBar>, output: RunOutput) -> Option<OnDone> {
    let ndjson = output == RunOutput::Ndjson;
    if bar.is_none() && !ndjson {
        return None;
    }
    let failures = Arc::new(AtomicUsize::new(0));
    Some(Arc::new(move |host: &HostResult| {
        if let Some(bar) = &bar {
            if !host.status.is_success() {
                let failed = failures.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_message(format!("{failed} failed"));
            }
            bar.inc(1);
        }
        if ndjson {
            let line = serde_json::to_string(host).unwrap_or_default();
            let print = |line: &str| {
                let stdout = std::io::stdout();
                let mut out = stdout.lock();
                writeln!(out, "{line}").and_then(|()| out.flush())
            };
            // A closed stdout only loses these lines; the exit code still tells.
            let _ = match &bar {
                Some(bar) => bar.suspend(|| print(&line)),
                None => print(&line),
            };
        }
    }))
}

/// Prints a run's results and writes the files asked for; returns the exit code.
pub fn report(
    task: &str,
    results: &[HostResult],
    started: Instant,
    options: &RunOptions,
    terminal: &Terminal,
) -> Result<u8, AppError> {
    let summary = Summary::of(results);
    let ended = std::time::SystemTime::now();
    let started_at = ended.checked_sub(started.elapsed()).unwrap_or(ended);
    let (started_at, ended_at) = (
        netrun::result::rfc3339(started_at),
        netrun::result::rfc3339(ended),
    );
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let written = match options.output {
        RunOutput::Table => {
            let layout = output::TableLayout {
                color: terminal.color,
                width: terminal.width,
                only_problems: terminal.quiet
                    || (results.len() > options.max_rows && !options.all_rows),
            };
            out.write_all(output::results_table(results, &layout).as_bytes())
        }
        RunOutput::Raw => {
            use std::io::IsTerminal;
            let on_terminal = std::io::stdout().is_terminal();
            output::write_results_raw(&mut out, results, on_terminal, terminal.color)
                .and_then(|()| writeln!(out, "{}", summary.line()))
        }
        RunOutput::Json => {
            let document = output::RunDocument {
                task,
                duration_ms: netrun::result::millis(started.elapsed()),
                started_at,
                ended_at,
                summary: summary.clone(),
                hosts: results,
            };
            output::write_serialized(&mut out, |w| serde_json::to_writer_pretty(w, &document))
                .and_then(|()| writeln!(out))
        }
        // The host lines were printed as each host finished.
        RunOutput::Ndjson => output::write_serialized(&mut out, |w| {
            serde_json::to_writer(
                w,
                &serde_json::json!({
                    "summary": summary,
                    "started_at": started_at,
                    "ended_at": ended_at,
                }),
            )
        })
        .and_then(|()| writeln!(out)),
    };
    let printed = match written.and_then(|()| out.flush()).map_err(AppError::Output) {
        // The reader went away (`| head`, `| grep -q`): the files and the exit code still tell.
        Err(err) if err.is_broken_pipe() => Ok(()),
        other => other,
    };
    // Every file that can be written is written; the first failure is reported afterwards.
    let saved = match &options.save_dir {
        Some(dir) => save_results(dir, results),
        None => Ok(()),
    };
    if let Some(path) = &options.save_failed {
        let failed: String = results
            .iter()
            .filter(|h| !h.status.is_success())
            .map(|h| format!("{}\n", h.host))
            .collect();
        netrun::host_files::write_atomic(path, |out| out.write_all(failed.as_bytes())).map_err(
            |source| AppError::Write {
                path: path.clone(),
                source,
            },
        )?;
    }
    printed?;
    saved?;
    Ok(summary.exit_code())
}

/// Writes each host's output to `DIR/HOST.txt`; the first failure, after trying every host.
///
/// Only a host that succeeded replaces its file: one that failed, timed out or was unreachable
/// leaves its previous file (yesterday's good backup) untouched and writes what it did get, if
/// anything, to `DIR/HOST.failed.txt`; a skipped host touches nothing.
fn save_results(dir: &Path, results: &[HostResult]) -> Result<(), AppError> {
    let write_error = |path: std::path::PathBuf| move |source| AppError::Write { path, source };
    std::fs::create_dir_all(dir).map_err(write_error(dir.to_path_buf()))?;
    let mut first_error = None;
    for host in results {
        let path = |ext| dir.join(netrun::host_files::host_file_name(&host.host, ext));
        let (good, failed) = (path("txt"), path("failed.txt"));
        let saved = match host.status {
            Status::Skipped => Ok(()),
            Status::Ok | Status::Changed => write_host_text(&good, host, false)
                .and_then(|()| remove_stale(&failed))
                .map_err(write_error(good)),
            Status::Failed | Status::Timeout | Status::Unreachable => {
                let any = host
                    .results
                    .iter()
                    .any(|n| n.result.is_some() && !matches!(n.status, Status::Skipped));
                if any {
                    write_host_text(&failed, host, true)
                } else {
                    remove_stale(&failed)
                }
                .map_err(write_error(failed))
            }
        };
        if let Err(err) = saved {
            first_error.get_or_insert(err);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// What the device answered, step after step, as it sent it (with the output a failing step
/// got before it failed, when `partial`); skipped steps only say why they were.
fn write_host_text(path: &Path, host: &HostResult, partial: bool) -> std::io::Result<()> {
    netrun::host_files::write_atomic(path, |file| {
        for node in &host.results {
            let wanted = match node.status {
                Status::Ok | Status::Changed => true,
                Status::Skipped => false,
                Status::Failed | Status::Timeout | Status::Unreachable => partial,
            };
            if wanted {
                output::write_node_text(file, node, |t| std::borrow::Cow::Borrowed(t))?;
            }
        }
        Ok(())
    })
}

/// Removes a `HOST.failed.txt` an earlier run left, so that the directory tells this run's story.
fn remove_stale(path: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(err) if err.kind() != std::io::ErrorKind::NotFound => Err(err),
        _ => Ok(()),
    }
}

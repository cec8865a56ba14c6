//! The terminal: whether to colour and draw progress, the progress bar itself, and signals.
//! Decided once per invocation from flags, environment and what stdout/stderr are.

use std::io::{IsTerminal, Write};

use super::args::{GlobalArgs, When};

/// How results are shown.
pub struct Terminal {
    /// Colour the status column.
    pub color: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
    /// `--progress always`: draw it even when stderr is not a terminal.
    pub progress_forced: bool,
    /// `-q`: results list only the hosts that are not ok.
    pub quiet: bool,
    /// The width of the terminal stdout is, or `None` when it is a file or pipe.
    pub width: Option<usize>,
}

impl Terminal {
    /// `--color` and `--progress` with `auto` meaning "only on a terminal"; `NO_COLOR` set means
    /// no colour unless `--color always`.
    pub fn new(global: &GlobalArgs) -> Terminal {
        let color = match global.color {
            When::Always => true,
            When::Never => false,
            When::Auto => {
                std::io::stdout().is_terminal()
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let progress = match global.progress {
            When::Always => true,
            When::Never => false,
            When::Auto => std::io::stderr().is_terminal() && !global.quiet,
        };
        Terminal {
            color,
            progress,
            progress_forced: global.progress == When::Always,
            quiet: global.quiet,
            width: stdout_width(),
        }
    }

    /// A progress bar on stderr (hosts done of total, failures so far, elapsed and ETA), when
    /// one is wanted.
    pub fn progress_bar(&self, total: usize) -> Option<indicatif::ProgressBar> {
        if !self.progress {
            return None;
        }
        let target = if self.progress_forced {
            indicatif::ProgressDrawTarget::term_like(Box::new(ForcedStderr))
        } else {
            indicatif::ProgressDrawTarget::stderr()
        };
        let bar = indicatif::ProgressBar::with_draw_target(Some(total as u64), target);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} hosts  {msg}  {elapsed} elapsed, ETA {eta}",
        ) {
            bar.set_style(style);
        }
        bar.set_message("0 failed");
        Some(bar)
    }
}

/// The columns of the terminal stdout is: as the terminal reports them, else `COLUMNS`, else 80;
/// `None` when stdout is no terminal, so that files and pipes get every character.
fn stdout_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    // comfy-table already asks the terminal for its size; an empty table does just that.
    let reported = comfy_table::Table::new().width().map(usize::from);
    let columns = || std::env::var("COLUMNS").ok()?.trim().parse::<usize>().ok();
    Some(reported.filter(|w| *w > 0).or_else(columns).unwrap_or(80))
}

/// stderr for `--progress always`: indicatif hides bars on non-terminals, this draws anyway,
/// one refreshed line (`\r`) at a time.
#[derive(Debug)]
struct ForcedStderr;

impl indicatif::TermLike for ForcedStderr {
    fn width(&self) -> u16 {
        100
    }
    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> std::io::Result<()> {
        writeln!(std::io::stderr(), "{s}")
    }
    fn write_str(&self, s: &str) -> std::io::Result<()> {
        write!(std::io::stderr(), "{s}")
    }
    fn clear_line(&self) -> std::io::Result<()> {
        write!(std::io::stderr(), "\r")
    }
    fn flush(&self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

/// Ctrl-C or SIGTERM once: cancel the run (hosts stop, connections close, results print).
/// Twice: leave at once. The handlers run on a thread of their own with its own small runtime,
/// so that no work of the run, however stuck, can keep a signal from being seen.
pub fn watch_interrupts(cancel: tokio::sync::watch::Sender<bool>) -> std::io::Result<()> {
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("netrun-signals".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            runtime.block_on(async move {
                let mut terminate =
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    {
                        Ok(terminate) => terminate,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                let mut interrupt =
                    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                    {
                        Ok(interrupt) => interrupt,
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                let _ = ready_tx.send(Ok(()));
                let mut seen = 0;
                loop {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                    seen += 1;
                    if seen == 1 {
                        eprintln!(
                            "netrun: interrupted; cancelling running hosts and closing connections (interrupt again to quit at once)"
                        );
                        let _ = cancel.send(true);
                    } else {
                        std::process::exit(i32::from(netrun::exit::INTERRUPTED));
                    }
                }
            });
        })?;
    // Once the handlers are installed, a signal can no longer kill the process by default.
    ready_rx
        .recv()
        .unwrap_or_else(|_| Err(std::io::Error::other("the signal thread ended early")))
}

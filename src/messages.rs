//! What netrun tells the person at the terminal besides results: `-v`/`-vv` diagnostics with the
//! time since start, and notes and warnings. Everything goes to stderr; `-q` keeps only errors.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Instant;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static QUIET: AtomicBool = AtomicBool::new(false);
static START: OnceLock<Instant> = OnceLock::new();

/// Sets the level from the `-v` count; `-q` forces silence.
pub fn init(verbose: u8, quiet: bool) {
    START.get_or_init(Instant::now);
    LEVEL.store(if quiet { 0 } else { verbose }, Ordering::Relaxed);
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `-q` asked for errors only.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Whether messages of `level` (1 for -v, 2 for -vv) are shown.
pub fn enabled(level: u8) -> bool {
    LEVEL.load(Ordering::Relaxed) >= level
}

/// Writes one diagnostic line, stamped with the seconds since start.
pub fn emit(message: std::fmt::Arguments<'_>) {
    let elapsed = START.get_or_init(Instant::now).elapsed().as_secs_f64();
    eprintln!(
        "[{elapsed:8.3}s] {}",
        crate::escape::lines(&message.to_string())
    );
}

/// A note for the user (`netrun: note: ...`), silenced by `-q`.
pub fn note(message: std::fmt::Arguments<'_>) {
    if !quiet() {
        eprintln!(
            "netrun: note: {}",
            crate::escape::lines(&message.to_string())
        );
    }
}

/// A warning for the user (`netrun: warning: ...`), silenced by `-q`.
pub fn warning(message: std::fmt::Arguments<'_>) {
    if !quiet() {
        eprintln!(
            "netrun: warning: {}",
            crate::escape::lines(&message.to_string())
        );
    }
}

/// `diag!(1, "...")` prints with `-v`, `diag!(2, "...")` with `-vv`.
#[macro_export]
macro_rules! diag {
    ($level:expr, $($arg:tt)*) => {
        if $crate::messages::enabled($level) {
            $crate::messages::emit(format_args!($($arg)*));
        }
    };
}

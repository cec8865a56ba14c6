//! `-v`/`-vv` diagnostics on stderr, with the time since start; silent by default.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Instant;

static LEVEL: AtomicU8 = AtomicU8::new(0);
static QUIET: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
static START: OnceLock<Instant> = OnceLock::new();

/// Sets the level from `-v` count; `-q` forces silence.
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

/// Writes one diagnostic line.
pub fn emit(message: std::fmt::Arguments<'_>) {
    let elapsed = START.get_or_init(Instant::now).elapsed().as_secs_f64();
    eprintln!("[{elapsed:8.3}s] {message}");
}

/// `diag!(1, "...")` prints with `-v`, `diag!(2, "...")` with `-vv`.
#[macro_export]
macro_rules! diag {
    ($level:expr, $($arg:tt)*) => {
        if $crate::diagnostics::enabled($level) {
            $crate::diagnostics::emit(format_args!($($arg)*));
        }
    };
}

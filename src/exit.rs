//! Exit codes a script can trust (README "Exit codes"): the one place they are defined.

/// Every selected host ended ok, changed or skipped.
pub const OK: u8 = 0;
/// At least one host failed, was unreachable or timed out (the others still ran).
pub const HOSTS_FAILED: u8 = 1;
/// Usage, configuration, inventory, task-file or plugin error, or no host matched: nothing ran.
pub const USAGE: u8 = 2;
/// Interrupted (Ctrl-C / SIGTERM): running hosts were cancelled and partial results printed.
pub const INTERRUPTED: u8 = 130;

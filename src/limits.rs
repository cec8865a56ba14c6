//! Bounds on numbers users give (timeouts, intervals, workers), checked the same way wherever
//! they come from: flags, netrun.yaml or inventory extras.

use std::time::Duration;

/// Longest accepted timeout or interval: a week. Anything longer is a typo, and adding a huge
/// value to `Instant::now()` would overflow.
pub const MAX_SECONDS: f64 = 7.0 * 24.0 * 3600.0;

/// Most hosts in flight at once (far beyond any descriptor limit, but a bound for typos).
pub const MAX_WORKERS: usize = 100_000;

/// Checks a number of seconds; 0 is accepted only where it means "off".
pub fn checked_seconds(value: f64, zero_means_off: bool) -> Result<Duration, String> {
    // Written so that NaN fails too.
    if !(0.0..=MAX_SECONDS).contains(&value) {
        return Err(format!(
            "{value} is not a number of seconds from 0 to {MAX_SECONDS}"
        ));
    }
    if value == 0.0 && !zero_means_off {
        return Err("must be more than 0 seconds".to_string());
    }
    Ok(Duration::from_secs_f64(value))
}

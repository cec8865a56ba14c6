//! The device clock and the time stamps templates see (`now`, `changed`, `saved`): wall-clock
//! UTC, with an offset tests can move forward.

use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::{Value, json};

/// Wall-clock time plus an adjustable offset.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// Seconds since the epoch and milliseconds.
    pub(crate) fn now(&self) -> (i64, u32) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let secs = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
        (
            secs.saturating_add(self.offset.load(Ordering::Relaxed)),
            now.subsec_millis(),
        )
    }
}

/// When something happened and who did it (`! Last configuration change at ... by admin`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) at: i64,
    pub(crate) by: String,
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
// 1970-01-01 was a Thursday.
const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];

/// A time as templates see it: parts plus ready-made formats.
pub(crate) fn time_value(secs: i64, millis: u32, by: Option<&str>) -> Value {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rem / 3600, rem % 3600 / 60, rem % 60);
    let month_name = MONTHS[(month as usize + 11) % 12];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let hms = format!("{hour:02}:{minute:02}:{second:02}");
    let ymd = format!("{year}-{month:02}-{day:02}");
    let mut value = json!({
        "year": year,
        "month": month,
        "month_name": month_name,
        "day": day,
        "weekday": weekday,
        "hour": hour,
        "minute": minute,
        "second": second,
        "millis": millis,
        "unix": secs,
        "cisco": format!("{hms} UTC {weekday} {month_name} {day} {year}"),
        "iso": format!("{ymd} {hms}"),
        "hms": hms,
        "ymd": ymd,
    });
    if let (Some(by), Some(map)) = (by, value.as_object_mut()) {
        map.insert("by".into(), Value::from(by));
    }
    value
}

/// A stamp for templates, or none.
pub(crate) fn stamp_value(stamp: Option<&Stamp>) -> Value {
    match stamp {
        Some(s) => time_value(s.at, 0, Some(&s.by)),
        None => Value::Null,
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_a_known_time() {
        // 2024-03-04 10:11:12 UTC, a Monday.
        let v = time_value(1_709_547_072, 5, Some("admin"));
        assert_eq!(v["cisco"], "10:11:12 UTC Mon Mar 4 2024");
        assert_eq!(v["iso"], "2024-03-04 10:11:12");
        assert_eq!(v["by"], "admin");
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }
}

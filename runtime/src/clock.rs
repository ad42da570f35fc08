//! The time source used for `exp` / `nbf` / `iat` checks, injectable so tests can pin it.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// A source of "now", in milliseconds since the Unix epoch.
///
/// The verifier asks the clock once per token. Tests pin it the way Clerk's own tests do
/// (clerk-semantics §6.1) with [`FixedClock`].
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system's wall clock.
///
/// ```
/// use axum_clerk::{Clock, SystemClock};
/// assert!(SystemClock.now_ms() > 1_600_000_000_000);
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that stands still until told to move; cloning shares the same time.
///
/// ```
/// use axum_clerk::{Clock, FixedClock};
/// let clock = FixedClock::at_secs(1_666_648_250);
/// assert_eq!(clock.now_ms(), 1_666_648_250_000);
/// clock.advance_secs(3600);
/// assert_eq!(clock.now_ms(), 1_666_651_850_000);
/// ```
#[derive(Debug, Clone)]
pub struct FixedClock(Arc<AtomicI64>);

impl FixedClock {
    /// A clock pinned at `ms` milliseconds since the epoch.
    #[must_use]
    pub fn at_ms(ms: i64) -> Self {
        Self(Arc::new(AtomicI64::new(ms)))
    }

    /// A clock pinned at `secs` seconds since the epoch.
    #[must_use]
    pub fn at_secs(secs: i64) -> Self {
        Self::at_ms(secs.saturating_mul(1000))
    }

    /// Moves the clock to `ms`.
    pub fn set_ms(&self, ms: i64) {
        self.0.store(ms, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.0.fetch_add(secs.saturating_mul(1000), Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Formats epoch milliseconds like JavaScript's `Date.prototype.toUTCString()`
/// (`Mon, 24 Oct 2022 21:51:50 GMT`), which is what Clerk's messages contain.
pub(crate) fn utc_string(ms: f64) -> String {
    if !ms.is_finite() || ms.abs() > 8.64e15 {
        return "Invalid Date".to_owned();
    }
    let secs = (ms / 1000.0).floor() as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (hh, mm, ss) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // 1970-01-01 was a Thursday.
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let weekday = WEEKDAYS[days.rem_euclid(7) as usize];
    let (year, month, day) = civil_from_days(days);
    let year = if year < 0 { format!("-{:06}", -year) } else { format!("{year:04}") };
    format!("{weekday}, {day:02} {} {year} {hh:02}:{mm:02}:{ss:02} GMT", MONTHS[(month - 1) as usize])
}

/// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::utc_string;

    #[test]
    fn formats_like_javascript_to_utc_string() {
        assert_eq!(utc_string(1_666_648_310_000.0), "Mon, 24 Oct 2022 21:51:50 GMT");
        assert_eq!(utc_string(0.0), "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(utc_string(951_782_400_000.0), "Tue, 29 Feb 2000 00:00:00 GMT");
        assert_eq!(utc_string(-1000.0), "Wed, 31 Dec 1969 23:59:59 GMT");
        assert_eq!(utc_string(f64::NAN), "Invalid Date");
    }
}

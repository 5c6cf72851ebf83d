//! Points in time for token expiry: Unix seconds in UTC, read from and shown as dates with
//! `chrono`, so no calendar arithmetic or string slicing of our own can go wrong on odd input.
//!
//! Every accepted time lies in years 1970 to 9999: the range a TOML datetime can hold, so
//! whatever is accepted here can also be written back into `config.toml`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

pub const DAY: i64 = 86_400;

/// The first second of year 10000: nothing at or after it is accepted.
const END: i64 = 253_402_300_800;

/// The environment variable that fixes the clock (tests, and users who want to see what a
/// date would bring; GUIDE "Files, settings and environment").
pub const TEST_NOW: &str = "GIT_CREDENTIAL_SCOPED_TEST_NOW";

#[derive(Debug, thiserror::Error)]
pub enum TimeError {
    #[error("{TEST_NOW} must be Unix seconds or a date like 2027-01-31 (it fixes the clock); unset it to use the real time")]
    BadTestNow,
}

/// The current time in Unix seconds, or the time fixed by [`TEST_NOW`]. A fixed clock
/// changes every expiry decision: warnings, refusals, and which of several tokens is chosen
/// (an expired narrow token is passed over for a broader valid one).
pub fn now() -> Result<i64, TimeError> {
    if let Some(fixed) = std::env::var_os(TEST_NOW) {
        return fixed
            .to_str()
            .and_then(parse_timestamp)
            .ok_or(TimeError::BadTestNow);
    }
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    Ok(since.map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX)))
}

fn in_range(t: i64) -> Option<i64> {
    (0..END).contains(&t).then_some(t)
}

fn utc(t: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t, 0)
}

/// `YYYY-MM-DD` of a timestamp.
pub fn format_date(t: i64) -> String {
    utc(t).map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d").to_string())
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a timestamp.
pub fn format_datetime(t: i64) -> String {
    utc(t).map_or_else(
        || t.to_string(),
        |d| d.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Accepts Unix seconds, `YYYY-MM-DD` (the start of that day, UTC), RFC 3339
/// (`2026-12-31T12:00:00Z`, `...+02:00`) and GitHub's expiration header
/// (`2026-12-31 12:00:00 UTC`, `2026-12-31 12:00:00 +0200`); years 1970 to 9999 only.
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return in_range(s.parse().ok()?);
    }
    let t = if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        d.and_hms_opt(0, 0, 0)?.and_utc().timestamp()
    } else if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        d.timestamp()
    } else if let Some(clock) = s.strip_suffix(" UTC").or_else(|| s.strip_suffix(" GMT")) {
        NaiveDateTime::parse_from_str(clock, "%Y-%m-%d %H:%M:%S")
            .ok()?
            .and_utc()
            .timestamp()
    } else {
        DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S %z")
            .ok()?
            .timestamp()
    };
    in_range(t)
}

/// `90d`, `12w`, `90` (days) → seconds; 1 to 36,600 days.
pub fn parse_duration_days(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = match s.strip_suffix(['d', 'D']) {
        Some(n) => (n, 1),
        None => match s.strip_suffix(['w', 'W']) {
            Some(n) => (n, 7),
            None => (s, 1),
        },
    };
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let days = n.parse::<i64>().ok()?.checked_mul(unit)?;
    (1..=36_600).contains(&days).then_some(days * DAY)
}

/// `--expires-in`, the same for `add`, `rotate`, `edit` and `new-token-url`: `90d`, `12w`,
/// `90` — 1 to 366 days, GitHub's limit for a fine-grained token — in days, or `none` /
/// `never` (`None`: no expiry).
pub fn parse_expires_in(s: &str) -> Result<Option<i64>, &'static str> {
    if s.eq_ignore_ascii_case("none") || s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    parse_duration_days(s)
        .map(|secs| secs / DAY)
        .filter(|d| (1..=366).contains(d))
        .map(Some)
        .ok_or("--expires-in must be 1 to 366 days (GitHub's limit), like 90 or 90d or 12w, or \"none\"")
}

/// The days left until `expiry`, as `list --json` and `check --json` give them: ahead, by
/// calendar day (UTC), so the count read right after `add --expires-in 90d` stays 90 for the
/// rest of that day instead of dropping to 89 seconds later; behind, whole days since (<0).
pub fn days_left(expiry: i64, now: i64) -> i64 {
    if expiry >= now {
        expiry.div_euclid(DAY) - now.div_euclid(DAY)
    } else {
        expiry.saturating_sub(now).div_euclid(DAY)
    }
}

/// "in 3 days", "in less than a day", "2 days ago", for an expiry relative to now (ahead:
/// [`days_left`]'s calendar days).
pub fn relative(expiry: i64, now: i64) -> String {
    let diff = expiry.saturating_sub(now);
    let days = if diff >= 0 {
        days_left(expiry, now).unsigned_abs()
    } else {
        diff.unsigned_abs() / DAY as u64
    };
    match (diff >= 0, days) {
        (true, 0) => "in less than a day".to_string(),
        (true, 1) => "in 1 day".to_string(),
        (true, n) => format!("in {n} days"),
        (false, 0) => "less than a day ago".to_string(),
        (false, 1) => "1 day ago".to_string(),
        (false, n) => format!("{n} days ago"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for t in [0, 951_782_400, 1_700_000_000, 4_102_444_800, END - 1] {
            assert_eq!(parse_timestamp(&format_datetime(t)), Some(t));
        }
        assert_eq!(format_date(0), "1970-01-01");
        assert_eq!(parse_timestamp("2000-02-29"), Some(951_782_400));
        assert_eq!(parse_timestamp("2001-02-29"), None);
    }

    #[test]
    fn github_expiration_header_in_both_forms() {
        let utc = parse_timestamp("2026-12-31 12:00:00 UTC").unwrap();
        assert_eq!(format_datetime(utc), "2026-12-31T12:00:00Z");
        let plus2 = parse_timestamp("2026-12-31 12:00:00 +0200").unwrap();
        assert_eq!(utc - plus2, 7200);
        assert_eq!(parse_timestamp("2026-12-31T12:00:00+02:00"), Some(plus2));
        assert_eq!(parse_timestamp("2026-12-31T10:00:00.5Z"), Some(plus2));
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for s in [
            "",
            "soon",
            "2026-13-01",
            "2026-12-31 25:00:00 UTC",
            "2026-12-31 12:00:00 EST",
            "-5",
            // Issue 12 #5: a multi-byte character where the offset's digits belong.
            "2027-01-01 00:00:00 +0é0",
            "2027-01-01T00:00:00+0é:00",
            "2027-01-01 é",
            "éééééééééééééééé",
            "2027-01-01T00:00:00",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }

    #[test]
    fn only_years_1970_to_9999_are_accepted() {
        // Issue 12 #14: year 10000 cannot be written to config.toml.
        assert_eq!(parse_timestamp("253402300800"), None);
        assert_eq!(parse_timestamp("253402300799"), Some(END - 1));
        assert_eq!(parse_timestamp("10000-01-01"), None);
        assert_eq!(parse_timestamp("1969-12-31"), None);
        assert_eq!(parse_timestamp("99999999999999999999999"), None);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_days("90d"), Some(90 * DAY));
        assert_eq!(parse_duration_days("2w"), Some(14 * DAY));
        assert_eq!(parse_duration_days("30"), Some(30 * DAY));
        for bad in ["0d", "x", "d", "+5", "9999999999999999999w", "é"] {
            assert_eq!(parse_duration_days(bad), None, "{bad}");
        }
    }

    #[test]
    fn relative_wording() {
        assert_eq!(relative(10 * DAY, 0), "in 10 days");
        // Issue 24 #11: the days left of `--expires-in 90d` do not drop seconds after.
        let (now, later) = (1_800_000_000 + 36_000, 1_800_000_000 + 36_005);
        assert_eq!(relative(now + 90 * DAY, later), "in 90 days");
        assert_eq!(days_left(now + 90 * DAY, later), 90);
        assert_eq!(days_left(now - DAY - 5, now), -2);
        assert_eq!(parse_expires_in("none"), Ok(None));
        assert_eq!(parse_expires_in("12w"), Ok(Some(84)));
        assert!(parse_expires_in("367d").is_err() && parse_expires_in("0").is_err());
        assert_eq!(relative(100, 0), "in less than a day");
        assert_eq!(relative(0, 3 * DAY), "3 days ago");
        assert_eq!(relative(i64::MIN, i64::MAX), relative(i64::MIN, i64::MAX));
    }
}

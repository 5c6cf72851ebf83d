//! Calendar arithmetic for expiry dates, in UTC, without a date crate: token expiry is a
//! point in time (Unix seconds) shown as a date. Uses the well-known days-from-civil
//! conversion (proleptic Gregorian calendar).

use std::time::{SystemTime, UNIX_EPOCH};

pub const DAY: i64 = 86_400;

/// The current time in Unix seconds. `GIT_CREDENTIAL_SCOPED_TEST_NOW` (Unix seconds or a date)
/// fixes the clock for tests; it can only make the helper stricter or looser for the user who
/// sets it, never change where a token goes.
pub fn now() -> i64 {
    if let Some(fixed) = std::env::var_os("GIT_CREDENTIAL_SCOPED_TEST_NOW") {
        if let Some(t) = fixed.to_str().and_then(parse_timestamp) {
            return t;
        }
    }
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => 0,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD` of a timestamp.
pub fn format_date(t: i64) -> String {
    let (y, m, d) = civil_from_days(t.div_euclid(DAY));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a timestamp.
pub fn format_datetime(t: i64) -> String {
    let secs = t.rem_euclid(DAY);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        format_date(t),
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn num(s: &str) -> Option<i64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn parse_date(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, '-');
    let (y, m, d) = (num(it.next()?)?, num(it.next()?)?, num(it.next()?)?);
    if s.len() != 10 || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m, d) * DAY)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn parse_clock(s: &str) -> Option<i64> {
    let mut it = s.splitn(3, ':');
    let (h, m, sec) = (
        num(it.next()?)?,
        num(it.next()?)?,
        num(it.next().unwrap_or("00"))?,
    );
    (h < 24 && m < 60 && sec < 61).then_some(h * 3600 + m * 60 + sec)
}

/// `+HHMM`, `-HH:MM`, `UTC` or `Z` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    if s == "UTC" || s == "Z" || s == "GMT" {
        return Some(0);
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = s[1..].chars().filter(|c| *c != ':').collect();
    if digits.len() != 4 {
        return None;
    }
    Some(sign * (num(&digits[..2])? * 3600 + num(&digits[2..])? * 60))
}

/// Accepts Unix seconds, `YYYY-MM-DD` (midnight UTC, the start of that day), RFC 3339
/// (`2026-12-31T12:00:00Z`, `...+02:00`) and GitHub's expiration header
/// (`2026-12-31 12:00:00 UTC`, `2026-12-31 12:00:00 +0200`).
pub fn parse_timestamp(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(n) = num(s) {
        return Some(n);
    }
    if s.len() == 10 {
        return parse_date(s);
    }
    let date = parse_date(s.get(..10)?)?;
    let rest = s.get(11..)?;
    if !matches!(s.as_bytes()[10], b'T' | b't' | b' ') {
        return None;
    }
    let (clock, offset) = if let Some((c, o)) = rest.split_once(' ') {
        (c, parse_offset(o)?)
    } else if let Some(c) = rest.strip_suffix(['Z', 'z']) {
        (c, 0)
    } else if let Some(i) = rest.rfind(['+', '-']) {
        (&rest[..i], parse_offset(&rest[i..])?)
    } else {
        return None;
    };
    let clock = clock.split('.').next()?;
    Some(date + parse_clock(clock)? - offset)
}

/// `90d`, `12w`, `90` (days) → seconds.
pub fn parse_duration_days(s: &str) -> Option<i64> {
    let s = s.trim();
    let (n, unit) = match s.strip_suffix(['d', 'D']) {
        Some(n) => (n, 1),
        None => match s.strip_suffix(['w', 'W']) {
            Some(n) => (n, 7),
            None => (s, 1),
        },
    };
    let days = num(n)?.checked_mul(unit)?;
    (1..=36_600).contains(&days).then_some(days * DAY)
}

/// "in 3 days", "today", "2 days ago", for an expiry relative to now.
pub fn relative(expiry: i64, now: i64) -> String {
    let diff = expiry - now;
    if diff >= 0 {
        match diff / DAY {
            0 => "in less than a day".to_string(),
            1 => "in 1 day".to_string(),
            n => format!("in {n} days"),
        }
    } else {
        match (-diff) / DAY {
            0 => "less than a day ago".to_string(),
            1 => "1 day ago".to_string(),
            n => format!("{n} days ago"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        for t in [0, 951_782_400, 1_700_000_000, 4_102_444_800] {
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
    fn rejects_garbage() {
        for s in [
            "",
            "soon",
            "2026-13-01",
            "2026-12-31 25:00:00 UTC",
            "2026-12-31 12:00:00 EST",
            "-5",
        ] {
            assert_eq!(parse_timestamp(s), None, "{s}");
        }
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_days("90d"), Some(90 * DAY));
        assert_eq!(parse_duration_days("2w"), Some(14 * DAY));
        assert_eq!(parse_duration_days("30"), Some(30 * DAY));
        assert_eq!(parse_duration_days("0d"), None);
        assert_eq!(parse_duration_days("x"), None);
    }

    #[test]
    fn relative_wording() {
        assert_eq!(relative(10 * DAY, 0), "in 10 days");
        assert_eq!(relative(100, 0), "in less than a day");
        assert_eq!(relative(0, 3 * DAY), "3 days ago");
    }
}

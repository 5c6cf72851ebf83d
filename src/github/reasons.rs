//! GitHub's own reasons for refusing a token, read from a 403 or 429 answer (issue 23):
//! an owner's lifetime limit, a ban on classic tokens, an IP allow list, rate limiting, or
//! a message this program does not know. Only what was parsed leaves this module: owner
//! names and addresses checked against their shapes, the settings link checked to be a
//! token's settings page, an unknown message escaped and cut to one line. Pure: the status,
//! the few headers that matter and the JSON body are arguments.

use serde::Deserialize;

/// Who set a lifetime limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    Organization,
    Enterprise,
}

impl OwnerKind {
    pub fn word(self) -> &'static str {
        match self {
            OwnerKind::Organization => "organization",
            OwnerKind::Enterprise => "enterprise",
        }
    }
}

/// Why the server refused a request that carried the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// `The 'NixOS' organization forbids access via a fine-grained personal access tokens if
    /// the token's lifetime is greater than 90 days. Please adjust ... URL: https://...`
    Lifetime {
        owner: String,
        kind: OwnerKind,
        days: u32,
        /// The token's own settings page, when the message named one.
        settings: Option<String>,
    },
    /// `` `ORG` forbids access via a personal access token (classic). ``
    ClassicBanned { owner: Option<String> },
    /// `... has an IP allow list enabled, and ADDRESS is not permitted ...`
    IpAllowList {
        owner: Option<String>,
        address: Option<String>,
    },
    /// 403/429 with `X-RateLimit-Remaining: 0` or `Retry-After`: says nothing about the token.
    RateLimited {
        /// Seconds to wait before trying again, when the server said.
        wait: Option<u64>,
    },
    /// Any other 403: the server's message, escaped and cut to one line (empty if none).
    Other { status: u16, message: String },
}

/// The headers a refusal is read from (values as sent; none is ever printed).
#[derive(Clone, Debug, Default)]
pub struct Hints {
    pub ratelimit_remaining: Option<String>,
    pub ratelimit_reset: Option<String>,
    pub retry_after: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    message: Option<String>,
}

/// The longest unknown message shown, in characters after escaping.
const SHOWN: usize = 160;

/// Reads a 403 or 429 answer; `None` for other statuses. `now` is the real clock's (the
/// server's reset time is on it).
pub fn read(status: u16, hints: &Hints, body: &str, now: i64) -> Option<Refused> {
    if status != 403 && status != 429 {
        return None;
    }
    let message = serde_json::from_str::<Body>(body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| body.to_string());
    if let Some(r) = rate_limited(status, hints, &message, now) {
        return Some(r);
    }
    if let Some(r) = lifetime(&message) {
        return Some(r);
    }
    if message.contains("forbids access via a personal access token (classic)")
        || message.contains("Personal access tokens (classic) are forbidden")
    {
        return Some(Refused::ClassicBanned {
            owner: quoted_owner(&message),
        });
    }
    if message.contains("IP allow list enabled") {
        return Some(Refused::IpAllowList {
            owner: quoted_owner(&message),
            address: message.split_whitespace().find_map(address),
        });
    }
    Some(Refused::Other {
        status,
        message: one_line(&message),
    })
}

fn rate_limited(status: u16, hints: &Hints, message: &str, now: i64) -> Option<Refused> {
    let exhausted = hints.ratelimit_remaining.as_deref().map(str::trim) == Some("0");
    let retry_after = hints
        .retry_after
        .as_deref()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|&s| s <= 7 * 86_400);
    let said = message.to_ascii_lowercase().contains("rate limit");
    if !(exhausted || retry_after.is_some() || (status == 429 || said)) {
        return None;
    }
    let reset = hints
        .ratelimit_reset
        .as_deref()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|&t| t >= now && t < now + 7 * 86_400)
        .map(|t| (t - now) as u64);
    Some(Refused::RateLimited {
        wait: retry_after.or(reset),
    })
}

fn lifetime(message: &str) -> Option<Refused> {
    if !message.contains("forbids access via a fine-grained personal access token") {
        return None;
    }
    let rest = message.split_once("The '")?.1;
    let (owner, rest) = rest.split_once("' ")?;
    let kind = if rest.starts_with("organization") {
        OwnerKind::Organization
    } else if rest.starts_with("enterprise") {
        OwnerKind::Enterprise
    } else {
        return None;
    };
    let days = message
        .split_once("lifetime is greater than ")?
        .1
        .split_whitespace()
        .next()?
        .parse::<u32>()
        .ok()
        .filter(|d| (1..=3660).contains(d))?;
    let settings = message
        .split_once("following URL: ")
        .and_then(|(_, u)| u.split_whitespace().next())
        .map(|u| u.trim_end_matches('.'))
        .filter(|u| settings_link(u))
        .map(str::to_string);
    Some(Refused::Lifetime {
        owner: owner_name(owner)?,
        kind,
        days,
        settings,
    })
}

/// `https://HOST/settings/personal-access-tokens/DIGITS` and nothing else.
fn settings_link(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("https://") else {
        return false;
    };
    let Some((host, path)) = rest.split_once('/') else {
        return false;
    };
    let id = path.strip_prefix("settings/personal-access-tokens/");
    !host.is_empty()
        && host.len() <= 100
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
        && id.is_some_and(|d| {
            !d.is_empty() && d.len() <= 20 && d.bytes().all(|b| b.is_ascii_digit())
        })
}

/// The owner named in `` `ORG` `` or `'ORG'` quotes, when it has an owner's shape.
fn quoted_owner(message: &str) -> Option<String> {
    for q in ['`', '\''] {
        let mut parts = message.split(q);
        parts.next();
        if let Some(name) = parts.next().and_then(owner_name) {
            return Some(name);
        }
    }
    None
}

/// An organization or enterprise name: letters, digits, `-`, `_`, `.` and (for an
/// enterprise's display name) spaces; at most 100 characters.
fn owner_name(s: &str) -> Option<String> {
    let ok = !s.is_empty()
        && s.len() <= 100
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_. ".contains(&b));
    ok.then(|| s.to_string())
}

/// An IPv4 or IPv6 address, stripped of surrounding punctuation.
fn address(word: &str) -> Option<String> {
    let w = word.trim_matches(|c: char| !(c.is_ascii_hexdigit() || c == ':' || c == '.'));
    let w = w.trim_end_matches('.');
    w.parse::<std::net::IpAddr>().ok().map(|a| a.to_string())
}

/// A server's message as one escaped line of at most [`SHOWN`] characters.
pub fn one_line(message: &str) -> String {
    let escaped = crate::protocol::escape(message.trim().as_bytes());
    match escaped.char_indices().nth(SHOWN) {
        Some((i, _)) => format!("{}...", &escaped[..i]),
        None => escaped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;

    fn json(message: &str) -> String {
        serde_json::json!({"message": message, "documentation_url": "https://docs.github.com/rest", "status": "403"}).to_string()
    }

    #[test]
    fn the_lifetime_limit_as_github_words_it() {
        let m = "The 'NixOS' organization forbids access via a fine-grained personal access tokens if the token's lifetime is greater than 90 days. Please adjust your token's lifetime at the following URL: https://github.com/settings/personal-access-tokens/12885303";
        assert_eq!(
            read(403, &Hints::default(), &json(m), NOW),
            Some(Refused::Lifetime {
                owner: "NixOS".into(),
                kind: OwnerKind::Organization,
                days: 90,
                settings: Some(
                    "https://github.com/settings/personal-access-tokens/12885303".into()
                ),
            })
        );
        let e = m.replace("'NixOS' organization", "'HHS ONC' enterprise");
        assert!(matches!(
            read(403, &Hints::default(), &json(&e), NOW),
            Some(Refused::Lifetime { kind: OwnerKind::Enterprise, ref owner, .. }) if owner == "HHS ONC"
        ));
        let hostile = m.replace("12885303", "1?x=github_pat_SECRET");
        assert!(matches!(
            read(403, &Hints::default(), &json(&hostile), NOW),
            Some(Refused::Lifetime { settings: None, .. })
        ));
    }

    #[test]
    fn classic_ip_and_rate_limits() {
        let classic = "`alta3` forbids access via a personal access token (classic). Please use a GitHub App, OAuth App, or a personal access token with fine-grained permissions.";
        assert_eq!(
            read(403, &Hints::default(), &json(classic), NOW),
            Some(Refused::ClassicBanned {
                owner: Some("alta3".into())
            })
        );
        let ip = "Although you appear to have the correct authorization credentials, the `alta3` organization has an IP allow list enabled, and 203.0.113.7 is not permitted to access this resource.";
        assert_eq!(
            read(403, &Hints::default(), &json(ip), NOW),
            Some(Refused::IpAllowList {
                owner: Some("alta3".into()),
                address: Some("203.0.113.7".into())
            })
        );
        let hints = Hints {
            ratelimit_remaining: Some("0".into()),
            ratelimit_reset: Some((NOW + 600).to_string()),
            retry_after: None,
        };
        assert_eq!(
            read(403, &hints, &json("API rate limit exceeded"), NOW),
            Some(Refused::RateLimited { wait: Some(600) })
        );
        let retry = Hints {
            retry_after: Some("60".into()),
            ..Hints::default()
        };
        assert_eq!(
            read(429, &retry, "", NOW),
            Some(Refused::RateLimited { wait: Some(60) })
        );
    }

    #[test]
    fn an_unknown_message_is_escaped_and_cut_to_one_line() {
        let long = format!("bad\n\x1b[31mthing {}", "x".repeat(400));
        let Some(Refused::Other {
            status: 403,
            message,
        }) = read(403, &Hints::default(), &json(&long), NOW)
        else {
            panic!("not Other");
        };
        assert!(message.starts_with("bad\\x0a\\x1b[31mthing"), "{message}");
        assert!(message.ends_with("...") && message.len() < 200);
        assert!(read(404, &Hints::default(), "", NOW).is_none());
    }
}

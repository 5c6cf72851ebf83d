//! One answer of the server as this program reads it: the status, the few headers that
//! matter (parsed, never kept for printing), and the body of a 200, 403 or 429 with any
//! echoed secret cut out; and what each answer means for the token ([`super::Probe`]).

use serde::Deserialize;

use super::{reasons, ContentsAccess, RepoAccess, ServerExpiry};

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) expiration: Option<String>,
    pub(super) accepted: Option<String>,
    pub(super) hints: reasons::Hints,
    /// The body of a 200, 403 or 429 (at most [`BODY_LIMIT`]), secrets cut out.
    pub(super) body: String,
    /// Reached through a redirect within the origin.
    pub(super) redirected: bool,
    /// A redirect not followed (to another origin, or too many).
    pub(super) away: bool,
}

#[derive(Deserialize)]
struct RepoBody {
    full_name: Option<String>,
}

impl Reply {
    pub(super) fn away(status: u16) -> Reply {
        Reply {
            status,
            expiration: None,
            accepted: None,
            hints: reasons::Hints::default(),
            body: String::new(),
            redirected: false,
            away: true,
        }
    }

    /// The token's expiry, from an answer to an accepted token. The header's absence means
    /// "no expiry" only on a 200: other answers may simply not carry it.
    pub(super) fn expiry(&self) -> Option<ServerExpiry> {
        match (&self.expiration, self.status) {
            _ if self.away => None,
            (Some(v), s) if s != 401 && s < 500 => Some(parse_expiration(v)),
            (None, 200) => Some(ServerExpiry::Never),
            _ => None,
        }
    }

    /// A 200 for `owner/repo`: visible, or renamed when a redirect led to another name.
    pub(super) fn visible(&self, owner: &str, repo: &str) -> RepoAccess {
        let asked = format!("{owner}/{repo}");
        let name = serde_json::from_str::<RepoBody>(&self.body)
            .ok()
            .and_then(|b| b.full_name)
            .filter(|n| crate::remote::owner_repo(n.as_bytes()).is_some());
        match name {
            Some(to) if self.redirected && !to.eq_ignore_ascii_case(&asked) => {
                RepoAccess::Renamed { to }
            }
            _ => RepoAccess::Visible,
        }
    }

    /// Any answer but 200, 401 and 404 to the repository question.
    pub(super) fn other(&self) -> RepoAccess {
        if self.away {
            return RepoAccess::RedirectedAway;
        }
        match reasons::read(self.status, &self.hints, &self.body, wall_clock()) {
            Some(r) => RepoAccess::Refused(r),
            None => RepoAccess::Unexpected(self.status),
        }
    }

    pub(super) fn contents(&self) -> ContentsAccess {
        match self.status {
            200 => ContentsAccess::Readable,
            409 => ContentsAccess::Empty,
            403 if self.accepted.is_some() => {
                let accepted = self.accepted.as_deref().and_then(permissions);
                match accepted {
                    Some(a) if !a.contains("contents") => ContentsAccess::Unexpected(403),
                    a => ContentsAccess::Missing { accepted: a },
                }
            }
            s => match reasons::read(s, &self.hints, &self.body, wall_clock()) {
                Some(r) if !self.away => ContentsAccess::Refused(r),
                _ => ContentsAccess::Unexpected(s),
            },
        }
    }
}

/// The real clock, for a server's rate-limit reset time (which is on it).
fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// `X-Accepted-GitHub-Permissions` as parsed: `name=level` pairs (`contents=read`,
/// `metadata=read; contents=read`), re-joined with `, `; `None` when any part has another
/// shape. The value itself is never printed.
fn permissions(value: &str) -> Option<String> {
    let levels = ["read", "write", "admin"];
    let parts: Option<Vec<String>> = value
        .split([',', ';'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=')?;
            let name_ok = !k.is_empty()
                && k.len() <= 40
                && k.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-');
            (name_ok && levels.contains(&v)).then(|| format!("{k}={v}"))
        })
        .collect();
    parts.filter(|p| !p.is_empty()).map(|p| p.join(", "))
}

/// `2026-12-31 12:00:00 UTC` or `2026-12-31 12:00:00 +0200`.
pub fn parse_expiration(value: &str) -> ServerExpiry {
    match crate::time::parse_timestamp(value) {
        Some(at) => ServerExpiry::At(at),
        None => ServerExpiry::Unreadable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::Refused;

    #[test]
    fn expiration_headers_in_both_forms() {
        let utc = parse_expiration("2026-12-31 12:00:00 UTC");
        assert_eq!(
            utc,
            ServerExpiry::At(crate::time::parse_timestamp("2026-12-31T12:00:00Z").unwrap())
        );
        assert_eq!(
            parse_expiration("2026-12-31 14:00:00 +0200"),
            utc,
            "the offset form names the same instant"
        );
        assert_eq!(parse_expiration("soon"), ServerExpiry::Unreadable);
    }

    #[test]
    fn only_a_200_without_the_header_means_no_expiry() {
        let reply = |status, exp: Option<&str>| Reply {
            expiration: exp.map(str::to_string),
            ..Reply::away(status)
        };
        let reply = |status, exp| Reply {
            away: false,
            ..reply(status, exp)
        };
        assert_eq!(reply(200, None).expiry(), Some(ServerExpiry::Never));
        assert_eq!(reply(404, None).expiry(), None);
        assert_eq!(reply(401, Some("2027-01-01 00:00:00 UTC")).expiry(), None);
        assert_eq!(
            reply(404, Some("2027-01-01 00:00:00 UTC")).expiry(),
            Some(ServerExpiry::At(
                crate::time::parse_timestamp("2027-01-01").unwrap()
            ))
        );
        // A 403 without the permissions header is one of GitHub's other reasons.
        assert_eq!(
            reply(403, Some("contents=read")).contents(),
            ContentsAccess::Refused(Refused::Other {
                status: 403,
                message: String::new()
            })
        );
        let mut missing = reply(403, None);
        missing.accepted = Some("contents=read".into());
        assert!(matches!(missing.contents(), ContentsAccess::Missing { .. }));
    }

    #[test]
    fn accepted_permissions_are_shown_as_parsed_or_not_at_all() {
        assert_eq!(
            permissions("contents=read").as_deref(),
            Some("contents=read")
        );
        assert_eq!(
            permissions("metadata=read; contents=read").as_deref(),
            Some("metadata=read, contents=read")
        );
        assert_eq!(permissions("Bearer github_pat_11SECRET"), None);
        assert_eq!(permissions("contents=github_pat_11SECRET"), None);
        assert_eq!(permissions(""), None);
    }
}

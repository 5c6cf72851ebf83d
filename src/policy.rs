//! Pure policy: is this token fit to send, now? No I/O; the clock and the state are
//! arguments, so `get` and `check` judge identically and tests fix the time.

use crate::registry::learned::{Learned, Limit};
use crate::registry::state::{Rejection, State};
use crate::registry::{Access, Expiry, OnExpired, Settings, Token};
use crate::time::DAY;

/// What [`judge`] says of sending a token now (named apart from `check`'s verdict, which
/// describes a whole URL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Send it; nothing to say.
    Serve,
    /// Send it, and warn: it expires within `warn_days`.
    Expiring {
        at: i64,
    },
    /// Send it although it has expired (`on_expired = "warn"`), and warn.
    ExpiredAllowed {
        at: i64,
    },
    Refuse(Refusal),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    Expired {
        at: i64,
    },
    NoContents,
    /// `check --write` asked for push access and the token has `contents: read`.
    NoWrite,
    Rejected(Rejection),
    /// The token lives longer than its owner allows (a limit learned from GitHub).
    OverLifetime(Limit),
}

impl Judgement {
    pub fn serves(&self) -> bool {
        !matches!(self, Judgement::Refuse(_))
    }

    /// The one table of state words (`list`, `show`, `check`, `doctor`, JSON). No `_` arm:
    /// a new verdict cannot be shown without deciding its word here.
    pub fn label(&self) -> &'static str {
        match self {
            Judgement::Serve => "ok",
            Judgement::Expiring { .. } => "expiring",
            Judgement::ExpiredAllowed { .. } | Judgement::Refuse(Refusal::Expired { .. }) => {
                "expired"
            }
            Judgement::Refuse(Refusal::NoContents) => "no-contents",
            Judgement::Refuse(Refusal::NoWrite) => "no-write",
            Judgement::Refuse(Refusal::Rejected(_)) => "rejected",
            Judgement::Refuse(Refusal::OverLifetime(_)) => "over-lifetime",
        }
    }
}

/// What makes a token unfit to send whatever is asked of it: the server rejected it, it
/// cannot read contents, or it has expired — checked in that order. The one statement of
/// validity: [`judge`] and the ordering of candidates in `scope` both use it.
pub fn defect(token: &Token, state: &State, now: i64) -> Option<Refusal> {
    if let Some(r) = state.rejection(&token.name) {
        return Some(Refusal::Rejected(r.clone()));
    }
    if let Some(limit) = over_lifetime(token, &state.learned) {
        return Some(Refusal::OverLifetime(limit.clone()));
    }
    if token.contents == Access::None {
        return Some(Refusal::NoContents);
    }
    match token.expires {
        Expiry::At(at) if at <= now => Some(Refusal::Expired { at }),
        _ => None,
    }
}

/// The `password_expiry_utc` to answer with: the token's expiry, except for an expired
/// token sent under `on_expired = "warn"` — git drops a credential whose expiry is past
/// (git 2.41+), so it is sent without one (issue 23).
pub fn expiry_to_send(verdict: &Judgement, expires: Expiry) -> Option<u64> {
    match verdict {
        Judgement::ExpiredAllowed { .. } => None,
        _ => expires.timestamp(),
    }
}

/// The lifetime limit learned for the token's owner, when the token is known to exceed it:
/// GitHub refused its secret for it, it never expires, or its expiry is more than the limit
/// after the day it was added (a day's grace: GitHub counts from creation).
pub fn over_lifetime<'l>(token: &Token, learned: &'l Learned) -> Option<&'l Limit> {
    let limit = learned.limit(&token.host, &token.owner)?;
    let refused = learned.refused(&token.name, token.fingerprint.as_deref());
    let longer = match (token.expires, learned.added(&token.name)) {
        (Expiry::Never, _) => true,
        (Expiry::At(at), Some(added)) => at - added > (i64::from(limit.days) + 1) * DAY,
        _ => false,
    };
    (refused || longer).then_some(limit)
}

/// The verdict for sending `token` now: its [`defect`] (an expired one is sent with a
/// warning under `on_expired = "warn"`), then push access when asked, then the warning
/// window.
pub fn judge(
    token: &Token,
    state: &State,
    now: i64,
    settings: &Settings,
    need_write: bool,
) -> Judgement {
    let defect = defect(token, state, now);
    if let Some(r @ (Refusal::Rejected(_) | Refusal::NoContents | Refusal::OverLifetime(_))) =
        defect
    {
        return Judgement::Refuse(r);
    }
    if need_write && token.contents != Access::Write {
        return Judgement::Refuse(Refusal::NoWrite);
    }
    match (defect, token.expires) {
        (Some(Refusal::Expired { at }), _) => match settings.on_expired {
            OnExpired::Refuse => Judgement::Refuse(Refusal::Expired { at }),
            OnExpired::Warn => Judgement::ExpiredAllowed { at },
        },
        (_, Expiry::At(at)) if at - now <= settings.warn_days * DAY => Judgement::Expiring { at },
        _ => Judgement::Serve,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::state::TokenState;
    use crate::registry::Repos;

    const NOW: i64 = 1_800_000_000;

    fn token(contents: Access, expires: Expiry) -> Token {
        Token {
            contents,
            ..Token::sample("t", "o", Repos::All, expires)
        }
    }

    fn judge_now(t: &Token) -> Judgement {
        judge(t, &State::default(), NOW, &Settings::default(), false)
    }

    #[test]
    fn expiry_boundaries() {
        let at = |d: i64| token(Access::Read, Expiry::At(NOW + d));
        assert_eq!(judge_now(&at(7 * DAY + 1)), Judgement::Serve);
        assert_eq!(
            judge_now(&at(7 * DAY)),
            Judgement::Expiring { at: NOW + 7 * DAY }
        );
        assert_eq!(judge_now(&at(1)), Judgement::Expiring { at: NOW + 1 });
        assert_eq!(
            judge_now(&at(0)),
            Judgement::Refuse(Refusal::Expired { at: NOW })
        );
        assert_eq!(
            judge_now(&token(Access::Read, Expiry::Never)),
            Judgement::Serve
        );
        assert_eq!(
            judge_now(&token(Access::Read, Expiry::Unknown)),
            Judgement::Serve
        );
    }

    #[test]
    fn on_expired_warn_serves_with_a_warning() {
        let s = Settings {
            on_expired: OnExpired::Warn,
            ..Settings::default()
        };
        let t = token(Access::Read, Expiry::At(NOW - DAY));
        let v = judge(&t, &State::default(), NOW, &s, false);
        assert_eq!(v, Judgement::ExpiredAllowed { at: NOW - DAY });
        assert_eq!(
            expiry_to_send(&v, t.expires),
            None,
            "git drops a past expiry"
        );
        let fresh = Expiry::At(NOW + DAY);
        assert_eq!(expiry_to_send(&Judgement::Serve, fresh), fresh.timestamp());
    }

    #[test]
    fn contents_none_read_write() {
        assert_eq!(
            judge_now(&token(Access::None, Expiry::Never)),
            Judgement::Refuse(Refusal::NoContents)
        );
        let read = token(Access::Read, Expiry::Never);
        assert_eq!(
            judge(&read, &State::default(), NOW, &Settings::default(), true),
            Judgement::Refuse(Refusal::NoWrite)
        );
        let write = token(Access::Write, Expiry::Never);
        assert_eq!(
            judge(&write, &State::default(), NOW, &Settings::default(), true),
            Judgement::Serve
        );
    }

    #[test]
    fn a_learned_lifetime_limit_refuses_tokens_known_to_exceed_it() {
        let limit = Limit {
            host: "github.com".into(),
            owner: "o".into(),
            days: 90,
            kind: "organization".into(),
            by: "o".into(),
            seen: NOW,
        };
        let mut state = State::default();
        state.learned.set_limit(limit.clone());
        let judge_with = |t: &Token, s: &State| judge(t, s, NOW, &Settings::default(), false);
        let never = token(Access::Read, Expiry::Never);
        assert_eq!(
            judge_with(&never, &state),
            Judgement::Refuse(Refusal::OverLifetime(limit.clone()))
        );
        let long = token(Access::Read, Expiry::At(NOW + 200 * DAY));
        assert_eq!(judge_with(&long, &state), Judgement::Serve, "added unknown");
        state.learned.added.push(("t".into(), NOW - DAY));
        assert_eq!(
            judge_with(&long, &state),
            Judgement::Refuse(Refusal::OverLifetime(limit.clone()))
        );
        let short = token(Access::Read, Expiry::At(NOW + 80 * DAY));
        assert_eq!(judge_with(&short, &state), Judgement::Serve);
        state.learned.added.clear();
        state.learned.set_exceeds("t", None, "github.com", "o", NOW);
        assert_eq!(
            judge_with(&short, &state),
            Judgement::Refuse(Refusal::OverLifetime(limit))
        );
        assert_eq!(judge_with(&never, &State::default()), Judgement::Serve);
    }

    #[test]
    fn a_rejected_mark_refuses_until_cleared() {
        let t = token(Access::Read, Expiry::Never);
        let mut state = State::default();
        let r = Rejection {
            at: NOW - 5,
            repo: Some("o/r".into()),
        };
        state.tokens.push((
            "t".into(),
            TokenState {
                last_used: None,
                rejected: Some(r.clone()),
            },
        ));
        assert_eq!(
            judge(&t, &state, NOW, &Settings::default(), false),
            Judgement::Refuse(Refusal::Rejected(r))
        );
        assert!(defect(&t, &state, NOW).is_some());
    }
}

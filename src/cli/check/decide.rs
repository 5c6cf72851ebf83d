//! The offline half of `check`: the [`Decision`] `get` would make for a URL, described in
//! words — the verdict, the token and what to run when it is not served. Pure: the
//! registry, state, generic index and clock are arguments; `get`'s own decision function
//! decides, this file only describes its value.

use crate::messages::new_token_hint;
use crate::policy::Judgement as Policy;
use crate::protocol::escape;
use crate::registry::credentials::Stored;
use crate::registry::state::State;
use crate::registry::Registry;
use crate::remote::Remote;
use crate::resolve::{resolve, Choice, Decision, Query, Route};
use crate::time::format_date;

use super::outcome::{expiry_words, Outcome, TokenVerdict, Verdict};
use super::target::Target;

fn choice_head(c: &Choice, now: i64) -> String {
    use crate::policy::Refusal;
    let t = &c.token;
    let reason = match &c.verdict {
        Policy::Refuse(Refusal::Expired { .. }) => expiry_words(t.expires, now),
        Policy::Refuse(Refusal::NoContents) => "it has no contents permission".into(),
        Policy::Refuse(Refusal::NoWrite) => format!(
            "pushing needs contents=write, it has contents={}",
            t.contents.name()
        ),
        Policy::Refuse(Refusal::Rejected(r)) => {
            format!("the server rejected it on {}", format_date(r.at))
        }
        Policy::Refuse(Refusal::OverLifetime(l)) => {
            format!("it lives longer than the {} days its owner allows", l.days)
        }
        Policy::Serve | Policy::Expiring { .. } | Policy::ExpiredAllowed { .. } => {
            return format!(
                "token '{}' ({}, {})",
                t.name,
                t.permissions_text(),
                expiry_words(t.expires, now)
            )
        }
    };
    format!("token '{}': {reason}", t.name)
}

/// The same decision `get` makes, described. Pure: the registry, state, generic index and
/// clock are arguments.
pub fn decide(
    t: &Target,
    reg: &Registry,
    state: &State,
    index: &[Stored],
    now: i64,
    need_write: bool,
) -> Outcome {
    let q = Query {
        protocol: Some(&t.protocol),
        host: Some(&t.host),
        path: t.path.as_deref(),
        username: t.username.as_deref(),
        need_write,
    };
    let Ok(decision) = resolve(&q, reg, state, now);
    describe(t, &decision, index, now, need_write)
}

fn describe(t: &Target, d: &Decision, index: &[Stored], now: i64, need_write: bool) -> Outcome {
    let host = escape(t.host.as_bytes());
    let (serves, stored) = match (d.choice(), &d.lookup) {
        (Some(c), _) => (c.verdict.serves(), false),
        (None, None) => (false, false),
        (None, Some(l)) => {
            let found = index.iter().any(|e| e.matches(&l.pattern()));
            (found, found)
        }
    };
    let mut o = Outcome {
        url: t.shown.clone(),
        host: t.host.clone(),
        repository: None,
        token: d.choice().map(|c| c.token.clone()),
        verdict: Verdict::NoPath,
        serves,
        head: String::new(),
        messages: d.lines.clone(),
        online: None,
    };
    let note = if stored {
        " (get answers with a credential stored for it)"
    } else {
        ""
    };
    if let (None, Some(l), false) = (d.choice(), &d.lookup, stored) {
        o.messages.extend(l.unanswered.iter().cloned());
    }
    if t.path.is_none() && !t.path_withheld {
        // The URL itself names no repository: git's useHttpPath is not why there is none.
        let no_path = crate::messages::no_path_line(Some(&t.protocol), &t.host);
        o.messages.retain(|m| *m != no_path);
    }
    match &d.route {
        Route::Incomplete | Route::NoPath { default: None } | Route::NotARepository => {
            if t.path_withheld {
                // resolve's line says why and what fixes it, when the host has tokens.
                o.head = format!(
                    "git sends no repository path for {host} (credential.useHttpPath is off){note}"
                );
                if o.messages.is_empty() {
                    o.messages
                        .push(crate::messages::no_path_line(Some(&t.protocol), &t.host));
                }
            } else {
                o.head = format!("the URL names no OWNER/REPO on {host}{note}");
                o.messages.push(format!(
                    "hint: give the repository's URL, like https://{host}/OWNER/REPO"
                ));
            }
        }
        Route::NotGitHub => {
            o.verdict = Verdict::NotGitHub;
            // The hint that declares the host needs the config's path: super::run adds it.
            o.head = format!("{host} is not a GitHub host{note}");
        }
        Route::InsecureProtocol => {
            o.verdict = Verdict::InsecureProtocol;
            o.head = format!(
                "{host} is a GitHub host and takes tokens over https only, not {}",
                escape(t.protocol.as_bytes())
            );
            o.messages.push(format!("hint: use https://{host}/..."));
        }
        Route::NoPath { default: Some(c) } | Route::Chosen(c) => {
            if matches!(d.route, Route::NoPath { .. }) {
                o.messages.insert(
                    0,
                    "the URL names no repository; get would send the host's default token".into(),
                );
            }
            o.repository = c.remote.as_ref().map(Remote::full_name);
            o.verdict = Verdict::Token(TokenVerdict::of(&c.verdict));
            o.head = choice_head(c, now);
        }
        Route::Uncovered {
            remote,
            owner_covers,
            ..
        } => {
            o.repository = Some(remote.full_name());
            o.verdict = Verdict::Uncovered;
            o.head = match owner_covers {
                Some(covers) => format!(
                    "{}{note}",
                    crate::messages::uncovered_line(&remote.full_name(), &remote.owner, covers)
                ),
                None => format!(
                    "no token for {} on {} covers {}{note}",
                    remote.owner,
                    remote.host,
                    remote.full_name()
                ),
            };
            if !stored {
                o.messages.push(new_token_hint(remote, need_write));
            }
        }
    }
    o
}

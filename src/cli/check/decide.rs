//! The offline half of `check`: the [`Decision`] `get` would make for a URL, described in
//! words — the verdict, the token and what to run when it is not served. Pure: the
//! registry, state, generic index and clock are arguments; `get`'s own decision function
//! decides, this file only describes its value.

use crate::messages::NewTokenLink;
use crate::policy::Verdict as Policy;
use crate::protocol::escape;
use crate::registry::credentials::Stored;
use crate::registry::state::State;
use crate::registry::{Access, Expiry, Registry, Token};
use crate::remote::Remote;
use crate::resolve::{resolve, Answer, Choice, Decision, Query, Route};
use crate::time::{format_date, relative};

use super::online::Online;
use super::target::Target;

/// The verdicts of `check`, one word each in its output and JSON. No `_` arm anywhere:
/// a new verdict cannot be printed before its words are decided here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Token(TokenVerdict),
    NotFound,
    Unverified,
    Unavailable,
    Uncovered,
    NotGitHub,
    InsecureProtocol,
    NoPath,
}

/// What the policy said about the chosen token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenVerdict {
    Ok,
    Expiring,
    Expired,
    NoContents,
    NoWrite,
    Rejected,
}

impl TokenVerdict {
    fn of(v: &Policy) -> TokenVerdict {
        use crate::policy::Refusal;
        match v {
            Policy::Serve => TokenVerdict::Ok,
            Policy::Expiring { .. } => TokenVerdict::Expiring,
            Policy::ExpiredAllowed { .. } | Policy::Refuse(Refusal::Expired { .. }) => {
                TokenVerdict::Expired
            }
            Policy::Refuse(Refusal::NoContents) => TokenVerdict::NoContents,
            Policy::Refuse(Refusal::NoWrite) => TokenVerdict::NoWrite,
            Policy::Refuse(Refusal::Rejected(_)) => TokenVerdict::Rejected,
        }
    }
}

impl Verdict {
    /// The word in `--json`'s `verdict`.
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Token(TokenVerdict::Ok) => "ok",
            Verdict::Token(TokenVerdict::Expiring) => "expiring",
            Verdict::Token(TokenVerdict::Expired) => "expired",
            Verdict::Token(TokenVerdict::NoContents) => "no-contents",
            Verdict::Token(TokenVerdict::NoWrite) => "no-write",
            Verdict::Token(TokenVerdict::Rejected) => "rejected",
            Verdict::NotFound => "not-found",
            Verdict::Unverified => "unverified",
            Verdict::Unavailable => "unavailable",
            Verdict::Uncovered => "uncovered",
            Verdict::NotGitHub => "not-github",
            Verdict::InsecureProtocol => "insecure-protocol",
            Verdict::NoPath => "no-path",
        }
    }

    /// The first word of the human line.
    pub fn status(self, serves: bool) -> &'static str {
        match (self, serves) {
            (
                Verdict::Token(TokenVerdict::Ok)
                | Verdict::Uncovered
                | Verdict::NotGitHub
                | Verdict::NoPath,
                true,
            ) => "ok",
            (Verdict::Token(TokenVerdict::Expiring), _) => "expiring",
            (Verdict::Token(TokenVerdict::Expired), true) => "expired",
            (Verdict::Token(_), _) => "refused",
            (Verdict::NotFound, _) => "not-found",
            (Verdict::Unverified, _) => "unverified",
            (Verdict::Unavailable, _) => "unavailable",
            (Verdict::Uncovered, false) => "uncovered",
            (Verdict::NotGitHub, false) => "not-github",
            (Verdict::InsecureProtocol, _) => "insecure",
            (Verdict::NoPath, false) => "no-path",
        }
    }
}

/// What `check` says about one URL.
pub struct Outcome {
    pub url: String,
    pub host: String,
    pub repository: Option<String>,
    pub token: Option<Token>,
    pub verdict: Verdict,
    pub serves: bool,
    /// The rest of the first human line.
    pub head: String,
    pub messages: Vec<String>,
    pub online: Option<Online>,
}

pub fn expiry_words(e: Expiry, now: i64) -> String {
    match e {
        Expiry::Never => "never expires".into(),
        Expiry::Unknown => "expiry unknown".into(),
        Expiry::At(at) if at <= now => {
            format!("expired {} ({})", format_date(at), relative(at, now))
        }
        Expiry::At(at) => format!("expires {}, {}", format_date(at), relative(at, now)),
    }
}

fn choice_head(c: &Choice, now: i64) -> String {
    use crate::policy::Refusal;
    let t = c.token;
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

/// The creation link and `add` command for a repository no token covers.
fn new_token_hint(remote: &Remote, need_write: bool, owner_has_tokens: bool) -> String {
    let description = format!("git-credential-scoped: {}", remote.repo);
    let link = NewTokenLink {
        host: &remote.host,
        owner: &remote.owner,
        name: &format!("{}-{}", remote.owner, remote.repo),
        description: Some(&description),
        expires_in_days: Some(90),
        contents: if need_write {
            Access::Write
        } else {
            Access::Read
        },
    }
    .url();
    let host = if remote.host == crate::registry::GITHUB {
        String::new()
    } else {
        format!(" --host {}", remote.host)
    };
    let _ = owner_has_tokens;
    format!(
        "hint: create a token for {} at {link} then run: git credential-scoped add {}-{} --owner {} --repo {}{host} --expires-in 90d --verify",
        remote.full_name(), remote.owner, remote.repo, remote.owner, remote.repo
    )
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
    describe(t, &resolve(&q, reg, state, now), index, now, need_write)
}

fn describe(t: &Target, d: &Decision, index: &[Stored], now: i64, need_write: bool) -> Outcome {
    let host = escape(t.host.as_bytes());
    let (serves, stored) = match d.answer() {
        Answer::Token(_) => (true, false),
        Answer::Quit(_) | Answer::Nothing => (false, false),
        Answer::Stored(l) => {
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
    if let (Answer::Stored(l), false) = (d.answer(), stored) {
        o.messages.extend(l.unanswered.iter().cloned());
    }
    match &d.route {
        Route::Incomplete | Route::NoPath { default: None } | Route::NotARepository => {
            if t.path_withheld {
                // resolve's line says why and what fixes it, when the host has tokens.
                o.head = format!(
                    "git sends no repository path for {host} (credential.useHttpPath is off){note}"
                );
                if o.messages.is_empty() {
                    o.messages.push(crate::messages::no_path_line(&t.host));
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
            o.head = format!("{host} is not a GitHub host{note}");
            if !stored {
                o.messages.push(format!("hint: if {host} is GitHub Enterprise, declare it in the config: [[host]] name = \"{host}\" api = \"https://{host}/api/v3\""));
            }
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
                o.messages
                    .push(new_token_hint(remote, need_write, owner_covers.is_some()));
            }
        }
    }
    o
}

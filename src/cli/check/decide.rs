//! The offline half of `check`: the decision `get` would make for a URL, described in
//! words — the verdict, the token and what to run when it is not served. Pure: the
//! registry, state, generic index and clock are arguments.

use crate::messages::{self, NewTokenLink};
use crate::policy::{Refusal, Verdict};
use crate::protocol::escape;
use crate::registry::credentials::{Pattern, Stored};
use crate::registry::state::State;
use crate::registry::{Access, Expiry, Registry, Token};
use crate::remote::Remote;
use crate::resolve::{resolve, Choice, Query, Resolution};
use crate::time::{format_date, relative};

use super::online::Online;
use super::target::Target;

/// What `check` says about one URL.
pub struct Outcome {
    pub url: String,
    pub host: String,
    pub repository: Option<String>,
    pub token: Option<Token>,
    pub verdict: &'static str,
    pub serves: bool,
    /// The rest of the first human line.
    pub head: String,
    pub messages: Vec<String>,
    pub online: Option<Online>,
}

impl Outcome {
    fn new(t: &Target) -> Outcome {
        Outcome {
            url: t.shown.clone(),
            host: t.host.clone(),
            repository: None,
            token: None,
            verdict: "ok",
            serves: false,
            head: String::new(),
            messages: Vec::new(),
            online: None,
        }
    }
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Serve => "ok",
        Verdict::Expiring { .. } => "expiring",
        Verdict::ExpiredAllowed { .. } | Verdict::Refuse(Refusal::Expired { .. }) => "expired",
        Verdict::Refuse(Refusal::NoContents) => "no-contents",
        Verdict::Refuse(Refusal::NoWrite) => "no-write",
        Verdict::Refuse(Refusal::Rejected(_)) => "rejected",
    }
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
    let t = c.token;
    let reason = match &c.verdict {
        Verdict::Refuse(Refusal::Expired { .. }) => expiry_words(t.expires, now),
        Verdict::Refuse(Refusal::NoContents) => "it has no contents permission".into(),
        Verdict::Refuse(Refusal::NoWrite) => {
            format!(
                "pushing needs contents=write, it has contents={}",
                t.contents.name()
            )
        }
        Verdict::Refuse(Refusal::Rejected(r)) => {
            format!("the server rejected it on {}", format_date(r.at))
        }
        _ => {
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
fn new_token_hint(remote: &Remote, need_write: bool) -> String {
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
        protocol: &t.protocol,
        host: &t.host,
        path: t.path.as_deref(),
        username: t.username.as_deref(),
        need_write,
    };
    let mut o = Outcome::new(t);
    let host = escape(t.host.as_bytes());
    match resolve(&q, reg, state, now) {
        Resolution::NotGitHub => not_github(&mut o, &host, stored(t, index, t.path.as_deref())),
        Resolution::InsecureProtocol => insecure_protocol(&mut o, &host, &t.protocol),
        Resolution::NoPath {
            default: Some(c), ..
        } => {
            o.messages.push(
                "the URL names no repository; get would send the host's default token".into(),
            );
            describe_choice(&mut o, &c, now);
        }
        Resolution::NoPath { default: None, .. } | Resolution::NotARepository => {
            no_path(&mut o, &host, stored(t, index, t.path.as_deref()))
        }
        Resolution::Chosen(c) => describe_choice(&mut o, &c, now),
        Resolution::Uncovered {
            remote,
            owner_covers,
        } => {
            let served = stored(t, index, Some(remote.full_name().as_bytes()));
            uncovered(&mut o, &remote, owner_covers.as_deref(), served, need_write);
        }
    }
    o
}

fn not_github(o: &mut Outcome, host: &str, served: bool) {
    o.verdict = "not-github";
    o.serves = served;
    o.head = format!("{host} is not a GitHub host{}", stored_note(o.serves));
    o.messages.push(format!("hint: if {host} is GitHub Enterprise, declare it in the config: [[host]] name = \"{host}\" api = \"https://{host}/api/v3\""));
}

fn insecure_protocol(o: &mut Outcome, host: &str, protocol: &str) {
    o.verdict = "insecure-protocol";
    o.head = format!(
        "{host} is a GitHub host and takes tokens over https only, not {}",
        escape(protocol.as_bytes())
    );
    o.messages.push(format!("hint: use https://{host}/..."));
}

fn no_path(o: &mut Outcome, host: &str, served: bool) {
    o.verdict = "no-path";
    o.serves = served;
    o.head = format!(
        "the URL names no OWNER/REPO on {host}{}",
        stored_note(o.serves)
    );
    o.messages.push(format!(
        "hint: give the repository's URL, like https://{host}/OWNER/REPO"
    ));
}

fn uncovered(
    o: &mut Outcome,
    remote: &Remote,
    owner_covers: Option<&[String]>,
    served: bool,
    need_write: bool,
) {
    o.repository = Some(remote.full_name());
    o.verdict = "uncovered";
    o.serves = served;
    o.head = match owner_covers {
        Some(covers) => messages::uncovered_line(&remote.full_name(), &remote.owner, covers),
        None => format!(
            "no token for {} on {} covers {}",
            remote.owner,
            remote.host,
            remote.full_name()
        ),
    };
    o.head.push_str(&stored_note(o.serves));
    if !o.serves {
        o.messages.push(new_token_hint(remote, need_write));
    }
}

/// Whether the generic store holds a credential `get` would answer with for `path` of the
/// target's host.
fn stored(t: &Target, index: &[Stored], path: Option<&[u8]>) -> bool {
    let p = Pattern {
        protocol: &t.protocol,
        host: &t.host,
        path,
        username: t.username.as_deref(),
    };
    index.iter().any(|e| e.matches(&p))
}

fn stored_note(served: bool) -> String {
    if served {
        " (get answers with a credential stored for it)".into()
    } else {
        String::new()
    }
}

fn describe_choice(o: &mut Outcome, c: &Choice, now: i64) {
    o.repository = c.remote.as_ref().map(Remote::full_name);
    o.token = Some(c.token.clone());
    o.verdict = verdict_name(&c.verdict);
    o.serves = c.verdict.serves();
    o.head = choice_head(c, now);
    o.messages.extend(messages::verdict_lines(c, now));
}

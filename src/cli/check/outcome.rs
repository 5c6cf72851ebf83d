//! What `check` says about one URL: the verdict (one exhaustive table of words), the token,
//! the messages, and what `--online` learned. Data only: [`super::decide`] fills it from
//! `get`'s decision, [`super::online`] amends it with the server's answers, and
//! [`super::report`] prints it.

use crate::github::Probe;
use crate::policy::Judgement as Policy;
use crate::registry::{Expiry, Token};
use crate::time::{format_date, relative};

/// The verdicts of `check`, one word each in its output and JSON. No `_` arm anywhere:
/// a new verdict cannot be printed before its words are decided here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Token(TokenVerdict),
    NotFound,
    /// None of the token's selected repositories is visible: an owner has not approved it.
    ApprovalPending,
    /// The owner forbids the token's kind or the machine's address (classic ban, IP list).
    Forbidden,
    /// The repository was renamed or transferred.
    Renamed,
    Unverified,
    Unavailable,
    Uncovered,
    NotGitHub,
    InsecureProtocol,
    NoPath,
    NotAsked,
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
    OverLifetime,
}

impl TokenVerdict {
    pub fn of(v: &Policy) -> TokenVerdict {
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
            Policy::Refuse(Refusal::OverLifetime(_)) => TokenVerdict::OverLifetime,
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
            Verdict::Token(TokenVerdict::OverLifetime) => "over-lifetime",
            Verdict::NotFound => "not-found",
            Verdict::ApprovalPending => "approval-pending",
            Verdict::Forbidden => "forbidden",
            Verdict::Renamed => "renamed",
            Verdict::Unverified => "unverified",
            Verdict::Unavailable => "unavailable",
            Verdict::Uncovered => "uncovered",
            Verdict::NotGitHub => "not-github",
            Verdict::InsecureProtocol => "insecure-protocol",
            Verdict::NoPath => "no-path",
            Verdict::NotAsked => "not-asked",
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
            (Verdict::ApprovalPending, _) => "pending",
            (Verdict::Forbidden, _) => "forbidden",
            (Verdict::Renamed, _) => "renamed",
            (Verdict::Unverified, _) => "unverified",
            (Verdict::Unavailable, _) => "unavailable",
            (Verdict::Uncovered, false) => "uncovered",
            (Verdict::NotGitHub, false) => "not-github",
            (Verdict::InsecureProtocol, _) => "insecure",
            (Verdict::NoPath, false) => "no-path",
            (Verdict::NotAsked, _) => "not-asked",
        }
    }
}

impl Verdict {
    /// The color of the status word: green when served quietly, yellow when served with a
    /// warning of expiry, red when not served (or served although expired).
    pub fn style(self, serves: bool) -> anstyle::Style {
        use crate::cli::paint::{BAD, OK, WARN};
        match (self, serves) {
            (Verdict::Token(TokenVerdict::Expiring), _) => WARN,
            (
                Verdict::Token(TokenVerdict::Ok)
                | Verdict::Uncovered
                | Verdict::NotGitHub
                | Verdict::NoPath,
                true,
            ) => OK,
            (
                Verdict::Token(
                    TokenVerdict::Ok
                    | TokenVerdict::Expired
                    | TokenVerdict::NoContents
                    | TokenVerdict::NoWrite
                    | TokenVerdict::Rejected
                    | TokenVerdict::OverLifetime,
                )
                | Verdict::NotFound
                | Verdict::ApprovalPending
                | Verdict::Forbidden
                | Verdict::Renamed
                | Verdict::Unverified
                | Verdict::Unavailable
                | Verdict::Uncovered
                | Verdict::NotGitHub
                | Verdict::InsecureProtocol
                | Verdict::NoPath
                | Verdict::NotAsked,
                _,
            ) => BAD,
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

/// What `--online` learned about one token and repository.
#[derive(Clone, Debug, Default)]
pub struct Online {
    pub token: String,
    pub api: String,
    pub probe: Option<Probe>,
    pub error: Option<String>,
    pub expiry_recorded: bool,
    pub rejected_marked: bool,
    pub rejected_cleared: bool,
}

/// What `check --all` says about one registered token: the policy's verdict, or — when the
/// policy would send it quietly but nobody knows when it stops working — unknown expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    Policy(Policy),
    UnknownExpiry,
    /// `--online`: the server refused the token for one of its reasons (the verdict's word).
    Server(&'static str),
}

impl Standing {
    /// A registered token's standing, offline, as `list`, `show` and `check --all` say it:
    /// the policy's verdict, or unknown expiry where the policy would send it quietly but
    /// nothing would warn before it stops working.
    pub fn of(
        t: &Token,
        state: &crate::registry::state::State,
        now: i64,
        settings: &crate::registry::Settings,
    ) -> Standing {
        match (
            crate::policy::judge(t, state, now, settings, false),
            t.expires,
        ) {
            (Policy::Serve, Expiry::Unknown) => Standing::UnknownExpiry,
            (verdict, _) => Standing::Policy(verdict),
        }
    }

    /// The word in the table and in `--json`'s `state`: the policy's own
    /// ([`Policy::label`]), or `unknown-expiry`.
    pub fn name(&self) -> &'static str {
        match self {
            Standing::Policy(v) => v.label(),
            Standing::UnknownExpiry => "unknown-expiry",
            Standing::Server(word) => word,
        }
    }

    /// Nothing to do about this token.
    pub fn fine(&self) -> bool {
        matches!(self, Standing::Policy(Policy::Serve))
    }
}

/// One registered token as `check --all` reports it.
pub struct TokenReport<'a> {
    pub token: &'a Token,
    pub standing: Standing,
    pub messages: Vec<String>,
}

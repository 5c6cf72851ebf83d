//! What `doctor` reports: a [`Finding`] names what is wrong, why it matters and the command
//! that fixes it, at a [`Severity`] that decides the exit code. Also the findings about the
//! registered tokens themselves: an undeclared host, expiry, a rejected mark, no contents
//! permission, and tokens whose scopes overlap.

use crate::messages::renewal_link;
use crate::policy::{judge, Judgement, Refusal};
use crate::registry::state::State;
use crate::registry::{Expiry, Registry, Repos, Token};
use crate::remote::Remote;
use crate::scope::candidates;
use crate::time::{format_date, relative};

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One finding; serialized as one entry of `findings` in `doctor --json`.
#[derive(serde::Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub code: &'static str,
    pub host: Option<String>,
    pub token: Option<String>,
    pub what: String,
    pub why: String,
    /// One command that fixes it, as it can be run (with a secret on stdin where the
    /// command reads one); `None` when only the user can decide what to change.
    pub fix: Option<String>,
    /// GitHub's page for creating the token the fix needs, when it needs one.
    pub link: Option<String>,
}

impl Finding {
    pub fn new(severity: Severity, code: &'static str, what: String, why: &str) -> Finding {
        Finding {
            severity,
            code,
            host: None,
            token: None,
            what,
            why: why.to_string(),
            fix: None,
            link: None,
        }
    }

    pub fn link(mut self, l: String) -> Finding {
        self.link = Some(l);
        self
    }

    pub fn host(mut self, h: &str) -> Finding {
        self.host = Some(h.to_string());
        self
    }

    pub fn token(mut self, t: &str) -> Finding {
        self.token = Some(t.to_string());
        self
    }

    pub fn fix(mut self, f: String) -> Finding {
        self.fix = Some(f);
        self
    }
}

/// A URL of a repository the token covers, for commands in fixes.
fn sample_url(t: &Token) -> String {
    let repo = match &t.repos {
        Repos::List(l) => l.first().cloned().unwrap_or_else(|| "REPO".into()),
        Repos::All => "REPO".into(),
    };
    format!("https://{}/{}/{repo}", t.host, t.owner)
}

pub fn token_findings(
    reg: &Registry,
    state: &State,
    now: i64,
    config: &std::path::Path,
    out: &mut Vec<Finding>,
) {
    for t in &reg.tokens {
        if reg.github_host(&t.host).is_none() {
            out.push(host_undeclared(t, config));
        }
        let verdict = judge(t, state, now, &reg.settings, false);
        if let Some(finding) = state_finding(t, &verdict, now) {
            out.push(finding.token(&t.name));
        }
    }
    for host in hosts_with_tokens(reg) {
        let defaults: Vec<&Token> = reg.defaults(&host);
        if defaults.len() > 1 {
            let names: Vec<String> = defaults.iter().map(|t| format!("'{}'", t.name)).collect();
            out.push(
                Finding::new(Severity::Warning, "default-ambiguous",
                    format!("tokens {} are all marked default for {host}", names.join(", ")),
                    "when git sends no repository path, get sends a default token only if there is exactly one: with several it sends none")
                .host(&host)
                .fix(defaults[1..].iter().map(|t| format!("git credential-scoped edit {} --no-default", t.name)).collect::<Vec<_>>().join(" && ")),
            );
        }
    }
}

fn hosts_with_tokens(reg: &Registry) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for t in &reg.tokens {
        if !hosts.contains(&t.host) {
            hosts.push(t.host.clone());
        }
    }
    hosts
}

fn host_undeclared(t: &Token, config: &std::path::Path) -> Finding {
    Finding::new(
        Severity::Error,
        "host-undeclared",
        format!(
            "token '{}' is for {}, which is not a GitHub host in the config",
            t.name, t.host
        ),
        "the token is never sent: git-credential-scoped treats the host as any other",
    )
    .token(&t.name)
    .fix(format!(
        "printf '\\n[[host]]\\nname = \"{0}\"\\napi = \"https://{0}/api/v3\"\\n' >> {1}",
        t.host,
        crate::gitconfig::shell_quote(&config.display().to_string())
    ))
}

/// The finding for a token's verdict, if it calls for one. No `_` arm: a new verdict must
/// decide here whether it is worth a finding.
fn state_finding(t: &Token, verdict: &Judgement, now: i64) -> Option<Finding> {
    let n = &t.name;
    let rotate = crate::messages::rotate_command(t);
    let finding = match verdict {
        Judgement::Refuse(Refusal::Expired { .. }) | Judgement::ExpiredAllowed { .. } => {
            expiry_finding(t, true, now).fix(rotate).link(renewal_link(t))
        }
        Judgement::Expiring { .. } => expiry_finding(t, false, now)
            .fix(rotate)
            .link(renewal_link(t)),
        Judgement::Refuse(Refusal::Rejected(_)) => Finding::new(
            Severity::Error,
            "token-rejected",
            format!("token '{n}' was rejected by the server (401) and is marked so"),
            "it is refused until re-tested (check --online clears the mark if the server accepts it again), replaced (rotate, with a new token from the link) or unmarked",
        )
        .fix(format!("git credential-scoped check --online {}", sample_url(t)))
        .link(renewal_link(t)),
        Judgement::Refuse(Refusal::OverLifetime(l)) => Finding::new(
            Severity::Error,
            "token-over-lifetime",
            format!("token '{n}' lives longer than its owner allows"),
            &crate::messages::over_lifetime_words(l),
        )
        .fix(format!("git credential-scoped rotate {n} --expires-in {}d", l.days)),
        Judgement::Refuse(Refusal::NoContents) => Finding::new(
            Severity::Error,
            "token-no-contents",
            format!("token '{n}' has no contents permission"),
            "a token that cannot read contents can neither clone nor fetch; it is refused. Create one with contents=read (the link) and rotate with --verify, which records what the server lets it do",
        )
        .fix(format!("{rotate} --verify"))
        .link(renewal_link(t)),
        Judgement::Serve | Judgement::Refuse(Refusal::NoWrite) if t.expires == Expiry::Unknown => {
            Finding::new(
                Severity::Note,
                "token-expiry-unknown",
                format!("token '{n}' has no recorded expiry"),
                "expiry cannot be warned about before git starts failing; check --online records the expiry the server reports",
            )
            .fix(format!("git credential-scoped check --online {}", sample_url(t)))
        }
        Judgement::Serve | Judgement::Refuse(Refusal::NoWrite) => return None,
    };
    Some(finding)
}

/// `token-expired` or `token-expiring`.
fn expiry_finding(t: &Token, expired: bool, now: i64) -> Finding {
    let n = &t.name;
    let when = match t.expires {
        Expiry::At(at) => format!("{} ({})", format_date(at), relative(at, now)),
        _ => String::new(),
    };
    if expired {
        Finding::new(
            Severity::Error,
            "token-expired",
            format!("token '{n}' expired {when}"),
            "git-credential-scoped refuses to send it, so git stops for its repositories",
        )
    } else {
        Finding::new(
            Severity::Warning,
            "token-expiring",
            format!("token '{n}' expires {when}"),
            "git stops working for its repositories when it does",
        )
    }
}

/// Two tokens of one owner covering the same repositories: the narrower one wins, but two
/// explicit lists (or two `all`) sharing repositories are usually a leftover.
pub fn overlap_findings(reg: &Registry, state: &State, now: i64, out: &mut Vec<Finding>) {
    let ts = &reg.tokens;
    for (i, a) in ts.iter().enumerate() {
        for b in &ts[i + 1..] {
            if !a.host.eq_ignore_ascii_case(&b.host) || !a.owner.eq_ignore_ascii_case(&b.owner) {
                continue;
            }
            let shared = shared_repos(a, b);
            if !shared.is_empty() {
                out.push(overlap_finding(reg, state, now, (a, b), &shared));
            }
        }
    }
}

/// The repositories both tokens cover (of one owner).
fn shared_repos(a: &Token, b: &Token) -> Vec<String> {
    match (&a.repos, &b.repos) {
        (Repos::All, Repos::All) => vec!["all repositories".into()],
        (Repos::List(x), Repos::List(_)) => {
            x.iter().filter(|r| b.repos.covers(r)).cloned().collect()
        }
        (Repos::List(x), Repos::All) | (Repos::All, Repos::List(x)) => x.to_vec(),
    }
}

fn overlap_finding(
    reg: &Registry,
    state: &State,
    now: i64,
    (a, b): (&Token, &Token),
    shared: &[String],
) -> Finding {
    let sample = shared[0].clone();
    let remote = Remote {
        host: a.host.clone(),
        owner: a.owner.clone(),
        repo: sample.clone(),
    };
    let winner = candidates(reg, &remote, None, state, now)
        .first()
        .map(|t| t.name.clone())
        .unwrap_or_default();
    let layered = matches!(
        (&a.repos, &b.repos),
        (Repos::List(_), Repos::All) | (Repos::All, Repos::List(_))
    );
    let severity = if layered {
        Severity::Note
    } else {
        Severity::Warning
    };
    let finding = Finding::new(severity, "overlapping-scopes",
        format!("tokens '{}' and '{}' both cover {} of {} on {} (get sends '{winner}' for {}/{sample})", a.name, b.name, shared.join(", "), a.owner, a.host, a.owner),
        "the narrowest valid token wins; a leftover token keeps working where you may not expect it: if one is obsolete, remove it")
    .token(&a.name);
    // A fix never destroys a secret: a layered pair is the GUIDE's own set-up (nothing to
    // fix); else the token that loses gives up the shared repositories, keeping its others.
    let loser = if winner == a.name { b } else { a };
    match &loser.repos {
        Repos::List(l) if !layered && l.len() > shared.len() => finding.fix(format!(
            "git credential-scoped edit {} --remove-repo {}",
            loser.name,
            shared.join(",")
        )),
        _ => finding,
    }
}

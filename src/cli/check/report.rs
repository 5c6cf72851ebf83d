//! How `check` shows its outcomes: one status line per URL with the messages under it for
//! people, or the stable `--json` shape documented in [`super::JSON_HELP`]. Keep the two in
//! step: every field of the JSON has its words in the human output.

use std::io::Write;

use serde::Serialize;

use super::outcome::{expiry_words, Online, Outcome, Standing, TokenReport};
use crate::cli::paint;
use crate::github::{ContentsAccess, Probe, RepoAccess, ServerExpiry};
use crate::registry::{Expiry, Repos};
use crate::time::{self, format_date};

/// `check --json`: the documented shape (super::JSON_HELP); fields in this order.
#[derive(Serialize)]
struct Doc<'a> {
    ok: bool,
    results: Vec<ResultDoc<'a>>,
}

#[derive(Serialize)]
struct ResultDoc<'a> {
    url: &'a str,
    host: &'a str,
    repository: Option<&'a str>,
    token: Option<&'a str>,
    verdict: &'static str,
    serves: bool,
    expires: Option<String>,
    days_left: Option<i64>,
    messages: &'a [String],
    online: Option<OnlineDoc<'a>>,
}

#[derive(Serialize)]
struct OnlineDoc<'a> {
    token: &'a str,
    api: &'a str,
    repository: &'static str,
    status: Option<u16>,
    git_read: Option<u16>,
    contents: Option<&'static str>,
    expires: Option<String>,
    expiry_recorded: bool,
    rejected_marked: bool,
    rejected_cleared: bool,
    error: Option<&'a str>,
}

/// Writes all outcomes, as one JSON object or as human lines.
pub fn write(
    out: &mut impl Write,
    diag: &mut impl Write,
    outcomes: &[Outcome],
    ok: bool,
    json: bool,
    now: i64,
) -> std::io::Result<()> {
    if json {
        let doc = Doc {
            ok,
            results: outcomes.iter().map(|o| o.json(now)).collect(),
        };
        serde_json::to_writer(&mut *out, &doc)?;
        writeln!(out)?;
    } else {
        for o in outcomes {
            o.print(out, diag)?;
        }
    }
    Ok(())
}

impl Outcome {
    /// One entry of `results`; keep it in step with [`super::JSON_HELP`].
    fn json(&self, now: i64) -> ResultDoc<'_> {
        let (expires, days_left) = self
            .token
            .as_ref()
            .map_or((None, None), |t| expiry_fields(t.expires, now));
        ResultDoc {
            url: &self.url,
            host: &self.host,
            repository: self.repository.as_deref(),
            token: self.token.as_ref().map(|t| t.name.as_str()),
            verdict: self.verdict.name(),
            serves: self.serves,
            expires,
            days_left,
            messages: &self.messages,
            online: self.online.as_ref().map(Online::json),
        }
    }

    /// The status line on `out` (what scripts read); the reasons, hints and what the
    /// server said on `diag`, one prefixed line each.
    pub fn print(&self, out: &mut impl Write, diag: &mut impl Write) -> std::io::Result<()> {
        let status = self.verdict.status(self.serves);
        let sep = if self.token.is_some() { " " } else { ":" };
        let pad = " ".repeat(9usize.saturating_sub(status.len()));
        let style = self.verdict.style(self.serves);
        writeln!(
            out,
            "{}{pad} {}{sep} {}",
            paint::paint(style, status),
            self.url,
            self.head
        )?;
        for m in &self.messages {
            paint::say(diag, m);
        }
        if let Some(online) = &self.online {
            paint::say(diag, &format!("online: {}", online.summary()));
        }
        Ok(())
    }
}

impl Online {
    /// The `online:` line of the human output.
    fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!(
                "could not ask the server: {}",
                e.lines().next().unwrap_or("")
            );
        }
        let Some(p) = &self.probe else {
            return "not asked".into();
        };
        let mut parts = probe_words(p);
        if self.expiry_recorded {
            parts.push("expiry recorded in the config".into());
        }
        if self.rejected_cleared {
            parts.push("rejected mark cleared".into());
        }
        parts.join(", ")
    }

    fn json(&self) -> OnlineDoc<'_> {
        let p = self.probe.as_ref();
        let (repository, status, git_read) = match p.map(|p| &p.repo) {
            Some(RepoAccess::Visible) => ("visible", None, None),
            Some(RepoAccess::Renamed { .. }) => ("renamed", None, None),
            Some(RepoAccess::NotFound { git_read }) => ("not-found", None, *git_read),
            Some(RepoAccess::ApprovalPending) => ("approval-pending", None, None),
            Some(RepoAccess::Rejected) => ("rejected", None, None),
            Some(RepoAccess::Refused(_)) => ("refused", None, None),
            Some(RepoAccess::RedirectedAway) => ("redirected-away", None, None),
            Some(RepoAccess::Unexpected(s)) => ("unexpected", Some(*s), None),
            None => ("unexpected", None, None),
        };
        OnlineDoc {
            token: &self.token,
            api: &self.api,
            repository,
            status,
            git_read,
            contents: p.and_then(|p| p.contents.as_ref()).map(|c| match c {
                ContentsAccess::Readable => "readable",
                ContentsAccess::Empty => "empty",
                ContentsAccess::Missing { .. } => "missing",
                ContentsAccess::Refused(_) => "refused",
                ContentsAccess::Unexpected(_) => "unexpected",
            }),
            expires: p.and_then(|p| p.expiry.as_ref()).and_then(|e| match e {
                ServerExpiry::At(at) => Some(time::format_datetime(*at)),
                ServerExpiry::Never => Some("never".into()),
                ServerExpiry::Unreadable => None,
            }),
            expiry_recorded: self.expiry_recorded,
            rejected_marked: self.rejected_marked,
            rejected_cleared: self.rejected_cleared,
            error: self.error.as_deref(),
        }
    }
}

/// What the server answered, in words: repository, contents, expiry.
fn probe_words(p: &Probe) -> Vec<String> {
    let mut parts = vec![match &p.repo {
        RepoAccess::Visible => "repository visible".to_string(),
        RepoAccess::Renamed { .. } => "repository renamed (301)".into(),
        RepoAccess::NotFound { .. } => "repository not found (404)".into(),
        RepoAccess::ApprovalPending => "none of the token's repositories visible (404)".into(),
        RepoAccess::Rejected => "token rejected (401); marked rejected".into(),
        RepoAccess::Refused(_) => "refused (403)".into(),
        RepoAccess::RedirectedAway => "redirected to another host (not followed)".into(),
        RepoAccess::Unexpected(s) => format!("HTTP {s}"),
    }];
    match &p.contents {
        Some(ContentsAccess::Readable) => parts.push("contents readable".into()),
        Some(ContentsAccess::Empty) => parts.push("repository empty".into()),
        Some(ContentsAccess::Missing { .. }) => parts.push("no contents permission".into()),
        Some(ContentsAccess::Refused(_)) => parts.push("contents probe refused".into()),
        Some(ContentsAccess::Unexpected(s)) => parts.push(format!("contents probe HTTP {s}")),
        None => {}
    }
    match &p.expiry {
        Some(ServerExpiry::At(at)) => parts.push(format!("server expiry {}", format_date(*at))),
        Some(ServerExpiry::Never) => parts.push("server: no expiry".into()),
        _ => {}
    }
    parts
}

/// `check --all --json`: the documented shape (super::JSON_HELP); fields in this order.
#[derive(Serialize)]
struct AllDoc<'a> {
    ok: bool,
    within_days: i64,
    tokens: Vec<TokenDoc<'a>>,
}

#[derive(Serialize)]
struct TokenDoc<'a> {
    name: &'a str,
    host: &'a str,
    owner: &'a str,
    repositories: Repositories<'a>,
    state: &'static str,
    expires: Option<String>,
    days_left: Option<i64>,
    messages: &'a [String],
}

/// `"all"` or a list of names.
#[derive(Serialize)]
#[serde(untagged)]
enum Repositories<'a> {
    All(&'static str),
    List(&'a [String]),
}

pub fn write_all_json(
    out: &mut impl Write,
    reports: &[TokenReport],
    ok: bool,
    within_days: i64,
    now: i64,
) -> std::io::Result<()> {
    let tokens = reports
        .iter()
        .map(|r| {
            let t = r.token;
            let (expires, days_left) = expiry_fields(t.expires, now);
            TokenDoc {
                name: &t.name,
                host: &t.host,
                owner: &t.owner,
                repositories: match &t.repos {
                    Repos::All => Repositories::All("all"),
                    Repos::List(l) => Repositories::List(l),
                },
                state: r.standing.name(),
                expires,
                days_left,
                messages: &r.messages,
            }
        })
        .collect();
    let doc = AllDoc {
        ok,
        within_days,
        tokens,
    };
    serde_json::to_writer(&mut *out, &doc)?;
    writeln!(out)
}

/// `check --all` for people: one line per token on `out` — the state (in color on a
/// terminal), the name, host/owner and the expiry — and what to do on `diag`.
pub fn write_all(
    out: &mut impl Write,
    diag: &mut impl Write,
    reports: &[TokenReport],
    now: i64,
) -> std::io::Result<()> {
    let rows: Vec<[String; 3]> = reports
        .iter()
        .map(|r| {
            let t = r.token;
            [
                t.name.clone(),
                format!("{}/{}", t.host, t.owner),
                expiry_words(t.expires, now),
            ]
        })
        .collect();
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let (w_state, w_name, w_owner) = (
        reports
            .iter()
            .map(|r| r.standing.name().len())
            .max()
            .unwrap_or(0),
        width(0),
        width(1),
    );
    for (r, row) in reports.iter().zip(&rows) {
        let word = r.standing.name();
        let style = match &r.standing {
            Standing::Policy(v) => paint::verdict(v),
            Standing::UnknownExpiry => paint::WARN,
            Standing::Server(_) => paint::BAD,
        };
        writeln!(
            out,
            "{}{}  {:<w_name$}  {:<w_owner$}  {}",
            paint::paint(style, word),
            " ".repeat(w_state - word.len()),
            row[0],
            row[1],
            row[2]
        )?;
    }
    for r in reports {
        for m in &r.messages {
            paint::say(diag, m);
        }
    }
    let bad = reports.iter().filter(|r| !r.standing.fine()).count();
    if bad > 0 {
        paint::say(
            diag,
            &format!(
                "{bad} of {} token{} need{} attention",
                reports.len(),
                if reports.len() == 1 { "" } else { "s" },
                if bad == 1 { "s" } else { "" }
            ),
        );
    }
    Ok(())
}

fn expiry_fields(e: Expiry, now: i64) -> (Option<String>, Option<i64>) {
    match e {
        Expiry::Never => (Some("never".to_string()), None),
        Expiry::At(at) => (
            Some(time::format_datetime(at)),
            Some(time::days_left(at, now)),
        ),
        Expiry::Unknown => (None, None),
    }
}

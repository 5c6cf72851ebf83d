//! How `check` shows its outcomes: one status line per URL with the messages under it for
//! people, or the stable `--json` shape documented in [`super::JSON_HELP`]. Keep the two in
//! step: every field of the JSON has its words in the human output.

use std::io::Write;

use serde::Serialize;

use super::outcome::{Online, Outcome};
use crate::github::{ContentsAccess, Probe, RepoAccess, ServerExpiry};
use crate::registry::Expiry;
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
        let (expires, days_left) = match self.token.as_ref().map(|t| t.expires) {
            Some(Expiry::Never) => (Some("never".to_string()), None),
            Some(Expiry::At(at)) => (
                Some(time::format_datetime(at)),
                Some((at - now).div_euclid(time::DAY)),
            ),
            _ => (None, None),
        };
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
        writeln!(out, "{status:<9} {}{sep} {}", self.url, self.head)?;
        for m in &self.messages {
            crate::diag::say(diag, m);
        }
        if let Some(online) = &self.online {
            crate::diag::say(diag, &format!("online: {}", online.summary()));
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
            Some(RepoAccess::NotFound { git_read }) => ("not-found", None, *git_read),
            Some(RepoAccess::Rejected) => ("rejected", None, None),
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
                ContentsAccess::Unexpected(_) => "unexpected",
            }),
            expires: p.and_then(|p| p.expiry.as_ref()).and_then(|e| match e {
                ServerExpiry::At(at) => Some(time::format_datetime(*at)),
                ServerExpiry::Never => Some("never".into()),
                ServerExpiry::Unreadable(_) => None,
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
        RepoAccess::NotFound { .. } => "repository not found (404)".into(),
        RepoAccess::Rejected => "token rejected (401); marked rejected".into(),
        RepoAccess::Unexpected(s) => format!("HTTP {s}"),
    }];
    match &p.contents {
        Some(ContentsAccess::Readable) => parts.push("contents readable".into()),
        Some(ContentsAccess::Empty) => parts.push("repository empty".into()),
        Some(ContentsAccess::Missing { .. }) => parts.push("no contents permission".into()),
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

//! How `check` shows its outcomes: one status line per URL with the messages under it for
//! people, or the stable `--json` shape documented in [`super::JSON_HELP`]. Keep the two in
//! step: every field of the JSON has its words in the human output.

use std::io::Write;

use super::outcome::{Online, Outcome};
use crate::cli::json::Json;
use crate::github::{ContentsAccess, Probe, RepoAccess, ServerExpiry};
use crate::registry::Expiry;
use crate::time::{self, format_date};

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
        let results = outcomes.iter().map(|o| o.json(now)).collect();
        let doc = Json::Obj(vec![
            ("ok", Json::Bool(ok)),
            ("results", Json::Arr(results)),
        ]);
        writeln!(out, "{}", doc.render())?;
    } else {
        for o in outcomes {
            o.print(out, diag)?;
        }
    }
    Ok(())
}

impl Outcome {
    /// One entry of `results`; keep it in step with [`super::JSON_HELP`].
    pub fn json(&self, now: i64) -> Json {
        let (expires, days_left) = match self.token.as_ref().map(|t| t.expires) {
            Some(Expiry::Never) => (Json::str("never"), Json::Null),
            Some(Expiry::At(at)) => (
                Json::str(time::format_datetime(at)),
                Json::Num((at - now).div_euclid(time::DAY)),
            ),
            _ => (Json::Null, Json::Null),
        };
        let messages = self.messages.iter().map(|m| Json::str(m.as_str()));
        Json::Obj(vec![
            ("url", Json::str(self.url.as_str())),
            ("host", Json::str(self.host.as_str())),
            ("repository", Json::opt_str(self.repository.clone())),
            (
                "token",
                Json::opt_str(self.token.as_ref().map(|t| t.name.clone())),
            ),
            ("verdict", Json::str(self.verdict.name())),
            ("serves", Json::Bool(self.serves)),
            ("expires", expires),
            ("days_left", days_left),
            ("messages", Json::Arr(messages.collect())),
            (
                "online",
                self.online.as_ref().map_or(Json::Null, Online::json),
            ),
        ])
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

    fn json(&self) -> Json {
        let p = self.probe.as_ref();
        let (repository, status, git_read) = repo_json(p.map(|p| &p.repo));
        Json::Obj(vec![
            ("token", Json::str(self.token.as_str())),
            ("api", Json::str(self.api.as_str())),
            ("repository", Json::str(repository)),
            ("status", status),
            ("git_read", git_read),
            (
                "contents",
                contents_json(p.and_then(|p| p.contents.as_ref())),
            ),
            ("expires", expires_json(p.and_then(|p| p.expiry.as_ref()))),
            ("expiry_recorded", Json::Bool(self.expiry_recorded)),
            ("rejected_marked", Json::Bool(self.rejected_marked)),
            ("rejected_cleared", Json::Bool(self.rejected_cleared)),
            ("error", Json::opt_str(self.error.clone())),
        ])
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

/// `repository`, `status` and `git_read` of the `online` object.
fn repo_json(repo: Option<&RepoAccess>) -> (&'static str, Json, Json) {
    match repo {
        Some(RepoAccess::Visible) => ("visible", Json::Null, Json::Null),
        Some(RepoAccess::NotFound { git_read }) => (
            "not-found",
            Json::Null,
            git_read.map_or(Json::Null, |s| Json::Num(s.into())),
        ),
        Some(RepoAccess::Rejected) => ("rejected", Json::Null, Json::Null),
        Some(RepoAccess::Unexpected(s)) => ("unexpected", Json::Num((*s).into()), Json::Null),
        None => ("unexpected", Json::Null, Json::Null),
    }
}

fn contents_json(contents: Option<&ContentsAccess>) -> Json {
    match contents {
        Some(ContentsAccess::Readable) => Json::str("readable"),
        Some(ContentsAccess::Empty) => Json::str("empty"),
        Some(ContentsAccess::Missing { .. }) => Json::str("missing"),
        Some(ContentsAccess::Unexpected(_)) => Json::str("unexpected"),
        None => Json::Null,
    }
}

fn expires_json(expiry: Option<&ServerExpiry>) -> Json {
    match expiry {
        Some(ServerExpiry::At(at)) => Json::str(time::format_datetime(*at)),
        Some(ServerExpiry::Never) => Json::str("never"),
        _ => Json::Null,
    }
}

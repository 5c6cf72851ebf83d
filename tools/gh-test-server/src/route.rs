//! What GitHub would answer: authentication, token scope, and the two kinds of routes
//! (git smart HTTP and the REST API under `/api/v3`).

use std::process::{Command, Stdio};

use crate::auth::{self, Presented, Schemes};
use crate::http::{Request, Response};
use crate::{Contents, Shared, TokenSpec};

/// What to do with a request once its head has been read.
pub(crate) enum Plan {
    /// Answer this; the body (if any) is not needed.
    Respond(Response),
    /// Read the body and hand the request to git-http-backend.
    Backend {
        /// `PATH_INFO`: `/<owner>/<repo>.git/<rest>` with the names as they are on disk.
        path_info: String,
        /// `REMOTE_USER`: the Basic-auth username.
        user: String,
    },
}

/// The plan plus what the log and the response headers need to know.
pub(crate) struct Decision {
    pub(crate) plan: Plan,
    /// Label of the presented token, `<unknown>` for an unreadable or unknown credential.
    pub(crate) token: Option<String>,
    /// `GitHub-Authentication-Token-Expiration` to add (authenticated requests only).
    pub(crate) expiration: Option<String>,
}

/// The outcome of authentication.
enum Auth {
    /// No `Authorization` header.
    Missing,
    /// Unknown, malformed, revoked or expired: 401. Holds the label for the log.
    Rejected(String),
    /// A live token.
    Valid {
        spec: TokenSpec,
        user: Option<String>,
    },
}

const UNKNOWN: &str = "<unknown>";

fn authenticate(shared: &Shared, req: &Request, schemes: Schemes) -> Auth {
    let (user, secret) = match auth::parse(req.header("authorization"), schemes) {
        Presented::Nothing => return Auth::Missing,
        Presented::Malformed => return Auth::Rejected(UNKNOWN.to_string()),
        Presented::Secret { user, secret } => (user, secret),
    };
    let tokens = crate::lock(&shared.tokens);
    let Some(t) = tokens.iter().find(|t| t.spec.secret == secret) else {
        return Auth::Rejected(UNKNOWN.to_string());
    };
    if t.revoked || t.spec.expired || user.as_deref() == Some("") {
        return Auth::Rejected(t.spec.label.clone());
    }
    Auth::Valid {
        spec: t.spec.clone(),
        user,
    }
}

/// GitHub's rule for owner and repository names (ASCII letters, digits, `-`, `_`, `.`).
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
}

/// Whether the token's owner and repository selection cover `owner/repo` (case-insensitive).
fn covers(spec: &TokenSpec, owner: &str, repo: &str) -> bool {
    spec.owner.eq_ignore_ascii_case(owner)
        && spec.repos.as_ref().is_none_or(|list| {
            list.iter().any(|r| {
                let r = r.strip_suffix(".git").unwrap_or(r);
                r.eq_ignore_ascii_case(repo)
            })
        })
}

/// Finds `repos/<owner>/<repo>.git` on disk, case-insensitively; returns the names as stored.
fn find_repo(shared: &Shared, owner: &str, repo: &str) -> Option<(String, String)> {
    fn find_entry(dir: &std::path::Path, want: &str) -> Option<String> {
        std::fs::read_dir(dir)
            .ok()?
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter_map(|e| e.file_name().into_string().ok())
            .find(|n| n.eq_ignore_ascii_case(want))
    }
    if !valid_name(owner) || !valid_name(repo) {
        return None;
    }
    let o = find_entry(&shared.repos_dir, owner)?;
    let r = find_entry(&shared.repos_dir.join(&o), &format!("{repo}.git"))?;
    let r = r[..r.len() - 4].to_string();
    Some((o, r))
}

/// Decides how to answer a request.
pub(crate) fn decide(shared: &Shared, req: &Request) -> Decision {
    let path = req.path.as_str();
    if path == "/api/v3" || path.starts_with("/api/v3/") {
        api(shared, req, &path["/api/v3".len()..])
    } else {
        git(shared, req)
    }
}

fn unauthenticated(plan: Plan, token: Option<String>) -> Decision {
    Decision {
        plan,
        token,
        expiration: None,
    }
}

fn git_401() -> Response {
    Response::text(
        401,
        "Invalid username or token. Password authentication is not supported for Git operations.",
    )
    .with_header("WWW-Authenticate", "Basic realm=\"GitHub\"")
}

fn git(shared: &Shared, req: &Request) -> Decision {
    let (spec, user) = match authenticate(shared, req, Schemes::BasicOnly) {
        Auth::Missing => return unauthenticated(Plan::Respond(git_401()), None),
        Auth::Rejected(label) => return unauthenticated(Plan::Respond(git_401()), Some(label)),
        Auth::Valid { spec, user } => (spec, user.unwrap_or_default()),
    };
    let label = Some(spec.label.clone());
    let expiration = spec.expiration_header.clone();
    let respond = |resp: Response| Decision {
        plan: Plan::Respond(resp),
        token: label.clone(),
        expiration: expiration.clone(),
    };
    let not_found = || Response::text(404, "Repository not found.");

    let mut segs = req.path.trim_start_matches('/').splitn(3, '/');
    let (Some(owner), Some(repo_seg), Some(rest)) = (segs.next(), segs.next(), segs.next()) else {
        return respond(Response::text(404, "Not Found"));
    };
    let repo = repo_seg.strip_suffix(".git").unwrap_or(repo_seg);
    if rest.is_empty()
        || rest
            .split('/')
            .any(|s| s == "." || s == ".." || s.is_empty())
    {
        return respond(not_found());
    }
    let moved = crate::lock(&shared.extras).moved(owner, repo);
    if let Some((new_owner, new_repo)) = moved {
        let query = match req.query.as_str() {
            "" => String::new(),
            q => format!("?{q}"),
        };
        let to = format!("/{new_owner}/{new_repo}.git/{rest}{query}");
        return respond(Response::text(301, "Moved Permanently").with_header("Location", &to));
    }
    let refusal = crate::lock(&shared.extras).refusal(&spec, owner, false);
    if let Some(resp) = refusal {
        return respond(resp);
    }
    if !valid_name(owner)
        || !valid_name(repo)
        || !covers(&spec, owner, repo)
        || !spec.approved
        || spec.contents == Contents::None
    {
        return respond(not_found());
    }
    let Some((owner, repo)) = find_repo(shared, owner, repo) else {
        return respond(not_found());
    };
    let push = rest == "git-receive-pack"
        || (rest == "info/refs"
            && req
                .query
                .split('&')
                .any(|kv| kv == "service=git-receive-pack"));
    if push && spec.contents != Contents::Write {
        let shown_user = shared.redact(&user);
        return respond(Response::text(
            403,
            &format!("Permission to {owner}/{repo}.git denied to {shown_user}."),
        ));
    }
    Decision {
        plan: Plan::Backend {
            path_info: format!("/{owner}/{repo}.git/{rest}"),
            user,
        },
        token: label,
        expiration,
    }
}

pub(crate) fn json_message(status: u16, message: &str, doc: &str) -> Response {
    let message: String = message
        .chars()
        .map(|c| match c {
            '\\' => "\\\\".to_string(),
            '"' => "\\\"".to_string(),
            c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32),
            c => c.to_string(),
        })
        .collect();
    Response::json(
        status,
        format!(
            "{{\"message\":\"{message}\",\"documentation_url\":\"https://docs.github.com/rest{doc}\",\"status\":\"{status}\"}}"
        ),
    )
}

fn api(shared: &Shared, req: &Request, sub: &str) -> Decision {
    let delay = shared
        .api_delay_ms
        .load(std::sync::atomic::Ordering::Relaxed);
    if delay > 0 {
        std::thread::sleep(std::time::Duration::from_millis(delay));
    }
    let auth = authenticate(shared, req, Schemes::Rest);
    let (spec, token) = match auth {
        Auth::Rejected(label) => {
            return unauthenticated(
                Plan::Respond(json_message(401, "Bad credentials", "")),
                Some(label),
            )
        }
        Auth::Missing => (None, None),
        Auth::Valid { spec, .. } => {
            let label = spec.label.clone();
            (Some(spec), Some(label))
        }
    };
    let expiration = spec.as_ref().and_then(|s| s.expiration_header.clone());
    let respond = |resp: Response| Decision {
        plan: Plan::Respond(resp),
        token: token.clone(),
        expiration: expiration.clone(),
    };
    let not_found_route = || json_message(404, "Not Found", "");
    let not_found_repo = || json_message(404, "Not Found", "/repos/repos#get-a-repository");

    let limited = spec
        .as_ref()
        .and_then(|s| crate::lock(&shared.extras).refusal(s, "", true));
    if let Some(resp) = limited {
        return respond(resp);
    }
    let segs: Vec<&str> = sub.trim_matches('/').split('/').collect();
    let (owner, repo, commits) = match segs.as_slice() {
        ["repos", o, r] => (*o, *r, false),
        ["repos", o, r, "commits"] => (*o, *r, true),
        _ => return respond(not_found_route()),
    };
    if req.method != "GET" && req.method != "HEAD" {
        return respond(not_found_route());
    }
    let extras = crate::lock(&shared.extras);
    if let Some(to) = extras.away(owner, repo) {
        return respond(Response::text(301, "Moved Permanently").with_header("Location", &to));
    }
    if let Some((new_owner, new_repo)) = extras.moved(owner, repo) {
        let tail = if commits { "/commits" } else { "" };
        let query = match req.query.as_str() {
            "" => String::new(),
            q => format!("?{q}"),
        };
        let to = format!(
            "https://127.0.0.1:{}/api/v3/repos/{new_owner}/{new_repo}{tail}{query}",
            shared.port
        );
        return respond(
            json_message(301, "Moved Permanently", "/repos/repos#get-a-repository")
                .with_header("Location", &to),
        );
    }
    if let Some(resp) = spec.as_ref().and_then(|s| extras.refusal(s, owner, true)) {
        return respond(resp);
    }
    // Repositories of this server are private unless made public: without a token that
    // covers it (and whose org approval is not pending) one does not exist. Metadata needs
    // no `contents`.
    let public = extras.is_public(owner, repo);
    drop(extras);
    let visible = public
        || spec.as_ref().is_some_and(|s| {
            s.approved && valid_name(owner) && valid_name(repo) && covers(s, owner, repo)
        });
    let found = if visible {
        find_repo(shared, owner, repo)
    } else {
        None
    };
    let Some((owner, repo)) = found else {
        return respond(not_found_repo());
    };
    if !commits {
        return respond(Response::json(
            200,
            format!(
                "{{\"name\":\"{repo}\",\"full_name\":\"{owner}/{repo}\",\"owner\":{{\"login\":\"{owner}\"}},\"private\":true,\"visibility\":\"private\",\"default_branch\":\"main\",\"html_url\":\"https://127.0.0.1:{port}/{owner}/{repo}\",\"clone_url\":\"https://127.0.0.1:{port}/{owner}/{repo}.git\"}}",
                port = shared.port
            ),
        ));
    }
    let Some(spec) = spec.as_ref().filter(|s| covers(s, &owner, &repo)) else {
        return respond(not_found_repo());
    };
    if spec.contents == Contents::None {
        return respond(
            json_message(
                403,
                "Resource not accessible by personal access token",
                "/commits/commits#list-commits",
            )
            .with_header("X-Accepted-GitHub-Permissions", "contents=read"),
        );
    }
    match head_commit(shared, &owner, &repo) {
        Some(sha) => respond(Response::json(200, format!("[{{\"sha\":\"{sha}\"}}]"))),
        None => respond(json_message(
            409,
            "Git Repository is empty.",
            "/commits/commits#list-commits",
        )),
    }
}

/// The commit HEAD points to, or `None` for an empty repository.
fn head_commit(shared: &Shared, owner: &str, repo: &str) -> Option<String> {
    let mut cmd = Command::new("git");
    shared.isolate(&mut cmd);
    let out = cmd
        .arg("--git-dir")
        .arg(shared.repos_dir.join(owner).join(format!("{repo}.git")))
        .args(["rev-parse", "--verify", "-q", "HEAD^{commit}"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let sha = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && sha.bytes().all(|c| c.is_ascii_hexdigit()) && !sha.is_empty())
        .then_some(sha)
}

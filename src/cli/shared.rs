//! What several commands share: the expiry options, how an expiry and a token read in
//! words, the summary printed after a change, finding a token by name, and the checks of
//! an owner and repositories given on the command line.

use crate::registry::state::State;
use crate::registry::{Expiry, Registry, Settings, Token};
use crate::time::{self, format_date, relative};

#[derive(clap::Args, Debug, Default)]
pub struct ExpiryArgs {
    /// When the token expires, as GitHub shows it: a date (2027-01-31, the start of that day UTC) or a time (2027-01-31T12:00:00Z)
    #[arg(long, value_name = "DATE", conflicts_with_all = ["expires_in", "no_expiry"])]
    pub expires: Option<String>,
    /// Expires this long from now, like 90d or 12w (1 to 366 days; "none": never)
    #[arg(long, value_name = "DAYS", conflicts_with = "no_expiry")]
    pub expires_in: Option<String>,
    /// The token never expires
    #[arg(long)]
    pub no_expiry: bool,
}

impl ExpiryArgs {
    pub fn given(&self) -> bool {
        self.expires.is_some() || self.expires_in.is_some() || self.no_expiry
    }

    /// The expiry the options say (`Unknown` when none is given), and a warning when it
    /// is already past: GitHub no longer accepts such a token, and `get` will refuse it.
    pub fn resolve(&self, now: i64) -> Result<(Expiry, Option<String>), String> {
        if self.no_expiry {
            return Ok((Expiry::Never, None));
        }
        let at = if let Some(d) = &self.expires {
            time::parse_timestamp(d).ok_or(
                "--expires must be a date like 2027-01-31 or a time like 2027-01-31T12:00:00Z (years 1970 to 9999)",
            )?
        } else if let Some(d) = &self.expires_in {
            match time::parse_expires_in(d)? {
                Some(days) => now + days * time::DAY,
                None => return Ok((Expiry::Never, None)),
            }
        } else {
            return Ok((Expiry::Unknown, None));
        };
        let warning = (at <= now).then(|| {
            format!(
                "warning: the expiry {} is already past ({}): GitHub no longer accepts this token, and get will refuse it; give the expiry GitHub shows, or create a new token",
                format_date(at),
                relative(at, now)
            )
        });
        Ok((Expiry::At(at), warning))
    }
}

pub fn expiry_text(e: Expiry, now: i64) -> String {
    match e {
        Expiry::Never => "never".into(),
        Expiry::Unknown => "unknown".into(),
        Expiry::At(at) => format!("{} ({})", format_date(at), relative(at, now)),
    }
}

/// ok / expiring / expired / rejected / no-contents: the policy `get` uses, in its words.
pub fn state_label(t: &Token, state: &State, now: i64, settings: &Settings) -> &'static str {
    super::check::outcome::Standing::of(t, state, now, settings).name()
}

pub fn summary(t: &Token, now: i64, default_permissions: bool) -> Vec<String> {
    let perms = if default_permissions {
        format!(
            "{} (the default: no --permission given)",
            t.permissions_text()
        )
    } else {
        t.permissions_text()
    };
    let mut lines = vec![
        format!("host:         {}", t.host),
        format!("owner:        {}", t.owner),
        format!("repositories: {}", t.repos.describe()),
        format!("permissions:  {perms}"),
        format!("expires:      {}", expiry_text(t.expires, now)),
        format!(
            "secret:       {}{}",
            t.source.describe(),
            t.fingerprint
                .as_ref()
                .map(|f| format!(", fingerprint {f}"))
                .unwrap_or_default()
        ),
    ];
    if t.expires == Expiry::Unknown {
        lines.push(
            format!("note: expiry unknown, so nothing warns before it stops working; run: git credential-scoped edit {} --expires DATE", t.name),
        );
    }
    if t.default {
        lines.push("default:      used for this host when git sends no repository path".into());
    }
    lines
}

pub fn require<'r>(reg: &'r Registry, name: &str) -> Result<&'r Token, Box<dyn std::error::Error>> {
    reg.token(name).ok_or_else(|| {
        format!(
            "no token named '{}'\nhint: `git credential-scoped list` shows the names",
            crate::protocol::escape(name.as_bytes())
        )
        .into()
    })
}

/// The registry as people read it: by host, then owner, then soonest expiry first (an
/// unknown expiry after every known date, a token that never expires last), then name.
pub fn in_reading_order(tokens: &[Token]) -> Vec<&Token> {
    let mut out: Vec<&Token> = tokens.iter().collect();
    out.sort_by(|a, b| {
        let key = |t: &Token| {
            let expiry = match t.expires {
                Expiry::At(at) => (0, at),
                Expiry::Unknown => (1, 0),
                Expiry::Never => (2, 0),
            };
            (
                t.host.to_ascii_lowercase(),
                t.owner.to_ascii_lowercase(),
                expiry,
            )
        };
        key(a).cmp(&key(b)).then_with(|| a.name.cmp(&b.name))
    });
    out
}

/// `--owner` and `--repo` as given: an account name and repository names (without the
/// owner); the error names the option.
pub fn check_owner_and_repos(owner: &str, repos: &[String]) -> Result<(), String> {
    if !crate::remote::valid_name(owner) {
        return Err("--owner is not a GitHub account name".into());
    }
    if let Some(r) = repos.iter().find(|r| !crate::remote::valid_name(r)) {
        return Err(format!(
            "--repo '{}' is not a repository name (give names without the owner)",
            crate::protocol::escape(r.as_bytes())
        ));
    }
    Ok(())
}

/// The names once each, ignoring case, in the order given.
pub fn dedup(repos: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in repos {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(r)) {
            out.push(r.clone());
        }
    }
    out
}

/// A repository as every command names it: a URL (`https://HOST/OWNER/REPO`, an SSH
/// remote `git@HOST:OWNER/REPO.git` or `ssh://...`), `OWNER/REPO`, or `REPO` alone where the
/// owner is known. What was not given is `None`; the caller knows the default.
#[derive(Debug, PartialEq, Eq)]
pub struct RepoArg {
    pub host: Option<String>,
    pub owner: Option<String>,
    pub repo: String,
}

/// Reads a repository named on the command line ([`RepoArg`]); the one parser of `check`,
/// `token`, `exec` and `add`/`edit --repo`.
pub fn parse_repo(arg: &str) -> Result<RepoArg, String> {
    use crate::remote::{owner_repo, valid_host, valid_name};
    let bad = || {
        format!(
            "'{}' is not a repository: give a URL, OWNER/REPO or REPO, like https://github.com/alta3/labs, alta3/labs or labs",
            crate::protocol::escape(arg.as_bytes())
        )
    };
    let (host, path) = if arg.contains("://") {
        let parts = crate::protocol::url::parse_url(arg.as_bytes()).map_err(|_| bad())?;
        (Some(parts.host), parts.path.unwrap_or_default())
    } else if let Some((left, path)) = arg.split_once(':') {
        // git's scp-like form: [user@]host:owner/repo (no '/' before the ':').
        let host = left.rsplit('@').next().unwrap_or(left);
        if left.contains('/') || !valid_host(host) {
            return Err(bad());
        }
        (Some(host.to_string()), path.as_bytes().to_vec())
    } else {
        let parts: Vec<&str> = arg.split('/').collect();
        return match parts[..] {
            [o, r] if valid_name(o) && valid_name(r) => Ok(RepoArg {
                host: None,
                owner: Some(o.to_string()),
                repo: r.strip_suffix(".git").unwrap_or(r).to_string(),
            }),
            [r] if valid_name(r) => Ok(RepoArg {
                host: None,
                owner: None,
                repo: r.to_string(),
            }),
            _ => Err(bad()),
        };
    };
    let (owner, repo) = owner_repo(&path).ok_or_else(bad)?;
    Ok(RepoArg {
        host: host.map(|h| h.to_ascii_lowercase()),
        owner: Some(owner),
        repo,
    })
}

/// `--repo` values of a token of `owner` on `host`: each a name, or a URL or OWNER/REPO of
/// that owner (and host), reduced to the name.
pub fn repo_names(given: &[String], host: &str, owner: &str) -> Result<Vec<String>, String> {
    given
        .iter()
        .map(|g| {
            let r = parse_repo(g).map_err(|e| format!("--repo {e}"))?;
            if r.host.as_ref().is_some_and(|h| !h.eq_ignore_ascii_case(host)) {
                return Err(format!("--repo '{}' is on another host than {host}", crate::protocol::escape(g.as_bytes())));
            }
            if r.owner.as_ref().is_some_and(|o| !o.eq_ignore_ascii_case(owner)) {
                return Err(format!("--repo '{}' belongs to another owner than {owner}; a token covers one owner's repositories", crate::protocol::escape(g.as_bytes())));
            }
            Ok(r.repo)
        })
        .collect()
}

/// The current checkout's `origin` remote, as gh takes it when no repository is named:
/// `git remote get-url origin` in the current directory.
pub fn origin_remote() -> Result<String, String> {
    let out = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    match out {
        Ok(o) if o.status.success() => {
            let url = String::from_utf8_lossy(&o.stdout).trim().to_string();
            (!url.is_empty()).then_some(url).ok_or_else(no_origin)
        }
        _ => Err(no_origin()),
    }
}

fn no_origin() -> String {
    "no repository given and no 'origin' remote here; name one, like alta3/labs or https://github.com/alta3/labs".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repository_is_read_the_same_way_in_every_form() {
        let full = |h: Option<&str>| RepoArg {
            host: h.map(str::to_string),
            owner: Some("alta3".into()),
            repo: "labs".into(),
        };
        let gh = Some("github.com");
        for (arg, want) in [
            ("https://github.com/alta3/labs.git", full(gh)),
            ("https://GitHub.com/alta3/labs/", full(gh)),
            ("git@github.com:alta3/labs.git", full(gh)),
            ("ssh://git@github.com/alta3/labs", full(gh)),
            ("alta3/labs", full(None)),
        ] {
            assert_eq!(parse_repo(arg), Ok(want), "{arg}");
        }
        assert_eq!(parse_repo("labs").unwrap().owner, None);
        for bad in ["", "a/b/c", "https://github.com/alta3", "x y", "/labs"] {
            assert!(parse_repo(bad).is_err(), "{bad}");
        }
        assert_eq!(
            repo_names(&["labs".into(), "alta3/demo".into()], "github.com", "Alta3"),
            Ok(vec!["labs".to_string(), "demo".to_string()])
        );
        assert!(repo_names(&["other/x".into()], "github.com", "alta3").is_err());
    }
}

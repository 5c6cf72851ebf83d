//! `edit NAME`: follow a change made to an existing token on GitHub, which lets a user change
//! a fine-grained token's repositories and permissions (and see its expiry) without a new
//! secret. Without this the only ways were editing `config.toml` by hand or `remove` + `add`,
//! which needs the secret again. The secret and where it lives are never touched.
//!
//! The change is worked out from the options first ([`Edit::apply`], pure), so a bad option
//! is refused before anything is asked or written; `--verify` then asks the server with the
//! token's own secret; the change is applied under the config's lock to the token as it is
//! at that moment ([`crate::change::edit`]), so a concurrent `rotate` is never undone.

use std::io::Write;

use super::check::{verify_edit, VerifyArgs};
use super::shared::{expiry_text, require, summary, ExpiryArgs};
use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::diag::say;
use crate::protocol::escape;
use crate::registry::{valid_permission_name, Access, Expiry, Registry, Repos, Token};
use crate::remote::valid_name;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Change the token on GitHub first (Settings, Developer settings, Fine-grained tokens, the
token, Edit), then tell the registry the same:
  git credential-scoped edit alta3 --add-repo zzz --verify
  git credential-scoped edit alta3 --remove-repo demo
  git credential-scoped edit alta3 --permission contents=write
  git credential-scoped edit alta3 --expires 2027-03-01
The secret stays as it is; to replace it (GitHub's \"Regenerate token\"), use rotate.")]
pub struct Args {
    /// The token's name
    pub name: String,
    /// Add repositories the token was given on GitHub (names without the owner; repeat, or separate with commas)
    #[arg(
        long = "add-repo",
        value_name = "R[,R...]",
        value_delimiter = ',',
        conflicts_with = "all_repos"
    )]
    pub add: Vec<String>,
    /// Take repositories out that the token no longer has
    #[arg(
        long = "remove-repo",
        value_name = "R[,R...]",
        value_delimiter = ',',
        conflicts_with = "all_repos"
    )]
    pub remove: Vec<String>,
    /// Replace the list: the token now has exactly these repositories (also turns an all-repositories token into one with a list)
    #[arg(
        long = "repo",
        value_name = "R[,R...]",
        value_delimiter = ',',
        conflicts_with_all = ["all_repos", "add", "remove"]
    )]
    pub set: Vec<String>,
    /// The token now covers all of the owner's repositories
    #[arg(long)]
    pub all_repos: bool,
    /// A permission as the token now has it, like contents=write or metadata=read (repeatable; others stay as they are)
    #[arg(long = "permission", value_name = "NAME=none|read|write")]
    pub permissions: Vec<String>,
    #[command(flatten)]
    pub expiry: ExpiryArgs,
    /// Make this the token for its host when git sends no repository path
    #[arg(long, conflicts_with = "no_default")]
    pub default: bool,
    /// Stop using this token when git sends no repository path
    #[arg(long)]
    pub no_default: bool,
    /// Ask the host first, with the token's secret: the repositories added (else the first kept) must be visible and readable; take the expiry from the server
    #[arg(long)]
    pub verify: bool,
    /// With --verify: change the registry even if the server disagrees or cannot be reached
    #[arg(long, requires = "verify")]
    pub force: bool,
}

/// The change the options ask for, checked and ready to apply to any version of the token.
#[derive(Debug, Default)]
struct Edit {
    add: Vec<String>,
    remove: Vec<String>,
    set: Option<Repos>,
    contents: Option<Access>,
    others: Vec<(String, Access)>,
    expires: Option<Expiry>,
    default: Option<bool>,
}

impl Edit {
    fn from_args(a: &Args, now: i64) -> Result<(Edit, Option<String>), String> {
        for r in a.add.iter().chain(&a.remove).chain(&a.set) {
            if !valid_name(r) {
                return Err(format!(
                    "'{}' is not a repository name (give names without the owner, like labs)",
                    escape(r.as_bytes())
                ));
            }
        }
        let mut e = Edit {
            add: a.add.clone(),
            remove: a.remove.clone(),
            set: match (a.all_repos, a.set.is_empty()) {
                (true, _) => Some(Repos::All),
                (false, false) => Some(Repos::List(super::shared::dedup(&a.set))),
                (false, true) => None,
            },
            default: match (a.default, a.no_default) {
                (true, _) => Some(true),
                (_, true) => Some(false),
                _ => None,
            },
            ..Edit::default()
        };
        for p in &a.permissions {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                format!(
                    "--permission '{}' must look like contents=read",
                    escape(p.as_bytes())
                )
            })?;
            let access = Access::parse(v).ok_or_else(|| {
                format!(
                    "--permission '{}': the level must be none, read or write",
                    escape(p.as_bytes())
                )
            })?;
            match k {
                "contents" => e.contents = Some(access),
                k if valid_permission_name(k) => e.others.push((k.to_string(), access)),
                _ => {
                    return Err(format!(
                        "--permission '{}': unknown permission name",
                        escape(p.as_bytes())
                    ))
                }
            }
        }
        let mut warning = None;
        if a.expiry.given() {
            let (at, past) = a.expiry.resolve(now)?;
            e.expires = Some(at);
            warning = past;
        }
        Ok((e, warning))
    }

    fn is_empty(&self) -> bool {
        self.add.is_empty()
            && self.remove.is_empty()
            && self.set.is_none()
            && self.contents.is_none()
            && self.others.is_empty()
            && self.expires.is_none()
            && self.default.is_none()
    }

    /// `token` with the change applied, or why the change cannot be made; `reg` is the
    /// registry it is in (one default token per host).
    fn apply(&self, token: &Token, reg: &Registry) -> Result<Token, String> {
        let mut t = token.clone();
        let n = &token.name;
        if let Some(set) = &self.set {
            t.repos = set.clone();
        }
        if !self.add.is_empty() || !self.remove.is_empty() {
            let Repos::List(list) = &mut t.repos else {
                return Err(format!("token '{n}' covers all of {}'s repositories, so there is nothing to add or take out\nhint: if it now has only some, give them all: git credential-scoped edit {n} --repo R,R...", token.owner));
            };
            for r in &self.add {
                if !list.iter().any(|l| l.eq_ignore_ascii_case(r)) {
                    list.push(r.clone());
                }
            }
            for r in &self.remove {
                let before = list.len();
                list.retain(|l| !l.eq_ignore_ascii_case(r));
                if list.len() == before {
                    return Err(format!(
                        "token '{n}' does not cover {}, so it cannot be taken out; it covers: {}",
                        escape(r.as_bytes()),
                        token.repos.describe()
                    ));
                }
            }
            if list.is_empty() {
                return Err(format!("that would leave token '{n}' with no repositories; nothing was changed\nhint: to stop using the token, run: git credential-scoped remove {n}"));
            }
        }
        if let Some(c) = self.contents {
            t.contents = c;
        }
        for (k, v) in &self.others {
            match t.other_permissions.iter_mut().find(|(name, _)| name == k) {
                Some(existing) => existing.1 = *v,
                None => t.other_permissions.push((k.clone(), *v)),
            }
        }
        if let Some(e) = self.expires {
            t.expires = e;
        }
        if let Some(d) = self.default {
            if d {
                if let Some(other) = reg.defaults(&t.host).into_iter().find(|o| o.name != *n) {
                    return Err(format!("token '{}' is already the default for {}; a host has one default token\nhint: run first: git credential-scoped edit {} --no-default", other.name, t.host, other.name));
                }
            }
            t.default = d;
        }
        Ok(t)
    }
}

pub fn run(ctx: &Context, mut a: Args) -> CliResult {
    if !(a.add.is_empty() && a.remove.is_empty() && a.set.is_empty()) {
        // Repositories named as everywhere else (REPO, OWNER/REPO, a URL) of the token's owner.
        let reg = ctx.registry()?;
        let t = require(&reg, &a.name)?;
        let (host, owner) = (t.host.clone(), t.owner.clone());
        for list in [&mut a.add, &mut a.remove, &mut a.set] {
            *list = super::shared::repo_names(list, &host, &owner)?;
        }
    }
    let (edit, past) = Edit::from_args(&a, ctx.now)?;
    if edit.is_empty() {
        return Err(format!("nothing to change for token '{}': give --add-repo, --remove-repo, --repo, --all-repos, --permission, --expires, --expires-in, --no-expiry, --default or --no-default", escape(a.name.as_bytes())).into());
    }
    let reg = ctx.registry()?;
    let before = require(&reg, &a.name)?.clone();
    let planned = edit.apply(&before, &reg)?;
    let mut edited = planned.clone();
    if let Some(w) = past {
        say(&mut std::io::stderr(), &w);
    }
    let verify = VerifyArgs {
        verify: a.verify,
        force: a.force,
    };
    verify_edit(ctx, &reg, &before, &mut edited, &verify)?;
    let mut out = std::io::stdout().lock();
    if edited == before {
        writeln!(
            out,
            "token '{}' already is as given; nothing changed",
            before.name
        )?;
        return Ok(EXIT_OK);
    }
    // --verify may have learnt the expiry from the server: that goes in too.
    let server_expiry = (edited.expires != planned.expires).then_some(edited.expires);
    let (was, now) = change::edit(ctx, &a.name, |current, reg| {
        if a.verify && current.fingerprint != before.fingerprint {
            return Err(format!("token '{}' got a new secret meanwhile, so what --verify asked no longer holds; nothing was changed, run the command again", current.name));
        }
        let mut t = edit.apply(current, reg)?;
        if let Some(e) = server_expiry {
            t.expires = e;
        }
        Ok(t)
    })?;
    writeln!(
        out,
        "edited token '{}' in {}",
        now.name,
        crate::messages::shown_path(&ctx.config_path)
    )?;
    for line in differences(&was, &now, ctx.now) {
        writeln!(out, "  {line}")?;
    }
    for line in summary(&now, ctx.now, false) {
        writeln!(out, "  {line}")?;
    }
    Ok(EXIT_OK)
}

/// What changed, one line per field.
fn differences(was: &Token, now: &Token, at: i64) -> Vec<String> {
    let mut lines = Vec::new();
    if was.repos != now.repos {
        lines.push(format!(
            "repositories: {} -> {}",
            was.repos.describe(),
            now.repos.describe()
        ));
    }
    if was.permissions_text() != now.permissions_text() {
        lines.push(format!(
            "permissions:  {} -> {}",
            was.permissions_text(),
            now.permissions_text()
        ));
    }
    if was.expires != now.expires {
        lines.push(format!(
            "expires:      {} -> {}",
            expiry_text(was.expires, at),
            expiry_text(now.expires, at)
        ));
    }
    if was.default != now.default {
        lines.push(format!("default:      {} -> {}", was.default, now.default));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(repos: Repos) -> Token {
        Token {
            other_permissions: vec![("metadata".into(), Access::Read)],
            fingerprint: Some("sha256:0011223344556677".into()),
            ..Token::sample("alta3", "alta3", repos, Expiry::Never)
        }
    }

    fn list(names: &[&str]) -> Repos {
        Repos::list(names)
    }

    fn edit(f: impl FnOnce(&mut Edit)) -> Edit {
        let mut e = Edit::default();
        f(&mut e);
        e
    }

    #[test]
    fn repositories_are_added_once_and_taken_out_case_insensitively() {
        let reg = Registry::default();
        let t = token(list(&["labs", "demo"]));
        let e = edit(|e| {
            e.add = vec!["zzz".into(), "LABS".into()];
            e.remove = vec!["Demo".into()];
        });
        let got = e.apply(&t, &reg).unwrap();
        assert_eq!(got.repos, list(&["labs", "zzz"]));
        assert_eq!(got.fingerprint, t.fingerprint, "the secret is untouched");
    }

    #[test]
    fn an_edit_that_leaves_no_repositories_or_removes_an_absent_one_is_refused() {
        let reg = Registry::default();
        let t = token(list(&["labs"]));
        let empty = edit(|e| e.remove = vec!["labs".into()]).apply(&t, &reg);
        assert!(empty.unwrap_err().contains("no repositories"));
        let absent = edit(|e| e.remove = vec!["lbas".into()]).apply(&t, &reg);
        assert!(absent.unwrap_err().contains("does not cover lbas"));
        let all = edit(|e| e.add = vec!["x".into()]).apply(&token(Repos::All), &reg);
        assert!(all.unwrap_err().contains("--repo R,R"));
    }

    #[test]
    fn permissions_merge_and_the_list_can_be_replaced_or_widened_to_all() {
        let reg = Registry::default();
        let t = token(list(&["labs"]));
        let got = edit(|e| {
            e.contents = Some(Access::Write);
            e.others = vec![("pull_requests".into(), Access::Read)];
            e.set = Some(Repos::All);
        })
        .apply(&t, &reg)
        .unwrap();
        assert_eq!(
            got.permissions_text(),
            "contents=write,metadata=read,pull_requests=read"
        );
        assert_eq!(got.repos, Repos::All);
        let back = edit(|e| e.set = Some(list(&["a", "b"])))
            .apply(&got, &reg)
            .unwrap();
        assert_eq!(back.repos, list(&["a", "b"]));
    }

    #[test]
    fn a_host_keeps_one_default_token() {
        let mut other = token(list(&["x"]));
        other.name = "other".into();
        other.default = true;
        let reg = Registry {
            tokens: vec![other],
            ..Registry::default()
        };
        let e = edit(|e| e.default = Some(true));
        assert!(e
            .apply(&token(list(&["labs"])), &reg)
            .unwrap_err()
            .contains("already the default"));
    }
}

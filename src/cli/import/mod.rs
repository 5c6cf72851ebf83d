//! `import`: moving in from the helpers people use today. The common workaround for
//! fine-grained tokens is git's credential-store with `useHttpPath`: one line per
//! repository in `~/.git-credentials`, often the same `github_pat_` secret on many lines.
//! `import --from store [FILE]` reads such files and proposes one registry token per
//! distinct secret ([`plan`]); `import --from gh` asks the GitHub CLI for the token it
//! holds (`gh auth token`), with the owner and repositories given (gh does not know them). The plan is printed ([`print`]: fingerprints, never a secret), applied whole or
//! not at all unless `--dry-run` ([`crate::change::add_all`]), and the lines of the old
//! file that now duplicate a registered secret are named, with the command that removes
//! them. The user's file is rewritten only with `--remove-imported`: atomically, under
//! git's own lock for it, every other line kept byte for byte and in order.
//!
//! This file holds the arguments and the steps of `--from store`; [`store_file`] reads
//! git's format, [`rewrite`] removes lines, [`from_gh`] is `--from gh`.

mod from_gh;
mod plan;
mod print;
mod rewrite;
mod store_file;

use std::io::Write;
use std::path::{Path, PathBuf};

use super::check::verify_found_token;
use super::paint;
use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::files::{io_err, FileError};
use crate::registry::{document, Expiry, Registry, Token};
use crate::secret::Secret;
use crate::secrets::{default_kind, StoreKind};
use plan::{LineRef, Plan, Skipped};
use store_file::Line;

const HELP: &str = "\
Examples:
  git credential-scoped import --dry-run                 # the plan for ~/.git-credentials, nothing changed
  git credential-scoped import --secret-store file       # register the tokens, secrets in the file store
  git credential-scoped import --remove-imported         # also drop the lines now registered from the file
  git credential-scoped import --from gh --owner alta3 --repo labs,demo

With --from store, a line is imported when it holds a fine-grained token (github_pat_...) for
https://HOST/OWNER/REPO on a GitHub host. Lines with the same secret become one token named
after its owner (OWNER, OWNER-2, ...), covering the repositories of those lines, with contents=read
and an unknown expiry (--verify asks GitHub for it). Not imported, each with its reason: a
secret seen for several owners (a fine-grained token has one), lines without a repository path,
classic (ghp_), OAuth (gho_) and app tokens, other hosts, lines git cannot read either.

With --from gh, the token is what `gh auth token --hostname HOST [--user LOGIN]` prints (gh
finds it in the system keyring or its hosts.yml); gh must be installed and signed in to HOST.
The owner and repositories are given, since gh does not know them.

Exit codes: 0 done (also when some lines were not imported), 2 usage or environment error
(nothing was imported).";

#[derive(clap::Args, Debug)]
#[command(after_long_help = HELP, group(clap::ArgGroup::new("gh_only").multiple(true)))]
pub struct Args {
    /// Where the tokens are now: git's credential-store files, or the GitHub CLI (asked with `gh auth token`)
    #[arg(long, value_name = "store|gh", value_parser = ["store", "gh"], default_value = "store")]
    pub from: String,
    /// With --from store: the file to read [default: ~/.git-credentials and $XDG_CONFIG_HOME/git/credentials, those that exist]
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Print the plan and change nothing
    #[arg(long)]
    pub dry_run: bool,
    /// Where to keep the secrets [default: $GIT_CREDENTIAL_SCOPED_SECRET_STORE, the config's secret_store, else keyring]
    #[arg(long, value_parser = ["keyring", "file"])]
    pub secret_store: Option<String>,
    /// Ask GitHub about each token first: record its expiry; one the server rejects, or that cannot read its first repository, is not imported
    #[arg(long)]
    pub verify: bool,
    /// Afterwards remove the lines whose secret is now registered for their repository from the file (rewritten atomically, every other line kept in order)
    #[arg(long, conflicts_with = "gh_only")]
    pub remove_imported: bool,
    /// With --from gh: the owner (user or organization) the token belongs to
    #[arg(long, group = "gh_only")]
    pub owner: Option<String>,
    /// With --from gh: the repositories the token was given (repeat, or separate with commas)
    #[arg(
        long = "repo",
        value_name = "R[,R...]",
        value_delimiter = ',',
        conflicts_with = "all_repos",
        group = "gh_only"
    )]
    pub repos: Vec<String>,
    /// With --from gh: the token covers all of the owner's repositories
    #[arg(long, group = "gh_only")]
    pub all_repos: bool,
    /// With --from gh: the GitHub host whose token gh is asked for [default: github.com]
    #[arg(long, group = "gh_only")]
    pub host: Option<String>,
    /// With --from gh: the gh login whose token to take, when gh is signed in to the host as several (also the user name sent to git)
    #[arg(long, value_name = "LOGIN", group = "gh_only")]
    pub user: Option<String>,
    /// With --from gh: a name for the token [default: the owner]
    #[arg(long, group = "gh_only")]
    pub name: Option<String>,
}

pub(super) type Error = Box<dyn std::error::Error>;

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    let store = match a.secret_store.as_deref() {
        Some(s) => StoreKind::parse(s).unwrap_or(StoreKind::Keyring),
        None => default_kind(reg.settings.secret_store)?,
    };
    if a.from == "gh" {
        return from_gh::from_gh(ctx, &reg, store, &a);
    }
    let gh_only = a.owner.is_some()
        || !a.repos.is_empty()
        || a.all_repos
        || a.host.is_some()
        || a.user.is_some()
        || a.name.is_some();
    if gh_only {
        return Err("--owner, --repo, --all-repos, --host, --user and --name go with --from gh; a credential-store file says the owner and repositories itself".into());
    }
    from_store(ctx, &reg, store, &a)
}

/// The files git's credential-store reads when given none: `~/.git-credentials` and
/// `$XDG_CONFIG_HOME/git/credentials` (or `~/.config/git/credentials`).
fn default_store_files() -> Vec<PathBuf> {
    // git's home. On Windows, Git for Windows takes $HOME when it is set (Git Bash sets it,
    // and git passes it to the helpers it runs), else the profile directory, which is all
    // that dirs::home_dir() knows.
    let home = if cfg!(windows) {
        std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(dirs::home_dir)
    } else {
        dirs::home_dir()
    };
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.as_ref().map(|h| h.join(".config")));
    [
        home.map(|h| h.join(".git-credentials")),
        xdg.map(|x| x.join("git").join("credentials")),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Reads a file of the user's (not ours: held to no rules but being a regular file of
/// sane size). Kept as a [`Secret`]: it holds passwords.
pub(super) fn read_user_file(path: &Path) -> Result<Secret, FileError> {
    let meta = std::fs::metadata(path).map_err(io_err("read", path))?;
    if !meta.is_file() {
        return Err(FileError::NotRegular { path: path.into() });
    }
    if meta.len() > 16 << 20 {
        return Err(FileError::TooLarge {
            path: path.into(),
            limit: 16,
        });
    }
    Ok(Secret::new(
        std::fs::read(path).map_err(io_err("read", path))?,
    ))
}

fn from_store(ctx: &Context, reg: &Registry, store: StoreKind, a: &Args) -> CliResult {
    let files: Vec<PathBuf> = match &a.file {
        Some(f) => vec![f.clone()],
        None => {
            let all = default_store_files();
            let found: Vec<PathBuf> = all.iter().filter(|p| p.exists()).cloned().collect();
            if found.is_empty() {
                let names: Vec<String> =
                    all.iter().map(|p| crate::messages::shown_path(p)).collect();
                return Err(format!(
                    "no credential-store file to import: {} do not exist\nhint: name the file: git credential-scoped import --from store FILE",
                    names.join(" and ")
                )
                .into());
            }
            found
        }
    };
    let contents = files
        .iter()
        .map(|f| read_user_file(f))
        .collect::<Result<Vec<_>, _>>()?;
    let mut entries = Vec::new();
    let mut unreadable = Vec::new();
    for (file, bytes) in contents.iter().enumerate() {
        for (line, l) in store_file::read(bytes.expose()) {
            let at = LineRef { file, line };
            match l {
                Line::Credential(e) => entries.push((at, e)),
                Line::Unreadable(why) => unreadable.push(Skipped {
                    lines: vec![at],
                    reason: format!("it {why}; git skips it too"),
                }),
                Line::Blank => {}
            }
        }
    }
    let mut plan = plan::from_store(&entries, reg, store);
    plan.skipped.extend(unreadable);
    plan.skipped.sort_by_key(|s| s.lines.first().copied());
    let mut out = paint::stdout();
    writeln!(
        out,
        "{}{} credential line{} in {}",
        if a.dry_run {
            "dry run, nothing is changed: "
        } else {
            ""
        },
        entries.len(),
        if entries.len() == 1 { "" } else { "s" },
        files
            .iter()
            .map(|f| crate::messages::shown_path(f))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    drop(out);
    let registered = plan_and_apply(ctx, reg, store, plan, &files, a)?;
    let mut out = paint::stdout();
    let redundant: Vec<Vec<usize>> = (0..files.len())
        .map(|file| {
            entries
                .iter()
                .filter(|(at, e)| at.file == file && plan::covering(e, &registered).is_some())
                .map(|(at, _)| at.line)
                .collect()
        })
        .collect();
    for (i, (file, lines)) in files.iter().zip(&redundant).enumerate() {
        if lines.is_empty() {
            continue;
        }
        let shown = print::refs(
            &lines
                .iter()
                .map(|&line| LineRef { file: 0, line })
                .collect::<Vec<_>>(),
            std::slice::from_ref(file),
        );
        if !a.remove_imported {
            writeln!(
                out,
                "{}: {shown} now duplicate{} a secret registered for the same repository; the file is left as it was",
                crate::messages::shown_path(file),
                if lines.len() == 1 { "s" } else { "" }
            )?;
            writeln!(
                out,
                "{}",
                paint::line(&format!(
                    "to remove those lines (every other line is kept, in order), run: {}",
                    remove_command(a.file.as_deref(), file)
                ))
            )?;
        } else if a.dry_run {
            writeln!(
                out,
                "{}: would remove {shown}",
                crate::messages::shown_path(file)
            )?;
        } else {
            let (removed, kept) = rewrite::remove_lines(file, &registered)?;
            writeln!(
                out,
                "{}: removed {removed} line{} now registered; {kept} other line{} kept as they were",
                crate::messages::shown_path(&files[i]),
                if removed == 1 { "" } else { "s" },
                if kept == 1 { "" } else { "s" }
            )?;
        }
    }
    Ok(EXIT_OK)
}

/// The exact command that removes the redundant lines of `file`.
fn remove_command(given: Option<&Path>, file: &Path) -> String {
    match given {
        Some(_) => format!(
            "git credential-scoped import --from store {} --remove-imported",
            crate::messages::shown(&shell_word(&file.display().to_string()))
        ),
        None => "git credential-scoped import --remove-imported".into(),
    }
}

/// A word the shell reads as itself: quoted when it holds anything but safe characters.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+~:@%,".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `--verify`, the plan printed, and — unless `--dry-run` — every token registered in one
/// change. Returns the tokens registered afterwards (with `--dry-run`: as they would be).
pub(super) fn plan_and_apply(
    ctx: &Context,
    reg: &Registry,
    store: StoreKind,
    mut plan: Plan,
    files: &[PathBuf],
    a: &Args,
) -> Result<Vec<Token>, Error> {
    refused_by_config(&mut plan)?;
    if a.verify {
        verify(reg, &mut plan)?;
    }
    let mut out = paint::stdout();
    print::plan(&mut out, &plan, files, store.name(), a.verify, ctx.now)?;
    if plan.tokens.is_empty() {
        writeln!(out, "nothing to import")?;
        return Ok(reg.tokens.clone());
    }
    let count = plan.tokens.len();
    let noun = if count == 1 { "token" } else { "tokens" };
    if a.dry_run {
        writeln!(
            out,
            "would register {count} {noun} in {}",
            crate::messages::shown_path(&ctx.config_path)
        )?;
        let mut all = reg.tokens.clone();
        all.extend(plan.tokens.iter().map(|p| p.token.clone()));
        return Ok(all);
    }
    drop(out);
    let batch: Vec<(&Token, Option<&Secret>)> = plan
        .tokens
        .iter()
        .map(|p| (&p.token, Some(&p.secret)))
        .collect();
    change::add_all(ctx, &batch).map_err(|e| format!("{e}\nnothing was imported"))?;
    let mut out = paint::stdout();
    writeln!(
        out,
        "registered {count} {noun} in {} (secrets in the {} store)",
        crate::messages::shown_path(&ctx.config_path),
        store.name()
    )?;
    if plan
        .tokens
        .iter()
        .any(|p| p.token.expires == Expiry::Unknown)
    {
        writeln!(
            out,
            "{}",
            paint::line("their expiry is unknown, so nothing warns before they stop working; to record what GitHub reports, run: git credential-scoped check --online URL")
        )?;
    }
    Ok(ctx.registry()?.tokens)
}

/// Proposed tokens the config would refuse (a user name it does not take, ...) move to the
/// lines not imported, with the config's reason, so the rest is registered whole.
fn refused_by_config(plan: &mut Plan) -> Result<(), Error> {
    let mut kept = Vec::new();
    for p in std::mem::take(&mut plan.tokens) {
        match (document::refusal(&p.token), &p.from) {
            (None, _) => kept.push(p),
            (Some(why), plan::From::Lines(lines)) => plan.skipped.push(Skipped {
                lines: lines.clone(),
                reason: format!("the registry cannot take it: {why}"),
            }),
            (Some(why), plan::From::Gh { .. }) => {
                return Err(format!(
                    "the registry cannot take the token: {why}\nnothing was imported"
                )
                .into())
            }
        }
    }
    plan.tokens = kept;
    plan.skipped.sort_by_key(|s| s.lines.first().copied());
    Ok(())
}

/// `--verify`: asks the server about each proposed token; one it rejects, or that cannot
/// read its first repository, moves to the lines not imported.
fn verify(reg: &Registry, plan: &mut Plan) -> Result<(), Error> {
    let mut kept = Vec::new();
    for mut p in std::mem::take(&mut plan.tokens) {
        let problem = verify_found_token(reg, &mut p.token, &p.secret).map_err(|e| {
            format!(
                "could not ask the server about token '{}': {}\nnothing was imported; leave out --verify to import without asking",
                p.token.name,
                e.to_string().lines().next().unwrap_or("")
            )
        })?;
        match (problem, &p.from) {
            (None, _) => kept.push(p),
            (Some(why), plan::From::Lines(lines)) => plan.skipped.push(Skipped {
                lines: lines.clone(),
                reason: format!("the server says: {why}"),
            }),
            (Some(why), plan::From::Gh { .. }) => {
                return Err(format!("the server says: {why}\nnothing was imported").into())
            }
        }
    }
    plan.tokens = kept;
    plan.skipped.sort_by_key(|s| s.lines.first().copied());
    Ok(())
}

//! `import`: moving in from the helpers people use today. The common workaround for
//! fine-grained tokens is git's credential-store with `useHttpPath`: one line per
//! repository in `~/.git-credentials`, often the same `github_pat_` secret on many lines.
//! `import --from store [FILE]` reads such files and proposes one registry token per
//! distinct secret ([`plan`]); `import --from gh` takes the token the GitHub CLI keeps in its
//! `hosts.yml` ([`gh`]), with the owner and repositories given (nothing in that file says
//! them). The plan is printed ([`print`]: fingerprints, never a secret), applied whole or
//! not at all unless `--dry-run` ([`crate::change::add_all`]), and the lines of the old
//! file that now duplicate a registered secret are named, with the command that removes
//! them. The user's file is rewritten only with `--remove-imported`: atomically, under
//! git's own lock for it, every other line kept byte for byte and in order.
//!
//! This file holds the arguments and the steps; [`store_file`] reads git's format.

mod gh;
mod plan;
mod print;
mod store_file;

use std::io::Write;
use std::path::{Path, PathBuf};

use super::check::verify_found_token;
use super::paint;
use super::{CliResult, EXIT_OK};
use crate::change;
use crate::context::Context;
use crate::files::{io_err, FileError};
use crate::registry::{Access, Expiry, Registry, Repos, SecretSource, Token, GITHUB};
use crate::remote::{valid_name, valid_token_name};
use crate::secret::Secret;
use crate::secrets::{default_kind, StoreKind};
use plan::{LineRef, Plan, Proposed, Skipped};
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

Exit codes: 0 done (also when some lines were not imported), 2 usage or environment error
(nothing was imported).";

#[derive(clap::Args, Debug)]
#[command(after_long_help = HELP, group(clap::ArgGroup::new("gh_only").multiple(true)))]
pub struct Args {
    /// Where the tokens are now: git's credential-store files, or the GitHub CLI's hosts.yml
    #[arg(long, value_name = "store|gh", value_parser = ["store", "gh"], default_value = "store")]
    pub from: String,
    /// The file to read [default: with store, ~/.git-credentials and $XDG_CONFIG_HOME/git/credentials, those that exist; with gh, hosts.yml in $GH_CONFIG_DIR, else $XDG_CONFIG_HOME/gh, else ~/.config/gh]
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
    /// With --from gh: the GitHub host in hosts.yml [default: github.com]
    #[arg(long, group = "gh_only")]
    pub host: Option<String>,
    /// With --from gh: the gh login whose token to take, when hosts.yml holds several
    #[arg(long, value_name = "LOGIN", group = "gh_only")]
    pub user: Option<String>,
    /// With --from gh: a name for the token [default: the owner]
    #[arg(long, group = "gh_only")]
    pub name: Option<String>,
}

type Error = Box<dyn std::error::Error>;

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let reg = ctx.registry()?;
    let store = match a.secret_store.as_deref() {
        Some(s) => StoreKind::parse(s).unwrap_or(StoreKind::Keyring),
        None => default_kind(reg.settings.secret_store)?,
    };
    if a.from == "gh" {
        return from_gh(ctx, &reg, store, &a);
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
    let home = dirs::home_dir();
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
fn read_user_file(path: &Path) -> Result<Secret, FileError> {
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
                let names: Vec<String> = all.iter().map(|p| p.display().to_string()).collect();
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
            .map(|f| f.display().to_string())
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
                file.display(),
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
            writeln!(out, "{}: would remove {shown}", file.display())?;
        } else {
            let (removed, kept) = remove_lines(file, &registered)?;
            writeln!(
                out,
                "{}: removed {removed} line{} now registered; {kept} other line{} kept as they were",
                files[i].display(),
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
            shell_word(&file.display().to_string())
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
fn plan_and_apply(
    ctx: &Context,
    reg: &Registry,
    store: StoreKind,
    mut plan: Plan,
    files: &[PathBuf],
    a: &Args,
) -> Result<Vec<Token>, Error> {
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
            ctx.config_path.display()
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
        ctx.config_path.display(),
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

/// Rewrites `file` without the lines that `tokens` make redundant, under git's own lock
/// for it (`FILE.lock`, as git-credential-store takes it), from the file as it is then.
/// Returns how many lines were removed and how many kept.
fn remove_lines(file: &Path, tokens: &[Token]) -> Result<(usize, usize), Error> {
    // A symbolic link (a dotfiles checkout) is followed: the file itself is rewritten.
    let real = std::fs::canonicalize(file).map_err(io_err("read", file))?;
    let _lock = GitLock::take(&real)?;
    let bytes = read_user_file(&real)?;
    let raw: Vec<&[u8]> = store_file::lines(bytes.expose()).collect();
    let parsed = store_file::read(bytes.expose());
    let mut kept: Vec<&[u8]> = Vec::new();
    let mut last_kept = false;
    for (line, (_, l)) in raw.iter().zip(&parsed) {
        last_kept = match l {
            Line::Credential(e) => plan::covering(e, tokens).is_none(),
            Line::Blank | Line::Unreadable(_) => true,
        };
        if last_kept {
            kept.push(line);
        }
    }
    let (removed, count) = (raw.len() - kept.len(), kept.len());
    let mut kept = kept.join(&b"\n"[..]);
    // Every kept line keeps its line end; only a last line that had none still has none.
    if !kept.is_empty() && (bytes.expose().ends_with(b"\n") || !last_kept) {
        kept.push(b'\n');
    }
    let kept = Secret::new(kept);
    crate::files::write_atomic(&real, kept.expose())?;
    Ok((removed, count))
}

/// git's lock for a file it rewrites (`FILE.lock`, created exclusively, removed after):
/// while it is held, git-credential-store does not write the file, and we do not either
/// while git holds it.
struct GitLock(PathBuf);

impl GitLock {
    fn take(file: &Path) -> Result<GitLock, Error> {
        let mut name = file.as_os_str().to_owned();
        name.push(".lock");
        let path = PathBuf::from(name);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(_) => Ok(GitLock(path)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(format!(
                "{} exists: git is writing {} (or a git process died while it did); nothing was removed\nhint: try again; if no git process is running, delete {}",
                path.display(),
                file.display(),
                path.display()
            )
            .into()),
            Err(e) => Err(io_err("create the lock file", &path)(e).into()),
        }
    }
}

impl Drop for GitLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// hosts.yml's place: `$GH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gh`, else (Windows)
/// `%AppData%\GitHub CLI`, else `~/.config/gh` — as gh itself looks.
fn default_gh_file() -> Option<PathBuf> {
    let var = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("GH_CONFIG_DIR")
        .or_else(|| var("XDG_CONFIG_HOME").map(|x| x.join("gh")))
        .or_else(|| {
            if cfg!(windows) {
                dirs::config_dir().map(|d| d.join("GitHub CLI"))
            } else {
                dirs::home_dir().map(|h| h.join(".config").join("gh"))
            }
        })?;
    Some(dir.join("hosts.yml"))
}

fn from_gh(ctx: &Context, reg: &Registry, store: StoreKind, a: &Args) -> CliResult {
    let owner = a
        .owner
        .as_deref()
        .ok_or("--from gh needs --owner OWNER and --repo R... or --all-repos: hosts.yml does not say which owner and repositories the token was given")?;
    if !valid_name(owner) {
        return Err("--owner is not a GitHub account name".into());
    }
    if a.repos.is_empty() && !a.all_repos {
        return Err("--from gh needs --repo R... or --all-repos: hosts.yml does not say which repositories the token was given".into());
    }
    if let Some(r) = a.repos.iter().find(|r| !valid_name(r)) {
        return Err(format!(
            "--repo '{}' is not a repository name (give names without the owner)",
            crate::protocol::escape(r.as_bytes())
        )
        .into());
    }
    let host = a.host.as_deref().unwrap_or(GITHUB).to_ascii_lowercase();
    if reg.github_host(&host).is_none() {
        return Err(format!(
            "{host} is not a GitHub host\nhint: declare it in {} first",
            ctx.config_path.display()
        )
        .into());
    }
    let file = match &a.file {
        Some(f) => f.clone(),
        None => default_gh_file().ok_or(FileError::NoHome)?,
    };
    let bytes = read_user_file(&file)?;
    let root = gh::parse(bytes.expose()).map_err(|e| {
        format!(
            "{}, line {}: the line {}; it is not the shape gh writes, so nothing was read from it",
            file.display(),
            e.line,
            e.what
        )
    })?;
    let account = pick_account(gh::accounts(&root), &host, a.user.as_deref(), &file)?;
    let login = account.user.clone();
    let Some(secret) = account.secret else {
        let who = login
            .as_deref()
            .map(|u| format!(" --user {u}"))
            .unwrap_or_default();
        return Err(format!(
            "{} holds no token for {}{}: gh keeps it in the system keyring\nhint: hand it over on stdin instead: gh auth token --hostname {host}{who} | git credential-scoped add NAME --owner {owner} {}",
            file.display(),
            host,
            login.as_deref().map(|u| format!(" (login {u})")).unwrap_or_default(),
            repos_flag(a)
        )
        .into());
    };
    let fingerprint = secret.fingerprint();
    let mut out = paint::stdout();
    if let Some(t) = reg
        .tokens
        .iter()
        .find(|t| t.fingerprint.as_deref() == Some(fingerprint.as_str()))
    {
        writeln!(out, "the token gh holds for {host} ({fingerprint}) is registered already, as token '{}'; nothing to import", t.name)?;
        return Ok(EXIT_OK);
    }
    if !secret.expose().starts_with(b"github_pat_") {
        return Err(format!("the token gh holds for {host} is not a fine-grained token (github_pat_...): gh's own sign-in token (gho_...) reaches everything its account can, so there is nothing to route; nothing was imported").into());
    }
    let name = match &a.name {
        Some(n) if valid_token_name(n) => n.clone(),
        Some(n) => {
            return Err(format!(
                "'{}' is not a usable token name: use letters, digits, '-', '_', '.', '@'",
                crate::protocol::escape(n.as_bytes())
            )
            .into())
        }
        None => plan::free_name(owner, reg, &Plan::default()),
    };
    let token = Token {
        name,
        host,
        owner: owner.to_string(),
        repos: if a.all_repos {
            Repos::All
        } else {
            Repos::List(a.repos.clone())
        },
        contents: Access::Read,
        other_permissions: Vec::new(),
        expires: Expiry::Unknown,
        username: login.clone(),
        source: SecretSource::Store(store),
        default: false,
        fingerprint: Some(fingerprint),
    };
    writeln!(
        out,
        "{}the token gh holds for {} in {}",
        if a.dry_run {
            "dry run, nothing is changed: "
        } else {
            ""
        },
        token.host,
        file.display()
    )?;
    drop(out);
    let plan = Plan {
        tokens: vec![Proposed {
            token,
            secret,
            from: plan::From::Gh { user: login },
            notes: vec!["gh keeps its copy; `gh auth logout` removes it there".into()],
        }],
        skipped: Vec::new(),
    };
    plan_and_apply(ctx, reg, store, plan, &[file], a)?;
    Ok(EXIT_OK)
}

fn repos_flag(a: &Args) -> String {
    if a.all_repos {
        "--all-repos".into()
    } else {
        format!("--repo {}", a.repos.join(","))
    }
}

/// The one account of `host` to import: the one named by `--user`, else the only one.
fn pick_account(
    accounts: Vec<gh::Account>,
    host: &str,
    user: Option<&str>,
    file: &Path,
) -> Result<gh::Account, Error> {
    let mut on_host: Vec<gh::Account> = accounts
        .into_iter()
        .filter(|acc| acc.host.eq_ignore_ascii_case(host))
        .collect();
    if let Some(u) = user {
        return on_host
            .into_iter()
            .find(|acc| acc.user.as_deref() == Some(u))
            .ok_or_else(|| {
                format!(
                    "{} names no login '{}' for {host}",
                    file.display(),
                    crate::protocol::escape(u.as_bytes())
                )
                .into()
            });
    }
    match on_host.len() {
        0 => Err(format!(
            "{} holds no account for {host}\nhint: sign in with gh first, or give --host",
            file.display()
        )
        .into()),
        1 => Ok(on_host.remove(0)),
        _ => {
            let logins: Vec<String> = on_host.iter().filter_map(|acc| acc.user.clone()).collect();
            Err(format!(
                "{} holds several logins for {host} ({}); say which with --user LOGIN",
                file.display(),
                logins.join(", ")
            )
            .into())
        }
    }
}

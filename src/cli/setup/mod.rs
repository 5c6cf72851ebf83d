//! `setup`: make git ask this helper for one host, and `setup --uninstall` to stop.
//!
//! It writes, with `git config` (a subprocess: git stays the only writer of its own files,
//! NOTES.md), `credential.https://HOST.helper` = "" (an empty value resets the helper list
//! read so far, gitcredentials(7) "CONFIGURATION"), then `credential.https://HOST.helper` =
//! this program by absolute path (git runs it directly, one `git` start-up less per request
//! than `scoped`, as `gh auth setup-git` does), and `credential.https://HOST.useHttpPath` =
//! `true` (so git sends the repository path and each repository can get its own token).
//! A host declared with `allow_http = true` gets the same for `http://HOST`.
//!
//! What git will do is judged from every file it reads, the way doctor judges it
//! ([`crate::gitconfig`]): when another helper would still be asked after ours in the
//! chosen file, setup moves its entries to the end of that file; when one is read from a
//! later file, it says which `setup` fixes that. A second run finds everything in place
//! and changes nothing. `--uninstall` removes what setup wrote — `useHttpPath` only if
//! setup added it (recorded in the data directory) — and nothing else.
//!
//! `--cargo` also makes cargo fetch git dependencies with git ([`cargo`]), so that cargo's
//! requests reach this helper the way git's do.

mod cargo;
mod record;
mod uninstall;

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::Command;

use super::{report, CliResult, EXIT_OK};
use crate::context::Context;
use crate::gitconfig::{
    helper_value, helper_value_for, host_view, is_ours, read_git_config, this_program, Entry,
    HostView, PROGRAM,
};
use crate::messages::shown;
use crate::remote::valid_host;
use uninstall::without_ours;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Writes, with `git config`:\n  credential.https://HOST.helper =          (empty: resets the helpers listed before it for HOST)\n  credential.https://HOST.helper = /path/to/git-credential-scoped\n  credential.https://HOST.useHttpPath = true\n(and the same for http://HOST when the config declares the host with allow_http = true).\n\nRunning it again changes nothing. --uninstall removes exactly what setup wrote: with --host,\n\
for that host; without, for every host setup set up, in the chosen file and in every other file\n\
it wrote to (a repository's, with --local), and cargo's setting if setup --cargo set it.\n\n\
--cargo also sets net.git-fetch-with-cli = true in cargo's configuration ($CARGO_HOME/config.toml,\n\
by default ~/.cargo/config.toml; comments and layout kept), so cargo fetches git dependencies\n\
with git, which asks this helper. cargo's built-in libgit2 ignores the reset above, a refusal's\n\
quit=1 and this helper's messages. --uninstall --cargo takes that back too, if setup made it."
)]
pub struct Args {
    /// The host git reaches over HTTPS, with :port if not 443 [default: github.com; with
    /// --uninstall: every host setup set up, and cargo if setup set it up]
    #[arg(long)]
    pub host: Option<String>,
    /// Write to the user's git config (~/.gitconfig) [default]
    #[arg(long, group = "scope")]
    pub global: bool,
    /// Write to the current repository's .git/config
    #[arg(long, group = "scope")]
    pub local: bool,
    /// Write to the system git config (/etc/gitconfig; usually needs root)
    #[arg(long, group = "scope")]
    pub system: bool,
    /// Remove what setup writes (and nothing else)
    #[arg(long)]
    pub uninstall: bool,
    /// Also make cargo fetch git dependencies with git: net.git-fetch-with-cli = true in $CARGO_HOME/config.toml
    #[arg(long)]
    pub cargo: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("'{0}' is not a host name (like github.com or ghe.example.com:8443)")]
    BadHost(String),
    #[error("git was not found on PATH\nhint: install git (Debian/Ubuntu: apt-get install git), then run this again")]
    NoGit,
    #[error("could not run git: {0}")]
    Spawn(std::io::Error),
    #[error("`git config {args}` failed (exit {code}): {stderr}\nhint: {hint}")]
    Git {
        args: String,
        code: i32,
        stderr: String,
        hint: String,
    },
    #[error("cannot tell where this program is installed, so setup cannot name it\nhint: run it by its full path")]
    NoPath,
    #[error("{0}")]
    Record(#[from] crate::files::FileError),
}

/// One of git's config files: the `git config` flag that selects it, or a file setup
/// recorded writing to (`--file PATH`: `--uninstall` of every file it wrote).
#[derive(Clone, Copy)]
enum Scope<'a> {
    Flag(&'static str),
    File(&'a str),
}

impl<'a> Scope<'a> {
    fn of(a: &Args) -> Scope<'static> {
        match (a.local, a.system) {
            (true, _) => Scope::Flag("--local"),
            (_, true) => Scope::Flag("--system"),
            _ => Scope::Flag("--global"),
        }
    }

    fn name(self) -> &'a str {
        match self {
            Scope::Flag(f) => f.trim_start_matches('-'),
            Scope::File(_) => "file",
        }
    }

    fn args(self) -> Vec<&'a str> {
        match self {
            Scope::Flag(f) => vec![f],
            Scope::File(p) => vec!["--file", p],
        }
    }
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let scope = Scope::of(&a);
    let Some(given) = a.host.as_deref() else {
        if a.uninstall {
            let mut out = std::io::stdout().lock();
            for line in uninstall::everything(ctx, scope, a.cargo)? {
                writeln!(out, "{line}")?;
            }
            return Ok(EXIT_OK);
        }
        return run(
            ctx,
            Args {
                host: Some(crate::registry::GITHUB.to_string()),
                ..a
            },
        );
    };
    let host = given.to_ascii_lowercase();
    if !valid_host(&host) {
        return Err(SetupError::BadHost(shown(given)).into());
    }
    let mut schemes = vec!["https"];
    if ctx
        .registry()?
        .github_host(&host)
        .is_some_and(|d| d.allow_http)
    {
        schemes.push("http");
    }
    if a.cargo {
        cargo::precheck()?;
    }
    let mut value = helper_value_for(&this_program().ok_or(SetupError::NoPath)?);
    // `--config FILE`: git passes it on, so the helper reads the registry setup was given.
    if let Some(flag) = super::check::config_flag(&ctx.config_path) {
        value = format!("{value} {flag}");
    }
    let mut out = std::io::stdout().lock();
    for scheme in schemes {
        let keys = Keys::new(scheme, &host);
        let lines = if a.uninstall {
            uninstall::uninstall(ctx, scope, &keys)?
        } else {
            install(ctx, scope, &keys, &value)?
        };
        for line in lines {
            writeln!(out, "{line}")?;
        }
    }
    if a.cargo {
        let lines = if a.uninstall {
            cargo::uninstall(ctx)?
        } else {
            cargo::install(ctx)?
        };
        for line in lines {
            writeln!(out, "{line}")?;
        }
    }
    Ok(EXIT_OK)
}

struct Keys {
    scheme: String,
    host: String,
    url: String,
    helper: String,
    use_path: String,
}

impl Keys {
    fn new(scheme: &str, host: &str) -> Keys {
        Keys::from_url(&format!("{scheme}://{host}"))
    }

    /// The keys of a `credential.<url>.*` section as it is written.
    fn from_url(url: &str) -> Keys {
        let (scheme, host) = url.split_once("://").unwrap_or(("", url));
        Keys {
            scheme: scheme.to_string(),
            host: host.to_string(),
            helper: format!("credential.{url}.helper"),
            use_path: format!("credential.{url}.useHttpPath"),
            url: url.to_string(),
        }
    }

    fn view(&self) -> Result<(Vec<Entry>, HostView), SetupError> {
        let entries = read_git_config().map_err(|e| match e {
            crate::gitconfig::ReadError::NoGit => SetupError::NoGit,
            crate::gitconfig::ReadError::Failed(why) => SetupError::Git {
                args: "--get-regexp ^credential\\.".into(),
                code: -1,
                stderr: why,
                hint: "fix the git config file it names by hand, then run this again".into(),
            },
        })?;
        let view = host_view(&entries, &self.scheme, &self.host);
        Ok((entries, view))
    }
}

/// Whether git's chain for the host is exactly this program, as `value`, with useHttpPath.
fn done(view: &HostView, value: &str) -> bool {
    matches!(view.helpers.as_slice(), [only] if only.entry.value.as_deref() == Some(value))
        && view.use_http_path
}

fn install(ctx: &Context, scope: Scope, k: &Keys, value: &str) -> Result<Vec<String>, SetupError> {
    let (_, before) = k.view()?;
    let file = scope_file(scope, k);
    let ours_here = get_all(scope, &k.helper)?;
    let in_place = ours_here.ends_with(&[String::new(), value.to_string()]);
    if done(&before, value) && in_place {
        record::added(&ctx.data_dir, &scope_key(scope, k), &k.helper)?;
        return Ok(vec![format!(
            "already set up: git asks {PROGRAM} for {} ({file}); nothing to change",
            k.url
        )]);
    }
    let mut changes = Vec::new();
    if !(done(&before, value) && in_place) {
        put_helper(scope, k, &ours_here, value, &mut changes)?;
    }
    record::added(&ctx.data_dir, &scope_key(scope, k), &k.helper)?;
    let (_, mid) = k.view()?;
    if !mid.use_http_path {
        let was = get_all(scope, &k.use_path)?;
        git(scope, &["--replace-all", &k.use_path, "true"])?;
        let was_text = match was.as_slice() {
            [] => String::new(),
            old => format!(" (was {})", shown(&old.join(", "))),
        };
        changes.push(format!("+ {} = true{was_text}", k.use_path));
        record::added(&ctx.data_dir, &scope_key(scope, k), &k.use_path)?;
    }
    let file = scope_file(scope, k);
    let mut lines = vec![format!("set up {PROGRAM} for {} in {file}:", k.url)];
    lines.extend(changes.into_iter().map(|c| format!("  {c}")));
    // Only the helpers git no longer asks: one read after setup's entries (a repository's
    // own, say) is still asked, and warn_chain says so (issue 24 #11: the note listed it as
    // gone while the warning said it was still asked).
    let (_, after) = k.view()?;
    let still = |h: &crate::gitconfig::Helper| {
        after.helpers.iter().any(|a| {
            (&a.entry.key, &a.entry.origin, &a.entry.value)
                == (&h.entry.key, &h.entry.origin, &h.entry.value)
        })
    };
    let displaced: Vec<String> = before
        .helpers
        .iter()
        .filter(|h| !h.ours && !still(h))
        .map(|h| format!("'{}' ({})", helper_value(h), h.entry.file()))
        .collect();
    if !displaced.is_empty() {
        let only = match after.helpers.as_slice() {
            [one] if one.ours => " only",
            _ => "",
        };
        lines.push(format!(
            "note: for {} git now asks {PROGRAM}{only}, no longer {}; `{PROGRAM} setup --uninstall` undoes this",
            k.url,
            displaced.join(", ")
        ));
    }
    warn_chain(k, &after, value);
    Ok(lines)
}

/// Puts the reset and this program last in the scope's list for the host. When another
/// helper for the host is read after that list in the same file, the list's section is
/// moved to the end of the file (git appends new keys to a section where it stands).
fn put_helper(
    scope: Scope,
    k: &Keys,
    current: &[String],
    value: &str,
    changes: &mut Vec<String>,
) -> Result<(), SetupError> {
    let kept = without_ours(current);
    for old in current.iter().filter(|h| is_ours(h)) {
        changes.push(format!("- {} = {}", k.helper, shown(old)));
    }
    if read_after_ours(scope, k)? {
        // Move the section to the end of the file, its other keys in their order.
        let section = format!("credential.{}", k.url);
        let others = section_entries(scope, &section)?;
        git(scope, &["--remove-section", &section])?;
        for (key, v) in others
            .iter()
            .filter(|(key, _)| !key.eq_ignore_ascii_case(&k.helper))
        {
            git(scope, &["--add", key, v])?;
        }
        for h in &kept {
            git(scope, &["--add", &k.helper, h])?;
        }
        changes.push(format!(
            "  (moved [credential \"{}\"] to the end of the file: a helper read after it would get every token too)",
            k.url
        ));
    } else if kept.len() != current.len() {
        git(scope, &["--unset-all", &k.helper])?;
        for h in &kept {
            git(scope, &["--add", &k.helper, h])?;
        }
    }
    git(scope, &["--add", &k.helper, ""])?;
    git(scope, &["--add", &k.helper, value])?;
    changes.push(format!(
        "+ {} =  (empty: resets the helpers listed before it for {})",
        k.helper, k.url
    ));
    changes.push(format!("+ {} = {}", k.helper, shown(value)));
    Ok(())
}

/// Whether, in the scope's own file, a helper for the host is read after the last entry
/// of the host's section there (git appends a new key to that section, so it would still
/// be read before that helper).
fn read_after_ours(scope: Scope, k: &Keys) -> Result<bool, SetupError> {
    let (entries, _) = k.view()?;
    let here: Vec<&Entry> = entries.iter().filter(|e| e.scope == scope.name()).collect();
    let section = format!("credential.{}.", k.url).to_ascii_lowercase();
    let Some(last) = here
        .iter()
        .rposition(|e| e.key.to_ascii_lowercase().starts_with(&section))
    else {
        return Ok(false);
    };
    Ok(here[last + 1..]
        .iter()
        .any(|e| e.is_helper_for(&k.scheme, &k.host)))
}

/// Every `KEY VALUE` of a section in the scope's file, in order.
fn section_entries(scope: Scope, section: &str) -> Result<Vec<(String, String)>, SetupError> {
    let pattern: String = section
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_string()
            } else {
                format!("\\{c}")
            }
        })
        .collect();
    let out = match git(
        scope,
        &["--null", "--get-regexp", &format!("^{pattern}\\.")],
    ) {
        Ok(out) => out,
        Err(SetupError::Git { code: 1, .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    Ok(out
        .split_terminator('\0')
        .map(|e| {
            let (key, v) = e.split_once('\n').unwrap_or((e, "true"));
            (key.to_string(), v.to_string())
        })
        .collect())
}

/// Warns when git would still not ask this program first and only for the host: an entry
/// in a file read later resets it away or puts another helper after it.
fn warn_chain(k: &Keys, view: &HostView, value: &str) {
    let ours = view
        .helpers
        .iter()
        .position(|h| h.entry.value.as_deref() == Some(value));
    match ours {
        None => report(&format!("warning: a credential helper entry read after setup's resets it, so git does not ask {PROGRAM} for {}\nhint: run: git credential-scoped doctor", k.url)),
        Some(i) if view.helpers.len() > 1 => {
            let others: Vec<&crate::gitconfig::Helper> = view.helpers.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, h)| h).collect();
            let first = others[0];
            let fix = match first.entry.scope.as_str() {
                "local" => "git credential-scoped setup --local",
                "worktree" => "git credential-scoped setup --local (in that worktree)",
                _ => "git credential-scoped setup",
            };
            report(&format!(
                "warning: git also asks '{}' ({}) for {}, and would store tokens there too\nhint: run: {fix}",
                helper_value(first),
                first.entry.file(),
                k.url
            ));
        }
        Some(_) => {}
    }
}

/// The file of the scope, as git names it, escaped for people.
fn scope_file(scope: Scope, k: &Keys) -> String {
    shown(&scope_key(scope, k))
}

/// The file of the scope as git names it, unescaped and absolute (git names a repository's
/// own file relative to the current directory): the record's key.
fn scope_key(scope: Scope, k: &Keys) -> String {
    let Some(file) = origin(scope, &k.helper).or_else(|| origin(scope, &k.use_path)) else {
        return format!("the {} git config", scope.name());
    };
    if Path::new(&file).is_absolute() {
        return file;
    }
    std::fs::canonicalize(&file).map_or(file, |p| p.to_string_lossy().into_owned())
}

/// The file a key is set in (`file:PATH` from --show-origin), if it is set.
fn origin(scope: Scope, key: &str) -> Option<String> {
    let out = git(scope, &["--null", "--show-origin", "--get-all", key]).ok()?;
    let origin = out.split('\0').next()?;
    let path = origin.strip_prefix("file:").unwrap_or(origin);
    (!path.is_empty()).then(|| path.to_string())
}

/// Every value of `key` in the scope's file, in order; none when unset.
fn get_all(scope: Scope, key: &str) -> Result<Vec<String>, SetupError> {
    match git(scope, &["--null", "--get-all", key]) {
        Ok(out) => Ok(out
            .strip_suffix('\0')
            .unwrap_or(&out)
            .split('\0')
            .map(str::to_string)
            .collect()),
        Err(SetupError::Git { code: 1, .. }) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Runs `git config [SCOPE] ARGS...`; its stdout on success.
fn git(scope: Scope, args: &[&str]) -> Result<String, SetupError> {
    let mut c = Command::new("git");
    c.arg("config").args(scope.args());
    c.args(args.iter().map(OsStr::new));
    let out = c.output().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SetupError::NoGit,
        _ => SetupError::Spawn(e),
    })?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let code = out.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&out.stderr)
        .trim()
        .replace('\n', "; ");
    let hint = if stderr.contains("bad config") || code == 3 {
        "fix that line of the git config file by hand, then run this again"
    } else if scope.name() == "local" {
        "--local needs to run inside a git repository"
    } else if scope.name() == "system" {
        "--system writes git's system-wide config: run it as root, or use --global"
    } else {
        "check that the git config file and its directory exist and are writable by you, then run this again"
    };
    let shown: Vec<String> = scope
        .args()
        .into_iter()
        .map(str::to_string)
        .chain(args.iter().map(|a| {
            if a.is_empty() {
                "\"\"".to_string()
            } else {
                a.to_string()
            }
        }))
        .filter(|a| !a.is_empty())
        .collect();
    Err(SetupError::Git {
        args: shown.join(" "),
        code,
        stderr,
        hint: hint.to_string(),
    })
}

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
use crate::remote::valid_host;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Writes, with `git config`:\n  credential.https://HOST.helper =          (empty: resets the helpers listed before it for HOST)\n  credential.https://HOST.helper = /path/to/git-credential-scoped\n  credential.https://HOST.useHttpPath = true\n(and the same for http://HOST when the config declares the host with allow_http = true).\n\nRunning it again changes nothing. --uninstall removes exactly what setup wrote.\n\n\
--cargo also sets net.git-fetch-with-cli = true in cargo's configuration ($CARGO_HOME/config.toml,\n\
by default ~/.cargo/config.toml; comments and layout kept), so cargo fetches git dependencies\n\
with git, which asks this helper. cargo's built-in libgit2 ignores the reset above, a refusal's\n\
quit=1 and this helper's messages. --uninstall --cargo takes that back too, if setup made it."
)]
pub struct Args {
    /// The host git reaches over HTTPS, with :port if not 443
    #[arg(long, default_value = "github.com")]
    pub host: String,
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

/// One of git's config files, as the `git config` flag that selects it.
#[derive(Clone, Copy)]
struct Scope(&'static str);

impl Scope {
    fn of(a: &Args) -> Scope {
        match (a.local, a.system) {
            (true, _) => Scope("--local"),
            (_, true) => Scope("--system"),
            _ => Scope("--global"),
        }
    }

    fn name(self) -> &'static str {
        self.0.trim_start_matches('-')
    }
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let host = a.host.to_ascii_lowercase();
    if !valid_host(&host) {
        return Err(SetupError::BadHost(crate::protocol::escape(a.host.as_bytes())).into());
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
    let scope = Scope::of(&a);
    let mut value = helper_value_for(&this_program().ok_or(SetupError::NoPath)?);
    // `--config FILE`: git passes it on, so the helper reads the registry setup was given.
    if let Some(flag) = super::check::config_flag(&ctx.config_path) {
        value = format!("{value} {flag}");
    }
    let mut out = std::io::stdout().lock();
    for scheme in schemes {
        let keys = Keys::new(scheme, &host);
        let lines = if a.uninstall {
            uninstall(ctx, scope, &keys)?
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
    scheme: &'static str,
    host: String,
    url: String,
    helper: String,
    use_path: String,
}

impl Keys {
    fn new(scheme: &'static str, host: &str) -> Keys {
        let url = format!("{scheme}://{host}");
        Keys {
            scheme,
            host: host.to_string(),
            helper: format!("credential.{url}.helper"),
            use_path: format!("credential.{url}.useHttpPath"),
            url,
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
        let view = host_view(&entries, self.scheme, &self.host);
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
        return Ok(vec![format!(
            "already set up: git asks {PROGRAM} for {} ({file}); nothing to change",
            k.url
        )]);
    }
    let mut changes = Vec::new();
    if !(done(&before, value) && in_place) {
        put_helper(scope, k, &ours_here, value, &mut changes)?;
    }
    let (_, mid) = k.view()?;
    if !mid.use_http_path {
        let was = get_all(scope, &k.use_path)?;
        git(scope, &["--replace-all", &k.use_path, "true"])?;
        let was_text = match was.as_slice() {
            [] => String::new(),
            old => format!(" (was {})", old.join(", ")),
        };
        changes.push(format!("+ {} = true{was_text}", k.use_path));
        record::added(&ctx.data_dir, &scope_file(scope, k), &k.use_path)?;
    }
    let file = scope_file(scope, k);
    let mut lines = vec![format!("set up {PROGRAM} for {} in {file}:", k.url)];
    lines.extend(changes.into_iter().map(|c| format!("  {c}")));
    let displaced: Vec<String> = before
        .helpers
        .iter()
        .filter(|h| !h.ours)
        .map(|h| format!("'{}' ({})", helper_value(h), h.entry.file()))
        .collect();
    if !displaced.is_empty() {
        lines.push(format!(
            "note: for {} git now asks {PROGRAM} only, no longer {}; `{PROGRAM} setup --uninstall` undoes this",
            k.url,
            displaced.join(", ")
        ));
    }
    let (_, after) = k.view()?;
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
        changes.push(format!("- {} = {old}", k.helper));
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
    changes.push(format!("+ {} = {value}", k.helper));
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
        .any(|e| e.is_helper_for(k.scheme, &k.host)))
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

fn uninstall(ctx: &Context, scope: Scope, k: &Keys) -> Result<Vec<String>, SetupError> {
    let helpers = get_all(scope, &k.helper)?;
    let use_path = get_all(scope, &k.use_path)?;
    let file = scope_file(scope, k);
    let mut changes = Vec::new();
    if helpers.iter().any(|h| is_ours(h)) {
        let kept = without_ours(&helpers);
        git(scope, &["--unset-all", &k.helper])?;
        for h in &kept {
            git(scope, &["--add", &k.helper, h])?;
        }
        for h in helpers.iter().filter(|h| is_ours(h)) {
            changes.push(format!("- {} = {h}", k.helper));
        }
        let empties = |v: &[String]| v.iter().filter(|h| h.is_empty()).count();
        if empties(&helpers) > empties(&kept) {
            changes.push(format!("- {} =  (the reset setup added)", k.helper));
        }
    }
    if use_path.iter().any(|v| v == "true") {
        if record::was_added(&ctx.data_dir, &file, &k.use_path) {
            git(scope, &["--unset-all", &k.use_path, "^true$"])?;
            record::forget(&ctx.data_dir, &file, &k.use_path)?;
            changes.push(format!("- {} = true", k.use_path));
        } else if !changes.is_empty() {
            changes.push(format!(
                "  kept {} = true: it was set before setup set up {PROGRAM}",
                k.use_path
            ));
        }
    }
    if changes.iter().all(|c| c.starts_with("  kept")) {
        let mut lines = vec![format!(
            "nothing to remove: {PROGRAM} is not set up for {} in {file}",
            k.url
        )];
        let (entries, _) = k.view()?;
        if let Some(elsewhere) = entries.iter().find(|e| {
            e.key.eq_ignore_ascii_case(&k.helper) && e.value.as_deref().is_some_and(is_ours)
        }) {
            lines.push(format!(
                "note: it is set up in {}: give the option that selects that file (--global, --local or --system)",
                elsewhere.file()
            ));
        }
        return Ok(lines);
    }
    drop_empty_section(scope, k);
    let mut lines = vec![format!("removed {PROGRAM} for {} from {file}:", k.url)];
    lines.extend(changes.into_iter().map(|c| format!("  {c}")));
    Ok(lines)
}

/// The helper list with each `"", ours` pair that setup writes, and any other entry naming
/// this program, taken out; a user's own resets and helpers stay.
fn without_ours(helpers: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for h in helpers {
        if is_ours(h) {
            if kept.last().is_some_and(|l| l.is_empty()) {
                kept.pop();
            }
        } else {
            kept.push(h.clone());
        }
    }
    kept
}

/// git 2.47 drops a section left empty; older versions keep its header.
fn drop_empty_section(scope: Scope, k: &Keys) {
    let section = format!("credential.{}", k.url);
    let Ok(list) = git(scope, &["--null", "--list"]) else {
        return;
    };
    let left = list
        .split('\0')
        .filter_map(|e| e.split('\n').next()?.rsplit_once('.'))
        .any(|(s, _)| s == section);
    if !left {
        let _ = git(scope, &["--remove-section", &section]);
    }
}

/// The file of the scope, as git names it.
fn scope_file(scope: Scope, k: &Keys) -> String {
    origin(scope, &k.helper)
        .or_else(|| origin(scope, &k.use_path))
        .unwrap_or_else(|| format!("the {} git config", scope.name()))
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
    c.arg("config");
    if !scope.0.is_empty() {
        c.arg(scope.0);
    }
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
    } else if scope.0 == "--local" {
        "--local needs to run inside a git repository"
    } else if scope.0 == "--system" {
        "--system writes git's system-wide config: run it as root, or use --global"
    } else {
        "check that the git config file and its directory exist and are writable by you, then run this again"
    };
    let shown: Vec<String> = std::iter::once(scope.0.to_string())
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

/// What setup added that was not there before, so `--uninstall` removes that and no more:
/// `<data dir>/setup`, one `FILE KEY` line each (fields escaped like the other data files).
mod record {
    use super::*;
    use crate::fields::{decode, encode};
    use crate::files;

    const FILE: &str = "setup";

    fn load(data_dir: &Path) -> Vec<(String, String)> {
        let Ok(Some(bytes)) = files::read_data(&data_dir.join(FILE)) else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(&bytes);
        text.lines()
            .filter_map(|l| {
                let (f, k) = l.split_once(' ')?;
                let f = String::from_utf8(decode(f).ok()??).ok()?;
                let k = String::from_utf8(decode(k).ok()??).ok()?;
                Some((f, k.to_ascii_lowercase()))
            })
            .collect()
    }

    fn save(data_dir: &Path, rows: &[(String, String)]) -> Result<(), files::FileError> {
        let mut out = String::from("# keys git-credential-scoped setup added: FILE KEY\n");
        for (f, k) in rows {
            out.push_str(&format!(
                "{} {}\n",
                encode(Some(f.as_bytes())),
                encode(Some(k.as_bytes()))
            ));
        }
        files::ensure_dir(data_dir)?;
        let _lock = files::lock(data_dir, ".setup.lock")?;
        files::write_atomic(&data_dir.join(FILE), out.as_bytes())
    }

    pub fn added(data_dir: &Path, file: &str, key: &str) -> Result<(), SetupError> {
        let mut rows = load(data_dir);
        let row = (file.to_string(), key.to_ascii_lowercase());
        if !rows.contains(&row) {
            rows.push(row);
            save(data_dir, &rows)?;
        }
        Ok(())
    }

    pub fn was_added(data_dir: &Path, file: &str, key: &str) -> bool {
        load(data_dir).contains(&(file.to_string(), key.to_ascii_lowercase()))
    }

    pub fn forget(data_dir: &Path, file: &str, key: &str) -> Result<(), SetupError> {
        let mut rows = load(data_dir);
        rows.retain(|r| *r != (file.to_string(), key.to_ascii_lowercase()));
        Ok(save(data_dir, &rows)?)
    }
}

#[cfg(test)]
mod tests {
    use super::without_ours;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn uninstall_keeps_the_users_own_resets_and_helpers() {
        let ours = "/usr/local/bin/git-credential-scoped";
        assert_eq!(without_ours(&v(&["", "scoped"])), v(&[]));
        assert_eq!(without_ours(&v(&["", ours])), v(&[]));
        assert_eq!(
            without_ours(&v(&["manager", "", "scoped"])),
            v(&["manager"])
        );
        assert_eq!(
            without_ours(&v(&["", "manager", "", ours])),
            v(&["", "manager"])
        );
        assert_eq!(without_ours(&v(&["scoped", "cache"])), v(&["cache"]));
    }
}

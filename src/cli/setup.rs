//! `setup`: make git ask this helper for one host, and `setup --uninstall` to stop.
//!
//! It writes exactly three values with `git config` (a subprocess: ~1 ms, and git stays the
//! only writer of its own files — NOTES.md): `credential.https://HOST.helper` = "" (an empty
//! value resets the helper list read so far, gitcredentials(7) "CONFIGURATION"), then
//! `credential.https://HOST.helper` = `scoped`, and `credential.https://HOST.useHttpPath` =
//! `true` (so git sends the repository path and each repository can get its own token). A
//! second run finds them and changes nothing; `--uninstall` removes those values and nothing
//! else. Every other setting, including a plain `credential.helper` list and other hosts'
//! helpers, is left alone.

use std::ffi::OsStr;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

use super::{report, CliResult, EXIT_OK};

const HELPER: &str = "scoped";
const PROGRAM: &str = "git-credential-scoped";

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Writes, with `git config`:\n  credential.https://HOST.helper =          (empty: resets the helpers listed before it for HOST)\n  credential.https://HOST.helper = scoped\n  credential.https://HOST.useHttpPath = true\n\nRunning it again changes nothing. --uninstall removes exactly these values."
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

pub fn run(a: Args) -> CliResult {
    let host = a.host.to_ascii_lowercase();
    if !crate::remote::valid_host(&host) {
        return Err(SetupError::BadHost(crate::protocol::escape(a.host.as_bytes())).into());
    }
    let keys = Keys::new(&host);
    let scope = Scope::of(&a);
    let lines = if a.uninstall {
        uninstall(scope, &keys)?
    } else {
        install(scope, &keys)?
    };
    let mut out = std::io::stdout().lock();
    for line in lines {
        writeln!(out, "{line}")?;
    }
    Ok(EXIT_OK)
}

struct Keys {
    url: String,
    helper: String,
    use_path: String,
}

impl Keys {
    fn new(host: &str) -> Keys {
        let url = format!("https://{host}");
        Keys {
            helper: format!("credential.{url}.helper"),
            use_path: format!("credential.{url}.useHttpPath"),
            url,
        }
    }
}

fn install(scope: Scope, k: &Keys) -> Result<Vec<String>, SetupError> {
    let helpers = get_all(scope, &k.helper)?;
    let use_path = get_all(scope, &k.use_path)?;
    let helper_done = helpers.ends_with(&[String::new(), HELPER.to_string()])
        && helpers.iter().filter(|h| *h == HELPER).count() == 1;
    let path_done = use_path == ["true"];
    let mut changes = Vec::new();
    if !helper_done {
        if helpers.iter().any(|h| h == HELPER) {
            git(scope, &["--unset-all", &k.helper, "^scoped$"])?;
            changes.push(format!("- {} = {HELPER} (moved to the end)", k.helper));
        }
        git(scope, &["--add", &k.helper, ""])?;
        git(scope, &["--add", &k.helper, HELPER])?;
        changes.push(format!(
            "+ {} =  (empty: resets the helpers listed before it for {})",
            k.helper, k.url
        ));
        changes.push(format!("+ {} = {HELPER}", k.helper));
    }
    if !path_done {
        git(scope, &["--replace-all", &k.use_path, "true"])?;
        let was = match use_path.as_slice() {
            [] => String::new(),
            old => format!(" (was {})", old.join(", ")),
        };
        changes.push(format!("+ {} = true{was}", k.use_path));
    }
    let file = origin(scope, &k.use_path, None)
        .unwrap_or_else(|| format!("the {} git config", scope.name()));
    let mut lines = if changes.is_empty() {
        vec![format!(
            "already set up: git asks {PROGRAM} for {} ({file}); nothing to change",
            k.url
        )]
    } else {
        let mut l = vec![format!("set up {PROGRAM} for {} in {file}:", k.url)];
        l.extend(changes.into_iter().map(|c| format!("  {c}")));
        l
    };
    if let Some(chain) = chain(k) {
        if !helper_done && !chain.displaced.is_empty() {
            lines.push(format!(
                "note: for {} git now asks {PROGRAM} only, no longer {}; `{PROGRAM} setup --uninstall` undoes this",
                k.url,
                chain.displaced.join(", ")
            ));
        }
        warn_chain(k, &chain);
    }
    warn_not_on_path();
    Ok(lines)
}

fn uninstall(scope: Scope, k: &Keys) -> Result<Vec<String>, SetupError> {
    let helpers = get_all(scope, &k.helper)?;
    let use_path = get_all(scope, &k.use_path)?;
    let file = origin(scope, &k.helper, None)
        .or_else(|| origin(scope, &k.use_path, None))
        .unwrap_or_else(|| format!("the {} git config", scope.name()));
    let mut changes = Vec::new();
    if helpers.iter().any(|h| h == HELPER) {
        let kept = without_ours(&helpers);
        let empties = |v: &[String]| v.iter().filter(|h| h.is_empty()).count();
        git(scope, &["--unset-all", &k.helper, "^scoped$"])?;
        changes.push(format!("- {} = {HELPER}", k.helper));
        if empties(&helpers) > empties(&kept) {
            if empties(&kept) == 0 {
                git(scope, &["--unset-all", &k.helper, "^$"])?;
            } else {
                // Another empty entry stays: rewrite the list without the one setup added.
                git(scope, &["--unset-all", &k.helper])?;
                for h in &kept {
                    git(scope, &["--add", &k.helper, h])?;
                }
            }
            changes.push(format!("- {} =  (the reset setup added)", k.helper));
        }
    }
    if use_path.iter().any(|v| v == "true") {
        git(scope, &["--unset-all", &k.use_path, "^true$"])?;
        changes.push(format!("- {} = true", k.use_path));
    }
    if changes.is_empty() {
        let mut lines = vec![format!(
            "nothing to remove: {PROGRAM} is not set up for {} in {file}",
            k.url
        )];
        if let Some(elsewhere) = origin(Scope(""), &k.helper, Some(HELPER)) {
            lines.push(format!(
                "note: it is set up in {elsewhere}: give the option that selects that file (--global, --local or --system)"
            ));
        }
        return Ok(lines);
    }
    drop_empty_section(scope, k);
    let mut lines = vec![format!("removed {PROGRAM} for {} from {file}:", k.url)];
    lines.extend(changes.into_iter().map(|c| format!("  {c}")));
    Ok(lines)
}

/// The helper list with each `"", "scoped"` pair that setup writes, and any other `scoped`,
/// taken out.
fn without_ours(helpers: &[String]) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for h in helpers {
        if h == HELPER {
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

/// The helper chain git builds for the host from every file it reads (gitcredentials(7)
/// "CONFIGURATION": plain `credential.helper` and `credential.https://HOST.helper` entries in
/// reading order, an empty value clears the list), split at setup's `""`, `scoped` pair:
/// the helpers that pair resets away, and the list from `scoped` on.
struct Chain {
    displaced: Vec<String>,
    from_ours: Vec<String>,
}

fn chain(k: &Keys) -> Option<Chain> {
    let list = git(Scope(""), &["--null", "--show-origin", "--list"]).ok()?;
    let fields: Vec<&str> = list.split('\0').collect();
    let relevant: Vec<(bool, &str, &str)> = fields
        .chunks(2)
        .filter_map(|pair| {
            let [origin, entry] = pair else { return None };
            let (key, value) = entry.split_once('\n').unwrap_or((entry, ""));
            let host_key = key.eq_ignore_ascii_case(&k.helper);
            (host_key || key == "credential.helper").then_some((host_key, *origin, value))
        })
        .collect();
    let ours = relevant
        .iter()
        .rposition(|&(host_key, _, v)| host_key && v == HELPER)?;
    let apply = |chain: &mut Vec<String>, entries: &[(bool, &str, &str)]| {
        for &(_, origin, value) in entries {
            if value.is_empty() {
                chain.clear();
            } else {
                let shown = format!("'{value}' ({})", origin.trim_start_matches("file:"));
                if !chain.contains(&shown) {
                    chain.push(shown);
                }
            }
        }
    };
    let mut displaced = Vec::new();
    apply(&mut displaced, &relevant[..ours.saturating_sub(1)]);
    displaced.retain(|h| !h.starts_with(&format!("'{HELPER}' ")));
    let mut from_ours = vec![HELPER.to_string()];
    apply(&mut from_ours, &relevant[ours + 1..]);
    Some(Chain {
        displaced,
        from_ours,
    })
}

/// Warns when an entry read after setup's `scoped` (later in the file, or in a file git reads
/// later) puts another helper after it for this host, or resets it away.
fn warn_chain(k: &Keys, chain: &Chain) {
    if chain.from_ours.first().map(String::as_str) != Some(HELPER) {
        report(&format!("warning: an empty credential helper entry read after setup's resets it, so git does not ask {PROGRAM} for {}\nhint: run: git credential-scoped doctor", k.url));
    } else if chain.from_ours.len() > 1 {
        report(&format!("warning: git also asks {} after {PROGRAM} for {}, and would store tokens there too; it is read after setup's entries\nhint: move it above, or run: git credential-scoped doctor", chain.from_ours[1..].join(", "), k.url));
    }
}

/// git runs `git-credential-scoped` from its exec path or PATH; say so if it is in neither.
fn warn_not_on_path() {
    let found = |dir: &std::path::Path| is_executable(&dir.join(PROGRAM));
    let on_path =
        std::env::var_os("PATH").is_some_and(|p| std::env::split_paths(&p).any(|d| found(&d)));
    if on_path {
        return;
    }
    let exec_path = Command::new("git")
        .arg("--exec-path")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if exec_path.is_some_and(|d| found(&d)) {
        return;
    }
    let here = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.display().to_string()))
        .unwrap_or_else(|| "the directory that holds it".to_string());
    report(&format!("warning: {PROGRAM} is not on PATH, so git cannot run it\nhint: add {here} to PATH (e.g. in ~/.profile)"));
}

fn is_executable(p: &std::path::Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.with_extension("exe").is_file() || p.is_file()
    }
}

/// The file a key is set in (`file:PATH` from --show-origin) — the first one that holds
/// `value`, when given — if it is set.
fn origin(scope: Scope, key: &str, value: Option<&str>) -> Option<String> {
    let out = git(scope, &["--null", "--show-origin", "--get-all", key]).ok()?;
    let fields: Vec<&str> = out.split('\0').collect();
    let (origin, _) = fields
        .chunks(2)
        .filter_map(|pair| match pair {
            [origin, v] => Some((*origin, *v)),
            _ => None,
        })
        .find(|(_, v)| value.is_none_or(|want| want == *v))?;
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
    let shown: Vec<&str> = std::iter::once(scope.0)
        .chain(args.iter().map(|a| if a.is_empty() { "\"\"" } else { a }))
        .filter(|a| !a.is_empty())
        .collect();
    Err(SetupError::Git {
        args: shown.join(" "),
        code,
        stderr,
        hint: hint.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::without_ours;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn uninstall_keeps_the_users_own_resets_and_helpers() {
        assert_eq!(without_ours(&v(&["", "scoped"])), v(&[]));
        assert_eq!(
            without_ours(&v(&["manager", "", "scoped"])),
            v(&["manager"])
        );
        assert_eq!(
            without_ours(&v(&["", "manager", "", "scoped"])),
            v(&["", "manager"])
        );
        assert_eq!(without_ours(&v(&["scoped", "cache"])), v(&["cache"]));
    }
}

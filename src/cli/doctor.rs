//! `doctor`: what stands between `git clone` and the right token, each finding with why it
//! matters and the exact command that fixes it.
//!
//! The git side is read with one `git config --show-scope --show-origin -z --get-regexp`
//! (NOTES.md: a subprocess is cheaper than a config parser) and interpreted the way git's
//! credential code does (gitcredentials(7) "CONFIGURATION"): every `credential.helper` and
//! every `credential.<url>.helper` whose URL matches is applied in the order the files are
//! read, an empty value resets the list gathered so far, and the last matching
//! `useHttpPath` wins. After a successful request git hands the credential to `store` of
//! every helper in the list, so any other helper keeps a copy of our tokens (write-back).
//!
//! The secret stores are checked without reading a secret: the keyring is only connected to,
//! never unlocked (SPEC §6).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::json::Json;
use super::tokens::state_label;
use super::{CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;
use crate::files::FileError;
use crate::messages::renewal_link;
use crate::protocol::url::parse_url;
use crate::registry::state::State;
use crate::registry::{ConfigError, Expiry, Registry, Repos, SecretSource, Token, GITHUB};
use crate::remote::Remote;
use crate::scope::candidates;
use crate::secrets::{FileStore, KeyringStore, StoreKind};
use crate::time::{format_date, relative};

#[derive(clap::Args, Debug)]
#[command(after_long_help = JSON_HELP)]
pub struct Args {
    /// Print JSON (shape in --help)
    #[arg(long)]
    pub json: bool,
}

pub const JSON_HELP: &str = "\
Exit codes: 0 nothing wrong (notes may remain), 1 an error or warning was found, 2 usage or
environment error.

--json prints one object (a stable shape; fields may be added, never renamed):
  {\"ok\": true|false,
   \"config\": \"/home/me/.config/git-credential-scoped/config.toml\",
   \"hosts\": [{\"host\": \"github.com\",
              \"helpers\": [{\"value\": \"scoped\", \"key\": \"credential.https://github.com.helper\",
                           \"scope\": \"global\", \"origin\": \"file:/home/me/.gitconfig\",
                           \"ours\": true, \"only_for\": null | \"URLs under /alta3\"}],
              \"reset\": null | {\"key\": ..., \"scope\": ..., \"origin\": ...},
              \"scoped_first\": true|false, \"use_http_path\": true|false,
              \"write_back\": [\"store\"]}],
   \"secret_stores\": [{\"store\": \"keyring\" | \"file\" | \"env\" | \"command\",
                      \"tokens\": [\"alta3\"], \"reachable\": true|false|null}],
   \"findings\": [{\"severity\": \"error\" | \"warning\" | \"note\", \"code\": \"helper-missing\" | ...,
                 \"host\": \"github.com\" | null, \"token\": \"alta3\" | null,
                 \"what\": \"...\", \"why\": \"...\", \"fix\": \"git credential-scoped setup\" | null}]}

Codes: git-unavailable, helper-missing, helper-not-first, write-back, use-http-path-off,
helper-not-on-path, config-invalid, config-permissions, data-permissions, keyring-unreachable,
secret-env-unset, host-undeclared, token-expired, token-expiring, token-rejected,
token-no-contents, token-expiry-unknown, overlapping-scopes.";

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

struct Finding {
    severity: Severity,
    code: &'static str,
    host: Option<String>,
    token: Option<String>,
    what: String,
    why: String,
    fix: Option<String>,
}

impl Finding {
    fn new(severity: Severity, code: &'static str, what: String, why: &str) -> Finding {
        Finding {
            severity,
            code,
            host: None,
            token: None,
            what,
            why: why.to_string(),
            fix: None,
        }
    }

    fn host(mut self, h: &str) -> Finding {
        self.host = Some(h.to_string());
        self
    }

    fn token(mut self, t: &str) -> Finding {
        self.token = Some(t.to_string());
        self
    }

    fn fix(mut self, f: String) -> Finding {
        self.fix = Some(f);
        self
    }

    fn json(&self) -> Json {
        Json::Obj(vec![
            ("severity", Json::str(self.severity.name())),
            ("code", Json::str(self.code)),
            ("host", Json::opt_str(self.host.clone())),
            ("token", Json::opt_str(self.token.clone())),
            ("what", Json::str(self.what.as_str())),
            ("why", Json::str(self.why.as_str())),
            ("fix", Json::opt_str(self.fix.clone())),
        ])
    }
}

// ---- git's configuration ----------------------------------------------------------------

/// One `credential.*` entry as git reports it.
#[derive(Clone, Debug)]
struct Entry {
    scope: String,
    origin: String,
    /// `credential.https://github.com.helper`: section and variable lowercased by git.
    key: String,
    /// `None` for a bare `key` line (boolean true).
    value: Option<String>,
}

impl Entry {
    /// (`https://github.com`, `helper`); the subsection is `None` for `credential.helper`.
    fn split(&self) -> (Option<&str>, &str) {
        let rest = self.key.strip_prefix("credential.").unwrap_or(&self.key);
        match rest.rsplit_once('.') {
            Some((sub, var)) => (Some(sub), var),
            None => (None, rest),
        }
    }

    fn place(&self) -> String {
        format!(
            "{}, {}",
            self.scope,
            self.origin.trim_start_matches("file:")
        )
    }

    fn place_json(&self) -> Json {
        Json::Obj(vec![
            ("key", Json::str(self.key.as_str())),
            ("scope", Json::str(self.scope.as_str())),
            ("origin", Json::str(self.origin.as_str())),
        ])
    }
}

/// Every `credential.*` entry, in the order git reads them; `Err` when git cannot be run.
fn read_git_config() -> Result<Vec<Entry>, String> {
    let out = Command::new("git")
        .args([
            "config",
            "--show-scope",
            "--show-origin",
            "-z",
            "--get-regexp",
        ])
        .arg(r"^credential\.")
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| format!("could not run git: {e}"))?;
    match out.status.code() {
        Some(0) => {}
        Some(1) => return Ok(Vec::new()),
        _ => {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(format!(
                "git config failed: {}",
                err.lines().next().unwrap_or("")
            ));
        }
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.split('\0').collect();
    Ok(fields
        .chunks(3)
        .filter(|c| c.len() == 3)
        .map(|c| {
            let (key, value) = match c[2].split_once('\n') {
                Some((k, v)) => (k, Some(v.to_string())),
                None => (c[2], None),
            };
            Entry {
                scope: c[0].to_string(),
                origin: c[1].to_string(),
                key: key.to_string(),
                value,
            }
        })
        .collect())
}

/// Whether a `credential.<pattern>.*` entry applies to `https://HOST/` (git's urlmatch:
/// scheme and port equal, `*` matching one host label, case-insensitive host; a pattern
/// without a scheme is a partial URL matching the host under any protocol). `Some(cond)`
/// when it applies only to some URLs of the host.
fn applies(pattern: &str, host: &str) -> Option<Option<String>> {
    let full;
    let pattern = if pattern.contains("://") {
        pattern
    } else {
        full = format!("https://{pattern}");
        &full
    };
    let p = parse_url(pattern.as_bytes()).ok()?;
    if p.protocol != "https" || !host_matches(&p.host, host) {
        return None;
    }
    let path = p
        .path
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let path = path.trim_matches('/');
    Some(match (&p.username, path.is_empty()) {
        (Some(u), _) => Some(format!("user {u}")),
        (None, false) => Some(format!("URLs under /{path}")),
        (None, true) => None,
    })
}

fn split_port(h: &str) -> (&str, &str) {
    match h.rsplit_once(':') {
        Some((n, p)) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => (n, p),
        _ => (h, "443"),
    }
}

fn host_matches(pattern: &str, host: &str) -> bool {
    let ((pn, pp), (hn, hp)) = (split_port(pattern), split_port(host));
    let (pl, hl): (Vec<&str>, Vec<&str>) = (pn.split('.').collect(), hn.split('.').collect());
    pp == hp && pl.len() == hl.len() && pl.iter().zip(&hl).all(|(p, h)| glob(p, h))
}

/// `*` matches any run of characters within one host label.
fn glob(pattern: &str, label: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(label),
        Some((head, tail)) => {
            label.len() >= head.len()
                && label[..head.len()].eq_ignore_ascii_case(head)
                && (head.len()..=label.len()).any(|i| glob(tail, &label[i..]))
        }
    }
}

/// Whether a helper value names this program: `scoped` (git runs `git credential-scoped`)
/// or a path ending in `git-credential-scoped`, with or without options.
fn is_ours(value: &str) -> bool {
    let v = value.trim();
    let (shell, v) = match v.strip_prefix('!') {
        Some(rest) => (true, rest.trim_start()),
        None => (false, v),
    };
    let first = v.split_whitespace().next().unwrap_or("");
    (!shell && first == "scoped")
        || Path::new(first)
            .file_name()
            .is_some_and(|n| n == "git-credential-scoped")
}

struct Helper {
    entry: Entry,
    ours: bool,
    only_for: Option<String>,
}

/// The effective helper chain and useHttpPath of one host.
struct HostView {
    host: String,
    helpers: Vec<Helper>,
    reset: Option<Entry>,
    use_http_path: bool,
}

fn git_bool(v: Option<&str>) -> bool {
    match v {
        None => true,
        Some(s) => matches!(
            s.trim().to_ascii_lowercase().as_str(),
            "true" | "yes" | "on" | "1"
        ),
    }
}

fn host_view(entries: &[Entry], host: &str) -> HostView {
    let mut view = HostView {
        host: host.to_string(),
        helpers: Vec::new(),
        reset: None,
        use_http_path: false,
    };
    for e in entries {
        let (sub, var) = e.split();
        let only_for = match sub {
            None => None,
            Some(p) => match applies(p, host) {
                Some(cond) => cond,
                None => continue,
            },
        };
        match var {
            "helper" => match e.value.as_deref() {
                Some("") => {
                    view.helpers.clear();
                    view.reset = Some(e.clone());
                }
                Some(v) => view.helpers.push(Helper {
                    ours: is_ours(v),
                    entry: e.clone(),
                    only_for,
                }),
                None => {}
            },
            "usehttppath" if only_for.is_none() => {
                view.use_http_path = git_bool(e.value.as_deref())
            }
            _ => {}
        }
    }
    view
}

fn setup_command(host: &str, scope: Option<&str>) -> String {
    let mut cmd = "git credential-scoped setup".to_string();
    if scope == Some("local") {
        cmd.push_str(" --local");
    }
    if host != GITHUB {
        cmd.push_str(&format!(" --host {host}"));
    }
    cmd
}

fn helper_findings(v: &HostView, out: &mut Vec<Finding>) {
    let h = v.host.as_str();
    let first_ours = v.helpers.iter().position(|x| x.ours);
    match first_ours {
        None => out.push(
            Finding::new(Severity::Error, "helper-missing",
                format!("git does not ask git-credential-scoped for {h}"),
                "git never sees the registered tokens for this host: it prompts, or another helper answers with whatever it has")
            .host(h)
            .fix(setup_command(h, None)),
        ),
        Some(i) if i > 0 => {
            let first = &v.helpers[0];
            out.push(
                Finding::new(Severity::Error, "helper-not-first",
                    format!("helper '{}' ({}) is asked before git-credential-scoped for {h}", helper_value(first), first.entry.place()),
                    "git takes the first answer, so it may send that helper's credential instead of the token that covers the repository")
                .host(h)
                .fix(setup_command(h, Some(&first.entry.scope))),
            );
        }
        Some(_) => {}
    }
    for other in v.helpers.iter().filter(|x| !x.ours) {
        let only = other
            .only_for
            .as_ref()
            .map(|c| format!(" (for {c})"))
            .unwrap_or_default();
        out.push(
            Finding::new(Severity::Warning, "write-back",
                format!("git also hands every token that worked for {h} to helper '{}'{only} ({}), which stores a copy", helper_value(other), other.entry.place()),
                "that copy survives rotation and revocation here, and a helper keyed by host may later send one repository's token for another")
            .host(h)
            .fix(setup_command(h, Some(&other.entry.scope))),
        );
    }
    if !v.use_http_path {
        out.push(
            Finding::new(Severity::Error, "use-http-path-off",
                format!("credential.useHttpPath is off for {h}"),
                "without it git does not say which repository it wants, so no token can be chosen by repository (only a single default token is sent)")
            .host(h)
            .fix(format!("git config --global credential.https://{h}.useHttpPath true")),
        );
    }
}

/// A helper's value for display: only its first word, since options may hold anything.
fn helper_value(h: &Helper) -> String {
    let v = h.entry.value.as_deref().unwrap_or("");
    let shown: String = v
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .take(80)
        .collect();
    crate::protocol::escape(shown.as_bytes())
}

/// Whether `git credential-scoped` resolves: `git-credential-scoped` on PATH or in git's
/// exec path.
fn on_path() -> bool {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(out) = Command::new("git")
        .arg("--exec-path")
        .stderr(Stdio::null())
        .output()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    dirs.iter()
        .any(|d| d.join("git-credential-scoped").is_file())
}

// ---- files and secret stores ------------------------------------------------------------

#[cfg(unix)]
fn mode(p: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p)
        .ok()
        .map(|m| m.permissions().mode() & 0o7777)
}

#[cfg(not(unix))]
fn mode(_: &Path) -> Option<u32> {
    None
}

fn permission_findings(ctx: &Context, reg: &Registry, out: &mut Vec<Finding>) {
    let cfg = &ctx.config_path;
    let dir = cfg.parent().unwrap_or(Path::new("."));
    for p in [cfg.as_path(), dir] {
        // A sticky directory (/tmp) lets no one else replace the file.
        if mode(p).is_some_and(|m| m & 0o022 != 0 && m & 0o1000 == 0) {
            out.push(
                Finding::new(Severity::Error, "config-permissions",
                    format!("{} is writable by group or others", p.display()),
                    "the config decides where tokens are sent; git-credential-scoped refuses to use it")
                .fix(format!("chmod go-w {}", p.display())),
            );
        }
    }
    let file_store_used = reg
        .tokens
        .iter()
        .any(|t| t.source == SecretSource::Store(StoreKind::File));
    let secrets = FileStore::new(ctx.data_dir.clone()).path();
    let data_checks = [
        (ctx.data_dir.clone(), 0o077, "700"),
        (secrets, 0o077, "600"),
    ];
    for (p, bad, good) in data_checks {
        if mode(&p).is_some_and(|m| m & bad != 0) {
            let severity = if file_store_used {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push(
                Finding::new(
                    severity,
                    "data-permissions",
                    format!("{} can be read by group or others", p.display()),
                    "it holds usage state and, with the file store, secrets in plain text",
                )
                .fix(format!("chmod {good} {}", p.display())),
            );
        }
    }
}

struct StoreReport {
    store: &'static str,
    tokens: Vec<String>,
    reachable: Option<bool>,
}

fn store_reports(reg: &Registry, out: &mut Vec<Finding>) -> Vec<StoreReport> {
    let names = |f: &dyn Fn(&SecretSource) -> bool| -> Vec<String> {
        reg.tokens
            .iter()
            .filter(|t| f(&t.source))
            .map(|t| t.name.clone())
            .collect()
    };
    let mut reports = Vec::new();
    let keyring = names(&|s| *s == SecretSource::Store(StoreKind::Keyring));
    if !keyring.is_empty() {
        // Connecting is not unlocking: no secret is read here (SPEC §6).
        let reachable = match KeyringStore::open() {
            Ok(_) => true,
            Err(e) => {
                out.push(
                    Finding::new(Severity::Error, "keyring-unreachable",
                        format!("the OS keyring is not reachable ({e}); tokens {} keep their secret there", quoted(&keyring)),
                        "get cannot send those tokens until it is reachable and unlocked")
                    .fix(format!("unlock the keyring or start its Secret Service; or move a token to another store: git credential-scoped remove {0}, then git credential-scoped add {0} ... --secret-store file (or --secret-env VAR / --secret-command CMD)", keyring[0])),
                );
                false
            }
        };
        reports.push(StoreReport {
            store: "keyring",
            tokens: keyring,
            reachable: Some(reachable),
        });
    }
    let file = names(&|s| *s == SecretSource::Store(StoreKind::File));
    if !file.is_empty() {
        reports.push(StoreReport {
            store: "file",
            tokens: file,
            reachable: None,
        });
    }
    let env = names(&|s| matches!(s, SecretSource::Env(_)));
    for t in reg.tokens.iter() {
        if let SecretSource::Env(var) = &t.source {
            if std::env::var_os(var).is_none_or(|v| v.is_empty()) {
                out.push(
                    Finding::new(Severity::Warning, "secret-env-unset",
                        format!("token '{}' reads its secret from ${var}, which is not set here", t.name),
                        "git runs the helper with its own environment; where the variable is unset, get cannot send the token")
                    .token(&t.name)
                    .fix(format!("export {var}=... in the environment git runs in (never on a command line)")),
                );
            }
        }
    }
    if !env.is_empty() {
        reports.push(StoreReport {
            store: "env",
            tokens: env,
            reachable: None,
        });
    }
    let command = names(&|s| matches!(s, SecretSource::Command(_)));
    if !command.is_empty() {
        reports.push(StoreReport {
            store: "command",
            tokens: command,
            reachable: None,
        });
    }
    reports
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---- tokens -------------------------------------------------------------------------------

/// A URL of a repository the token covers, for commands in fixes.
fn sample_url(t: &Token) -> String {
    let repo = match &t.repos {
        Repos::List(l) => l.first().cloned().unwrap_or_else(|| "REPO".into()),
        Repos::All => "REPO".into(),
    };
    format!("https://{}/{}/{repo}", t.host, t.owner)
}

fn token_findings(reg: &Registry, state: &State, now: i64, out: &mut Vec<Finding>) {
    for t in &reg.tokens {
        let n = &t.name;
        let renew = format!(
            "create a new token at {} then run: git credential-scoped rotate {n}",
            renewal_link(t)
        );
        if reg.github_host(&t.host).is_none() {
            out.push(
                Finding::new(
                    Severity::Error,
                    "host-undeclared",
                    format!(
                        "token '{n}' is for {}, which is not a GitHub host in the config",
                        t.host
                    ),
                    "the token is never sent: git-credential-scoped treats the host as any other",
                )
                .token(n)
                .fix(format!(
                    "add to the config: [[host]] name = \"{}\" api = \"https://{}/api/v3\"",
                    t.host, t.host
                )),
            );
        }
        let when = match t.expires {
            Expiry::At(at) => format!("{} ({})", format_date(at), relative(at, now)),
            _ => String::new(),
        };
        let finding = match state_label(t, state, now, &reg.settings) {
            "expired" => Finding::new(
                Severity::Error,
                "token-expired",
                format!("token '{n}' expired {when}"),
                "git-credential-scoped refuses to send it, so git stops for its repositories",
            )
            .fix(renew),
            "expiring" => Finding::new(
                Severity::Warning,
                "token-expiring",
                format!("token '{n}' expires {when}"),
                "git stops working for its repositories when it does",
            )
            .fix(renew),
            "rejected" => Finding::new(
                Severity::Error,
                "token-rejected",
                format!("token '{n}' was rejected by the server (401) and is marked so"),
                "it is refused until re-tested, replaced or unmarked",
            )
            .fix(format!(
                "git credential-scoped check --online {} (re-test), or {renew}",
                sample_url(t)
            )),
            "no-contents" => Finding::new(
                Severity::Error,
                "token-no-contents",
                format!("token '{n}' has no contents permission"),
                "a token that cannot read contents can neither clone nor fetch; it is refused",
            )
            .fix(renew),
            _ if t.expires == Expiry::Unknown => Finding::new(
                Severity::Note,
                "token-expiry-unknown",
                format!("token '{n}' has no recorded expiry"),
                "expiry cannot be warned about before git starts failing",
            )
            .fix(format!(
                "git credential-scoped check --online {} (records the expiry the server reports)",
                sample_url(t)
            )),
            _ => continue,
        };
        out.push(finding.token(n));
    }
}

/// Two tokens of one owner covering the same repositories: the narrower one wins, but two
/// explicit lists (or two `all`) sharing repositories are usually a leftover.
fn overlap_findings(reg: &Registry, state: &State, now: i64, out: &mut Vec<Finding>) {
    let ts = &reg.tokens;
    for (i, a) in ts.iter().enumerate() {
        for b in &ts[i + 1..] {
            if !a.host.eq_ignore_ascii_case(&b.host) || !a.owner.eq_ignore_ascii_case(&b.owner) {
                continue;
            }
            let shared: Vec<String> = match (&a.repos, &b.repos) {
                (Repos::All, Repos::All) => vec!["all repositories".into()],
                (Repos::List(x), Repos::List(_)) => {
                    x.iter().filter(|r| b.repos.covers(r)).cloned().collect()
                }
                (Repos::List(x), Repos::All) | (Repos::All, Repos::List(x)) => x.clone(),
            };
            if shared.is_empty() {
                continue;
            }
            let sample = shared[0].clone();
            let remote = Remote {
                host: a.host.clone(),
                owner: a.owner.clone(),
                repo: sample.clone(),
            };
            let winner = candidates(reg, &remote, None, state, now)
                .first()
                .map(|t| t.name.clone())
                .unwrap_or_default();
            let layered = matches!(
                (&a.repos, &b.repos),
                (Repos::List(_), Repos::All) | (Repos::All, Repos::List(_))
            );
            let severity = if layered {
                Severity::Note
            } else {
                Severity::Warning
            };
            out.push(
                Finding::new(severity, "overlapping-scopes",
                    format!("tokens '{}' and '{}' both cover {} of {} on {} (get sends '{winner}' for {}/{sample})", a.name, b.name, shared.join(", "), a.owner, a.host, a.owner),
                    "the narrowest valid token wins; a leftover token keeps working where you may not expect it")
                .token(&a.name)
                .fix(format!("if one is obsolete: git credential-scoped remove {}", if winner == a.name { &b.name } else { &a.name })),
            );
        }
    }
}

// ---- the command --------------------------------------------------------------------------

fn hosts(reg: &Registry) -> Vec<String> {
    let mut hosts = vec![GITHUB.to_string()];
    let more = reg
        .hosts
        .iter()
        .map(|h| &h.name)
        .chain(reg.tokens.iter().map(|t| &t.host));
    for h in more {
        if !hosts.iter().any(|k| k.eq_ignore_ascii_case(h)) {
            hosts.push(h.to_ascii_lowercase());
        }
    }
    hosts
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let mut findings = Vec::new();
    let reg = match ctx.registry() {
        Ok(r) => r,
        // Reported with its fix by permission_findings.
        Err(ConfigError::File(FileError::Insecure { .. })) => Registry::default(),
        Err(e) => {
            let what = e.to_string();
            let mut f = Finding::new(
                Severity::Error,
                "config-invalid",
                what.lines().next().unwrap_or("").to_string(),
                "nothing in it is used until it loads: git gets no tokens",
            );
            f.fix = what
                .lines()
                .find_map(|l| l.strip_prefix("hint: "))
                .map(str::to_string);
            findings.push(f);
            Registry::default()
        }
    };
    let state = ctx.state().unwrap_or_default();
    let views = match read_git_config() {
        Ok(entries) => hosts(&reg).iter().map(|h| host_view(&entries, h)).collect(),
        Err(e) => {
            findings.push(Finding::new(
                Severity::Error,
                "git-unavailable",
                e,
                "the git side cannot be checked",
            ));
            Vec::new()
        }
    };
    for v in &views {
        helper_findings(v, &mut findings);
    }
    let uses_short_name = views
        .iter()
        .flat_map(|v| &v.helpers)
        .any(|h| h.ours && helper_value(h) == "scoped");
    if uses_short_name && !on_path() {
        findings.push(
            Finding::new(Severity::Error, "helper-not-on-path", "git-credential-scoped is not on PATH or in git's exec path".into(),
                "`credential.helper = scoped` makes git run `git credential-scoped`, which it cannot find")
            .fix("install it (./install.sh) or put its directory on PATH".into()),
        );
    }
    permission_findings(ctx, &reg, &mut findings);
    let stores = store_reports(&reg, &mut findings);
    token_findings(&reg, &state, ctx.now, &mut findings);
    overlap_findings(&reg, &state, ctx.now, &mut findings);
    findings.sort_by_key(|f| f.severity);
    let ok = findings.iter().all(|f| f.severity == Severity::Note);
    let report = Report {
        ctx,
        views: &views,
        stores: &stores,
        findings: &findings,
        ok,
    };
    let mut out = std::io::stdout().lock();
    if a.json {
        writeln!(out, "{}", report.json().render())?;
    } else {
        report.print(&mut out)?;
    }
    Ok(if ok { EXIT_OK } else { EXIT_PROBLEMS })
}

struct Report<'a> {
    ctx: &'a Context,
    views: &'a [HostView],
    stores: &'a [StoreReport],
    findings: &'a [Finding],
    ok: bool,
}

impl Report<'_> {
    fn json(&self) -> Json {
        let hosts = self.views.iter().map(|v| {
            let helpers = v.helpers.iter().map(|h| {
                Json::Obj(vec![
                    ("value", Json::str(helper_value(h))),
                    ("key", Json::str(h.entry.key.as_str())),
                    ("scope", Json::str(h.entry.scope.as_str())),
                    ("origin", Json::str(h.entry.origin.as_str())),
                    ("ours", Json::Bool(h.ours)),
                    ("only_for", Json::opt_str(h.only_for.clone())),
                ])
            });
            Json::Obj(vec![
                ("host", Json::str(v.host.as_str())),
                ("helpers", Json::Arr(helpers.collect())),
                (
                    "reset",
                    v.reset.as_ref().map_or(Json::Null, Entry::place_json),
                ),
                (
                    "scoped_first",
                    Json::Bool(v.helpers.first().is_some_and(|h| h.ours)),
                ),
                ("use_http_path", Json::Bool(v.use_http_path)),
                (
                    "write_back",
                    Json::Arr(
                        v.helpers
                            .iter()
                            .filter(|h| !h.ours)
                            .map(|h| Json::str(helper_value(h)))
                            .collect(),
                    ),
                ),
            ])
        });
        let stores = self.stores.iter().map(|s| {
            Json::Obj(vec![
                ("store", Json::str(s.store)),
                (
                    "tokens",
                    Json::Arr(s.tokens.iter().map(|t| Json::str(t.as_str())).collect()),
                ),
                ("reachable", s.reachable.map_or(Json::Null, Json::Bool)),
            ])
        });
        Json::Obj(vec![
            ("ok", Json::Bool(self.ok)),
            (
                "config",
                Json::str(self.ctx.config_path.display().to_string()),
            ),
            ("hosts", Json::Arr(hosts.collect())),
            ("secret_stores", Json::Arr(stores.collect())),
            (
                "findings",
                Json::Arr(self.findings.iter().map(Finding::json).collect()),
            ),
        ])
    }

    fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        writeln!(out, "config: {}", self.ctx.config_path.display())?;
        for v in self.views {
            writeln!(out, "{}", v.host)?;
            if let Some(r) = &v.reset {
                writeln!(
                    out,
                    "  helper list reset by an empty {} ({})",
                    r.key,
                    r.place()
                )?;
            }
            if v.helpers.is_empty() {
                writeln!(out, "  no credential helper")?;
            }
            for (i, h) in v.helpers.iter().enumerate() {
                let only = h
                    .only_for
                    .as_ref()
                    .map(|c| format!(", only for {c}"))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "  {}. {}  ({}: {}{only})",
                    i + 1,
                    helper_value(h),
                    h.entry.key,
                    h.entry.place()
                )?;
            }
            writeln!(
                out,
                "  useHttpPath: {}",
                if v.use_http_path { "on" } else { "off" }
            )?;
        }
        for s in self.stores {
            let reach = match s.reachable {
                Some(true) => ", reachable (not unlocked, no secret read)",
                Some(false) => ", NOT reachable",
                None => "",
            };
            writeln!(
                out,
                "secret store {}{reach}: {}",
                s.store,
                quoted(&s.tokens)
            )?;
        }
        for f in self.findings {
            let on = f
                .host
                .as_ref()
                .map(|h| format!("{h}: "))
                .unwrap_or_default();
            writeln!(out, "{}: {on}{}", f.severity.name(), f.what)?;
            writeln!(out, "  why: {}", f.why)?;
            if let Some(fix) = &f.fix {
                writeln!(out, "  fix: {fix}")?;
            }
        }
        let count = |s| self.findings.iter().filter(|f| f.severity == s).count();
        let (e, w, n) = (
            count(Severity::Error),
            count(Severity::Warning),
            count(Severity::Note),
        );
        match (e + w, n) {
            (0, 0) => writeln!(out, "no problems found"),
            (0, n) => writeln!(out, "no problems found ({n} note{})", plural(n)),
            (_, n) => writeln!(
                out,
                "{e} error{}, {w} warning{}, {n} note{}",
                plural(e),
                plural(w),
                plural(n)
            ),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_patterns_match_like_git() {
        assert_eq!(applies("https://github.com", "github.com"), Some(None));
        assert_eq!(applies("https://GitHub.com:443/", "github.com"), Some(None));
        assert_eq!(applies("https://*.com", "github.com"), Some(None));
        assert_eq!(applies("github.com", "github.com"), Some(None));
        assert_eq!(applies("https://*.github.com", "github.com"), None);
        assert_eq!(applies("http://github.com", "github.com"), None);
        assert_eq!(applies("https://github.com:444", "github.com"), None);
        assert_eq!(applies("https://github.com.evil", "github.com"), None);
        assert_eq!(
            applies("https://127.0.0.1:8443", "127.0.0.1:8443"),
            Some(None)
        );
        assert_eq!(
            applies("https://github.com/alta3", "github.com"),
            Some(Some("URLs under /alta3".into()))
        );
        assert_eq!(
            applies("https://me@github.com", "github.com"),
            Some(Some("user me".into()))
        );
    }

    #[test]
    fn recognises_this_helper() {
        for v in [
            "scoped",
            "scoped --config /x",
            "/usr/bin/git-credential-scoped",
            "!/opt/git-credential-scoped get",
        ] {
            assert!(is_ours(v), "{v}");
        }
        for v in [
            "store",
            "!scoped",
            "cache --timeout 900",
            "/usr/bin/git-credential-scopedx",
        ] {
            assert!(!is_ours(v), "{v}");
        }
    }

    fn entry(key: &str, value: &str) -> Entry {
        Entry {
            scope: "global".into(),
            origin: "file:/h/.gitconfig".into(),
            key: key.into(),
            value: Some(value.into()),
        }
    }

    #[test]
    fn host_lists_are_appended_and_reset_in_file_order() {
        let entries = [
            entry("credential.helper", "store"),
            entry("credential.https://github.com.helper", ""),
            entry("credential.https://github.com.helper", "scoped"),
            entry("credential.helper", "cache"),
            entry("credential.https://github.com.usehttppath", "true"),
            entry("credential.https://gitlab.com.helper", "other"),
        ];
        let v = host_view(&entries, "github.com");
        let names: Vec<String> = v.helpers.iter().map(helper_value).collect();
        assert_eq!(names, ["scoped", "cache"]);
        assert!(v.reset.is_some() && v.use_http_path);
        let w = host_view(&entries, "gitlab.com");
        let names: Vec<String> = w.helpers.iter().map(helper_value).collect();
        assert_eq!(names, ["store", "cache", "other"]);
        assert!(!w.use_http_path);
    }
}

//! git's side of the story, read once and judged one way for `setup` and `doctor`: every
//! `credential.*` entry as `git config --show-scope --show-origin -z --get-regexp` reports
//! it, and the helper list and `useHttpPath` that git ends up with for one host
//! (gitcredentials(7) "CONFIGURATION": matching entries apply in file order, an empty
//! `helper` resets the list, the last `useHttpPath` wins). Also where git finds a helper
//! program (PATH and its exec path), and the value `setup` writes for this one.

pub mod shell;
mod urlmatch;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub use urlmatch::applies;

use crate::protocol::escape;

/// One `credential.*` entry as git reports it.
#[derive(Clone, Debug)]
pub struct Entry {
    pub scope: String,
    pub origin: String,
    /// `credential.https://github.com.helper`: section and variable lowercased by git.
    pub key: String,
    /// `None` for a bare `key` line (boolean true).
    pub value: Option<String>,
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

    /// `global, /home/me/.gitconfig`, for people: both escaped (they come from git, and a
    /// file name may hold anything).
    pub fn place(&self) -> String {
        format!("{}, {}", escape(self.scope.as_bytes()), self.file())
    }

    /// The entry's key, escaped for people (a subsection may hold anything but a newline).
    pub fn key_shown(&self) -> String {
        escape(self.key.as_bytes())
    }

    /// Whether this entry names a helper (not a reset) that git runs for `SCHEME://HOST/`.
    pub fn is_helper_for(&self, scheme: &str, host: &str) -> bool {
        let (sub, var) = self.split();
        var == "helper"
            && self.value.as_deref().is_some_and(|v| !v.is_empty())
            && sub.is_none_or(|p| applies(p, scheme, host).is_some())
    }

    /// The file this entry is in (without git's `file:` prefix), escaped for people.
    pub fn file(&self) -> String {
        escape(
            self.origin
                .strip_prefix("file:")
                .unwrap_or(&self.origin)
                .as_bytes(),
        )
    }
}

/// Every `credential.*` entry, in the order git reads them; `Err` when git cannot be run.
/// Why git's configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("git was not found on PATH")]
    NoGit,
    #[error("{0}")]
    Failed(String),
}

pub fn read_git_config() -> Result<Vec<Entry>, ReadError> {
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
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => ReadError::NoGit,
            _ => ReadError::Failed(format!("could not run git: {e}")),
        })?;
    match out.status.code() {
        Some(0) => {}
        Some(1) => return Ok(Vec::new()),
        _ => {
            let err = String::from_utf8_lossy(&out.stderr);
            return Err(ReadError::Failed(format!(
                "git config failed: {}",
                err.lines().next().unwrap_or("")
            )));
        }
    }
    Ok(parse_entries(&String::from_utf8_lossy(&out.stdout)))
}

/// `-z` output: scope, origin and `key\nvalue` (or a bare `key`), each NUL-terminated.
fn parse_entries(text: &str) -> Vec<Entry> {
    let fields: Vec<&str> = text.split('\0').collect();
    fields
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
        .collect()
}

/// What a helper value makes git run, as far as this program is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// This program and nothing else: `scoped [ARGS]`, or its absolute path (quoted or not,
    /// behind `!` or not) with plain arguments.
    Ours,
    /// A shell command that names this program but does more than run it (a pipe, a list,
    /// a redirection, an expansion): whatever else it runs sees every token.
    OursInShell,
    /// Another helper.
    Other,
}

/// Whether git runs `value` as a path or a shell command (not as `git credential-NAME`):
/// a leading `!`, or an absolute path (on Windows also `C:/...`), git's credential.c.
fn shell_command(value: &str) -> Option<&str> {
    match value.strip_prefix('!') {
        Some(rest) => Some(rest),
        None => (value.starts_with('/') || Path::new(value).is_absolute()).then_some(value),
    }
}

/// How git runs a helper value (gitcredentials(7) "CUSTOM HELPERS": every form goes through
/// the shell with the operation appended) and whether that is this program alone.
pub fn kind(value: &str) -> Kind {
    let (words, named) = match shell_command(value) {
        Some(cmd) => (shell::simple_words(cmd), None),
        None => (
            shell::simple_words(value),
            value
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .next(),
        ),
    };
    let ours = match (&words, named) {
        (Some(w), None) => w.first().is_some_and(|p| is_our_path(p)),
        (Some(w), Some(_)) => w.first().is_some_and(|n| n == "scoped"),
        (None, _) => false,
    };
    let names_us = |text: &str| {
        text.split(|c: char| c == '/' || c == '\\' || c.is_whitespace() || "'\";|&".contains(c))
            .any(|seg| {
                seg.strip_suffix(std::env::consts::EXE_SUFFIX)
                    .unwrap_or(seg)
                    == PROGRAM
            })
    };
    if ours {
        Kind::Ours
    } else if named == Some("scoped") || names_us(value) {
        Kind::OursInShell
    } else {
        Kind::Other
    }
}

/// An absolute path (as git sees it: on Windows also one from the root of the current drive,
/// `/usr/bin/...` as Git Bash writes them, which Rust calls relative) to a program of ours.
fn is_our_path(word: &str) -> bool {
    let p = Path::new(word);
    p.file_stem().is_some_and(|s| s == PROGRAM) && (p.is_absolute() || word.starts_with('/'))
}

/// Whether a helper value runs this program and nothing else ([`Kind::Ours`]).
pub fn is_ours(value: &str) -> bool {
    kind(value) == Kind::Ours
}

/// The program a helper value of ours runs by path (`None` for `scoped`, or not ours).
pub fn program_of(value: &str) -> Option<PathBuf> {
    let words = shell::simple_words(shell_command(value)?)?;
    let first = words.into_iter().next()?;
    is_our_path(&first).then(|| PathBuf::from(first))
}

/// The program's name; git runs `git credential-scoped` as `git-credential-scoped`.
pub const PROGRAM: &str = "git-credential-scoped";

/// `name` in a directory of PATH, or in git's exec path, where `git credential-NAME` finds it.
pub fn find_program() -> Option<PathBuf> {
    let file = format!("{PROGRAM}{}", std::env::consts::EXE_SUFFIX);
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(out) = Command::new("git")
        .arg("--exec-path")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    {
        dirs.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    }
    dirs.into_iter()
        .map(|d| d.join(&file))
        .find(|p| is_executable(p))
}

pub fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// This program's path as `setup` writes it: the name PATH gives it when that leads to this
/// very file (a symlink such as Homebrew's `bin/` survives upgrades), else where it runs from.
pub fn this_program() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let real = std::fs::canonicalize(&exe).ok();
    if let Some(found) = find_program() {
        if std::fs::canonicalize(&found).ok() == real && found.is_absolute() {
            return Some(found);
        }
    }
    Some(exe)
}

/// `s` as one word for a POSIX shell: as it is when it is plain, else single-quoted.
pub fn shell_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The helper value that makes git run `program` directly: the absolute path (git runs an
/// absolute path as it is, one `git` start-up less than `scoped`), single-quoted behind `!`
/// when it holds characters git's shell would split on.
pub fn helper_value_for(program: &Path) -> String {
    let path = program.to_string_lossy();
    // Windows' separators as git for Windows writes paths; elsewhere a backslash is a
    // character of the name, which the quoting below keeps from git's shell.
    #[cfg(windows)]
    let path = path.replace('\\', "/");
    let quoted = shell_quote(&path);
    if quoted == path {
        path.to_string()
    } else {
        format!("!{quoted}")
    }
}

pub struct Helper {
    pub entry: Entry,
    pub ours: bool,
    pub only_for: Option<String>,
}

/// The effective helper chain and useHttpPath of one host.
pub struct HostView {
    pub scheme: String,
    pub host: String,
    pub helpers: Vec<Helper>,
    pub reset: Option<Entry>,
    pub use_http_path: bool,
}

impl HostView {
    /// How the host is named to people: `github.com`, or `http://HOST` for plain http.
    pub fn label(&self) -> String {
        match self.scheme.as_str() {
            "https" => self.host.clone(),
            scheme => format!("{scheme}://{}", self.host),
        }
    }
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

/// The helpers and useHttpPath git ends up with for `SCHEME://HOST/`.
pub fn host_view(entries: &[Entry], scheme: &str, host: &str) -> HostView {
    let mut view = HostView {
        scheme: scheme.to_string(),
        host: host.to_string(),
        helpers: Vec::new(),
        reset: None,
        use_http_path: false,
    };
    for e in entries {
        let (sub, var) = e.split();
        let only_for = match sub {
            None => None,
            Some(p) => match applies(p, scheme, host) {
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

/// A helper's value for display: the program as written, a quoted path whole (`!'/home/me/my
/// tools/x'`), and ` ...` for the rest, since options may hold anything (a shell helper's
/// may hold a password); escaped.
pub fn helper_value(h: &Helper) -> String {
    let v = h.entry.value.as_deref().unwrap_or("");
    let end = shell::first_word_end(v);
    let rest = if v[end..].trim().is_empty() {
        ""
    } else {
        " ..."
    };
    format!("{}{rest}", escape(&v.as_bytes()[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_this_helper() {
        for v in [
            "scoped",
            "scoped --config /x",
            "/usr/bin/git-credential-scoped",
            "!/opt/git-credential-scoped get",
            "!'/opt/my tools/git-credential-scoped'",
            "/opt/git-credential-scoped --config $HOME/c.toml",
            "!/opt/git-credential-scoped --config ~/c.toml",
        ] {
            assert!(is_ours(v), "{v}");
        }
        for v in [
            "store",
            "!scoped",
            "cache --timeout 900",
            "/usr/bin/git-credential-scopedx",
        ] {
            assert_eq!(kind(v), Kind::Other, "{v}");
        }
        // Issue 22 #10: more than this program, through the shell git runs it with.
        for v in [
            "!/path/git-credential-scoped get | tee -a loot; exit 0; ",
            "/path/git-credential-scoped >/tmp/x",
            "!/path/git-credential-scoped \"$(id)\"",
            "scoped; id",
            "!FOO=1 /path/git-credential-scoped",
        ] {
            assert_eq!(kind(v), Kind::OursInShell, "{v}");
        }
    }

    #[test]
    fn the_helper_value_is_the_path_quoted_for_gits_shell_when_needed() {
        let plain = Path::new("/home/me/.local/bin/git-credential-scoped");
        assert_eq!(
            helper_value_for(plain),
            "/home/me/.local/bin/git-credential-scoped"
        );
        let spaced = Path::new("/opt/it's here/git-credential-scoped");
        let v = helper_value_for(spaced);
        assert_eq!(v, "!'/opt/it'\\''s here/git-credential-scoped'");
        assert!(is_ours(&helper_value_for(plain)));
        assert_eq!(program_of(plain.to_str().unwrap()).as_deref(), Some(plain));
        // Issue 22 #11: a backslash is part of a name on unix, never a separator.
        #[cfg(unix)]
        for dir in ["/x/we\\ird", "/x/it's \\ here", "/x/a\"b"] {
            let p = Path::new(dir).join(PROGRAM);
            assert_eq!(
                program_of(&helper_value_for(&p)).as_deref(),
                Some(p.as_path())
            );
        }
        assert_eq!(program_of(&v).as_deref(), Some(spaced));
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
        let v = host_view(&entries, "https", "github.com");
        let names: Vec<String> = v.helpers.iter().map(helper_value).collect();
        assert_eq!(names, ["scoped", "cache"]);
        assert!(v.reset.is_some() && v.use_http_path);
        let w = host_view(&entries, "https", "gitlab.com");
        let names: Vec<String> = w.helpers.iter().map(helper_value).collect();
        assert_eq!(names, ["store", "cache", "other"]);
        assert!(!w.use_http_path);
    }
}

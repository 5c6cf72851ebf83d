//! git's side of the story: every `credential.*` entry as `git config --show-scope
//! --show-origin -z --get-regexp` reports it, and the helper list and `useHttpPath` that
//! git ends up with for one host (gitcredentials(7) "CONFIGURATION": matching entries apply
//! in file order, an empty `helper` resets the list, the last `useHttpPath` wins).

use std::path::Path;
use std::process::{Command, Stdio};

use super::urlmatch::applies;
use crate::cli::json::Json;

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

    pub fn place(&self) -> String {
        format!(
            "{}, {}",
            self.scope,
            self.origin.trim_start_matches("file:")
        )
    }

    pub fn place_json(&self) -> Json {
        Json::Obj(vec![
            ("key", Json::str(self.key.as_str())),
            ("scope", Json::str(self.scope.as_str())),
            ("origin", Json::str(self.origin.as_str())),
        ])
    }
}

/// Every `credential.*` entry, in the order git reads them; `Err` when git cannot be run.
pub fn read_git_config() -> Result<Vec<Entry>, String> {
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

pub struct Helper {
    pub entry: Entry,
    pub ours: bool,
    pub only_for: Option<String>,
}

/// The effective helper chain and useHttpPath of one host.
pub struct HostView {
    pub host: String,
    pub helpers: Vec<Helper>,
    pub reset: Option<Entry>,
    pub use_http_path: bool,
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

pub fn host_view(entries: &[Entry], host: &str) -> HostView {
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

/// A helper's value for display: only its first word, since options may hold anything.
pub fn helper_value(h: &Helper) -> String {
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

//! Whether git asks this helper at all for a URL, with the registry `check` reads: git's
//! configuration as it stands, judged by `doctor`'s own finding (this helper missing from
//! the host's list, or asked after another), and the `--config FILE` the helper line passes
//! (none: the default registry). `check` answers for what git would get, so a registry
//! git never reads is not "ok".

use std::path::{Path, PathBuf};

use crate::cli::doctor::order_finding;
use crate::gitconfig::shell::simple_words;
use crate::gitconfig::{host_view, read_git_config, shell_quote, Entry};

/// git's `credential.*` entries, read once per `check`.
pub struct GitAsks {
    entries: Result<Vec<Entry>, String>,
}

impl GitAsks {
    pub fn load() -> GitAsks {
        GitAsks {
            entries: read_git_config().map_err(|e| e.to_string()),
        }
    }

    /// `None` when git asks this helper first for `PROTOCOL://HOST` and it reads `config`;
    /// else the line that says why not and the command that makes it so.
    pub fn why_not(&self, config: &Path, protocol: &str, host: &str) -> Option<String> {
        let entries = match &self.entries {
            Ok(e) => e,
            Err(why) => return Some(format!("could not read git's configuration: {why}")),
        };
        let view = host_view(entries, protocol, host);
        let setup = setup_command(config);
        if let Some(f) = order_finding(&view) {
            let fix = f
                .fix
                .unwrap_or_default()
                .replacen("git credential-scoped setup", &setup, 1);
            return Some(format!("{}; run: {fix}", f.what));
        }
        let ours = view.helpers.first()?.entry.value.as_deref().unwrap_or("");
        let reads = helper_config(ours)
            .or_else(|| crate::files::config_path(None).ok())
            .map(|p| absolute(&p));
        if reads.as_deref() == Some(absolute(config).as_path()) {
            return None;
        }
        let shown = reads.map_or_else(|| "another".into(), |p| p.display().to_string());
        Some(format!(
            "git asks git-credential-scoped for {} with the registry {}; run: {setup}",
            view.label(),
            crate::protocol::escape(shown.as_bytes())
        ))
    }
}

/// `git credential-scoped setup`, with `--config FILE` when `config` is not the default.
fn setup_command(config: &Path) -> String {
    match config_flag(config) {
        Some(flag) => format!("git credential-scoped {flag} setup"),
        None => "git credential-scoped setup".into(),
    }
}

/// `--config FILE` (absolute, quoted for git's shell) when `config` is not the registry
/// the helper reads without one; what `setup` adds to the helper line it writes.
pub fn config_flag(config: &Path) -> Option<String> {
    let default = crate::files::config_path(None).ok().map(|p| absolute(&p));
    let file = absolute(config);
    (default.as_deref() != Some(file.as_path()))
        .then(|| format!("--config {}", shell_quote(&file.display().to_string())))
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p)
        .or_else(|_| std::path::absolute(p))
        .unwrap_or_else(|_| p.to_path_buf())
}

/// The `--config FILE` a helper value passes, read as git's shell would split it.
fn helper_config(value: &str) -> Option<PathBuf> {
    // A value that is more than words is no helper line of ours (doctor says so).
    let words = simple_words(value.trim().trim_start_matches('!')).unwrap_or_default();
    let mut it = words.iter();
    while let Some(w) = it.next() {
        if w == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(f) = w.strip_prefix("--config=") {
            return Some(PathBuf::from(f));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_a_helper_line_passes_is_read_as_the_shell_splits_it() {
        let c = |v: &str| helper_config(v).map(|p| p.display().to_string());
        assert_eq!(c("/bin/git-credential-scoped"), None);
        assert_eq!(
            c("/bin/git-credential-scoped --config /etc/r.toml").as_deref(),
            Some("/etc/r.toml")
        );
        assert_eq!(
            c("!'/my bin/git-credential-scoped' --config '/a b/it'\\''s.toml'").as_deref(),
            Some("/a b/it's.toml")
        );
        assert_eq!(c("scoped --config=\"/x y\"").as_deref(), Some("/x y"));
    }
}

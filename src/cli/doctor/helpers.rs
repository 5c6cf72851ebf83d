//! Findings about the helpers git runs for each host: ours missing or not first, other
//! helpers that keep a copy of our tokens (write-back), `useHttpPath` off, and a short
//! `scoped` name git cannot resolve. Each fix is the `setup` command (or `git config`
//! line) that repairs it in the scope where the problem was found.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use super::findings::{Finding, Severity};
use super::gitconfig::{helper_value, HostView};
use crate::registry::GITHUB;

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

pub fn helper_findings(v: &HostView, out: &mut Vec<Finding>) {
    let h = v.host.as_str();
    out.extend(order_finding(v));
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

/// git-credential-scoped missing from the host's helper list, or asked after another.
fn order_finding(v: &HostView) -> Option<Finding> {
    let h = v.host.as_str();
    match v.helpers.iter().position(|x| x.ours) {
        None => Some(
            Finding::new(Severity::Error, "helper-missing",
                format!("git does not ask git-credential-scoped for {h}"),
                "git never sees the registered tokens for this host: it prompts, or another helper answers with whatever it has")
            .host(h)
            .fix(setup_command(h, None)),
        ),
        Some(i) if i > 0 => {
            let first = &v.helpers[0];
            Some(
                Finding::new(Severity::Error, "helper-not-first",
                    format!("helper '{}' ({}) is asked before git-credential-scoped for {h}", helper_value(first), first.entry.place()),
                    "git takes the first answer, so it may send that helper's credential instead of the token that covers the repository")
                .host(h)
                .fix(setup_command(h, Some(&first.entry.scope))),
            )
        }
        Some(_) => None,
    }
}

/// `credential.helper = scoped` where git cannot find `git-credential-scoped`.
pub fn path_findings(views: &[HostView], out: &mut Vec<Finding>) {
    let uses_short_name = views
        .iter()
        .flat_map(|v| &v.helpers)
        .any(|h| h.ours && helper_value(h) == "scoped");
    if uses_short_name && !on_path() {
        out.push(
            Finding::new(Severity::Error, "helper-not-on-path", "git-credential-scoped is not on PATH or in git's exec path".into(),
                "`credential.helper = scoped` makes git run `git credential-scoped`, which it cannot find")
            .fix("install it (./install.sh) or put its directory on PATH".into()),
        );
    }
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

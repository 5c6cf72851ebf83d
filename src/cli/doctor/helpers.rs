//! Findings about the helpers git runs for each host: ours missing or not first, other
//! helpers that keep a copy of our tokens (write-back), `useHttpPath` off, and a short
//! `scoped` name git cannot resolve. Each fix is the `setup` command (or `git config`
//! line) that repairs it in the scope where the problem was found.

use super::findings::{Finding, Severity};
use crate::gitconfig::{
    find_program, helper_value, is_executable, kind, program_of, this_program, Helper, HostView,
    Kind,
};
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
    let label = v.label();
    let h = label.as_str();
    out.extend(order_finding(v));
    for other in v.helpers.iter().filter(|x| !x.ours) {
        if kind(other.entry.value.as_deref().unwrap_or("")) == Kind::OursInShell {
            out.push(shell_finding(v, other));
            continue;
        }
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
            .fix(setup_command(&v.host, Some(&other.entry.scope))),
        );
    }
    if !v.use_http_path {
        out.push(
            Finding::new(Severity::Error, "use-http-path-off",
                format!("credential.useHttpPath is off for {h}"),
                "without it git does not say which repository it wants, so no token can be chosen by repository (only a single default token is sent)")
            .host(h)
            .fix(format!("git config --global credential.{}://{}.useHttpPath true", v.scheme, v.host)),
        );
    }
}

/// A shell helper that runs this program and more (issue 22 #10: `!/path/git-credential-scoped
/// get | tee -a loot`): what else it runs is handed every token.
fn shell_finding(v: &HostView, h: &Helper) -> Finding {
    let label = v.label();
    Finding::new(Severity::Error, "helper-shell",
        format!("helper '{}' ({}) runs git-credential-scoped inside a shell command that does more than run it", helper_value(h), h.entry.place()),
        "git hands that command every request and every token that worked; whatever else it runs (a pipe, a second command, a redirection, an expansion) sees them too")
    .host(&label)
    .fix(setup_command(&v.host, Some(&h.entry.scope)))
}

/// git-credential-scoped missing from the host's helper list, or asked after another (also
/// what `check` says where git would not ask it).
pub fn order_finding(v: &HostView) -> Option<Finding> {
    let label = v.label();
    let h = label.as_str();
    match v.helpers.iter().position(|x| x.ours) {
        None => Some(
            Finding::new(Severity::Error, "helper-missing",
                format!("git does not ask git-credential-scoped for {h}"),
                "git never sees the registered tokens for this host: it prompts, or another helper answers with whatever it has")
            .host(h)
            .fix(setup_command(&v.host, None)),
        ),
        Some(i) if i > 0 => {
            let first = &v.helpers[0];
            Some(
                Finding::new(Severity::Error, "helper-not-first",
                    format!("helper '{}' ({}) is asked before git-credential-scoped for {h}", helper_value(first), first.entry.place()),
                    "git takes the first answer, so it may send that helper's credential instead of the token that covers the repository")
                .host(h)
                .fix(setup_command(&v.host, Some(&first.entry.scope))),
            )
        }
        Some(_) => None,
    }
}

/// The program git runs for this helper cannot be found: `scoped` where git cannot find
/// `git-credential-scoped`, or an absolute path (what `setup` writes) that no longer
/// leads to an executable — or leads to another copy than this one.
pub fn path_findings(views: &[HostView], out: &mut Vec<Finding>) {
    let ours = || views.iter().flat_map(|v| &v.helpers).filter(|h| h.ours);
    let short = |h: &&Helper| {
        h.entry
            .value
            .as_deref()
            .is_some_and(|v| v.split_whitespace().next() == Some("scoped"))
    };
    if ours().any(|h| short(&h)) && find_program().is_none() {
        out.push(
            Finding::new(Severity::Error, "helper-not-on-path", "git-credential-scoped is not on PATH or in git's exec path".into(),
                "`credential.helper = scoped` makes git run `git credential-scoped`, which it cannot find; setup names this program by its path instead, so PATH no longer matters")
            .fix(this_program().map_or_else(
                || "./install.sh".to_string(),
                |p| format!("{} setup", crate::gitconfig::shell_quote(&p.display().to_string())),
            )),
        );
    }
    let here = this_program().and_then(|p| std::fs::canonicalize(p).ok());
    let mut seen = Vec::new();
    for (v, h) in views
        .iter()
        .flat_map(|v| v.helpers.iter().filter(|h| h.ours).map(move |h| (v, h)))
    {
        let Some(program) = h.entry.value.as_deref().and_then(program_of) else {
            continue;
        };
        if seen.contains(&program) {
            continue;
        }
        seen.push(program.clone());
        let shown = crate::messages::shown_path(&program);
        if !is_executable(&program) {
            out.push(
                Finding::new(Severity::Error, "helper-path-stale",
                    format!("git runs {shown} for credentials ({}), which no longer exists or cannot be run", h.entry.place()),
                    "git cannot ask for tokens at all: it prompts or fails with 'could not read Username'")
                .fix(setup_command(&v.host, Some(&h.entry.scope))),
            );
        } else if here.is_some() && std::fs::canonicalize(&program).ok() != here {
            out.push(
                Finding::new(
                    Severity::Note,
                    "helper-path-other",
                    format!(
                        "git runs {shown} for credentials ({}), another copy than this one",
                        h.entry.place()
                    ),
                    "an older copy may lack fixes this one has",
                )
                .fix(setup_command(&v.host, Some(&h.entry.scope))),
            );
        }
    }
}

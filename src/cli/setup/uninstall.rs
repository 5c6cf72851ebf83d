//! `setup --uninstall`: take back what setup wrote. With `--host`, that host's entries in
//! the chosen file; without, every host whose helper entry in the chosen file is this
//! program, then every other git config file the record says setup wrote a helper into, and
//! cargo's setting when setup set it (issue 24 #7: an uninstall that undid github.com only
//! left `setup --host` entries and `--cargo` pointing at a deleted binary).

use super::*;

/// Everything setup set up: every host, every recorded file, and cargo (when setup set it,
/// or `--cargo` asks).
pub(super) fn everything(
    ctx: &Context,
    scope: Scope,
    cargo_too: bool,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let mut lines = Vec::new();
    let mut files: Vec<String> = Vec::new();
    for (file, key) in record::rows(&ctx.data_dir) {
        if key.starts_with("credential.") && key.ends_with(".helper") && !files.contains(&file) {
            files.push(file);
        }
    }
    lines.extend(every_host(ctx, scope)?);
    for file in files.iter().filter(|f| Path::new(f).is_file()) {
        match every_host(ctx, Scope::File(file)) {
            Ok(more) => lines.extend(more),
            // Another file (the system one, say) need not stop this one's uninstall.
            Err(e) => lines.push(format!(
                "warning: could not remove {PROGRAM} from {}: {}",
                shown(file),
                e.to_string().lines().next().unwrap_or("")
            )),
        }
    }
    if cargo_too || cargo::set_up_by_us(ctx) {
        lines.extend(cargo::uninstall(ctx)?);
    }
    if lines.is_empty() {
        lines.push(format!(
            "nothing to remove: {PROGRAM} is not set up for any host in the {} git config",
            scope.name()
        ));
    }
    Ok(lines)
}

/// Removes this program from every `credential.<url>.helper` of the file that names it.
fn every_host(ctx: &Context, scope: Scope) -> Result<Vec<String>, SetupError> {
    let out = match git(
        scope,
        &["--null", "--get-regexp", r"^credential\..+\.helper$"],
    ) {
        Ok(out) => out,
        Err(SetupError::Git { code: 1, .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut urls: Vec<String> = Vec::new();
    for entry in out.split_terminator('\0') {
        let (key, value) = entry.split_once('\n').unwrap_or((entry, ""));
        let Some(url) = key
            .strip_prefix("credential.")
            .and_then(|k| k.strip_suffix(".helper"))
        else {
            continue;
        };
        if is_ours(value) && !urls.iter().any(|u| u == url) {
            urls.push(url.to_string());
        }
    }
    let mut lines = Vec::new();
    for url in urls {
        lines.extend(uninstall(ctx, scope, &Keys::from_url(&url))?);
    }
    Ok(lines)
}

pub(super) fn uninstall(ctx: &Context, scope: Scope, k: &Keys) -> Result<Vec<String>, SetupError> {
    let helpers = get_all(scope, &k.helper)?;
    let use_path = get_all(scope, &k.use_path)?;
    let file = scope_file(scope, k);
    let key = scope_key(scope, k);
    let mut changes = Vec::new();
    if helpers.iter().any(|h| is_ours(h)) {
        let kept = without_ours(&helpers);
        git(scope, &["--unset-all", &k.helper])?;
        for h in &kept {
            git(scope, &["--add", &k.helper, h])?;
        }
        for h in helpers.iter().filter(|h| is_ours(h)) {
            changes.push(format!("- {} = {}", k.helper, shown(h)));
        }
        let empties = |v: &[String]| v.iter().filter(|h| h.is_empty()).count();
        if empties(&helpers) > empties(&kept) {
            changes.push(format!("- {} =  (the reset setup added)", k.helper));
        }
    }
    if use_path.iter().any(|v| v == "true") {
        if record::was_added(&ctx.data_dir, &key, &k.use_path) {
            git(scope, &["--unset-all", &k.use_path, "^true$"])?;
            record::forget(&ctx.data_dir, &key, &k.use_path)?;
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
    record::forget(&ctx.data_dir, &key, &k.helper)?;
    let mut lines = vec![format!("removed {PROGRAM} for {} from {file}:", k.url)];
    lines.extend(changes.into_iter().map(|c| format!("  {c}")));
    Ok(lines)
}

/// The helper list with each `"", ours` pair that setup writes, and any other entry naming
/// this program, taken out; a user's own resets and helpers stay.
pub(super) fn without_ours(helpers: &[String]) -> Vec<String> {
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

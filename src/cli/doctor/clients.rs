//! Clients other than git's own command line that fetch through git only when told to:
//! cargo, whose built-in libgit2 asks credential helpers in a way that bypasses what this
//! helper and `setup` rely on ([`crate::cargo`]). A note, not an error: cargo may never
//! fetch a private git dependency on this machine.

use super::findings::{Finding, Severity};
use crate::cargo;

pub fn cargo_findings(findings: &mut Vec<Finding>) {
    if !cargo::installed() {
        return;
    }
    let (on, file) = match cargo::effective() {
        Ok(found) => found,
        Err(e) => {
            let what = e.to_string();
            findings.push(Finding::new(
                Severity::Warning,
                "cargo-config-invalid",
                what.lines().next().unwrap_or("").to_string(),
                "cargo cannot read it either",
            ));
            return;
        }
    };
    if on == Some(true) {
        return;
    }
    let how = match on {
        Some(false) if std::env::var_os(cargo::ENV).is_some() => {
            format!("{}=false is set", cargo::ENV)
        }
        Some(false) => format!(
            "{} = false in {}",
            cargo::KEY,
            crate::messages::shown_path(&file)
        ),
        _ => format!(
            "{} is not set in {}",
            cargo::KEY,
            crate::messages::shown_path(&file)
        ),
    };
    findings.push(
        Finding::new(
            Severity::Note,
            "cargo-without-git",
            format!("cargo fetches git dependencies with its built-in libgit2 ({how})"),
            "libgit2 ignores setup's helper reset and a refusal's quit=1 (after a refusal it asks the next helper and sends what that one has), drops this helper's messages (cargo says only \"failed to authenticate\"), and authenticates not at all once any cargo [http] setting is made",
        )
        .fix("git credential-scoped setup --cargo".to_string()),
    );
}

//! Findings about the files and secret stores: a config or data directory others could
//! write or read, an OS keyring that cannot be reached, a `secret_env` variable that is not
//! set. Nothing here reads a secret: the keyring is connected to, never unlocked (SPEC §6).

use std::path::Path;

use super::findings::{Finding, Severity};
use crate::context::Context;
use crate::messages::shown_path;
use crate::registry::{Registry, SecretSource};
use crate::secrets::{FileStore, KeyringStore, StoreKind};

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

/// A path as one word of a shell command, escaped for people.
fn quoted_path(p: &Path) -> String {
    crate::messages::shown(&crate::gitconfig::shell_quote(&p.to_string_lossy()))
}

pub fn permission_findings(ctx: &Context, reg: &Registry, out: &mut Vec<Finding>) {
    let cfg = &ctx.config_path;
    let dir = cfg.parent().unwrap_or(Path::new("."));
    for p in [cfg.as_path(), dir] {
        // A sticky directory (/tmp) lets no one else replace the file.
        if mode(p).is_some_and(|m| m & 0o022 != 0 && m & 0o1000 == 0) {
            out.push(
                Finding::new(Severity::Error, "config-permissions",
                    format!("{} is writable by group or others", shown_path(p)),
                    "the config decides where tokens are sent; git-credential-scoped refuses to use it")
                .fix(format!("chmod go-w {}", quoted_path(p))),
            );
        }
    }
    data_permission_findings(ctx, reg, out);
}

/// The data directory and the file store readable by others: an error when the file store
/// holds secrets, a warning otherwise.
fn data_permission_findings(ctx: &Context, reg: &Registry, out: &mut Vec<Finding>) {
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
                    format!("{} can be read by group or others", shown_path(&p)),
                    "it holds usage state and, with the file store, secrets in plain text",
                )
                .fix(format!("chmod {good} {}", quoted_path(&p))),
            );
        }
    }
}

pub struct StoreReport {
    pub store: &'static str,
    pub tokens: Vec<String>,
    pub reachable: Option<bool>,
}

/// One report per secret store in use, in the order keyring, file, env, command.
pub fn store_reports(reg: &Registry, out: &mut Vec<Finding>) -> Vec<StoreReport> {
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
        let reachable = keyring_reachable(&keyring, out);
        reports.push(StoreReport {
            store: "keyring",
            tokens: keyring,
            reachable: Some(reachable),
        });
    }
    env_findings(reg, out);
    let others = [
        (
            "file",
            names(&|s| *s == SecretSource::Store(StoreKind::File)),
        ),
        ("env", names(&|s| matches!(s, SecretSource::Env(_)))),
        ("command", names(&|s| matches!(s, SecretSource::Command(_)))),
    ];
    for (store, tokens) in others {
        if !tokens.is_empty() {
            reports.push(StoreReport {
                store,
                tokens,
                reachable: None,
            });
        }
    }
    reports
}

/// Connects to the OS keyring; connecting is not unlocking: no secret is read here
/// (SPEC §6).
fn keyring_reachable(keyring: &[String], out: &mut Vec<Finding>) -> bool {
    match KeyringStore::open() {
        Ok(_) => true,
        Err(e) => {
            out.push(
                Finding::new(Severity::Error, "keyring-unreachable",
                    format!("the OS keyring is not reachable ({}); tokens {} keep their secret there", crate::messages::shown(&e.to_string()), quoted(keyring)),
                    "get cannot send those tokens until it is reachable and unlocked; unlocking it (or starting its Secret Service, docs/GUIDE.md) fixes that, or rotate moves a token to the file store (give the token again, or a new one)")
                .fix(format!("git credential-scoped rotate {} --secret-store file", keyring[0])),
            );
            false
        }
    }
}

/// Tokens whose `secret_env` variable is unset or empty here.
fn env_findings(reg: &Registry, out: &mut Vec<Finding>) {
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
}

pub fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
}

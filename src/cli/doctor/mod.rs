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
//! never unlocked (SPEC §6). When cargo is installed, whether it fetches git dependencies
//! through git ([`clients`]).
//!
//! This file gathers the findings and hands them to [`output`]; [`gitconfig`] and
//! [`urlmatch`] read and interpret git's configuration, [`helpers`] judges the helper list
//! of each host, [`stores`] the files and secret stores, and [`findings`] the tokens.

mod clients;
mod findings;
mod helpers;
pub use helpers::order_finding;
mod output;
mod stores;

use super::{CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;
use crate::files::FileError;
use crate::gitconfig::{host_view, read_git_config, HostView};
use crate::registry::{ConfigError, Registry, GITHUB};
use clients::cargo_findings;
use findings::{overlap_findings, token_findings, Finding, Severity};
use helpers::{helper_findings, path_findings};
use output::Report;
use stores::{permission_findings, store_reports};

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
              \"helpers\": [{\"value\": \"/home/me/.local/bin/git-credential-scoped\",
                           \"key\": \"credential.https://github.com.helper\",
                           \"scope\": \"global\", \"origin\": \"file:/home/me/.gitconfig\",
                           \"ours\": true, \"only_for\": null | \"URLs under /alta3\"}],
              \"reset\": null | {\"key\": ..., \"scope\": ..., \"origin\": ...},
              \"scoped_first\": true|false, \"use_http_path\": true|false,
              \"write_back\": [\"store\", \"cache ...\"], \"scheme\": \"https\" | \"http\"}],
   \"secret_stores\": [{\"store\": \"keyring\" | \"file\" | \"env\" | \"command\",
                      \"tokens\": [\"alta3\"], \"reachable\": true|false|null}],
   \"findings\": [{\"severity\": \"error\" | \"warning\" | \"note\", \"code\": \"helper-missing\" | ...,
                 \"host\": \"github.com\" | null, \"token\": \"alta3\" | null,
                 \"what\": \"...\", \"why\": \"...\", \"fix\": \"git credential-scoped setup\" | null,
                 \"link\": \"https://github.com/settings/personal-access-tokens/new?...\" | null}]}

\"value\" is the helper's program as written (a quoted path whole) and \" ...\" for its options,
which may hold anything. \"fix\" is one command that can be run as it stands (a command that reads a token reads it from
stdin or a hidden prompt); null when only you can decide what to change. \"link\" is the page
that creates the token the fix needs.

Codes: git-unavailable, helper-missing, helper-not-first, helper-shell, write-back, use-http-path-off,
helper-not-on-path, helper-path-stale, helper-path-other, config-invalid, config-permissions,
data-permissions, keyring-unreachable, secret-env-unset, host-undeclared, token-expired,
token-expiring, token-rejected, token-over-lifetime, token-no-contents, token-expiry-unknown,
default-ambiguous, overlapping-scopes, cargo-without-git, cargo-config-invalid.";

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let mut findings = Vec::new();
    let reg = load_registry(ctx, &mut findings);
    let state = ctx.state().unwrap_or_default();
    let views = git_views(&reg, &mut findings);
    for v in &views {
        helper_findings(v, &mut findings);
    }
    path_findings(&views, &mut findings);
    permission_findings(ctx, &reg, &mut findings);
    let stores = store_reports(&reg, &mut findings);
    token_findings(&reg, &state, ctx.now, &ctx.config_path, &mut findings);
    overlap_findings(&reg, &state, ctx.now, &mut findings);
    cargo_findings(&mut findings);
    findings.sort_by_key(|f| f.severity);
    let ok = findings.iter().all(|f| f.severity == Severity::Note);
    let report = Report {
        ctx,
        views: &views,
        stores: &stores,
        findings: &findings,
        ok,
    };
    let mut out = crate::cli::paint::stdout();
    if a.json {
        report.write_json(&mut out)?;
    } else {
        report.print(&mut out)?;
    }
    Ok(if ok { EXIT_OK } else { EXIT_PROBLEMS })
}

/// The registry, or an empty one when the config does not load (reported as a finding).
fn load_registry(ctx: &Context, findings: &mut Vec<Finding>) -> Registry {
    match ctx.registry() {
        Ok(r) => r,
        // Reported with its fix by permission_findings.
        Err(ConfigError::File(FileError::Insecure { .. })) => Registry::default(),
        Err(e) => {
            let what = e.to_string();
            // Only the user can decide what the line should say: no fix command.
            let hint = what
                .lines()
                .find_map(|l| l.strip_prefix("hint: "))
                .unwrap_or("");
            findings.push(Finding::new(
                Severity::Error,
                "config-invalid",
                what.lines().next().unwrap_or("").to_string(),
                &format!("nothing in it is used until it loads: git gets no tokens; {hint}"),
            ));
            Registry::default()
        }
    }
}

/// The helper list of every host, or none when git cannot be run (reported as a finding).
fn git_views(reg: &Registry, findings: &mut Vec<Finding>) -> Vec<HostView> {
    match read_git_config() {
        Ok(entries) => hosts(reg)
            .iter()
            .map(|(scheme, h)| host_view(&entries, scheme, h))
            .collect(),
        Err(e) => {
            findings.push(Finding::new(
                Severity::Error,
                "git-unavailable",
                e.to_string(),
                "the git side cannot be checked",
            ));
            Vec::new()
        }
    }
}

/// github.com, then every host the config declares or a token is for, once each.
/// (scheme, host) of github.com, then of every host the config declares or a token is for,
/// once each: https for all, and http too for a host declared with `allow_http`.
fn hosts(reg: &Registry) -> Vec<(&'static str, String)> {
    let mut hosts = vec![("https", GITHUB.to_string())];
    let more = reg
        .hosts
        .iter()
        .map(|h| &h.name)
        .chain(reg.tokens.iter().map(|t| &t.host));
    for h in more {
        if !hosts.iter().any(|(_, k)| k.eq_ignore_ascii_case(h)) {
            hosts.push(("https", h.to_ascii_lowercase()));
        }
    }
    for d in reg.hosts.iter().filter(|d| d.allow_http) {
        hosts.push(("http", d.name.to_ascii_lowercase()));
    }
    hosts
}

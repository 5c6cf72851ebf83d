//! How `import` shows its plan: each token to register with its scope, user name,
//! fingerprint and the lines it comes from; each line not imported with the reason. Never a
//! secret: tokens appear as fingerprints only.

use std::io::Write;
use std::path::PathBuf;

use super::plan::{From, LineRef, Plan};
use crate::cli::paint::{self, paint, BOLD};
use crate::messages::{shown, shown_path};
use crate::registry::Expiry;

/// `line 3`, `lines 1, 2, 7` — with the file named when several were read.
pub fn refs(lines: &[LineRef], files: &[PathBuf]) -> String {
    let mut parts = Vec::new();
    for (i, file) in files.iter().enumerate() {
        let numbers: Vec<String> = lines
            .iter()
            .filter(|l| l.file == i)
            .map(|l| l.line.to_string())
            .collect();
        if numbers.is_empty() {
            continue;
        }
        let word = if numbers.len() == 1 { "line" } else { "lines" };
        let numbers = numbers.join(", ");
        parts.push(if files.len() == 1 {
            format!("{word} {numbers}")
        } else {
            format!("{} {word} {numbers}", shown_path(file))
        });
    }
    parts.join("; ")
}

/// The plan, for people and scripts alike (stdout).
pub fn plan(
    out: &mut impl Write,
    plan: &Plan,
    files: &[PathBuf],
    store_name: &str,
    verified: bool,
    now: i64,
) -> std::io::Result<()> {
    for p in &plan.tokens {
        let t = &p.token;
        writeln!(
            out,
            "{} for {} on {}",
            paint(BOLD, &format!("token '{}'", shown(&t.name))),
            shown(&t.owner),
            shown(&t.host)
        )?;
        writeln!(out, "  repositories: {}", t.repos.describe())?;
        writeln!(
            out,
            "  permissions:  {} (assumed: the source does not say; fix it in the config if it differs)",
            t.permissions_text()
        )?;
        let expires = match t.expires {
            Expiry::Unknown if verified => "unknown (the server did not say)".to_string(),
            Expiry::Unknown => "unknown (--verify asks GitHub)".to_string(),
            e => crate::cli::shared::expiry_text(e, now),
        };
        writeln!(out, "  expires:      {expires}")?;
        writeln!(
            out,
            "  username:     {}",
            t.username.as_deref().map_or_else(
                || "(none: x-access-token, or the one git asks for)".to_string(),
                shown
            )
        )?;
        writeln!(
            out,
            "  secret:       {store_name} store, fingerprint {}",
            t.fingerprint.as_deref().unwrap_or("")
        )?;
        let from = match &p.from {
            From::Lines(lines) => refs(lines, files),
            From::Gh { command } => shown(command),
        };
        writeln!(out, "  from:         {from}")?;
        for n in &p.notes {
            writeln!(out, "  note: {n}")?;
        }
    }
    if !plan.skipped.is_empty() {
        writeln!(out, "not imported:")?;
        for s in &plan.skipped {
            writeln!(
                out,
                "  {}: {}",
                refs(&s.lines, files),
                paint::line(&s.reason)
            )?;
        }
    }
    Ok(())
}

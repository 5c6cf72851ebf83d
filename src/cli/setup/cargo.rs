//! `setup --cargo`: make cargo fetch git dependencies with git, so that they get this
//! helper's tokens, refusals and messages like any `git fetch` ([`crate::cargo`] says why
//! cargo's own libgit2 path does not). Sets `net.git-fetch-with-cli = true` in cargo's user
//! configuration, keeping the file's comments and layout, and records what it changed in
//! the data directory so that `setup --uninstall --cargo` takes back exactly that: the key
//! when setup added it, `false` again when setup turned a `false` into `true`, and nothing
//! when the setting was already true before.

use std::path::Path;

use super::record;
use crate::cargo::{self, CargoError, KEY};
use crate::context::Context;

/// The record's key when the setting was absent before setup, and when it was `false`.
const ADDED: &str = KEY;
const TURNED_ON: &str = "net.git-fetch-with-cli=false";

/// Reads cargo's file as `install`/`uninstall` will, so that a file they could not edit
/// is reported before git's configuration is changed.
pub fn precheck() -> Result<(), CargoError> {
    let file = cargo::user_config_file()?;
    if let Some(doc) = cargo::read(&file)? {
        cargo::fetch_with_cli(&doc, &file)?;
    }
    Ok(())
}

/// Two setups at once must not edit cargo's file over each other (cargo itself never
/// writes it): a lock of ours, in the data directory.
fn lock(ctx: &Context) -> Result<crate::files::Lock, crate::files::FileError> {
    crate::files::ensure_dir(&ctx.data_dir)?;
    crate::files::lock(&ctx.data_dir, ".cargo-config.lock")
}

pub fn install(ctx: &Context) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let _lock = lock(ctx)?;
    let file = cargo::user_config_file()?;
    let key = file.display().to_string();
    let shown = crate::messages::shown_path(&file);
    let mut doc = cargo::read(&file)?.unwrap_or_default();
    let was = cargo::fetch_with_cli(&doc, &file)?;
    if was == Some(true) {
        return Ok(vec![format!(
            "already set up: cargo fetches git dependencies with git ({KEY} = true in {shown}); nothing to change"
        )]);
    }
    cargo::set(&mut doc, true, &file)?;
    write(&file, &doc)?;
    let (row, note) = match was {
        Some(false) => (TURNED_ON, " (was false)"),
        _ => (ADDED, ""),
    };
    record::added(&ctx.data_dir, &key, row)?;
    let mut lines = vec![
        format!("set up cargo in {shown}:"),
        format!("  + {KEY} = true{note}  (cargo fetches git dependencies with git, which asks this helper)"),
    ];
    if std::env::var(cargo::ENV).is_ok_and(|v| v == "false") {
        lines.push(format!(
            "note: {}=false in this environment still overrides it for cargo run from here",
            cargo::ENV
        ));
    }
    Ok(lines)
}

pub fn uninstall(ctx: &Context) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let _lock = lock(ctx)?;
    let file = cargo::user_config_file()?;
    let key = file.display().to_string();
    let shown = crate::messages::shown_path(&file);
    let added = record::was_added(&ctx.data_dir, &key, ADDED);
    let turned_on = record::was_added(&ctx.data_dir, &key, TURNED_ON);
    let Some(mut doc) = cargo::read(&file)? else {
        forget(ctx, &key)?;
        return Ok(vec![format!(
            "nothing to remove for cargo: {shown} does not exist"
        )]);
    };
    let now = cargo::fetch_with_cli(&doc, &file)?;
    if now != Some(true) || !(added || turned_on) {
        forget(ctx, &key)?;
        let line = match now {
            Some(true) => {
                format!("kept {KEY} = true in {shown}: it was set before setup set up cargo")
            }
            _ => format!("nothing to remove for cargo: {KEY} is not set to true in {shown}"),
        };
        return Ok(vec![line]);
    }
    let change = if turned_on {
        cargo::set(&mut doc, false, &file)?;
        format!("  - {KEY} = true  (back to false, as it was before setup)")
    } else {
        cargo::unset(&mut doc);
        format!("  - {KEY} = true")
    };
    write(&file, &doc)?;
    forget(ctx, &key)?;
    Ok(vec![
        format!("removed setup's change to cargo from {shown}:"),
        change,
    ])
}

/// Whether the record says setup changed cargo's setting (in the file cargo reads now).
pub fn set_up_by_us(ctx: &Context) -> bool {
    let Ok(file) = cargo::user_config_file() else {
        return false;
    };
    let key = file.display().to_string();
    record::was_added(&ctx.data_dir, &key, ADDED)
        || record::was_added(&ctx.data_dir, &key, TURNED_ON)
}

fn forget(ctx: &Context, key: &str) -> Result<(), super::SetupError> {
    record::forget(&ctx.data_dir, key, ADDED)?;
    record::forget(&ctx.data_dir, key, TURNED_ON)
}

/// Where a chain of symlinks leads (a relative link read from its own directory), at most 40
/// deep like the kernel; the path itself when it is no link.
fn resolve(file: &Path) -> std::path::PathBuf {
    let mut at = file.to_path_buf();
    for _ in 0..40 {
        let Ok(next) = std::fs::read_link(&at) else {
            break;
        };
        at = match at.parent() {
            Some(dir) => dir.join(next),
            None => next,
        };
    }
    at
}

/// Writes the file atomically, keeping the mode it had (a new one is 0600 like ours); a
/// file left empty (setup created it for the one key) is removed.
fn write(file: &Path, doc: &toml_edit::DocumentMut) -> Result<(), CargoError> {
    let link = file.symlink_metadata().is_ok_and(|m| m.is_symlink());
    // Through a symlink (a dotfiles checkout), as git writes ~/.gitconfig: the link stays and
    // its target changes (issue 22 #12: the link was replaced by a regular file).
    let file = &resolve(file);
    let mut text = doc.to_string();
    if text.trim().is_empty() && !link {
        return Ok(crate::files::remove(file)?);
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let mode = std::fs::metadata(file).ok().map(|m| m.permissions());
    crate::files::write_atomic(file, text.as_bytes())?;
    if let Some(mode) = mode {
        let _ = std::fs::set_permissions(file, mode);
    }
    Ok(())
}

//! cargo's own configuration, as far as this program touches it: `net.git-fetch-with-cli`.
//!
//! cargo fetches git dependencies with its built-in libgit2 unless that setting is true.
//! libgit2 asks credential helpers its own way (NOTES.md, "Clients other than git's CLI"):
//! it ignores the empty `helper =` that resets git's list and the `quit=1` of a refusal, so
//! after this helper refuses an expired token it asks the next helper and sends whatever
//! that one has; it drops the helper's stderr, so the user sees only "failed to
//! authenticate"; it never calls `store` or `erase`; and any cargo `[http]` setting switches
//! it to a transport without authentication. With the setting true, cargo runs `git fetch`,
//! and everything this helper does for git applies.
//!
//! The file is `$CARGO_HOME/config.toml` (default `~/.cargo/config.toml`), or the older
//! `config` when that exists (cargo prefers it). It is edited with `toml_edit`, so the
//! user's comments and layout survive, and written atomically.

use std::path::{Path, PathBuf};

use toml_edit::{value, DocumentMut, Item, Table};

/// The setting, as cargo's documentation names it.
pub const KEY: &str = "net.git-fetch-with-cli";
/// The environment variable that overrides it (cargo's `CARGO_NET_GIT_FETCH_WITH_CLI`).
pub const ENV: &str = "CARGO_NET_GIT_FETCH_WITH_CLI";

#[derive(Debug, thiserror::Error)]
pub enum CargoError {
    #[error("could not read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid TOML (line {line}), so cargo cannot read it either\nhint: fix that line by hand, then run this again")]
    Syntax { path: PathBuf, line: usize },
    #[error("{path}: `net` or `net.git-fetch-with-cli` is not what cargo expects (a table, and true or false)\nhint: fix it by hand, then run this again")]
    Shape { path: PathBuf },
    #[error("cannot tell where cargo keeps its configuration: neither CARGO_HOME nor a home directory is set")]
    NoHome,
    #[error(transparent)]
    Write(#[from] crate::files::FileError),
}

/// cargo's home: `$CARGO_HOME`, else `~/.cargo`.
pub fn home() -> Option<PathBuf> {
    match std::env::var_os("CARGO_HOME") {
        Some(h) if !h.is_empty() => Some(PathBuf::from(h)),
        _ => dirs::home_dir().map(|h| h.join(".cargo")),
    }
}

/// The configuration file cargo reads in its home: `config` when it exists (cargo prefers
/// it over `config.toml`, with a warning when both exist), else `config.toml`.
pub fn config_file(home: &Path) -> PathBuf {
    let legacy = home.join("config");
    if legacy.is_file() {
        legacy
    } else {
        home.join("config.toml")
    }
}

/// The file `setup --cargo` edits and `doctor` reads.
pub fn user_config_file() -> Result<PathBuf, CargoError> {
    Ok(config_file(&home().ok_or(CargoError::NoHome)?))
}

/// Whether cargo is installed: `cargo` on PATH, or in `$CARGO_HOME/bin` (where rustup puts
/// it, also when a shell's PATH lacks it).
pub fn installed() -> bool {
    let in_home =
        home().is_some_and(|h| crate::gitconfig::is_executable(&h.join("bin").join(exe("cargo"))));
    in_home
        || std::env::var_os("PATH").is_some_and(|path| {
            std::env::split_paths(&path)
                .any(|d| crate::gitconfig::is_executable(&d.join(exe("cargo"))))
        })
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

/// The file parsed for editing; `None` when it does not exist.
pub fn read(path: &Path) -> Result<Option<DocumentMut>, CargoError> {
    let text = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CargoError::Read {
                path: path.into(),
                source,
            })
        }
    };
    let syntax = |line| CargoError::Syntax {
        path: path.into(),
        line,
    };
    let text = String::from_utf8(text).map_err(|_| syntax(1))?;
    text.parse::<DocumentMut>().map(Some).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        syntax(
            1 + text.as_bytes()[..at.min(text.len())]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
        )
    })
}

/// `net.git-fetch-with-cli` in the document: `None` when absent.
pub fn fetch_with_cli(doc: &DocumentMut, path: &Path) -> Result<Option<bool>, CargoError> {
    let shape = || CargoError::Shape { path: path.into() };
    let Some(net) = doc.get("net") else {
        return Ok(None);
    };
    let net = net.as_table_like().ok_or_else(shape)?;
    match net.get("git-fetch-with-cli") {
        None => Ok(None),
        Some(item) => item.as_bool().map(Some).ok_or_else(shape),
    }
}

/// Sets `net.git-fetch-with-cli` to `on`, in the `net` table where there is one (a dotted
/// key, an inline table or a `[net]` section), keeping the comments around an old value.
pub fn set(doc: &mut DocumentMut, on: bool, path: &Path) -> Result<(), CargoError> {
    if !doc.contains_key("net") {
        doc.insert("net", Item::Table(Table::new()));
    }
    let net = doc
        .get_mut("net")
        .and_then(Item::as_table_like_mut)
        .ok_or_else(|| CargoError::Shape { path: path.into() })?;
    match net.get_mut("git-fetch-with-cli") {
        Some(Item::Value(old)) => {
            let decor = old.decor().clone();
            *old = on.into();
            *old.decor_mut() = decor;
        }
        _ => {
            net.insert("git-fetch-with-cli", value(on));
        }
    }
    Ok(())
}

/// Removes `net.git-fetch-with-cli`, and the `net` table when that leaves it empty.
pub fn unset(doc: &mut DocumentMut) {
    let Some(net) = doc.get_mut("net").and_then(Item::as_table_like_mut) else {
        return;
    };
    net.remove("git-fetch-with-cli");
    if net.is_empty() {
        doc.remove("net");
    }
}

/// Whether cargo fetches git dependencies with git, as far as the environment and the user's
/// cargo configuration say: `CARGO_NET_GIT_FETCH_WITH_CLI` first (it overrides the files),
/// then the file in cargo's home. `None` when neither says.
pub fn effective() -> Result<(Option<bool>, PathBuf), CargoError> {
    let file = user_config_file()?;
    if let Some(v) = std::env::var_os(ENV) {
        match v.to_str() {
            Some("true") => return Ok((Some(true), file)),
            Some("false") => return Ok((Some(false), file)),
            _ => {}
        }
    }
    let doc = read(&file)?;
    let on = match &doc {
        Some(d) => fetch_with_cli(d, &file)?,
        None => None,
    };
    Ok((on, file))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(text: &str, f: impl FnOnce(&mut DocumentMut)) -> String {
        let mut doc: DocumentMut = text.parse().unwrap();
        f(&mut doc);
        doc.to_string()
    }

    #[test]
    fn the_setting_joins_the_users_net_table_wherever_it_is_and_keeps_comments() {
        let p = Path::new("c");
        let sections = "# mine\n[net]\nretry = 3 # keep\n\n[build]\njobs = 2\n";
        assert_eq!(
            edited(sections, |d| set(d, true, p).unwrap()),
            "# mine\n[net]\nretry = 3 # keep\ngit-fetch-with-cli = true\n\n[build]\njobs = 2\n"
        );
        let inline = "net = { retry = 3 }\n";
        assert_eq!(
            edited(inline, |d| set(d, true, p).unwrap()),
            "net = { retry = 3 , git-fetch-with-cli = true }\n"
        );
        let dotted = "net.git-fetch-with-cli = false # was off\n";
        assert_eq!(
            edited(dotted, |d| set(d, true, p).unwrap()),
            "net.git-fetch-with-cli = true # was off\n"
        );
        assert_eq!(
            edited("", |d| set(d, true, p).unwrap()),
            "[net]\ngit-fetch-with-cli = true\n"
        );
    }

    #[test]
    fn reading_and_unsetting() {
        let p = Path::new("c");
        let doc: DocumentMut = "[net]\ngit-fetch-with-cli = true\n".parse().unwrap();
        assert_eq!(fetch_with_cli(&doc, p).unwrap(), Some(true));
        let odd: DocumentMut = "[net]\ngit-fetch-with-cli = \"yes\"\n".parse().unwrap();
        assert!(fetch_with_cli(&odd, p).is_err());
        let none: DocumentMut = "[build]\njobs = 1\n".parse().unwrap();
        assert_eq!(fetch_with_cli(&none, p).unwrap(), None);
        assert_eq!(
            edited(
                "[net]\ngit-fetch-with-cli = true\n[build]\njobs = 1\n",
                unset
            ),
            "[build]\njobs = 1\n"
        );
        assert_eq!(
            edited("[net]\nretry = 2\ngit-fetch-with-cli = true\n", unset),
            "[net]\nretry = 2\n"
        );
    }
}

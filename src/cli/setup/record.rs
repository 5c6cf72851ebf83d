//! What setup wrote, so that `--uninstall` removes that and no more, wherever it wrote it:
//! `<data dir>/setup`, a `# ...` header line, then one `FILE KEY` line each (fields escaped
//! like the other data files). KEY is a git key setup wrote into the git config file FILE
//! (`credential.https://HOST.helper`, or `...usehttppath` when setup added it), or cargo's
//! setting in cargo's file (`net.git-fetch-with-cli`, `net.git-fetch-with-cli=false` when
//! setup turned a `false` into `true`).

use std::path::Path;

use super::SetupError;
use crate::fields::{decode, encode};
use crate::files;

const FILE: &str = "setup";
const HEADER: &str = "# keys git-credential-scoped setup added: FILE KEY\n";

/// Every row, in the order written. Comment lines are skipped: read as a row, the header
/// was written back percent-encoded and grew on every write (issue 24 #11).
pub fn rows(data_dir: &Path) -> Vec<(String, String)> {
    let Ok(Some(bytes)) = files::read_data(&data_dir.join(FILE)) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&bytes);
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (f, k) = l.split_once(' ')?;
            let f = String::from_utf8(decode(f).ok()??).ok()?;
            let k = String::from_utf8(decode(k).ok()??).ok()?;
            Some((f, k.to_ascii_lowercase()))
        })
        .collect()
}

fn save(data_dir: &Path, rows: &[(String, String)]) -> Result<(), files::FileError> {
    let mut out = String::from(HEADER);
    for (f, k) in rows {
        out.push_str(&format!(
            "{} {}\n",
            encode(Some(f.as_bytes())),
            encode(Some(k.as_bytes()))
        ));
    }
    files::ensure_dir(data_dir)?;
    let _lock = files::lock(data_dir, ".setup.lock")?;
    files::write_atomic(&data_dir.join(FILE), out.as_bytes())
}

pub fn added(data_dir: &Path, file: &str, key: &str) -> Result<(), SetupError> {
    let mut rows = rows(data_dir);
    let row = (file.to_string(), key.to_ascii_lowercase());
    if !rows.contains(&row) {
        rows.push(row);
        save(data_dir, &rows)?;
    }
    Ok(())
}

pub fn was_added(data_dir: &Path, file: &str, key: &str) -> bool {
    rows(data_dir).contains(&(file.to_string(), key.to_ascii_lowercase()))
}

pub fn forget(data_dir: &Path, file: &str, key: &str) -> Result<(), SetupError> {
    let mut all = rows(data_dir);
    let before = all.len();
    all.retain(|r| *r != (file.to_string(), key.to_ascii_lowercase()));
    if all.len() == before {
        return Ok(());
    }
    Ok(save(data_dir, &all)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_written_once_however_often_the_record_is_written() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..3 {
            added(dir.path(), "/h/.gitconfig", &format!("k{i}")).unwrap();
        }
        forget(dir.path(), "/h/.gitconfig", "k0").unwrap();
        let text = std::fs::read_to_string(dir.path().join(FILE)).unwrap();
        assert_eq!(
            text,
            format!("{HEADER}/h/.gitconfig k1\n/h/.gitconfig k2\n")
        );
        assert_eq!(rows(dir.path()).len(), 2);
    }
}

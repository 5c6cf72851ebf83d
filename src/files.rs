//! Where files live and how they are written.
//!
//! Every write is: take the directory's lock, write a temp file in the same directory, fsync,
//! rename over the old file, fsync the directory. Files are 0600 and directories 0700, so a
//! process killed at any point leaves either the old file or the new one, never half of one,
//! and concurrent git processes never lose each other's updates.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
    // A lock dies with its holder (flock), so a timeout means a live process holds it:
    // removing the lock file would only let two writers in at once.
    #[error("timed out after {waited} waiting for the lock {path}: another git-credential-scoped process is still writing\nhint: wait for it to finish; `fuser -v {path}` shows which process holds the lock")]
    LockTimeout { path: PathBuf, waited: String },
    #[error("{path} is writable by group or others; it decides where tokens are sent, so it is refused\nhint: run: chmod go-w {path}")]
    Insecure { path: PathBuf },
    #[error("{path} holds secrets and is writable by group or others, so they may have been replaced; it is refused\nhint: check it, then run: chmod {mode:o} {path}")]
    InsecureSecrets { path: PathBuf, mode: u32 },
    #[error("{dir} is writable by group or others, who could replace {path} (which decides where tokens are sent); it is refused\nhint: run: chmod go-w {dir}")]
    InsecureDir { dir: PathBuf, path: PathBuf },
    #[error("no home directory: set HOME (or XDG_CONFIG_HOME and XDG_DATA_HOME)")]
    NoHome,
}

pub fn io_err<'p>(
    action: &'static str,
    path: &'p Path,
) -> impl FnOnce(io::Error) -> FileError + 'p {
    move |source| FileError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// The registry file: `--config`, else `GIT_CREDENTIAL_SCOPED_CONFIG`, else
/// `<config dir>/git-credential-scoped/config.toml`.
pub fn config_path(flag: Option<&Path>) -> Result<PathBuf, FileError> {
    if let Some(p) = flag {
        return Ok(p.to_path_buf());
    }
    if let Some(p) = std::env::var_os("GIT_CREDENTIAL_SCOPED_CONFIG").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    Ok(dirs::config_dir()
        .ok_or(FileError::NoHome)?
        .join("git-credential-scoped")
        .join("config.toml"))
}

/// Usage state, the generic credential index and the file secret store:
/// `GIT_CREDENTIAL_SCOPED_DATA_DIR`, else `<data dir>/git-credential-scoped`.
pub fn data_dir() -> Result<PathBuf, FileError> {
    if let Some(p) = std::env::var_os("GIT_CREDENTIAL_SCOPED_DATA_DIR").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    Ok(dirs::data_dir()
        .ok_or(FileError::NoHome)?
        .join("git-credential-scoped"))
}

/// Creates a directory (and its parents) with mode 0700.
pub fn ensure_dir(dir: &Path) -> Result<(), FileError> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir).map_err(io_err("create directory", dir))
}

/// Reads a file; a missing file is `None`.
pub fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("read", path)(e)),
    }
}

/// Replaces `path` with `bytes` atomically, mode 0600. Call with the directory's lock held.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    // A writer killed between creating its temp file and the rename leaves the temp file
    // behind (for the secrets file, with secrets in it). The caller holds this file's lock,
    // so any temp file of this name is such a leftover: remove it.
    let prefix = format!(
        ".{}.tmp-",
        path.file_name()
            .map_or("file".into(), |n| n.to_string_lossy())
    );
    remove_leftovers(dir, &prefix);
    // tempfile creates the file 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(&prefix)
        .tempfile_in(dir)
        .map_err(io_err("create a temporary file in", dir))?;
    tmp.write_all(bytes).map_err(io_err("write", tmp.path()))?;
    tmp.as_file()
        .sync_all()
        .map_err(io_err("sync", tmp.path()))?;
    replace(tmp, path)?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(not(windows))]
fn replace(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), FileError> {
    tmp.persist(path).map_err(|e| FileError::Io {
        action: "replace",
        path: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Windows refuses to rename over a file another process has open, such as a concurrent
/// `get` reading it (tempfile's `persist` then fails with "Access denied"). std's rename
/// retries such a refusal with POSIX semantics, which replaces the file as rename(2) does
/// while readers keep the old one. A program that opened it without sharing delete access
/// (an editor, a virus scanner) still blocks it; those holds are short, so try again for a
/// while.
#[cfg(windows)]
fn replace(tmp: tempfile::NamedTempFile, path: &Path) -> Result<(), FileError> {
    let failed = |source| FileError::Io {
        action: "replace",
        path: path.to_path_buf(),
        source,
    };
    // keep() also clears the temp file's FILE_ATTRIBUTE_TEMPORARY, as persist() would.
    let tmp_path = tmp.into_temp_path().keep().map_err(|e| failed(e.error))?;
    let start = Instant::now();
    loop {
        match fs::rename(&tmp_path, path) {
            Ok(()) => return Ok(()),
            Err(e)
                if e.kind() == io::ErrorKind::PermissionDenied && start.elapsed() < lock_wait() =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(e) => {
                let _ = fs::remove_file(&tmp_path);
                return Err(failed(e));
            }
        }
    }
}

/// An exclusive advisory lock on `<dir>/<name>`, released on drop (and by the OS when the
/// process dies, so a killed process never blocks the others). Locks are per open file, so
/// one process must not take the same lock twice; each file family has its own lock name.
pub struct Lock {
    _file: File,
}

fn remove_leftovers(dir: &Path, prefix: &str) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// How long a writer waits for another before giving up with a clear error.
pub const LOCK_WAIT: Duration = Duration::from_secs(10);

/// [`LOCK_WAIT`], or `GIT_CREDENTIAL_SCOPED_LOCK_WAIT_MS` when set (read once; for tests
/// that show the timeout without waiting ten seconds).
pub fn lock_wait() -> Duration {
    static WAIT: std::sync::OnceLock<Duration> = std::sync::OnceLock::new();
    *WAIT.get_or_init(|| {
        std::env::var("GIT_CREDENTIAL_SCOPED_LOCK_WAIT_MS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map_or(LOCK_WAIT, Duration::from_millis)
    })
}

pub fn lock(dir: &Path, name: &str) -> Result<Lock, FileError> {
    ensure_dir(dir)?;
    let path = dir.join(name);
    let mut opts = OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts
        .open(&path)
        .map_err(io_err("open the lock file", &path))?;
    let start = Instant::now();
    let wait = lock_wait();
    let mut pause = Duration::from_millis(1);
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
        }
        if start.elapsed() >= wait {
            let waited = match wait.as_millis() {
                ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
                ms => format!("{ms} ms"),
            };
            return Err(FileError::LockTimeout { path, waited });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// A file holding secrets, and its directory, must be private (SPEC §6: 0600 and 0700).
/// Writable by group or others: refused, since its secrets may have been replaced. Readable
/// or searchable by them: repaired to 0600 / 0700, with one warning line on stderr (git shows
/// it) saying the secrets may have been read.
pub fn ensure_private(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        for (p, mode) in [(dir, 0o700), (Some(path), 0o600)] {
            let Some(p) = p else { continue };
            let Ok(meta) = fs::metadata(p) else { continue };
            let old = meta.permissions().mode() & 0o7777;
            if old & 0o022 != 0 {
                return Err(FileError::InsecureSecrets {
                    path: p.to_path_buf(),
                    mode,
                });
            }
            if old & 0o077 != 0 {
                fs::set_permissions(p, fs::Permissions::from_mode(mode))
                    .map_err(io_err("change the mode of", p))?;
                let _ = writeln!(
                    io::stderr(),
                    "{}warning: {} was readable by group or others (mode {old:04o}); changed it to {mode:04o}. Consider the secrets in it exposed and rotate them",
                    crate::messages::PREFIX,
                    p.display()
                );
            }
        }
    }
    let _ = path;
    Ok(())
}

/// Refuses a file that group or others may write (it decides where tokens are sent).
pub fn check_not_world_writable(path: &Path) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = fs::metadata(path) {
            if meta.permissions().mode() & 0o022 != 0 {
                return Err(FileError::Insecure {
                    path: path.to_path_buf(),
                });
            }
            // Whoever may write the directory may rename another file over this one —
            // unless the sticky bit (as on /tmp) keeps them to their own files.
            let dir = path
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if let Ok(d) = fs::metadata(dir) {
                let mode = d.permissions().mode();
                if mode & 0o022 != 0 && mode & 0o1000 == 0 {
                    return Err(FileError::InsecureDir {
                        dir: dir.to_path_buf(),
                        path: path.to_path_buf(),
                    });
                }
            }
        }
    }
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_creates_private_files_and_dirs() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("a/b/state");
        let _lock = lock(file.parent().unwrap(), ".lock").unwrap();
        write_atomic(&file, b"one").unwrap();
        write_atomic(&file, b"two").unwrap();
        assert_eq!(fs::read(&file).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                fs::metadata(&file).unwrap().permissions().mode() & 0o777,
                0o600
            );
            assert_eq!(
                fs::metadata(tmp.path().join("a"))
                    .unwrap()
                    .permissions()
                    .mode()
                    & 0o777,
                0o700
            );
        }
        let leftovers: Vec<_> = fs::read_dir(file.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
            .collect();
        assert!(leftovers.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_readable_by_others_are_repaired_and_writable_ones_refused() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        let file = dir.join("secrets");
        fs::create_dir(&dir).unwrap();
        fs::write(&file, "").unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        ensure_private(&file).unwrap();
        assert_eq!((mode(&dir), mode(&file)), (0o700, 0o600));
        fs::set_permissions(&file, fs::Permissions::from_mode(0o666)).unwrap();
        assert!(matches!(
            ensure_private(&file),
            Err(FileError::InsecureSecrets { mode: 0o600, .. })
        ));
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o770)).unwrap();
        assert!(matches!(
            ensure_private(&file),
            Err(FileError::InsecureSecrets { mode: 0o700, .. })
        ));
        // A file that does not exist yet is not an error.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
        assert!(ensure_private(&dir.join("none")).is_ok());
    }

    // Windows: a concurrent `get` holding the file open must not make the write fail.
    #[test]
    #[cfg_attr(
        wine,
        ignore = "wine 8 refuses to rename over an open file even with POSIX semantics"
    )]
    fn a_file_open_for_reading_is_replaced_and_its_reader_keeps_the_old_bytes() {
        use std::io::Read;
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("secrets");
        write_atomic(&file, b"old").unwrap();
        let mut reader = File::open(&file).unwrap();
        write_atomic(&file, b"new").unwrap();
        let mut old = Vec::new();
        reader.read_to_end(&mut old).unwrap();
        assert_eq!(old, b"old");
        assert_eq!(fs::read(&file).unwrap(), b"new");
    }

    #[test]
    fn a_killed_writers_temp_file_is_removed_by_the_next_write() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("state");
        let leftover = tmp.path().join(".state.tmp-abc123");
        let other = tmp.path().join(".secrets.tmp-abc123");
        fs::write(&leftover, "half").unwrap();
        fs::write(&other, "another family's, in progress").unwrap();
        write_atomic(&file, b"new").unwrap();
        assert!(!leftover.exists());
        assert!(other.exists(), "temp files of other files are not touched");
    }

    #[cfg(unix)]
    #[test]
    fn a_config_in_a_directory_others_may_write_is_refused_unless_sticky() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shared");
        fs::create_dir(&dir).unwrap();
        let file = dir.join("config.toml");
        fs::write(&file, "").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o600)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        assert!(matches!(
            check_not_world_writable(&file),
            Err(FileError::InsecureDir { .. })
        ));
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o1777)).unwrap();
        assert!(check_not_world_writable(&file).is_ok());
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        assert!(check_not_world_writable(&file).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn group_writable_files_are_refused() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config.toml");
        fs::write(&file, "").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o620)).unwrap();
        assert!(matches!(
            check_not_world_writable(&file),
            Err(FileError::Insecure { .. })
        ));
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(check_not_world_writable(&file).is_ok());
    }
}

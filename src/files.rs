//! Where files live, how they are read, and how they are written.
//!
//! Reading: only regular files are opened (with `O_NONBLOCK`, then `fstat`, so a FIFO or a
//! device put in a file's place cannot hang or flood a `get`), up to a size cap. Whatever
//! decides where a token goes is held to one rule: only its owner (or root) may change it.
//! The config file — followed through any symlink to where it really lives — must be owned
//! by the user or root and writable by no one else, in a directory no one else may write
//! (unless sticky, as /tmp). The data directory holds derived and usage data that also
//! steers `get` (the registry cache, the generic credential index, the file secret store),
//! so it and every file read from it must be the user's own and writable by no one else;
//! symlinks there are not followed.
//!
//! Writing: take the directory's lock, write a temp file in the same directory, fsync,
//! rename over the old file, fsync the directory. Files are 0600 and directories 0700, so a
//! process killed at any point leaves either the old file or the new one, never half of one,
//! and concurrent git processes never lose each other's updates.
//!
//! Nothing here prints: problems are errors, and repairs come back as warning lines for the
//! caller to say.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

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
    #[error("{path} is not a regular file (a FIFO, device, directory or socket); it is refused\nhint: move it away; the program recreates what it needs")]
    NotRegular { path: PathBuf },
    #[error("{path} is a symbolic link; files in the data directory are never followed through links\nhint: replace the link with the file itself")]
    Symlink { path: PathBuf },
    #[error("{path} is larger than {limit} MiB; it is refused")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path} belongs to another user (uid {uid}); it decides where tokens are sent, so only you or root may own it\nhint: check it; if it is yours to use, run: chown \"$(id -u)\" {path}")]
    NotOwned { path: PathBuf, uid: u32 },
    #[error("{path} (the data directory) may be written by group or others, who could plant data that steers where tokens go; it is refused\nhint: run: chmod 700 {path}")]
    InsecureDataDir { path: PathBuf },
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

/// Size caps: a file over its cap is refused rather than read into memory.
pub const CONFIG_CAP: u64 = 256 << 20;
pub const DATA_CAP: u64 = 1 << 30;

/// How a file is held to the rules above.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// The config: followed through links; owner the user or root; not writable by others;
    /// its real directory not writable by others unless sticky.
    Config,
    /// A file in the data directory: not a link; owner the user; not writable by others.
    Data,
}

/// Reads the config file, held to its rules; a missing file is `None`.
pub fn read_config(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    let real = match fs::canonicalize(path) {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("read", path)(e)),
    };
    check_dir(&real, Rule::Config)?;
    read_with(&real, Rule::Config, CONFIG_CAP)
}

/// Reads a file of the data directory, held to its rules; a missing file is `None`.
pub fn read_data(path: &Path) -> Result<Option<Vec<u8>>, FileError> {
    check_dir(path, Rule::Data)?;
    read_with(path, Rule::Data, DATA_CAP)
}

/// Reads a file that holds a secret (its directory already checked by the caller with
/// [`ensure_private`]): held to the data rules, refused when group or others may write
/// it, repaired to 0600 when they may read it (the warning returned says so). One open and
/// one fstat: the `get` path reads one of these per request.
/// A secret's bytes and the warning about a repair made while reading them.
pub type SecretFile = (Vec<u8>, Option<String>);

pub fn read_secret_file(path: &Path) -> Result<Option<SecretFile>, FileError> {
    use io::Read;
    let Some((mut file, len)) = open_secret(path)? else {
        return Ok(None);
    };
    // Only unix has modes to repair.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut warning = None;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file
            .metadata()
            .map_err(io_err("read", path))?
            .permissions()
            .mode()
            & 0o7777;
        if mode & 0o077 != 0 {
            file.set_permissions(fs::Permissions::from_mode(0o600))
                .map_err(io_err("change the mode of", path))?;
            warning = Some(format!(
                "warning: {} was readable by group or others (mode {mode:04o}); changed it to 0600. Consider the secrets in it exposed and rotate them",
                path.display()
            ));
        }
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    (&mut file)
        .take(DATA_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err("read", path))?;
    Ok(Some((bytes, warning)))
}

/// [`open_checked`] for a secret's file: writable by others means its secret may have been
/// replaced, which is the secrets error, not the data one.
fn open_secret(path: &Path) -> Result<Option<(File, u64)>, FileError> {
    match open_checked(path, Rule::Data, DATA_CAP) {
        Err(FileError::Insecure { path }) => Err(FileError::InsecureSecrets { path, mode: 0o600 }),
        other => other,
    }
}

/// Opens a file of the data directory for reading in parts (the registry cache), with the
/// size its fstat saw.
pub fn open_data(path: &Path) -> Result<Option<(File, u64)>, FileError> {
    check_dir(path, Rule::Data)?;
    open_checked(path, Rule::Data, DATA_CAP)
}

fn read_with(path: &Path, rule: Rule, cap: u64) -> Result<Option<Vec<u8>>, FileError> {
    use io::Read;
    let Some((file, len)) = open_checked(path, rule, cap)? else {
        return Ok(None);
    };
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(io_err("read", path))?;
    if bytes.len() as u64 > cap {
        return Err(FileError::TooLarge {
            path: path.into(),
            limit: cap >> 20,
        });
    }
    Ok(Some(bytes))
}

/// Opens `path` without blocking (a FIFO's open would wait for a writer), then checks what
/// it opened: a regular file, within the cap, owned and moded as `rule` says.
fn open_checked(path: &Path, rule: Rule, cap: u64) -> Result<Option<(File, u64)>, FileError> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if rule == Rule::Data {
            libc::O_NOFOLLOW
        } else {
            0
        };
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | nofollow);
    }
    let file = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            return Err(FileError::Symlink { path: path.into() })
        }
        Err(e) => return Err(io_err("read", path)(e)),
    };
    let meta = file.metadata().map_err(io_err("read", path))?;
    if !meta.is_file() {
        return Err(FileError::NotRegular { path: path.into() });
    }
    if meta.len() > cap {
        return Err(FileError::TooLarge {
            path: path.into(),
            limit: cap >> 20,
        });
    }
    check_owner_and_mode(path, &meta, rule)?;
    Ok(Some((file, meta.len())))
}

#[cfg(unix)]
fn euid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

#[cfg(unix)]
fn check_owner_and_mode(path: &Path, meta: &fs::Metadata, rule: Rule) -> Result<(), FileError> {
    use std::os::unix::fs::MetadataExt;
    let uid = meta.uid();
    let me = euid();
    let owner_ok = uid == me || (rule == Rule::Config && uid == 0);
    if !owner_ok {
        return Err(FileError::NotOwned {
            path: path.into(),
            uid,
        });
    }
    if meta.mode() & 0o022 != 0 {
        return Err(FileError::Insecure { path: path.into() });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner_and_mode(_: &Path, _: &fs::Metadata, _: Rule) -> Result<(), FileError> {
    // Windows: files live in the per-user profile, whose ACLs admit only the user (GUIDE).
    Ok(())
}

/// The directory of `path` (already resolved for the config) held to `rule`.
fn check_dir(path: &Path, rule: Rule) -> Result<(), FileError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let Ok(meta) = fs::metadata(dir) else {
            return Ok(());
        };
        let (uid, mode, me) = (meta.uid(), meta.mode(), euid());
        match rule {
            // Whoever may write the directory may rename another file over the config —
            // unless the sticky bit (as on /tmp) keeps them to their own files.
            Rule::Config => {
                if mode & 0o022 != 0 && mode & 0o1000 == 0 {
                    return Err(FileError::InsecureDir {
                        dir: dir.to_path_buf(),
                        path: path.to_path_buf(),
                    });
                }
                if uid != me && uid != 0 && mode & 0o1000 == 0 {
                    return Err(FileError::NotOwned {
                        path: dir.to_path_buf(),
                        uid,
                    });
                }
            }
            // In the data directory anyone who may create a file could plant a missing one:
            // no exception for sticky directories.
            Rule::Data => {
                if uid != me {
                    return Err(FileError::NotOwned {
                        path: dir.to_path_buf(),
                        uid,
                    });
                }
                if mode & 0o022 != 0 {
                    return Err(FileError::InsecureDataDir {
                        path: dir.to_path_buf(),
                    });
                }
            }
        }
    }
    let _ = (path, rule);
    Ok(())
}

/// Test builds only: `GIT_CREDENTIAL_SCOPED_TEST_FAIL=NAME` makes every write or removal of
/// a file called NAME fail, as a full disk would, so tests can show that a change of
/// several steps leaves the old state whole. Release builds have no such hook.
fn injected_failure(path: &Path, action: &'static str) -> Result<(), FileError> {
    if cfg!(debug_assertions) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
        if name.is_some() && std::env::var("GIT_CREDENTIAL_SCOPED_TEST_FAIL").ok() == name {
            return Err(io_err(action, path)(io::Error::other(
                "injected failure (test)",
            )));
        }
    }
    Ok(())
}

/// Removes a file; one that is not there is not an error.
pub fn remove(path: &Path) -> Result<(), FileError> {
    injected_failure(path, "remove")?;
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io_err("remove", path)(e)),
    }
}

/// Replaces `path` with `bytes` atomically, mode 0600. A file whose new content depends on
/// its old one must be written with its lock held; a file written whole (one secret) needs
/// none: each writer's temp file is its own, and the rename is atomic.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_atomic_then(path, bytes)?.sync();
    Ok(())
}

/// [`write_atomic`] up to the rename, for a writer that holds a lock: the file's content is
/// on disk and in place, and the rename is made durable by [`Renamed::sync`] once the lock
/// is released (no other writer needs to wait for that).
pub fn write_atomic_then(path: &Path, bytes: &[u8]) -> Result<Renamed, FileError> {
    write_replacing(path, bytes, true)
}

/// [`write_atomic`] without syncing to disk, for derived data that its reader checks (the
/// registry cache): after a crash the file may be old or torn, never another's.
pub fn write_derived(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    write_replacing(path, bytes, false).map(drop)
}

/// A file renamed into place whose directory is still to be synced.
#[must_use = "call sync() once the lock is released"]
pub struct Renamed {
    dir: Option<PathBuf>,
}

impl Renamed {
    /// Syncs the directory, so that the rename survives a crash.
    pub fn sync(self) {
        if let Some(d) = self.dir.as_deref().and_then(|d| File::open(d).ok()) {
            let _ = d.sync_all();
        }
    }
}

fn write_replacing(path: &Path, bytes: &[u8], durable: bool) -> Result<Renamed, FileError> {
    injected_failure(path, "write")?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    ensure_dir(dir)?;
    let prefix = format!(
        ".{}.tmp-",
        path.file_name()
            .map_or("file".into(), |n| n.to_string_lossy())
    );
    // A writer killed between creating its temp file and the rename leaves the temp file
    // behind (for a secret, with the secret in it): remove those of this name.
    remove_leftovers(dir, |name| name.starts_with(prefix.as_str()));
    let mut attempt = 0;
    loop {
        attempt += 1;
        match write_once(dir, &prefix, path, bytes, durable) {
            // Another writer took a temp file just made for a dead one's and removed it:
            // make another.
            Err(e) if e.kind() == io::ErrorKind::NotFound && attempt < 4 => continue,
            Err(e) => return Err(io_err("replace", path)(e)),
            Ok(()) => break,
        }
    }
    Ok(Renamed {
        dir: durable.then(|| dir.to_path_buf()),
    })
}

/// One try: a temp file of our own (locked, so that no one takes it for a dead writer's),
/// written, synced when `durable`, and renamed over `path`.
fn write_once(
    dir: &Path,
    prefix: &str,
    path: &Path,
    bytes: &[u8],
    durable: bool,
) -> io::Result<()> {
    // tempfile creates the file 0600 on Unix.
    let mut tmp = tempfile::Builder::new().prefix(prefix).tempfile_in(dir)?;
    if tmp.as_file().try_lock().is_err() {
        return Err(io::ErrorKind::NotFound.into());
    }
    tmp.write_all(bytes)?;
    if durable {
        tmp.as_file().sync_all()?;
    }
    replace(tmp, path)
}

#[cfg(not(windows))]
fn replace(tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    tmp.persist(path).map(drop).map_err(|e| e.error)
}

/// Windows refuses to rename over a file another process has open, such as a concurrent
/// `get` reading it (tempfile's `persist` then fails with "Access denied"). std's rename
/// retries such a refusal with POSIX semantics, which replaces the file as rename(2) does
/// while readers keep the old one. A program that opened it without sharing delete access
/// (an editor, a virus scanner) still blocks it; those holds are short, so try again for a
/// while. The temp file stays open, and so locked, until it has been renamed.
#[cfg(windows)]
fn replace(tmp: tempfile::NamedTempFile, path: &Path) -> io::Result<()> {
    // keep() also clears the temp file's FILE_ATTRIBUTE_TEMPORARY, as persist() would.
    let (file, tmp_path) = tmp.keep().map_err(|e| e.error)?;
    let start = std::time::Instant::now();
    let result = loop {
        match fs::rename(&tmp_path, path) {
            Err(e)
                if e.kind() == io::ErrorKind::PermissionDenied && start.elapsed() < lock_wait() =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => break other,
        }
    };
    if result.is_err() {
        let _ = fs::remove_file(&tmp_path);
    }
    drop(file);
    result
}

/// An exclusive advisory lock on `<dir>/<name>`, released on drop (and by the OS when the
/// process dies, so a killed process never blocks the others). Locks are per open file, so
/// one process must not take the same lock twice; each file family has its own lock name.
pub struct Lock {
    _file: File,
}

/// Removes every temp file in `dir` whose writer is gone, whatever file it was for: for a
/// directory of one file per secret, where a writer killed before its rename leaves the
/// secret in a temp file that no later write of that same file may ever come to clean.
pub fn remove_dead_writers(dir: &Path) {
    remove_leftovers(dir, |name| name.starts_with('.') && name.contains(".tmp-"));
}

/// Removes the temp files whose names `ours` accepts and whose writer is gone: a live
/// writer holds its temp file's lock; a dead one's lock went with it.
fn remove_leftovers(dir: &Path, ours: impl Fn(&str) -> bool) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        if !ours(&e.file_name().to_string_lossy()) {
            continue;
        }
        let mut opts = OpenOptions::new();
        opts.read(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::custom_flags(
            &mut opts,
            libc::O_NOFOLLOW | libc::O_NONBLOCK,
        );
        if let Ok(f) = opts.open(e.path()) {
            if f.try_lock().is_ok() {
                let _ = fs::remove_file(e.path());
            }
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
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Not blocking on a FIFO, not following a link: a lock file is ours or refused.
        opts.mode(0o600)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let file = match opts.open(&path) {
        Ok(f) => f,
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(FileError::Symlink { path }),
        #[cfg(unix)]
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            return Err(FileError::NotRegular { path })
        }
        Err(e) => return Err(io_err("open the lock file", &path)(e)),
    };
    if !file
        .metadata()
        .map_err(io_err("open the lock file", &path))?
        .is_file()
    {
        return Err(FileError::NotRegular { path });
    }
    match file.try_lock() {
        Ok(()) => return Ok(Lock { _file: file }),
        Err(fs::TryLockError::WouldBlock) => {}
        Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
    }
    wait_for_lock(file, path)
}

/// Waits for a lock another process holds, in the kernel's queue (a blocking lock on a
/// thread of its own), up to [`lock_wait`]. Polling with a growing pause instead let
/// newcomers, which poll often, take the lock again and again from a waiter that had
/// backed off to long pauses: with 32 writers on a loaded machine a `store` starved for
/// ten seconds. On a timeout the waiting thread stays blocked until the lock comes free or
/// the process ends; it then closes the file, which releases the lock unused.
#[cfg(unix)]
fn wait_for_lock(file: File, path: PathBuf) -> Result<Lock, FileError> {
    let wait = lock_wait();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::Builder::new().spawn(move || {
        let locked = file.lock().map(|()| file);
        // The receiver is gone after a timeout: the file is dropped, the lock released.
        let _ = tx.send(locked);
    });
    if let Err(e) = waiter {
        return Err(io_err("wait for the lock", &path)(e));
    }
    match rx.recv_timeout(wait) {
        Ok(Ok(file)) => Ok(Lock { _file: file }),
        Ok(Err(e)) => Err(io_err("lock", &path)(e)),
        Err(_) => Err(lock_timeout(path, wait)),
    }
}

/// Windows: a thread blocked in `LockFileEx` holds up the end of the process (seen under
/// wine: a timed-out writer then waited for the holder), so the waiter polls, briefly.
#[cfg(not(unix))]
fn wait_for_lock(file: File, path: PathBuf) -> Result<Lock, FileError> {
    let wait = lock_wait();
    let started = std::time::Instant::now();
    while started.elapsed() < wait {
        std::thread::sleep(Duration::from_millis(5));
        match file.try_lock() {
            Ok(()) => return Ok(Lock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(io_err("lock", &path)(e)),
        }
    }
    Err(lock_timeout(path, wait))
}

fn lock_timeout(path: PathBuf, wait: Duration) -> FileError {
    let waited = match wait.as_millis() {
        ms if ms % 1000 == 0 => format!("{} s", ms / 1000),
        ms => format!("{ms} ms"),
    };
    FileError::LockTimeout { path, waited }
}

/// A file holding secrets, and its directory, must be private (SPEC §6: 0600 and 0700).
/// Writable by group or others: refused, since its secrets may have been replaced. Readable
/// or searchable by them: repaired to 0600 / 0700; the warnings returned (for the caller to
/// say) tell the user the secrets may have been read.
pub fn ensure_private(path: &Path) -> Result<Vec<String>, FileError> {
    // Only unix has modes to repair.
    #[cfg_attr(not(unix), allow(unused_mut))]
    let mut warnings = Vec::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty());
        for (p, file_mode) in [(dir, 0o700), (Some(path), 0o600)] {
            let Some(p) = p else { continue };
            let Ok(meta) = fs::symlink_metadata(p) else {
                continue;
            };
            let mode = if meta.is_dir() { 0o700 } else { file_mode };
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
                warnings.push(format!(
                    "warning: {} was readable by group or others (mode {old:04o}); changed it to {mode:04o}. Consider the secrets in it exposed and rotate them",
                    p.display()
                ));
            }
        }
    }
    let _ = path;
    Ok(warnings)
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
    fn chmod(p: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_config_in_a_directory_others_may_write_is_refused_unless_sticky() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("shared");
        fs::create_dir(&dir).unwrap();
        let file = dir.join("config.toml");
        fs::write(&file, "").unwrap();
        chmod(&file, 0o600);
        chmod(&dir, 0o777);
        assert!(matches!(
            read_config(&file),
            Err(FileError::InsecureDir { .. })
        ));
        chmod(&dir, 0o1777);
        assert!(read_config(&file).is_ok());
        chmod(&dir, 0o755);
        assert!(read_config(&file).unwrap().is_some());
    }

    #[cfg(unix)]
    #[test]
    fn group_writable_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config.toml");
        fs::write(&file, "").unwrap();
        chmod(&file, 0o620);
        assert!(matches!(
            read_config(&file),
            Err(FileError::Insecure { .. })
        ));
        chmod(&file, 0o644);
        assert!(read_config(&file).is_ok());
    }

    #[cfg(unix)]
    #[test]
    fn a_config_is_judged_where_its_symlink_leads() {
        // Issue 12 #3: the link's own directory was checked, not the target's.
        let tmp = tempfile::tempdir().unwrap();
        let open = tmp.path().join("open");
        let mine = tmp.path().join("mine");
        fs::create_dir(&open).unwrap();
        fs::create_dir(&mine).unwrap();
        chmod(&open, 0o777);
        let target = open.join("config.toml");
        fs::write(&target, "").unwrap();
        chmod(&target, 0o600);
        let link = mine.join("config.toml");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(matches!(
            read_config(&link),
            Err(FileError::InsecureDir { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn files_of_another_user_are_refused() {
        // Issue 12 #3: only mode bits were checked. Changing a file's owner needs root (CI).
        use std::os::unix::fs::MetadataExt;
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("config.toml");
        fs::write(&file, "").unwrap();
        chmod(&file, 0o644);
        if euid() != 0 {
            eprintln!("skipped: changing a file's owner needs root");
            return;
        }
        std::os::unix::fs::chown(&file, Some(4242), None).unwrap();
        assert_eq!(fs::metadata(&file).unwrap().uid(), 4242);
        assert!(matches!(
            read_config(&file),
            Err(FileError::NotOwned { uid: 4242, .. })
        ));
        assert!(matches!(
            read_data(&file),
            Err(FileError::NotOwned { uid: 4242, .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_read_and_never_block() {
        // Issue 12 #7: a FIFO or /dev/zero in a file's place hung or grew without bound.
        let tmp = tempfile::tempdir().unwrap();
        let fifo = tmp.path().join("registry.cache");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            read_data(&fifo),
            Err(FileError::NotRegular { .. })
        ));
        assert!(matches!(
            open_data(&fifo),
            Err(FileError::NotRegular { .. })
        ));
        assert!(matches!(
            read_config(&fifo),
            Err(FileError::NotRegular { .. })
        ));
        let lock_fifo = tmp.path().join(".x.lock");
        let c = std::ffi::CString::new(lock_fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: as above.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            lock(tmp.path(), ".x.lock"),
            Err(FileError::NotRegular { .. })
        ));
        let zero = tmp.path().join("zero");
        std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
        assert!(matches!(read_data(&zero), Err(FileError::Symlink { .. })));
        assert!(matches!(
            read_config(&zero),
            Err(FileError::NotRegular { .. })
        ));
    }

    #[cfg(unix)]
    #[test]
    fn a_data_directory_others_may_write_is_refused_even_if_sticky() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("data");
        fs::create_dir(&dir).unwrap();
        let file = dir.join("state");
        fs::write(&file, "").unwrap();
        chmod(&file, 0o600);
        for mode in [0o777, 0o1777, 0o770] {
            chmod(&dir, mode);
            assert!(
                matches!(read_data(&file), Err(FileError::InsecureDataDir { .. })),
                "{mode:o}"
            );
        }
        chmod(&dir, 0o700);
        assert!(read_data(&file).unwrap().is_some());
        chmod(&file, 0o666);
        assert!(matches!(read_data(&file), Err(FileError::Insecure { .. })));
    }
}

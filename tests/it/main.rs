//! One integration binary; modules mirror what they drive. Every test runs in a fresh
//! hermetic environment ([`support::Env`]).

mod support;

mod check;
mod cli;
mod concurrency;
mod crash;
mod differential;
// The GUIDE's and FAQ's shell blocks run with sh -e (and readme.rs finds them).
#[cfg(unix)]
mod docs;
mod doctor;
mod doctor_fixes;
mod e2e;
mod edit;
mod escaping;
mod first_hour;
mod fixes;
mod generic;
mod github;
// ELF files and core limits are unix things (src/harden.rs says what Windows does).
#[cfg(unix)]
mod glance;
#[cfg(unix)]
mod hardening;
mod honest_check;
mod hostile;
mod hygiene;
mod import;
// install.sh is POSIX sh and is not the Windows installer (README: install on Windows).
#[cfg(unix)]
mod install;
// Issue 12's cases are unix files: modes, symlinks, FIFOs, a Unix socket as the session bus.
#[cfg(unix)]
mod integrity;
mod integrity2;
// A private Secret Service (D-Bus, gnome-keyring) is Linux's keyring; the others: os_keyring.rs.
#[cfg(target_os = "linux")]
mod keyring;
mod layout;
mod messages;
mod monitor;
// The shipped binary's round trips (scripts/test.sh runs them with the musl build).
#[cfg(unix)]
mod musl;
mod online;
// Keychain and Credential Manager; Linux's Secret Service is keyring.rs.
#[cfg(any(target_os = "macos", windows))]
mod os_keyring;
// Modes 0600/0700 are unix permission bits; Windows keeps the files private by the profile's ACLs.
#[cfg(unix)]
mod permissions;
mod props;
mod protocol;
// A pseudo-terminal as the controlling terminal: what a person at a prompt sees and types.
#[cfg(target_os = "linux")]
mod pty;
// The README's shell blocks run with sh -e and install.sh (see install.rs).
#[cfg(unix)]
mod readme;
// install.sh's release path: a loopback HTTPS server, tar and curl (see release_install.rs).
#[cfg(unix)]
mod release_install;
// The secret command counting its runs is sh.
#[cfg(unix)]
mod roundtrip;
mod secrets_hygiene;
mod setup;
// The system helpers are sh scripts here; under wine there is no git at all.
#[cfg(unix)]
mod system_helpers;
mod token;

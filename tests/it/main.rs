//! One integration binary; modules mirror what they drive. Every test runs in a fresh
//! hermetic environment ([`support::Env`]).

mod support;

mod check;
mod cli;
mod concurrency;
mod crash;
mod docs;
mod doctor;
mod doctor_fixes;
mod e2e;
mod edit;
mod fixes;
mod generic;
mod github;
#[cfg(unix)]
mod glance;
mod hostile;
mod hygiene;
mod import;
mod install;
mod integrity;
mod keyring;
mod monitor;
mod online;
mod permissions;
mod props;
mod protocol;
mod readme;
mod secrets_hygiene;
mod setup;
mod token;

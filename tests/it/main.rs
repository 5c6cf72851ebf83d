//! One integration binary; modules mirror what they drive. Every test runs in a fresh
//! hermetic environment ([`support::Env`]).

mod support;

mod cli;
mod generic;
mod github;
mod keyring;
mod protocol;
mod secrets_hygiene;

//! git-credential-scoped: a git credential helper that sends each repository the GitHub
//! fine-grained token whose scope covers it, refuses tokens that cannot work before git sends
//! them, and stores credentials for every other host like git's own helpers.
//!
//! Data flows one way: stdin bytes → [`protocol::Request`] → [`remote`] → [`scope`]
//! candidates → [`policy`] verdict → answer bytes; [`resolve`] is the pipeline that `get` and
//! `check` share. Files and secret stores are at the edges ([`registry`], [`secrets`]).

pub mod change;
pub mod cli;
pub mod context;
pub mod diag;
pub mod fields;
pub mod files;
pub mod generic;
pub mod gitconfig;
pub mod github;
pub mod helper;
pub mod messages;
pub mod policy;
pub mod protocol;
pub mod registry;
pub mod remote;
pub mod resolve;
pub mod scope;
pub mod secret;
pub mod secrets;
pub mod time;

//! git-credential-scoped: a git credential helper that sends each repository the GitHub
//! fine-grained token whose scope covers it, refuses tokens that cannot work before git sends
//! them, and stores credentials for every other host like git's own helpers.
//!
//! # The story of a `get`
//!
//! 1. [`cli::main`] sees git's bare `get` and hands stdin to [`helper::run`].
//! 2. [`protocol::decode`] turns the bytes into a [`protocol::Request`], refusing hostile
//!    input whole (nothing is answered).
//! 3. The helper loads the registry — from its snapshot ([`registry::cache`], derived from
//!    `config.toml`, checked whole and never trusted more than it) or from the config itself
//!    — and the usage state. It picks nothing: the whole [`registry::Registry`] is what
//!    the decision asks its questions of ([`registry::view`]).
//! 4. [`resolve::resolve`] decides, purely: GitHub host or not ([`registry::Registry::github_host`]),
//!    `owner/repo` from the path ([`remote`]), the covering tokens narrowest first ([`scope`],
//!    by the one rule [`registry::Token::covers`]), the first one judged ([`policy`]) — and
//!    returns the one [`resolve::Decision`]: send this token, `quit=1`, look it up in the
//!    generic store, or say nothing, with its stderr lines.
//! 5. The helper carries the decision out: reads the chosen secret ([`secrets`]), builds the
//!    one value for the wire ([`protocol::Reply`], with a `state[]` naming the token served
//!    when git offers it), encodes it ([`protocol::encode`]), says the lines ([`diag`]).
//!
//! `check` and `token` describe or print that same decision. git's `store` and `erase` of
//! the credential hand the `state[]` back, so they recognise the token without the config
//! or any secret; their decisions are [`resolve::decide_store`] and [`resolve::decide_erase`].
//! Changes of several steps to the registry are applied whole by [`change`]; files are read
//! and written by [`files`].

pub mod cargo;
pub mod change;
pub mod cli;
pub mod context;
pub mod diag;
pub mod fields;
pub mod files;
pub mod generic;
pub mod gitconfig;
pub mod github;
pub mod harden;
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

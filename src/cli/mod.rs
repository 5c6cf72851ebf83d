//! The command line: git's helper actions (`get`, `store`, `erase`; any other action is
//! ignored, as gitcredentials(7) asks) and the management commands, one file each. Errors
//! are printed in one place ([`report`]) and mapped to the documented exit codes:
//! 0 success, 1 a check found problems, 2 usage or environment error.

mod add;
mod check;
mod completions;
mod doctor;
mod edit;
mod exec;
mod handout;
mod import;
mod lifetime;
mod list;
mod new_token_url;
pub mod paint;
mod remove;
mod rotate;
mod secret_input;
mod setup;
mod shared;
mod show;
mod token;
#[cfg(unix)]
mod tty_guard;
mod unreject;

use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::context::Context;
use crate::helper::{self, Action};

pub const EXIT_OK: i32 = 0;
pub const EXIT_PROBLEMS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "git-credential-scoped",
    version,
    about = "A git credential helper that sends each repository the GitHub fine-grained token whose scope covers it",
    long_about = "A git credential helper that sends each repository the GitHub fine-grained token whose \
scope covers it, refuses expired, rejected or contents-less tokens before git sends them, and stores \
credentials for every other host like git's own helpers.\n\n\
git runs it as `git credential-scoped get|store|erase` with a request on stdin; people and scripts \
use the management commands below. Secrets are never read from the command line.\n\n\
Exit codes: 0 success, 1 a check found problems, 2 usage or environment error.",
    disable_help_subcommand = true,
    arg_required_else_help = true
)]
pub struct Cli {
    /// The registry file [default: $GIT_CREDENTIAL_SCOPED_CONFIG, else <config dir>/git-credential-scoped/config.toml]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// (git) Answer a credential request read from stdin
    Get,
    /// (git) Remember a credential that worked (a registered token is only marked as used)
    Store,
    /// (git) Forget a credential the server rejected (a registered token is marked rejected, never deleted)
    Erase,
    /// Register a fine-grained token; the secret is read from a hidden prompt or from stdin
    Add(add::Args),
    /// List registered tokens by host and owner, soonest expiry first, with scope, expiry and state (never a secret)
    List(list::Args),
    /// Show one token in detail
    Show(show::Args),
    /// Remove a token and its stored secret
    Remove(remove::Args),
    /// Replace a token's secret, keeping its scope
    Rotate(rotate::Args),
    /// Clear the mark left when the server rejected a token
    Unreject(unreject::Args),
    /// Change a token's repositories, permissions or expiry after changing them on GitHub (no new secret)
    Edit(edit::Args),
    /// Register the fine-grained tokens of git's credential-store files (or the token gh holds): one token per secret, plan first
    Import(import::Args),
    /// Preflight: which token git would get for each URL, and whether it passes (--online asks the host); --all checks every token
    Check(check::Args),
    /// Diagnose the git and registry set-up: helper chain, useHttpPath, write-back, secret stores, tokens
    Doctor(doctor::Args),
    /// Print GitHub's pre-filled link for creating a fine-grained token, and the repositories to tick
    NewTokenUrl(new_token_url::Args),
    /// Make git use this helper for a host: credential.https://HOST.helper and useHttpPath (idempotent); --cargo for cargo
    Setup(setup::Args),
    /// Print the token get would give for a repository, on stdout only (exit 1 and nothing printed when get would refuse)
    Token(token::Args),
    /// Run a command with the token get would give for a repository in GH_TOKEN and GITHUB_TOKEN
    Exec(exec::Args),
    /// Print a shell completion script (used by install.sh)
    #[command(hide = true)]
    Completions(completions::CompletionsArgs),
    /// Print the manual page, or write one per command with --out-dir (used by install.sh)
    #[command(hide = true)]
    Man(completions::ManArgs),
    #[command(external_subcommand)]
    Other(Vec<OsString>),
}

/// Runs the command line; returns the exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    // git's own calls take the short way: no command-line parser to build on every request.
    if let Some((config, action)) = helper_call(&args) {
        return match run_helper(config.as_deref(), action) {
            Ok(code) => code,
            Err(e) => {
                report_plain(&e);
                EXIT_ERROR
            }
        };
    }
    if args
        .iter()
        .skip(1)
        .any(|a| crate::secret::looks_like_token(&a.to_string_lossy()))
    {
        report(&"refused: a token was given on the command line, where other users and shell history can see it; secrets are read only from a hidden prompt or stdin\nhint: consider that token exposed: revoke it on GitHub and create a new one");
        return EXIT_ERROR;
    }
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
            let _ = e.print();
            return code;
        }
    };
    let for_git = matches!(cli.command, Command::Get | Command::Store | Command::Erase);
    match run(cli) {
        Ok(code) => code,
        Err(e) if for_git => {
            report_plain(&e);
            EXIT_ERROR
        }
        Err(e) => {
            report(&e);
            EXIT_ERROR
        }
    }
}

/// `get`, `store` or `erase`, alone or after `--config FILE` / `--config=FILE`.
fn helper_call(args: &[OsString]) -> Option<(Option<PathBuf>, Action)> {
    let action = |a: &OsString| match a.to_str()? {
        "get" => Some(Action::Get),
        "store" => Some(Action::Store),
        "erase" => Some(Action::Erase),
        _ => None,
    };
    match args.get(1..)? {
        [a] => Some((None, action(a)?)),
        [flag, file, a] if flag == "--config" => Some((Some(PathBuf::from(file)), action(a)?)),
        [flag, a] => {
            let file = flag.to_str()?.strip_prefix("--config=")?;
            Some((Some(PathBuf::from(file)), action(a)?))
        }
        _ => None,
    }
}

fn run_helper(config: Option<&std::path::Path>, action: Action) -> CliResult {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let ctx = match Context::new(config) {
        Ok(ctx) => ctx,
        Err(e) => {
            // Like a config that cannot be used: a `get` that was read stops git (`quit=1`),
            // with the reason on stderr, instead of letting it prompt or ask another helper.
            if action == Action::Get && crate::protocol::decode(&mut input).is_ok() {
                let quit = crate::protocol::Reply {
                    quit: true,
                    ..Default::default()
                };
                crate::protocol::encode(&quit, &mut std::io::stdout().lock())?;
            }
            return Err(e.into());
        }
    };
    let mut out = std::io::stdout().lock();
    let mut diag = std::io::stderr().lock();
    helper::run(action, &ctx, &mut input, &mut out, &mut diag)?;
    Ok(EXIT_OK)
}

/// Prints a management command's error or warning: every line prefixed, painted for a
/// terminal ([`paint`]).
pub fn report(e: &dyn std::fmt::Display) {
    paint::say(&mut paint::stderr(), &e.to_string());
}

/// Prints an error of git's own calls: every line prefixed, so git shows where it comes
/// from, and never styled.
fn report_plain(e: &dyn std::fmt::Display) {
    crate::diag::say(&mut std::io::stderr().lock(), &e.to_string());
}

pub type CliResult = Result<i32, Box<dyn std::error::Error>>;

fn run(cli: Cli) -> CliResult {
    let action = match &cli.command {
        Command::Get => Some(Action::Get),
        Command::Store => Some(Action::Store),
        Command::Erase => Some(Action::Erase),
        Command::Other(words) => return Ok(other(words)),
        _ => None,
    };
    if let Some(action) = action {
        return run_helper(cli.config.as_deref(), action);
    }
    let ctx = Context::new(cli.config.as_deref())?;
    match cli.command {
        Command::Add(a) => add::run(&ctx, a),
        Command::List(a) => list::run(&ctx, a),
        Command::Show(a) => show::run(&ctx, a),
        Command::Remove(a) => remove::run(&ctx, a),
        Command::Rotate(a) => rotate::run(&ctx, a),
        Command::Unreject(a) => unreject::run(&ctx, a),
        Command::Edit(a) => edit::run(&ctx, a),
        Command::Import(a) => import::run(&ctx, a),
        Command::Check(a) => check::run(&ctx, a),
        Command::Doctor(a) => doctor::run(&ctx, a),
        Command::NewTokenUrl(a) => new_token_url::run(&ctx, a),
        Command::Setup(a) => setup::run(&ctx, a),
        Command::Token(a) => token::run(&ctx, a),
        Command::Exec(a) => exec::run(&ctx, a),
        Command::Completions(a) => completions::completions(a),
        Command::Man(a) => completions::man(a),
        Command::Get | Command::Store | Command::Erase | Command::Other(_) => Ok(EXIT_OK),
    }
}

/// What is not a command. `help [COMMAND]` prints help. git's rule — ignore an action it
/// does not define, silently — is for the bare action word git itself sends on a pipe (a
/// future git's `capability`, say); anything else (typed at a terminal, or with more words)
/// is an unknown command and says so.
fn other(words: &[OsString]) -> i32 {
    let text: Vec<String> = words
        .iter()
        .map(|w| w.to_string_lossy().into_owned())
        .collect();
    if text.first().map(String::as_str) == Some("help") {
        return help(&text[1..]);
    }
    if text.len() == 1 && !std::io::stdin().is_terminal() {
        return EXIT_OK;
    }
    let name = text.first().cloned().unwrap_or_default();
    report(&format!(
        "'{}' is not a command\n{}",
        crate::protocol::escape(name.as_bytes()),
        suggestion(&name)
    ));
    EXIT_ERROR
}

/// `hint: did you mean 'check'?` for the visible command nearest to `name` (clap's own
/// measure and threshold), else where the commands are listed. clap cannot say it here:
/// an unknown word is the external subcommand that keeps git's future actions silent.
fn suggestion(name: &str) -> String {
    use clap::CommandFactory;
    let cmd = Cli::command();
    let best = cmd
        .get_subcommands()
        .filter(|c| !c.is_hide_set())
        .map(|c| (strsim::jaro(name, c.get_name()), c.get_name().to_string()))
        .filter(|(score, _)| *score > 0.7)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, known)) => format!("hint: did you mean '{known}'?"),
        None => "hint: git credential-scoped --help lists the commands".into(),
    }
}

/// `help`, `help COMMAND`: the same text as `--help`.
fn help(path: &[String]) -> i32 {
    let mut args = vec!["git-credential-scoped".to_string()];
    args.extend(path.iter().cloned());
    args.push("--help".into());
    match Cli::try_parse_from(&args) {
        // Only an unknown name parses: as the catch-all for actions git may add.
        Ok(_) => {
            let name = path.first().map(String::as_str).unwrap_or_default();
            report(&format!(
                "there is no command '{}'\n{}",
                crate::protocol::escape(name.as_bytes()),
                suggestion(name)
            ));
            EXIT_ERROR
        }
        Err(e) => {
            let _ = e.print();
            if e.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            }
        }
    }
}

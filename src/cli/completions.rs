//! `completions SHELL` and `man`: shell completions and manual pages generated from the clap
//! definitions, so they can never disagree with `--help`. Both are hidden: `install.sh` runs
//! them and installs what they print. Installing the man page also makes
//! `git credential-scoped --help` work, since git answers `--help` with `man git-credential-scoped`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::{Cli, CliResult, EXIT_OK};
use crate::files::io_err;

const BIN: &str = "git-credential-scoped";

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
pub struct ManArgs {
    /// Write one page per command (git-credential-scoped.1, git-credential-scoped-add.1, ...)
    /// into this directory instead of printing the main page
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
}

pub fn completions(a: CompletionsArgs) -> CliResult {
    let mut buf = Vec::new();
    clap_complete::generate(a.shell, &mut Cli::command(), BIN, &mut buf);
    match a.shell {
        clap_complete::Shell::Bash => buf = bash(&String::from_utf8_lossy(&buf)).into_bytes(),
        clap_complete::Shell::Zsh => buf = zsh(&String::from_utf8_lossy(&buf)).into_bytes(),
        _ => {}
    }
    std::io::stdout().lock().write_all(&buf)?;
    Ok(EXIT_OK)
}

/// What git's bash completion calls for `git credential-scoped ...` (it loads this file as
/// the completion of `git-credential-scoped` and looks for `_git_credential_scoped`): the
/// same completion, with git's words turned into this program's. And token names for the
/// commands that take one (from the hidden `list --names`), for both ways in.
const GIT_FUNCTION: &str = r#"
# Token names after show, remove, rotate, edit and unreject; clap's completion otherwise.
_git_credential_scoped_names() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    case "${COMP_WORDS[1]}" in
        show|remove|rotate|edit|unreject)
            if [[ ${COMP_CWORD} -eq 2 && "${cur}" != -* ]]; then
                COMPREPLY=($(compgen -W "$(git-credential-scoped list --names 2>/dev/null)" -- "${cur}"))
                return 0
            fi ;;
    esac
    _git__credential__scoped "$@"
}
complete -F _git_credential_scoped_names -o nosort -o bashdefault -o default git-credential-scoped

# `git credential-scoped ...`: git's completion calls _git_credential_scoped.
_git_credential_scoped() {
    local at=${__git_cmd_idx:-1}
    local COMP_WORDS=("git-credential-scoped" "${words[@]:$((at + 1))}")
    local COMP_CWORD=$((cword - at))
    _git_credential_scoped_names git-credential-scoped "${cur}" "${COMP_WORDS[COMP_CWORD - 1]}"
}
"#;

/// The zsh script clap_complete writes, with token names offered where a command takes
/// one. zsh's git completion calls `_git-credential-scoped` for `git credential-scoped`,
/// the very function this script defines.
fn zsh(script: &str) -> String {
    let fixed = script.replace(
        "':name -- The token'\\''s name:_default'",
        "':name -- The token'\\''s name:_git_credential_scoped_tokens'",
    );
    // Defined before the script's last lines, which may call the completion at once.
    let tokens = "_git_credential_scoped_tokens() {\n    local -a names\n    names=(${(f)\"$(git-credential-scoped list --names 2>/dev/null)\"})\n    _describe 'token' names\n}\n\n";
    let last = "if [ \"$funcstack[1]\" = \"_git-credential-scoped\" ]; then";
    fixed.replacen(last, &format!("{tokens}{last}"), 1)
}

/// The bash script clap_complete writes, made to work: for a program whose name holds `-`,
/// clap_complete 4.6 names each subcommand's `case` label differently from the value it
/// computes for it (`git__subcmd__credential__subcmd__scoped__subcmd__add` against
/// `git__credential__scoped__subcmd__add`), so no option ever completed. Also the function
/// git's own completion calls.
fn bash(script: &str) -> String {
    let fixed = script.replace(
        "git__subcmd__credential__subcmd__scoped",
        "git__credential__scoped",
    );
    format!("{fixed}{GIT_FUNCTION}")
}

pub fn man(a: ManArgs) -> CliResult {
    let mut cmd = Cli::command();
    cmd.build();
    match a.out_dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            std::io::stdout().lock().write_all(&buf)?;
        }
        Some(dir) => {
            let mut written = Vec::new();
            write_pages(&cmd, &dir, &mut written)?;
            let mut out = std::io::stdout().lock();
            for path in written {
                writeln!(out, "{}", path.display())?;
            }
        }
    }
    Ok(EXIT_OK)
}

/// Writes the page of `cmd` and of each visible subcommand into `dir`.
fn write_pages(
    cmd: &clap::Command,
    dir: &Path,
    written: &mut Vec<PathBuf>,
) -> Result<(), crate::files::FileError> {
    let man = clap_mangen::Man::new(cmd.clone());
    let path = dir.join(man.get_filename());
    let mut buf = Vec::new();
    man.render(&mut buf).map_err(io_err("render", &path))?;
    std::fs::write(&path, buf).map_err(io_err("write", &path))?;
    written.push(path);
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir, written)?;
    }
    Ok(())
}

//! `add --verify` / `rotate --verify`: the questions `check --online` asks, put to a new
//! secret before anything is saved, so a mistyped, revoked or too-narrow token is refused
//! at the door instead of failing the next `git fetch`.

use std::io::Write;

use super::online::problem_lines;
use crate::cli::paint::say;
use crate::context::Context;
use crate::github::{Client, ContentsAccess, Probe, Problem, Refused, ServerExpiry};
use crate::registry::{Access, Expiry, Registry, Repos, Token};
use crate::secret::Secret;

/// `--verify` and `--force` for `add` and `rotate`.
#[derive(clap::Args, Debug, Default)]
pub struct VerifyArgs {
    /// Ask the host before saving: take the expiry from the server, refuse a token it rejects or that cannot read the first repository
    #[arg(long)]
    pub verify: bool,
    /// With --verify: save the token even if the server rejects it or cannot be reached
    #[arg(long, requires = "verify")]
    pub force: bool,
}

/// `add --verify` / `rotate --verify`: asks the host about a new secret before anything is
/// saved. Fills `token.expires` from the server; refuses (unless `--force`) a token the
/// server rejects or that cannot see and read the first repository. `secret` is `None` for
/// tokens whose secret comes from the environment or a command.
pub fn verify_new_token(
    ctx: &Context,
    reg: &Registry,
    token: &mut Token,
    secret: Option<&Secret>,
    v: &VerifyArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    if !v.verify {
        return Ok(());
    }
    let fetched;
    let secret = match secret {
        Some(s) => s,
        None => {
            fetched = ctx.stores.token_secret(token)?;
            &fetched
        }
    };
    let mut err = crate::cli::paint::stderr();
    let probe = match ask_new(reg, token, secret) {
        Ok(p) => p,
        Err(e) if v.force => {
            let why = e.to_string();
            let why = why.lines().next().unwrap_or("");
            let what = format!("could not verify token '{}': {why}", token.name);
            saving_anyway(&mut err, &what);
            return Ok(());
        }
        Err(e) => {
            return Err(format!(
                "{e}\nnothing was saved; to save without asking the server, leave out --verify"
            )
            .into())
        }
    };
    take_expiry(token, &probe, &mut err);
    take_contents(token, &probe, &mut err);
    learn_limit(ctx, token, &probe)?;
    let registered = reg.token(&token.name).is_some();
    let Some(problem) = verify_problem(token, &probe, registered) else {
        return Ok(());
    };
    if v.force {
        saving_anyway(&mut err, problem.lines().next().unwrap_or(""));
        return Ok(());
    }
    Err(format!("{problem}\nnothing was saved; to save it anyway, add --force").into())
}

/// `import --verify`: asks the host about one token found elsewhere. Fills
/// `token.expires` from the server; returns what is wrong with it (the server rejects it,
/// it cannot see or read its first repository), if anything, in one line. An error when
/// the server could not be asked at all.
pub fn verify_found_token(
    reg: &Registry,
    token: &mut Token,
    secret: &Secret,
) -> Result<Option<String>, Box<dyn std::error::Error>> {
    let probe = ask_new(reg, token, secret)?;
    take_expiry(token, &probe, &mut crate::cli::paint::stderr());
    Ok(verify_problem(token, &probe, false).map(|p| p.lines().next().unwrap_or("").to_string()))
}

/// Keeps an owner's lifetime limit the server named (a token not yet saved is not named).
fn learn_limit(
    ctx: &Context,
    token: &Token,
    probe: &Probe,
) -> Result<(), Box<dyn std::error::Error>> {
    if let Some(Problem::Refused(Refused::Lifetime {
        owner, kind, days, ..
    })) = probe.problem()
    {
        crate::registry::learned::update(&ctx.data_dir, |l| {
            l.set_limit(crate::registry::learned::Limit {
                host: token.host.clone(),
                owner: token.owner.clone(),
                days,
                kind: kind.word().into(),
                by: owner,
                seen: ctx.now,
            })
        })?;
    }
    Ok(())
}

/// The `--force` warning: what is wrong, and that the token is saved all the same.
fn saving_anyway(err: &mut impl Write, what: &str) {
    say(err, &format!("warning: {what}; saving it anyway (--force)"));
}

/// Fills `token.expires` from the server's answer, warning about a header it cannot read.
fn take_expiry(token: &mut Token, probe: &Probe, err: &mut impl Write) {
    match &probe.expiry {
        Some(ServerExpiry::At(at)) => token.expires = Expiry::At(*at),
        Some(ServerExpiry::Never) => token.expires = Expiry::Never,
        Some(ServerExpiry::Unreadable) => say(
            err,
            "warning: the server's expiration header could not be read; the expiry is left as given",
        ),
        None => {}
    }
}

/// A token recorded without contents that the server lets read them: record contents=read
/// (what `--verify` can see; push access it cannot).
fn take_contents(token: &mut Token, probe: &Probe, err: &mut impl Write) {
    let readable = matches!(
        probe.contents,
        Some(ContentsAccess::Readable | ContentsAccess::Empty)
    );
    if readable && token.contents == Access::None {
        token.contents = Access::Read;
        say(
            err,
            &format!(
                "note: the server lets token '{}' read contents; recording contents=read",
                token.name
            ),
        );
    }
}

fn ask_new(
    reg: &Registry,
    token: &Token,
    secret: &Secret,
) -> Result<Probe, Box<dyn std::error::Error>> {
    let decl = reg
        .github_host(&token.host)
        .ok_or_else(|| format!("{} is not a GitHub host", token.host))?;
    let client = Client::new(&decl)?;
    let username = token.username.as_deref().unwrap_or("x-access-token");
    Ok(match &token.repos {
        Repos::List(list) if !list.is_empty() => {
            client.probe_repo(&token.name, username, secret, &token.owner, &list[0], list)?
        }
        _ => client.probe_token(&token.name, secret)?,
    })
}

fn verify_problem(token: &Token, probe: &Probe, registered: bool) -> Option<String> {
    let repo = match &token.repos {
        Repos::List(list) => format!(
            "{}/{}",
            token.owner,
            list.first().map_or("", String::as_str)
        ),
        Repos::All => token.owner.clone(),
    };
    // A token registered without contents is not refused for lacking them.
    probe_problem(token, &repo, probe, registered)
}

/// `edit --verify`: asks the host, with the token's own secret, about the token as edited —
/// every repository the edit adds (else the first it keeps; a token of all repositories is
/// only checked to be alive) — before anything is changed. Takes the expiry the server
/// reports; refuses (unless `--force`) when the server rejects the token or it cannot see or
/// read one of those repositories: then GitHub has not been changed the same way yet.
pub fn verify_edit(
    ctx: &Context,
    reg: &Registry,
    before: &Token,
    edited: &mut Token,
    v: &VerifyArgs,
) -> Result<(), Box<dyn std::error::Error>> {
    if !v.verify {
        return Ok(());
    }
    let secret = ctx.stores.token_secret(before)?;
    let mut err = std::io::stderr();
    let repos: Vec<String> = match &edited.repos {
        Repos::All => Vec::new(),
        Repos::List(list) => {
            let added: Vec<String> = list
                .iter()
                .filter(|r| matches!(before.repos, Repos::All) || !before.repos.covers(r))
                .cloned()
                .collect();
            match added.is_empty() {
                true => list.iter().take(1).cloned().collect(),
                false => added,
            }
        }
    };
    let probes = match ask_each(reg, edited, &secret, &repos) {
        Ok(p) => p,
        Err(e) if v.force => {
            let why = e.to_string();
            let what = format!(
                "could not verify token '{}': {}",
                edited.name,
                why.lines().next().unwrap_or("")
            );
            say(
                &mut err,
                &format!("warning: {what}; changing it anyway (--force)"),
            );
            return Ok(());
        }
        Err(e) => {
            return Err(format!(
            "{e}\nnothing was changed; to change it without asking the server, leave out --verify"
        )
            .into())
        }
    };
    let mut problems = Vec::new();
    for (i, (repo, probe)) in probes.iter().enumerate() {
        if i == 0 {
            take_expiry(edited, probe, &mut err);
        }
        if let Some(p) = probe_problem(edited, repo, probe, true) {
            problems.push(p);
        }
    }
    if problems.is_empty() {
        return Ok(());
    }
    let problems = problems.join("\n");
    if v.force {
        for line in problems.lines().filter(|l| !l.starts_with("hint: ")) {
            say(
                &mut err,
                &format!("warning: {line}; changing it anyway (--force)"),
            );
        }
        return Ok(());
    }
    Err(format!("{problems}\nnothing was changed; to change it anyway, add --force").into())
}

/// One probe per repository (`owner/repo`), or one of the token alone when none is named.
fn ask_each(
    reg: &Registry,
    token: &Token,
    secret: &Secret,
    repos: &[String],
) -> Result<Vec<(String, Probe)>, Box<dyn std::error::Error>> {
    let decl = reg
        .github_host(&token.host)
        .ok_or_else(|| format!("{} is not a GitHub host", token.host))?;
    let client = Client::new(&decl)?;
    let username = token.username.as_deref().unwrap_or("x-access-token");
    if repos.is_empty() {
        let probe = client.probe_token(&token.name, secret)?;
        return Ok(vec![(token.owner.clone(), probe)]);
    }
    repos
        .iter()
        .map(|r| {
            let probe = client.probe_repo(
                &token.name,
                username,
                secret,
                &token.owner,
                r,
                super::online::selected(token),
            )?;
            Ok((format!("{}/{r}", token.owner), probe))
        })
        .collect()
}

/// [`Probe::problem`] in words, for `repo`; none for a missing contents permission of a
/// token registered without it.
fn probe_problem(token: &Token, repo: &str, probe: &Probe, registered: bool) -> Option<String> {
    let problem = probe
        .problem()
        .filter(|p| !(matches!(p, Problem::NoContents { .. }) && token.contents == Access::None))?;
    Some(problem_lines(token, repo, &problem, &probe.api, registered).join("\n"))
}

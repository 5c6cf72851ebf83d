//! The words for what a server said about a token and a repository (SPEC §7, issue 23):
//! one line naming the reason, then one line with the fix — for `check --online` and for
//! `add/rotate/edit/import --verify`, so they say the same thing. Everything the server
//! sent arrives here parsed ([`crate::github::reasons`]) and is escaped before it is shown.

use crate::github::{Problem, Refused};
use crate::messages::{lifetime_hint, renewal_link};
use crate::protocol::escape;
use crate::registry::{Repos, Token};

/// What to run after creating a replacement token: `rotate` for a registered token (with
/// `--verify`, which records what the server says the new one may do), or `add` again for
/// one being registered (nothing was saved).
fn then_run(token: &Token, registered: bool) -> String {
    if registered {
        format!("{} --verify", crate::messages::rotate_command(token))
    } else {
        "the same `git credential-scoped add` again".to_string()
    }
}

/// The page where a user reviews their fine-grained tokens.
fn tokens_page(host: &str) -> String {
    format!("https://{host}/settings/personal-access-tokens")
}

/// The words for a problem the server reported about `repo` (`owner/repo`) for `token`;
/// `registered` is false for a token `add --verify` is about to register.
pub fn problem_lines(
    token: &Token,
    repo: &str,
    problem: &Problem,
    api: &str,
    registered: bool,
) -> Vec<String> {
    let then = then_run(token, registered);
    match problem {
        Problem::Rejected => vec![format!(
            "the server rejected token '{}' (401 Bad credentials): it is revoked, expired or mistyped",
            token.name
        )],
        Problem::NotFound { git_can_read } => {
            not_found_lines(token, repo, *git_can_read, api, &then)
        }
        Problem::ApprovalPending => approval_lines(token, repo),
        Problem::Refused(r) => refused_lines(token, repo, r, &then),
        Problem::Renamed { to } => renamed_lines(token, repo, to),
        Problem::RedirectedAway => vec![format!(
            "the server redirected the question about {repo} to another host; the token was not sent there, so nothing was verified for token '{}'",
            token.name
        )],
        Problem::Unexpected(s) => vec![format!(
            "the server answered HTTP {s} about {repo}; nothing could be verified for token '{}' (server trouble?): try again later",
            token.name
        )],
        Problem::NoContents { accepted } => vec![
            format!(
                "the server says token '{}' may not read the contents of {repo} (403; it needs {}), so git can neither clone nor fetch",
                token.name,
                accepted.as_deref().unwrap_or("a permission it named in a header that could not be read")
            ),
            format!("hint: create a token with contents=read at {} then run: {then}", renewal_link(token)),
        ],
    }
}

/// The lines explaining a 404 for `repo` (SPEC §7: say all the reasons).
fn not_found_lines(
    token: &Token,
    repo: &str,
    git_can_read: bool,
    api: &str,
    then: &str,
) -> Vec<String> {
    let owner = repo.split('/').next().unwrap_or(repo);
    let mut lines = vec![format!(
        "the server cannot show {repo} to token '{}' (404): {} is not among the token's selected repositories, or the token belongs to another owner than {owner}, or an owner of {owner} has not approved the token yet, or there is no such repository",
        token.name,
        repo.split('/').nth(1).unwrap_or(repo),
    )];
    if git_can_read {
        lines.push(format!("note: git itself can read {repo} with this token, so the API at {api} may be the wrong one; check `api` of this host in the config"));
    }
    lines.push(format!(
        "hint: review the token's repository access at {} (organization owners approve tokens under the organization's Settings, Personal access tokens, Pending requests); or create a new token at {} then run: {then}",
        tokens_page(&token.host), renewal_link(token)
    ));
    lines
}

fn approval_lines(token: &Token, repo: &str) -> Vec<String> {
    let owner = &token.owner;
    vec![
        format!(
            "token '{}' is accepted but sees none of its selected repositories of {owner} (404 for {repo}): most likely an owner of {owner} has not approved it yet",
            token.name
        ),
        format!(
            "hint: an owner of {owner} approves it under the organization's Settings, Personal access tokens, Pending requests (https://{}/organizations/{owner}/settings/personal-access-token-requests); GitHub e-mails you when they do; then run: git credential-scoped check --online https://{}/{repo}",
            token.host, token.host
        ),
    ]
}

fn refused_lines(token: &Token, repo: &str, r: &Refused, then: &str) -> Vec<String> {
    let n = &token.name;
    let owner_of = |o: &Option<String>| {
        o.as_deref()
            .map_or_else(|| token.owner.clone(), |o| escape(o.as_bytes()))
    };
    match r {
        Refused::Lifetime {
            owner,
            kind,
            days,
            settings,
        } => vec![
            format!(
                "the '{}' {} refuses token '{n}' (403): its lifetime is longer than the {days} days it allows for fine-grained tokens",
                escape(owner.as_bytes()),
                kind.word()
            ),
            lifetime_hint(token, *days, settings.as_deref()),
        ],
        Refused::ClassicBanned { owner } => vec![
            format!(
                "{} forbids personal access tokens (classic), and GitHub took token '{n}' for one (403)",
                owner_of(owner)
            ),
            format!("hint: create a fine-grained token at {} then run: {then}", renewal_link(token)),
        ],
        Refused::IpAllowList { owner, address } => vec![
            format!(
                "{} has an IP allow list, and {} is not on it (403): token '{n}' is fine, the machine's address is refused",
                owner_of(owner),
                address.as_deref().map_or("this machine's address".to_string(), |a| format!("this machine's address {a}"))
            ),
            format!(
                "hint: ask an owner of {} to add {} under the organization's Settings, Authentication security, IP allow list, or use a machine whose address is on it",
                owner_of(owner),
                address.as_deref().unwrap_or("the address")
            ),
        ],
        Refused::RateLimited { wait } => vec![
            format!("the server is rate limiting requests (nothing is known about token '{n}' from this answer)"),
            format!(
                "hint: try again {}: git credential-scoped check --online https://{}/{repo}",
                wait.map_or("later".to_string(), |s| format!("in {} minutes", s.div_ceil(60).max(1))),
                token.host
            ),
        ],
        Refused::Other { status, message } => vec![format!(
            "the server refused token '{n}' for {repo} ({status}): {}",
            if message.is_empty() { "it gave no reason" } else { message }
        )],
    }
}

fn renamed_lines(token: &Token, repo: &str, to: &str) -> Vec<String> {
    let to = escape(to.as_bytes());
    let (new_owner, new_name) = to.split_once('/').unwrap_or((&to, ""));
    let mut fix = format!(
        "hint: run: git remote set-url origin https://{}/{to}.git",
        token.host
    );
    let same_owner = new_owner.eq_ignore_ascii_case(&token.owner);
    match (&token.repos, same_owner) {
        (Repos::List(_), true) => fix.push_str(&format!(
            " and: git credential-scoped edit {} --add-repo {new_name}",
            token.name
        )),
        (Repos::All, true) => {}
        (_, false) => fix.push_str(&format!(
            "; token '{}' is for {}, so create one for {new_owner}: git credential-scoped new-token-url --owner {new_owner} --repo {new_name}",
            token.name, token.owner
        )),
    }
    vec![
        format!("{repo} was renamed or transferred: the server now calls it {to} (301)"),
        fix,
    ]
}

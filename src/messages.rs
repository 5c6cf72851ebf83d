//! The words the helper says on stderr: one line each, prefixed `git-credential-scoped:`,
//! naming the token and the repository, with the command that fixes the problem and a
//! pre-filled GitHub token-creation link. Never any part of a secret.

use crate::policy::{Judgement, Refusal};
use crate::protocol::escape;
use crate::registry::{Access, Expiry, Repos, Token};
use crate::remote::Remote;
use crate::time::{self, format_date, relative, DAY};

/// GitHub's pre-filled "new fine-grained token" link (SPEC §7), and the `add` command that
/// registers the token once it exists: the one builder behind `new-token-url`, the renewal
/// links of warnings and refusals, and `check`'s hint for an uncovered repository.
pub struct NewTokenLink<'a> {
    pub host: &'a str,
    pub owner: &'a str,
    /// The repositories to select; `None` for all of the owner's.
    pub repos: Option<&'a [String]>,
    /// The token's name on GitHub (at most 40 characters are sent).
    pub name: String,
    /// 1–366 days, or `None` for "no expiration".
    pub expires_in_days: Option<i64>,
    pub contents: Access,
    /// Other permissions to request, like `metadata=read`.
    pub others: &'a [(String, Access)],
}

impl<'a> NewTokenLink<'a> {
    /// A link for `repos` of `owner` (all when `None`): named after the owner (and the one
    /// repository), 90 days, contents=read.
    pub fn new(host: &'a str, owner: &'a str, repos: Option<&'a [String]>) -> NewTokenLink<'a> {
        let name = match repos {
            Some([one]) => format!("{owner}-{one}"),
            _ => owner.to_string(),
        };
        NewTokenLink {
            host,
            owner,
            repos,
            name,
            expires_in_days: Some(90),
            contents: Access::Read,
            others: &[],
        }
    }

    pub fn url(&self) -> String {
        let web = if self.host.eq_ignore_ascii_case("api.github.com") {
            "github.com"
        } else {
            self.host
        };
        let name: String = self.name.chars().take(40).collect();
        let description = match self.repos {
            None => format!("git-credential-scoped: all {} repositories", self.owner),
            Some(list) => format!("git-credential-scoped: {}", list.join(", ")),
        };
        let mut url = format!(
            "https://{web}/settings/personal-access-tokens/new?name={}&description={}&target_name={}",
            query(&name),
            query(&description),
            query(self.owner)
        );
        match self.expires_in_days {
            Some(d) => url.push_str(&format!("&expires_in={}", d.clamp(1, 366))),
            None => url.push_str("&expires_in=none"),
        }
        let asked = std::iter::once(("contents", self.contents))
            .chain(self.others.iter().map(|(k, v)| (k.as_str(), *v)));
        for (k, v) in asked.filter(|(_, v)| *v != Access::None) {
            url.push_str(&format!("&{k}={}", v.name()));
        }
        url
    }

    /// The command that registers the token the link creates (its secret from stdin or a
    /// hidden prompt), named like the link's token where that is a usable name.
    pub fn add_command(&self) -> String {
        let local: String = self
            .name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.@".contains(c) {
                    c
                } else {
                    '-'
                }
            })
            .collect();
        let local = if crate::remote::valid_token_name(&local) {
            local
        } else {
            self.owner.to_string()
        };
        let mut cmd = format!("git credential-scoped add {local} --owner {}", self.owner);
        match self.repos {
            None => cmd.push_str(" --all-repos"),
            Some(list) => cmd.push_str(&format!(" --repo {}", list.join(","))),
        }
        if self.host != crate::registry::GITHUB {
            cmd.push_str(&format!(" --host {}", self.host));
        }
        cmd.push_str(&format!(" --permission contents={}", self.contents.name()));
        match self.expires_in_days {
            Some(d) => cmd.push_str(&format!(" --expires-in {d}d")),
            None => cmd.push_str(" --no-expiry"),
        }
        cmd.push_str(" --verify");
        cmd
    }
}

/// A query-string value: everything but letters, digits and `-_.~` percent-encoded.
fn query(s: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    percent_encoding::utf8_percent_encode(s, KEEP).to_string()
}

/// The creation link for a replacement of `token`.
pub fn renewal_link(token: &Token) -> String {
    let repos = match &token.repos {
        Repos::All => None,
        Repos::List(list) => Some(list.as_slice()),
    };
    let mut link = NewTokenLink::new(&token.host, &token.owner, repos);
    link.name = token.name.clone();
    link.expires_in_days = match token.expires {
        Expiry::Never => None,
        _ => Some(90),
    };
    link.contents = token.contents.max(Access::Read);
    link.url()
}

fn target(token: &Token, remote: Option<&Remote>) -> String {
    match remote {
        Some(r) => format!("{} on {}", r.full_name(), r.host),
        None => token.host.clone(),
    }
}

/// The command that records a replacement secret for `token`, with the expiry the renewal
/// link asks GitHub for (so the expiry is known, not recorded as unknown).
pub fn rotate_command(token: &Token) -> String {
    let expiry = match token.expires {
        Expiry::Never => "--no-expiry",
        _ => "--expires-in 90d",
    };
    format!("git credential-scoped rotate {} {expiry}", token.name)
}

/// Lines for a token's verdict: nothing when it serves quietly.
pub fn verdict_lines(
    t: &Token,
    remote: Option<&Remote>,
    verdict: &Judgement,
    now: i64,
) -> Vec<String> {
    if *verdict == Judgement::Serve {
        return Vec::new();
    }
    let rotate = rotate_command(t);
    let link = renewal_link(t);
    match verdict {
        Judgement::Serve => vec![],
        Judgement::Expiring { at } => vec![format!(
            "token '{}' expires {} ({}); create its successor at {link} then run: {rotate}",
            t.name,
            format_date(*at),
            relative(*at, now)
        )],
        Judgement::ExpiredAllowed { at } => vec![format!(
            "token '{}' expired {} ({}); sending it anyway (on_expired = \"warn\"); renew it at {link} then run: {rotate}",
            t.name,
            format_date(*at),
            relative(*at, now)
        )],
        Judgement::Refuse(r) => refusal_lines(t, remote, r, now, &rotate, &link),
    }
}

fn refusal_lines(
    t: &Token,
    remote: Option<&Remote>,
    r: &Refusal,
    now: i64,
    rotate: &str,
    link: &str,
) -> Vec<String> {
    let what = format!(
        "refused to send token '{}' for {}",
        t.name,
        target(t, remote)
    );
    match r {
        Refusal::Expired { at } => vec![
            format!("{what}: it expired {} ({})", format_date(*at), relative(*at, now)),
            format!("hint: create a new token at {link} then run: {rotate}"),
        ],
        Refusal::NoContents => vec![
            format!("{what}: it has no 'contents' permission, so it can neither clone nor fetch"),
            format!("hint: if the token has contents on GitHub, run: git credential-scoped edit {} --permission contents=read; otherwise create a token with contents=read at {link} then run: {rotate}", t.name),
        ],
        Refusal::NoWrite => vec![
            format!("{what}: pushing needs contents=write and it has contents={}", t.contents.name()),
            format!("hint: if the token was given contents=write on GitHub, run: git credential-scoped edit {} --permission contents=write; otherwise create a token with contents=write at {} then run: {rotate}", t.name, link.replace("contents=read", "contents=write")),
        ],
        Refusal::Rejected(rej) => {
            let on = rej.repo.as_deref().map(|r| format!(" for {r}")).unwrap_or_default();
            let days = (now - rej.at).max(0) / DAY;
            let when = if days == 0 { time::format_datetime(rej.at) } else { format!("{} ({days} days ago)", format_date(rej.at)) };
            vec![
                format!("{what}: the server rejected it{on} on {when} (revoked, expired or mistyped)"),
                format!("hint: run `git credential-scoped check --online {}` to re-test it, `git credential-scoped rotate {}` to replace it, or `git credential-scoped unreject {}`", repo_url(t, remote), t.name, t.name),
            ]
        }
    }
}

fn repo_url(t: &Token, remote: Option<&Remote>) -> String {
    match remote {
        Some(r) => format!("https://{}/{}", r.host, r.full_name()),
        None => format!("https://{}/OWNER/REPO", t.host),
    }
}

/// Why a token is unfit, in a few words.
fn defect_words(why: &Refusal, now: i64) -> String {
    match why {
        Refusal::Expired { at } => {
            format!("it expired {} ({})", format_date(*at), relative(*at, now))
        }
        Refusal::NoContents => "it has no 'contents' permission".into(),
        Refusal::NoWrite => "it cannot push".into(),
        Refusal::Rejected(r) => format!("the server rejected it on {}", format_date(r.at)),
    }
}

/// The line when a narrower token was passed over for a broader one.
pub fn skipped_line(skipped: &Token, why: &Refusal, sent: &Token, now: i64) -> String {
    format!(
        "token '{}' covers this repository more narrowly but was passed over: {}; sending '{}' instead. Renew it at {} then run: {}",
        skipped.name,
        defect_words(why, now),
        sent.name,
        renewal_link(skipped),
        rotate_command(skipped)
    )
}

/// The line when git reports that the server rejected a registered token.
pub fn rejected_line(name: &str, repo: Option<&str>) -> String {
    let on = repo.map(|f| format!(" for {f}")).unwrap_or_default();
    format!("the server rejected token '{name}'{on}; it is kept, and refused until `git credential-scoped check --online`, `rotate {name}` or `unreject {name}`")
}

/// The line when a GitHub host is asked for over a protocol it does not take tokens over.
pub fn insecure_protocol_line(host: &str, protocol: &str) -> String {
    format!(
        "refused: {} is a GitHub host and takes tokens over https only, not {}",
        escape(host.as_bytes()),
        escape(protocol.as_bytes())
    )
}

/// The hint when no token covers the repository but the owner has tokens.
pub fn uncovered_line(full_name: &str, owner: &str, covers: &[String]) -> String {
    format!(
        "no token covers {full_name}; tokens for {owner} cover: {}",
        covers.join(", ")
    )
}

/// The second line of that hint: GitHub lets a user add a repository to an existing token,
/// and `edit` follows without a new secret; `tokens` are the owner's tokens with a
/// repository list. Otherwise a new token is needed.
pub fn edit_hint(remote: &Remote, tokens: &[String]) -> Option<String> {
    let (first, rest) = tokens.split_first()?;
    let edit = |name: &str| {
        format!(
            "git credential-scoped edit {name} --add-repo {}",
            remote.repo
        )
    };
    let (whose, alternatives) = match rest {
        [] => (format!("token '{first}' was"), String::new()),
        _ => {
            let names: Vec<String> = tokens.iter().map(|t| format!("'{t}'")).collect();
            let others: Vec<String> = rest.iter().map(|t| format!(" (or: {})", edit(t))).collect();
            (
                format!("one of the tokens {} was", names.join(", ")),
                others.concat(),
            )
        }
    };
    let host = if remote.host == crate::registry::GITHUB {
        String::new()
    } else {
        format!(" --host {}", remote.host)
    };
    Some(format!(
        "hint: if {whose} also given {} on GitHub, run: {}{alternatives}; otherwise create a token for it: git credential-scoped new-token-url --owner {} --repo {}{host}",
        remote.full_name(),
        edit(first),
        remote.owner,
        remote.repo
    ))
}

/// The creation link and `add` command for a repository no token covers.
pub fn new_token_hint(remote: &Remote, need_write: bool) -> String {
    let repos = [remote.repo.clone()];
    let mut link = NewTokenLink::new(&remote.host, &remote.owner, Some(&repos));
    if need_write {
        link.contents = Access::Write;
    }
    format!(
        "hint: create a token for {} at {} then run: {}",
        remote.full_name(),
        link.url(),
        link.add_command()
    )
}

/// The hint when git sent no path for a GitHub host.
pub fn no_path_line(host: &str) -> String {
    format!("git sent no repository path for {host}, so the token cannot be chosen by repository; run: git config --global credential.https://{host}.useHttpPath true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_is_prefilled_and_escaped() {
        let repos = ["labs".to_string(), "demo".to_string()];
        let mut link = NewTokenLink::new("github.com", "alta3", Some(&repos));
        link.name = "a name that is much longer than forty characters in total".into();
        link.expires_in_days = Some(900);
        assert_eq!(
            link.url(),
            "https://github.com/settings/personal-access-tokens/new?name=a%20name%20that%20is%20much%20longer%20than%20forty%20ch&description=git-credential-scoped%3A%20labs%2C%20demo&target_name=alta3&expires_in=366&contents=read"
        );
        assert_eq!(
            link.add_command(),
            "git credential-scoped add a-name-that-is-much-longer-than-forty-characters-in-total --owner alta3 --repo labs,demo --permission contents=read --expires-in 900d --verify"
        );
    }
}

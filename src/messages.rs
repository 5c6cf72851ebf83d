//! The words the helper says on stderr: one line each, prefixed `git-credential-scoped:`,
//! naming the token and the repository, with the command that fixes the problem and a
//! pre-filled GitHub token-creation link. Never any part of a secret.

use crate::policy::{Judgement, Refusal};
use crate::protocol::escape;
use crate::registry::learned::Limit;
use crate::registry::{Access, Expiry, Repos, Token};
use crate::remote::Remote;
use crate::time::{format_date, relative, DAY};

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
        self.add_command_free(&|_| false)
    }

    /// [`NewTokenLink::add_command`], under a name `taken` says is free: the first of
    /// NAME, NAME-2, NAME-3, ... (so the printed next step does not fail on a name in use).
    pub fn add_command_free(&self, taken: &dyn Fn(&str) -> bool) -> String {
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
        let base = if crate::remote::valid_token_name(&local) {
            local
        } else {
            self.owner.to_string()
        };
        let local = (1..)
            .map(|n| match n {
                1 => base.clone(),
                n => format!("{base}-{n}"),
            })
            .find(|n| !taken(n))
            .unwrap_or(base);
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
            // Only where it differs from the repository asked for: one line, said briefly.
            let here = remote.map(Remote::full_name);
            let on = rej.repo.as_deref().filter(|r| Some(*r) != here.as_deref()).map(|r| format!(" for {r}")).unwrap_or_default();
            let days = (now - rej.at).max(0) / DAY;
            let when = if days == 0 { "today".to_string() } else { format!("on {} ({days} days ago)", format_date(rej.at)) };
            vec![
                format!("{what}: rejected by the server{on} {when} (revoked or expired?)"),
                format!("hint: run `git credential-scoped check --online {}` to re-test it, `git credential-scoped rotate {}` to replace it, or `git credential-scoped unreject {}`", repo_url(t, remote), t.name, t.name),
            ]
        }
        Refusal::OverLifetime(limit) => vec![
            format!("{what}: {}", over_lifetime_words(limit)),
            lifetime_hint(t, limit.days, None),
        ],
    }
}

/// The note for a token an online check saw waiting for an owner's approval (until a later
/// check sees its repositories).
pub fn pending_line(t: &Token, learned: &crate::registry::learned::Learned) -> Option<String> {
    let (repo, at) = learned.pending(&t.name)?;
    Some(format!(
        "token '{}' was waiting for an owner's approval on {} (none of its repositories visible, {}); `git credential-scoped check --online https://{}/{}` re-tests it",
        t.name,
        format_date(at),
        escape(repo.as_bytes()),
        t.host,
        escape(repo.as_bytes())
    ))
}

/// Why a token over its owner's lifetime limit is refused.
pub fn over_lifetime_words(limit: &Limit) -> String {
    format!(
        "the '{}' {} refuses fine-grained tokens living longer than {} days for {}'s repositories, and this token does (GitHub said so on {})",
        escape(limit.by.as_bytes()),
        escape(limit.kind.as_bytes()),
        limit.days,
        escape(limit.owner.as_bytes()),
        format_date(limit.seen)
    )
}

/// The fix for a token over a lifetime limit of `days`: shorten it on its settings page
/// (when GitHub named it) or create one of at most `days` days, and record its expiry.
pub fn lifetime_hint(t: &Token, days: u32, settings: Option<&str>) -> String {
    let repos = match &t.repos {
        Repos::All => None,
        Repos::List(list) => Some(list.as_slice()),
    };
    let mut link = NewTokenLink::new(&t.host, &t.owner, repos);
    link.name = t.name.clone();
    link.expires_in_days = Some(i64::from(days));
    link.contents = t.contents.max(Access::Read);
    let rotate = format!(
        "git credential-scoped rotate {} --expires-in {days}d",
        t.name
    );
    match settings {
        Some(page) => format!("hint: GitHub cannot shorten a token's lifetime; its page is {} - create one of at most {days} days at {} then run: {rotate}", escape(page.as_bytes()), link.url()),
        None => format!("hint: create a token of at most {days} days at {} then run: {rotate}", link.url()),
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
        Refusal::OverLifetime(l) => format!(
            "it lives longer than the {} days {} allows",
            l.days,
            escape(l.by.as_bytes())
        ),
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
/// The command is the one that clears the mark once the server accepts the token again
/// (with the repository's URL, which it needs); `rotate` and `unreject` are for `doctor`.
pub fn rejected_line(name: &str, host: &str, repo: Option<&str>) -> String {
    let on = repo.map(|f| format!(" for {f}")).unwrap_or_default();
    let path = repo.unwrap_or("OWNER/REPO");
    format!(
        "the server rejected token '{name}'{on}; it is kept, and refused until it works again: git credential-scoped check --online https://{}/{path}",
        escape(host.as_bytes())
    )
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

/// The hint when git sent no path for a GitHub host: git reads `useHttpPath` under the
/// request's own scheme, `http://` for a host declared with `allow_http` (issue 22 #13).
pub fn no_path_line(protocol: Option<&str>, host: &str) -> String {
    let scheme = if protocol == Some("http") {
        "http"
    } else {
        "https"
    };
    format!("git sent no repository path for {host}, so the token cannot be chosen by repository; run: git config --global credential.{scheme}://{host}.useHttpPath true")
}

/// Text that came from outside (a file, a server, git, the environment) for a line people
/// read, terminal or not: [`escape`], the one escaping function, which leaves printable
/// ASCII and turns every other byte into `\xNN` — C0 controls, DEL, C1 controls (U+009B is
/// a terminal's CSI), bidi and invisible format characters (U+202E, U+2066, U+200E ...) and
/// a backslash, so what is shown is unambiguous and cannot move the cursor, recolor, or
/// reorder the rest of the line. Non-ASCII letters are escaped too, as git's `core.quotePath`
/// does by default.
pub fn shown(text: &str) -> String {
    escape(text.as_bytes())
}

/// A path from a file, git or the environment, escaped like [`shown`] (its bytes as the OS
/// gave them, so an invalid one is shown, not replaced).
pub fn shown_path(path: &std::path::Path) -> String {
    let shown = escape(path.as_os_str().as_encoded_bytes());
    // Windows' separator is shown as itself: it is no control character.
    if cfg!(windows) {
        shown.replace("\\x5c", "\\")
    } else {
        shown
    }
}

/// JSON for scripts and terminals alike: serde_json's, with every non-ASCII character
/// written as `\uXXXX`, so a value from outside keeps its exact text for a parser while no
/// C1 control or bidi override reaches a terminal raw (serde_json already escapes C0).
pub fn write_json<W: std::io::Write, T: serde::Serialize>(
    out: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, AsciiJson);
    value.serialize(&mut ser)
}

struct AsciiJson;

impl serde_json::ser::Formatter for AsciiJson {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        out: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices().filter(|(_, c)| !c.is_ascii()) {
            out.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(out, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        out.write_all(&fragment.as_bytes()[start..])?;
        Ok(())
    }
}

/// The hint for a host that is not declared a GitHub host: a command that appends the
/// `[[host]]` table to the config, as valid TOML on several lines (a table printed on one
/// line would not parse when pasted). `None` for a name a shell or TOML would misread.
pub fn declare_host_hint(host: &str, config: &std::path::Path) -> Option<String> {
    let plain = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:".contains(&b));
    plain.then(|| {
        format!(
            "hint: if {host} is GitHub Enterprise, declare it; run: printf '\\n[[host]]\\nname = \"{host}\"\\napi = \"https://{host}/api/v3\"\\n' >> {}",
            crate::gitconfig::shell_quote(&config.display().to_string())
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_loses_every_control_and_format_character() {
        for c in [
            '\u{1b}', '\u{7}', '\r', '\n', '\u{7f}', '\u{9b}', '\u{85}', '\u{202a}', '\u{202e}',
            '\u{2066}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{200b}', '\u{feff}', '\u{2028}',
        ] {
            let text = format!("a{c}b");
            let out = shown(&text);
            assert!(out.starts_with('a') && out.ends_with('b'), "{out}");
            assert!(
                out.bytes().all(|b| (0x20..0x7f).contains(&b)),
                "{c:?} -> {out}"
            );
        }
        assert_eq!(shown("me\u{9b}31m"), "me\\xc2\\x9b31m");
        assert_eq!(shown("a\\b"), "a\\x5cb");
        assert_eq!(
            shown_path(std::path::Path::new("/h/x\u{1b}[2J")),
            "/h/x\\x1b[2J"
        );
    }

    #[test]
    fn json_is_ascii_and_reads_back_exactly() {
        let value = serde_json::json!({"u": "me\u{9b}\u{202e}é😀\u{1b}"});
        let mut out = Vec::new();
        write_json(&mut out, &value).unwrap();
        assert!(out.iter().all(|b| (0x20..0x7f).contains(b)), "{out:?}");
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, r#"{"u":"me\u009b\u202e\u00e9\ud83d\ude00\u001b"}"#);
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
    }

    #[test]
    fn the_no_path_hint_names_the_requests_scheme() {
        assert!(no_path_line(Some("http"), "h:8080")
            .ends_with("credential.http://h:8080.useHttpPath true"));
        assert!(no_path_line(Some("https"), "h").ends_with("credential.https://h.useHttpPath true"));
        assert!(no_path_line(None, "h").ends_with("credential.https://h.useHttpPath true"));
    }

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

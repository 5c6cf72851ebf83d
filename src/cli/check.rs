//! `check [--online] [--write] [--json] URL...`: preflight for installer scripts and people.
//! For each remote URL, the token `get` would send and whether it would be sent, decided by
//! the very same [`resolve`] call `get` makes (with `need_write` for `--write`), so the two
//! can never disagree. Offline it reads only the config, the state file and the generic
//! index: the keyring stays closed. `--online` takes the chosen token's secret and asks the
//! host (SPEC §7, [`crate::github`]): the expiry it reports goes into the config, a 401 marks
//! the token rejected, any other answer clears such a mark, and the decision is made again.
//!
//! Also home to `--verify` of `add` and `rotate`, which asks the same questions before a new
//! secret is saved.

use std::collections::HashMap;
use std::io::Write;

use super::json::Json;
use super::{CliResult, EXIT_OK, EXIT_PROBLEMS};
use crate::context::Context;
use crate::github::{Client, ContentsAccess, Probe, RepoAccess, ServerExpiry};
use crate::helper::{say, token_secret};
use crate::messages::{self, renewal_link, NewTokenLink};
use crate::policy::{Refusal, Verdict};
use crate::protocol::escape;
use crate::protocol::url::parse_url;
use crate::registry::credentials::{self, Pattern, Stored};
use crate::registry::state::{self, Rejection, State};
use crate::registry::{config, Access, Expiry, Registry, Repos, Token};
use crate::remote::Remote;
use crate::resolve::{resolve, Choice, Query, Resolution};
use crate::secret::Secret;
use crate::time::{self, format_date, relative};

/// The `--json` shape, shown by `check --help`; keep it in step with [`Outcome::json`].
pub const JSON_HELP: &str = "\
Exit codes: 0 every URL would be served, 1 at least one would not, 2 usage or environment error.

--json prints one object (a stable shape; fields may be added, never renamed):
  {\"ok\": true|false,                      true when every URL would be served
   \"results\": [{
     \"url\": \"https://github.com/alta3/labs\",  as given, without any password
     \"host\": \"github.com\",
     \"repository\": \"alta3/labs\" | null,
     \"token\": \"alta3\" | null,            the token get would choose
     \"verdict\": \"ok\" | \"expiring\" | \"expired\" | \"no-contents\" | \"no-write\" | \"rejected\"
              | \"not-found\" | \"unverified\" | \"uncovered\" | \"not-github\"
              | \"insecure-protocol\" | \"no-path\",
     \"serves\": true|false,                 whether get would answer (a token, or a credential
                                           from the generic store)
     \"expires\": \"2027-02-19T13:58:00Z\" | \"never\" | null,
     \"days_left\": 90 | null,
     \"messages\": [\"...\"],                 what is wrong and the command that fixes it
     \"online\": null | {                   with --online, when a token was chosen
       \"token\": \"alta3\", \"api\": \"https://api.github.com\",
       \"repository\": \"visible\" | \"not-found\" | \"rejected\" | \"unexpected\",
       \"status\": 200 | null,              HTTP status of an unexpected answer
       \"git_read\": 200 | null,            git's read probe, asked after a 404
       \"contents\": \"readable\" | \"empty\" | \"missing\" | \"unexpected\" | null,
       \"expires\": \"2026-12-31T12:00:00Z\" | \"never\" | null,   as the server reports it
       \"expiry_recorded\": true|false,     the config was updated with it
       \"rejected_marked\": true|false, \"rejected_cleared\": true|false,
       \"error\": \"...\" | null}}]}";

#[derive(clap::Args, Debug)]
#[command(after_long_help = JSON_HELP)]
pub struct Args {
    /// Remote URLs, like https://github.com/alta3/labs.git
    #[arg(required = true, value_name = "URL")]
    pub urls: Vec<String>,
    /// Also ask the host: repository visible to the token, contents readable, expiry (recorded in the config); a 401 marks the token rejected
    #[arg(long)]
    pub online: bool,
    /// Require push access (contents=write)
    #[arg(long)]
    pub write: bool,
    /// Print JSON (shape in --help)
    #[arg(long)]
    pub json: bool,
}

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

/// A URL from the command line, split the way git splits it (any password dropped).
#[derive(Debug)]
struct Target {
    shown: String,
    protocol: String,
    host: String,
    path: Option<Vec<u8>>,
    username: Option<String>,
}

fn parse_target(url: &str) -> Result<Target, String> {
    let parts = parse_url(url.as_bytes()).map_err(|why| {
        let hint = if url.contains('@') && !url.contains("://") {
            "\nhint: SSH remotes (git@host:owner/repo) do not use credential helpers; give the https:// URL"
        } else {
            ""
        };
        format!("argument {why}; give a URL like https://github.com/OWNER/REPO{hint}")
    })?;
    let user = parts
        .username
        .as_deref()
        .map(|u| format!("{}@", escape(u.as_bytes())))
        .unwrap_or_default();
    let path = parts
        .path
        .as_deref()
        .map(|p| format!("/{}", escape(p)))
        .unwrap_or_default();
    Ok(Target {
        shown: format!(
            "{}://{user}{}{path}",
            parts.protocol,
            escape(parts.host.as_bytes())
        ),
        protocol: parts.protocol,
        host: parts.host,
        path: parts.path,
        username: parts.username,
    })
}

/// What `check` says about one URL.
struct Outcome {
    url: String,
    host: String,
    repository: Option<String>,
    token: Option<Token>,
    verdict: &'static str,
    serves: bool,
    /// The rest of the first human line.
    head: String,
    messages: Vec<String>,
    online: Option<Online>,
}

fn verdict_name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Serve => "ok",
        Verdict::Expiring { .. } => "expiring",
        Verdict::ExpiredAllowed { .. } | Verdict::Refuse(Refusal::Expired { .. }) => "expired",
        Verdict::Refuse(Refusal::NoContents) => "no-contents",
        Verdict::Refuse(Refusal::NoWrite) => "no-write",
        Verdict::Refuse(Refusal::Rejected(_)) => "rejected",
    }
}

fn expiry_words(e: Expiry, now: i64) -> String {
    match e {
        Expiry::Never => "never expires".into(),
        Expiry::Unknown => "expiry unknown".into(),
        Expiry::At(at) if at <= now => {
            format!("expired {} ({})", format_date(at), relative(at, now))
        }
        Expiry::At(at) => format!("expires {}, {}", format_date(at), relative(at, now)),
    }
}

fn choice_head(c: &Choice, now: i64) -> String {
    let t = c.token;
    let reason = match &c.verdict {
        Verdict::Refuse(Refusal::Expired { .. }) => expiry_words(t.expires, now),
        Verdict::Refuse(Refusal::NoContents) => "it has no contents permission".into(),
        Verdict::Refuse(Refusal::NoWrite) => {
            format!(
                "pushing needs contents=write, it has contents={}",
                t.contents.name()
            )
        }
        Verdict::Refuse(Refusal::Rejected(r)) => {
            format!("the server rejected it on {}", format_date(r.at))
        }
        _ => {
            return format!(
                "token '{}' ({}, {})",
                t.name,
                t.permissions_text(),
                expiry_words(t.expires, now)
            )
        }
    };
    format!("token '{}': {reason}", t.name)
}

/// The creation link and `add` command for a repository no token covers.
fn new_token_hint(remote: &Remote, need_write: bool) -> String {
    let description = format!("git-credential-scoped: {}", remote.repo);
    let link = NewTokenLink {
        host: &remote.host,
        owner: &remote.owner,
        name: &format!("{}-{}", remote.owner, remote.repo),
        description: Some(&description),
        expires_in_days: Some(90),
        contents: if need_write {
            Access::Write
        } else {
            Access::Read
        },
    }
    .url();
    let host = if remote.host == crate::registry::GITHUB {
        String::new()
    } else {
        format!(" --host {}", remote.host)
    };
    format!(
        "hint: create a token for {} at {link} then run: git credential-scoped add {}-{} --owner {} --repo {}{host} --expires-in 90d --verify",
        remote.full_name(), remote.owner, remote.repo, remote.owner, remote.repo
    )
}

/// The same decision `get` makes, described. Pure: the registry, state, generic index and
/// clock are arguments.
fn decide(
    t: &Target,
    reg: &Registry,
    state: &State,
    index: &[Stored],
    now: i64,
    need_write: bool,
) -> Outcome {
    let q = Query {
        protocol: &t.protocol,
        host: &t.host,
        path: t.path.as_deref(),
        username: t.username.as_deref(),
        need_write,
    };
    let generic = |path: Option<&[u8]>| {
        let p = Pattern {
            protocol: &t.protocol,
            host: &t.host,
            path,
            username: t.username.as_deref(),
        };
        index.iter().any(|e| e.matches(&p))
    };
    let mut o = Outcome {
        url: t.shown.clone(),
        host: t.host.clone(),
        repository: None,
        token: None,
        verdict: "ok",
        serves: false,
        head: String::new(),
        messages: Vec::new(),
        online: None,
    };
    let host = escape(t.host.as_bytes());
    match resolve(&q, reg, state, now) {
        Resolution::NotGitHub => {
            o.verdict = "not-github";
            o.serves = generic(t.path.as_deref());
            o.head = format!("{host} is not a GitHub host{}", stored_note(o.serves));
            o.messages.push(format!("hint: if {host} is GitHub Enterprise, declare it in the config: [[host]] name = \"{host}\" api = \"https://{host}/api/v3\""));
        }
        Resolution::InsecureProtocol => {
            o.verdict = "insecure-protocol";
            o.head = format!(
                "{host} is a GitHub host and takes tokens over https only, not {}",
                escape(t.protocol.as_bytes())
            );
            o.messages.push(format!("hint: use https://{host}/..."));
        }
        Resolution::NoPath {
            default: Some(c), ..
        } => {
            o.messages.push(
                "the URL names no repository; get would send the host's default token".into(),
            );
            describe_choice(&mut o, &c, now);
        }
        Resolution::NoPath { default: None, .. } | Resolution::NotARepository => {
            o.verdict = "no-path";
            o.serves = generic(t.path.as_deref());
            o.head = format!(
                "the URL names no OWNER/REPO on {host}{}",
                stored_note(o.serves)
            );
            o.messages.push(format!(
                "hint: give the repository's URL, like https://{host}/OWNER/REPO"
            ));
        }
        Resolution::Chosen(c) => describe_choice(&mut o, &c, now),
        Resolution::Uncovered {
            remote,
            owner_covers,
        } => {
            o.repository = Some(remote.full_name());
            o.verdict = "uncovered";
            o.serves = generic(Some(remote.full_name().as_bytes()));
            o.head = match &owner_covers {
                Some(covers) => {
                    messages::uncovered_line(&remote.full_name(), &remote.owner, covers)
                }
                None => format!(
                    "no token for {} on {} covers {}",
                    remote.owner,
                    remote.host,
                    remote.full_name()
                ),
            };
            o.head.push_str(&stored_note(o.serves));
            if !o.serves {
                o.messages.push(new_token_hint(&remote, need_write));
            }
        }
    }
    o
}

fn stored_note(served: bool) -> String {
    if served {
        " (get answers with a credential stored for it)".into()
    } else {
        String::new()
    }
}

fn describe_choice(o: &mut Outcome, c: &Choice, now: i64) {
    o.repository = c.remote.as_ref().map(Remote::full_name);
    o.token = Some(c.token.clone());
    o.verdict = verdict_name(&c.verdict);
    o.serves = c.verdict.serves();
    o.head = choice_head(c, now);
    o.messages.extend(messages::verdict_lines(c, now));
}

impl Outcome {
    fn json(&self, now: i64) -> Json {
        let (expires, days_left) = match self.token.as_ref().map(|t| t.expires) {
            Some(Expiry::Never) => (Json::str("never"), Json::Null),
            Some(Expiry::At(at)) => (
                Json::str(time::format_datetime(at)),
                Json::Num((at - now).div_euclid(time::DAY)),
            ),
            _ => (Json::Null, Json::Null),
        };
        Json::Obj(vec![
            ("url", Json::str(self.url.as_str())),
            ("host", Json::str(self.host.as_str())),
            ("repository", Json::opt_str(self.repository.clone())),
            (
                "token",
                Json::opt_str(self.token.as_ref().map(|t| t.name.clone())),
            ),
            ("verdict", Json::str(self.verdict)),
            ("serves", Json::Bool(self.serves)),
            ("expires", expires),
            ("days_left", days_left),
            (
                "messages",
                Json::Arr(
                    self.messages
                        .iter()
                        .map(|m| Json::str(m.as_str()))
                        .collect(),
                ),
            ),
            (
                "online",
                self.online.as_ref().map_or(Json::Null, Online::json),
            ),
        ])
    }

    fn print(&self, out: &mut impl Write) -> std::io::Result<()> {
        let status = match (self.serves, self.verdict) {
            (true, "uncovered" | "not-github" | "no-path") => "ok",
            (false, "expired" | "no-contents" | "no-write" | "rejected") => "refused",
            (_, v) => v,
        };
        let sep = if self.token.is_some() { " " } else { ":" };
        writeln!(out, "{status:<9} {}{sep} {}", self.url, self.head)?;
        for m in &self.messages {
            writeln!(out, "          {m}")?;
        }
        if let Some(online) = &self.online {
            writeln!(out, "          online: {}", online.summary())?;
        }
        Ok(())
    }
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let targets = a
        .urls
        .iter()
        .map(|u| parse_target(u))
        .collect::<Result<Vec<_>, _>>()?;
    let mut reg = ctx.registry()?;
    let mut probes = Probes::default();
    let mut outcomes = Vec::new();
    for t in &targets {
        outcomes.push(check_one(ctx, &mut reg, &mut probes, t, &a)?);
    }
    let ok = outcomes.iter().all(|o| o.serves);
    let mut out = std::io::stdout().lock();
    if a.json {
        let results = outcomes.iter().map(|o| o.json(ctx.now)).collect();
        let doc = Json::Obj(vec![
            ("ok", Json::Bool(ok)),
            ("results", Json::Arr(results)),
        ]);
        writeln!(out, "{}", doc.render())?;
    } else {
        for o in &outcomes {
            o.print(&mut out)?;
        }
    }
    Ok(if ok { EXIT_OK } else { EXIT_PROBLEMS })
}

/// Decides one URL; with `--online`, asks the host about the chosen token, records what it
/// says, and decides again until the chosen token is one already asked about.
fn check_one(
    ctx: &Context,
    reg: &mut Registry,
    probes: &mut Probes,
    t: &Target,
    a: &Args,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let index = credentials::load(&ctx.data_dir)?;
    for _ in 0..=reg.tokens.len() {
        let state = ctx.state()?;
        let mut o = decide(t, reg, &state, &index, ctx.now, a.write);
        let (Some(token), Some(repo), true) = (o.token.clone(), o.repository.clone(), a.online)
        else {
            return Ok(o);
        };
        let key = (token.name.clone(), repo.to_ascii_lowercase());
        if let Some(online) = probes.done.get(&key) {
            online.amend(&mut o, &token, ctx.now);
            o.online = Some(online.clone());
            return Ok(o);
        }
        let online = ask(ctx, reg, &state, &token, &repo);
        probes.done.insert(key, online);
    }
    Ok(decide(t, reg, &ctx.state()?, &index, ctx.now, a.write))
}

#[derive(Default)]
struct Probes {
    done: HashMap<(String, String), Online>,
}

/// What `--online` learned about one token and repository.
#[derive(Clone, Debug, Default)]
struct Online {
    token: String,
    api: String,
    probe: Option<Probe>,
    error: Option<String>,
    expiry_recorded: bool,
    rejected_marked: bool,
    rejected_cleared: bool,
}

/// Asks the host and records the answer in the config and the state file.
fn ask(ctx: &Context, reg: &mut Registry, state: &State, token: &Token, repo: &str) -> Online {
    let mut online = Online {
        token: token.name.clone(),
        ..Online::default()
    };
    let result = probe(ctx, reg, token, repo).and_then(|(api, probe)| {
        online.api = api;
        record(ctx, reg, state, token, repo, &probe, &mut online)?;
        online.probe = Some(probe);
        Ok(())
    });
    if let Err(e) = result {
        online.error = Some(e.to_string());
    }
    online
}

fn probe(
    ctx: &Context,
    reg: &Registry,
    token: &Token,
    repo: &str,
) -> Result<(String, Probe), Box<dyn std::error::Error>> {
    let decl = reg
        .github_host(&token.host)
        .ok_or_else(|| format!("{} is no longer a GitHub host in the config", token.host))?;
    let client = Client::new(&decl)?;
    let api = client.api.clone();
    let secret = token_secret(ctx, token)?;
    let (owner, name) = repo.split_once('/').unwrap_or((repo, ""));
    let username = token.username.as_deref().unwrap_or("x-access-token");
    let probe = client.probe_repo(&token.name, username, &secret, owner, name)?;
    Ok((api, probe))
}

fn record(
    ctx: &Context,
    reg: &mut Registry,
    state: &State,
    token: &Token,
    repo: &str,
    probe: &Probe,
    online: &mut Online,
) -> Result<(), Box<dyn std::error::Error>> {
    let new_expiry = match probe.expiry {
        Some(ServerExpiry::At(at)) => Some(Expiry::At(at)),
        Some(ServerExpiry::Never) => Some(Expiry::Never),
        _ => None,
    };
    if let Some(e) = new_expiry.filter(|e| *e != token.expires) {
        let mut changed = token.clone();
        changed.expires = e;
        config::edit(&ctx.config_path, |doc, _| {
            config::put_token(doc, &changed);
            Ok(())
        })?;
        if let Some(t) = reg.tokens.iter_mut().find(|t| t.name == token.name) {
            t.expires = e;
        }
        online.expiry_recorded = true;
    }
    let was_rejected = state.rejection(&token.name).is_some();
    let expired = matches!(token.expires, Expiry::At(at) if at <= ctx.now);
    if !probe.alive() && !was_rejected && !expired {
        let rejection = Rejection {
            at: ctx.now,
            repo: Some(repo.to_string()),
        };
        state::update(&ctx.data_dir, |s| {
            s.entry(&token.name).rejected = Some(rejection)
        })?;
        online.rejected_marked = true;
    } else if probe.alive() && was_rejected {
        state::update(&ctx.data_dir, |s| s.entry(&token.name).rejected = None)?;
        online.rejected_cleared = true;
    }
    Ok(())
}

/// The page where a user reviews their fine-grained tokens.
fn tokens_page(host: &str) -> String {
    format!("https://{host}/settings/personal-access-tokens")
}

/// The lines explaining a 404 for `repo` (SPEC §7: say all the reasons).
pub fn not_found_lines(token: &Token, repo: &str, git_read: Option<u16>, api: &str) -> Vec<String> {
    let owner = repo.split('/').next().unwrap_or(repo);
    let mut lines = vec![format!(
        "the server cannot show {repo} to token '{}' (404): {} is not among the token's selected repositories, or the token belongs to another owner than {owner}, or an owner of {owner} has not approved the token yet, or there is no such repository",
        token.name,
        repo.split('/').nth(1).unwrap_or(repo),
    )];
    if git_read == Some(200) {
        lines.push(format!("note: git itself can read {repo} with this token, so the API at {api} may be the wrong one; check `api` of this host in the config"));
    }
    lines.push(format!(
        "hint: review the token's repository access at {} (organization owners approve tokens under the organization's Settings, Personal access tokens, Pending requests); or create a new token at {} then run: git credential-scoped rotate {}",
        tokens_page(&token.host), renewal_link(token), token.name
    ));
    lines
}

fn no_contents_lines(token: &Token, repo: &str, accepted: &str) -> Vec<String> {
    vec![
        format!("the server says token '{}' may not read the contents of {repo} (403; it needs {accepted}), so git can neither clone nor fetch", token.name),
        format!("hint: create a token with contents=read at {} then run: git credential-scoped rotate {}", renewal_link(token), token.name),
    ]
}

impl Online {
    /// Turns what the server said into the verdict: a token that would be sent but cannot
    /// see or read the repository does not pass.
    fn amend(&self, o: &mut Outcome, token: &Token, now: i64) {
        let repo = o.repository.clone().unwrap_or_default();
        if let Some(e) = &self.error {
            o.verdict = "unverified";
            o.serves = false;
            o.messages.extend(e.lines().map(str::to_string));
            return;
        }
        let Some(p) = &self.probe else { return };
        if self.expiry_recorded {
            o.messages.push(format!(
                "recorded from the server: token '{}' {}",
                token.name,
                expiry_words(token.expires, now)
            ));
        }
        if let Some(ServerExpiry::Unreadable(v)) = &p.expiry {
            o.messages.push(format!("note: the server's expiration header '{v}' could not be read; the config keeps its expiry"));
        }
        if !o.serves {
            return;
        }
        match (&p.repo, &p.contents) {
            (RepoAccess::NotFound { git_read }, _) => {
                if *git_read != Some(200) {
                    o.verdict = "not-found";
                    o.serves = false;
                }
                o.messages
                    .extend(not_found_lines(token, &repo, *git_read, &p.api));
            }
            (RepoAccess::Unexpected(s), _) | (_, Some(ContentsAccess::Unexpected(s))) => {
                o.verdict = "unverified";
                o.serves = false;
                o.messages.push(format!("the server answered HTTP {s}; nothing could be verified (rate limit or server trouble?): try again later"));
            }
            (_, Some(ContentsAccess::Missing { accepted })) => {
                o.verdict = "no-contents";
                o.serves = false;
                o.messages.extend(no_contents_lines(token, &repo, accepted));
            }
            _ => {}
        }
    }

    fn summary(&self) -> String {
        if let Some(e) = &self.error {
            return format!(
                "could not ask the server: {}",
                e.lines().next().unwrap_or("")
            );
        }
        let Some(p) = &self.probe else {
            return "not asked".into();
        };
        let mut parts = vec![match &p.repo {
            RepoAccess::Visible => "repository visible".to_string(),
            RepoAccess::NotFound { .. } => "repository not found (404)".into(),
            RepoAccess::Rejected => "token rejected (401); marked rejected".into(),
            RepoAccess::Unexpected(s) => format!("HTTP {s}"),
        }];
        match &p.contents {
            Some(ContentsAccess::Readable) => parts.push("contents readable".into()),
            Some(ContentsAccess::Empty) => parts.push("repository empty".into()),
            Some(ContentsAccess::Missing { .. }) => parts.push("no contents permission".into()),
            Some(ContentsAccess::Unexpected(s)) => parts.push(format!("contents probe HTTP {s}")),
            None => {}
        }
        match &p.expiry {
            Some(ServerExpiry::At(at)) => parts.push(format!("server expiry {}", format_date(*at))),
            Some(ServerExpiry::Never) => parts.push("server: no expiry".into()),
            _ => {}
        }
        if self.expiry_recorded {
            parts.push("expiry recorded in the config".into());
        }
        if self.rejected_cleared {
            parts.push("rejected mark cleared".into());
        }
        parts.join(", ")
    }

    fn json(&self) -> Json {
        let p = self.probe.as_ref();
        let (repository, status, git_read) = match p.map(|p| &p.repo) {
            Some(RepoAccess::Visible) => ("visible", Json::Null, Json::Null),
            Some(RepoAccess::NotFound { git_read }) => (
                "not-found",
                Json::Null,
                git_read.map_or(Json::Null, |s| Json::Num(s.into())),
            ),
            Some(RepoAccess::Rejected) => ("rejected", Json::Null, Json::Null),
            Some(RepoAccess::Unexpected(s)) => ("unexpected", Json::Num((*s).into()), Json::Null),
            None => ("unexpected", Json::Null, Json::Null),
        };
        let contents = match p.and_then(|p| p.contents.as_ref()) {
            Some(ContentsAccess::Readable) => Json::str("readable"),
            Some(ContentsAccess::Empty) => Json::str("empty"),
            Some(ContentsAccess::Missing { .. }) => Json::str("missing"),
            Some(ContentsAccess::Unexpected(_)) => Json::str("unexpected"),
            None => Json::Null,
        };
        let expires = match p.and_then(|p| p.expiry.as_ref()) {
            Some(ServerExpiry::At(at)) => Json::str(time::format_datetime(*at)),
            Some(ServerExpiry::Never) => Json::str("never"),
            _ => Json::Null,
        };
        Json::Obj(vec![
            ("token", Json::str(self.token.as_str())),
            ("api", Json::str(self.api.as_str())),
            ("repository", Json::str(repository)),
            ("status", status),
            ("git_read", git_read),
            ("contents", contents),
            ("expires", expires),
            ("expiry_recorded", Json::Bool(self.expiry_recorded)),
            ("rejected_marked", Json::Bool(self.rejected_marked)),
            ("rejected_cleared", Json::Bool(self.rejected_cleared)),
            ("error", Json::opt_str(self.error.clone())),
        ])
    }
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
            fetched = token_secret(ctx, token)?;
            &fetched
        }
    };
    let mut err = std::io::stderr();
    let probe = match ask_new(reg, token, secret) {
        Ok(p) => p,
        Err(e) if v.force => {
            say(
                &mut err,
                &format!(
                    "warning: could not verify token '{}': {}; saving it anyway (--force)",
                    token.name,
                    e.to_string().lines().next().unwrap_or("")
                ),
            );
            return Ok(());
        }
        Err(e) => {
            return Err(format!(
                "{e}\nnothing was saved; to save without asking the server, leave out --verify"
            )
            .into())
        }
    };
    match &probe.expiry {
        Some(ServerExpiry::At(at)) => token.expires = Expiry::At(*at),
        Some(ServerExpiry::Never) => token.expires = Expiry::Never,
        Some(ServerExpiry::Unreadable(h)) => say(
            &mut err,
            &format!("warning: the server's expiration header '{h}' could not be read"),
        ),
        None => {}
    }
    let Some(problem) = verify_problem(token, &probe) else {
        return Ok(());
    };
    if v.force {
        say(
            &mut err,
            &format!(
                "warning: {}; saving it anyway (--force)",
                problem.lines().next().unwrap_or("")
            ),
        );
        return Ok(());
    }
    Err(format!("{problem}\nnothing was saved; to save it anyway, add --force").into())
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
            client.probe_repo(&token.name, username, secret, &token.owner, &list[0])?
        }
        _ => client.probe_token(&token.name, secret)?,
    })
}

fn verify_problem(token: &Token, probe: &Probe) -> Option<String> {
    let repo = match &token.repos {
        Repos::List(list) => format!(
            "{}/{}",
            token.owner,
            list.first().map_or("", String::as_str)
        ),
        Repos::All => token.owner.clone(),
    };
    match (&probe.repo, &probe.contents) {
        (RepoAccess::Rejected, _) => Some(format!("the server rejected token '{}' (401 Bad credentials): it is revoked, expired or mistyped", token.name)),
        (RepoAccess::NotFound { git_read }, _) => Some(not_found_lines(token, &repo, *git_read, &probe.api).join("\n")),
        (RepoAccess::Unexpected(s), _) => Some(format!("the server answered HTTP {s} about {repo}; could not verify token '{}'", token.name)),
        (_, Some(ContentsAccess::Missing { accepted })) if token.contents != Access::None => Some(no_contents_lines(token, &repo, accepted).join("\n")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_password() {
        let t = parse_target("https://me:hunter2@github.com/alta3/labs.git").unwrap();
        assert_eq!(t.shown, "https://me@github.com/alta3/labs.git");
        assert_eq!(t.username.as_deref(), Some("me"));
        assert!(parse_target("git@github.com:alta3/labs.git")
            .unwrap_err()
            .contains("SSH remotes"));
    }
}

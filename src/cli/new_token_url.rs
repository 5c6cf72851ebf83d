//! `new-token-url`: GitHub's pre-filled "new fine-grained token" link (SPEC §7) plus what the
//! link cannot carry: the repositories to tick by hand, and the command that registers the
//! token once it exists.

use std::io::Write;

use super::add::parse_permissions;
use super::{CliResult, EXIT_OK};
use crate::context::Context;
use crate::messages::NewTokenLink;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  git credential-scoped new-token-url --owner alta3 --repo labs,demo --expires-in 90\n\n\
--json prints {\"url\": \"...\", \"owner\": \"alta3\", \"repositories\": [\"labs\", \"demo\"] | \"all\", \"name\": \"...\", \"expires_in\": 90 | \"none\", \"add_command\": \"...\"}"
)]
pub struct Args {
    /// The resource owner (user or organization) the token is for
    #[arg(long)]
    pub owner: String,
    /// Repositories to select (repeat, or separate with commas) [default: all of the owner's]
    #[arg(long = "repo", value_name = "R[,R...]", value_delimiter = ',')]
    pub repos: Vec<String>,
    /// The token's name on GitHub (at most 40 characters) [default: OWNER or OWNER-REPO]
    #[arg(long)]
    pub name: Option<String>,
    /// Days until it expires, 1 to 366 (like 90 or 90d), or "none"
    #[arg(long, value_name = "DAYS", default_value = "90")]
    pub expires_in: String,
    /// A permission to request, like contents=read or contents=write (repeatable) [default: contents=read]
    #[arg(long = "permission", value_name = "NAME=none|read|write")]
    pub permissions: Vec<String>,
    /// The GitHub host (github.com, or a declared GitHub Enterprise host)
    #[arg(long, default_value = "github.com")]
    pub host: String,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
}

pub fn run(ctx: &Context, a: Args) -> CliResult {
    let bad = |m: String| -> Box<dyn std::error::Error> { m.into() };
    super::shared::check_owner_and_repos(&a.owner, &a.repos).map_err(bad)?;
    let host = a.host.to_ascii_lowercase();
    let reg = ctx.registry()?;
    if reg.github_host(&host).is_none() {
        let hint = crate::messages::declare_host_hint(&host, &ctx.config_path);
        return Err(bad(format!(
            "{} is not a GitHub host{}",
            crate::protocol::escape(host.as_bytes()),
            hint.map(|h| format!("\n{h}")).unwrap_or_default()
        )));
    }
    let expires = crate::time::parse_expires_in(&a.expires_in).map_err(|e| bad(e.into()))?;
    let (contents, others) = parse_permissions(&a.permissions).map_err(bad)?;
    let repos = (!a.repos.is_empty()).then_some(a.repos.as_slice());
    let mut link = NewTokenLink::new(&host, &a.owner, repos);
    if let Some(n) = &a.name {
        link.name = n.clone();
    }
    link.expires_in_days = expires;
    link.contents = contents;
    link.others = &others;
    let taken = |n: &str| reg.token(n).is_some();
    let (url, add, name) = (link.url(), link.add_command_free(&taken), link.name.clone());
    let learned = crate::registry::learned::load(&ctx.data_dir)?;
    match super::lifetime::judge(&learned, &host, &a.owner, &name, expires) {
        Ok(Some(w)) => super::paint::say(&mut super::paint::stderr(), &w),
        Ok(None) => {}
        Err(e) => super::paint::say(
            &mut super::paint::stderr(),
            &format!("warning: {}", e.replace("\nhint: ", "; ")),
        ),
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        #[derive(serde::Serialize)]
        #[serde(untagged)]
        enum Value<'a> {
            Text(&'a str),
            Names(&'a [String]),
            Days(i64),
        }
        #[derive(serde::Serialize)]
        struct Doc<'a> {
            url: &'a str,
            owner: &'a str,
            repositories: Value<'a>,
            name: String,
            expires_in: Value<'a>,
            add_command: &'a str,
        }
        let doc = Doc {
            url: &url,
            owner: &a.owner,
            repositories: match a.repos.as_slice() {
                [] => Value::Text("all"),
                list => Value::Names(list),
            },
            name: name.chars().take(40).collect(),
            expires_in: expires.map_or(Value::Text("none"), Value::Days),
            add_command: &add,
        };
        serde_json::to_writer(&mut out, &doc)?;
        writeln!(out)?;
        return Ok(EXIT_OK);
    }
    writeln!(out, "{url}")?;
    if a.repos.is_empty() {
        writeln!(
            out,
            "On that page, under \"Repository access\", choose \"All repositories\" (of {}).",
            a.owner
        )?;
    } else {
        writeln!(out, "On that page, under \"Repository access\", choose \"Only select repositories\" and tick (the link cannot select them):")?;
        for r in &a.repos {
            writeln!(out, "  {}/{r}", a.owner)?;
        }
    }
    writeln!(
        out,
        "Then register the new token (it is read from stdin or a hidden prompt):\n  {add}"
    )?;
    Ok(EXIT_OK)
}

//! What the user typed, before anything is decided: a URL from the command line split the
//! way git splits it, any password dropped from what is shown, and a hint when an SSH
//! remote is given (git asks credential helpers only for URLs).

use crate::protocol::escape;
use crate::protocol::url::parse_url;

/// A URL from the command line, split the way git splits it (any password dropped).
#[derive(Debug)]
pub struct Target {
    pub shown: String,
    pub protocol: String,
    pub host: String,
    pub path: Option<Vec<u8>>,
    pub username: Option<String>,
}

pub fn parse_target(url: &str) -> Result<Target, String> {
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

//! What the user typed, before anything is decided: a URL from the command line split the
//! way git splits it, any password dropped from what is shown, and a hint when an SSH
//! remote is given (git asks credential helpers only for URLs).

use std::process::{Command, Stdio};

use crate::protocol::escape;
use crate::protocol::url::parse_url;

/// A URL from the command line, split the way git splits it (any password dropped).
#[derive(Debug)]
pub struct Target {
    pub shown: String,
    pub protocol: String,
    pub host: String,
    /// The path as git would send it to the helper: none unless useHttpPath is on.
    pub path: Option<Vec<u8>>,
    pub username: Option<String>,
    /// The URL has a path that git would not send (useHttpPath off for it).
    pub path_withheld: bool,
}

impl Target {
    /// Drops the path when git would not send it to a credential helper: git's own
    /// `credential.useHttpPath` for this URL (git-config(1) `credential.<url>.*`), off
    /// unless set. Left as it is when git cannot be asked.
    pub fn sent_by_git(mut self) -> Target {
        let Some(path) = &self.path else {
            return self;
        };
        // The URL given to git has no user name or password: nothing secret in argv.
        let url = format!(
            "{}://{}/{}",
            self.protocol,
            self.host,
            String::from_utf8_lossy(path)
        );
        let out = Command::new("git")
            .args([
                "config",
                "--type=bool",
                "--get-urlmatch",
                "credential.useHttpPath",
            ])
            .arg(&url)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        let sends = match out {
            Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).trim() == "true",
            Ok(o) if o.status.code() == Some(1) => false,
            _ => true,
        };
        if !sends {
            self.path = None;
            self.path_withheld = true;
        }
        self
    }
}

const SSH: &str = "SSH remotes do not use credential helpers (git authenticates them with SSH keys); give the https:// URL to check the token git would send over HTTPS";

pub fn parse_target(url: &str) -> Result<Target, String> {
    let parts = parse_url(url.as_bytes()).map_err(|why| {
        let hint = if url.contains('@') && !url.contains("://") {
            format!("\nhint: {SSH}")
        } else {
            String::new()
        };
        format!("argument {why}; give a URL like https://github.com/OWNER/REPO{hint}")
    })?;
    if matches!(parts.protocol.as_str(), "ssh" | "git+ssh" | "ssh+git") {
        return Err(format!(
            "{} is an SSH URL\nhint: {SSH}",
            escape(url.split('@').next_back().unwrap_or(url).as_bytes())
        ));
    }
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
        path_withheld: false,
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

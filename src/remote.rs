//! From what git sent to the repository it means: for a GitHub host, `path` reduces to
//! `owner/repo` — one trailing `.git` stripped, segments after the second ignored (Git LFS
//! sends `owner/repo.git/info/lfs`), compared case-insensitively later.

use crate::registry::valid_name;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remote {
    /// As git sent it, with `:port`.
    pub host: String,
    pub owner: String,
    pub repo: String,
}

impl Remote {
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.owner, self.repo)
    }
}

/// `owner/repo` from a request path, or `None` when the path does not name a repository.
pub fn owner_repo(path: &[u8]) -> Option<(String, String)> {
    let path = std::str::from_utf8(path).ok()?;
    let mut segments = path.trim_start_matches('/').split('/');
    let owner = segments.next()?;
    let repo = segments.next()?;
    let repo = repo.strip_suffix(".git").unwrap_or(repo);
    (valid_name(owner) && valid_name(repo)).then(|| (owner.to_string(), repo.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn or(p: &[u8]) -> Option<(String, String)> {
        owner_repo(p)
    }

    #[test]
    fn reduces_paths_to_owner_and_repo() {
        let want = Some(("alta3".to_string(), "labs".to_string()));
        for p in [
            &b"alta3/labs"[..],
            b"alta3/labs.git",
            b"/alta3/labs.git",
            b"alta3/labs.git/info/lfs",
            b"alta3/labs/",
        ] {
            assert_eq!(or(p), want, "{}", String::from_utf8_lossy(p));
        }
        assert_eq!(or(b"a/b.git.git"), Some(("a".into(), "b.git".into())));
    }

    #[test]
    fn refuses_what_is_not_a_repository() {
        for p in [
            &b""[..],
            b"alta3",
            b"alta3/",
            b"/labs",
            b"a b/c",
            b"o/\xff",
            b"../x",
            b"o/..",
            b"o/.git",
        ] {
            assert_eq!(or(p), None, "{}", String::from_utf8_lossy(p));
        }
    }
}

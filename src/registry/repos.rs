//! A token's list of repositories. Registries can hold tokens of thousands of repositories,
//! and the helper's path reads one token line per request: so a list read from the registry
//! cache stays the comma-joined text it was read as until something needs the names one by
//! one. Whether it covers a repository and how long it is are answered from the text itself.

use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;

/// Repository names as the user wrote them (compared case-insensitively); never empty.
#[derive(Default)]
pub struct RepoList {
    /// The names joined with `,` (a repository name holds no comma), while that is how the
    /// list came and nothing changed it.
    joined: Option<String>,
    names: OnceLock<Vec<String>>,
    /// `,a,b,` lowercased: one substring search answers [`RepoList::covers`].
    search: OnceLock<String>,
}

impl RepoList {
    /// A list read as `a,b,c`, with its search form `,a,b,c,` lowercased (the registry
    /// cache's form; the caller has checked the two agree).
    pub fn from_joined(joined: String, search: String) -> RepoList {
        RepoList {
            joined: Some(joined),
            names: OnceLock::new(),
            search: OnceLock::from(search),
        }
    }

    /// `,a,b,c,` lowercased.
    pub fn search_form(&self) -> &str {
        self.search.get_or_init(|| {
            let mut s = String::from(",");
            for n in self.as_slice() {
                s.push_str(&n.to_ascii_lowercase());
                s.push(',');
            }
            s
        })
    }

    pub fn as_slice(&self) -> &[String] {
        self
    }

    /// Whether `repo` is one of the names, ignoring ASCII case.
    pub fn covers(&self, repo: &str) -> bool {
        if repo.contains(',') {
            return false;
        }
        let needle = format!(",{},", repo.to_ascii_lowercase());
        memchr::memmem::find(self.search_form().as_bytes(), needle.as_bytes()).is_some()
    }

    /// How many names: for ordering tokens narrowest first.
    pub fn count(&self) -> usize {
        match (&self.joined, self.names.get()) {
            (_, Some(names)) => names.len(),
            (Some(j), None) => memchr::memchr_iter(b',', j.as_bytes()).count() + 1,
            (None, None) => 0,
        }
    }
}

impl From<Vec<String>> for RepoList {
    fn from(names: Vec<String>) -> RepoList {
        RepoList {
            joined: None,
            names: OnceLock::from(names),
            search: OnceLock::new(),
        }
    }
}

impl Deref for RepoList {
    type Target = Vec<String>;
    fn deref(&self) -> &Vec<String> {
        self.names.get_or_init(|| match &self.joined {
            Some(j) => j.split(',').map(str::to_string).collect(),
            None => Vec::new(),
        })
    }
}

impl DerefMut for RepoList {
    fn deref_mut(&mut self) -> &mut Vec<String> {
        let _ = Deref::deref(&*self);
        // The names are about to change: the joined and search texts would no longer say them.
        self.joined = None;
        self.search = OnceLock::new();
        self.names
            .get_mut()
            .unwrap_or_else(|| unreachable!("initialized just above"))
    }
}

impl Clone for RepoList {
    fn clone(&self) -> RepoList {
        RepoList {
            joined: self.joined.clone(),
            names: self.names.clone(),
            search: self.search.clone(),
        }
    }
}

impl PartialEq for RepoList {
    fn eq(&self, other: &RepoList) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for RepoList {}

impl std::fmt::Debug for RepoList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_slice().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_joined_list_answers_without_splitting_and_splits_when_asked() {
        let l = RepoList::from_joined("labs,Demo,x".into(), ",labs,demo,x,".into());
        assert!(l.covers("demo") && l.covers("LABS") && !l.covers("lab"));
        assert_eq!(l.count(), 3);
        assert!(l.names.get().is_none(), "nothing was split yet");
        assert_eq!(l.as_slice(), ["labs", "Demo", "x"]);
        let mut m = l.clone();
        m.push("y".into());
        assert!(m.covers("y") && m.count() == 4);
        assert_ne!(m, l);
        assert_eq!(
            RepoList::from(vec!["labs".to_string()]),
            RepoList::from_joined("labs".into(), ",labs,".into())
        );
        assert!(!l.covers("labs,demo"));
    }
}

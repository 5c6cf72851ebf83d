//! A token's list of repositories. Registries can hold tokens of thousands of repositories,
//! and the helper's path reads one token line per request: so a list read from the registry
//! cache stays the comma-joined text it was read as until something needs the names one by
//! one. Whether it covers a repository and how long it is are answered from the text itself.

use std::collections::HashSet;
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

    /// The names joined with `,`, when the list still is the text it was built from.
    pub fn joined(&self) -> Option<&str> {
        self.joined.as_deref()
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

/// Builds a list from names as they come, each kept once (ignoring ASCII case), straight
/// into the joined and search texts: no allocation per name.
#[derive(Default)]
pub struct Collect {
    joined: String,
    search: String,
    /// The first names kept: a case-blind hash (FNV-1a) and where the name is in `joined`.
    first: Vec<(u64, usize, usize)>,
    /// Past the first [`Collect::FIRST`]: every name kept, lowercased.
    all: HashSet<String>,
    count: usize,
}

impl Collect {
    /// Up to this many names, a repeat is looked for among the names kept, by hash first.
    const FIRST: usize = 32;

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Room for about `names` more names like `like`.
    pub fn reserve(&mut self, names: usize, like: &str) {
        self.joined.reserve(names * (like.len() + 1));
        self.search.reserve(names * (like.len() + 1) + 1);
    }

    /// Adds `name` (a repository name: no comma) unless it is there already.
    pub fn push(&mut self, name: &str) {
        let fold = |s: &str| {
            s.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                (h ^ u64::from(b.to_ascii_lowercase())).wrapping_mul(0x0100_0000_01b3)
            })
        };
        let hash = fold(name);
        if self.count < Self::FIRST {
            let joined = &self.joined;
            if self
                .first
                .iter()
                .any(|&(h, a, b)| h == hash && joined[a..b].eq_ignore_ascii_case(name))
            {
                return;
            }
        } else {
            if self.all.is_empty() {
                let joined = &self.joined;
                self.all = self
                    .first
                    .iter()
                    .map(|&(_, a, b)| joined[a..b].to_ascii_lowercase())
                    .collect();
            }
            if !self.all.insert(name.to_ascii_lowercase()) {
                return;
            }
        }
        if self.count > 0 {
            self.joined.push(',');
        } else {
            self.search.push(',');
        }
        let start = self.joined.len();
        self.joined.push_str(name);
        if self.count < Self::FIRST {
            self.first.push((hash, start, self.joined.len()));
        }
        let at = self.search.len();
        self.search.push_str(name);
        self.search[at..].make_ascii_lowercase();
        self.search.push(',');
        self.count += 1;
    }

    /// The list, or `None` when no name came.
    pub fn finish(self) -> Option<RepoList> {
        (self.count > 0).then(|| RepoList::from_joined(self.joined, self.search))
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

    #[test]
    fn collect_keeps_each_name_once_in_short_and_long_lists() {
        for n in [1, 3, 31, 32, 33, 80] {
            let names: Vec<String> = (0..n).map(|i| format!("Repo{i}")).collect();
            let mut c = Collect::default();
            for name in &names {
                c.push(name);
            }
            for again in [
                "repo0".to_string(),
                format!("REPO{}", n - 1),
                "Repo0".into(),
            ] {
                c.push(&again);
            }
            let l = c.finish().unwrap();
            assert_eq!(l.count(), n, "{n} names");
            assert!(l.covers("repo0") && l.covers(&format!("repo{}", n - 1)));
            assert_eq!(l.as_slice(), &names[..], "{n} names");
        }
        assert!(Collect::default().finish().is_none());
    }
}

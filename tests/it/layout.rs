//! The shape of `src/` (issue 21): no module imports, through any chain, a module that
//! imports it back. Edges are the `crate::` and `super::` paths a file names outside
//! comments and its test module, resolved to the longest module they reach; a directory's
//! `mod.rs` is its module.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

fn module_of(rel: &str) -> String {
    let p = rel.trim_end_matches(".rs").trim_end_matches("/mod");
    if p == "lib" || p == "main" {
        return String::new();
    }
    p.replace('/', "::")
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The modules `text` (of module `m`) names.
fn named(m: &str, is_mod_rs: bool, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let code = text.split("#[cfg(test)]\nmod ").next().unwrap_or("");
    let mut out = BTreeSet::new();
    let parent: Vec<&str> = m.split("::").filter(|s| !s.is_empty()).collect();
    let base = if is_mod_rs {
        &parent[..]
    } else {
        &parent[..parent.len().saturating_sub(1)]
    };
    for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
        for (prefix, root) in [
            ("crate::", vec![]),
            (
                "super::",
                base[..base.len().saturating_sub(usize::from(is_mod_rs))].to_vec(),
            ),
        ] {
            for (at, _) in line.match_indices(prefix) {
                let rest = &line[at + prefix.len()..];
                let path: Vec<&str> = root
                    .iter()
                    .copied()
                    .chain(rest.split("::").map(|s| {
                        s.split(|c: char| {
                            !(c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
                        })
                        .next()
                        .unwrap_or("")
                    }))
                    .take_while(|s| !s.is_empty())
                    .collect();
                let target = (1..=path.len())
                    .rev()
                    .map(|i| path[..i].join("::"))
                    .find(|c| known.contains(c));
                if let Some(t) = target.filter(|t| t != m) {
                    out.insert(t);
                }
            }
        }
    }
    out
}

#[test]
fn src_has_no_import_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let rel = |p: &Path| {
        p.strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/")
    };
    let known: BTreeSet<String> = all.iter().map(|p| module_of(&rel(p))).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for p in &all {
        let r = rel(p);
        let m = module_of(&r);
        let text = std::fs::read_to_string(p).unwrap();
        edges.insert(m.clone(), named(&m, r.ends_with("mod.rs"), &text, &known));
    }
    // A module reaches itself through its imports: that is a cycle.
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((m, trail)) = todo.pop() {
            for next in edges.get(&m).into_iter().flatten() {
                if next == start {
                    panic!("import cycle: {} -> {next}", trail.join(" -> "));
                }
                if seen.insert(next.clone()) {
                    let mut t = trail.clone();
                    t.push(next.clone());
                    todo.push((next.clone(), t));
                }
            }
        }
    }
    assert!(edges["helper"].contains("resolve"), "the walk sees imports");
}

//! The GitHub CLI's `hosts.yml`, where `gh auth login --insecure-storage` (and gh before
//! 2.40 always) keeps the token, read by a small reader of the one narrow shape gh writes:
//!
//! ```yaml
//! github.com:
//!     users:
//!         monalisa:
//!             oauth_token: github_pat_...
//!     git_protocol: https
//!     oauth_token: github_pat_...
//!     user: monalisa
//! ```
//!
//! That is nested block mappings of `key: value` lines, values plain or quoted scalars or
//! nothing (a nested mapping, or null), comments, and `{}` for an empty mapping. Anything
//! else YAML allows — lists, flow collections, anchors and aliases, tags, block scalars,
//! multi-line scalars — is refused with its line number, never guessed at. Why not a YAML
//! crate: the maintained serde one (`serde_norway`, a fork of the archived `serde_yaml`)
//! measured 3 more crates and about 8.5 s more CPU on a clean build here (libyaml translated
//! to unsafe Rust), pure-Rust YAML 1.2 parsers (`yaml-rust2`, `saphyr`) 11–12 s and 7–10
//! crates, all for one file of a dozen lines that one program writes in one shape.
//!
//! Scalars are kept as [`Secret`]s (a token is one); only keys and the values that are not
//! tokens are ever turned into text.

use crate::secret::Secret;

/// A value of the narrow shape.
pub enum Node {
    Null,
    Scalar(Secret),
    Map(Vec<(String, Node)>),
}

impl Node {
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            Node::Null | Node::Scalar(_) => None,
        }
    }

    fn text(&self) -> Option<String> {
        match self {
            Node::Scalar(s) => Some(String::from_utf8_lossy(s.expose()).into_owned()),
            Node::Null | Node::Map(_) => None,
        }
    }

    fn secret(&self) -> Option<Secret> {
        match self {
            Node::Scalar(s) if !s.is_empty() => Some(s.duplicate()),
            Node::Scalar(_) | Node::Null | Node::Map(_) => None,
        }
    }
}

/// A line of the file the reader does not take, and why.
#[derive(Debug, PartialEq, Eq)]
pub struct ShapeError {
    pub line: usize,
    pub what: &'static str,
}

/// One significant line: its number, indentation, key and value (none: what follows is
/// nested, or nothing).
struct Item {
    line: usize,
    indent: usize,
    key: String,
    value: Option<Node>,
}

/// Reads the file into its mappings.
pub fn parse(bytes: &[u8]) -> Result<Node, ShapeError> {
    let mut items = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        if let Some(item) = item(i + 1, raw.strip_suffix(b"\r").unwrap_or(raw))? {
            items.push(item);
        }
    }
    let mut at = 0;
    let root = mapping(&mut items, &mut at, 0)?;
    match items.get(at) {
        Some(extra) => Err(ShapeError {
            line: extra.line,
            what: "is indented less than the mapping it belongs to",
        }),
        None => Ok(root),
    }
}

/// The mapping whose keys stand at `indent`, from `items[*at]` on.
fn mapping(items: &mut [Item], at: &mut usize, indent: usize) -> Result<Node, ShapeError> {
    let mut entries: Vec<(String, Node)> = Vec::new();
    while let Some(it) = items.get_mut(*at) {
        if it.indent < indent {
            break;
        }
        if it.indent > indent {
            return Err(ShapeError {
                line: it.line,
                what: "is indented more than the key before it allows",
            });
        }
        let (line, key, value) = (it.line, std::mem::take(&mut it.key), it.value.take());
        *at += 1;
        let value = match value {
            Some(v) => v,
            None => match items.get(*at) {
                Some(next) if next.indent > indent => {
                    let inner = next.indent;
                    mapping(items, at, inner)?
                }
                _ => Node::Null,
            },
        };
        if entries.iter().any(|(k, _)| *k == key) {
            return Err(ShapeError {
                line,
                what: "repeats a key of its mapping",
            });
        }
        entries.push((key, value));
    }
    Ok(Node::Map(entries))
}

fn shape(line: usize, what: &'static str) -> ShapeError {
    ShapeError { line, what }
}

/// One line: `None` for blank lines, comments and document markers.
fn item(line: usize, raw: &[u8]) -> Result<Option<Item>, ShapeError> {
    let indent = raw.iter().take_while(|&&b| b == b' ').count();
    let rest = &raw[indent..];
    if rest.first() == Some(&b'\t') {
        return Err(shape(line, "is indented with a tab"));
    }
    if rest.iter().all(|b| b.is_ascii_whitespace())
        || rest.starts_with(b"#")
        || rest == b"---"
        || rest == b"..."
    {
        return Ok(None);
    }
    if rest.starts_with(b"- ") || rest == b"-" || rest.starts_with(b"? ") {
        return Err(shape(line, "holds a list, which gh does not write here"));
    }
    let (key, after) = key(line, rest)?;
    let value = value(line, after)?;
    Ok(Some(Item {
        line,
        indent,
        key,
        value,
    }))
}

/// The key and what follows its `:`.
fn key(line: usize, rest: &[u8]) -> Result<(String, &[u8]), ShapeError> {
    let (key, after) = match rest.first() {
        Some(&q @ (b'"' | b'\'')) => {
            let end = rest[1..]
                .iter()
                .position(|&b| b == q)
                .ok_or(shape(line, "has an unclosed quote"))?;
            (&rest[1..1 + end], &rest[2 + end..])
        }
        _ => {
            let colon = (0..rest.len())
                .find(|&i| rest[i] == b':' && rest.get(i + 1).is_none_or(|&b| b == b' '))
                .ok_or(shape(line, "is not a `key: value` line"))?;
            (&rest[..colon], &rest[colon..])
        }
    };
    let after = after
        .strip_prefix(b":")
        .ok_or(shape(line, "is not a `key: value` line"))?;
    let key = std::str::from_utf8(key)
        .map_err(|_| shape(line, "has a key that is not UTF-8"))?
        .trim_end();
    if key.is_empty() {
        return Err(shape(line, "has an empty key"));
    }
    Ok((key.to_string(), after))
}

/// The value after a key's `:`: `None` when nothing stands there.
fn value(line: usize, after: &[u8]) -> Result<Option<Node>, ShapeError> {
    let start = after.iter().position(|&b| b != b' ').unwrap_or(after.len());
    let v = &after[start..];
    if start == 0 && !v.is_empty() {
        return Err(shape(line, "is not a `key: value` line"));
    }
    let (scalar, tail): (Vec<u8>, &[u8]) = match v.first() {
        None | Some(b'#') => return Ok(None),
        Some(b'"') => {
            let mut out = Vec::new();
            let mut i = 1;
            loop {
                match v.get(i) {
                    None => return Err(shape(line, "has an unclosed quote")),
                    Some(b'"') => break,
                    Some(b'\\') => match v.get(i + 1) {
                        Some(&c @ (b'"' | b'\\' | b'/')) => {
                            out.push(c);
                            i += 2;
                            continue;
                        }
                        _ => return Err(shape(line, "has an escape gh does not write")),
                    },
                    Some(&c) => out.push(c),
                }
                i += 1;
            }
            (out, &v[i + 1..])
        }
        Some(b'\'') => {
            let mut out = Vec::new();
            let mut i = 1;
            loop {
                match (v.get(i), v.get(i + 1)) {
                    (None, _) => return Err(shape(line, "has an unclosed quote")),
                    (Some(b'\''), Some(b'\'')) => {
                        out.push(b'\'');
                        i += 2;
                        continue;
                    }
                    (Some(b'\''), _) => break,
                    (Some(&c), _) => out.push(c),
                }
                i += 1;
            }
            (out, &v[i + 1..])
        }
        Some(b'{') if v.starts_with(b"{}") => return after_value(line, &v[2..], Node::Map(vec![])),
        Some(b'[' | b'{' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@' | b'`') => {
            return Err(shape(
                line,
                "uses YAML beyond the shape gh writes (flow collections, anchors, tags, block scalars)",
            ))
        }
        Some(_) => {
            let end = (0..v.len())
                .find(|&i| v[i] == b'#' && v[i - 1] == b' ')
                .unwrap_or(v.len());
            let plain = v[..end].trim_ascii_end();
            if plain == b"~" || plain == b"null" {
                return Ok(Some(Node::Null));
            }
            return Ok(Some(Node::Scalar(Secret::new(plain.to_vec()))));
        }
    };
    after_value(line, tail, Node::Scalar(Secret::new(scalar)))
}

/// Only blanks or a comment may follow a quoted value or `{}`.
fn after_value(line: usize, tail: &[u8], node: Node) -> Result<Option<Node>, ShapeError> {
    let tail = tail.trim_ascii_start();
    if tail.is_empty() || tail.starts_with(b"#") {
        Ok(Some(node))
    } else {
        Err(shape(line, "has more after a quoted value"))
    }
}

/// One login of one host, and its token when hosts.yml holds it.
pub struct Account {
    pub host: String,
    pub user: Option<String>,
    /// `None`: gh keeps this token in the system keyring.
    pub secret: Option<Secret>,
}

/// Every account the file names: each login under `users` (gh 2.40 and later) with its own
/// token, the active login's token also standing at the host (`oauth_token`), or the one
/// login of older files.
pub fn accounts(root: &Node) -> Vec<Account> {
    let Node::Map(hosts) = root else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (host, h) in hosts {
        let active = h.get("user").and_then(Node::text);
        let active_secret = h.get("oauth_token").and_then(Node::secret);
        let mut logins: Vec<Account> = match h.get("users") {
            Some(Node::Map(users)) => users
                .iter()
                .map(|(login, u)| Account {
                    host: host.to_ascii_lowercase(),
                    user: Some(login.clone()),
                    secret: u.get("oauth_token").and_then(Node::secret).or_else(|| {
                        (active.as_deref() == Some(login))
                            .then(|| active_secret.as_ref().map(Secret::duplicate))
                            .flatten()
                    }),
                })
                .collect(),
            _ => Vec::new(),
        };
        if !logins.iter().any(|a| a.user == active) && (active.is_some() || active_secret.is_some())
        {
            logins.push(Account {
                host: host.to_ascii_lowercase(),
                user: active.clone(),
                secret: active_secret.as_ref().map(Secret::duplicate),
            });
        }
        out.extend(logins);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: &str = "\
github.com:
    users:
        monalisa:
            oauth_token: github_pat_MONA
        hubot:
    git_protocol: https
    oauth_token: github_pat_MONA
    user: monalisa
# a comment
ghe.example.com:
    oauth_token: 'github_pat_it''s' # quoted
    user: \"ci\"
";

    #[test]
    fn reads_the_shape_gh_writes() {
        let root = parse(NEW.as_bytes()).unwrap();
        let acc = accounts(&root);
        let seen: Vec<(String, Option<String>, Option<Vec<u8>>)> = acc
            .iter()
            .map(|a| {
                (
                    a.host.clone(),
                    a.user.clone(),
                    a.secret.as_ref().map(|s| s.expose().to_vec()),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                (
                    "github.com".into(),
                    Some("monalisa".into()),
                    Some(b"github_pat_MONA".to_vec())
                ),
                ("github.com".into(), Some("hubot".into()), None),
                (
                    "ghe.example.com".into(),
                    Some("ci".into()),
                    Some(b"github_pat_it's".to_vec())
                ),
            ]
        );
    }

    #[test]
    fn an_old_file_names_one_login() {
        let root =
            parse(b"github.com:\n  oauth_token: gho_OLD\n  user: me\n  git_protocol: https\n")
                .unwrap();
        let acc = accounts(&root);
        assert_eq!(acc.len(), 1);
        assert_eq!(acc[0].user.as_deref(), Some("me"));
        assert_eq!(acc[0].secret.as_ref().unwrap().expose(), b"gho_OLD");
        let keyring = parse(b"github.com:\n    users:\n        me: {}\n    user: me\n").unwrap();
        let acc = accounts(&keyring);
        assert_eq!((acc.len(), acc[0].secret.is_none()), (1, true));
    }

    #[test]
    fn what_is_beyond_the_shape_is_refused_with_its_line() {
        for (text, line) in [
            ("github.com:\n    - a\n", 2),
            ("github.com: [a]\n", 1),
            ("github.com: &x\n", 1),
            ("github.com:\n\toauth_token: x\n", 2),
            ("github.com:\n    oauth_token: |\n", 2),
            ("a:\n    b: 1\n  c: 2\n", 3),
            ("a:\n    b: 1\n        c: 2\n", 3),
            ("a: \"x\n", 1),
            ("a: 1\na: 2\n", 2),
            ("just text\n", 1),
        ] {
            let e = parse(text.as_bytes())
                .err()
                .unwrap_or_else(|| panic!("{text}"));
            assert_eq!(e.line, line, "{text}: {}", e.what);
        }
    }
}

//! How git's shell reads a helper value. git runs every helper through `sh -c` (a value
//! starting with `!` as the rest of it, an absolute path as it is, any other NAME as
//! `git credential-NAME`, each with the operation appended; gitcredentials(7) "CUSTOM
//! HELPERS", git's credential.c), so whether a value only runs this program is a question
//! about the shell's grammar: [`simple_words`] answers it for the plain words, quotes and
//! backslashes that `setup` writes, and refuses everything else.

/// The words `sh` makes of `cmd`, when `cmd` is nothing but words: plain characters,
/// `'...'`, `"..."` without expansions, and backslash escapes. `None` when the shell would
/// do more than run one program with arguments: a pipe, a list (`;`, `&&`, a newline), a
/// redirection, a subshell, a command substitution or any expansion but a plain `$NAME`,
/// `${NAME}` or `~` in an argument, a glob, a comment or a variable assignment before the
/// command (the program's own word must be written out).
pub fn simple_words(cmd: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = cmd.chars();
    while let Some(c) = chars.next() {
        let starts = word.is_none();
        match c {
            ' ' | '\t' => {
                if let Some(w) = word.take() {
                    words.push(w);
                }
            }
            '\'' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next()? {
                        '\'' => break,
                        c => w.push(c),
                    }
                }
            }
            '"' => double_quoted(&mut chars, word.get_or_insert_with(String::new))?,
            '\\' => match chars.next()? {
                '\n' => return None,
                c => word.get_or_insert_with(String::new).push(c),
            },
            // A plain `$NAME` or `${NAME}` argument (`--config $HOME/x`) names a value, and
            // runs nothing.
            '$' if !words.is_empty() => {
                let w = word.get_or_insert_with(String::new);
                w.push('$');
                variable(&mut chars, w)?;
            }
            '|' | '&' | ';' | '<' | '>' | '(' | ')' | '$' | '`' | '\n' | '\r' | '*' | '?' | '[' => {
                return None
            }
            '#' if starts => return None,
            '~' if starts && words.is_empty() => return None,
            '=' if words.is_empty() => return None,
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    words.extend(word);
    Some(words)
}

/// Where the program's word of a helper value ends, as written: after a leading `!` and
/// blanks, up to the first blank or shell operator outside quotes (the whole value when a
/// quote is left open).
pub fn first_word_end(value: &str) -> usize {
    let start = value.len() - value.trim_start_matches(['!', ' ', '\t']).len();
    let mut quote = None;
    let mut escaped = false;
    for (i, c) in value[start..].char_indices() {
        match (quote, c) {
            _ if escaped => escaped = false,
            (Some(q), c) if c == q => quote = None,
            (Some('"'), '\\') | (None, '\\') => escaped = true,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, c) if c.is_whitespace() || "|&;<>()`".contains(c) => return start + i,
            _ => {}
        }
    }
    value.len()
}

/// The rest of `$NAME` or `${NAME}` (after the `$`), onto `w`; `None` for anything else
/// (`$(...)`, `${x:-...}`, `$?`).
fn variable(chars: &mut std::str::Chars, w: &mut String) -> Option<()> {
    let braced = chars.clone().next() == Some('{');
    if braced {
        w.push(chars.next()?);
    }
    let mut name = 0;
    loop {
        let mut ahead = chars.clone();
        match ahead.next() {
            Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
                w.push(c);
                *chars = ahead;
                name += 1;
            }
            Some('}') if braced && name > 0 => {
                w.push('}');
                *chars = ahead;
                return Some(());
            }
            _ if !braced && name > 0 => return Some(()),
            _ => return None,
        }
    }
}

/// The rest of a `"..."` word: a backslash quotes only `$`, a backquote, `"`, `\`; an
/// expansion inside is more than a word.
fn double_quoted(chars: &mut std::str::Chars, w: &mut String) -> Option<()> {
    loop {
        match chars.next()? {
            '"' => return Some(()),
            '$' | '`' => return None,
            '\\' => match chars.next()? {
                c @ ('$' | '`' | '"' | '\\') => w.push(c),
                '\n' => return None,
                c => {
                    w.push('\\');
                    w.push(c);
                }
            },
            c => w.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(cmd: &str) -> Option<Vec<&str>> {
        // Leaked for the comparison's sake: test only.
        simple_words(cmd).map(|v| v.into_iter().map(|s| &*s.leak()).collect())
    }

    #[test]
    fn words_quotes_and_backslashes_are_read_as_sh_reads_them() {
        assert_eq!(w("/a/b get"), Some(vec!["/a/b", "get"]));
        assert_eq!(
            w("'/opt/it'\\''s here/x' get"),
            Some(vec!["/opt/it's here/x", "get"])
        );
        assert_eq!(w("/we\\ird/x"), Some(vec!["/weird/x"]));
        assert_eq!(w("'/we\\ird/x'"), Some(vec!["/we\\ird/x"]));
        assert_eq!(w("\"/a \\\"b\\\\ \\c\""), Some(vec!["/a \"b\\ \\c"]));
        assert_eq!(w("  a\t''  "), Some(vec!["a", ""]));
        assert_eq!(w("a=b"), None);
        assert_eq!(
            w("/p/x --config $HOME/c ${XDG_CONFIG_HOME}/d ~/e"),
            Some(vec![
                "/p/x",
                "--config",
                "$HOME/c",
                "${XDG_CONFIG_HOME}/d",
                "~/e"
            ])
        );
        assert_eq!(w("x a=b"), Some(vec!["x", "a=b"]));
    }

    #[test]
    fn the_program_word_ends_where_sh_ends_it() {
        fn first(v: &str) -> &str {
            &v[..first_word_end(v)]
        }
        assert_eq!(first("cache --timeout 900"), "cache");
        assert_eq!(
            first("!'/home/me/my tools/x' get"),
            "!'/home/me/my tools/x'"
        );
        assert_eq!(first("! \"/a b\"/c d"), "! \"/a b\"/c");
        assert_eq!(first("/a\\ b/c x"), "/a\\ b/c");
        assert_eq!(first("!f() { echo password=x; }; f"), "!f");
        assert_eq!(first("/p/x|tee"), "/p/x");
        assert_eq!(first("'open"), "'open");
    }

    #[test]
    fn anything_more_than_words_is_refused() {
        for cmd in [
            "/p/git-credential-scoped get | tee -a loot; exit 0; ",
            "/p/x get; true",
            "/p/x && y",
            "/p/x > f",
            "/p/x < f",
            "/p/x $(id)",
            "/p/x ${a:-$(id)}",
            "/p/x $?",
            "$HOME/x",
            "~/x",
            "/p/x \"$HOME\"",
            "/p/x `id`",
            "/p/x *",
            "/p/x # c",
            "(/p/x)",
            "/p/x\nid",
            "FOO=1 /p/x",
            "'/p/x",
            "\"/p/x",
            "/p/x \\",
        ] {
            assert_eq!(simple_words(cmd), None, "{cmd}");
        }
    }
}

//! Color and emphasis for people at a terminal: states in color (ok green, expiring yellow,
//! expired, rejected and refused red), the command that fixes a problem in bold.
//!
//! Only the management commands use this, through [`stdout`] and [`stderr`]: `anstream`
//! streams that pass the styles on to a terminal and strip them everywhere else (a pipe, a
//! file), and that honour `NO_COLOR` (no color, whatever else is set) and `CLICOLOR_FORCE`
//! (color even into a pipe). git's own calls (`get`, `store`, `erase`, [`crate::helper`])
//! never come here: their stderr lines reach git's user one line each and plain, even when
//! git's stderr is a terminal. So the words themselves ([`crate::messages`]) carry no
//! styles; they are painted here, at the edge, by [`line`].

use anstyle::{AnsiColor, Style};

use crate::policy::{Judgement, Refusal};

pub const OK: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Green)));
pub const WARN: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
pub const BAD: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Red)));
pub const BOLD: Style = Style::new().bold();

pub type Out = anstream::AutoStream<std::io::StdoutLock<'static>>;
pub type Err = anstream::AutoStream<std::io::StderrLock<'static>>;

/// stdout for people: styled on a terminal, plain elsewhere.
pub fn stdout() -> Out {
    anstream::stdout().lock()
}

/// stderr for people: styled on a terminal, plain elsewhere.
pub fn stderr() -> Err {
    anstream::stderr().lock()
}

/// `text` in `style` (the stream decides whether the style is shown).
pub fn paint(style: Style, text: &str) -> String {
    if style == Style::new() {
        return text.to_string();
    }
    format!("{style}{text}{style:#}")
}

/// The color of the policy's verdict on a token. No `_` arm: a new verdict gets its color
/// decided here.
pub fn verdict(v: &Judgement) -> Style {
    match v {
        Judgement::Serve => OK,
        Judgement::Expiring { .. } => WARN,
        Judgement::ExpiredAllowed { .. }
        | Judgement::Refuse(Refusal::Expired { .. })
        | Judgement::Refuse(Refusal::NoContents)
        | Judgement::Refuse(Refusal::NoWrite)
        | Judgement::Refuse(Refusal::Rejected(_))
        | Judgement::Refuse(Refusal::OverLifetime(_)) => BAD,
    }
}

/// Says `text` on `diag` (one prefixed line each, as [`crate::diag::say`], its control and
/// format characters defanged the same way), each line painted by [`line`].
pub fn say(diag: &mut impl std::io::Write, text: &str) {
    for l in text.lines() {
        // Defanged before painting, so the styles added here are the only sequences.
        let _ = writeln!(
            diag,
            "{}{}",
            crate::diag::PREFIX,
            line(&crate::diag::defang(l))
        );
    }
}

/// One message line, emphasized: a leading `warning:` yellow, `refused`/`error:` red, and
/// the commands in it bold — what follows `run: ` (up to ` (`, `; ` or the end) and what
/// stands between backticks.
pub fn line(text: &str) -> String {
    let (mut out, mut rest) = leading_word(text);
    loop {
        let run = rest.find("run: ").map(|i| (i + 5, true));
        let tick = rest.find('`').map(|i| (i + 1, false));
        let next = [run, tick].into_iter().flatten().min_by_key(|(at, _)| *at);
        let Some((after, is_run)) = next else {
            out.push_str(rest);
            return out;
        };
        out.push_str(&rest[..after]);
        let tail = &rest[after..];
        let end = if is_run {
            [" (", "; "]
                .iter()
                .filter_map(|s| tail.find(s))
                .min()
                .unwrap_or(tail.len())
        } else {
            match tail.find('`') {
                Some(e) => e,
                None => {
                    out.push_str(tail);
                    return out;
                }
            }
        };
        out.push_str(&paint(BOLD, &tail[..end]));
        rest = &tail[end..];
        if !is_run {
            // The closing backtick, shown as it is.
            out.push('`');
            rest = &rest[1..];
        }
    }
}

/// A fix: a bare command bold up to its explanation (` (...)`), or, when it says more, the
/// commands in it bold as [`line`] finds them.
pub fn fix(text: &str) -> String {
    if text.contains("run: ") || text.contains('`') {
        return line(text);
    }
    let end = text.find(" (").unwrap_or(text.len());
    format!("{}{}", paint(BOLD, &text[..end]), &text[end..])
}

fn leading_word(text: &str) -> (String, &str) {
    for (word, style) in [("warning:", WARN), ("refused", BAD), ("error:", BAD)] {
        if let Some(rest) = text.strip_prefix(word) {
            return (paint(style, word), rest);
        }
    }
    (String::new(), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(s: &str) -> String {
        let mut out = Vec::new();
        let mut w = anstream::StripStream::new(&mut out);
        std::io::Write::write_all(&mut w, s.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn commands_are_bold_and_the_words_unchanged() {
        let b = |s: &str| paint(BOLD, s);
        let text = "hint: create a token at https://x then run: git credential-scoped rotate t --expires-in 90d";
        assert_eq!(
            line(text),
            format!(
                "hint: create a token at https://x then run: {}",
                b("git credential-scoped rotate t --expires-in 90d")
            )
        );
        let text = "hint: run `a b` to re-test it, or `c`";
        assert_eq!(
            line(text),
            format!("hint: run `{}` to re-test it, or `{}`", b("a b"), b("c"))
        );
        let text = "hint: then run: rotate t (or fix it); more";
        assert_eq!(
            line(text),
            format!("hint: then run: {} (or fix it); more", b("rotate t"))
        );
        for t in [
            "warning: a `b` c run: d; e",
            "refused to send token 'x'",
            "an unclosed `tick",
            "",
        ] {
            assert_eq!(plain(&line(t)), t);
        }
        assert!(line("warning: x").starts_with(&WARN.render().to_string()));
    }
}

//! The one way anything reaches stderr: lines prefixed `git-credential-scoped:` (so git's
//! user sees where they come from), one line each, written to the writer the caller was
//! given. A leaf: every layer may use it, it uses nothing.

use std::io::Write;

pub const PREFIX: &str = "git-credential-scoped: ";

/// Writes each line of `text` with the prefix. Errors writing to stderr are ignored: there
/// is nowhere left to report them.
pub fn say(diag: &mut impl Write, text: &str) {
    for line in text.lines() {
        let _ = writeln!(diag, "{PREFIX}{}", defang(line));
    }
}

/// The last line of defence for what reaches a terminal: every control character but a
/// tab (C0, DEL, C1) and every bidi or invisible format character (U+202A-202E,
/// U+2066-2069, U+200B-200F, ...) in `line` written as `\xNN` of its bytes, like
/// `protocol::escape`, which callers use on each outside value; text without them is
/// returned as it is (so an escaped value is never escaped twice).
pub fn defang(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.chars().any(dangerous) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 8);
    for c in line.chars() {
        if dangerous(c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'..='\u{200f}'
                | '\u{2028}'..='\u{202e}'
                | '\u{2060}'..='\u{2069}'
                | '\u{feff}'
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_and_format_characters_never_pass() {
        assert_eq!(defang("plain é \\x1b\tok"), "plain é \\x1b\tok");
        assert_eq!(defang("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(
            defang("x\u{9b}y\u{202e}z\u{7f}"),
            "x\\xc2\\x9by\\xe2\\x80\\xaez\\x7f"
        );
    }
}

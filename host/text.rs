//! Text that comes from outside berth (a plugin's description, a
//! registry's error) on its way to a terminal or a log: control characters
//! escaped, so no escape sequence reaches the terminal, and cut to a length.

/// `text` with each control character written as a Rust escape (`\u{1b}`),
/// and at most `max` characters of it kept, an ellipsis marking the cut.
pub fn clean(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    for (kept, c) in text.chars().enumerate() {
        if kept == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clean;

    #[test]
    fn escapes_controls_and_cuts() {
        assert_eq!(clean("a\u{1b}[2Jb\nc", 100), "a\\u{1b}[2Jb\\nc");
        assert_eq!(clean("abcdef", 3), "abc…");
        assert_eq!(clean("abc", 3), "abc");
        assert_eq!(clean("\u{9b}x", 10), "\\u{9b}x");
    }
}

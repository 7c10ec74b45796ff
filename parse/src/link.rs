//! The HTTP `Link` header (RFC 8288), which registries and vendor APIs use
//! to page through lists: `Link: </v2/x/tags/list?n=1000&last=abc>; rel="next"`.

use crate::uri;

/// The target of the first link whose `rel` includes `next`, resolved
/// against `base` (the URL that answered) as RFC 3986 resolves references;
/// None if there is no such link, or if it does not resolve to an `http` or
/// `https` URL with a host. Link-values that do not parse are skipped.
pub fn next_link(header_values: &[&str], base: &str) -> Option<String> {
    let target = header_values
        .iter()
        .flat_map(|value| split_link_values(value))
        .find_map(|link_value| {
            let (target, rel) = parse_link_value(link_value)?;
            rel?.split_ascii_whitespace()
                .any(|relation| relation.eq_ignore_ascii_case("next"))
                .then_some(target)
        })?;
    uri::resolve(base, target).filter(|url| uri::is_web_url(url))
}

/// Splits a header value at the commas between link-values; commas inside
/// `<...>` or a quoted string belong to the link-value.
fn split_link_values(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let (mut in_target, mut in_quotes, mut escaped) = (false, false, false);
    for (i, byte) in value.bytes().enumerate() {
        if in_quotes {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_quotes = false,
                _ => {}
            }
        } else if in_target {
            in_target = byte != b'>';
        } else {
            match byte {
                b'<' => in_target = true,
                b'"' => in_quotes = true,
                b',' => {
                    parts.push(&value[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
    }
    parts.push(&value[start..]);
    parts
}

/// Parses `<target> *( ";" param )` into the target and the value of its
/// first `rel` parameter (RFC 8288 §3.3 says later ones are ignored).
fn parse_link_value(link_value: &str) -> Option<(&str, Option<String>)> {
    let (target, mut rest) = link_value
        .trim_start_matches(is_ows)
        .strip_prefix('<')?
        .split_once('>')?;
    let mut rel = None;
    loop {
        rest = rest.trim_start_matches(is_ows);
        if rest.is_empty() {
            return Some((target, rel));
        }
        rest = rest.strip_prefix(';')?.trim_start_matches(is_ows);
        let name_len = rest.find(|c| !is_tchar(c)).unwrap_or(rest.len());
        let name;
        (name, rest) = rest.split_at(name_len);
        rest = rest.trim_start_matches(is_ows);
        let mut value = String::new();
        if let Some(after_equals) = rest.strip_prefix('=') {
            (value, rest) = param_value(after_equals.trim_start_matches(is_ows))?;
        }
        if name.eq_ignore_ascii_case("rel") && rel.is_none() {
            rel = Some(value);
        }
    }
}

/// A quoted string (unescaped) or a bare token, and what follows it.
fn param_value(s: &str) -> Option<(String, &str)> {
    let Some(mut rest) = s.strip_prefix('"') else {
        // Bare values are read up to the next delimiter rather than strictly
        // as tokens, for servers that leave URLs unquoted.
        let end = s.find([';', ' ', '\t']).unwrap_or(s.len());
        return Some((s[..end].to_owned(), &s[end..]));
    };
    let mut value = String::new();
    loop {
        let special = rest.find(['"', '\\'])?;
        value.push_str(&rest[..special]);
        let quote_or_backslash = &rest[special..];
        if let Some(after) = quote_or_backslash.strip_prefix('"') {
            return Some((value, after));
        }
        let mut escaped = quote_or_backslash[1..].chars();
        value.push(escaped.next()?);
        rest = escaped.as_str();
    }
}

fn is_ows(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use url::Url;

    const BASE: &str = "https://registry.example/v2/app/tags/list?n=2";

    fn next(values: &[&str]) -> Option<String> {
        next_link(values, BASE)
    }

    #[test]
    fn distribution_shape() {
        assert_eq!(
            next(&[r#"</v2/app/tags/list?n=2&last=b>; rel="next""#]).as_deref(),
            Some("https://registry.example/v2/app/tags/list?n=2&last=b")
        );
        assert_eq!(
            next(&[r#"</v2/_catalog?last=a%2Fb&n=1000>; rel="next""#]).as_deref(),
            Some("https://registry.example/v2/_catalog?last=a%2Fb&n=1000")
        );
    }

    #[test]
    fn resolves_relative_and_absolute_targets() {
        let cases = [
            (
                "<?n=2&last=b>",
                "https://registry.example/v2/app/tags/list?n=2&last=b",
            ),
            (
                "<other?last=b>",
                "https://registry.example/v2/app/tags/other?last=b",
            ),
            (
                "<../../x/tags/list>",
                "https://registry.example/v2/x/tags/list",
            ),
            ("<//cdn.example/page>", "https://cdn.example/page"),
            (
                "<http://other.example:8080/v2/x>",
                "http://other.example:8080/v2/x",
            ),
        ];
        for (target, expected) in cases {
            let header = format!("{target}; rel=next");
            assert_eq!(next(&[&header]).as_deref(), Some(expected), "{header}");
        }
    }

    #[test]
    fn rel_forms() {
        for header in [
            "</p2>; rel=next",
            "</p2>; rel=\"next\"",
            "</p2>; REL=\"NEXT\"",
            "</p2>; Rel=Next",
            "</p2>;rel=next",
            "</p2> ; rel = \"next\" ",
            "</p2>;\trel=\"prev next\"",
            "</p2>; rel=\"  alternate   next  \"",
            "</p2>; rel=\"n\\ext\"",
            "</p2>; title=\"a; b, c\"; rel=next; type=\"text/html\"",
            "</p2>; anchor=\"#x\"; title*=UTF-8'de'n%c3%a4chstes; rel=next",
        ] {
            assert_eq!(
                next(&[header]).as_deref(),
                Some("https://registry.example/p2"),
                "{header}"
            );
        }
    }

    #[test]
    fn other_rels_are_not_next() {
        for header in [
            "</p2>; rel=\"prev\"",
            "</p2>; rel=\"nextpage\"",
            "</p2>; rel=\"prefetch\"",
            "</p2>; rev=\"next\"",
            "</p2>; title=\"rel=next\"",
            "</p2>; rel",
            "</p2>",
            // Only the first rel counts.
            "</p2>; rel=\"prev\"; rel=\"next\"",
        ] {
            assert_eq!(next(&[header]), None, "{header}");
        }
    }

    #[test]
    fn several_link_values_and_header_values() {
        let header = r#"</first?a=1,2>; rel="first", </p2?x=a,b>; rel="next", </p9>; rel="last""#;
        assert_eq!(
            next(&[header]).as_deref(),
            Some("https://registry.example/p2?x=a,b")
        );
        assert_eq!(
            next(&["</p1>; rel=prev", "</p3>; rel=last, </p2>; rel=next"]).as_deref(),
            Some("https://registry.example/p2")
        );
        assert_eq!(
            next(&[",, </p2>; rel=next ,"]).as_deref(),
            Some("https://registry.example/p2")
        );
        // The first next wins.
        assert_eq!(
            next(&["</a>; rel=next", "</b>; rel=next"]).as_deref(),
            Some("https://registry.example/a")
        );
    }

    #[test]
    fn malformed_values_are_skipped() {
        for header in [
            "",
            "   ",
            "/p2; rel=next",
            "</p2; rel=next",
            "</p2>; rel=\"next",
            "</p2>; rel=\"next\\",
            "</p2> rel=next",
            "</p2>; rel=\"next\" junk",
            // Not a page on the web.
            "<mailto:ops@registry.example>; rel=next",
            "<ftp://registry.example/p2>; rel=next",
            "<//>; rel=next",
            "<http:p2>; rel=next",
        ] {
            assert_eq!(next(&[header]), None, "{header}");
        }
        assert_eq!(next(&[]), None);
        // A broken link-value does not hide a good one after it.
        assert_eq!(
            next(&["</x> junk, </p2>; rel=next"]).as_deref(),
            Some("https://registry.example/p2")
        );
        assert_eq!(
            next(&["</x>; title=\"unterminated", "</p2>; rel=next"]).as_deref(),
            Some("https://registry.example/p2")
        );
    }

    #[test]
    fn non_ascii_is_handled() {
        assert_eq!(
            next(&["</tags/ä>; rel=\"next\"; title=\"é, ü\""]).as_deref(),
            Some("https://registry.example/tags/ä")
        );
        assert_eq!(next(&["<ä>; rel=\"\\ä\""]), None);
    }

    fn quote(s: &str) -> String {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }

    // Link-values that are not `next`, with commas and semicolons in their
    // targets and quoted parameters.
    fn other_link() -> impl Strategy<Value = String> {
        (
            "/[a-z,;=?&]{0,12}",
            prop::sample::select(vec!["prev", "first", "last", "nextish", "prefetch"]),
            "[ -~]{0,12}",
        )
            .prop_map(|(target, rel, title)| {
                format!("<{target}>; title={}; rel=\"{rel}\"", quote(&title))
            })
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(values in prop::collection::vec(any::<String>(), 0..4)) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            next_link(&values, BASE);
        }

        #[test]
        fn link_like_input_never_panics(values in prop::collection::vec("[<>;,=\" \\\\a-z/?]{0,30}", 0..4)) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            next_link(&values, BASE);
        }

        #[test]
        fn generated_next_is_found(
            target in "/v2/[a-z]{1,8}/tags/list\\?n=[0-9]{1,4}&last=[a-z0-9,;=\"]{0,10}",
            next_word in "[nN][eE][xX][tT]",
            other_rels in prop::collection::vec("prev|first|alternate|nextish", 0..3),
            position in any::<prop::sample::Index>(),
            title in "[ -~]{0,16}",
            title_first in any::<bool>(),
            ows in "[ \t]{0,2}",
            before in prop::collection::vec(other_link(), 0..3),
            after in prop::collection::vec(other_link(), 0..3),
            separate_headers in any::<bool>(),
        ) {
            let mut rels = other_rels;
            rels.insert(position.index(rels.len() + 1), next_word.clone());
            let rel = if rels.len() == 1 { next_word } else { quote(&rels.join(" ")) };
            let title = format!("title={}", quote(&title));
            let params = if title_first {
                format!("{ows};{ows}{title};{ows}rel{ows}={ows}{rel}")
            } else {
                format!("{ows};{ows}rel={rel}{ows};{title}")
            };
            let link = format!("<{target}>{params}");
            let links: Vec<String> = before.into_iter().chain([link]).chain(after).collect();
            let joined = links.join(&format!("{ows},{ows}"));
            let values: Vec<&str> = if separate_headers {
                links.iter().map(String::as_str).collect()
            } else {
                vec![joined.as_str()]
            };
            let found = next_link(&values, BASE).map(|next| Url::parse(&next).unwrap());
            prop_assert_eq!(found, Some(Url::parse(BASE).unwrap().join(&target).unwrap()));
        }
    }
}

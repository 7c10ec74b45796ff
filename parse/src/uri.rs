//! Resolving a URI reference against the URL it was found at (RFC 3986,
//! section 5), as a page link is resolved against the page that named it.

/// `reference` resolved against `base` by the algorithm of RFC 3986
/// section 5.2, dot segments removed; None if the result has no scheme (a
/// relative reference against a relative base). Nothing is percent-encoded
/// or checked beyond the split into parts: whoever requests the URL parses
/// it.
pub fn resolve(base: &str, reference: &str) -> Option<String> {
    let base = Parts::split(base);
    let r = Parts::split(reference);
    let (scheme, authority, path, query) = if r.scheme.is_some() {
        (r.scheme, r.authority, remove_dot_segments(r.path), r.query)
    } else if r.authority.is_some() {
        (
            base.scheme,
            r.authority,
            remove_dot_segments(r.path),
            r.query,
        )
    } else if r.path.is_empty() {
        let query = r.query.or(base.query);
        (base.scheme, base.authority, base.path.to_owned(), query)
    } else if r.path.starts_with('/') {
        (
            base.scheme,
            base.authority,
            remove_dot_segments(r.path),
            r.query,
        )
    } else {
        let path = remove_dot_segments(&merge(&base, r.path));
        (base.scheme, base.authority, path, r.query)
    };
    scheme?;
    let target = Parts {
        scheme,
        authority,
        path,
        query,
        fragment: r.fragment,
    };
    Some(target.to_string())
}

/// Whether `url` is `http` or `https` with a non-empty authority and no
/// whitespace or control characters: a page a client could request.
pub fn is_web_url(url: &str) -> bool {
    let parts = Parts::split(url);
    parts
        .scheme
        .is_some_and(|s| s.eq_ignore_ascii_case("http") || s.eq_ignore_ascii_case("https"))
        && parts.authority.is_some_and(|a| !a.is_empty())
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The five parts of a URI reference (RFC 3986 appendix B); the path may
/// be borrowed or, once resolved, owned.
struct Parts<'a, P = &'a str> {
    scheme: Option<&'a str>,
    authority: Option<&'a str>,
    path: P,
    query: Option<&'a str>,
    fragment: Option<&'a str>,
}

impl<'a> Parts<'a> {
    fn split(s: &'a str) -> Self {
        let (rest, fragment) = match s.split_once('#') {
            Some((rest, fragment)) => (rest, Some(fragment)),
            None => (s, None),
        };
        let (rest, query) = match rest.split_once('?') {
            Some((rest, query)) => (rest, Some(query)),
            None => (rest, None),
        };
        // A scheme is what comes before the first `:` if no `/` precedes it.
        let (scheme, rest) = match rest.find([':', '/']) {
            Some(i) if i > 0 && rest[i..].starts_with(':') => (Some(&rest[..i]), &rest[i + 1..]),
            _ => (None, rest),
        };
        let (authority, path) = match rest.strip_prefix("//") {
            Some(after) => {
                let end = after.find('/').unwrap_or(after.len());
                (Some(&after[..end]), &after[end..])
            }
            None => (None, rest),
        };
        Parts {
            scheme,
            authority,
            path,
            query,
            fragment,
        }
    }
}

impl<P: AsRef<str>> std::fmt::Display for Parts<'_, P> {
    /// Recomposes the parts (RFC 3986 section 5.3).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(scheme) = self.scheme {
            write!(f, "{scheme}:")?;
        }
        if let Some(authority) = self.authority {
            write!(f, "//{authority}")?;
        }
        f.write_str(self.path.as_ref())?;
        if let Some(query) = self.query {
            write!(f, "?{query}")?;
        }
        if let Some(fragment) = self.fragment {
            write!(f, "#{fragment}")?;
        }
        Ok(())
    }
}

/// A relative path appended to the base's directory (section 5.2.3).
fn merge(base: &Parts<'_>, path: &str) -> String {
    if base.authority.is_some() && base.path.is_empty() {
        return format!("/{path}");
    }
    let directory = base.path.rfind('/').map_or("", |i| &base.path[..=i]);
    format!("{directory}{path}")
}

/// `.` and `..` segments interpreted and removed (section 5.2.4).
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    let drop_last_segment = |output: &mut String| {
        output.truncate(output.rfind('/').unwrap_or(0));
    };
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            input = rest;
        } else if input.starts_with("/./") || input == "/." {
            input = if input == "/." { "/" } else { &input[2..] };
        } else if input.starts_with("/../") || input == "/.." {
            input = if input == "/.." { "/" } else { &input[3..] };
            drop_last_segment(&mut output);
        } else if input == "." || input == ".." {
            input = "";
        } else {
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| start + i);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use url::Url;

    #[test]
    fn rfc_3986_examples() {
        // Section 5.4: every normal and abnormal example.
        let base = "http://a/b/c/d;p?q";
        let cases = [
            ("g:h", "g:h"),
            ("g", "http://a/b/c/g"),
            ("./g", "http://a/b/c/g"),
            ("g/", "http://a/b/c/g/"),
            ("/g", "http://a/g"),
            ("//g", "http://g"),
            ("?y", "http://a/b/c/d;p?y"),
            ("g?y", "http://a/b/c/g?y"),
            ("#s", "http://a/b/c/d;p?q#s"),
            ("g#s", "http://a/b/c/g#s"),
            ("g?y#s", "http://a/b/c/g?y#s"),
            (";x", "http://a/b/c/;x"),
            ("g;x", "http://a/b/c/g;x"),
            ("g;x?y#s", "http://a/b/c/g;x?y#s"),
            ("", "http://a/b/c/d;p?q"),
            (".", "http://a/b/c/"),
            ("./", "http://a/b/c/"),
            ("..", "http://a/b/"),
            ("../", "http://a/b/"),
            ("../g", "http://a/b/g"),
            ("../..", "http://a/"),
            ("../../", "http://a/"),
            ("../../g", "http://a/g"),
            ("../../../g", "http://a/g"),
            ("../../../../g", "http://a/g"),
            ("/./g", "http://a/g"),
            ("/../g", "http://a/g"),
            ("g.", "http://a/b/c/g."),
            (".g", "http://a/b/c/.g"),
            ("g..", "http://a/b/c/g.."),
            ("..g", "http://a/b/c/..g"),
            ("./../g", "http://a/b/g"),
            ("./g/.", "http://a/b/c/g/"),
            ("g/./h", "http://a/b/c/g/h"),
            ("g/../h", "http://a/b/c/h"),
            ("g;x=1/./y", "http://a/b/c/g;x=1/y"),
            ("g;x=1/../y", "http://a/b/c/y"),
            ("g?y/./x", "http://a/b/c/g?y/./x"),
            ("g?y/../x", "http://a/b/c/g?y/../x"),
            ("g#s/./x", "http://a/b/c/g#s/./x"),
            ("g#s/../x", "http://a/b/c/g#s/../x"),
            ("http:g", "http:g"),
        ];
        for (reference, expected) in cases {
            assert_eq!(
                resolve(base, reference).as_deref(),
                Some(expected),
                "{reference}"
            );
        }
    }

    #[test]
    fn bases() {
        assert_eq!(
            resolve("https://h.example", "p").as_deref(),
            Some("https://h.example/p")
        );
        assert_eq!(resolve("/no/scheme", "p"), None);
        assert_eq!(resolve("", "p"), None);
    }

    #[test]
    fn web_urls() {
        for url in ["http://h", "HTTPS://h.example:8443/a?b#c", "https://u@h/"] {
            assert!(is_web_url(url), "{url}");
        }
        for url in [
            "",
            "/p",
            "//h/p",
            "http:p",
            "http:///p",
            "ftp://h/p",
            "mailto:a@h",
            "https://h/a b",
            "https://h/a\u{7f}",
        ] {
            assert!(!is_web_url(url), "{url}");
        }
    }

    // References of the kinds a registry writes, with dot segments, queries
    // and fragments, against bases of as many shapes.
    fn reference() -> impl Strategy<Value = String> {
        let segment = prop_oneof!["[a-z0-9;=%-]{1,4}", Just(".".into()), Just("..".into())];
        let path = (prop::collection::vec(segment, 0..5), any::<bool>())
            .prop_map(|(s, slash)| s.join("/") + if slash { "/" } else { "" });
        (
            prop::sample::select(vec![
                "",
                "/",
                "//other.example/",
                "https://third.example:8443/",
            ]),
            path,
            prop::option::of("[a-z0-9=&/.%]{0,6}"),
            prop::option::of("[a-z0-9/.]{0,4}"),
        )
            .prop_map(|(prefix, path, query, fragment)| {
                let mut r = format!("{prefix}{path}");
                if let Some(q) = query {
                    r = format!("{r}?{q}");
                }
                if let Some(f) = fragment {
                    r = format!("{r}#{f}");
                }
                r
            })
    }

    proptest! {
        #[test]
        fn agrees_with_the_url_standard(
            // Bases are URLs that answered, so without dot segments.
            base in "https://registry\\.example(:5000)?(/[a-z][a-z.]{0,2}){0,3}/?(\\?[a-z=]{0,4})?",
            reference in reference(),
        ) {
            let resolved = resolve(&base, &reference).unwrap();
            match Url::parse(&base).unwrap().join(&reference) {
                Ok(expected) => prop_assert_eq!(Url::parse(&resolved).unwrap(), expected),
                // `//` with no host after it: not a page either way.
                Err(_) => prop_assert!(!is_web_url(&resolved), "{}", resolved),
            }
        }

        #[test]
        fn arbitrary_input_never_panics(base in any::<String>(), reference in any::<String>()) {
            if let Some(resolved) = resolve(&base, &reference) {
                is_web_url(&resolved);
            }
        }
    }
}

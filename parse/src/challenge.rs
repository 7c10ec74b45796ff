//! `WWW-Authenticate` challenges (RFC 7235), such as a registry's
//! `Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"`.

use std::collections::BTreeMap;

/// One authentication challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// The auth scheme, lowercased (`basic`, `bearer`).
    pub scheme: String,
    /// Parameters by lowercased name, values unquoted and unescaped. A token68
    /// credential (`Negotiate abc==`) is kept under the empty name. When a
    /// name repeats, the first value is kept.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    /// The value of parameter `name`, matched case-insensitively.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

/// The challenges in all `header_values`, in order. A challenge that does
/// not parse is skipped up to the next comma; the rest are still returned.
pub fn parse(header_values: &[&str]) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    for value in header_values {
        let mut cursor = Cursor { s: value, pos: 0 };
        loop {
            cursor.skip_separators();
            if cursor.rest().is_empty() {
                break;
            }
            match challenge(&mut cursor) {
                Some(challenge) => challenges.push(challenge),
                None => cursor.skip_past_comma(),
            }
        }
    }
    challenges
}

fn challenge(cursor: &mut Cursor<'_>) -> Option<Challenge> {
    let scheme = cursor.take_while(is_tchar);
    if scheme.is_empty() || !matches!(cursor.peek(), None | Some(' ' | '\t' | ',')) {
        return None;
    }
    let mut challenge = Challenge {
        scheme: scheme.to_ascii_lowercase(),
        params: BTreeMap::new(),
    };
    cursor.skip_ows();
    if let Some(token68) = cursor.token68() {
        challenge.params.insert(String::new(), token68.to_owned());
        return Some(challenge);
    }
    loop {
        // Commas separate both parameters and challenges: a name followed by
        // `=` is a parameter, anything else starts the next challenge.
        cursor.skip_separators();
        let start = cursor.pos;
        let name = cursor.take_while(is_tchar);
        cursor.skip_ows();
        if name.is_empty() || !cursor.eat('=') {
            cursor.pos = start;
            return Some(challenge);
        }
        cursor.skip_ows();
        let value = if cursor.eat('"') {
            cursor.quoted_string()?
        } else {
            // Read up to the next delimiter rather than strictly as a token,
            // for servers that leave URLs unquoted.
            cursor
                .take_while(|c| !matches!(c, ',' | ' ' | '\t'))
                .to_owned()
        };
        challenge
            .params
            .entry(name.to_ascii_lowercase())
            .or_insert(value);
    }
}

struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += c.len_utf8();
        }
        found
    }

    fn take_while(&mut self, keep: impl Fn(char) -> bool) -> &'a str {
        let rest = self.rest();
        let len = rest.find(|c| !keep(c)).unwrap_or(rest.len());
        self.pos += len;
        &rest[..len]
    }

    fn skip_ows(&mut self) {
        self.take_while(|c| matches!(c, ' ' | '\t'));
    }

    /// Skips whitespace and the commas of empty list elements.
    fn skip_separators(&mut self) {
        self.take_while(|c| matches!(c, ' ' | '\t' | ','));
    }

    /// `1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`, only
    /// if the challenge ends after it; otherwise nothing is consumed.
    fn token68(&mut self) -> Option<&'a str> {
        let start = self.pos;
        let is_token68_char = |c: char| c.is_ascii_alphanumeric() || "-._~+/".contains(c);
        if !self.take_while(is_token68_char).is_empty() {
            self.take_while(|c| c == '=');
            let token68 = &self.s[start..self.pos];
            self.skip_ows();
            if matches!(self.peek(), None | Some(',')) {
                return Some(token68);
            }
        }
        self.pos = start;
        None
    }

    /// The rest of a quoted string whose opening quote has been read, with
    /// `\` escapes resolved; None if it is not terminated.
    fn quoted_string(&mut self) -> Option<String> {
        let mut value = String::new();
        loop {
            let rest = self.rest();
            let special = rest.find(['"', '\\'])?;
            value.push_str(&rest[..special]);
            self.pos += special + 1;
            if rest[special..].starts_with('"') {
                return Some(value);
            }
            let escaped = self.peek()?;
            value.push(escaped);
            self.pos += escaped.len_utf8();
        }
    }

    /// Moves past the next comma outside quoted strings, or to the end.
    fn skip_past_comma(&mut self) {
        loop {
            self.take_while(|c| c != ',' && c != '"');
            if self.eat('"') {
                if self.quoted_string().is_none() {
                    self.pos = self.s.len();
                }
            } else {
                self.eat(',');
                return;
            }
        }
    }
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn challenge(scheme: &str, params: &[(&str, &str)]) -> Challenge {
        Challenge {
            scheme: scheme.into(),
            params: params.iter().map(|&(k, v)| (k.into(), v.into())).collect(),
        }
    }

    #[test]
    fn docker_hub() {
        let parsed = parse(&[
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        ]);
        assert_eq!(
            parsed,
            [challenge(
                "bearer",
                &[
                    ("realm", "https://auth.docker.io/token"),
                    ("service", "registry.docker.io"),
                    ("scope", "repository:library/nginx:pull"),
                ]
            )]
        );
        assert_eq!(
            parsed[0].param("Realm"),
            Some("https://auth.docker.io/token")
        );
        assert_eq!(
            parsed[0].param("SCOPE"),
            Some("repository:library/nginx:pull")
        );
        assert_eq!(parsed[0].param("error"), None);
    }

    #[test]
    fn insufficient_scope() {
        let parsed = parse(&[
            r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:owner/app:pull,push",error="insufficient_scope""#,
        ]);
        assert_eq!(
            parsed,
            [challenge(
                "bearer",
                &[
                    ("realm", "https://ghcr.io/token"),
                    ("service", "ghcr.io"),
                    ("scope", "repository:owner/app:pull,push"),
                    ("error", "insufficient_scope"),
                ]
            )]
        );
    }

    #[test]
    fn distribution_basic() {
        assert_eq!(
            parse(&[r#"Basic realm="Registry Realm""#]),
            [challenge("basic", &[("realm", "Registry Realm")])]
        );
    }

    #[test]
    fn several_challenges_in_one_value() {
        let parsed = parse(&[
            r#"Basic realm="x", Bearer realm="https://a/token",service="reg",scope="repository:a/b:pull,push""#,
        ]);
        assert_eq!(
            parsed,
            [
                challenge("basic", &[("realm", "x")]),
                challenge(
                    "bearer",
                    &[
                        ("realm", "https://a/token"),
                        ("service", "reg"),
                        ("scope", "repository:a/b:pull,push"),
                    ]
                ),
            ]
        );
    }

    #[test]
    fn rfc_7235_example() {
        let parsed = parse(&[
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
        ]);
        assert_eq!(
            parsed,
            [
                challenge(
                    "newauth",
                    &[
                        ("realm", "apps"),
                        ("type", "1"),
                        ("title", r#"Login to "apps""#)
                    ]
                ),
                challenge("basic", &[("realm", "simple")]),
            ]
        );
    }

    #[test]
    fn several_header_values() {
        let parsed = parse(&["Negotiate", r#"Basic realm="r""#, ""]);
        assert_eq!(
            parsed,
            [
                challenge("negotiate", &[]),
                challenge("basic", &[("realm", "r")])
            ]
        );
    }

    #[test]
    fn token68() {
        assert_eq!(
            parse(&["Negotiate abc=="]),
            [challenge("negotiate", &[("", "abc==")])]
        );
        assert_eq!(
            parse(&["Negotiate a-b._~+/c= , Basic realm=x, NTLM"]),
            [
                challenge("negotiate", &[("", "a-b._~+/c=")]),
                challenge("basic", &[("realm", "x")]),
                challenge("ntlm", &[]),
            ]
        );
        assert_eq!(parse(&["Negotiate abc=="])[0].param(""), Some("abc=="));
        // A name, `=` and a value are a parameter, not a token68.
        assert_eq!(parse(&["X a=b"]), [challenge("x", &[("a", "b")])]);
    }

    #[test]
    fn scheme_only() {
        assert_eq!(
            parse(&["Basic, Bearer"]),
            [challenge("basic", &[]), challenge("bearer", &[])]
        );
    }

    #[test]
    fn tolerant_whitespace_and_unquoted_values() {
        let expected = [challenge(
            "bearer",
            &[("realm", "https://a/token"), ("service", "reg")],
        )];
        for header in [
            "Bearer realm=https://a/token,service=reg",
            "  BEARER   Realm = \"https://a/token\" ,\tService=reg  ",
            "Bearer realm=\"https://a/token\",, ,service=\"reg\",",
            "Bearer\trealm=\"https://a/token\" service=\"reg\"",
            ", Bearer realm=\"https://a/token\", service=reg",
        ] {
            assert_eq!(parse(&[header]), expected, "{header}");
        }
        // A missing comma between challenges is tolerated too.
        assert_eq!(
            parse(&[r#"Basic realm="a" Bearer realm="b""#]),
            [
                challenge("basic", &[("realm", "a")]),
                challenge("bearer", &[("realm", "b")]),
            ]
        );
    }

    #[test]
    fn escapes_and_non_ascii() {
        assert_eq!(
            parse(&[r#"Basic realm="a\\b\"c\,d\é", title="ü, ö""#]),
            [challenge(
                "basic",
                &[("realm", r#"a\b"c,dé"#), ("title", "ü, ö")]
            )]
        );
    }

    #[test]
    fn first_of_repeated_params_wins() {
        assert_eq!(
            parse(&["Bearer realm=a, REALM=b"]),
            [challenge("bearer", &[("realm", "a")])]
        );
    }

    #[test]
    fn empty_values() {
        assert_eq!(
            parse(&[r#"Bearer realm="", service="#]),
            [challenge("bearer", &[("realm", ""), ("service", "")])]
        );
    }

    #[test]
    fn malformed_challenges_are_skipped() {
        for header in [
            "",
            "   ",
            ",,,",
            "=x",
            "\"realm\"",
            "Basic realm=\"x",
            "Basic realm=\"x\\",
        ] {
            assert_eq!(parse(&[header]), [], "{header}");
        }
        assert_eq!(
            parse(&[r#"Bearer"x", Basic realm="y""#]),
            [challenge("basic", &[("realm", "y")])]
        );
        assert_eq!(
            parse(&[r#"=junk "with, comma", Basic realm="y""#]),
            [challenge("basic", &[("realm", "y")])]
        );
        // Parameters read before junk are kept; the junk is skipped.
        assert_eq!(
            parse(&[r#"Bearer realm="a" ="b", Basic"#]),
            [
                challenge("bearer", &[("realm", "a")]),
                challenge("basic", &[])
            ]
        );
        assert_eq!(
            parse(&[r#"Basic realm="unterminated"#, "Bearer realm=b"]),
            [challenge("bearer", &[("realm", "b")])]
        );
    }

    fn quote(s: &str) -> String {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }

    #[derive(Debug, Clone)]
    enum Body {
        Params(BTreeMap<String, (String, bool)>),
        Token68(String),
    }

    /// A challenge as a server could write it, and as it should parse.
    fn written_challenge() -> impl Strategy<Value = (String, Challenge)> {
        let params = prop::collection::btree_map(
            "[a-z][a-z0-9_-]{0,6}",
            ("[ -~é]{0,12}", any::<bool>()),
            0..4,
        )
        .prop_map(Body::Params);
        let token68 = "[A-Za-z0-9._~+/-]{1,10}={0,2}".prop_map(Body::Token68);
        (
            "[A-Za-z][A-Za-z0-9!#$%&'*+.^_`|~-]{0,8}",
            prop_oneof![params, token68],
            "[ \t]{0,2}",
        )
            .prop_map(|(scheme, body, ows)| {
                let (written, params) = match body {
                    Body::Token68(token68) => {
                        (format!(" {token68}"), [(String::new(), token68)].into())
                    }
                    Body::Params(params) => {
                        let written: Vec<String> = params
                            .iter()
                            .map(|(name, (value, bare))| {
                                let is_token = !value.is_empty() && value.chars().all(is_tchar);
                                let value = if *bare && is_token {
                                    value.clone()
                                } else {
                                    quote(value)
                                };
                                format!("{}{ows}={ows}{value}", name.to_uppercase())
                            })
                            .collect();
                        let written = if written.is_empty() {
                            String::new()
                        } else {
                            format!(" {}", written.join(&format!("{ows},{ows}")))
                        };
                        let params = params.into_iter().map(|(k, (v, _))| (k, v)).collect();
                        (written, params)
                    }
                };
                let challenge = Challenge {
                    scheme: scheme.to_ascii_lowercase(),
                    params,
                };
                (format!("{scheme}{written}"), challenge)
            })
    }

    proptest! {
        #[test]
        fn arbitrary_input_never_panics(values in prop::collection::vec(any::<String>(), 0..4)) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            parse(&values);
        }

        #[test]
        fn challenge_like_input_never_panics(values in prop::collection::vec("[a-z=\", \t\\\\/+é]{0,30}", 0..4)) {
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            parse(&values);
        }

        #[test]
        fn written_challenges_round_trip(
            challenges in prop::collection::vec(written_challenge(), 1..4),
            separator in "[ \t]{0,2},[ \t]{0,2}",
            separate_headers in any::<bool>(),
        ) {
            let (written, expected): (Vec<String>, Vec<Challenge>) = challenges.into_iter().unzip();
            let joined = written.join(&separator);
            let values: Vec<&str> = if separate_headers {
                written.iter().map(String::as_str).collect()
            } else {
                vec![joined.as_str()]
            };
            prop_assert_eq!(parse(&values), expected);
        }
    }
}

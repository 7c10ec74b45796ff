//! Just enough of `WWW-Authenticate` to read a Bearer challenge's realm.

/// The `realm` of the first Bearer challenge among the headers.
pub fn bearer_realm(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .find_map(|(_, value)| {
            let (scheme, params) = value.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            param(params, "realm")
        })
}

/// A `key=value` or `key="value"` parameter of a challenge.
fn param(params: &str, key: &str) -> Option<String> {
    let mut rest = params;
    while !rest.is_empty() {
        let (name, after) = rest.split_once('=')?;
        let name = name.trim().trim_start_matches(',').trim();
        let after = after.trim_start();
        let (value, next) = match after.strip_prefix('"') {
            Some(quoted) => {
                let end = quoted.find('"')?;
                (&quoted[..end], &quoted[end + 1..])
            }
            None => match after.find(',') {
                Some(end) => (&after[..end], &after[end..]),
                None => (after, ""),
            },
        };
        if name.eq_ignore_ascii_case(key) {
            return Some(value.trim().to_string());
        }
        rest = next.trim_start().trim_start_matches(',');
    }
    None
}

/// The path of an absolute URL.
pub fn path_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    path.split(['?', '#']).next().unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(value: &str) -> Vec<(String, String)> {
        vec![("Www-Authenticate".into(), value.into())]
    }

    #[test]
    fn reads_the_realm() {
        let quay = h(r#"Bearer realm="https://quay.io/v2/auth",service="quay.io""#);
        assert_eq!(
            bearer_realm(&quay).as_deref(),
            Some("https://quay.io/v2/auth")
        );
        let unquoted = h("Bearer service=x, realm=https://r.example/v2/auth");
        assert_eq!(
            bearer_realm(&unquoted).as_deref(),
            Some("https://r.example/v2/auth")
        );
        assert_eq!(bearer_realm(&h(r#"Basic realm="x""#)), None);
        assert_eq!(bearer_realm(&[]), None);
    }

    #[test]
    fn paths() {
        assert_eq!(path_of("https://quay.io/v2/auth"), "/v2/auth");
        assert_eq!(path_of("http://127.0.0.1:5/v2/auth?x=1"), "/v2/auth");
        assert_eq!(path_of("https://quay.io"), "");
    }
}

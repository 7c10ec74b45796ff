//! Reading a registry's Bearer challenge from a probe, which is how most
//! self-hosted products can be told apart.

use crate::Probe;

/// A `WWW-Authenticate: Bearer` challenge.
pub struct Bearer {
    /// Where tokens are issued.
    pub realm: String,
    /// The `service` parameter, naming the registry to the token service.
    pub service: Option<String>,
}

/// The Bearer challenge of a probe the registry answered 401, which is what
/// a registry with its own token service sends to `GET /v2/`.
pub fn of_probe(probe: &Option<Probe>) -> Option<Bearer> {
    probe
        .as_ref()
        .filter(|p| p.status == 401)
        .and_then(|p| bearer(&p.headers))
}

/// The first Bearer challenge with a realm among the headers.
pub fn bearer(headers: &[(String, String)]) -> Option<Bearer> {
    headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .find_map(|(_, value)| {
            let (scheme, params) = value.trim().split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            Some(Bearer {
                realm: param(params, "realm")?,
                service: param(params, "service"),
            })
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

/// The path of an absolute URL, without query or fragment.
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
    fn reads_bearer_challenges() {
        let c = bearer(&h(
            r#"Bearer realm="http://10.0.0.1:8090/service/token",service="harbor-registry""#,
        ))
        .unwrap();
        assert_eq!(path_of(&c.realm), "/service/token");
        assert_eq!(c.service.as_deref(), Some("harbor-registry"));
        let c = bearer(&h(
            r#"Bearer realm="https://quay.io/v2/auth",service="quay.io""#,
        ))
        .unwrap();
        assert_eq!(path_of(&c.realm), "/v2/auth");
        assert!(bearer(&h(r#"Basic realm="x""#)).is_none());
        assert!(bearer(&h("Bearer service=x")).is_none());
    }

    #[test]
    fn probes_challenge_only_when_unauthorized() {
        let probe = |status| {
            Some(Probe {
                status,
                headers: h(
                    r#"Bearer realm="https://gitlab.example/jwt/auth",service="container_registry""#,
                ),
            })
        };
        let c = of_probe(&probe(401)).unwrap();
        assert_eq!(path_of(&c.realm), "/jwt/auth");
        assert_eq!(c.service.as_deref(), Some("container_registry"));
        assert!(of_probe(&probe(200)).is_none());
        assert!(of_probe(&None).is_none());
    }
}

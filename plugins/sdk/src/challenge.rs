//! Reading a registry's Bearer challenge from a probe, which is how most
//! self-hosted products can be told apart. Challenges are parsed as the
//! host parses them ([`berth_parse::challenge`]).

use crate::Probe;

pub use berth_parse::challenge::{Challenge, parse};

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
    let values: Vec<&str> = headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("www-authenticate"))
        .map(|(_, value)| value.as_str())
        .collect();
    parse(&values)
        .into_iter()
        .filter(|c| c.scheme == "bearer")
        .find_map(|c| {
            Some(Bearer {
                realm: c.param("realm")?.to_string(),
                service: c.param("service").map(str::to_string),
            })
        })
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
        // After another scheme in the same header, and with escapes.
        let c = bearer(&h(r#"Basic realm="x", BEARER Realm="https://a/t\"k""#)).unwrap();
        assert_eq!(c.realm, r#"https://a/t"k"#);
        assert_eq!(c.service, None);
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

//! The bodies of the fuzz targets in `fuzz_targets/`: each takes any text,
//! must not panic, and asserts what its parser promises. cargo-fuzz runs
//! them on generated input; the tests below run them on seeds, so that
//! `cargo test` keeps them compiling and true.

use berth_parse::{catalog, challenge, link, reference, time, uri};
use std::path::Path;

/// The page a `Link` header is resolved against.
const BASE: &str = "https://registry.example/v2/app/tags/list?n=1000";

/// Whatever parses re-parses from its canonical form to the same address.
pub fn reference(data: &str) {
    if let Ok(address) = reference::parse_repository(data) {
        assert_eq!(
            reference::parse_repository(&address.canonical()).as_ref(),
            Ok(&address)
        );
    }
    if let Ok(manifest) = reference::parse_manifest(data) {
        assert_eq!(
            reference::parse_manifest(&manifest.canonical()).as_ref(),
            Ok(&manifest)
        );
    }
}

/// `Link` header values, one a line: a next page is an absolute URL, which
/// resolves to itself.
pub fn link(data: &str) {
    let values: Vec<&str> = data.split('\n').collect();
    if let Some(next) = link::next_link(&values, BASE) {
        assert_eq!(uri::resolve(BASE, &next).as_deref(), Some(next.as_str()));
    }
}

/// `WWW-Authenticate` header values, one a line: schemes and parameter
/// names come lower-cased.
pub fn www_authenticate(data: &str) {
    let values: Vec<&str> = data.split('\n').collect();
    for challenge in challenge::parse(&values) {
        assert_eq!(challenge.scheme, challenge.scheme.to_ascii_lowercase());
        assert!(!challenge.scheme.is_empty());
        for name in challenge.params.keys() {
            assert_eq!(name, &name.to_ascii_lowercase());
        }
    }
}

/// A `plugin-registry.toml`, read and its patterns checked: errors name
/// the file.
pub fn catalog(data: &str) {
    let path = Path::new("plugin-registry.toml");
    let checked =
        catalog::parse(data, path).and_then(|entries| catalog::check_patterns(&entries, path));
    if let Err(e) = checked {
        assert!(e.message.starts_with("plugin-registry.toml"), "{e}");
    }
}

/// An RFC 3339 time: what parses is written back in UTC as a time that
/// parses to the same instant.
pub fn time(data: &str) {
    if let Some(instant) = time::parse(data) {
        let written = instant.to_string();
        assert!(written.ends_with('Z'), "{written}");
        assert_eq!(time::parse(&written), Some(instant), "{data} as {written}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA256: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn reference_seeds() {
        for seed in [
            "nginx",
            "docker.io/library/nginx:1.25",
            "Index.Docker.IO/a/b",
            "localhost:5000/x",
            "[::1]:5000/a/b:v1",
            "oci:./out:v1",
            "oci:a:b/c",
            "example.com/Foo",
            "x:1@sha256:abc",
            "",
            "é",
        ] {
            reference(seed);
        }
        reference(&format!("ghcr.io/o/r@{SHA256}"));
    }

    #[test]
    fn link_seeds() {
        for seed in [
            r#"</v2/app/tags/list?n=1000&last=b>; rel="next""#,
            "</a>; rel=prev\n<../../x/tags/list>; rel=next",
            r#"</first?a=1,2>; rel="first", <//cdn.example/p2>; rel="next last""#,
            "<mailto:a@b>; rel=next",
            "<?n=2>; rel=next",
            "<.>; rel=next",
            "</..//x>; rel=next",
            "<https://h.example/a/./b/../c?q#f>; rel=next",
            "</p2>; rel=\"next",
            "",
        ] {
            link(seed);
        }
    }

    #[test]
    fn www_authenticate_seeds() {
        for seed in [
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#,
            "Basic realm=x, NEGOTIATE abc==\nBearer Realm=y",
            r#"Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple""#,
            "Basic realm=\"unterminated",
            "=x, \"y\"",
            "",
        ] {
            www_authenticate(seed);
        }
    }

    #[test]
    fn catalog_seeds() {
        for seed in [
            "[[plugin]]\nname = \"n\"\nfile = \"n.wasm\"\npatterns = ['^n\\.example$']\n",
            "[[plugin]]\nname = \"n\"\nfile = \"n.wasm\"\n[plugin.probe]\nserver = '^Nexus/'\n",
            "[[plugin]]\nname = \"x\"\nfile = \"x.wasm\"\npatterns = ['(']\n",
            "[[plugin]]\nname = \"x\"\nfile = 3\n",
            "[[plugin]]\nname = \"x\"\nfile = \"x.wasm\"\nsha256 = \"abc\"\n",
            "not toml at all [",
            "",
        ] {
            catalog(seed);
        }
    }

    #[test]
    fn time_seeds() {
        for seed in [
            "2023-11-14T22:13:20Z",
            "2023-11-15t00:13:20.123456789123+02:00",
            "1990-12-31T15:59:60-08:00",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999999Z",
            "2026-01-01 00:00:00Z",
            "2025-02-29T00:00:00Z",
            "",
        ] {
            time(seed);
        }
    }
}

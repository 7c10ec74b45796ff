//! Repository and manifest addresses: registry repositories in Docker
//! reference grammar, and OCI image layout directories written `oci:DIR`.

use crate::{docker_hub, loopback};
use std::fmt;
use std::net::Ipv6Addr;
use std::path::PathBuf;

const LAYOUT_PREFIX: &str = "oci:";
// Docker's limit on a completed name, `docker.io/library/` included.
const NAME_MAX_LEN: usize = 255;
const TAG_MAX_LEN: usize = 128;
const PATH_RULE: &str = "must be lowercase letters, digits and separators . _ __ -";

/// Where a repository lives: a registry, or an image layout on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Registry(Repository),
    Layout(Layout),
}

impl Address {
    /// The normalised spelling: `docker.io/library/nginx` or `oci:DIR`.
    pub fn canonical(&self) -> String {
        match self {
            Address::Registry(repository) => repository.canonical(),
            Address::Layout(layout) => format!("{LAYOUT_PREFIX}{}", layout.dir.display()),
        }
    }
}

/// A repository on a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Canonical `host[:port]`: lowercase, Docker Hub aliases folded into
    /// `docker.io`, IPv6 in brackets in its shortest form (`[::1]:5000`).
    pub registry: String,
    /// Slash-separated path; single-segment Docker Hub paths get `library/`.
    pub path: String,
}

impl Repository {
    /// `registry/path`, e.g. `docker.io/library/nginx`.
    pub fn canonical(&self) -> String {
        format!("{}/{}", self.registry, self.path)
    }

    /// Whether the registry is on this machine (see [`loopback`]), on any port.
    pub fn is_loopback(&self) -> bool {
        loopback::is_loopback(self.host())
    }

    /// The `host[:port]` serving the registry's API: Docker Hub's is not
    /// `docker.io`.
    pub fn api_host(&self) -> &str {
        docker_hub::api_host(&self.registry)
    }

    /// The registry without its port. IPv6 addresses come without brackets,
    /// so the result parses as an `IpAddr` where it is one.
    pub fn host(&self) -> &str {
        let registry = self.registry.as_str();
        match registry.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once(']').map_or(bracketed, |(ip, _)| ip),
            None => registry.split_once(':').map_or(registry, |(host, _)| host),
        }
    }
}

/// An OCI image layout directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub dir: PathBuf,
}

/// What picks one manifest out of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(String),
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(tag) => f.write_str(tag),
            Reference::Digest(digest) => f.write_str(digest),
        }
    }
}

/// One manifest: a repository address plus a tag or digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestAddress {
    pub address: Address,
    pub reference: Reference,
}

impl ManifestAddress {
    /// The normalised spelling, e.g. `docker.io/library/nginx:latest` or
    /// `oci:DIR@sha256:...`.
    pub fn canonical(&self) -> String {
        let separator = match self.reference {
            Reference::Tag(_) => ':',
            Reference::Digest(_) => '@',
        };
        format!("{}{separator}{}", self.address.canonical(), self.reference)
    }
}

/// A repository address that failed to parse; the message names the culprit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceError(String);

impl fmt::Display for ReferenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReferenceError {}

/// Parses `REGISTRY[/PREFIX]` (what `repos ls` and `plan` take): a registry
/// host, optionally with the path of an organisation, project or group
/// under it, or `oci:DIR`. The first segment must be a host, and a Docker
/// Hub prefix is a namespace as written (no `library/` is added). The path
/// of the result is the prefix, empty for a whole registry.
pub fn parse_scope(s: &str) -> Result<Address, ReferenceError> {
    if let Some(dir) = s.strip_prefix(LAYOUT_PREFIX) {
        if dir.is_empty() {
            return Err(ReferenceError(format!("missing directory in {s:?}")));
        }
        return Ok(Address::Layout(Layout {
            dir: PathBuf::from(dir),
        }));
    }
    let trimmed = s.strip_suffix('/').unwrap_or(s);
    let (first, prefix) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    if !(first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost")) {
        return Err(ReferenceError(format!(
            "{s:?} does not start with a registry host; expected REGISTRY[/PREFIX], e.g. ghcr.io/acme or localhost:5000"
        )));
    }
    let registry = parse_host(first, s)?;
    if !prefix.is_empty() && !is_valid_path(prefix) {
        return Err(ReferenceError(format!(
            "invalid path prefix {prefix:?} in {s:?} ({PATH_RULE})"
        )));
    }
    Ok(Address::Registry(Repository {
        registry,
        path: prefix.to_owned(),
    }))
}

/// Parses `HOST[:PORT]/PATH`, a Docker Hub short name, or `oci:DIR`.
/// A tag or digest is an error.
pub fn parse_repository(s: &str) -> Result<Address, ReferenceError> {
    let parts = Parts::split(s);
    if !parts.layout && is_bare_registry(s) {
        return Err(ReferenceError(format!(
            "{s:?} names a registry but no repository; expected HOST[:PORT]/PATH"
        )));
    }
    let kind = match (parts.tag, parts.digest) {
        (None, None) => return parts.address(s),
        (Some(_), _) => "tag",
        (None, Some(_)) => "digest",
    };
    Err(ReferenceError(format!(
        "{s:?} has a {kind}; expected a repository without tag or digest"
    )))
}

/// Parses a repository address followed by `:TAG` or `@DIGEST`.
pub fn parse_manifest(s: &str) -> Result<ManifestAddress, ReferenceError> {
    let parts = Parts::split(s);
    let address = parts.address(s)?;
    let reference = match (parts.tag, parts.digest) {
        (Some(tag), None) if is_valid_tag(tag) => Reference::Tag(tag.to_owned()),
        (Some(tag), None) => return Err(ReferenceError(format!("invalid tag {tag:?}"))),
        (None, Some(digest)) if is_valid_digest(digest) => Reference::Digest(digest.to_owned()),
        (None, Some(digest)) => {
            return Err(ReferenceError(format!(
                "invalid digest {digest:?} ({})",
                digest_rule(digest)
            )));
        }
        (None, None) => {
            return Err(ReferenceError(format!(
                "{s:?} has no tag or digest; expected REPO:TAG or REPO@DIGEST"
            )));
        }
        (Some(_), Some(_)) => {
            return Err(ReferenceError(format!(
                "{s:?} has both a tag and a digest; give only one"
            )));
        }
    };
    Ok(ManifestAddress { address, reference })
}

/// `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn is_valid_tag(s: &str) -> bool {
    let mut bytes = s.bytes();
    s.len() <= TAG_MAX_LEN
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// `algorithm:hex`: sha256 with 64 and sha512 with 128 lowercase hex digits.
/// The OCI grammar allows other algorithms, but berth verifies every digest
/// it accepts, and it can verify only these two.
pub fn is_valid_digest(s: &str) -> bool {
    let Some((algorithm, encoded)) = s.split_once(':') else {
        return false;
    };
    let length_ok = match algorithm {
        "sha256" => encoded.len() == 64,
        "sha512" => encoded.len() == 128,
        _ => false,
    };
    length_ok
        && encoded
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn digest_rule(digest: &str) -> &'static str {
    match digest.split_once(':') {
        Some(("sha256", _)) => "sha256 needs 64 lowercase hex digits",
        Some(("sha512", _)) => "sha512 needs 128 lowercase hex digits",
        _ => {
            "berth accepts sha256: with 64 or sha512: with 128 lowercase hex digits, which it can verify"
        }
    }
}

/// An address split into its name and the tag and digest written after it.
struct Parts<'a> {
    layout: bool,
    name: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

impl<'a> Parts<'a> {
    fn split(s: &'a str) -> Self {
        let (layout, rest) = match s.strip_prefix(LAYOUT_PREFIX) {
            Some(dir) => (true, dir),
            None => (false, s),
        };
        let (rest, digest) = split_last_segment(rest, '@');
        let (name, tag) = split_last_segment(rest, ':');
        Parts {
            layout,
            name,
            tag,
            digest,
        }
    }

    fn address(&self, input: &str) -> Result<Address, ReferenceError> {
        if self.name.is_empty() {
            let what = if self.layout {
                "directory"
            } else {
                "repository"
            };
            return Err(ReferenceError(format!("missing {what} in {input:?}")));
        }
        if self.layout {
            return Ok(Address::Layout(Layout {
                dir: PathBuf::from(self.name),
            }));
        }
        parse_name(self.name, input).map(Address::Registry)
    }
}

/// Splits at the last `separator` after the final `/`, so that the `:` of a
/// `host:port` or a directory name is not taken for a tag.
fn split_last_segment(s: &str, separator: char) -> (&str, Option<&str>) {
    let start = s.rfind('/').map_or(0, |i| i + 1);
    match s[start..].rfind(separator) {
        Some(i) => (&s[..start + i], Some(&s[start + i + 1..])),
        None => (s, None),
    }
}

/// `localhost:5000`, `example.com:443` or `[::1]:5000` with no path: Docker
/// would read a Hub repository with a tag, which is never what is meant here.
fn is_bare_registry(s: &str) -> bool {
    if s.contains('/') {
        return false;
    }
    s.starts_with('[')
        || s.split_once(':').is_some_and(|(host, port)| {
            (host.contains('.') || host.eq_ignore_ascii_case("localhost"))
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
        })
}

fn parse_name(name: &str, input: &str) -> Result<Repository, ReferenceError> {
    // As in Docker, only a first segment that looks like a host is one.
    let (registry, path) = match name.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':']) || first.eq_ignore_ascii_case("localhost") =>
        {
            (parse_host(first, input)?, rest)
        }
        _ => (docker_hub::NAME.to_owned(), name),
    };
    for component in path.split('/') {
        if component.is_empty() {
            return Err(ReferenceError(format!(
                "empty repository path component in {input:?}"
            )));
        }
        if !is_separated_alnum(component, b"._-", is_path_separator) {
            return Err(ReferenceError(format!(
                "invalid repository path component {component:?} in {input:?} ({PATH_RULE})"
            )));
        }
    }
    let path = if registry == docker_hub::NAME && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_owned()
    };
    let repository = Repository { registry, path };
    // Docker applies the limit to the completed name, so that is what is checked.
    if repository.canonical().len() > NAME_MAX_LEN {
        return Err(ReferenceError(format!(
            "repository name {:?} (from {input:?}) is longer than {NAME_MAX_LEN} characters",
            repository.canonical()
        )));
    }
    Ok(repository)
}

/// Whether `repository` is `prefix` or below it, in whole path segments;
/// everything is under an empty prefix.
pub fn is_under(repository: &str, prefix: &str) -> bool {
    prefix.is_empty()
        || repository
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// A repository path as a registry names it (`acme/app`), without host.
pub fn is_valid_path(path: &str) -> bool {
    path.len() <= NAME_MAX_LEN
        && path
            .split('/')
            .all(|c| !c.is_empty() && is_separated_alnum(c, b"._-", is_path_separator))
}

fn is_path_separator(sep: &str) -> bool {
    matches!(sep, "." | "_" | "__") || sep.bytes().all(|b| b == b'-')
}

/// Returns the canonical `host[:port]`.
fn parse_host(host: &str, input: &str) -> Result<String, ReferenceError> {
    let invalid = |hint: &str| {
        ReferenceError(format!(
            "invalid registry host {host:?} in {input:?} ({hint})"
        ))
    };
    let dns_or_ip = "must be a DNS name or IP address, optionally with :PORT";
    let (name, port) = if let Some(bracketed) = host.strip_prefix('[') {
        let (ip, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid(dns_or_ip))?;
        let ip: Ipv6Addr = ip.parse().map_err(|_| invalid(dns_or_ip))?;
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or_else(|| invalid(dns_or_ip))?),
        };
        (format!("[{ip}]"), port)
    } else {
        let (name, port) = match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        };
        if port.is_some_and(|p| p.contains(':')) {
            return Err(invalid("IPv6 addresses need brackets, e.g. [::1]:5000"));
        }
        if !is_dns_name(name) {
            return Err(invalid(dns_or_ip));
        }
        (name.to_ascii_lowercase(), port)
    };
    match port {
        None if docker_hub::is_docker_hub(&name) => Ok(docker_hub::NAME.to_owned()),
        None => Ok(name),
        Some(port) => {
            // Checked by hand because `u16::from_str` also accepts a leading `+`.
            let number = port
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| port.parse::<u16>().ok())
                .flatten()
                .filter(|&n| n != 0)
                .ok_or_else(|| ReferenceError(format!("invalid port {port:?} in {input:?}")))?;
            Ok(format!("{name}:{number}"))
        }
    }
}

/// Dot-separated labels of letters, digits and inner hyphens; this covers
/// dotted IPv4 addresses too.
fn is_dns_name(s: &str) -> bool {
    s.len() <= 253
        && s.split('.').all(|label| {
            let alnum_end = |c: char| c.is_ascii_alphanumeric();
            label.len() <= 63
                && label.starts_with(alnum_end)
                && label.ends_with(alnum_end)
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `s` is runs of lowercase letters and digits joined by separators
/// made of `separator_bytes` that `valid_separator` accepts.
fn is_separated_alnum(s: &str, separator_bytes: &[u8], valid_separator: fn(&str) -> bool) -> bool {
    let mut rest = s;
    loop {
        let run = rest
            .bytes()
            .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            .count();
        if run == 0 {
            return false;
        }
        rest = &rest[run..];
        if rest.is_empty() {
            return true;
        }
        let sep_len = rest
            .bytes()
            .take_while(|b| separator_bytes.contains(b))
            .count();
        let (separator, after) = rest.split_at(sep_len);
        if sep_len == 0 || !valid_separator(separator) {
            return false;
        }
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    #[test]
    fn scopes_are_a_registry_and_an_optional_prefix() {
        let scope = |s: &str| match parse_scope(s) {
            Ok(Address::Registry(r)) => Ok((r.registry, r.path)),
            Ok(Address::Layout(l)) => Ok((String::new(), l.dir.display().to_string())),
            Err(e) => Err(e.to_string()),
        };
        let ok = |r: &str, p: &str| Ok((r.to_string(), p.to_string()));
        assert_eq!(scope("localhost:5000"), ok("localhost:5000", ""));
        assert_eq!(scope("localhost:5000/"), ok("localhost:5000", ""));
        assert_eq!(scope("ghcr.io/acme"), ok("ghcr.io", "acme"));
        assert_eq!(scope("GHCR.io/acme/team"), ok("ghcr.io", "acme/team"));
        assert_eq!(scope("index.docker.io/acme"), ok("docker.io", "acme"));
        assert_eq!(scope("[::1]:5000"), ok("[::1]:5000", ""));
        assert_eq!(scope("oci:/tmp/l"), ok("", "/tmp/l"));
        assert!(scope("acme").unwrap_err().contains("registry host"));
        assert!(scope("acme/app").unwrap_err().contains("registry host"));
        assert!(scope("ghcr.io/Acme").unwrap_err().contains("\"Acme\""));
        assert!(scope("ghcr.io//x").is_err());
        assert!(scope("oci:").is_err());
        assert!(is_under("acme/app", ""));
        assert!(is_under("acme/app", "acme"));
        assert!(is_under("acme", "acme"));
        assert!(is_under("acme/x/y", "acme/x"));
        assert!(!is_under("acme-two/app", "acme"));
        assert!(!is_under("other/acme", "acme"));
    }

    const SHA256: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    fn repo(s: &str) -> Repository {
        match parse_repository(s) {
            Ok(Address::Registry(repository)) => repository,
            other => panic!("{s:?} parsed as {other:?}"),
        }
    }

    fn repo_error(s: &str) -> String {
        match parse_repository(s) {
            Err(e) => e.to_string(),
            Ok(address) => panic!("{s:?} parsed as {address:?}"),
        }
    }

    fn manifest_error(s: &str) -> String {
        match parse_manifest(s) {
            Err(e) => e.to_string(),
            Ok(manifest) => panic!("{s:?} parsed as {manifest:?}"),
        }
    }

    #[test]
    fn docker_hub_short_names() {
        for s in [
            "nginx",
            "library/nginx",
            "docker.io/nginx",
            "docker.io/library/nginx",
            "index.docker.io/library/nginx",
            "registry-1.docker.io/nginx",
            "Docker.IO/nginx",
        ] {
            let r = repo(s);
            assert_eq!(r.registry, "docker.io", "{s}");
            assert_eq!(r.path, "library/nginx", "{s}");
            assert_eq!(r.canonical(), "docker.io/library/nginx", "{s}");
        }
        assert_eq!(repo("bitnami/redis").canonical(), "docker.io/bitnami/redis");
        assert_eq!(repo("a/b/c").canonical(), "docker.io/a/b/c");
        // Without a second segment a dotted name is a Hub repository, as in Docker.
        assert_eq!(
            repo("example.com").canonical(),
            "docker.io/library/example.com"
        );
    }

    #[test]
    fn docker_hub_with_port_is_another_registry() {
        let r = repo("docker.io:443/nginx");
        assert_eq!(r.registry, "docker.io:443");
        assert_eq!(r.path, "nginx");
    }

    #[test]
    fn registries() {
        let cases = [
            ("localhost/x", "localhost", "x"),
            ("localhost:5000/x", "localhost:5000", "x"),
            ("LocalHost:5000/x", "localhost:5000", "x"),
            ("LOCALHOST/x", "localhost", "x"),
            ("example.com/foo/bar", "example.com", "foo/bar"),
            ("Example.COM/foo", "example.com", "foo"),
            ("ghcr.io/owner/repo", "ghcr.io", "owner/repo"),
            (
                "registry.example.com:443/a/b/c",
                "registry.example.com:443",
                "a/b/c",
            ),
            ("127.0.0.1:5000/x", "127.0.0.1:5000", "x"),
            ("[::1]:5000/x", "[::1]:5000", "x"),
            ("[::1]/x", "[::1]", "x"),
            ("[0:0:0:0:0:0:0:1]:5000/x", "[::1]:5000", "x"),
            ("[FE80::1]/x", "[fe80::1]", "x"),
            ("host:1/x", "host:1", "x"),
            ("host:65535/x", "host:65535", "x"),
            ("host:05000/x", "host:5000", "x"),
            ("a-b.c/x", "a-b.c", "x"),
        ];
        for (input, registry, path) in cases {
            let r = repo(input);
            assert_eq!(r.registry, registry, "{input}");
            assert_eq!(r.path, path, "{input}");
        }
    }

    #[test]
    fn path_components() {
        for path in [
            "a",
            "a.b",
            "a_b",
            "a__b",
            "a-b",
            "a---b",
            "a1.b2_c3__d4-e5",
            "0",
            "a/b.c/d",
        ] {
            assert_eq!(repo(&format!("example.com/{path}")).path, path);
        }
        for path in [
            "a..b", "a._b", "a___b", ".a", "a.", "-a", "a-", "_a", "a_", "A", "a b", "a+b", "é",
        ] {
            let err = repo_error(&format!("example.com/{path}"));
            assert!(
                err.starts_with("invalid repository path component"),
                "{path}: {err}"
            );
        }
    }

    #[test]
    fn path_error_message() {
        assert_eq!(
            repo_error("example.com/Foo/bar"),
            r#"invalid repository path component "Foo" in "example.com/Foo/bar" (must be lowercase letters, digits and separators . _ __ -)"#
        );
        // Not a host: no dot, no colon, not localhost.
        assert!(repo_error("Foo/bar").contains(r#"component "Foo""#));
        assert!(repo_error("[nothost]/x").contains(r#"component "[nothost]""#));
    }

    #[test]
    fn empty_components() {
        for s in ["example.com/", "example.com//x", "a//b", "/x", "x/"] {
            assert!(
                repo_error(s).starts_with("empty repository path component"),
                "{s}"
            );
        }
        assert_eq!(repo_error(""), r#"missing repository in """#);
    }

    #[test]
    fn bad_hosts_and_ports() {
        assert_eq!(
            repo_error("host:99999/x"),
            r#"invalid port "99999" in "host:99999/x""#
        );
        for s in [
            "host:0/x",
            "host:/x",
            "host:+80/x",
            "host:8a/x",
            "[::1]:70000/x",
        ] {
            assert!(repo_error(s).starts_with("invalid port"), "{s}");
        }
        for s in [
            "exa_mple.com/x",
            "-a.com/x",
            "a-.com/x",
            "a..com/x",
            ".com/x",
            "[::1/x",
            "[nothost:1]/x",
            "[::1]5000/x",
            "[fe80::1%eth0]/x",
        ] {
            assert!(repo_error(s).starts_with("invalid registry host"), "{s}");
        }
        assert!(repo_error("::1/x").contains("IPv6 addresses need brackets"));
    }

    #[test]
    fn long_names() {
        let long = format!("example.com/{}", "a".repeat(250));
        assert!(repo_error(&long).contains("longer than 255"));
        let fits = format!("example.com/{}", "a".repeat(255 - "example.com/".len()));
        assert_eq!(repo(&fits).canonical(), fits);
        // The limit counts the `docker.io/library/` that a short name gains.
        assert!(repo_error(&"a".repeat(240)).contains("longer than 255"));
    }

    #[test]
    fn repository_refuses_tag_and_digest() {
        assert_eq!(
            repo_error("x:1"),
            r#""x:1" has a tag; expected a repository without tag or digest"#
        );
        assert!(repo_error("localhost:5000/x:1").contains("has a tag"));
        assert!(repo_error(&format!("x@{SHA256}")).contains("has a digest"));
        assert!(repo_error("oci:dir:tag").contains("has a tag"));
        assert!(repo_error(&format!("oci:dir@{SHA256}")).contains("has a digest"));
        for s in ["localhost:5000", "example.com:443", "[::1]:5000", "[::1]"] {
            assert!(
                repo_error(s).contains("names a registry but no repository"),
                "{s}"
            );
        }
    }

    #[test]
    fn layouts() {
        let cases = [
            ("oci:dir", "dir"),
            ("oci:./images/app", "./images/app"),
            ("oci:/abs/path", "/abs/path"),
            ("oci:a:b/c", "a:b/c"),
            ("oci:a:b/", "a:b/"),
            ("oci:a@b/c", "a@b/c"),
        ];
        for (input, dir) in cases {
            assert_eq!(
                parse_repository(input),
                Ok(Address::Layout(Layout { dir: dir.into() })),
                "{input}"
            );
            assert_eq!(parse_repository(input).unwrap().canonical(), input);
        }
        assert_eq!(repo_error("oci:"), r#"missing directory in "oci:""#);
    }

    #[test]
    fn manifests() {
        let m = parse_manifest("nginx:1.25").unwrap();
        assert_eq!(m.address.canonical(), "docker.io/library/nginx");
        assert_eq!(m.reference, Reference::Tag("1.25".into()));
        assert_eq!(m.canonical(), "docker.io/library/nginx:1.25");

        let m = parse_manifest("localhost:5000/x:latest").unwrap();
        assert_eq!(m.address.canonical(), "localhost:5000/x");
        assert_eq!(m.reference.to_string(), "latest");

        let m = parse_manifest(&format!("[::1]:5000/a/b@{SHA256}")).unwrap();
        assert_eq!(m.address.canonical(), "[::1]:5000/a/b");
        assert_eq!(m.reference, Reference::Digest(SHA256.into()));
        assert_eq!(m.reference.to_string(), SHA256);

        // Docker reads a bare host:port as a Hub repository with a tag.
        let m = parse_manifest("localhost:5000").unwrap();
        assert_eq!(m.canonical(), "docker.io/library/localhost:5000");

        let m = parse_manifest("oci:./out:v1").unwrap();
        assert_eq!(
            m.address,
            Address::Layout(Layout {
                dir: "./out".into()
            })
        );
        assert_eq!(m.reference, Reference::Tag("v1".into()));
        assert_eq!(m.canonical(), "oci:./out:v1");

        let m = parse_manifest(&format!("oci:a:b/c@{SHA256}")).unwrap();
        assert_eq!(
            m.address,
            Address::Layout(Layout {
                dir: "a:b/c".into()
            })
        );
        assert_eq!(m.reference, Reference::Digest(SHA256.into()));
    }

    #[test]
    fn manifest_errors() {
        assert_eq!(
            manifest_error("example.com/x:bad tag"),
            r#"invalid tag "bad tag""#
        );
        assert_eq!(manifest_error("x:"), r#"invalid tag """#);
        assert!(manifest_error(&format!("x:{}", "a".repeat(129))).starts_with("invalid tag"));
        assert!(manifest_error("x").contains("has no tag or digest"));
        assert!(manifest_error("localhost:5000/x").contains("has no tag or digest"));
        assert!(manifest_error("oci:dir").contains("has no tag or digest"));
        assert!(manifest_error(&format!("x:1@{SHA256}")).contains("both a tag and a digest"));
        assert!(manifest_error("oci::v1").starts_with("missing directory"));
        assert_eq!(
            manifest_error("x@sha256:abc"),
            r#"invalid digest "sha256:abc" (sha256 needs 64 lowercase hex digits)"#
        );
        assert!(manifest_error("x@md5").contains("berth accepts sha256: with 64"));
        assert!(manifest_error("example.com/Foo:1").contains(r#"component "Foo""#));
    }

    #[test]
    fn tags() {
        let longest = "a".repeat(128);
        for tag in [
            "latest",
            "1.25.3",
            "_private",
            "v1-rc_2",
            "A",
            "0",
            longest.as_str(),
        ] {
            assert!(is_valid_tag(tag), "{tag}");
        }
        let too_long = "a".repeat(129);
        for tag in ["", ".x", "-x", "a b", "a:b", "a/b", "é", too_long.as_str()] {
            assert!(!is_valid_tag(tag), "{tag}");
        }
    }

    #[test]
    fn digests() {
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        for digest in [SHA256, &sha512] {
            assert!(is_valid_digest(digest), "{digest}");
        }
        // Valid in the OCI grammar, but berth cannot verify them.
        let unverifiable = [
            format!("blake3:{}", "0".repeat(64)),
            format!("sha256+b64u.x_y-z:{}", "f".repeat(32)),
        ];
        let bad = [
            String::new(),
            "sha256".into(),
            "sha256:".into(),
            SHA256.to_uppercase(),
            SHA256.replace("sha256", "SHA256"),
            format!("{SHA256}0"),
            SHA256[..70].to_owned(),
            format!("sha512:{}", "ab".repeat(32)),
            format!("md5:{}", "0".repeat(31)),
            format!("a..b:{}", "0".repeat(32)),
            format!(":{}", "0".repeat(64)),
            format!("sha256:{}g", "0".repeat(63)),
        ];
        for digest in bad.iter().chain(&unverifiable) {
            assert!(!is_valid_digest(digest), "{digest}");
        }
    }

    #[test]
    fn loopback_and_host() {
        let cases = [
            ("localhost/x", "localhost", true),
            ("localhost:5000/x", "localhost", true),
            ("127.0.0.1/x", "127.0.0.1", true),
            ("127.10.20.30:8080/x", "127.10.20.30", true),
            ("[::1]:5000/x", "::1", true),
            ("[::ffff:127.0.0.1]/x", "::ffff:127.0.0.1", true),
            ("128.0.0.1/x", "128.0.0.1", false),
            ("[::2]/x", "::2", false),
            ("localhost.example.com/x", "localhost.example.com", false),
            ("nginx", "docker.io", false),
        ];
        for (input, host, loopback) in cases {
            let r = repo(input);
            assert_eq!(r.host(), host, "{input}");
            assert_eq!(r.is_loopback(), loopback, "{input}");
        }
    }

    #[test]
    fn api_hosts() {
        for (input, api) in [
            ("nginx", "registry-1.docker.io"),
            ("index.docker.io/a/b", "registry-1.docker.io"),
            ("docker.io:443/a/b", "docker.io:443"),
            ("localhost:5000/x", "localhost:5000"),
        ] {
            assert_eq!(repo(input).api_host(), api, "{input}");
        }
    }

    fn dns_host() -> impl Strategy<Value = String> {
        prop::collection::vec("[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?", 2..4)
            .prop_map(|labels| labels.join("."))
            .prop_filter("Docker Hub aliases are folded", |h| {
                !docker_hub::is_docker_hub(h)
            })
    }

    fn registry() -> impl Strategy<Value = String> {
        let host = prop_oneof![
            dns_host(),
            Just("localhost".to_owned()),
            any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string()),
            any::<[u16; 8]>().prop_map(|s| format!("[{}]", Ipv6Addr::from(s))),
        ];
        (host, prop::option::of(1u16..)).prop_map(|(host, port)| match port {
            Some(port) => format!("{host}:{port}"),
            None => host,
        })
    }

    const COMPONENT: &str = "[a-z0-9]{1,4}(([._]|__|-{1,3})[a-z0-9]{1,4}){0,2}";
    // A first component without dots, so that Docker does not read it as a host.
    const HUB_FIRST_COMPONENT: &str = "[a-z0-9]{1,4}((_|__|-{1,3})[a-z0-9]{1,4}){0,2}";
    const TAG: &str = "[A-Za-z0-9_][A-Za-z0-9._-]{0,20}";
    const DIR: &str = "[A-Za-z0-9_.@:-]{0,6}(/[A-Za-z0-9_.@:-]{1,6}){0,2}/[A-Za-z0-9_.-]{1,6}";

    fn path() -> impl Strategy<Value = String> {
        prop::collection::vec(COMPONENT, 1..4).prop_map(|c| c.join("/"))
    }

    fn reference() -> impl Strategy<Value = Reference> {
        prop_oneof![
            TAG.prop_map(Reference::Tag),
            "[0-9a-f]{64}".prop_map(|h| Reference::Digest(format!("sha256:{h}"))),
            "[0-9a-f]{128}".prop_map(|h| Reference::Digest(format!("sha512:{h}"))),
        ]
    }

    proptest! {
        #[test]
        fn registry_round_trips(registry in registry(), path in path(), reference in reference()) {
            let input = format!("{registry}/{path}");
            let expected = Address::Registry(Repository { registry, path });
            prop_assert_eq!(parse_repository(&input), Ok(expected.clone()));
            prop_assert_eq!(expected.canonical(), input.clone());

            let separator = if matches!(reference, Reference::Tag(_)) { ':' } else { '@' };
            let input = format!("{input}{separator}{reference}");
            let manifest = parse_manifest(&input).unwrap();
            prop_assert_eq!(&manifest.address, &expected);
            prop_assert_eq!(&manifest.reference, &reference);
            prop_assert_eq!(manifest.canonical(), input);
        }

        #[test]
        fn hub_names_are_completed(
            alias in prop::sample::select(&["", "docker.io/", "index.docker.io/", "registry-1.docker.io/"]),
            first in HUB_FIRST_COMPONENT,
            rest in prop::collection::vec(COMPONENT, 0..3),
        ) {
            let path = std::iter::once(first).chain(rest).collect::<Vec<_>>().join("/");
            let expected = if path.contains('/') { path.clone() } else { format!("library/{path}") };
            prop_assert_eq!(repo(&format!("{alias}{path}")).canonical(), format!("docker.io/{expected}"));
        }

        #[test]
        fn layouts_round_trip(dir in DIR, reference in reference()) {
            let input = format!("oci:{dir}");
            let expected = Address::Layout(Layout { dir: dir.into() });
            prop_assert_eq!(parse_repository(&input), Ok(expected.clone()));
            prop_assert_eq!(expected.canonical(), input.clone());

            let separator = if matches!(reference, Reference::Tag(_)) { ':' } else { '@' };
            let input = format!("{input}{separator}{reference}");
            let manifest = parse_manifest(&input).unwrap();
            prop_assert_eq!(manifest.address, expected);
            prop_assert_eq!(manifest.reference, reference);
        }

        #[test]
        fn arbitrary_input_never_panics(s in any::<String>()) {
            check_reparse(&s)?;
        }

        #[test]
        fn reference_like_input_never_panics(s in "(oci:)?[a-zA-Z0-9.:/@_\\[\\]-]{0,40}") {
            check_reparse(&s)?;
        }
    }

    // Whatever parses has a canonical form that parses to the same thing.
    fn check_reparse(s: &str) -> Result<(), TestCaseError> {
        is_valid_tag(s);
        is_valid_digest(s);
        if let Ok(address) = parse_repository(s) {
            prop_assert_eq!(parse_repository(&address.canonical()), Ok(address));
        }
        if let Ok(manifest) = parse_manifest(s) {
            prop_assert_eq!(parse_manifest(&manifest.canonical()), Ok(manifest));
        }
        Ok(())
    }
}

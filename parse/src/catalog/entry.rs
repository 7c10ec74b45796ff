//! `plugin-registry.toml`: what the operator says about each plugin.

use super::{CatalogError, Pattern};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub name: String,
    pub file: String,
    #[serde(default)]
    pub api: Option<String>,
    /// Pin: the file must have exactly this sha256 (hex).
    #[serde(default)]
    pub sha256: Option<String>,
    /// Regular expressions matched against the registry `host[:port]`.
    #[serde(default)]
    pub patterns: Vec<Pattern>,
    /// Hosts the plugin may reach besides the target registry.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Environment variables handed to the plugin.
    #[serde(default)]
    pub env: Vec<String>,
    /// Options that hold an API base URL the operator may point the plugin
    /// at; the URL's host is granted along with it.
    #[serde(default, rename = "url-options")]
    pub url_options: Vec<String>,
    /// Granted environment variables that hold such a base URL.
    #[serde(default, rename = "url-env")]
    pub url_env: Vec<String>,
    /// Option values set for the plugin.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
    /// How the registry's answer to `GET /v2/` identifies this plugin when
    /// no pattern matched: header rules decided by the host, or `true` to
    /// ask the plugin's `detect` (unlisted drop-ins always are asked).
    #[serde(default)]
    pub probe: Probe,
}

/// `probe = true` asks the plugin's `detect` about every probe; a table of
/// header name to regular expression claims the registry when one of those
/// headers matches, decided by the host without running the plugin. One or
/// the other, never both.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Probe {
    Always(bool),
    Headers(BTreeMap<String, Pattern>),
}

impl Default for Probe {
    fn default() -> Self {
        Probe::Always(false)
    }
}

impl Probe {
    /// Whether the header rules claim a probe answer with these headers. A
    /// rule's pattern is compiled only when its header is present.
    pub fn claims(&self, headers: &[(String, String)]) -> bool {
        match self {
            Probe::Always(_) => false,
            Probe::Headers(rules) => rules.iter().any(|(name, pattern)| {
                headers
                    .iter()
                    .any(|(n, v)| n.eq_ignore_ascii_case(name) && pattern.is_match(v))
            }),
        }
    }

    fn patterns(&self) -> impl Iterator<Item = &Pattern> {
        match self {
            Probe::Always(_) => None,
            Probe::Headers(rules) => Some(rules.values()),
        }
        .into_iter()
        .flatten()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    plugin: Vec<Entry>,
}

/// Parses a catalog; errors name the file and line.
pub fn parse(text: &str, path: &Path) -> Result<Vec<Entry>, CatalogError> {
    let file: File = toml::from_str(text).map_err(|e| {
        let line = e
            .span()
            .map(|s| text[..s.start.min(text.len())].lines().count().max(1))
            .unwrap_or(0);
        CatalogError::new(format!("{}:{line}: {}", path.display(), e.message()))
    })?;
    for entry in &file.plugin {
        if let Some(sha) = &entry.sha256
            && (sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            return Err(CatalogError::new(format!(
                "{}: plugin {}: sha256 must be 64 hex digits",
                path.display(),
                entry.name
            )));
        }
    }
    Ok(file.plugin)
}

/// Compiles every pattern of an operator's catalog, so that a bad one is
/// reported when the catalog is read rather than never matching.
pub fn check_patterns(entries: &[Entry], path: &Path) -> Result<(), CatalogError> {
    for entry in entries {
        for pattern in entry.patterns.iter().chain(entry.probe.patterns()) {
            pattern.check().map_err(|e| {
                CatalogError::new(format!("{}: plugin {}: {e}", path.display(), entry.name))
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_full_entry() {
        let text = r#"
[[plugin]]
name = "github"
file = "github.wasm"
api = "0.1.0"
sha256 = "0000000000000000000000000000000000000000000000000000000000000000"
patterns = ['^ghcr\.io$']
hosts = ["api.github.com"]
env = ["GITHUB_TOKEN"]
[plugin.options]
api-url = "https://api.github.com"
"#;
        let entries = parse(text, Path::new("x.toml")).unwrap();
        assert_eq!(entries[0].name, "github");
        assert_eq!(entries[0].hosts, ["api.github.com"]);
        assert_eq!(entries[0].options["api-url"], "https://api.github.com");
    }

    #[test]
    fn probe_rules_match_header_values() {
        let text =
            "[[plugin]]\nname = \"n\"\nfile = \"n.wasm\"\n[plugin.probe]\nserver = '^Nexus/'\n";
        let entry = &parse(text, Path::new("x.toml")).unwrap()[0];
        let h = |n: &str, v: &str| vec![(n.to_string(), v.to_string())];
        assert!(entry.probe.claims(&h("Server", "Nexus/3.70.1-02 (OSS)")));
        assert!(!entry.probe.claims(&h("Server", "nginx")));
        assert!(!entry.probe.claims(&h("X-Other", "Nexus/3")));
        let always = &parse(
            "[[plugin]]\nname = \"a\"\nfile = \"a.wasm\"\nprobe = true\n",
            Path::new("x.toml"),
        )
        .unwrap()[0];
        // `probe = true` leaves the verdict to the plugin's detect.
        assert!(matches!(always.probe, Probe::Always(true)));
        assert!(!always.probe.claims(&h("Server", "Nexus/3")));
    }

    #[test]
    fn errors_name_file_and_line() {
        let err = parse("[[plugin]]\nname = \"x\"\nfile = 3\n", Path::new("c.toml")).unwrap_err();
        assert!(err.message.starts_with("c.toml:3:"), "{}", err.message);
        let err = parse(
            "[[plugin]]\nname = \"x\"\nfile = \"x.wasm\"\nbogus = 1\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.contains("bogus"), "{}", err.message);
    }

    #[test]
    fn bad_pattern_and_pin_are_refused() {
        let path = Path::new("c.toml");
        for text in [
            "[[plugin]]\nname = \"x\"\nfile = \"x.wasm\"\npatterns = ['(']\n",
            "[[plugin]]\nname = \"x\"\nfile = \"x.wasm\"\n[plugin.probe]\nserver = '['\n",
        ] {
            let entries = parse(text, path).unwrap();
            let err = check_patterns(&entries, path).unwrap_err();
            assert!(err.message.contains("invalid pattern"), "{}", err.message);
        }
        let err = parse(
            "[[plugin]]\nname = \"x\"\nfile = \"x.wasm\"\nsha256 = \"abc\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.contains("64 hex"));
    }
}

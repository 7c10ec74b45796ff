//! Which hosts a plugin may reach: the target registry and what its catalog
//! entry or the operator grants. Checked on every request and redirect hop.

use super::NetError;
use reqwest::Url;

#[derive(Debug, Clone, Default)]
pub struct Grants {
    /// `host` or `host:port`, lower case; `*.suffix` matches subdomains.
    hosts: Vec<String>,
    /// Names the plugin in a denial.
    plugin: String,
    /// Where the operator would add a grant.
    catalog: String,
}

impl Grants {
    pub fn new(plugin: &str, catalog: &str) -> Self {
        Grants {
            hosts: Vec::new(),
            plugin: plugin.into(),
            catalog: catalog.into(),
        }
    }

    pub fn allow(&mut self, host: &str) {
        let host = host.trim().to_ascii_lowercase();
        if !host.is_empty() && !self.hosts.contains(&host) {
            self.hosts.push(host);
        }
    }

    /// Grants the host of a URL the operator configured (an API base URL).
    pub fn allow_url(&mut self, url: &str) {
        if let Ok(url) = Url::parse(url) {
            self.allow(&host_port(&url));
        }
    }

    pub fn check(&self, url: &Url) -> Result<(), NetError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(NetError::Denied(format!(
                "plugin {} may not use the {} scheme ({})",
                self.plugin,
                url.scheme(),
                super::redact::url(url)
            )));
        }
        let with_port = host_port(url);
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let default_port = url.port().is_none();
        let granted = self.hosts.iter().any(|g| {
            if let Some(suffix) = g.strip_prefix("*.") {
                default_port && host.ends_with(&format!(".{suffix}"))
            } else {
                *g == with_port || (default_port && *g == host)
            }
        });
        if granted {
            Ok(())
        } else {
            Err(NetError::Denied(format!(
                "plugin {} may not reach {with_port}: not granted (add \"{with_port}\" to `hosts` of its [[plugin]] entry in {})",
                self.plugin, self.catalog
            )))
        }
    }
}

/// `host` or `host:port` as written in grants (IPv6 in brackets).
pub fn host_port(url: &Url) -> String {
    let host = match url.host() {
        Some(url::Host::Ipv6(ip)) => format!("[{ip}]"),
        Some(h) => h.to_string().to_ascii_lowercase(),
        None => String::new(),
    };
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grants() -> Grants {
        let mut g = Grants::new("p", "plugin-registry.toml");
        g.allow("localhost:5000");
        g.allow("api.github.com");
        g.allow("*.blob.core.windows.net");
        g
    }

    #[test]
    fn exact_host_and_port() {
        let g = grants();
        assert!(
            g.check(&Url::parse("http://localhost:5000/v2/").unwrap())
                .is_ok()
        );
        assert!(
            g.check(&Url::parse("http://localhost:5001/v2/").unwrap())
                .is_err()
        );
        assert!(
            g.check(&Url::parse("https://api.github.com/user").unwrap())
                .is_ok()
        );
        assert!(
            g.check(&Url::parse("https://api.github.com:8443/").unwrap())
                .is_err()
        );
        assert!(
            g.check(&Url::parse("https://evil.com/api.github.com").unwrap())
                .is_err()
        );
    }

    #[test]
    fn wildcard_matches_subdomains_only() {
        let g = grants();
        assert!(
            g.check(&Url::parse("https://x.blob.core.windows.net/a").unwrap())
                .is_ok()
        );
        assert!(
            g.check(&Url::parse("https://blob.core.windows.net/a").unwrap())
                .is_err()
        );
        assert!(
            g.check(&Url::parse("https://xblob.core.windows.net/a").unwrap())
                .is_err()
        );
    }

    #[test]
    fn denial_names_plugin_host_and_catalog() {
        let err = grants()
            .check(&Url::parse("https://evil.com/").unwrap())
            .unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("plugin p")
                && msg.contains("evil.com")
                && msg.contains("plugin-registry.toml")
        );
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(
            grants()
                .check(&Url::parse("file:///etc/passwd").unwrap())
                .is_err()
        );
    }
}

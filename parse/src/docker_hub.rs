//! Docker Hub's names: berth calls the registry `docker.io`, `docker login`
//! stores its credentials under `index.docker.io`, and its API is served
//! from `registry-1.docker.io`.

/// The canonical name of Docker Hub's registry.
pub const NAME: &str = "docker.io";

/// The host that serves Docker Hub's registry API.
pub const API_HOST: &str = "registry-1.docker.io";

/// Every name under which Docker Hub's registry is written.
pub const ALIASES: [&str; 3] = [NAME, "index.docker.io", API_HOST];

/// Whether `host` (without port) is one of Docker Hub's names.
pub fn is_docker_hub(host: &str) -> bool {
    ALIASES.iter().any(|alias| alias.eq_ignore_ascii_case(host))
}

/// The host serving the API of `registry`, a canonical `host[:port]`.
pub fn api_host(registry: &str) -> &str {
    if registry == NAME { API_HOST } else { registry }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for host in ["docker.io", "index.docker.io", "Registry-1.Docker.IO"] {
            assert!(is_docker_hub(host), "{host}");
        }
        for host in ["docker.io:443", "hub.docker.com", "docker.io.example", ""] {
            assert!(!is_docker_hub(host), "{host}");
        }
        assert_eq!(api_host("docker.io"), "registry-1.docker.io");
        assert_eq!(api_host("ghcr.io"), "ghcr.io");
        assert_eq!(api_host("localhost:5000"), "localhost:5000");
    }
}

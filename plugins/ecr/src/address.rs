//! What an ECR registry host says: `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcrHost {
    /// The 12-digit account id, ECR's `registryId`.
    pub registry_id: String,
    pub region: String,
    pub fips: bool,
    /// `amazonaws.com.cn` (the China partition).
    pub china: bool,
}

impl EcrHost {
    /// `None` for anything that is not a private ECR registry host.
    pub fn parse(registry: &str) -> Option<EcrHost> {
        let host = registry.to_ascii_lowercase();
        let (rest, china) = match host.strip_suffix(".amazonaws.com.cn") {
            Some(rest) => (rest, true),
            None => (host.strip_suffix(".amazonaws.com")?, false),
        };
        let (account, rest) = rest.split_once(".dkr.")?;
        let (fips, region) = if let Some(region) = rest.strip_prefix("ecr-fips.") {
            (true, region)
        } else {
            (false, rest.strip_prefix("ecr.")?)
        };
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        (account_ok && region_ok).then(|| EcrHost {
            registry_id: account.to_string(),
            region: region.to_string(),
            fips,
            china,
        })
    }
}

/// `public.ecr.aws`: served through the OCI API like any registry.
pub fn is_public(registry: &str) -> bool {
    registry.eq_ignore_ascii_case("public.ecr.aws")
}

/// The ECR API endpoint for a region when none is configured.
pub fn default_endpoint(region: &str, fips: bool, china: bool) -> String {
    let suffix = if china || region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    if fips {
        format!("https://ecr-fips.{region}.{suffix}")
    } else {
        format!("https://api.ecr.{region}.{suffix}")
    }
}

/// An endpoint URL split for signing: the URL to send to, the `host` header
/// value as the HTTP client sends it, and the path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub url: String,
    pub host: String,
    pub path: String,
}

impl Endpoint {
    pub fn parse(url: &str) -> Result<Endpoint, String> {
        let url = url.trim();
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| format!("{url:?} is not an http(s) URL"))?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return Err(format!("{url:?} is not an http(s) URL"));
        }
        let (authority, path) = match rest.find(['/', '?', '#']) {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, ""),
        };
        if authority.is_empty() || authority.contains('@') {
            return Err(format!("{url:?} has no usable host"));
        }
        let path = path.split(['?', '#']).next().unwrap_or("");
        let path = if path.is_empty() { "/" } else { path };
        let authority = authority.to_ascii_lowercase();
        let default_port = if scheme == "https" { ":443" } else { ":80" };
        let host = authority
            .strip_suffix(default_port)
            .unwrap_or(&authority)
            .to_string();
        Ok(Endpoint {
            url: format!("{scheme}://{host}{path}"),
            host,
            path: path.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_registry_hosts() {
        assert_eq!(
            EcrHost::parse("123456789012.dkr.ecr.us-east-1.amazonaws.com"),
            Some(EcrHost {
                registry_id: "123456789012".into(),
                region: "us-east-1".into(),
                fips: false,
                china: false,
            })
        );
        let fips = EcrHost::parse("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com").unwrap();
        assert!(fips.fips && fips.region == "us-gov-west-1");
        let cn = EcrHost::parse("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn").unwrap();
        assert!(cn.china && cn.region == "cn-north-1");
        for other in [
            "public.ecr.aws",
            "12345678901.dkr.ecr.us-east-1.amazonaws.com",
            "123456789012.dkr.ecr..amazonaws.com",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil",
            "123456789012.ecr.us-east-1.amazonaws.com",
            "localhost:5000",
        ] {
            assert_eq!(EcrHost::parse(other), None, "{other}");
        }
    }

    #[test]
    fn endpoints() {
        assert_eq!(
            default_endpoint("eu-west-1", false, false),
            "https://api.ecr.eu-west-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint("us-east-1", true, false),
            "https://ecr-fips.us-east-1.amazonaws.com"
        );
        assert_eq!(
            default_endpoint("cn-north-1", false, true),
            "https://api.ecr.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:4566").unwrap(),
            Endpoint {
                url: "http://127.0.0.1:4566/".into(),
                host: "127.0.0.1:4566".into(),
                path: "/".into(),
            }
        );
        let e = Endpoint::parse("HTTPS://Api.Ecr.us-east-1.amazonaws.com:443/").unwrap();
        assert_eq!(e.host, "api.ecr.us-east-1.amazonaws.com");
        assert_eq!(e.url, "https://api.ecr.us-east-1.amazonaws.com/");
        assert!(Endpoint::parse("ftp://x").is_err());
        assert!(Endpoint::parse("http://user@x/").is_err());
        assert!(Endpoint::parse("x").is_err());
    }
}

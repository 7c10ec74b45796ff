//! The token scope a registry request needs, read from its path and method.

use reqwest::{Method, Url};

/// `repository:<name>:<actions>` for OCI API paths, `registry:catalog:*`
/// for the catalog, `None` for `/v2/` itself.
pub fn for_request(method: &Method, url: &Url) -> Option<String> {
    let path = url.path().strip_prefix("/v2/")?;
    if path == "_catalog" {
        return Some("registry:catalog:*".into());
    }
    let name = ["/manifests/", "/blobs/", "/tags/", "/referrers/"]
        .iter()
        .filter_map(|marker| path.rfind(marker).map(|i| &path[..i]))
        .max_by_key(|name| name.len())?;
    if name.is_empty() {
        return None;
    }
    let actions = match *method {
        Method::GET | Method::HEAD => "pull",
        Method::DELETE => "delete",
        _ => "pull,push",
    };
    Some(format!("repository:{name}:{actions}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope(method: Method, url: &str) -> Option<String> {
        for_request(&method, &Url::parse(url).unwrap())
    }

    #[test]
    fn scopes_by_path_and_method() {
        assert_eq!(
            scope(Method::GET, "http://r/v2/a/b/tags/list?n=10").as_deref(),
            Some("repository:a/b:pull")
        );
        assert_eq!(
            scope(Method::PUT, "http://r/v2/a/manifests/v1").as_deref(),
            Some("repository:a:pull,push")
        );
        assert_eq!(
            scope(Method::POST, "http://r/v2/a/blobs/uploads/").as_deref(),
            Some("repository:a:pull,push")
        );
        assert_eq!(
            scope(Method::DELETE, "http://r/v2/a/manifests/sha256:00").as_deref(),
            Some("repository:a:delete")
        );
        // A repository may itself be named like a marker.
        assert_eq!(
            scope(Method::GET, "http://r/v2/x/manifests/y/manifests/t").as_deref(),
            Some("repository:x/manifests/y:pull")
        );
        assert_eq!(scope(Method::GET, "http://r/v2/"), None);
        assert_eq!(
            scope(Method::GET, "http://r/v2/_catalog?n=1000").as_deref(),
            Some("registry:catalog:*")
        );
    }
}

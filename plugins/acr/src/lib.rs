//! Azure Container Registry (`<name>.azurecr.io`, `.azurecr.cn`,
//! `.azurecr.us`). ACR's own API gives what the OCI API lacks:
//!
//! - tags: `GET /acr/v1/<name>/_tags?n=100` with each tag's digest and
//!   times, paged by `Link: <...?last=...>; rel="next"`; scope
//!   `repository:<name>:metadata_read`;
//! - removal: `DELETE /acr/v1/<name>/_tags/<tag>` (202), which removes that
//!   tag only; scope `repository:<name>:delete`;
//! - every manifest, tagged or not (for `--untagged`):
//!   `GET /acr/v1/<name>/_manifests?n=100` with each one's digest, media
//!   type, tags and times, paged as the tags are; scope
//!   `repository:<name>:metadata_read`. It does not say a manifest's
//!   `subject`, so the host reads the manifests for it;
//! - a manifest goes with the OCI `DELETE /v2/<name>/manifests/<digest>`
//!   (with every tag on it), through the host; scope `repository:<name>:delete`;
//! - manifests and blobs: the OCI API, through the host.
//!
//! Tokens: see [`token`]. With an identity token or option `aad-token` the
//! provider gets ACR access tokens itself; with a user and password the host
//! answers ACR's Bearer challenge.

mod token;

use berth_sdk::http::{Request, Response};
use berth_sdk::time::is_rfc3339;
use berth_sdk::{
    Capability, Error, Info, ManifestEntry, ManifestPage, Provider, Removal, Result, Tag, TagPage,
    Target,
};
use serde::Deserialize;
use token::Access;

/// Tags or manifests asked for per page.
const PAGE: u32 = 100;

struct Acr;

impl Provider for Acr {
    fn info() -> Info {
        berth_sdk::info(
            "acr",
            env!("CARGO_PKG_VERSION"),
            "Azure Container Registry: tags with dates, and tag removal, through the ACR API",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::TagDates,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::ListRepositories,
            Capability::PullBlobs,
            Capability::PushBlobs,
            Capability::ListManifests,
            Capability::DeleteManifest,
        ])
        .secret_option(
            "aad-token",
            "an Azure AD (Entra ID) access token, exchanged at the registry for an ACR refresh token; used instead of docker credentials",
        )
        .option(
            "tenant",
            "the Azure AD tenant of aad-token, when it is not the registry's",
        )
        .build()
    }

    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        let url = page_url(&target, "_tags", cursor)?;
        let scope = format!("repository:{}:metadata_read", target.repository);
        let what = format!("GET /acr/v1/{}/_tags", target.repository);
        let response = send(Request::get(url), &target, &scope, &what)?;
        #[derive(Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<AcrTag>>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AcrTag {
            name: String,
            digest: Option<String>,
            created_time: Option<String>,
            last_update_time: Option<String>,
        }
        let list: TagList = response.json()?;
        let tags = list
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| Tag {
                name: t.name,
                digest: t.digest.filter(|d| berth_sdk::is_digest(d)),
                // When the tag last moved to its manifest: a retention rule
                // about a tag's age means the image it names now.
                created: t
                    .last_update_time
                    .filter(|s| is_rfc3339(s))
                    .or(t.created_time.filter(|s| is_rfc3339(s))),
            })
            .collect();
        let next = next_page(&response, &target)?;
        Ok(TagPage { tags, next })
    }

    /// `GET /acr/v1/<name>/_manifests`: every manifest, untagged ones and
    /// the children of indexes too, with its tags.
    fn list_manifests(target: Target, cursor: Option<String>) -> Result<ManifestPage> {
        let url = page_url(&target, "_manifests", cursor)?;
        let scope = format!("repository:{}:metadata_read", target.repository);
        let what = format!("GET /acr/v1/{}/_manifests", target.repository);
        let response = send(Request::get(url), &target, &scope, &what)?;
        #[derive(Deserialize)]
        struct ManifestList {
            #[serde(default)]
            manifests: Option<Vec<AcrManifest>>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct AcrManifest {
            digest: String,
            media_type: Option<String>,
            created_time: Option<String>,
            tags: Option<Vec<String>>,
        }
        let list: ManifestList = response.json()?;
        let manifests = list
            .manifests
            .unwrap_or_default()
            .into_iter()
            .filter(|m| berth_sdk::is_digest(&m.digest))
            .map(|m| ManifestEntry {
                digest: m.digest,
                tags: m.tags.unwrap_or_default(),
                media_type: m.media_type.filter(|t| !t.is_empty()),
                subject: None,
                created: m.created_time.filter(|s| is_rfc3339(s)),
                described: false,
            })
            .collect();
        let next = next_page(&response, &target)?;
        Ok(ManifestPage { manifests, next })
    }

    /// Manifests and blobs are the SDK's defaults: the host's OCI client,
    /// with the token from option `aad-token` handed to it first.
    fn prepare_oci(target: &Target) -> Result<()> {
        token::prepare_oci(target)
    }

    /// A refusal of the credentials says how to log in.
    fn explain(target: &Target, error: Error) -> Error {
        with_login_hint(error, target)
    }

    /// ACR's tag delete removes the tag only; the manifest stays for the
    /// registry's own retention. But a referrers fallback index that nothing
    /// else holds (`exclusive`) goes whole, by the OCI delete, so no index is
    /// left listing the referrers that go after it.
    fn delete_tag(target: Target, tag: String, removal: Removal) -> Result<()> {
        if removal.exclusive
            && berth_sdk::is_fallback_index(&tag)
            && let Some(digest) = &removal.digest
        {
            return Self::delete_manifest(target, digest.clone());
        }
        let url = format!(
            "{}/acr/v1/{}/_tags/{tag}",
            target.base_url, target.repository
        );
        let scope = format!("repository:{}:delete", target.repository);
        let what = format!("DELETE /acr/v1/{}/_tags/{tag}", target.repository);
        send(Request::delete(url), &target, &scope, &what).map(|_| ())
    }
}

/// The URL of a page of `/acr/v1/<name>/<list>`: the first, or the one a
/// cursor names, which must be a page of the same list.
fn page_url(target: &Target, list: &str, cursor: Option<String>) -> Result<String> {
    let path = format!("/acr/v1/{}/{list}", target.repository);
    match cursor {
        None => Ok(format!("{}{path}?n={PAGE}", target.base_url)),
        Some(cursor) if cursor.starts_with(&format!("{path}?")) => {
            Ok(format!("{}{cursor}", target.base_url))
        }
        Some(cursor) => Err(Error::Invalid(format!(
            "not a page of this repository's {list}: {cursor}"
        ))),
    }
}

/// Sends with the access `scope` needs; an error answer becomes an error.
fn send(request: Request, target: &Target, scope: &str, what: &str) -> Result<Response> {
    let access = token::access(target, scope)?;
    let request = match &access {
        Access::Bearer(token) => request.bearer(token),
        Access::Host => request,
    };
    let response = request.send().map_err(|e| with_login_hint(e, target))?;
    if (200..300).contains(&response.status) {
        return Ok(response);
    }
    Err(with_login_hint(acr_error(what, &response), target))
}

/// How to give berth credentials for this registry.
pub(crate) fn login_hint(target: &Target) -> String {
    let name = target
        .registry
        .split('.')
        .next()
        .unwrap_or(&target.registry);
    format!(
        "run `az acr login --name {name}` (it stores an identity token in docker config), \
         `docker login {}` with an admin or token user, or give --opt aad-token=<Azure AD access token>",
        target.registry
    )
}

/// An unauthorized error gets the login hint unless it has one.
fn with_login_hint(error: Error, target: &Target) -> Error {
    error.with_login_hint(&login_hint(target))
}

/// An ACR error answer: the status picks the kind (415 is `invalid` here);
/// the message quotes the `errors` entries (`CODE: message`) or the body.
pub(crate) fn acr_error(what: &str, response: &Response) -> Error {
    let said = berth_sdk::distribution_errors(&response.body)
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| berth_sdk::quote(&String::from_utf8_lossy(&response.body)));
    match response.error(what, &said) {
        Error::Unsupported(m) if response.status == 415 => Error::Invalid(m),
        other => other,
    }
}

/// The next page from `Link: </acr/v1/...>; rel="next"`, as a path and
/// query on the registry; a link elsewhere is refused.
fn next_page(response: &Response, target: &Target) -> Result<Option<String>> {
    let Some(url) = response.next_link() else {
        return Ok(None);
    };
    match url.strip_prefix(&target.base_url) {
        Some(path) => Ok(Some(path.to_string())),
        None => Err(Error::Invalid(format!(
            "the next page is on another host: {url}"
        ))),
    }
}

berth_sdk::provider!(Acr);

#[cfg(test)]
mod tests {
    use super::*;
    use berth_sdk::RateLimit;

    fn target() -> Target {
        Target {
            registry: "contoso.azurecr.io".into(),
            repository: "team/app".into(),
            base_url: "https://contoso.azurecr.io".into(),
        }
    }

    fn response(headers: &[(&str, &str)], status: u16, body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            url: "https://contoso.azurecr.io/acr/v1/team/app/_tags".into(),
        }
    }

    #[test]
    fn next_page_from_link() {
        let r = response(
            &[(
                "Link",
                "</acr/v1/team/app/_tags?last=v2&n=2&orderby=>; rel=\"next\"",
            )],
            200,
            "",
        );
        assert_eq!(
            next_page(&r, &target()).unwrap().as_deref(),
            Some("/acr/v1/team/app/_tags?last=v2&n=2&orderby=")
        );
        let absolute = response(
            &[(
                "link",
                "<https://contoso.azurecr.io/acr/v1/team/app/_tags?last=b>; rel=next",
            )],
            200,
            "",
        );
        assert_eq!(
            next_page(&absolute, &target()).unwrap().as_deref(),
            Some("/acr/v1/team/app/_tags?last=b")
        );
        let elsewhere = response(
            &[("link", "<https://evil.example/x>; rel=\"next\"")],
            200,
            "",
        );
        assert!(next_page(&elsewhere, &target()).is_err());
        let prev = response(&[("link", "</acr/v1/x>; rel=\"prev\"")], 200, "");
        assert_eq!(next_page(&prev, &target()).unwrap(), None);
    }

    #[test]
    fn a_cursor_must_name_a_page_of_the_same_list() {
        let t = target();
        assert_eq!(
            page_url(&t, "_manifests", None).unwrap(),
            "https://contoso.azurecr.io/acr/v1/team/app/_manifests?n=100"
        );
        assert_eq!(
            page_url(
                &t,
                "_manifests",
                Some("/acr/v1/team/app/_manifests?last=sha256:ab&n=100&orderby=".into())
            )
            .unwrap(),
            "https://contoso.azurecr.io/acr/v1/team/app/_manifests?last=sha256:ab&n=100&orderby="
        );
        for wrong in [
            "/acr/v1/team/app/_tags?last=v1",
            "/acr/v1/team/other/_manifests?last=x",
            "https://evil.example/acr/v1/team/app/_manifests?n=1",
        ] {
            assert!(
                page_url(&t, "_manifests", Some(wrong.into())).is_err(),
                "{wrong}"
            );
        }
    }

    #[test]
    fn errors_quote_acr() {
        let e = acr_error(
            "DELETE /acr/v1/app/_tags/x",
            &response(
                &[],
                404,
                r#"{"errors":[{"code":"TAG_UNKNOWN","message":"the specified tag does not exist"}]}"#,
            ),
        );
        assert!(
            matches!(&e, Error::NotFound(m) if m.ends_with("HTTP 404: TAG_UNKNOWN: the specified tag does not exist")),
            "{e:?}"
        );
        let limited = acr_error("GET x", &response(&[("Retry-After", "7")], 429, ""));
        assert!(matches!(
            limited,
            Error::RateLimited(RateLimit {
                retry_after: Some(7),
                ..
            })
        ));
        assert!(matches!(
            acr_error("GET x", &response(&[], 401, "")),
            Error::Unauthorized(_)
        ));
    }
}

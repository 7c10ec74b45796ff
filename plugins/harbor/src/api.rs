//! Harbor's API v2.0: the artifact list, the tag delete, and the projects
//! and their repositories.

use berth_sdk::http::{Request, Response, path_and_query};
use berth_sdk::log::{Level, log};
use berth_sdk::{
    Error, ManifestEntry, ManifestPage, RepositoryPage, Result, Tag, TagPage, Target, config,
};
use serde::Deserialize;

/// Artifacts a page; Harbor allows at most 100.
const PAGE_SIZE: u32 = 100;

/// What to do when Harbor refuses the credentials (a hint line).
const LOGIN: &str = "Harbor's API takes the docker login of the registry (`docker login HOST` \
as a user or a robot account `robot$name`); check --docker-config";

#[derive(Deserialize)]
struct Artifact {
    digest: String,
    #[serde(default)]
    push_time: Option<String>,
    #[serde(default)]
    tags: Option<Vec<ArtifactTag>>,
}

/// An artifact as the manifest listing reads it: besides its tags, the
/// children of an index (`references`) and, with `with_accessory=true`, the
/// accessories whose subject it is (signatures, SBOMs, OCI referrers).
#[derive(Deserialize)]
struct Listed {
    digest: String,
    #[serde(default)]
    manifest_media_type: Option<String>,
    #[serde(default)]
    push_time: Option<String>,
    #[serde(default)]
    tags: Option<Vec<ArtifactTag>>,
    #[serde(default)]
    references: Option<Vec<Reference>>,
    #[serde(default)]
    accessories: Option<Vec<Accessory>>,
}

#[derive(Deserialize)]
struct Reference {
    child_digest: String,
}

#[derive(Deserialize)]
struct Accessory {
    digest: String,
    #[serde(default)]
    subject_artifact_digest: Option<String>,
    #[serde(default)]
    creation_time: Option<String>,
}

#[derive(Deserialize)]
struct ArtifactTag {
    name: String,
    #[serde(default)]
    push_time: Option<String>,
}

/// `/api/v2.0/projects/<p>/repositories/<r>` for a repository path.
fn repository_url(target: &Target) -> Result<String> {
    let (project, repository) = target.repository.split_once('/').ok_or_else(|| {
        Error::Invalid(format!(
            "Harbor repositories are PROJECT/REPOSITORY; {:?} names no project",
            target.repository
        ))
    })?;
    Ok(format!(
        "{}/api/v2.0/projects/{project}/repositories/{}",
        target.base_url,
        encode_twice(repository)
    ))
}

/// Harbor's encoding of a repository name in a path: `/` as `%252F` (and
/// `%` as `%2525`, though Harbor's names never hold one).
fn encode_twice(repository: &str) -> String {
    repository.replace('%', "%2525").replace('/', "%252F")
}

/// The request with Basic credentials when the operator has some for the
/// registry; anonymous otherwise (public projects are readable).
fn authorized(request: Request) -> Request {
    match config::registry_credential() {
        Some(c) if !c.identity_token => request.basic(&c.username, &c.secret),
        Some(_) => {
            log(
                Level::Info,
                "the docker credential for this registry is an identity token, which Harbor's API \
                 does not take; calling it anonymously",
            );
            request
        }
        None => request,
    }
}

/// One page of artifacts, flattened into their tags.
pub fn list_tags(target: &Target, page: u32) -> Result<TagPage> {
    let url = format!(
        "{}/artifacts?with_tag=true&page={page}&page_size={PAGE_SIZE}",
        repository_url(target)?
    );
    let response = authorized(Request::get(&url).header("accept", "application/json")).send()?;
    if !(200..300).contains(&response.status) {
        return Err(refusal("GET", &response));
    }
    let artifacts: Vec<Artifact> = response.json()?;
    let listed = artifacts.len();
    let mut tags = Vec::new();
    for artifact in artifacts {
        let digest = berth_sdk::is_digest(&artifact.digest).then_some(artifact.digest);
        let pushed = artifact.push_time.as_deref().and_then(rfc3339);
        for tag in artifact.tags.unwrap_or_default() {
            tags.push(Tag {
                digest: digest.clone(),
                created: pushed
                    .clone()
                    .or_else(|| tag.push_time.as_deref().and_then(rfc3339)),
                name: tag.name,
            });
        }
    }
    let more = listed > 0 && (response.next_link().is_some() || total_beyond(&response, page));
    Ok(TagPage {
        tags,
        next: more.then(|| (page + 1).to_string()),
    })
}

/// One page of every manifest of the repository. Harbor's artifact list
/// leaves out what hangs off another artifact: an untagged child of an
/// index (listed here from the index's `references`) and, from 2.8, an
/// accessory (listed from its subject's `accessories`, with that subject).
/// Harbor before 2.8 lists a referrer as an ordinary artifact, so no entry
/// claims to be described: the host reads each manifest for its subject.
pub fn list_manifests(target: &Target, page: u32) -> Result<ManifestPage> {
    let url = format!(
        "{}/artifacts?with_tag=true&with_accessory=true&page={page}&page_size={PAGE_SIZE}",
        repository_url(target)?
    );
    let response = authorized(Request::get(&url).header("accept", "application/json")).send()?;
    if !(200..300).contains(&response.status) {
        return Err(refusal("GET", &response));
    }
    let artifacts: Vec<Listed> = response.json()?;
    let listed = artifacts.len();
    let manifests = artifacts.into_iter().flat_map(entries).collect();
    let more = listed > 0 && (response.next_link().is_some() || total_beyond(&response, page));
    Ok(ManifestPage {
        manifests,
        next: more.then(|| (page + 1).to_string()),
    })
}

/// An artifact, the children its `references` name and its accessories.
fn entries(artifact: Listed) -> Vec<ManifestEntry> {
    if !berth_sdk::is_digest(&artifact.digest) {
        return Vec::new();
    }
    let untagged = |digest: String| ManifestEntry {
        digest,
        tags: Vec::new(),
        media_type: None,
        subject: None,
        created: None,
        described: false,
    };
    let mut manifests: Vec<ManifestEntry> = artifact
        .references
        .unwrap_or_default()
        .into_iter()
        .map(|child| child.child_digest)
        .filter(|d| berth_sdk::is_digest(d))
        .map(untagged)
        .collect();
    for accessory in artifact.accessories.unwrap_or_default() {
        if !berth_sdk::is_digest(&accessory.digest) {
            continue;
        }
        // Harbor names the subject; a signature's own manifest may not.
        let subject = accessory
            .subject_artifact_digest
            .filter(|d| berth_sdk::is_digest(d))
            .unwrap_or_else(|| artifact.digest.clone());
        manifests.push(ManifestEntry {
            subject: Some(subject),
            created: accessory.creation_time.as_deref().and_then(rfc3339),
            ..untagged(accessory.digest)
        });
    }
    manifests.push(ManifestEntry {
        tags: artifact
            .tags
            .unwrap_or_default()
            .into_iter()
            .map(|t| t.name)
            .collect(),
        media_type: artifact.manifest_media_type.filter(|t| !t.is_empty()),
        created: artifact.push_time.as_deref().and_then(rfc3339),
        ..untagged(artifact.digest)
    });
    manifests
}

/// `DELETE .../artifacts/<digest>`: the artifact with its tags (Harbor also
/// removes its accessories, and the untagged children of an index that
/// nothing else lists). 200 when it is gone.
pub fn delete_artifact(target: &Target, digest: &str) -> Result<()> {
    let url = format!("{}/artifacts/{digest}", repository_url(target)?);
    let response = authorized(Request::delete(&url).header("accept", "application/json")).send()?;
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(refusal("DELETE", &response))
    }
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

/// Most pages of one project's repositories read in one call, so a server
/// that never stops paging cannot hold the plugin.
const MAX_PAGES: u32 = 10_000;

/// One page of projects (`GET /api/v2.0/projects`), or the prefix's own
/// project, with every repository in each (`GET .../repositories`, whose
/// names are `<p>/<r>`); only those under the prefix.
pub fn list_repositories(target: &Target, page: u32) -> Result<RepositoryPage> {
    let prefix = target.repository.as_str();
    let (projects, more) = match prefix.split('/').next().filter(|p| !p.is_empty()) {
        Some(project) => (vec![project.to_string()], false),
        None => {
            let url = format!(
                "{}/api/v2.0/projects?page={page}&page_size={PAGE_SIZE}",
                target.base_url
            );
            list_page(&url, page)?
        }
    };
    let mut repositories = Vec::new();
    for project in projects {
        for n in 1..=MAX_PAGES {
            let url = format!(
                "{}/api/v2.0/projects/{project}/repositories?page={n}&page_size={PAGE_SIZE}",
                target.base_url
            );
            let (names, more) = list_page(&url, n)?;
            repositories.extend(names.into_iter().filter(|r| berth_sdk::is_under(r, prefix)));
            if !more {
                break;
            }
        }
    }
    Ok(RepositoryPage {
        repositories,
        next: more.then(|| (page + 1).to_string()),
    })
}

/// The names of one page of a Harbor list, and whether more follow.
fn list_page(url: &str, page: u32) -> Result<(Vec<String>, bool)> {
    let response = authorized(Request::get(url).header("accept", "application/json")).send()?;
    if !(200..300).contains(&response.status) {
        return Err(refusal("GET", &response));
    }
    let items: Vec<Named> = response.json()?;
    let more =
        !items.is_empty() && (response.next_link().is_some() || total_beyond(&response, page));
    Ok((items.into_iter().map(|i| i.name).collect(), more))
}

/// `DELETE .../artifacts/<reference>/tags/<tag>`: 200 when it is gone.
pub fn delete_tag(target: &Target, reference: &str, tag: &str) -> Result<()> {
    let url = format!(
        "{}/artifacts/{reference}/tags/{tag}",
        repository_url(target)?
    );
    let response = authorized(Request::delete(&url).header("accept", "application/json")).send()?;
    if (200..300).contains(&response.status) {
        Ok(())
    } else {
        Err(refusal("DELETE", &response))
    }
}

/// Whether `X-Total-Count` counts more artifacts than the pages so far.
fn total_beyond(response: &Response, page: u32) -> bool {
    response
        .header("x-total-count")
        .and_then(|t| t.trim().parse::<u64>().ok())
        .is_some_and(|total| total > u64::from(page) * u64::from(PAGE_SIZE))
}

/// An error answer, quoting Harbor's `errors`.
fn refusal(method: &str, response: &Response) -> Error {
    let what = format!("{method} {}", path_and_query(&response.url));
    match response.error(&what, &said(&response.body)) {
        Error::Unauthorized(m) => Error::Unauthorized(format!("{m}\nhint: {LOGIN}")),
        Error::Forbidden(m) => Error::Forbidden(format!(
            "{m}\nhint: the account needs a project role (or a robot permission) that \
             allows this"
        )),
        // Harbor refuses to change an immutable tag.
        Error::Invalid(m) if response.status == 412 => Error::Forbidden(m),
        other => other,
    }
}

/// `CODE: message` of Harbor's `{"errors": [...]}`, else the body's text.
fn said(body: &[u8]) -> String {
    let text = berth_sdk::distribution_errors(body)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    berth_sdk::quote(&text)
}

/// A time Harbor wrote, when it is RFC 3339 and not Go's zero time.
fn rfc3339(text: &str) -> Option<String> {
    let text = text.trim();
    (berth_sdk::time::is_rfc3339(text) && !text.starts_with("0001-")).then(|| text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_encoded_twice() {
        assert_eq!(encode_twice("a/b"), "a%252Fb");
        assert_eq!(encode_twice("app"), "app");
        let target = Target {
            registry: "harbor.example".into(),
            repository: "library/team/app".into(),
            base_url: "https://harbor.example".into(),
        };
        assert_eq!(
            repository_url(&target).unwrap(),
            "https://harbor.example/api/v2.0/projects/library/repositories/team%252Fapp"
        );
        let bare = Target {
            repository: "app".into(),
            ..target
        };
        assert!(matches!(repository_url(&bare), Err(Error::Invalid(_))));
    }

    #[test]
    fn times() {
        assert_eq!(
            rfc3339("2023-08-02T06:54:54.380Z").as_deref(),
            Some("2023-08-02T06:54:54.380Z")
        );
        assert_eq!(rfc3339("0001-01-01T00:00:00.000Z"), None);
        assert_eq!(rfc3339("yesterday"), None);
    }

    #[test]
    fn artifacts_name_their_children_and_accessories() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let body = format!(
            r#"[{{"digest":"{}","manifest_media_type":"application/vnd.oci.image.index.v1+json",
                "media_type":"application/vnd.oci.image.config.v1+json",
                "push_time":"2024-05-01T10:00:00.000Z","tags":[{{"name":"v1"}}],
                "references":[{{"parent_id":1,"child_id":2,"child_digest":"{}"}},
                              {{"child_digest":"not-a-digest"}}],
                "accessories":[{{"digest":"{}","subject_artifact_digest":"{}","type":"signature.cosign"}},
                               {{"digest":"{}","type":"subject.accessory"}}]}},
              {{"digest":"{}","tags":null,"push_time":"0001-01-01T00:00:00.000Z"}},
              {{"digest":"bogus"}}]"#,
            d('1'),
            d('2'),
            d('3'),
            d('1'),
            d('4'),
            d('5')
        );
        let listed: Vec<Listed> = serde_json::from_str(&body).unwrap();
        type Found = (String, Vec<String>, Option<String>, Option<String>);
        let found: Vec<Found> = listed
            .into_iter()
            .flat_map(entries)
            .map(|e| {
                assert!(
                    !e.described,
                    "Harbor before 2.8 lists referrers as artifacts"
                );
                (e.digest, e.tags, e.subject, e.created)
            })
            .collect();
        assert_eq!(
            found,
            [
                (d('2'), vec![], None, None),
                (d('3'), vec![], Some(d('1')), None),
                (d('4'), vec![], Some(d('1')), None),
                (
                    d('1'),
                    vec!["v1".to_string()],
                    None,
                    Some("2024-05-01T10:00:00.000Z".to_string())
                ),
                (d('5'), vec![], None, None),
            ]
        );
    }

    #[test]
    fn quotes_harbor() {
        let body = br#"{"errors":[{"code":"NOT_FOUND","message":"artifact not found"}]}"#;
        assert_eq!(said(body), "NOT_FOUND: artifact not found");
        assert_eq!(
            said(b"<html>bad gateway</html>"),
            "<html>bad gateway</html>"
        );
    }
}

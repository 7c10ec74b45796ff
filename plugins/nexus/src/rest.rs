//! Nexus's own REST API, for a tag Nexus keeps listing after its manifest
//! was deleted (reported of Nexus 3.89 and later): the Docker component
//! whose name is the image and whose version is the tag is found with
//! `GET /service/rest/v1/search` and removed with
//! `DELETE /service/rest/v1/components/{id}`. A component is one image and
//! tag, so removing it removes that tag and nothing else.

use berth_sdk::http::{Request, encode_component};
use berth_sdk::{Error, Result, Target, config, oci};
use serde::Deserialize;

/// Pages of a tag listing read to see whether a tag is still there.
const MAX_PAGES: usize = 1000;

#[derive(Deserialize)]
struct Search {
    items: Vec<Component>,
}

#[derive(Deserialize)]
struct Component {
    id: String,
    name: String,
    version: String,
}

/// Whether the registry still lists `tag`.
pub fn still_listed(tag: &str) -> Result<bool> {
    let mut cursor = None;
    for _ in 0..MAX_PAGES {
        let page = oci::list_tags(cursor.as_deref())?;
        if page.tags.iter().any(|t| t.name == tag) {
            return Ok(true);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(false),
        }
    }
    Err(Error::Invalid(format!(
        "the tag listing ran past {MAX_PAGES} pages while looking for {tag}"
    )))
}

/// Removes the component of `tag` through the REST API.
pub fn delete_component(target: &Target, tag: &str) -> Result<()> {
    let (repository, image) = repository_and_image(target)?;
    let base = config::get_option("api-url")
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| target.base_url.clone());
    let base = base.trim().trim_end_matches('/');
    let search = format!(
        "{base}/service/rest/v1/search?repository={}&format=docker&name={}&version={}",
        encode_component(&repository),
        encode_component(&image),
        encode_component(tag)
    );
    let found: Search = authorized(Request::get(&search))?.send_ok()?.json()?;
    let matching: Vec<&Component> = found
        .items
        .iter()
        .filter(|c| c.name == image && c.version == tag)
        .collect();
    let [component] = matching.as_slice() else {
        return Err(Error::Other(format!(
            "Nexus still lists tag {tag}, and its REST API found {} components {image}:{tag} in \
             repository {repository}; nothing more was deleted",
            matching.len()
        )));
    };
    let url = format!(
        "{base}/service/rest/v1/components/{}",
        encode_component(&component.id)
    );
    authorized(Request::delete(&url))?.send_ok()?;
    Ok(())
}

/// The Nexus repository (the option `repository`, else the segment after
/// `repository/` in a path-style address) and the image name in it.
fn repository_and_image(target: &Target) -> Result<(String, String)> {
    let path = target.repository.as_str();
    if let Some(repository) = config::get_option("repository").filter(|r| !r.is_empty()) {
        return Ok((repository, path.to_string()));
    }
    if let Some((repository, image)) = path
        .strip_prefix("repository/")
        .and_then(|rest| rest.split_once('/'))
    {
        return Ok((repository.to_string(), image.to_string()));
    }
    Err(Error::Other(format!(
        "Nexus still lists the removed tag in {path}, and berth cannot tell which Nexus \
         repository holds it\nhint: name it with --opt repository=NAME (or \
         BERTH_NEXUS_REPOSITORY) so berth can remove the tag through Nexus's REST API"
    )))
}

/// The REST API takes the Nexus user that logs in to the registry.
fn authorized(request: Request) -> Result<Request> {
    match config::registry_credential() {
        Some(c) if !c.identity_token => Ok(request.basic(&c.username, &c.secret)),
        _ => Err(Error::Unauthorized(
            "Nexus's REST API needs the Nexus user's name and password\nhint: log in to the \
             registry with `docker login` (or `berth login`) as that user"
                .into(),
        )),
    }
}

//! A container package and its versions. A version is one manifest digest
//! (its `name`) with the tags on it (`metadata.container.tags`).

use crate::api::{self, Api};
use berth_sdk::http::{Method, encode_component};
use berth_sdk::{Error, Result, Target};
use serde::Deserialize;
use std::cell::RefCell;

/// Versions asked per page: the API's largest page.
pub const PER_PAGE: u32 = 100;
/// More pages than any package has; a listing that goes on is a loop.
const MAX_PAGES: usize = 100_000;

#[derive(Clone)]
pub struct Package {
    /// The user or organisation: the first path segment.
    pub owner: String,
    /// The rest of the path (`app/sub`).
    pub name: String,
    /// The package's API URL: `{api}/orgs/<org>/packages/container/<name
    /// with / as %2F>`, or under `/user` or `/users/<user>`.
    pub url: String,
}

impl Package {
    pub fn shown(&self) -> String {
        format!("{}/{}", self.owner, self.name)
    }

    fn versions_url(&self) -> String {
        format!("{}/versions?per_page={PER_PAGE}&page=1", self.url)
    }

    fn version_url(&self, id: u64) -> String {
        format!("{}/versions/{id}", self.url)
    }
}

#[derive(Clone, Deserialize)]
pub struct Version {
    pub id: u64,
    /// The manifest digest.
    pub name: String,
    pub created_at: Option<String>,
    #[serde(default)]
    metadata: Metadata,
}

#[derive(Clone, Default, Deserialize)]
struct Metadata {
    container: Option<Container>,
}

#[derive(Clone, Default, Deserialize)]
struct Container {
    #[serde(default)]
    tags: Vec<String>,
}

impl Version {
    pub fn tags(&self) -> &[String] {
        self.metadata
            .container
            .as_ref()
            .map_or(&[][..], |c| c.tags.as_slice())
    }

    fn drop_tag(&mut self, tag: &str) {
        if let Some(c) = self.metadata.container.as_mut() {
            c.tags.retain(|t| t != tag);
        }
    }
}

thread_local! {
    /// Packages located, by `{api}\n{repository}`.
    static LOCATED: RefCell<Vec<(String, Package)>> = const { RefCell::new(Vec::new()) };
    /// One package's versions, as last listed and since changed by this
    /// instance. Other instances change them too, so a version is read
    /// again before anything is deleted.
    static VERSIONS: RefCell<Option<(String, Vec<Version>)>> = const { RefCell::new(None) };
}

/// The package a repository address names, and its API URL. The owner's
/// kind decides the URL: `GET /users/<owner>` says `User` or `Organization`;
/// a user's own packages are under `/user`, another user's under
/// `/users/<user>`.
pub fn locate(api: &Api, target: &Target) -> Result<Package> {
    let key = format!("{}\n{}", api.base, target.repository);
    if let Some(found) = LOCATED.with(|l| {
        l.borrow()
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, p)| p.clone())
    }) {
        return Ok(found);
    }
    let Some((owner, name)) = target
        .repository
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty())
    else {
        return Err(Error::Invalid(format!(
            "{}: GitHub container packages are addressed OWNER/PACKAGE",
            target.repository
        )));
    };
    let url = format!(
        "{}/container/{}",
        packages_url(api, owner)?,
        encode_component(name)
    );
    let package = Package {
        owner: owner.to_string(),
        name: name.to_string(),
        url,
    };
    LOCATED.with(|l| l.borrow_mut().push((key, package.clone())));
    Ok(package)
}

/// Where an owner's packages are: `{api}/orgs/<org>/packages` for an
/// organisation (`GET /users/<owner>` says which), `{api}/user/packages`
/// for the token's own user, else `{api}/users/<user>/packages`.
pub fn packages_url(api: &Api, owner: &str) -> Result<String> {
    #[derive(Deserialize)]
    struct Account {
        login: String,
        #[serde(rename = "type")]
        kind: String,
    }
    let account: Account = api.get(
        &format!("{}/users/{}", api.base, encode_component(owner)),
        &format!("looking up the GitHub account {owner}"),
    )?;
    Ok(match account.kind.as_str() {
        "Organization" => format!(
            "{}/orgs/{}/packages",
            api.base,
            encode_component(&account.login)
        ),
        _ if api
            .login()?
            .is_some_and(|me| me.eq_ignore_ascii_case(&account.login)) =>
        {
            format!("{}/user/packages", api.base)
        }
        _ => format!(
            "{}/users/{}/packages",
            api.base,
            encode_component(&account.login)
        ),
    })
}

/// One page of an owner's container packages as repository paths
/// (`<owner>/<name>`), and the next page's URL. `cursor` is a URL from a
/// previous page.
pub fn repositories(
    api: &Api,
    owner: &str,
    cursor: Option<String>,
) -> Result<(Vec<String>, Option<String>)> {
    let url = match cursor {
        Some(next) if next.starts_with(&format!("{}/", api.base)) => next,
        Some(next) => return Err(Error::Invalid(format!("unexpected page cursor {next:?}"))),
        None => format!(
            "{}?package_type=container&per_page={PER_PAGE}&page=1",
            packages_url(api, owner)?
        ),
    };
    let what = format!("listing the container packages of {owner}");
    let response = api.send(Method::Get, &url)?;
    if !(200..300).contains(&response.status) {
        return Err(api.error(&what, &response));
    }
    #[derive(Deserialize)]
    struct Listed {
        name: String,
    }
    let listed: Vec<Listed> = response.json()?;
    let next = response
        .next_link()
        .filter(|n| n.starts_with(&format!("{}/", api.base)));
    Ok((
        listed
            .into_iter()
            .map(|p| format!("{owner}/{}", p.name))
            .collect(),
        next,
    ))
}

/// The page at `url` (a URL of this package's versions) and the next one's.
pub fn page(api: &Api, package: &Package, url: &str) -> Result<(Vec<Version>, Option<String>)> {
    let what = format!("listing the versions of package {}", package.shown());
    let response = api.send(Method::Get, url)?;
    if !(200..300).contains(&response.status) {
        return Err(match api.error(&what, &response) {
            Error::NotFound(m) => Error::NotFound(format!(
                "GitHub has no container package {} ({m})",
                package.shown()
            )),
            other => other,
        });
    }
    let versions: Vec<Version> = response.json()?;
    let next = match response.next_link() {
        Some(next) if next.starts_with(&format!("{}/", api.base)) => Some(next),
        Some(next) => {
            return Err(Error::Invalid(format!(
                "{what}: the next page {next:?} is not on {}",
                api.base
            )));
        }
        None => None,
    };
    Ok((versions, next))
}

/// The first page of the package's versions.
pub fn first_page(package: &Package) -> String {
    package.versions_url()
}

/// Every version, following the `Link` header from page to page.
fn all(api: &Api, package: &Package) -> Result<Vec<Version>> {
    let mut versions = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut url = package.versions_url();
    for _ in 0..MAX_PAGES {
        seen.insert(url.clone());
        let (page, next) = page(api, package, &url)?;
        versions.extend(page);
        match next {
            Some(next) if seen.contains(&next) => {
                return Err(Error::Invalid(format!(
                    "the versions of package {} page in a loop ({next} again)",
                    package.shown()
                )));
            }
            Some(next) => url = next,
            None => return Ok(versions),
        }
    }
    Err(Error::Invalid(format!(
        "the versions of package {} did not end after {MAX_PAGES} pages",
        package.shown()
    )))
}

/// The listed version that holds `tag`: from this instance's listing, or
/// from a new one when `fresh` or when there is none yet.
pub fn holder(api: &Api, package: &Package, tag: &str, fresh: bool) -> Result<Option<Version>> {
    listed(api, package, fresh, |v| v.tags().iter().any(|t| t == tag))
}

/// The first version of this instance's listing (made now when `fresh` or
/// when there is none yet) that `wanted` accepts.
fn listed(
    api: &Api,
    package: &Package,
    fresh: bool,
    wanted: impl Fn(&Version) -> bool,
) -> Result<Option<Version>> {
    let cached = VERSIONS.with(|v| {
        v.borrow()
            .as_ref()
            .filter(|(url, _)| !fresh && *url == package.url)
            .map(|(_, versions)| versions.iter().find(|v| wanted(v)).cloned())
    });
    if let Some(found) = cached {
        return Ok(found);
    }
    let versions = all(api, package)?;
    let found = versions.iter().find(|v| wanted(v)).cloned();
    VERSIONS.with(|v| *v.borrow_mut() = Some((package.url.clone(), versions)));
    Ok(found)
}

/// The version named `digest`, looked up page by page (new versions come
/// first).
pub fn by_digest(api: &Api, package: &Package, digest: &str) -> Result<Option<Version>> {
    let mut url = package.versions_url();
    let mut seen = std::collections::HashSet::new();
    loop {
        seen.insert(url.clone());
        let (page, next) = page(api, package, &url)?;
        if let Some(found) = page.into_iter().find(|v| v.name == digest) {
            return Ok(Some(found));
        }
        match next {
            Some(next) if !seen.contains(&next) => url = next,
            _ => return Ok(None),
        }
    }
}

/// The version as it is now; none when it is gone.
pub fn current(api: &Api, package: &Package, id: u64) -> Result<Option<Version>> {
    let response = api.send(Method::Get, &package.version_url(id))?;
    match response.status {
        200..=299 => response.json().map(Some),
        404 => Ok(None),
        _ => Err(api.error(
            &format!("reading version {id} of package {}", package.shown()),
            &response,
        )),
    }
}

/// Deletes a version, and with it every tag on it: only call this for a
/// version whose tags are all meant to go (none, or the one being removed).
pub fn delete(api: &Api, package: &Package, version: &Version) -> Result<()> {
    let response = api.send(Method::Delete, &package.version_url(version.id))?;
    let holds = match version.tags() {
        [] => "untagged".to_string(),
        tags => format!("which holds tag {}", tags.join(", ")),
    };
    let what = format!(
        "deleting version {} ({}) of package {}, {holds}",
        version.id,
        version.name,
        package.shown()
    );
    match response.status {
        200..=299 => {
            forget_version(package, version.id);
            Ok(())
        }
        400 => {
            let said = api::said(&response);
            let lower = said.to_ascii_lowercase();
            let advice = if lower.contains("last tagged version") || lower.contains("last version")
            {
                "\nhint: GitHub keeps a package's last version and its last tagged version; to \
remove it, delete the whole package on GitHub, or push another tag to the package first"
            } else if lower.contains("5000") || lower.contains("5,000") {
                "\nhint: GitHub support removes versions of public packages downloaded more than \
5,000 times"
            } else {
                ""
            };
            Err(Error::Other(format!(
                "GitHub refused {what} (HTTP 400: {said}){advice}"
            )))
        }
        _ => Err(api.error(&what, &response)),
    }
}

/// Deletes the version named `digest` (the host asks only for manifests no
/// tag it keeps reaches). The version is read again first: one that gained
/// a tag meanwhile is left alone, as that tag was not named.
pub fn delete_digest(api: &Api, package: &Package, digest: &str) -> Result<()> {
    // A listing made before the version appeared is asked again.
    let named = |v: &Version| v.name == digest;
    let found = match listed(api, package, false, named)? {
        Some(found) => Some(found),
        None => listed(api, package, true, named)?,
    };
    let Some(listed) = found else {
        return Err(Error::NotFound(format!(
            "package {} has no version {digest}",
            package.shown()
        )));
    };
    let Some(version) = current(api, package, listed.id)?.filter(|v| v.name == digest) else {
        return Err(Error::NotFound(format!(
            "version {} ({digest}) of package {} is gone",
            listed.id,
            package.shown()
        )));
    };
    if !version.tags().is_empty() {
        return Err(Error::Other(format!(
            "version {} ({digest}) of package {} now holds tags {}; it was not deleted",
            version.id,
            package.shown(),
            version.tags().join(", ")
        )));
    }
    delete(api, package, &version)
}

fn forget_version(package: &Package, id: u64) {
    VERSIONS.with(|v| {
        if let Some((url, versions)) = v.borrow_mut().as_mut()
            && *url == package.url
        {
            versions.retain(|v| v.id != id);
        }
    });
}

/// Notes that `tag` left version `id`.
pub fn tag_moved(package: &Package, id: u64, tag: &str) {
    VERSIONS.with(|v| {
        if let Some((url, versions)) = v.borrow_mut().as_mut()
            && *url == package.url
            && let Some(version) = versions.iter_mut().find(|v| v.id == id)
        {
            version.drop_tag(tag);
        }
    });
}

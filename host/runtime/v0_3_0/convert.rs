//! Between 0.3.0's types and the host's.

use super::berth::provider::types as wit;
use crate::model;
use crate::runtime::api::Answer;

pub fn into_error(e: wit::Error) -> model::RegistryError {
    use model::RegistryError as E;
    match e {
        wit::Error::Unauthorized(m) => E::Unauthorized(m),
        wit::Error::Forbidden(m) => E::Forbidden(m),
        wit::Error::NotFound(m) => E::NotFound(m),
        wit::Error::Unsupported(m) => E::Unsupported(m),
        wit::Error::RateLimited(r) => E::RateLimited {
            message: r.message,
            retry_after: r.retry_after,
        },
        wit::Error::Invalid(m) => E::Invalid(m),
        wit::Error::Transport(m) => E::Transport(m),
        wit::Error::Other(m) => E::Other(m),
    }
}

pub fn from_error(e: model::RegistryError) -> wit::Error {
    use model::RegistryError as E;
    match e {
        E::Unauthorized(m) => wit::Error::Unauthorized(m),
        E::Forbidden(m) => wit::Error::Forbidden(m),
        E::NotFound(m) => wit::Error::NotFound(m),
        E::Unsupported(m) => wit::Error::Unsupported(m),
        E::RateLimited {
            message,
            retry_after,
        } => wit::Error::RateLimited(wit::RateLimit {
            message,
            retry_after,
        }),
        E::Invalid(m) => wit::Error::Invalid(m),
        E::Transport(m) => wit::Error::Transport(m),
        E::Other(m) => wit::Error::Other(m),
    }
}

/// A provider call's result, in the host's terms.
pub fn answer<T, U>(
    result: wasmtime::Result<Result<T, wit::Error>>,
    f: impl FnOnce(T) -> U,
) -> Answer<U> {
    Ok(result?.map(f).map_err(into_error))
}

pub fn target(t: &model::CallTarget) -> wit::Target {
    wit::Target {
        registry: t.registry.clone(),
        repository: t.repository.clone(),
        base_url: t.base_url.clone(),
    }
}

pub fn probe(p: &model::Probe) -> wit::Probe {
    wit::Probe {
        status: p.status,
        headers: p.headers.clone(),
    }
}

pub fn removal(r: &model::Removal) -> wit::Removal {
    wit::Removal {
        digest: r.digest.clone(),
        exclusive: r.exclusive,
    }
}

pub fn tag_page(p: wit::TagPage) -> model::Page<model::Tag> {
    model::Page {
        items: p
            .tags
            .into_iter()
            .map(|t| model::Tag {
                name: t.name,
                digest: t.digest,
                created: t.created,
            })
            .collect(),
        next: p.next,
    }
}

pub fn from_tag_page(p: model::Page<model::Tag>) -> wit::TagPage {
    wit::TagPage {
        tags: p
            .items
            .into_iter()
            .map(|t| wit::Tag {
                name: t.name,
                digest: t.digest,
                created: t.created,
            })
            .collect(),
        next: p.next,
    }
}

pub fn descriptor(d: wit::Descriptor) -> model::Descriptor {
    model::Descriptor {
        media_type: d.media_type,
        digest: d.digest,
        size: d.size,
    }
}

pub fn from_descriptor(d: model::Descriptor) -> wit::Descriptor {
    wit::Descriptor {
        media_type: d.media_type,
        digest: d.digest,
        size: d.size,
    }
}

pub fn manifest(m: wit::Manifest) -> model::Manifest {
    model::Manifest {
        digest: m.digest,
        media_type: m.media_type,
        bytes: m.bytes,
    }
}

pub fn from_manifest(m: model::Manifest) -> wit::Manifest {
    wit::Manifest {
        digest: m.digest,
        media_type: m.media_type,
        bytes: m.bytes,
    }
}

pub fn manifest_page(p: wit::ManifestPage) -> model::Page<model::ManifestEntry> {
    model::Page {
        items: p
            .manifests
            .into_iter()
            .map(|m| model::ManifestEntry {
                digest: m.digest,
                tags: m.tags,
                media_type: m.media_type,
                subject: m.subject,
                created: m.created,
                described: m.described,
            })
            .collect(),
        next: p.next,
    }
}

pub fn referrer(r: wit::Referrer) -> model::Referrer {
    model::Referrer {
        digest: r.digest,
        media_type: r.media_type,
        artifact_type: r.artifact_type,
        size: r.size,
        annotations: r.annotations,
    }
}

pub fn from_referrer(r: model::Referrer) -> wit::Referrer {
    wit::Referrer {
        digest: r.digest,
        media_type: r.media_type,
        artifact_type: r.artifact_type,
        size: r.size,
        annotations: r.annotations,
    }
}

pub fn repository_page(p: wit::RepositoryPage) -> model::Page<String> {
    model::Page {
        items: p.repositories,
        next: p.next,
    }
}

pub fn from_repository_page(p: model::Page<String>) -> wit::RepositoryPage {
    wit::RepositoryPage {
        repositories: p.items,
        next: p.next,
    }
}

fn access(a: wit::Access) -> model::Access {
    match a {
        wit::Access::Yes => model::Access::Yes,
        wit::Access::No => model::Access::No,
        wit::Access::Unknown => model::Access::Unknown,
    }
}

fn from_access(a: model::Access) -> wit::Access {
    match a {
        model::Access::Yes => wit::Access::Yes,
        model::Access::No => wit::Access::No,
        model::Access::Unknown => wit::Access::Unknown,
    }
}

pub fn permissions(p: wit::Permissions) -> model::Permissions {
    model::Permissions {
        list: access(p.list),
        push: access(p.push),
        delete: access(p.delete),
        credential_source: p.credential_source,
        notes: p.notes,
        hints: p.hints,
    }
}

pub fn from_permissions(p: model::Permissions) -> wit::Permissions {
    wit::Permissions {
        list: from_access(p.list),
        push: from_access(p.push),
        delete: from_access(p.delete),
        credential_source: p.credential_source,
        notes: p.notes,
        hints: p.hints,
    }
}

pub fn from_info(info: wit::PluginInfo) -> model::PluginInfo {
    use model::Capability as C;
    model::PluginInfo {
        name: info.name,
        version: info.version,
        api: "0.3.0".into(),
        description: info.description,
        capabilities: info
            .capabilities
            .into_iter()
            .map(|c| match c {
                wit::Capability::ListTags => C::ListTags,
                wit::Capability::TagDates => C::TagDates,
                wit::Capability::DeleteTag => C::DeleteTag,
                wit::Capability::DeleteTags => C::DeleteTags,
                wit::Capability::GetManifest => C::GetManifest,
                wit::Capability::PushManifest => C::PushManifest,
                wit::Capability::PullBlobs => C::PullBlobs,
                wit::Capability::PushBlobs => C::PushBlobs,
                wit::Capability::ListManifests => C::ListManifests,
                wit::Capability::DeleteManifest => C::DeleteManifest,
                wit::Capability::ListRepositories => C::ListRepositories,
                wit::Capability::Permissions => C::Permissions,
            })
            .collect(),
        options: info
            .options
            .into_iter()
            .map(|o| model::OptionSpec {
                name: o.name,
                description: o.description,
                secret: o.secret,
            })
            .collect(),
    }
}

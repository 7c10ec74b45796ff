//! Between 0.1.0's types and the host's.

use super::berth::provider::types as wit;
use crate::model;

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
        items: p.tags.into_iter().map(tag).collect(),
        next: p.next,
    }
}

fn tag(t: wit::Tag) -> model::Tag {
    model::Tag {
        name: t.name,
        digest: t.digest,
        created: t.created,
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

pub fn from_info(info: wit::PluginInfo, api: &str) -> model::PluginInfo {
    use model::Capability as C;
    model::PluginInfo {
        name: info.name,
        version: info.version,
        api: api.to_string(),
        description: info.description,
        capabilities: info
            .capabilities
            .into_iter()
            .map(|c| match c {
                wit::Capability::ListTags => C::ListTags,
                wit::Capability::TagDates => C::TagDates,
                wit::Capability::DeleteTag => C::DeleteTag,
                wit::Capability::GetManifest => C::GetManifest,
                wit::Capability::PushManifest => C::PushManifest,
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

/// Result of a provider call, in the host's terms.
pub fn answer<T, U>(
    result: wasmtime::Result<Result<T, wit::Error>>,
    f: impl FnOnce(T) -> U,
) -> crate::runtime::api::Answer<U> {
    Ok(result?.map(f).map_err(into_error))
}

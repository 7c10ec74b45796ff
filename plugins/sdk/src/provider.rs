use crate::{
    Descriptor, Error, Info, Manifest, ManifestPage, Permissions, Probe, Referrer, Removal,
    RepositoryPage, Result, TagPage, Target, oci,
};

/// A registry provider. Defaults forward to the host's OCI client, which
/// already handles paging, authentication and the safe untag.
pub trait Provider {
    /// Name, version, capabilities and options.
    fn info() -> Info;

    /// Confidence (0..=100) that this provider serves `target`, given the
    /// registry's answer to `GET /v2/`. Called only when no address pattern of
    /// the catalog matched, and only for a plugin whose catalog entry says
    /// `probe = true` (or that no catalog lists); header rules in the catalog
    /// decide without the plugin.
    fn detect(_target: Target, _probe: Option<Probe>) -> u8 {
        0
    }

    /// Runs first in every default below, before the host's OCI client is
    /// called: the place to hand the host a credential the provider obtains
    /// itself ([`oci::use_credential`]). Its error is returned as it is. The
    /// default does nothing.
    fn prepare_oci(_target: &Target) -> Result<()> {
        Ok(())
    }

    /// Rewrites the errors of the host's OCI client in every default below,
    /// for instance to add how to log in with
    /// [`Error::with_login_hint`]. The default returns them as they are.
    fn explain(_target: &Target, error: Error) -> Error {
        error
    }

    /// One page of tags; `cursor` is the previous page's `next`.
    fn list_tags(target: Target, cursor: Option<String>) -> Result<TagPage> {
        Self::prepare_oci(&target)?;
        oci::list_tags(cursor.as_deref()).map_err(|e| Self::explain(&target, e))
    }

    /// What a tag or digest points at.
    fn resolve(target: Target, reference: String) -> Result<Descriptor> {
        Self::prepare_oci(&target)?;
        oci::resolve(&reference).map_err(|e| Self::explain(&target, e))
    }

    /// A manifest by tag or digest, bytes exactly as stored.
    fn get_manifest(target: Target, reference: String) -> Result<Manifest> {
        Self::prepare_oci(&target)?;
        oci::get_manifest(&reference).map_err(|e| Self::explain(&target, e))
    }

    /// A blob by digest (the host reads image configs this way).
    fn get_blob(target: Target, digest: String) -> Result<Vec<u8>> {
        Self::prepare_oci(&target)?;
        oci::get_blob(&digest).map_err(|e| Self::explain(&target, e))
    }

    /// Stores a manifest under a tag or digest; returns its digest.
    fn push_manifest(
        target: Target,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        Self::prepare_oci(&target)?;
        oci::push_manifest(&reference, &media_type, &bytes).map_err(|e| Self::explain(&target, e))
    }

    /// Removes one tag: [`default_delete_tag`].
    fn delete_tag(target: Target, tag: String, removal: Removal) -> Result<()> {
        Self::prepare_oci(&target)?;
        default_delete_tag(&tag, &removal).map_err(|e| Self::explain(&target, e))
    }

    /// Removes several tags, for a registry with a batch delete API. The
    /// default has none: every entry answers `unsupported`, untouched, and
    /// the host removes them one by one with [`Provider::delete_tag`].
    fn delete_tags(_target: Target, tags: Vec<(String, Removal)>) -> Vec<Result<()>> {
        tags.iter()
            .map(|_| Err(Error::Unsupported("no batch delete".into())))
            .collect()
    }

    /// Readies the registry's OCI API for the host's own blob transfers:
    /// runs [`Provider::prepare_oci`], where a provider hands over a
    /// credential it obtains itself.
    fn connect(target: Target) -> Result<()> {
        Self::prepare_oci(&target)
    }

    /// For a store that is not an OCI API (a layout): a blob's size. The
    /// host transfers a registry's blobs itself, so the default refuses.
    fn blob_size(_target: Target, _digest: String) -> Result<Option<u64>> {
        Err(Error::Unsupported("blobs go through the OCI API".into()))
    }

    /// For a store that is not an OCI API: part of a blob.
    fn read_blob(_target: Target, _digest: String, _offset: u64, _length: u32) -> Result<Vec<u8>> {
        Err(Error::Unsupported("blobs go through the OCI API".into()))
    }

    /// For a store that is not an OCI API: the next part of a blob.
    fn write_blob(
        _target: Target,
        _digest: String,
        _offset: u64,
        _bytes: Vec<u8>,
        _last: bool,
    ) -> Result<()> {
        Err(Error::Unsupported("blobs go through the OCI API".into()))
    }

    /// Every manifest, tagged or not. The OCI API cannot list manifests, so
    /// the default is `unsupported`; a provider whose registry can overrides
    /// it (and declares [`Capability::ListManifests`](crate::Capability)).
    fn list_manifests(_target: Target, _cursor: Option<String>) -> Result<ManifestPage> {
        Err(Error::Unsupported(
            "the registry cannot list manifests that no tag points at".into(),
        ))
    }

    /// Deletes a manifest by digest with every tag on it (the host calls it
    /// only when nothing kept reaches it): the OCI delete by default.
    fn delete_manifest(target: Target, digest: String) -> Result<()> {
        Self::prepare_oci(&target)?;
        oci::delete_manifest(&digest).map_err(|e| Self::explain(&target, e))
    }

    /// The manifests whose `subject` is `digest`: the host's referrers API
    /// client, with the fallback tag, by default.
    fn list_referrers(target: Target, digest: String) -> Result<Vec<Referrer>> {
        Self::prepare_oci(&target)?;
        oci::referrers(&digest).map_err(|e| Self::explain(&target, e))
    }

    /// One page of the registry's repositories under `target.repository`:
    /// the OCI catalog (`/v2/_catalog`) by default.
    fn list_repositories(target: Target, cursor: Option<String>) -> Result<RepositoryPage> {
        Self::prepare_oci(&target)?;
        oci::list_repositories(cursor.as_deref()).map_err(|e| Self::explain(&target, e))
    }

    /// What the credential may do on the repository: by default, what the
    /// registry's token service grants when asked for everything.
    fn permissions(target: Target) -> Result<Permissions> {
        Self::prepare_oci(&target)?;
        oci::check_permissions().map_err(|e| Self::explain(&target, e))
    }
}

/// Removes one tag with the host's OCI client, which is what
/// [`Provider::delete_tag`] does by default: deletes the manifest by digest
/// only when the host has established that no other tag shares it (and the
/// registry takes the delete), and otherwise untags ([`oci::untag`]).
pub fn default_delete_tag(tag: &str, removal: &Removal) -> Result<()> {
    if let (true, Some(digest)) = (removal.exclusive, removal.digest.as_deref()) {
        match oci::delete_manifest(digest) {
            Err(Error::Unsupported(_)) => {}
            done => return done,
        }
    }
    oci::untag(tag)
}

/// Whether an error of `oci::delete_manifest(tag)`, the OCI tag delete, says
/// that the registry has none: `unsupported` (405), or distribution 2.x
/// reading the tag as a malformed digest (`DIGEST_INVALID`) or answering
/// `UNSUPPORTED`. Any other error is a real failure of a delete the registry
/// does take.
pub fn refuses_tag_delete(error: &Error) -> bool {
    match error {
        Error::Unsupported(_) => true,
        Error::Invalid(m) => m.contains("DIGEST_INVALID") || m.contains("UNSUPPORTED"),
        _ => false,
    }
}

/// Puts `tag` back where it was after `cause` stopped a removal that had
/// moved it to a throwaway ([`oci::move_to_throwaway`]), so the tag is left
/// as it was. Returns `cause`, or, when putting the tag back fails too, an
/// `other` error that says both.
pub fn put_back(tag: &str, cause: Error) -> Error {
    match oci::put_back(tag) {
        Ok(()) => cause,
        Err(again) => Error::Other(format!(
            "{}; putting tag {tag} back also failed: {}",
            cause.message(),
            again.message()
        )),
    }
}

/// The value of a probe response header (case-insensitive), if present.
pub fn probe_header<'a>(probe: &'a Option<Probe>, name: &str) -> Option<&'a str> {
    probe
        .as_ref()?
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Exports a [`Provider`] implementation as the plugin's `provider` interface.
#[macro_export]
macro_rules! provider {
    ($ty:ty) => {
        #[doc(hidden)]
        pub struct __BerthExport;

        impl $crate::__Guest for __BerthExport {
            fn info() -> $crate::Info {
                <$ty as $crate::Provider>::info()
            }
            fn detect(target: $crate::Target, probe: Option<$crate::Probe>) -> u8 {
                <$ty as $crate::Provider>::detect(target, probe)
            }
            fn list_tags(
                target: $crate::Target,
                cursor: Option<String>,
            ) -> $crate::Result<$crate::TagPage> {
                <$ty as $crate::Provider>::list_tags(target, cursor)
            }
            fn resolve(
                target: $crate::Target,
                reference: String,
            ) -> $crate::Result<$crate::Descriptor> {
                <$ty as $crate::Provider>::resolve(target, reference)
            }
            fn get_manifest(
                target: $crate::Target,
                reference: String,
            ) -> $crate::Result<$crate::Manifest> {
                <$ty as $crate::Provider>::get_manifest(target, reference)
            }
            fn get_blob(target: $crate::Target, digest: String) -> $crate::Result<Vec<u8>> {
                <$ty as $crate::Provider>::get_blob(target, digest)
            }
            fn push_manifest(
                target: $crate::Target,
                reference: String,
                media_type: String,
                bytes: Vec<u8>,
            ) -> $crate::Result<String> {
                <$ty as $crate::Provider>::push_manifest(target, reference, media_type, bytes)
            }
            fn delete_tag(
                target: $crate::Target,
                tag: String,
                removal: $crate::Removal,
            ) -> $crate::Result<()> {
                <$ty as $crate::Provider>::delete_tag(target, tag, removal)
            }
            fn delete_tags(
                target: $crate::Target,
                tags: Vec<(String, $crate::Removal)>,
            ) -> Vec<$crate::Result<()>> {
                <$ty as $crate::Provider>::delete_tags(target, tags)
            }
            fn connect(target: $crate::Target) -> $crate::Result<()> {
                <$ty as $crate::Provider>::connect(target)
            }
            fn blob_size(target: $crate::Target, digest: String) -> $crate::Result<Option<u64>> {
                <$ty as $crate::Provider>::blob_size(target, digest)
            }
            fn read_blob(
                target: $crate::Target,
                digest: String,
                offset: u64,
                length: u32,
            ) -> $crate::Result<Vec<u8>> {
                <$ty as $crate::Provider>::read_blob(target, digest, offset, length)
            }
            fn write_blob(
                target: $crate::Target,
                digest: String,
                offset: u64,
                bytes: Vec<u8>,
                last: bool,
            ) -> $crate::Result<()> {
                <$ty as $crate::Provider>::write_blob(target, digest, offset, bytes, last)
            }
            fn list_manifests(
                target: $crate::Target,
                cursor: Option<String>,
            ) -> $crate::Result<$crate::ManifestPage> {
                <$ty as $crate::Provider>::list_manifests(target, cursor)
            }
            fn delete_manifest(target: $crate::Target, digest: String) -> $crate::Result<()> {
                <$ty as $crate::Provider>::delete_manifest(target, digest)
            }
            fn list_referrers(
                target: $crate::Target,
                digest: String,
            ) -> $crate::Result<Vec<$crate::Referrer>> {
                <$ty as $crate::Provider>::list_referrers(target, digest)
            }
            fn list_repositories(
                target: $crate::Target,
                cursor: Option<String>,
            ) -> $crate::Result<$crate::RepositoryPage> {
                <$ty as $crate::Provider>::list_repositories(target, cursor)
            }
            fn check_permissions(target: $crate::Target) -> $crate::Result<$crate::Permissions> {
                <$ty as $crate::Provider>::permissions(target)
            }
        }

        $crate::__export_plugin!(__BerthExport with_types_in $crate::bindings);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_delete_refusals() {
        assert!(refuses_tag_delete(&Error::Unsupported("HTTP 405".into())));
        assert!(refuses_tag_delete(&Error::Invalid(
            "HTTP 400: {\"errors\":[{\"code\":\"DIGEST_INVALID\"}]}".into()
        )));
        assert!(refuses_tag_delete(&Error::Invalid("UNSUPPORTED".into())));
        assert!(!refuses_tag_delete(&Error::Invalid("NAME_INVALID".into())));
        assert!(!refuses_tag_delete(&Error::NotFound(
            "MANIFEST_UNKNOWN".into()
        )));
        assert!(!refuses_tag_delete(&Error::Forbidden("DENIED".into())));
    }
}

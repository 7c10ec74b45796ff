use crate::{Descriptor, Info, Manifest, Probe, Removal, Result, TagPage, Target, oci};

/// A registry provider. Defaults forward to the host's OCI client, which
/// already handles paging, authentication and the safe untag.
pub trait Provider {
    /// Name, version, capabilities and options.
    fn info() -> Info;

    /// Confidence (0..=100) that this provider serves `target`, given the
    /// registry's answer to `GET /v2/`. Called only when no address pattern of
    /// the catalog matched.
    fn detect(_target: Target, _probe: Option<Probe>) -> u8 {
        0
    }

    /// One page of tags; `cursor` is the previous page's `next`.
    fn list_tags(_target: Target, cursor: Option<String>) -> Result<TagPage> {
        oci::list_tags(cursor.as_deref())
    }

    /// What a tag or digest points at.
    fn resolve(_target: Target, reference: String) -> Result<Descriptor> {
        oci::resolve(&reference)
    }

    /// A manifest by tag or digest, bytes exactly as stored.
    fn get_manifest(_target: Target, reference: String) -> Result<Manifest> {
        oci::get_manifest(&reference)
    }

    /// A blob by digest (the host reads image configs this way).
    fn get_blob(_target: Target, digest: String) -> Result<Vec<u8>> {
        oci::get_blob(&digest)
    }

    /// Stores a manifest under a tag or digest; returns its digest.
    fn push_manifest(
        _target: Target,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        oci::push_manifest(&reference, &media_type, &bytes)
    }

    /// Removes one tag. The default deletes by digest only when the host has
    /// established that no other tag shares it, and otherwise untags.
    fn delete_tag(_target: Target, tag: String, removal: Removal) -> Result<()> {
        if let (true, Some(digest)) = (removal.exclusive, removal.digest.as_deref()) {
            match oci::delete_manifest(digest) {
                Err(crate::Error::Unsupported(_)) => {}
                done => return done,
            }
        }
        oci::untag(&tag)
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
        }

        $crate::__export_plugin!(__BerthExport with_types_in $crate::bindings);
    };
}

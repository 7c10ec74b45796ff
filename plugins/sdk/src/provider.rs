use crate::{Descriptor, Error, Info, Manifest, Probe, Removal, Result, TagPage, Target, oci};

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

/// The media type of a throwaway manifest.
const OCI_IMAGE_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// The OCI empty descriptor's content, the config of a throwaway manifest.
const EMPTY_CONFIG: &[u8] = b"{}";

/// Moves `tag` off `original` (its manifest, from `oci::get_manifest(tag)`)
/// onto a manifest made for this removal, and returns that manifest's
/// digest. Nothing else points at it, so deleting it by digest removes the
/// tag and nothing else: how a provider removes a tag itself where the host's
/// [`oci::untag`] does not fit. If a later step fails, [`put_back`] returns
/// the tag to `original`.
///
/// The throwaway is an OCI image manifest with the empty config (pushed
/// first) and no layers, annotated `io.berth.throwaway` (the tag),
/// `io.berth.replaces` (the original digest) and, when given,
/// `io.berth.nonce`, which makes it unique even to another removal of the
/// same tag from the same manifest.
pub fn move_to_throwaway(tag: &str, original: &Manifest, nonce: Option<&str>) -> Result<String> {
    let config = oci::push_blob(EMPTY_CONFIG)?;
    let manifest = throwaway_manifest(tag, &original.digest, &config, nonce);
    oci::push_manifest(tag, OCI_IMAGE_MANIFEST, &manifest)
}

fn throwaway_manifest(tag: &str, replaces: &str, config: &str, nonce: Option<&str>) -> Vec<u8> {
    let mut annotations = serde_json::json!({
        "io.berth.throwaway": tag,
        "io.berth.replaces": replaces,
    });
    if let Some(nonce) = nonce {
        annotations["io.berth.nonce"] = nonce.into();
    }
    serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.empty.v1+json",
            "digest": config,
            "size": EMPTY_CONFIG.len(),
        },
        "layers": [],
        "annotations": annotations,
    })
    .to_string()
    .into_bytes()
}

/// Puts `tag` back on `original` after `cause` stopped a removal that had
/// moved it ([`move_to_throwaway`]), so the tag is left as it was. Returns
/// `cause`, or, when putting the tag back fails too, an `other` error that
/// says both.
pub fn put_back(tag: &str, original: &Manifest, cause: Error) -> Error {
    match oci::push_manifest(tag, &original.media_type, &original.bytes) {
        Ok(_) => cause,
        Err(again) => Error::Other(format!(
            "{}; putting tag {tag} back on {} also failed: {}",
            cause.message(),
            original.digest,
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
        }

        $crate::__export_plugin!(__BerthExport with_types_in $crate::bindings);
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGINAL: &str =
        "sha256:57583a1b9c0a7509d3417387b4f43acf80d08cdcf5266ac87987be3f8f919d5d";
    const EMPTY: &str = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";

    #[test]
    fn throwaways_name_the_tag_and_what_it_replaces() {
        let bytes = throwaway_manifest("v1.2", ORIGINAL, EMPTY, None);
        let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(v["schemaVersion"], 2);
        assert_eq!(v["mediaType"], OCI_IMAGE_MANIFEST);
        assert_eq!(v["config"]["digest"], EMPTY);
        assert_eq!(v["config"]["size"], 2);
        assert_eq!(v["layers"], serde_json::json!([]));
        assert_eq!(v["annotations"]["io.berth.throwaway"], "v1.2");
        assert_eq!(v["annotations"]["io.berth.replaces"], ORIGINAL);
        assert!(v["annotations"].get("io.berth.nonce").is_none());
        let unique = throwaway_manifest("v1.2", ORIGINAL, EMPTY, Some("17"));
        let v: serde_json::Value = serde_json::from_slice(&unique).unwrap();
        assert_eq!(v["annotations"]["io.berth.nonce"], "17");
    }

    #[test]
    fn throwaway_bytes_are_stable() {
        // The same bytes as one JSON document written out in full, whichever
        // way serde_json orders keys.
        let expected = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.empty.v1+json",
                "digest": EMPTY,
                "size": 2,
            },
            "layers": [],
            "annotations": {
                "io.berth.throwaway": "t",
                "io.berth.replaces": ORIGINAL,
                "io.berth.nonce": "9",
            },
        })
        .to_string();
        let bytes = throwaway_manifest("t", ORIGINAL, EMPTY, Some("9"));
        assert_eq!(String::from_utf8(bytes).unwrap(), expected);
        assert!(!expected.contains(char::is_whitespace));
    }

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

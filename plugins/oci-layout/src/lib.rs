//! OCI image layouts on disk, addressed `oci:DIR`. A tag is the
//! `org.opencontainers.image.ref.name` annotation of an `index.json` entry;
//! manifests and configs are blobs under `blobs/<alg>/<hex>`.

mod digest;
mod index;
mod layout;

use berth_sdk::{
    Access, Capability, Descriptor, Error, Info, Manifest, ManifestEntry, ManifestPage,
    Permissions, Probe, Provider, Removal, Result, Tag, TagPage, Target,
};
use layout::Layout;
use std::collections::HashSet;

struct OciLayout;

impl Provider for OciLayout {
    fn info() -> Info {
        berth_sdk::info(
            "oci-layout",
            env!("CARGO_PKG_VERSION"),
            "OCI image layouts on disk (oci:DIR)",
        )
        .capabilities(&[
            Capability::ListTags,
            Capability::TagDates,
            Capability::DeleteTag,
            Capability::GetManifest,
            Capability::PushManifest,
            Capability::PullBlobs,
            Capability::PushBlobs,
            Capability::Permissions,
            Capability::ListManifests,
            Capability::DeleteManifest,
        ])
        .build()
    }

    /// Reading is the index read; writing, whether the index opens for
    /// writing (every push and removal rewrites it). Nothing is changed.
    fn permissions(target: Target) -> Result<Permissions> {
        let layout = Layout::open(&target)?;
        layout.index()?;
        let writable = layout.index_writable()?;
        let (write, hints) = if writable {
            (Access::Yes, Vec::new())
        } else {
            (
                Access::No,
                vec![format!(
                    "{}/index.json is not writable: pushing and removing tags rewrite it",
                    layout.shown()
                )],
            )
        };
        Ok(Permissions {
            list: Access::Yes,
            push: write,
            delete: write,
            credential_source: None,
            notes: vec![format!(
                "{}/index.json was read, and {} for writing",
                layout.shown(),
                if writable { "opens" } else { "does not open" }
            )],
            hints,
        })
    }

    /// Never chosen by probing: the host picks this provider by the `oci:`
    /// address.
    fn detect(_target: Target, _probe: Option<Probe>) -> u8 {
        0
    }

    /// Every tag in one page; dates come from the entries' creation
    /// annotations.
    fn list_tags(target: Target, _cursor: Option<String>) -> Result<TagPage> {
        let layout = Layout::open(&target)?;
        let index = layout.index()?;
        let mut seen = HashSet::new();
        let mut tags = Vec::new();
        for entry in layout.entries(&index)? {
            let Some(name) = entry.ref_name else { continue };
            if !index::is_tag(name) {
                berth_sdk::log::log(
                    berth_sdk::log::Level::Debug,
                    &format!(
                        "{}: ref name {name:?} is not a tag, skipped",
                        layout.shown()
                    ),
                );
                continue;
            }
            // A repeated name resolves to its first entry, so only that one is listed.
            if seen.insert(name) {
                tags.push(Tag {
                    name: name.to_string(),
                    digest: Some(entry.digest.to_string()),
                    created: entry.created.map(str::to_string),
                });
            }
        }
        Ok(TagPage { tags, next: None })
    }

    fn resolve(target: Target, reference: String) -> Result<Descriptor> {
        resolve(&Layout::open(&target)?, &reference)
    }

    fn get_manifest(target: Target, reference: String) -> Result<Manifest> {
        let layout = Layout::open(&target)?;
        let found = resolve(&layout, &reference)?;
        if found.size > index::MAX_MANIFEST {
            return Err(Error::Invalid(format!(
                "{reference} in {} is {} bytes, too large for a manifest",
                layout.shown(),
                found.size
            )));
        }
        Ok(Manifest {
            bytes: layout.blob(&found.digest)?,
            digest: found.digest,
            media_type: found.media_type,
        })
    }

    fn get_blob(target: Target, digest: String) -> Result<Vec<u8>> {
        Layout::open(&target)?.blob(&digest)
    }

    /// A directory that is not a layout yet has no blobs.
    fn blob_size(target: Target, digest: String) -> Result<Option<u64>> {
        match Layout::open(&target) {
            Ok(layout) => layout.blob_size(&digest),
            Err(Error::NotFound(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn read_blob(target: Target, digest: String, offset: u64, length: u32) -> Result<Vec<u8>> {
        Layout::open(&target)?.read_part(&digest, offset, length)
    }

    fn write_blob(
        target: Target,
        digest: String,
        offset: u64,
        bytes: Vec<u8>,
        last: bool,
    ) -> Result<()> {
        Layout::create(&target)?.write_part(&digest, offset, &bytes, last)
    }

    /// Writes the manifest blob first and the index entry after, so the
    /// index never names a blob the layout lacks.
    fn push_manifest(
        target: Target,
        reference: String,
        media_type: String,
        bytes: Vec<u8>,
    ) -> Result<String> {
        let layout = Layout::create(&target)?;
        let by_digest = digest::is_reference(&reference);
        if !by_digest && !index::is_tag(&reference) {
            let shown: String = reference.chars().take(80).collect();
            return Err(Error::Invalid(format!("invalid tag {shown:?}")));
        }
        let pushed = index::pushed(&bytes, &media_type).map_err(Error::Invalid)?;
        for required in &pushed.requires {
            if layout.blob_size(required)?.is_none() {
                return Err(Error::Invalid(format!(
                    "manifest references blob {required} which the layout does not have"
                )));
            }
        }
        let digest = digest::sha256(&bytes);
        if by_digest && reference != digest {
            return Err(Error::Invalid(format!(
                "manifest digest is {digest}, not {reference}"
            )));
        }
        layout.write_blob(&bytes)?;
        if !by_digest {
            layout.update_index(|index| {
                index::set_tag(
                    index,
                    &reference,
                    &pushed.media_type,
                    &digest,
                    bytes.len() as u64,
                );
                Ok(())
            })?;
        }
        Ok(digest)
    }

    fn list_manifests(target: Target, _cursor: Option<String>) -> Result<ManifestPage> {
        list_manifests(&Layout::open(&target)?)
    }

    fn delete_manifest(target: Target, digest: String) -> Result<()> {
        delete_manifest(&Layout::open(&target)?, &digest)
    }

    /// Removes the tag's index entry only. Blobs stay, whatever `removal`
    /// says: other entries may share them, and collecting unreferenced blobs
    /// is a separate job.
    fn delete_tag(target: Target, tag: String, _removal: Removal) -> Result<()> {
        let layout = Layout::open(&target)?;
        layout.update_index(|index| {
            if index::remove_tag(index, &tag) {
                Ok(())
            } else {
                Err(not_found_tag(&layout, &tag))
            }
        })
    }
}

/// The manifests `index.json` names, one entry per digest with every tag on
/// it, in one page. An index's children are blobs, not entries: the host
/// reads the index for them. Subjects are not in the index, so the entries
/// are not `described`.
fn list_manifests(layout: &Layout) -> Result<ManifestPage> {
    let index = layout.index()?;
    let mut manifests: Vec<ManifestEntry> = Vec::new();
    for entry in layout.entries(&index)? {
        let tag = entry.ref_name.filter(|n| index::is_tag(n));
        match manifests.iter_mut().find(|m| m.digest == entry.digest) {
            Some(found) => found.tags.extend(tag.map(str::to_string)),
            None => manifests.push(ManifestEntry {
                digest: entry.digest.to_string(),
                tags: tag.map(str::to_string).into_iter().collect(),
                media_type: Some(entry.media_type.to_string()),
                subject: None,
                created: entry.created.map(str::to_string),
                described: false,
            }),
        }
    }
    Ok(ManifestPage {
        manifests,
        next: None,
    })
}

/// Drops the digest's index entries, then its manifest blob, so the index
/// never names a missing blob. Its config and layers stay: other manifests
/// may share them.
fn delete_manifest(layout: &Layout, digest: &str) -> Result<()> {
    if !digest::is_reference(digest) {
        return Err(Error::Invalid(format!("{digest:?} is not a digest")));
    }
    let listed = layout.update_index(|index| Ok(index::remove_digest(index, digest)))?;
    let removed = layout.remove_blob(digest)?;
    if listed || removed {
        Ok(())
    } else {
        Err(Error::NotFound(format!(
            "no manifest {digest} in {}",
            layout.shown()
        )))
    }
}

fn not_found_tag(layout: &Layout, tag: &str) -> Error {
    Error::NotFound(format!("tag {tag} is not in {}", layout.shown()))
}

/// A tag resolves to its index entry. A digest resolves to its blob, typed
/// by an index entry for it or else by the manifest's own `mediaType`.
fn resolve(layout: &Layout, reference: &str) -> Result<Descriptor> {
    let index = layout.index()?;
    let entries = layout.entries(&index)?;
    if !digest::is_reference(reference) {
        let entry =
            index::find_tag(&entries, reference).ok_or_else(|| not_found_tag(layout, reference))?;
        return Ok(Descriptor {
            media_type: entry.media_type.to_string(),
            digest: entry.digest.to_string(),
            size: entry.size,
        });
    }
    let not_manifest = || Error::NotFound(format!("no manifest {reference} in {}", layout.shown()));
    let size = layout.blob_size(reference)?.ok_or_else(not_manifest)?;
    let media_type = match index::find_digest(&entries, reference) {
        Some(entry) => entry.media_type.to_string(),
        // A layer can be huge; only something manifest-sized is read.
        None if size <= index::MAX_MANIFEST => {
            index::manifest_media_type(&layout.blob(reference)?).ok_or_else(not_manifest)?
        }
        None => return Err(not_manifest()),
    };
    Ok(Descriptor {
        media_type,
        digest: reference.to_string(),
        size,
    })
}

berth_sdk::provider!(OciLayout);

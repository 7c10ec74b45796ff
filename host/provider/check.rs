//! Plugin results are untrusted input: checked before use, with errors that
//! name the plugin.

use super::{Failure, Manifest, Page, Tag};
use crate::reference::{is_valid_digest, is_valid_tag};
use crate::runtime::v0_1_0::berth::provider::types as wit;

/// More tags than any registry sends in one page.
pub const MAX_PAGE: usize = 100_000;

fn junk(plugin: &str, what: String) -> Failure {
    Failure::Plugin(format!("plugin {plugin} returned {what}"))
}

pub fn page(plugin: &str, page: wit::TagPage) -> Result<Page, Failure> {
    if page.tags.len() > MAX_PAGE {
        return Err(junk(
            plugin,
            format!(
                "a page of {} tags (at most {MAX_PAGE} are accepted)",
                page.tags.len()
            ),
        ));
    }
    let mut tags = Vec::with_capacity(page.tags.len());
    for tag in page.tags {
        if !is_valid_tag(&tag.name) {
            let shown: String = tag.name.chars().take(80).collect();
            return Err(junk(plugin, format!("an invalid tag name {shown:?}")));
        }
        if let Some(d) = &tag.digest {
            digest(plugin, d)?;
        }
        if let Some(c) = &tag.created
            && chrono::DateTime::parse_from_rfc3339(c).is_err()
        {
            return Err(junk(
                plugin,
                format!(
                    "an invalid creation time {:?} for tag {}",
                    trunc(c),
                    tag.name
                ),
            ));
        }
        tags.push(Tag {
            name: tag.name,
            digest: tag.digest,
            created: tag.created,
        });
    }
    if page.next.as_ref().is_some_and(|n| n.len() > 8192) {
        return Err(junk(plugin, "a page cursor longer than 8 KiB".into()));
    }
    Ok(Page {
        tags,
        next: page.next,
    })
}

pub fn digest(plugin: &str, d: &str) -> Result<(), Failure> {
    if is_valid_digest(d) {
        Ok(())
    } else {
        Err(junk(plugin, format!("an invalid digest {:?}", trunc(d))))
    }
}

pub fn manifest(plugin: &str, reference: &str, m: wit::Manifest) -> Result<Manifest, Failure> {
    digest(plugin, &m.digest)?;
    let actual = crate::registry::sha256_digest(&m.bytes);
    if m.digest.starts_with("sha256:") && m.digest != actual {
        return Err(junk(
            plugin,
            format!(
                "manifest bytes for {reference} whose digest is {actual}, not {}",
                m.digest
            ),
        ));
    }
    Ok(Manifest {
        digest: m.digest,
        media_type: m.media_type,
        bytes: m.bytes,
    })
}

fn trunc(s: &str) -> String {
    s.chars().take(80).collect()
}

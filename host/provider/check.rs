//! Plugin results are untrusted input: checked before the host uses them,
//! strings cleaned before they can reach a terminal, digests verified
//! against the bytes, and errors that name the plugin and show what it sent
//! without the secrets it knows.

use super::Failure;
use crate::imports::HostContext;
use crate::model::{
    Descriptor, Manifest, ManifestEntry, OptionSpec, Page, Permissions, PluginInfo, Referrer, Tag,
};
use crate::reference::{is_valid_digest, is_valid_tag};
use crate::text::clean;

/// The plugin a result came from: the label messages name it by, and the
/// host context whose secrets are kept out of what is shown of it.
pub struct Who<'a> {
    pub label: String,
    pub host: &'a HostContext,
}

/// More entries than any registry sends in one page.
pub const MAX_PAGE: usize = 100_000;
/// Longest page cursor accepted.
const MAX_CURSOR: usize = 8192;
/// Longest one-line text (a description, a media type) shown.
const LINE: usize = 200;
/// Most options, notes or hints taken from a plugin.
const MAX_ITEMS: usize = 64;

fn junk(who: &Who, what: String) -> Failure {
    Failure::Plugin(format!("plugin {} returned {what}", who.label))
}

/// Some of what the plugin sent, for a message.
fn shown(who: &Who, s: &str) -> String {
    who.host.redact_to(s, 80)
}

/// A provider name: lower-case letters, digits and `-`, as `--provider`
/// takes it and `BERTH_<NAME>_...` variables are built from it.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
}

pub fn info(who: &Who, info: PluginInfo) -> Result<PluginInfo, Failure> {
    if !is_valid_name(&info.name) {
        return Err(junk(
            who,
            format!(
                "the name {:?} (a provider name is lower-case letters, digits and -)",
                shown(who, &info.name)
            ),
        ));
    }
    if info.options.len() > MAX_ITEMS {
        return Err(junk(who, format!("{} options", info.options.len())));
    }
    let mut options = Vec::with_capacity(info.options.len());
    for o in info.options {
        if !is_valid_name(&o.name) {
            return Err(junk(
                who,
                format!("an option named {:?}", shown(who, &o.name)),
            ));
        }
        options.push(OptionSpec {
            name: o.name,
            description: clean(&o.description, LINE),
            secret: o.secret,
        });
    }
    Ok(PluginInfo {
        name: info.name,
        version: clean(&info.version, 64),
        api: info.api,
        description: clean(&info.description, LINE),
        capabilities: info.capabilities,
        options,
    })
}

fn page_size<T>(who: &Who, page: &Page<T>, what: &str) -> Result<(), Failure> {
    if page.items.len() > MAX_PAGE {
        return Err(junk(
            who,
            format!(
                "a page of {} {what} (at most {MAX_PAGE} are accepted)",
                page.items.len()
            ),
        ));
    }
    if page.next.as_ref().is_some_and(|n| n.len() > MAX_CURSOR) {
        return Err(junk(who, "a page cursor longer than 8 KiB".into()));
    }
    Ok(())
}

fn time(who: &Who, created: &Option<String>, of: &str) -> Result<(), Failure> {
    match created {
        Some(c) if crate::dates::parse(c).is_none() => Err(junk(
            who,
            format!("an invalid creation time {:?} for {of}", shown(who, c)),
        )),
        _ => Ok(()),
    }
}

fn tag_name(who: &Who, name: &str) -> Result<(), Failure> {
    if is_valid_tag(name) {
        Ok(())
    } else {
        Err(junk(
            who,
            format!("an invalid tag name {:?}", shown(who, name)),
        ))
    }
}

pub fn tag_page(who: &Who, page: Page<Tag>) -> Result<Page<Tag>, Failure> {
    page_size(who, &page, "tags")?;
    for tag in &page.items {
        tag_name(who, &tag.name)?;
        if let Some(d) = &tag.digest {
            digest(who, d)?;
        }
        time(who, &tag.created, &format!("tag {}", tag.name))?;
    }
    Ok(page)
}

pub fn manifest_page(who: &Who, page: Page<ManifestEntry>) -> Result<Page<ManifestEntry>, Failure> {
    page_size(who, &page, "manifests")?;
    for m in &page.items {
        digest(who, &m.digest)?;
        for tag in &m.tags {
            tag_name(who, tag)?;
        }
        if let Some(subject) = &m.subject {
            digest(who, subject)?;
        }
        time(who, &m.created, &m.digest)?;
    }
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|m| ManifestEntry {
                media_type: m.media_type.map(|t| clean(&t, LINE)),
                ..m
            })
            .collect(),
        next: page.next,
    })
}

pub fn repository_page(who: &Who, page: Page<String>) -> Result<Page<String>, Failure> {
    page_size(who, &page, "repositories")?;
    for name in &page.items {
        if !crate::reference::is_valid_path(name) {
            return Err(junk(
                who,
                format!("an invalid repository name {:?}", shown(who, name)),
            ));
        }
    }
    Ok(page)
}

pub fn digest(who: &Who, d: &str) -> Result<(), Failure> {
    if is_valid_digest(d) {
        Ok(())
    } else {
        Err(junk(who, format!("an invalid digest {:?}", shown(who, d))))
    }
}

/// Asked by digest, the answer must be about that digest.
fn same_digest(who: &Who, reference: &str, digest: &str) -> Result<(), Failure> {
    if reference.contains(':') && reference != digest {
        return Err(junk(who, format!("{digest} when asked for {reference}")));
    }
    Ok(())
}

pub fn descriptor(who: &Who, reference: &str, d: Descriptor) -> Result<Descriptor, Failure> {
    digest(who, &d.digest)?;
    same_digest(who, reference, &d.digest)?;
    Ok(Descriptor {
        media_type: clean(&d.media_type, LINE),
        ..d
    })
}

/// The bytes must have the digest the plugin claims, and the one asked for.
pub fn manifest(who: &Who, reference: &str, m: Manifest) -> Result<Manifest, Failure> {
    digest(who, &m.digest)?;
    same_digest(who, reference, &m.digest)?;
    if let Err(why) = crate::digest::verify(&m.digest, &m.bytes) {
        return Err(junk(who, format!("manifest bytes for {reference}: {why}")));
    }
    Ok(Manifest {
        media_type: clean(&m.media_type, LINE),
        ..m
    })
}

pub fn blob(who: &Who, digest: &str, bytes: Vec<u8>) -> Result<Vec<u8>, Failure> {
    match crate::digest::verify(digest, &bytes) {
        Ok(()) => Ok(bytes),
        Err(why) => Err(junk(who, format!("blob {digest}: {why}"))),
    }
}

pub fn referrers(who: &Who, referrers: Vec<Referrer>) -> Result<Vec<Referrer>, Failure> {
    if referrers.len() > MAX_PAGE {
        return Err(junk(who, format!("{} referrers", referrers.len())));
    }
    referrers
        .into_iter()
        .map(|r| {
            digest(who, &r.digest)?;
            Ok(Referrer {
                media_type: clean(&r.media_type, LINE),
                artifact_type: r.artifact_type.map(|t| clean(&t, LINE)),
                annotations: r
                    .annotations
                    .into_iter()
                    .take(MAX_ITEMS)
                    .map(|(k, v)| (clean(&k, LINE), clean(&v, 1000)))
                    .collect(),
                ..r
            })
        })
        .collect()
}

pub fn permissions(who: &Who, p: Permissions) -> Permissions {
    let lines = |v: Vec<String>| {
        v.iter()
            .take(MAX_ITEMS)
            .map(|l| who.host.redact_to(l, 300))
            .collect()
    };
    Permissions {
        credential_source: p.credential_source.map(|s| who.host.redact_to(&s, LINE)),
        notes: lines(p.notes),
        hints: lines(p.hints),
        ..p
    }
}

//! Images that must stay (`--in-use FILE|-`): references or digests, one a
//! line, or the pods of `kubectl get pods -A -o json`. A digest protects the
//! manifest with that digest in every repository; a tag protects that tag of
//! its repository (and, through its digest, the image).

mod kubectl;

use crate::error::{Error, Result};
use crate::reference::{Reference, is_valid_digest, parse_manifest};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

/// Most bytes an in-use document may have.
const MAX_BYTES: u64 = 256 << 20;

#[derive(Debug, Default, Clone)]
pub struct InUse {
    /// Canonical repository → its tags in use.
    tags: BTreeMap<String, BTreeSet<String>>,
    digests: BTreeSet<String>,
}

impl InUse {
    /// Reads `source`, a file or `-` for stdin; bad input is a usage error.
    pub fn read(source: &str) -> Result<InUse> {
        let mut text = String::new();
        let read = if source == "-" {
            std::io::stdin().take(MAX_BYTES).read_to_string(&mut text)
        } else {
            std::fs::File::open(source).and_then(|f| f.take(MAX_BYTES).read_to_string(&mut text))
        };
        read.map_err(|e| Error::usage(format!("cannot read --in-use {source}: {e}")))?;
        InUse::parse(&text).map_err(|e| {
            Error::usage(format!("--in-use {source}: {e}")).hint(
                "give lines REPO:TAG, REPO@DIGEST or sha256:..., or `kubectl get pods -A -o json`",
            )
        })
    }

    pub fn parse(text: &str) -> std::result::Result<InUse, String> {
        let mut in_use = InUse::default();
        if text.trim_start().starts_with('{') {
            for image in kubectl::images(text)? {
                in_use.add(&image, true)?;
            }
        } else {
            for (n, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                in_use
                    .add(line, false)
                    .map_err(|e| format!("line {}: {e}", n + 1))?;
            }
        }
        Ok(in_use)
    }

    /// Adds everything `other` names.
    pub fn extend(&mut self, other: &InUse) {
        for (repo, tags) in &other.tags {
            self.tags
                .entry(repo.clone())
                .or_default()
                .extend(tags.iter().cloned());
        }
        self.digests.extend(other.digests.iter().cloned());
    }

    pub fn is_empty(&self) -> bool {
        self.tags.is_empty() && self.digests.is_empty()
    }

    /// Whether `repo:tag` is named as in use.
    pub fn names(&self, repo: &str, tag: &str) -> bool {
        self.tags.get(repo).is_some_and(|t| t.contains(tag))
    }

    pub fn has_digest(&self, digest: &str) -> bool {
        self.digests.contains(digest)
    }

    /// Adds one reference. A kubelet's `imageID` may carry a scheme
    /// (`docker-pullable://`), and an image both a tag and a digest; an image
    /// without either means `latest`, as the kubelet reads it.
    fn add(&mut self, text: &str, lenient: bool) -> std::result::Result<(), String> {
        let text = text.split_once("://").map_or(text, |(_, rest)| rest);
        if is_valid_digest(text) {
            self.digests.insert(text.to_string());
            return Ok(());
        }
        let (named, digest) = match text.rsplit_once('@') {
            Some((named, digest)) if is_valid_digest(digest) => (named, Some(digest)),
            Some(_) => return Err(format!("{text:?} has an invalid digest")),
            None => (text, None),
        };
        if let Some(digest) = digest {
            self.digests.insert(digest.to_string());
            if !has_tag(named) {
                return Ok(());
            }
        }
        let with_tag = if lenient && !has_tag(named) {
            format!("{named}:latest")
        } else {
            named.to_string()
        };
        let parsed = parse_manifest(&with_tag).map_err(|e| e.to_string())?;
        match parsed.reference {
            Reference::Tag(tag) => {
                self.tags
                    .entry(parsed.address.canonical())
                    .or_default()
                    .insert(tag);
            }
            Reference::Digest(d) => {
                self.digests.insert(d);
            }
        }
        Ok(())
    }
}

/// Whether a reference without digest names a tag: a `:` after the last `/`.
fn has_tag(named: &str) -> bool {
    named
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    #[test]
    fn lines_name_tags_and_digests() {
        let text = format!(
            "# running\nlocalhost:5000/app:v1\nlocalhost:5000/app@{}\n{}\nnginx:1.25\n",
            d('a'),
            d('b')
        );
        let u = InUse::parse(&text).unwrap();
        assert!(u.names("localhost:5000/app", "v1"));
        assert!(!u.names("localhost:5000/app", "v2"));
        assert!(u.names("docker.io/library/nginx", "1.25"));
        assert!(u.has_digest(&d('a')) && u.has_digest(&d('b')));
        assert!(
            InUse::parse("localhost:5000/app").is_err(),
            "no tag or digest"
        );
        assert!(InUse::parse("app@sha256:12").is_err());
    }

    #[test]
    fn image_ids_with_schemes_and_both_tag_and_digest() {
        let mut u = InUse::default();
        u.add(
            &format!("docker-pullable://localhost:5000/app@{}", d('c')),
            true,
        )
        .unwrap();
        u.add(&format!("localhost:5000/app:v2@{}", d('e')), true)
            .unwrap();
        u.add("localhost:5000/app", true).unwrap();
        assert!(u.has_digest(&d('c')) && u.has_digest(&d('e')));
        assert!(u.names("localhost:5000/app", "v2"));
        assert!(u.names("localhost:5000/app", "latest"));
    }
}

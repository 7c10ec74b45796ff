//! What a manifest references, read from its JSON: the children of an
//! index, the config and layers of an image, the blobs of an artifact.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// One descriptor a manifest names.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    #[serde(default)]
    pub media_type: String,
    pub digest: String,
    pub size: u64,
    pub platform: Option<Platform>,
    /// Foreign layers are fetched from elsewhere, never copied.
    #[serde(default)]
    pub urls: Vec<String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    pub variant: Option<String>,
}

impl Platform {
    /// `os/arch[/variant]`; `None` when it has no `/`.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.split('/');
        let os = parts.next().filter(|p| !p.is_empty())?;
        let architecture = parts.next().filter(|p| !p.is_empty())?;
        let variant = parts.next().map(str::to_string);
        if parts.next().is_some() {
            return None;
        }
        Some(Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant,
        })
    }

    /// Whether `self` (an index entry's platform) is what `wanted` asks;
    /// a request without variant takes any variant.
    pub fn matches(&self, wanted: &Platform) -> bool {
        self.os == wanted.os
            && self.architecture == wanted.architecture
            && (wanted.variant.is_none() || self.variant == wanted.variant)
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        match &self.variant {
            Some(v) => write!(f, "/{v}"),
            None => Ok(()),
        }
    }
}

/// What one manifest references.
#[derive(Debug, Default)]
pub struct Refs {
    /// Manifests of an index.
    pub children: Vec<Entry>,
    /// Config and layers (or an artifact's blobs).
    pub blobs: Vec<Entry>,
}

#[derive(Deserialize)]
struct Document {
    #[serde(default)]
    manifests: Vec<Entry>,
    config: Option<Entry>,
    #[serde(default)]
    layers: Vec<Entry>,
    #[serde(default)]
    blobs: Vec<Entry>,
}

/// The references of a manifest; an error says why it is not one.
pub fn refs(bytes: &[u8]) -> Result<Refs, String> {
    let doc: Document =
        serde_json::from_slice(bytes).map_err(|e| format!("not a manifest berth can read: {e}"))?;
    let blobs = doc
        .config
        .into_iter()
        .chain(doc.layers)
        .chain(doc.blobs)
        .filter(|b| b.urls.is_empty())
        .collect::<Vec<_>>();
    for entry in doc.manifests.iter().chain(&blobs) {
        if !crate::reference::is_valid_digest(&entry.digest) {
            let shown: String = entry.digest.chars().take(80).collect();
            return Err(format!("it names an invalid digest {shown:?}"));
        }
    }
    Ok(Refs {
        children: doc.manifests,
        blobs,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_match() {
        let arm = Platform::parse("linux/arm64/v8").unwrap();
        assert_eq!(arm.to_string(), "linux/arm64/v8");
        assert!(arm.matches(&Platform::parse("linux/arm64").unwrap()));
        assert!(!arm.matches(&Platform::parse("linux/arm64/v7").unwrap()));
        assert!(Platform::parse("linux").is_none());
        assert!(Platform::parse("linux/").is_none());
        assert!(Platform::parse("a/b/c/d").is_none());
    }

    #[test]
    fn images_indexes_and_artifacts() {
        let d = |c: char| format!("sha256:{}", c.to_string().repeat(64));
        let image = format!(
            r#"{{"config":{{"digest":"{}","size":2}},"layers":[{{"digest":"{}","size":3}},
            {{"digest":"{}","size":4,"urls":["https://x"]}}],"subject":{{"digest":"{}","size":5}}}}"#,
            d('a'),
            d('b'),
            d('c'),
            d('e')
        );
        let refs = refs(image.as_bytes()).unwrap();
        let blobs: Vec<_> = refs.blobs.iter().map(|b| b.digest.clone()).collect();
        assert_eq!(blobs, [d('a'), d('b')]);
        let index = format!(
            r#"{{"manifests":[{{"digest":"{}","size":1,"platform":{{"os":"linux","architecture":"amd64"}}}}]}}"#,
            d('f')
        );
        let refs = super::refs(index.as_bytes()).unwrap();
        assert_eq!(
            refs.children[0].platform.as_ref().unwrap().to_string(),
            "linux/amd64"
        );
        assert!(super::refs(br#"{"layers":[{"digest":"../x","size":1}]}"#).is_err());
    }
}

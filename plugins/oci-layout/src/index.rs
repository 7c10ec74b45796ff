//! `index.json` and manifests as JSON values: reading entries, and rewriting
//! the index while keeping every entry and field it does not change.

use crate::digest;
use berth_sdk::time;
use serde_json::{Map, Value, json};

pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
pub const CREATED: &str = "org.opencontainers.image.created";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Manifests are small; a larger blob is taken for a layer, not read as one.
pub const MAX_MANIFEST: u64 = 4 << 20;

/// One descriptor of `manifests`, checked.
#[derive(Debug, PartialEq)]
pub struct Entry<'a> {
    pub media_type: &'a str,
    pub digest: &'a str,
    pub size: u64,
    pub ref_name: Option<&'a str>,
    /// The creation annotation, only when it is valid RFC 3339.
    pub created: Option<&'a str>,
}

/// The tag grammar of the distribution spec. Ref names may be more (some
/// tools write whole references); those are not offered as tags, since the
/// host would refuse them.
pub fn is_tag(name: &str) -> bool {
    let mut bytes = name.bytes();
    name.len() <= 128
        && bytes
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Parses `index.json`: an object with a `manifests` array.
pub fn parse(bytes: &[u8]) -> Result<Value, String> {
    let index: Value = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if !index.get("manifests").is_some_and(Value::is_array) {
        return Err("no \"manifests\" array".into());
    }
    Ok(index)
}

/// The index of a layout that has none yet.
pub fn empty() -> Value {
    json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []})
}

pub fn to_bytes(index: &Value) -> Vec<u8> {
    serde_json::to_vec(index).expect("a JSON value serialises")
}

fn manifests(index: &Value) -> &[Value] {
    index["manifests"].as_array().map_or(&[], Vec::as_slice)
}

fn manifests_mut(index: &mut Value) -> &mut Vec<Value> {
    index["manifests"]
        .as_array_mut()
        .expect("parse checked the manifests array")
}

fn annotation<'a>(entry: &'a Value, key: &str) -> Option<&'a str> {
    entry.get("annotations")?.get(key)?.as_str()
}

/// Every entry, checked; a malformed one is an error naming its position.
pub fn entries(index: &Value) -> Result<Vec<Entry<'_>>, String> {
    manifests(index)
        .iter()
        .enumerate()
        .map(|(i, value)| entry(value).ok_or_else(|| describe_bad_entry(i, value)))
        .collect()
}

fn entry(value: &Value) -> Option<Entry<'_>> {
    let digest = value.get("digest")?.as_str()?;
    Some(Entry {
        media_type: value.get("mediaType")?.as_str()?,
        digest: digest::is_valid(digest).then_some(digest)?,
        size: value.get("size")?.as_u64()?,
        ref_name: annotation(value, REF_NAME),
        created: annotation(value, CREATED).filter(|c| time::is_rfc3339(c)),
    })
}

fn describe_bad_entry(i: usize, value: &Value) -> String {
    let tag = annotation(value, REF_NAME).map_or(String::new(), |t| format!(" (tag {t})"));
    format!("manifests[{i}]{tag} needs a mediaType, a sha256 or sha512 digest, and a size")
}

/// The entry a tag names; the first one if the index repeats the name.
pub fn find_tag<'e, 'a>(entries: &'e [Entry<'a>], tag: &str) -> Option<&'e Entry<'a>> {
    entries.iter().find(|e| e.ref_name == Some(tag))
}

/// The first entry for a digest, whatever its name.
pub fn find_digest<'e, 'a>(entries: &'e [Entry<'a>], digest: &str) -> Option<&'e Entry<'a>> {
    entries.iter().find(|e| e.digest == digest)
}

/// Points `tag` at a descriptor: the first entry with that name is replaced
/// in place, later duplicates are dropped so the tag is unambiguous, and
/// otherwise a new entry is appended.
pub fn set_tag(index: &mut Value, tag: &str, media_type: &str, digest: &str, size: u64) {
    let new = json!({
        "mediaType": media_type,
        "digest": digest,
        "size": size,
        "annotations": {REF_NAME: tag},
    });
    let manifests = manifests_mut(index);
    let mut new = Some(new);
    let mut kept = Vec::with_capacity(manifests.len() + 1);
    for entry in manifests.drain(..) {
        if annotation(&entry, REF_NAME) != Some(tag) {
            kept.push(entry);
        } else if let Some(new) = new.take() {
            kept.push(new);
        }
    }
    kept.extend(new);
    *manifests = kept;
}

/// Drops every entry named `tag` and nothing else; false when there was none.
pub fn remove_tag(index: &mut Value, tag: &str) -> bool {
    let manifests = manifests_mut(index);
    let before = manifests.len();
    manifests.retain(|entry| annotation(entry, REF_NAME) != Some(tag));
    manifests.len() != before
}

/// Drops every entry for `digest`, tagged or not; false when there was none.
pub fn remove_digest(index: &mut Value, digest: &str) -> bool {
    let manifests = manifests_mut(index);
    let before = manifests.len();
    manifests.retain(|entry| entry.get("digest").and_then(Value::as_str) != Some(digest));
    manifests.len() != before
}

/// What a manifest being pushed is and needs.
#[derive(Debug, PartialEq)]
pub struct Pushed {
    pub media_type: String,
    /// Config and layers of an image, children of an index: blobs that must
    /// already be in the layout.
    pub requires: Vec<String>,
}

/// Checks a manifest about to be pushed. The media type is the one given,
/// else the document's own `mediaType`; the two must agree when both are set.
pub fn pushed(bytes: &[u8], media_type: &str) -> Result<Pushed, String> {
    let doc: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("manifest is not JSON: {e}"))?;
    let doc = doc.as_object().ok_or("manifest is not a JSON object")?;
    let own = doc.get("mediaType").and_then(Value::as_str);
    let media_type = match (media_type, own) {
        ("", Some(own)) => own,
        ("", None) => return Err("manifest has no media type".into()),
        (given, Some(own)) if given != own => {
            return Err(format!(
                "manifest says its mediaType is {own} but was pushed as {given}"
            ));
        }
        (given, _) => given,
    };
    let mut requires = Vec::new();
    if let Some(config) = doc.get("config") {
        requires.push(descriptor_digest(config, "config")?);
    }
    for (field, what) in [("layers", "layer"), ("manifests", "manifest")] {
        let Some(list) = doc.get(field) else { continue };
        let list = list
            .as_array()
            .ok_or_else(|| format!("manifest's {field} is not a list"))?;
        for descriptor in list {
            // Foreign layers are fetched from their URLs, never stored locally.
            if descriptor
                .get("urls")
                .and_then(Value::as_array)
                .is_some_and(|urls| !urls.is_empty())
            {
                continue;
            }
            requires.push(descriptor_digest(descriptor, what)?);
        }
    }
    Ok(Pushed {
        media_type: media_type.to_string(),
        requires,
    })
}

fn descriptor_digest(descriptor: &Value, what: &str) -> Result<String, String> {
    descriptor
        .get("digest")
        .and_then(Value::as_str)
        .filter(|d| digest::is_valid(d))
        .map(str::to_string)
        .ok_or_else(|| format!("manifest has a {what} without a sha256 or sha512 digest"))
}

/// The media type a stored manifest declares, or the one its shape implies.
/// An image config also has a `config` object, but not a descriptor in it.
pub fn manifest_media_type(bytes: &[u8]) -> Option<String> {
    let doc: Map<String, Value> = serde_json::from_slice(bytes).ok()?;
    if let Some(own) = doc.get("mediaType").and_then(Value::as_str) {
        return Some(own.to_string());
    }
    if doc.get("manifests").is_some_and(Value::is_array) {
        Some(OCI_INDEX.into())
    } else if doc
        .get("config")
        .and_then(|config| config.get("digest"))
        .is_some_and(Value::is_string)
    {
        Some(OCI_MANIFEST.into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(c: char) -> String {
        format!("sha256:{}", c.to_string().repeat(64))
    }

    fn sample() -> Vec<u8> {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{a}","size":10,"annotations":{{"{REF_NAME}":"v1","{CREATED}":"2025-01-02T03:04:05Z","x.keep":"yes"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{a}","size":10,"annotations":{{"{REF_NAME}":"latest","{CREATED}":"last tuesday"}}}},{{"mediaType":"{OCI_MANIFEST}","digest":"{b}","size":20,"platform":{{"os":"linux"}}}}],"annotations":{{"z":"1","a":"2"}},"zz.extra":[1,2.5,"x"]}}"#,
            a = d('a'),
            b = d('b'),
        )
        .into_bytes()
    }

    #[test]
    fn tag_grammar() {
        for ok in ["v1", "latest", "_x", "1.2.3-rc.1_b", &"a".repeat(128)] {
            assert!(is_tag(ok), "{ok}");
        }
        for bad in [
            "",
            ".v",
            "-v",
            "a:b",
            "a/b",
            "docker.io/x:y",
            "é",
            &"a".repeat(129),
        ] {
            assert!(!is_tag(bad), "{bad}");
        }
    }

    #[test]
    fn reads_entries() {
        let index = parse(&sample()).unwrap();
        let entries = entries(&index).unwrap();
        assert_eq!(entries.len(), 3);
        assert_eq!(entries[0].ref_name, Some("v1"));
        assert_eq!(entries[0].created, Some("2025-01-02T03:04:05Z"));
        assert_eq!(entries[1].ref_name, Some("latest"));
        assert_eq!(entries[1].created, None, "invalid dates are dropped");
        assert_eq!(entries[2].ref_name, None);
        assert_eq!(entries[2].size, 20);
        assert_eq!(find_tag(&entries, "latest"), Some(&entries[1]));
        assert_eq!(find_tag(&entries, "nope"), None);
        assert_eq!(find_digest(&entries, &d('a')), Some(&entries[0]));
        assert_eq!(find_digest(&entries, &d('c')), None);
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"{").is_err());
        assert!(parse(b"{\"schemaVersion\":2}").is_err());
        assert!(parse(b"[]").is_err());
        let index = parse(
            format!(r#"{{"manifests":[{{"mediaType":"m","digest":"sha256:../x","size":1,"annotations":{{"{REF_NAME}":"t"}}}}]}}"#)
                .as_bytes(),
        )
        .unwrap();
        let err = entries(&index).unwrap_err();
        assert!(err.contains("manifests[0] (tag t)"), "{err}");
    }

    #[test]
    fn unchanged_index_round_trips_byte_for_byte() {
        let bytes = sample();
        assert_eq!(to_bytes(&parse(&bytes).unwrap()), bytes);
    }

    #[test]
    fn removes_only_the_named_tag() {
        let mut index = parse(&sample()).unwrap();
        assert!(remove_tag(&mut index, "latest"));
        let entries = entries(&index).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].ref_name, Some("v1"));
        assert_eq!(entries[0].digest, d('a'), "same digest, other tag: kept");
        assert_eq!(entries[1].digest, d('b'));
        let text = String::from_utf8(to_bytes(&index)).unwrap();
        assert!(text.contains(r#""x.keep":"yes""#));
        assert!(text.contains(r#""platform":{"os":"linux"}"#));
        assert!(text.ends_with(r#""annotations":{"z":"1","a":"2"},"zz.extra":[1,2.5,"x"]}"#));
        assert!(!remove_tag(&mut index, "latest"));
        assert!(!remove_tag(&mut index, "v"));
    }

    #[test]
    fn removes_duplicated_names() {
        let mut index = empty();
        set_tag(&mut index, "a", OCI_MANIFEST, &d('1'), 1);
        let first = manifests(&index)[0].clone();
        manifests_mut(&mut index).push(first);
        set_tag(&mut index, "b", OCI_MANIFEST, &d('2'), 2);
        assert!(remove_tag(&mut index, "a"));
        let entries = entries(&index).unwrap();
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].ref_name, Some("b"));
    }

    #[test]
    fn sets_tags_in_place_or_appends() {
        let mut index = parse(&sample()).unwrap();
        set_tag(&mut index, "latest", OCI_INDEX, &d('c'), 30);
        set_tag(&mut index, "new", OCI_MANIFEST, &d('b'), 20);
        let entries = entries(&index).unwrap();
        let names: Vec<_> = entries.iter().map(|e| e.ref_name).collect();
        assert_eq!(names, [Some("v1"), Some("latest"), None, Some("new")]);
        assert_eq!(
            entries[1],
            Entry {
                media_type: OCI_INDEX,
                digest: &d('c'),
                size: 30,
                ref_name: Some("latest"),
                created: None,
            }
        );
        assert_eq!(entries[0].digest, d('a'));
    }

    #[test]
    fn setting_a_duplicated_name_leaves_one() {
        let mut index = empty();
        set_tag(&mut index, "t", OCI_MANIFEST, &d('1'), 1);
        set_tag(&mut index, "u", OCI_MANIFEST, &d('2'), 1);
        let first = manifests(&index)[0].clone();
        manifests_mut(&mut index).push(first);
        set_tag(&mut index, "t", OCI_MANIFEST, &d('3'), 3);
        let entries = entries(&index).unwrap();
        let got: Vec<_> = entries.iter().map(|e| (e.ref_name, e.digest)).collect();
        assert_eq!(got, [(Some("t"), d('3').as_str()), (Some("u"), &d('2'))]);
    }

    #[test]
    fn pushed_image_needs_config_and_layers() {
        let image = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"c","digest":"{c}","size":2}},"layers":[{{"mediaType":"l","digest":"{l}","size":3}},{{"mediaType":"f","digest":"{f}","size":4,"urls":["https://example.com/f"]}}]}}"#,
            c = d('c'),
            l = d('1'),
            f = d('f'),
        );
        let pushed = pushed(image.as_bytes(), OCI_MANIFEST).unwrap();
        assert_eq!(pushed.media_type, OCI_MANIFEST);
        assert_eq!(pushed.requires, [d('c'), d('1')]);
        assert_eq!(
            super::pushed(image.as_bytes(), "").unwrap().media_type,
            OCI_MANIFEST
        );
        let err = super::pushed(image.as_bytes(), OCI_INDEX).unwrap_err();
        assert!(err.contains("but was pushed as"), "{err}");
    }

    #[test]
    fn pushed_index_needs_children() {
        let list = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"{OCI_MANIFEST}","digest":"{a}","size":2}}]}}"#,
            a = d('a'),
        );
        let pushed = pushed(list.as_bytes(), OCI_INDEX).unwrap();
        assert_eq!(pushed.requires, [d('a')]);
        assert!(super::pushed(list.as_bytes(), "").is_err(), "no media type");
    }

    #[test]
    fn pushed_rejects_junk() {
        assert!(pushed(b"not json", OCI_MANIFEST).is_err());
        assert!(pushed(b"[]", OCI_MANIFEST).is_err());
        assert!(pushed(br#"{"config":{"digest":"sha256:x"}}"#, OCI_MANIFEST).is_err());
        assert!(pushed(br#"{"layers":{}}"#, OCI_MANIFEST).is_err());
    }

    #[test]
    fn media_type_of_stored_manifests() {
        assert_eq!(
            manifest_media_type(br#"{"mediaType":"x/y","manifests":[]}"#).as_deref(),
            Some("x/y")
        );
        assert_eq!(
            manifest_media_type(br#"{"manifests":[]}"#).as_deref(),
            Some(OCI_INDEX)
        );
        assert_eq!(
            manifest_media_type(br#"{"config":{"digest":"sha256:x"},"layers":[]}"#).as_deref(),
            Some(OCI_MANIFEST)
        );
        let image_config = br#"{"architecture":"amd64","os":"linux","config":{"Cmd":["/x"]}}"#;
        assert_eq!(manifest_media_type(image_config), None);
        assert_eq!(manifest_media_type(b"\x1f\x8b binary layer"), None);
        assert_eq!(manifest_media_type(b"{}"), None);
    }
}

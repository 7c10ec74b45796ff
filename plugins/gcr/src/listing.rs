//! GCR's tag list: the standard `name` and `tags`, plus a `manifest` map
//! from digest to `{imageSizeBytes, layerId, mediaType, tag: [...],
//! timeCreatedMs, timeUploadedMs}`. Times are milliseconds since 1970,
//! written as strings by GCR and as numbers by Artifact Registry; `"0"`
//! means unknown. The map lists every manifest of the repository, untagged
//! ones (`tag: []`) and the children of indexes too, which is what
//! `--untagged` needs.

use berth_sdk::{ManifestEntry, Tag};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

#[derive(Deserialize)]
struct TagList {
    #[serde(default)]
    tags: Option<Vec<String>>,
    #[serde(default)]
    manifest: Option<BTreeMap<String, Value>>,
}

/// What the map says about one manifest.
struct Entry {
    digest: String,
    created: Option<String>,
}

/// Every tag of the list in its order, with the digest and date the map
/// gives it. Map entries that do not parse are ignored, so one odd entry
/// costs only its own tags' digests.
pub fn tags(body: &[u8]) -> Result<Vec<Tag>, serde_json::Error> {
    let list: TagList = serde_json::from_slice(body)?;
    let mut by_tag: HashMap<String, Entry> = HashMap::new();
    for (digest, info) in list.manifest.unwrap_or_default() {
        if !berth_sdk::is_digest(&digest) {
            continue;
        }
        let created = created(&info);
        let names = info.get("tag").and_then(Value::as_array);
        for name in names.into_iter().flatten().filter_map(Value::as_str) {
            by_tag.entry(name.to_string()).or_insert_with(|| Entry {
                digest: digest.clone(),
                created: created.clone(),
            });
        }
    }
    Ok(list
        .tags
        .unwrap_or_default()
        .into_iter()
        .map(|name| {
            let entry = by_tag.remove(&name);
            Tag {
                digest: entry.as_ref().map(|e| e.digest.clone()),
                created: entry.and_then(|e| e.created),
                name,
            }
        })
        .collect())
}

/// Every manifest of the map with its tags, media type and date. The map
/// does not say a manifest's `subject`, so none is `described`.
pub fn manifests(body: &[u8]) -> Result<Vec<ManifestEntry>, serde_json::Error> {
    let list: TagList = serde_json::from_slice(body)?;
    Ok(list
        .manifest
        .unwrap_or_default()
        .into_iter()
        .filter(|(digest, _)| berth_sdk::is_digest(digest))
        .map(|(digest, info)| ManifestEntry {
            tags: info
                .get("tag")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect(),
            media_type: info
                .get("mediaType")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string),
            subject: None,
            created: created(&info),
            described: false,
            digest,
        })
        .collect())
}

/// `timeCreatedMs`, else `timeUploadedMs`, as RFC 3339; none when both are
/// absent or zero.
fn created(info: &Value) -> Option<String> {
    ["timeCreatedMs", "timeUploadedMs"]
        .iter()
        .filter_map(|field| millis(info.get(field)?))
        .find(|ms| *ms > 0)
        .and_then(|ms| berth_sdk::time::from_unix(ms as f64 / 1000.0))
}

fn millis(value: &Value) -> Option<i64> {
    match value {
        Value::String(s) => s.trim().parse().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn digests_and_dates_from_the_map() {
        let body = serde_json::json!({
            "child": [],
            "manifest": {
                A: {"imageSizeBytes": "10", "layerId": "", "mediaType": "x",
                    "tag": ["v1", "latest"], "timeCreatedMs": "1700000000123",
                    "timeUploadedMs": "1700000500000"},
                B: {"tag": ["idx"], "timeCreatedMs": "0", "timeUploadedMs": 1600000000000i64},
                "sha256:short": {"tag": ["odd"], "timeCreatedMs": "1"},
            },
            "name": "p/app",
            "tags": ["idx", "latest", "odd", "untracked", "v1"],
        });
        let tags = tags(&serde_json::to_vec(&body).unwrap()).unwrap();
        let find = |n: &str| tags.iter().find(|t| t.name == n).unwrap();
        assert_eq!(tags.len(), 5);
        assert_eq!(find("v1").digest.as_deref(), Some(A));
        assert_eq!(find("latest").digest.as_deref(), Some(A));
        assert_eq!(
            find("v1").created.as_deref(),
            Some("2023-11-14T22:13:20.123Z")
        );
        assert_eq!(find("idx").digest.as_deref(), Some(B));
        assert_eq!(find("idx").created.as_deref(), Some("2020-09-13T12:26:40Z"));
        assert_eq!(find("odd").digest, None);
        assert_eq!(find("untracked").digest, None);
        assert_eq!(find("untracked").created, None);
    }

    #[test]
    fn a_plain_tag_list_is_enough() {
        let tags = tags(br#"{"name":"app","tags":["a","b"]}"#).unwrap();
        assert_eq!(tags.len(), 2);
        assert!(
            tags.iter()
                .all(|t| t.digest.is_none() && t.created.is_none())
        );
        assert!(
            super::tags(br#"{"name":"app","tags":null}"#)
                .unwrap()
                .is_empty()
        );
        assert!(super::tags(b"<html>").is_err());
    }

    #[test]
    fn every_manifest_of_the_map_untagged_ones_too() {
        let body = serde_json::json!({
            "manifest": {
                B: {"mediaType": "application/vnd.oci.image.index.v1+json", "tag": ["multi"],
                    "timeCreatedMs": "0", "timeUploadedMs": "1600000000000"},
                A: {"mediaType": "application/vnd.oci.image.manifest.v1+json", "tag": [],
                    "timeCreatedMs": 1700000000000i64},
                "sha256:short": {"tag": []},
                "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc":
                    {"mediaType": "", "tag": "not a list", "timeCreatedMs": "soon"},
            },
            "name": "p/app",
            "tags": ["multi"],
        });
        let entries = manifests(&serde_json::to_vec(&body).unwrap()).unwrap();
        let digests: Vec<&str> = entries.iter().map(|e| e.digest.as_str()).collect();
        assert_eq!(digests.len(), 3, "{digests:?}");
        let find = |d: &str| entries.iter().find(|e| e.digest == d).unwrap();
        let untagged = find(A);
        assert!(untagged.tags.is_empty());
        assert_eq!(
            untagged.media_type.as_deref(),
            Some("application/vnd.oci.image.manifest.v1+json")
        );
        assert_eq!(untagged.created.as_deref(), Some("2023-11-14T22:13:20Z"));
        let index = find(B);
        assert_eq!(index.tags, ["multi"]);
        assert_eq!(index.created.as_deref(), Some("2020-09-13T12:26:40Z"));
        let odd = find("sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
        assert!(odd.tags.is_empty() && odd.media_type.is_none() && odd.created.is_none());
        assert!(entries.iter().all(|e| e.subject.is_none() && !e.described));
        assert!(
            manifests(br#"{"name":"app","tags":["a"]}"#)
                .unwrap()
                .is_empty()
        );
        assert!(manifests(b"<html>").is_err());
    }

    #[test]
    fn unknown_times_stay_unknown() {
        let info = serde_json::json!({"timeCreatedMs": "0", "timeUploadedMs": "0"});
        assert_eq!(created(&info), None);
        assert_eq!(created(&serde_json::json!({})), None);
        let garbage = serde_json::json!({"timeCreatedMs": "soon", "timeUploadedMs": true});
        assert_eq!(created(&garbage), None);
    }
}

//! When a tag's image was created: from the provider when it knows, else the
//! image config's `created`, else the manifest's
//! `org.opencontainers.image.created` annotation. Lookups run concurrently;
//! tags on one known digest share one manifest fetch, and images sharing a
//! config share one config fetch.

use crate::model::Tag;
use crate::provider::Provider;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Found = Option<DateTime<Utc>>;

#[derive(Deserialize)]
struct Document {
    config: Option<Descriptor>,
    manifests: Option<Vec<Descriptor>>,
    annotations: Option<HashMap<String, String>>,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
}

#[derive(Deserialize)]
struct Config {
    created: Option<String>,
}

const ANNOTATION: &str = "org.opencontainers.image.created";

/// An RFC 3339 time, as [`berth_parse::time`] reads it.
pub fn parse(text: &str) -> Found {
    let instant = berth_parse::time::parse(text)?;
    DateTime::from_timestamp(instant.seconds(), instant.nanos())
}

/// One lookup per key, however many tasks ask for it.
#[derive(Default)]
struct Memo(Mutex<HashMap<String, Arc<OnceCell<Found>>>>);

impl Memo {
    fn cell(&self, key: &str) -> Arc<OnceCell<Found>> {
        self.0
            .lock()
            .unwrap()
            .entry(key.to_string())
            .or_default()
            .clone()
    }
}

/// Creation times by tag name; tags whose time cannot be found are absent.
/// Without `readable` manifests (a provider that cannot get them), only the
/// times the listing gave are known.
pub async fn resolve(
    provider: &Provider,
    tags: &[Tag],
    readable: bool,
    concurrency: usize,
) -> HashMap<String, DateTime<Utc>> {
    let manifests = Memo::default();
    let configs = Memo::default();
    let found: Vec<(String, Found)> = futures_util::stream::iter(tags)
        .map(|tag| {
            let (manifests, configs) = (&manifests, &configs);
            async move {
                if let Some(created) = tag.created.as_deref().and_then(parse) {
                    return (tag.name.clone(), Some(created));
                }
                if !readable {
                    return (tag.name.clone(), None);
                }
                let reference = tag.digest.as_deref().unwrap_or(&tag.name);
                let created = *manifests
                    .cell(reference)
                    .get_or_init(|| of_reference(provider, reference, configs, 0))
                    .await;
                (tag.name.clone(), created)
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    found
        .into_iter()
        .filter_map(|(n, c)| Some((n, c?)))
        .collect()
}

/// An index takes its own annotation, else its first child's time.
async fn of_reference(provider: &Provider, reference: &str, configs: &Memo, depth: u8) -> Found {
    let manifest = provider.get_manifest(reference).await.ok()?;
    let doc: Document = serde_json::from_slice(&manifest.bytes).ok()?;
    let annotated = doc
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION))
        .and_then(|c| parse(c));
    if let Some(config) = doc.config {
        let from_config = *configs
            .cell(&config.digest)
            .get_or_init(|| of_config(provider, &config.digest))
            .await;
        return from_config.or(annotated);
    }
    if annotated.is_some() || depth > 2 {
        return annotated;
    }
    let first = doc.manifests?.into_iter().next()?;
    Box::pin(of_reference(provider, &first.digest, configs, depth + 1)).await
}

async fn of_config(provider: &Provider, digest: &str) -> Found {
    let bytes = provider.get_blob(digest).await.ok()?;
    let config: Config = serde_json::from_slice(&bytes).ok()?;
    config.created.as_deref().and_then(parse)
}

#[cfg(test)]
mod tests {
    use super::parse;
    use chrono::DateTime;
    use proptest::prelude::*;

    /// chrono's reading, which the host used before berth-parse.
    fn chrono(text: &str) -> Option<DateTime<chrono::Utc>> {
        DateTime::parse_from_rfc3339(text).ok().map(Into::into)
    }

    #[test]
    fn refused_where_chrono_was_lenient() {
        for text in [
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00\u{2212}02:00",
            "2016-12-31T12:34:60Z",
        ] {
            assert!(chrono(text).is_some(), "{text}");
            assert_eq!(parse(text), None, "{text}");
        }
    }

    proptest! {
        // Wherever the grammar is the same, so is the instant.
        #[test]
        fn agrees_with_chrono(
            text in "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,12})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])",
        ) {
            prop_assert_eq!(parse(&text), chrono(&text));
        }

        #[test]
        fn accepts_nothing_chrono_refuses(text in "[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{0,3})?([Zz]|[+-][0-9]{2}:[0-9]{2})") {
            if let Some(instant) = parse(&text) {
                prop_assert_eq!(Some(instant), chrono(&text));
            }
        }
    }
}

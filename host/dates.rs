//! When a tag's image was created: from the provider when it knows, else the
//! image config's `created`, else the manifest's
//! `org.opencontainers.image.created` annotation. Each manifest and config is
//! fetched once, concurrently.

use crate::provider::{Provider, Tag};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Deserialize;
use std::collections::HashMap;

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

pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(Into::into)
}

/// Creation times by tag name; tags whose time cannot be found are absent.
pub async fn resolve(
    provider: &Provider,
    tags: &[Tag],
    concurrency: usize,
) -> HashMap<String, DateTime<Utc>> {
    let mut known = HashMap::new();
    let mut unknown = Vec::new();
    for tag in tags {
        match tag.created.as_deref().and_then(parse) {
            Some(created) => {
                known.insert(tag.name.clone(), created);
            }
            None => unknown.push(tag.name.clone()),
        }
    }
    let found: Vec<(String, Option<DateTime<Utc>>)> = futures_util::stream::iter(unknown)
        .map(|name| async move {
            let created = of_reference(provider, &name, 0).await;
            (name, created)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    known.extend(found.into_iter().filter_map(|(n, c)| Some((n, c?))));
    known
}

/// An index takes its first child's time, unless it carries its own.
async fn of_reference(provider: &Provider, reference: &str, depth: u8) -> Option<DateTime<Utc>> {
    let manifest = provider.get_manifest(reference).await.ok()?;
    let doc: Document = serde_json::from_slice(&manifest.bytes).ok()?;
    let annotated = doc
        .annotations
        .as_ref()
        .and_then(|a| a.get(ANNOTATION))
        .and_then(|c| parse(c));
    if let Some(config) = doc.config {
        let from_config = match provider.get_blob(&config.digest).await {
            Ok(bytes) => serde_json::from_slice::<Config>(&bytes)
                .ok()
                .and_then(|c| c.created)
                .and_then(|c| parse(&c)),
            Err(_) => None,
        };
        return from_config.or(annotated);
    }
    if annotated.is_some() {
        return annotated;
    }
    let first = doc.manifests?.into_iter().next()?;
    if depth > 2 {
        return None;
    }
    Box::pin(of_reference(provider, &first.digest, depth + 1)).await
}

//! Which provider serves a target: `--provider`, else address patterns (no
//! network), else the plugins' verdict on one `GET /v2/` probe, else
//! `default`.

use super::open::Target;
use crate::catalog::{Plugin, Probe, Source};
use crate::context::Context;
use crate::error::Result;
use crate::imports::HostContext;
use crate::net::Request;
use crate::runtime::v0_1_0::berth::provider::types as wit;
use reqwest::Method as HttpMethod;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    Explicit,
    Address,
    Probe,
    Default,
}

pub struct Selection<'a> {
    pub plugin: &'a Plugin,
    pub method: Method,
}

pub async fn select<'a>(ctx: &'a Context, target: &Target, probe: bool) -> Result<Selection<'a>> {
    let provider = ctx.global.provider.as_str();
    if provider != "auto" {
        return Ok(Selection {
            plugin: ctx.catalog.require(provider)?,
            method: Method::Explicit,
        });
    }
    let base = match target {
        Target::Layout { .. } => {
            return Ok(Selection {
                plugin: ctx.catalog.require("oci-layout")?,
                method: Method::Address,
            });
        }
        Target::Registry { base, .. } => base,
    };
    let host = target.registry();
    if let Some(plugin) = ctx.catalog.plugins.iter().find(|p| p.matches_host(host)) {
        return Ok(Selection {
            plugin,
            method: Method::Address,
        });
    }
    if probe && let Some(plugin) = by_probe(ctx, target, base).await {
        return Ok(Selection {
            plugin,
            method: Method::Probe,
        });
    }
    Ok(Selection {
        plugin: ctx.catalog.require("default")?,
        method: Method::Default,
    })
}

/// Offers the registry's answer to `GET /v2/` to every plugin that detects
/// by probe; the most confident wins, earlier plugins on a tie. Without such
/// a plugin no request is sent.
async fn by_probe<'a>(
    ctx: &'a Context,
    target: &Target,
    base: &reqwest::Url,
) -> Option<&'a Plugin> {
    let candidates: Vec<&Plugin> = ctx
        .catalog
        .plugins
        .iter()
        .filter(|p| p.name != "default" && p.refused.is_none())
        .filter(|p| !matches!(p.entry.probe, Probe::Always(false)) || p.source != Source::Builtin)
        .collect();
    if candidates.is_empty() {
        return None;
    }
    let url = base.join("/v2/").ok()?;
    let response = match ctx
        .client
        .send(Request::new(HttpMethod::GET, url), None, None)
        .await
    {
        Ok(response) => response,
        Err(e) => {
            crate::log::info(&format!("probe of {} failed: {e}", target.registry()));
            return None;
        }
    };
    let probe = wit::Probe {
        status: response.status,
        headers: response
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    };
    // Only plugins whose probe rules match the answer are instantiated.
    let judges = candidates
        .into_iter()
        .filter(|p| p.source != Source::Builtin || p.entry.probe.wants(&probe.headers));
    let wit_target = target.wit();
    let mut best: Option<(&Plugin, u8)> = None;
    for plugin in judges {
        let confidence = match confidence(ctx, plugin, &wit_target, &probe).await {
            Ok(c) => c.min(100),
            Err(e) => {
                crate::log::warn(&format!(
                    "plugin {} could not judge the probe: {}",
                    plugin.name, e.message
                ));
                continue;
            }
        };
        if confidence > 0 && best.is_none_or(|(_, c)| confidence > c) {
            best = Some((plugin, confidence));
        }
    }
    best.map(|(p, _)| p)
}

async fn confidence(
    ctx: &Context,
    plugin: &Plugin,
    target: &wit::Target,
    probe: &wit::Probe,
) -> Result<u8> {
    let loaded = ctx
        .runtime()?
        .load(&plugin.name, &plugin.sha256, plugin.wasm())?;
    let host = Arc::new(HostContext::bare(&plugin.name, ctx.client.clone()));
    let mut instance = loaded.instantiate(host, ctx.limits, None).await?;
    instance
        .detect(target, Some(probe))
        .await
        .map_err(|e| crate::error::Error::failed(format!("plugin {} {e}", plugin.name)))
}

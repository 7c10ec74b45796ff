//! Which provider serves a target: `--provider`, else address patterns (no
//! network), else one `GET /v2/` probe, else `default`. A probe answer is
//! judged in one place per plugin: by the header rules of its catalog
//! entry (the host decides, the plugin does not run), or, for a plugin
//! without rules that asks for probes (and every unlisted drop-in), by its
//! `detect`. Earlier plugins in the catalog win ties; drop-ins come first.

use crate::catalog::{Catalog, Plugin, Probe as Rules, Source};
use crate::error::Result;
use crate::model::Probe;
use crate::net::{Client, Request};
use crate::target::Target;
use reqwest::Method as HttpMethod;

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

/// The confidence a matching header rule stands for.
const CLAIMED: u8 = 100;

/// `forced` is `--provider` (`auto` detects); `detect` asks a plugin about
/// a probe answer.
pub async fn select<'a>(
    catalog: &'a Catalog,
    client: &Client,
    target: &Target,
    forced: &str,
    probe: bool,
    detect: impl AsyncFn(&Plugin, &Probe) -> Result<u8>,
) -> Result<Selection<'a>> {
    let chosen = |plugin, method| Ok(Selection { plugin, method });
    if forced != "auto" {
        return chosen(catalog.require(forced)?, Method::Explicit);
    }
    let base = match target {
        Target::Layout { .. } => return chosen(catalog.require("oci-layout")?, Method::Address),
        Target::Registry { base, .. } => base,
    };
    let host = target.registry();
    if let Some(plugin) = catalog.plugins.iter().find(|p| p.matches_host(host)) {
        return chosen(plugin, Method::Address);
    }
    if probe && let Some(plugin) = by_probe(catalog, client, target, base, detect).await {
        return chosen(plugin, Method::Probe);
    }
    chosen(catalog.require("default")?, Method::Default)
}

/// How a plugin judges a probe, if it does.
enum Judge<'a> {
    Rules(&'a Rules),
    Detect,
}

fn judge(plugin: &Plugin) -> Option<Judge<'_>> {
    if plugin.name == "default" || plugin.refused.is_some() {
        return None;
    }
    match &plugin.entry.probe {
        Rules::Headers(_) => Some(Judge::Rules(&plugin.entry.probe)),
        Rules::Always(true) => Some(Judge::Detect),
        Rules::Always(false) if !plugin.listed && plugin.source != Source::Builtin => {
            Some(Judge::Detect)
        }
        Rules::Always(false) => None,
    }
}

async fn by_probe<'a>(
    catalog: &'a Catalog,
    client: &Client,
    target: &Target,
    base: &reqwest::Url,
    detect: impl AsyncFn(&Plugin, &Probe) -> Result<u8>,
) -> Option<&'a Plugin> {
    let judges: Vec<(&Plugin, Judge)> = catalog
        .plugins
        .iter()
        .filter_map(|p| judge(p).map(|j| (p, j)))
        .collect();
    if judges.is_empty() {
        return None;
    }
    let url = base.join("/v2/").ok()?;
    let response = match client
        .send(Request::new(HttpMethod::GET, url), None, None)
        .await
    {
        Ok(response) => response,
        Err(e) => {
            crate::log::info(&format!("probe of {} failed: {e}", target.registry()));
            return None;
        }
    };
    let probe = Probe {
        status: response.status,
        headers: response.header_pairs(),
    };
    let mut best: Option<(&Plugin, u8)> = None;
    for (plugin, judge) in judges {
        let confidence = match judge {
            Judge::Rules(rules) if rules.claims(&probe.headers) => CLAIMED,
            Judge::Rules(_) => 0,
            Judge::Detect => match detect(plugin, &probe).await {
                Ok(c) => c.min(100),
                Err(e) => {
                    crate::log::warn(&format!(
                        "plugin {} could not judge the probe: {}",
                        plugin.name, e.message
                    ));
                    continue;
                }
            },
        };
        if confidence > 0 && best.is_none_or(|(_, c)| confidence > c) {
            best = Some((plugin, confidence));
        }
    }
    best.map(|(p, _)| p)
}

//! `berth plugins ls | info NAME | verify`.

use crate::catalog::{Plugin, Source, missing_files};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::provider::option_env_var;
use serde_json::json;

#[derive(clap::Args)]
pub struct InfoArgs {
    /// Provider name, as `berth plugins ls` shows it
    pub name: String,
}

pub async fn ls(ctx: &Context) -> Result<u8> {
    let mut rows = Vec::new();
    let mut failed = false;
    for plugin in &ctx.catalog().await?.plugins {
        let (version, api) = match ctx.info(plugin).await {
            Ok(info) => (info.version.clone(), info.api.clone()),
            Err(e) => {
                failed = true;
                output::error(&e);
                ("?".into(), "?".into())
            }
        };
        rows.push(json!({
            "name": plugin.name,
            "version": version,
            "api": api,
            "source": plugin.source.describe(),
            "sha256": plugin.sha256,
            "hosts": plugin.entry.patterns,
        }));
    }
    match ctx.settings.output {
        Format::Json => output::json(&rows),
        Format::Text => output::lines(rows.iter().map(|r| {
            let patterns: Vec<&str> = r["hosts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
                .collect();
            format!(
                "{:<14} {:<9} api {:<7} {:<10} {}  {}",
                r["name"].as_str().unwrap_or(""),
                r["version"].as_str().unwrap_or(""),
                r["api"].as_str().unwrap_or(""),
                r["source"].as_str().unwrap_or(""),
                &r["sha256"].as_str().unwrap_or("")[..12],
                patterns.join(" ")
            )
        })),
    }
    Ok(if failed { 1 } else { 0 })
}

pub async fn info(ctx: &Context, args: InfoArgs) -> Result<u8> {
    let plugin = ctx.catalog().await?.require(&args.name)?;
    let meta = ctx.info(plugin).await?;
    let granted: Vec<String> = std::iter::once("the target registry".to_string())
        .chain(plugin.entry.hosts.iter().cloned())
        .collect();
    let options: Vec<_> = meta
        .options
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "description": o.description,
                "secret": o.secret,
                "env": option_env_var(&plugin.name, &o.name),
            })
        })
        .collect();
    let value = json!({
        "name": plugin.name,
        "version": meta.version,
        "api": meta.api,
        "description": meta.description,
        "source": plugin.source.describe(),
        "sha256": plugin.sha256,
        "pinned": plugin.is_pinned(),
        "catalog": plugin.listed.then_some(&plugin.catalog),
        "hosts": plugin.entry.patterns,
        "capabilities": meta.capabilities,
        "options": options,
        "granted_hosts": granted,
        "granted_env": plugin.entry.env,
    });
    match ctx.settings.output {
        Format::Json => output::json(&value),
        Format::Text => {
            let mut lines = vec![
                format!("{} {} (API {})", plugin.name, meta.version, meta.api),
                meta.description.clone(),
                format!("source:        {}", plugin.source.describe()),
                format!(
                    "sha256:        {}{}",
                    plugin.sha256,
                    if plugin.is_pinned() { " (pinned)" } else { "" }
                ),
                if plugin.listed {
                    format!("catalog:       {}", plugin.catalog)
                } else {
                    format!(
                        "catalog:       none (an entry in {} would list it)",
                        plugin.catalog
                    )
                },
                format!("addresses:     {}", list_or_none(&plugin.entry.patterns)),
                format!("capabilities:  {}", list_or_none(&meta.capabilities)),
                format!("network:       {}", granted.join(", ")),
                format!("environment:   {}", list_or_none(&plugin.entry.env)),
            ];
            if meta.options.is_empty() {
                lines.push("options:       none".into());
            } else {
                lines.push("options:".into());
                for (o, j) in meta.options.iter().zip(&options) {
                    let secret = if o.secret { " (secret)" } else { "" };
                    lines.push(format!(
                        "  {:<14} {}{secret} [env: {}]",
                        o.name,
                        o.description,
                        j["env"].as_str().unwrap_or("")
                    ));
                }
            }
            output::lines(lines);
        }
    }
    Ok(0)
}

pub async fn verify(ctx: &Context) -> Result<u8> {
    let mut problems = missing_files(&ctx.settings.plugin_dirs);
    let mut rows = Vec::new();
    for plugin in &ctx.catalog().await?.plugins {
        let status = status(plugin);
        if let Some(why) = &plugin.refused {
            problems.push(why.clone());
        }
        rows.push(json!({"name": plugin.name, "source": plugin.source.describe(), "sha256": plugin.sha256, "status": status}));
    }
    match ctx.settings.output {
        Format::Json => output::json(&json!({"plugins": rows, "problems": problems})),
        Format::Text => output::lines(rows.iter().map(|r| {
            format!(
                "{:<14} {:<10} {}",
                r["name"].as_str().unwrap_or(""),
                r["status"].as_str().unwrap_or(""),
                r["source"].as_str().unwrap_or("")
            )
        })),
    }
    if problems.is_empty() {
        return Ok(0);
    }
    for problem in &problems {
        output::error(&Error::failed(problem.clone()));
    }
    Ok(1)
}

fn status(plugin: &Plugin) -> &'static str {
    match (&plugin.source, plugin.is_pinned(), &plugin.refused) {
        (_, _, Some(_)) => "MISMATCH",
        (Source::Builtin, _, None) => "built-in",
        (_, true, None) => "ok",
        (_, false, None) => "unpinned",
    }
}

fn list_or_none<T: std::fmt::Display>(items: &[T]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items
            .iter()
            .map(T::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

//! Whether the registry answers at all: one anonymous `GET /v2/`, and what
//! its answer says about TLS and the credentials it wants.

use super::Step;
use crate::auth::challenge;
use crate::model::Access;
use crate::net::{Client, NetError, Request, redact};
use crate::target::Target;
use reqwest::Method;

pub async fn reach(client: &Client, target: &Target) -> Step {
    let base = match target {
        Target::Layout { dir } => return layout(dir),
        Target::Registry { base, .. } => base,
    };
    let mut url = base.clone();
    url.set_path("/v2/");
    let shown = redact::url(&url);
    match client
        .send(Request::new(Method::GET, url), None, None)
        .await
    {
        Ok(response) => {
            let said = format!("GET {shown} answered HTTP {}", response.status);
            match response.status {
                200..=299 => Step::new("reach", Access::Yes, format!("{said}: it asks for no credentials")),
                401 => {
                    let values = response.header_all("www-authenticate");
                    Step::new("reach", Access::Yes, format!("{said}: {}", wanted(&values)))
                }
                status => Step::new("reach", Access::No, format!("{said}, which is not a registry's answer"))
                    .hint(if status == 404 {
                        "check the address: nothing there serves the registry API (/v2/)".to_string()
                    } else {
                        format!("the registry answered HTTP {status}; try again later, or ask its administrator")
                    }),
            }
        }
        Err(NetError::Certificate { message, .. }) => {
            let mut step = Step::new("reach", Access::No, format!("GET {shown}: {message}"));
            if message.contains("xpired") {
                step = step.hint("the registry's certificate has expired: have it renewed");
            }
            step.hint("if the registry's certificate comes from a private CA, pass that CA with --ca-file FILE (BERTH_CA_FILE)")
                .hint("--insecure (BERTH_INSECURE=1) skips certificate checks, for testing only")
        }
        Err(e) => {
            let step = Step::new("reach", Access::No, e.to_string())
                .hint("check the address and the network");
            if base.scheme() == "https" {
                step.hint("registries not on loopback are reached over HTTPS; one that speaks plain HTTP needs --plain-http")
            } else {
                step
            }
        }
    }
}

/// What a 401's challenges ask for.
fn wanted(values: &[&str]) -> String {
    let challenges = challenge::parse(values);
    if let Some(bearer) = challenges.iter().find(|c| c.scheme == "bearer")
        && let Some(realm) = bearer.param("realm")
    {
        return format!("it wants bearer tokens from {}", redact::text(realm));
    }
    if challenges.iter().any(|c| c.scheme == "basic") {
        return "it wants Basic credentials".to_string();
    }
    "it wants credentials, but names no scheme berth knows".to_string()
}

fn layout(dir: &std::path::Path) -> Step {
    let index = dir.join("index.json");
    if index.is_file() {
        Step::new(
            "reach",
            Access::Yes,
            format!("{} is an OCI layout", dir.display()),
        )
    } else if dir.is_dir() {
        Step::new(
            "reach",
            Access::Yes,
            format!(
                "{} has no index.json yet: a push makes it a layout",
                dir.display()
            ),
        )
    } else {
        Step::new(
            "reach",
            Access::No,
            format!("{} is not a directory", dir.display()),
        )
        .hint("check the path; `berth cp` creates a layout that does not exist yet")
    }
}

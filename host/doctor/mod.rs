//! `berth doctor`'s examination of one repository, step by step, changing
//! nothing: the address, the provider and how it was chosen, whether the
//! registry answers (and its TLS), where the credential comes from, and
//! what it may do there. The provider is opened for a dry run, so the host
//! refuses any write a plugin would attempt.

mod purpose;
mod reach;

pub use purpose::{Ability, Purpose};

use crate::context::Context;
use crate::error::Result;
use crate::model::{Access, Capability, Permissions, RegistryError};
use crate::provider::{Failure, Method, Provider};
use crate::target::Target;
use serde::Serialize;

/// One thing examined, and what holds.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub step: &'static str,
    pub answer: Access,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hints: Vec<String>,
}

impl Step {
    pub fn new(step: &'static str, answer: Access, detail: impl Into<String>) -> Step {
        Step {
            step,
            answer,
            detail: detail.into(),
            hints: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Step {
        self.hints.push(hint.into());
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub repo: String,
    pub provider: String,
    pub method: Method,
    #[serde(rename = "for")]
    pub purpose: Purpose,
    /// Everything `purpose` needs is `yes`.
    pub ready: bool,
    pub steps: Vec<Step>,
    /// How the permissions were learned, one line each.
    pub notes: Vec<String>,
}

impl Report {
    /// The needed steps that are not `yes`.
    pub fn missing(&self) -> Vec<&Step> {
        let needed = |s: &&Step| {
            s.step == "reach" || self.purpose.needs().iter().any(|a| a.name() == s.step)
        };
        self.steps
            .iter()
            .filter(needed)
            .filter(|s| s.answer != Access::Yes)
            .collect()
    }
}

pub async fn examine(ctx: &Context, target: &Target, purpose: Purpose) -> Result<Report> {
    let selection = ctx.select(target, true).await?;
    let plugin = selection.plugin;
    let mut steps = vec![
        Step::new("address", Access::Yes, address(target)),
        Step::new(
            "provider",
            Access::Yes,
            format!("{}, {}", plugin.name, chosen(selection.method)),
        ),
    ];
    let reached = reach::reach(&ctx.client, target).await;
    let reachable = reached.answer == Access::Yes;
    steps.push(reached);
    let mut notes = Vec::new();
    match ctx.open(plugin, target, &[], true).await {
        Err(e) => {
            let step = Step::new("credential", Access::No, e.message);
            steps.push(e.hints.into_iter().fold(step, Step::hint));
            steps.extend(not_learned("the provider could not be opened"));
        }
        Ok(provider)
            if !reachable && target.registry() != "" && !provider.has(Capability::Permissions) =>
        {
            steps.push(credential(&provider, None));
            steps.extend(not_learned("the registry cannot be reached"));
        }
        Ok(provider) => match provider.permissions().await {
            Ok(permissions) => {
                steps.push(credential(
                    &provider,
                    permissions.credential_source.as_deref(),
                ));
                steps.extend(learned(&permissions, purpose));
                notes = permissions.notes;
            }
            Err(failure) => {
                let refused = matches!(failure, Failure::Registry(RegistryError::Unauthorized(_)));
                let mut step = credential(&provider, None);
                if refused {
                    step.answer = Access::No;
                    step.detail = format!("{}: refused: {}", step.detail, failure.message());
                    step.hints.extend(failure.hints());
                    steps.push(step);
                    steps.extend(not_learned("the credential was refused"));
                } else {
                    steps.push(step);
                    let why = format!("not learned: {}", failure.message());
                    steps.extend(
                        not_learned(&why)
                            .into_iter()
                            .map(|s| failure.hints().into_iter().fold(s, Step::hint)),
                    );
                }
            }
        },
    }
    let mut report = Report {
        repo: target.canonical(),
        provider: plugin.name.clone(),
        method: selection.method,
        purpose,
        ready: false,
        steps,
        notes,
    };
    report.ready = report.missing().is_empty();
    Ok(report)
}

fn address(target: &Target) -> String {
    match target {
        Target::Registry { repo, .. } => format!(
            "{}: registry {}, repository {}",
            target.canonical(),
            repo.registry,
            repo.path
        ),
        Target::Layout { dir } => format!("an OCI layout in {}", dir.display()),
    }
}

fn chosen(method: Method) -> &'static str {
    match method {
        Method::Explicit => "as --provider says",
        Method::Address => "by the registry's address",
        Method::Probe => "by the registry's answer to GET /v2/",
        Method::Default => "by default: no address pattern or probe claimed the registry",
    }
}

/// Where the credential comes from: what the provider says it chose, else
/// the operator's docker credential for the registry.
fn credential(provider: &Provider, chosen: Option<&str>) -> Step {
    if let Some(source) = chosen {
        return Step::new(
            "credential",
            Access::Yes,
            format!("{source} (chosen by provider {})", provider.name()),
        );
    }
    let Some(auth) = provider.registry().map(|r| r.auth.clone()) else {
        return Step::new(
            "credential",
            Access::Yes,
            "none needed: a directory on disk",
        );
    };
    match auth.credential() {
        Some(credential) => {
            let user = match &credential {
                crate::auth::Credential::Basic { username, .. } if !username.is_empty() => {
                    format!(", user {username}")
                }
                crate::auth::Credential::IdentityToken { .. } => ", an identity token".to_string(),
                _ => String::new(),
            };
            Step::new(
                "credential",
                Access::Yes,
                format!("{}{user}", auth.source()),
            )
        }
        None => Step::new(
            "credential",
            Access::No,
            format!(
                "none for {} in {}: requests go out anonymously",
                auth.host(),
                auth.source()
            ),
        )
        .hint(format!("log in with `berth login {}`", auth.host())),
    }
}

fn learned(p: &Permissions, purpose: Purpose) -> Vec<Step> {
    let mut steps: Vec<Step> = [
        (Ability::List, p.list),
        (Ability::Push, p.push),
        (Ability::Delete, p.delete),
    ]
    .into_iter()
    .map(|(ability, answer)| Step::new(ability.name(), answer, meaning(ability, answer)))
    .collect();
    // The provider's hints: one per `no`, in order, when there are as many;
    // else each under the step whose action it quotes, or the last that is
    // not `yes`.
    let nos: Vec<usize> = (0..steps.len())
        .filter(|&i| steps[i].answer == Access::No)
        .collect();
    if nos.len() == p.hints.len() {
        for (&at, hint) in nos.iter().zip(&p.hints) {
            steps[at].hints.push(hint.clone());
        }
        return with_throwaway_hint(steps, p, purpose);
    }
    for hint in &p.hints {
        let at = steps
            .iter()
            .position(|s| s.answer == Access::No && hint.contains(&format!("`{}`", action(s.step))))
            .or_else(|| steps.iter().rposition(|s| s.answer != Access::Yes))
            .unwrap_or(steps.len() - 1);
        steps[at].hints.push(hint.clone());
    }
    with_throwaway_hint(steps, p, purpose)
}

fn with_throwaway_hint(mut steps: Vec<Step>, p: &Permissions, purpose: Purpose) -> Vec<Step> {
    if purpose.needs().contains(&Ability::Delete) && p.delete == Access::Yes && p.push == Access::No
    {
        steps[2].hints.push("registries without the OCI tag delete have a tag removed by moving it to a throwaway manifest first, which needs push too".into());
    }
    steps
}

/// The token action a step stands for, as hints quote it.
fn action(step: &str) -> &str {
    if step == "list" { "pull" } else { step }
}

fn meaning(ability: Ability, answer: Access) -> String {
    let verb = match ability {
        Ability::List => "read tags and manifests",
        Ability::Push => "push manifests and blobs",
        Ability::Delete => "delete tags and manifests",
    };
    match answer {
        Access::Yes => format!("may {verb}"),
        Access::No => format!("may not {verb}"),
        Access::Unknown => format!("cannot tell whether it may {verb} without trying"),
    }
}

fn not_learned(why: &str) -> Vec<Step> {
    [Ability::List, Ability::Push, Ability::Delete]
        .into_iter()
        .map(|a| Step::new(a.name(), Access::Unknown, format!("not checked: {why}")))
        .collect()
}

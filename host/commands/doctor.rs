//! `berth doctor REPO [--for list|push|delete|cleanup]`: what holds and what
//! does not before a run, changing nothing. Exit 0 when everything the
//! purpose needs is `yes`, 1 otherwise.

use crate::context::Context;
use crate::doctor::{self, Purpose, Report};
use crate::error::Result;
use crate::model::Access;
use crate::output::{self, Format};
use crate::reference::parse_repository;
use crate::target::Target;

#[derive(clap::Args)]
#[command(
    after_help = "Each step answers yes, no or unknown (only a write would tell), with a \
hint for each no. Permissions are learned without writing: from the scopes the registry's token \
service grants, or from the provider's own API.

Examples:
  berth doctor ghcr.io/acme/app
  berth doctor localhost:5000/team/app --for push
  berth doctor registry.gitlab.com/group/project --for list -o json"
)]
pub struct Args {
    /// Repository address: HOST[:PORT]/PATH, a Docker Hub name, or oci:DIR
    #[arg(value_name = "REPO")]
    pub repo: String,
    /// What the run is for: what it needs decides the exit status
    #[arg(
        long = "for",
        value_enum,
        default_value = "cleanup",
        value_name = "PURPOSE"
    )]
    pub purpose: Purpose,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let address = parse_repository(&args.repo)?;
    let target = Target::new(&address, ctx.settings.plain_http);
    let report = doctor::examine(ctx, &target, args.purpose).await?;
    match ctx.settings.output {
        Format::Text => output::lines(text(&report)),
        Format::Json => output::json(&report),
    }
    Ok(if report.ready { 0 } else { 1 })
}

fn text(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    for step in &report.steps {
        lines.push(format!(
            "{:<11} {:<8} {}",
            step.step,
            answer(step.answer),
            step.detail
        ));
        lines.extend(step.hints.iter().map(|h| format!("  hint: {h}")));
    }
    lines.extend(report.notes.iter().map(|n| format!("note: {n}")));
    let purpose = report.purpose.name();
    if report.ready {
        lines.push(format!("ready to {purpose}"));
    } else {
        let missing: Vec<String> = report
            .missing()
            .iter()
            .map(|s| format!("{} is {}", s.step, answer(s.answer)))
            .collect();
        lines.push(format!("not ready to {purpose}: {}", missing.join(", ")));
    }
    lines
}

fn answer(access: Access) -> &'static str {
    match access {
        Access::Yes => "yes",
        Access::No => "no",
        Access::Unknown => "unknown",
    }
}

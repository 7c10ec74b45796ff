//! `berth plan --policy FILE TARGET...`: decides every repository the
//! targets hold, reading only, and writes the plan `apply` executes.

use crate::context::Context;
use crate::error::{Error, Result};
use crate::in_use::InUse;
use crate::output::{self, Format};
use crate::plan::document::Plan;
use crate::plan::run::{self, Options};
use crate::policy_file::PolicyFile;
use crate::reference::{Address, parse_repository, parse_scope};
use crate::scope;
use crate::target::Target;
use futures_util::StreamExt;
use std::io::Write;
use std::path::PathBuf;

const AFTER_HELP: &str = "A TARGET is a repository (REPO), a registry, or a registry with a path \
prefix (an organisation, project or group), expanded with `repos ls`; only the repositories some \
rule's `repos` globs match are planned. Each is decided exactly as `cleanup --dry-run` decides it, \
sending only GET and HEAD requests. The plan is JSON, sorted, so two plans diff cleanly.

Policy file (TOML): [[rule]] tables with `repos` globs (`*` one path segment, `**` any number) and \
the keys of cleanup's flags: match, older-than, keep-last, keep, untagged, keep-attachments. A tag is deleted when some rule of \
its repository selects it and no rule of that repository keeps it (a keep regex or keep-last).
--in-use keeps, in every repository, the images a list or `kubectl get pods -A -o json` names.

--html FILE also writes one self-contained page for whoever approves the plan: totals, the \
repositories sortable by bytes freed and by removals, every tag's decision with its reason.

Examples:
  berth plan --policy policy.toml localhost:5000 --out plan.json --html plan.html
  berth plan --policy policy.toml ghcr.io/acme ghcr.io/tools/ci > plan.json
  kubectl get pods -A -o json | berth plan --policy policy.toml ghcr.io/acme --in-use - > plan.json
  diff <(jq . old.json) <(jq . plan.json)";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The policy file (TOML)
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// REPO, REGISTRY or REGISTRY/PREFIX
    #[arg(value_name = "TARGET", required = true)]
    pub targets: Vec<String>,
    /// Write the plan to FILE instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write a page to review the plan to FILE: one HTML file, no network needed
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Keep images in use: lines REPO:TAG, REPO@DIGEST or sha256:..., or `kubectl get pods -A -o json`
    #[arg(long, value_name = "FILE|-")]
    pub in_use: Option<String>,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    // Everything the user wrote is checked before the first request.
    let file = PolicyFile::read(&args.policy)?;
    let in_use = match &args.in_use {
        Some(source) => InUse::read(source)?,
        None => InUse::default(),
    };
    let targets = args
        .targets
        .iter()
        .map(|t| parse_target(t, ctx.settings.plain_http))
        .collect::<Result<Vec<_>>>()?;
    // Targets are listed several at once: a hundred repositories named one
    // by one are a hundred listings.
    let concurrency = usize::from(ctx.settings.concurrency).max(1);
    let expanded: Vec<Result<Vec<String>>> = futures_util::stream::iter(&targets)
        .map(|target| expand(ctx, target))
        .buffered(concurrency)
        .collect()
        .await;
    let mut repos = Vec::new();
    for listed in expanded {
        repos.extend(listed?);
    }
    repos.sort();
    repos.dedup();
    file.check_globs(&repos)?;
    repos.retain(|r| file.covers(r));
    let created = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let options = Options {
        concurrency: usize::from(ctx.settings.concurrency),
        quiet: ctx.settings.quiet,
        in_use,
    };
    let outcome = match &args.out {
        Some(path) => {
            let out = std::fs::File::create(path)
                .map_err(|e| Error::usage(format!("cannot write plan {}: {e}", path.display())))?;
            let outcome = run::run(
                ctx,
                &repos,
                &file,
                &created,
                std::io::BufWriter::new(out),
                &options,
            )
            .await?;
            summary(&outcome, path, ctx.settings.output);
            outcome
        }
        // The page needs the whole plan: it is spooled, then copied out.
        None if args.html.is_some() => {
            let cannot = |e: std::io::Error| Error::failed(format!("cannot spool the plan: {e}"));
            let spool = tempfile::NamedTempFile::new().map_err(cannot)?;
            let out = std::io::BufWriter::new(spool.reopen().map_err(cannot)?);
            let outcome = run::run(ctx, &repos, &file, &created, out, &options).await?;
            let mut written = std::fs::File::open(spool.path()).map_err(cannot)?;
            std::io::copy(&mut written, &mut std::io::stdout().lock()).map_err(cannot)?;
            write_page(spool.path(), args.html.as_deref())?;
            outcome
        }
        None => {
            let out = std::io::BufWriter::new(std::io::stdout().lock());
            run::run(ctx, &repos, &file, &created, out, &options).await?
        }
    };
    if let Some(path) = &args.out {
        write_page(path, args.html.as_deref())?;
    }
    for failure in &outcome.failures {
        output::error(failure);
    }
    Ok(if outcome.failures.is_empty() { 0 } else { 1 })
}

/// Writes the review page of the plan at `plan` to `page`, if asked.
fn write_page(plan: &std::path::Path, page: Option<&std::path::Path>) -> Result<()> {
    let Some(page) = page else {
        return Ok(());
    };
    let plan = Plan::read(plan)?;
    std::fs::write(page, crate::plan_page::render(&plan))
        .map_err(|e| Error::usage(format!("cannot write {}: {e}", page.display())))
}

/// What a target names, as written: a layout, a repository or a scope.
enum Named {
    Scope(Target),
    /// A repository, unless listing it as a prefix finds more.
    Either(Target, String),
    Repository(String),
}

fn parse_target(text: &str, plain_http: bool) -> Result<Named> {
    match parse_scope(text) {
        Ok(Address::Registry(r)) if r.path.is_empty() => {
            Ok(Named::Scope(scope::parse(text, plain_http)?))
        }
        Ok(Address::Layout(l)) => Ok(Named::Repository(Address::Layout(l).canonical())),
        Ok(_) => {
            let repo = parse_repository(text)?.canonical();
            Ok(Named::Either(scope::parse(text, plain_http)?, repo))
        }
        // Not a scope: a Docker Hub short name such as `library/nginx`.
        Err(_) => Ok(Named::Repository(parse_repository(text)?.canonical())),
    }
}

/// The repositories a target holds. `HOST/PATH` is listed as a prefix
/// (which includes the repository of that name); where the registry cannot
/// list, or lists nothing there, it is the one repository.
async fn expand(ctx: &Context, named: &Named) -> Result<Vec<String>> {
    match named {
        Named::Scope(target) => Ok(scope::repositories(ctx, target).await?.repositories),
        Named::Repository(repo) => Ok(vec![repo.clone()]),
        Named::Either(target, repo) => match scope::repositories(ctx, target).await {
            Ok(listing) if !listing.repositories.is_empty() => Ok(listing.repositories),
            Ok(_) => Ok(vec![repo.clone()]),
            Err(e) => {
                crate::log::debug(&format!(
                    "{repo}: not listed as a prefix ({}); planned as one repository",
                    e.message
                ));
                Ok(vec![repo.clone()])
            }
        },
    }
}

/// One line about a plan written to a file.
fn summary(outcome: &run::Outcome, path: &std::path::Path, format: Format) {
    match format {
        Format::Json => output::json(&serde_json::json!({
            "plan": path.display().to_string(),
            "repositories": outcome.repositories,
            "removals": outcome.removals,
            "bytes_freed": outcome.bytes_freed,
            "failed": outcome.failures.len(),
        })),
        Format::Text => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(
                out,
                "planned {} repositories: {} removals, {} bytes freed -> {}",
                outcome.repositories,
                outcome.removals,
                outcome.bytes_freed,
                path.display()
            );
        }
    }
}

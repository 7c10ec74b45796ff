//! `berth apply PLAN`: executes a plan that `berth plan` wrote, or one
//! shard of it.

use crate::apply::{self, Journal, Planned, Shard};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::plan::document::Plan;
use crate::reference::{is_valid_digest, is_valid_tag, parse_repository};
use std::path::{Path, PathBuf};

const AFTER_HELP: &str =
    "Every tag is resolved again just before it is removed: one that now points \
at another digest than planned is left alone and reported changed (exit 1); one that is gone is \
reported missing.

The plan's attachments and untagged manifests go after its tags, each only when the decision, \
made again on the repository as it is then, still removes it: an attachment whose image now stays \
(a kept tag reaches it), or a manifest that now has a tag or that something kept reaches, is left \
and reported changed. With untagged manifests in the plan, the manifests of its removed tags go \
too once nothing reaches them, as in cleanup --untagged.

--shard I/N takes the repositories whose 64-bit FNV-1a hash of the address (as the plan writes \
it) is I modulo N, so N processes with I = 0..N-1 cover the plan exactly once, on any machine.

--journal FILE records, synced to disk, when each removal starts and ends. Run again with the \
same journal after a crash, kill or Ctrl-C, it skips what was finished and finishes what was cut \
off (a tag left on berth's own throwaway manifest is recognised as such). One process at a time \
uses a journal.

Each registry's rate-limit answers (429, Retry-After, RateLimit-* and X-RateLimit-* headers) pace \
every request to it; --rate caps the removals a second on top of that.

Examples:
  berth plan --policy policy.toml localhost:5000/team --out plan.json
  berth apply plan.json --journal apply.journal
  berth apply plan.json --shard 0/4 --journal shard-0.journal --rate 3/s
  berth apply plan.json --rate 180/m -o json --report report.json";

#[derive(clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The plan, as `berth plan` wrote it (`-` reads stdin)
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// Take only shard I of N (0-based): the repositories whose stable hash falls in it
    #[arg(long, value_name = "I/N", value_parser = clap::value_parser!(Shard))]
    pub shard: Option<Shard>,
    /// Record each removal in FILE, and resume from it
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// At most N removals a second per registry (N/s, N/m or N/h)
    #[arg(long, value_name = "N/s", value_parser = per_second)]
    pub rate: Option<f64>,
    /// Also write the JSON report to FILE
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let plan = read_plan(&args.plan)?;
    let journal = args
        .journal
        .as_deref()
        .map(Journal::open)
        .transpose()
        .map_err(Error::usage)?;
    let options = apply::Options {
        shard: args.shard.unwrap_or(Shard::ALL),
        journal,
        quiet: ctx.settings.quiet,
        concurrency: usize::from(ctx.settings.concurrency),
    };
    let report = apply::apply(ctx, &plan, &options).await;
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report).expect("report serialises");
        std::fs::write(path, json)
            .map_err(|e| Error::failed(format!("cannot write report {}: {e}", path.display())))?;
    }
    report.print(ctx.settings.output);
    Ok(report.exit_code())
}

/// `3/s`, `180/m`, `1000/h`, or a bare number a second.
fn per_second(text: &str) -> std::result::Result<f64, String> {
    let (count, unit) = text.split_once('/').unwrap_or((text, "s"));
    let seconds = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => return Err(format!("{text:?}: the unit is s, m or h (e.g. 3/s, 180/m)")),
    };
    match count.trim().parse::<f64>() {
        Ok(n) if n.is_finite() && n > 0.0 => Ok(n / seconds),
        _ => Err(format!("{text:?} is not a positive rate (e.g. 3/s, 180/m)")),
    }
}

/// The plan's repositories, every address, tag and digest checked before
/// any request.
fn read_plan(path: &Path) -> Result<Vec<Planned>> {
    let plan = if path == Path::new("-") {
        Plan::from_reader(std::io::stdin().lock(), "the plan on stdin")?
    } else {
        Plan::read(path)?
    };
    let bad = |what: String| {
        Error::usage(format!("plan {}: {what}", path.display()))
            .hint("a plan is what `berth plan ... --out FILE` writes")
    };
    plan.repositories
        .into_iter()
        .map(|r| {
            parse_repository(&r.repo).map_err(|e| bad(format!("{}: {e}", r.repo)))?;
            let delete = r
                .delete
                .into_iter()
                .map(
                    |d| match is_valid_tag(&d.tag) && is_valid_digest(&d.digest) {
                        true => Ok((d.tag, d.digest)),
                        false => Err(bad(format!(
                            "{}: invalid tag {:?} or digest {:?}",
                            r.repo, d.tag, d.digest
                        ))),
                    },
                )
                .collect::<Result<Vec<_>>>()?;
            let attachments = r
                .attachments
                .into_iter()
                .map(|a| {
                    let named = is_valid_tag(&a.removed) || is_valid_digest(&a.removed);
                    match named && is_valid_digest(&a.subject) {
                        true => Ok((a.removed, a.subject)),
                        false => Err(bad(format!(
                            "{}: invalid attachment {:?} or subject {:?}",
                            r.repo, a.removed, a.subject
                        ))),
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            if let Some(d) = r.untagged.iter().find(|d| !is_valid_digest(d)) {
                return Err(bad(format!("{}: invalid untagged digest {d:?}", r.repo)));
            }
            Ok(Planned {
                repo: r.repo,
                provider: r.provider,
                delete,
                attachments,
                untagged: r.untagged,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates() {
        assert_eq!(per_second("3/s"), Ok(3.0));
        assert_eq!(per_second("180/m"), Ok(3.0));
        assert_eq!(per_second("7200/h"), Ok(2.0));
        assert_eq!(per_second("2.5"), Ok(2.5));
        for bad in ["0/s", "-1/s", "x/s", "3/d", "inf", ""] {
            assert!(per_second(bad).is_err(), "{bad}");
        }
    }
}

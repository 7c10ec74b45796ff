//! What `berth apply` did: the cleanup report of each repository, plus the
//! tags left alone because they moved since the plan.

use crate::output::{self, Format};
use crate::removal;
use serde::Serialize;

/// A planned tag that now points elsewhere: left alone.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    pub tag: String,
    pub planned: String,
    pub now: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Repository {
    #[serde(flatten)]
    pub removal: removal::Report,
    pub changed: Vec<Changed>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `I/N`, or `0/1` for the whole plan.
    pub shard: String,
    pub repositories: Vec<Repository>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Totals {
    pub repositories: usize,
    pub deleted: usize,
    pub missing: usize,
    pub changed: usize,
    pub failed: usize,
}

impl Report {
    pub fn new(shard: String, repositories: Vec<Repository>) -> Report {
        let totals = Totals {
            repositories: repositories.len(),
            deleted: repositories.iter().map(|r| r.removal.deleted.len()).sum(),
            missing: repositories.iter().map(|r| r.removal.missing.len()).sum(),
            changed: repositories.iter().map(|r| r.changed.len()).sum(),
            failed: repositories.iter().map(|r| r.removal.failed.len()).sum(),
        };
        Report {
            shard,
            repositories,
            totals,
        }
    }

    /// 1 when a removal failed or a tag moved since the plan.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.totals.failed + self.totals.changed > 0)
    }

    /// Results on stdout; on stderr one line per failed or changed tag
    /// (a missing tag is what a plan meets when someone else removed it
    /// first: said at `-v`), then the totals.
    pub fn print(&self, format: Format) {
        match format {
            Format::Json => output::json(self),
            Format::Text => output::lines(
                self.repositories
                    .iter()
                    .flat_map(|r| r.removal.deleted.iter().map(move |t| (&r.removal.repo, t)))
                    .map(|(repo, tag)| format!("deleted {repo}:{tag}")),
            ),
        }
        let mut hints: Vec<&String> = Vec::new();
        for repo in &self.repositories {
            let name = &repo.removal.repo;
            for tag in &repo.removal.missing {
                crate::log::info(&format!("{name}: tag {tag} not found; already removed"));
            }
            for c in &repo.changed {
                output::stderr_line(&format!(
                    "berth: error: {name}:{}: changed since the plan (planned {}, now {}); left alone",
                    c.tag, c.planned, c.now
                ));
            }
            for f in &repo.removal.failed {
                output::stderr_line(&format!("berth: error: {name}:{}: {}", f.tag, f.error));
                hints.extend(&f.hints);
            }
        }
        hints.sort();
        hints.dedup();
        for hint in hints {
            output::stderr_line(&format!("hint: {hint}"));
        }
        if self.totals.changed > 0 {
            output::stderr_line("hint: plan again to decide on the tags that changed");
        }
        let t = &self.totals;
        crate::log::info(&format!(
            "shard {}: {} repositories, {} tags deleted, {} missing, {} changed, {} failed",
            self.shard, t.repositories, t.deleted, t.missing, t.changed, t.failed
        ));
    }
}

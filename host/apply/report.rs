//! What `berth apply` did: the cleanup report of each repository, plus the
//! tags left alone because they moved since the plan.

use crate::output::{self, Format};
use crate::removal;
use serde::Serialize;

/// A planned removal the registry no longer agrees with: left alone.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Changed {
    /// A tag that now points elsewhere.
    Tag {
        tag: String,
        planned: String,
        now: String,
    },
    /// An attachment (tag or referrer digest) whose image now stays.
    Attachment { attachment: String, subject: String },
    /// A manifest that now has a tag, or that something kept reaches.
    Untagged { untagged: String },
}

impl Changed {
    /// What it is, as the user names it, and why it stays.
    fn describe(&self, repo: &str) -> String {
        match self {
            Changed::Tag { tag, planned, now } => format!(
                "{repo}:{tag}: changed since the plan (planned {planned}, now {now}); left alone"
            ),
            Changed::Attachment {
                attachment,
                subject,
            } => format!(
                "{}: attachment of {subject}, which stays since the plan; left alone",
                shown(repo, attachment)
            ),
            Changed::Untagged { untagged } => format!(
                "{repo}@{untagged}: tagged or reached by a kept image since the plan; left alone"
            ),
        }
    }

    /// The tag, attachment or digest, for ordering.
    pub fn key(&self) -> &str {
        match self {
            Changed::Tag { tag, .. } => tag,
            Changed::Attachment { attachment, .. } => attachment,
            Changed::Untagged { untagged } => untagged,
        }
    }
}

/// `repo:tag`, or `repo@digest` for a manifest removed by digest.
fn shown(repo: &str, removed: &str) -> String {
    match crate::reference::is_valid_digest(removed) {
        true => format!("{repo}@{removed}"),
        false => format!("{repo}:{removed}"),
    }
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
    /// Attachments removed with their images.
    pub attachments: usize,
    /// Manifests without a tag removed.
    pub untagged: usize,
    pub missing: usize,
    pub changed: usize,
    pub failed: usize,
}

impl Report {
    pub fn new(shard: String, repositories: Vec<Repository>) -> Report {
        let totals = Totals {
            repositories: repositories.len(),
            deleted: repositories.iter().map(|r| r.removal.deleted.len()).sum(),
            attachments: repositories
                .iter()
                .map(|r| r.removal.attachments.as_ref().map_or(0, Vec::len))
                .sum(),
            untagged: repositories
                .iter()
                .map(|r| r.removal.untagged.as_ref().map_or(0, Vec::len))
                .sum(),
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
            Format::Text => output::lines(self.repositories.iter().flat_map(|r| {
                let removal = &r.removal;
                let repo = &removal.repo;
                let attachments = removal.attachments.iter().flatten();
                let untagged = removal.untagged.iter().flatten();
                removal
                    .deleted
                    .iter()
                    .chain(attachments.map(|a| &a.removed))
                    .chain(untagged)
                    .map(move |removed| format!("deleted {}", shown(repo, removed)))
            })),
        }
        let mut hints: Vec<&String> = Vec::new();
        for repo in &self.repositories {
            let name = &repo.removal.repo;
            for tag in &repo.removal.missing {
                crate::log::info(&format!("{name}: tag {tag} not found; already removed"));
            }
            for c in &repo.changed {
                output::stderr_line(&format!("berth: error: {}", c.describe(name)));
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
            output::stderr_line("hint: plan again to decide on what changed");
        }
        let t = &self.totals;
        crate::log::info(&format!(
            "shard {}: {} repositories, {} tags deleted, {} attachments and {} untagged manifests removed, {} missing, {} changed, {} failed",
            self.shard,
            t.repositories,
            t.deleted,
            t.attachments,
            t.untagged,
            t.missing,
            t.changed,
            t.failed
        ));
    }
}

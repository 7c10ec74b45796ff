//! What a removal did, tag by tag, as `tags rm` and `cleanup` print it.

use crate::model::Refused;
use crate::output::{self, Format};
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Failed {
    pub tag: String,
    pub error: String,
    /// What the provider said to do about it; printed once below the
    /// failures, not part of the JSON report.
    #[serde(skip)]
    pub hints: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Kept {
    pub tag: String,
    pub reason: &'static str,
}

/// A kept tag that, after the run, no longer resolves or reaches something
/// missing.
#[derive(Debug, Clone, Serialize)]
pub struct Damaged {
    pub tag: String,
    pub problem: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub repo: String,
    pub provider: String,
    pub dry_run: bool,
    pub deleted: Vec<String>,
    pub missing: Vec<String>,
    pub failed: Vec<Failed>,
    /// Only `cleanup` reports what it kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept: Option<Vec<Kept>>,
    /// Only `cleanup`: attachments removed with their image.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<crate::decision::Attachment>>,
    /// Only `cleanup`: manifests without a tag removed (`--untagged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub untagged: Option<Vec<String>>,
    /// Only `cleanup` after a verified run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub damaged: Option<Vec<Damaged>>,
    /// Writes the provider attempted in a dry run, which berth refused.
    #[serde(skip_serializing_if = "Refused::is_empty")]
    pub refused: Refused,
}

impl Report {
    /// Exit status: 1 when anything failed or was damaged, or a tag was
    /// missing and that was not allowed.
    pub fn exit_code(&self, ignore_missing: bool) -> u8 {
        let damaged = self.damaged.as_ref().is_some_and(|d| !d.is_empty());
        if !self.failed.is_empty() || damaged || (!self.missing.is_empty() && !ignore_missing) {
            1
        } else {
            0
        }
    }

    /// Results on stdout; one stderr line per failed or missing tag.
    pub fn print(&self, format: Format, ignore_missing: bool) {
        match format {
            Format::Json => output::json(self),
            Format::Text => {
                let verb = if self.dry_run {
                    "would delete"
                } else {
                    "deleted"
                };
                let mut lines: Vec<String> =
                    self.deleted.iter().map(|t| format!("{verb} {t}")).collect();
                if let Some(kept) = &self.kept {
                    lines.extend(
                        kept.iter()
                            .map(|k| format!("kept {} ({})", k.tag, k.reason)),
                    );
                }
                for a in self.attachments.iter().flatten() {
                    lines.push(format!("{verb} attachment {} of {}", a.removed, a.subject));
                }
                for d in self.untagged.iter().flatten() {
                    lines.push(format!("{verb} untagged {d}"));
                }
                output::lines(lines);
            }
        }
        for tag in &self.missing {
            let line = format!("{}: tag {tag} not found", self.repo);
            if ignore_missing {
                crate::log::info(&line);
            } else {
                output::stderr_line(&format!("berth: error: {line}"));
            }
        }
        for d in self.damaged.iter().flatten() {
            output::stderr_line(&format!(
                "berth: error: {}:{}: kept but damaged: {}",
                self.repo, d.tag, d.problem
            ));
        }
        for failed in &self.failed {
            output::stderr_line(&format!(
                "berth: error: {}:{}: {}",
                self.repo, failed.tag, failed.error
            ));
        }
        if !self.refused.is_empty() {
            crate::log::warn(&format!(
                "dry run: provider {} attempted {} writes; berth refused every one",
                self.provider, self.refused.count
            ));
            for write in &self.refused.first {
                crate::log::warn(&format!("refused: {write}"));
            }
        }
        let mut hints: Vec<&String> = self.failed.iter().flat_map(|f| &f.hints).collect();
        hints.sort();
        hints.dedup();
        for hint in hints {
            output::stderr_line(&format!("hint: {hint}"));
        }
    }
}

//! What cleanup decides for one repository: which tags go, and the first
//! reason each other tag stays. `cleanup` acts on it, `plan` records it, so
//! the two always agree.

use crate::error::Result;
use crate::model::{Capability, Tag};
use crate::policy::{Candidate, Rules, Verdict};
use crate::provider::Provider;
use crate::removal::Kept;

/// A repository's tags and what becomes of each.
pub struct Decision {
    /// Every tag, as listed.
    pub tags: Vec<Tag>,
    /// Tags to remove, in listing order.
    pub delete: Vec<String>,
    /// Every other tag, with the first reason that holds.
    pub kept: Vec<Kept>,
}

/// Lists `repo` and judges every tag by the rules that apply to it. Reads
/// only.
pub async fn decide(
    provider: &Provider,
    repo: &str,
    registry: &str,
    policy: &Rules,
    concurrency: usize,
) -> Result<Decision> {
    let tags = provider.all_tags(repo, registry).await?;
    let dates = if policy.needs_dates() {
        let selected: Vec<Tag> = tags
            .iter()
            .filter(|t| policy.needs_date_of(&t.name))
            .cloned()
            .collect();
        let manifests = provider.has(Capability::GetManifest);
        crate::dates::resolve(provider, &selected, manifests, concurrency).await
    } else {
        Default::default()
    };
    let candidates: Vec<Candidate> = tags
        .iter()
        .map(|t| Candidate {
            name: t.name.clone(),
            created: dates.get(&t.name).copied(),
        })
        .collect();
    let verdicts = policy.judge(&candidates, chrono::Utc::now());
    let mut delete = Vec::new();
    let mut kept = Vec::new();
    for (tag, verdict) in tags.iter().zip(verdicts) {
        match verdict {
            Verdict::Delete => delete.push(tag.name.clone()),
            Verdict::Keep(reason) => kept.push(Kept {
                tag: tag.name.clone(),
                reason,
            }),
        }
    }
    Ok(Decision { tags, delete, kept })
}

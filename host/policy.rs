//! Cleanup policy: which tags are deleted and, for every other tag, the first
//! reason it was kept. Pure: no I/O, so every rule is unit-tested.
//!
//! Time rules (`--keep-last`, `--older-than`) apply to the tags `--match`
//! selects, so a tag it does not select is kept as `unmatched` and its date
//! is never needed. Attachments (signatures, SBOMs) are never candidates:
//! they go or stay with their image, which the graph decides.

use chrono::{DateTime, Utc};
use regex::Regex;

#[derive(Default)]
pub struct Policy {
    pub keep: Vec<Regex>,
    pub keep_last: Option<usize>,
    pub older_than: Option<chrono::Duration>,
    pub matching: Option<Regex>,
    /// Also delete manifests nothing kept reaches (`--untagged`).
    pub untagged: bool,
    /// Leave the attachments of removed images (`--keep-attachments`).
    pub keep_attachments: bool,
    /// Images that must stay (`--in-use`).
    pub in_use: crate::in_use::InUse,
}

pub struct Candidate {
    pub name: String,
    pub created: Option<DateTime<Utc>>,
    /// A signature, SBOM or attestation tag: never a candidate.
    pub attachment: bool,
    /// Its image is in use.
    pub in_use: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    Delete,
    Keep(&'static str),
}

impl Policy {
    /// Whether `--match` selects this tag. Without it, a time rule selects
    /// every tag, and a policy of only `--untagged` none.
    pub fn selects(&self, name: &str) -> bool {
        match &self.matching {
            Some(re) => re.is_match(name),
            None => self.needs_dates(),
        }
    }

    /// Whether creation times are needed at all.
    pub fn needs_dates(&self) -> bool {
        self.keep_last.is_some() || self.older_than.is_some()
    }

    /// One verdict per tag, in the order given.
    pub fn judge(&self, tags: &[Candidate], now: DateTime<Utc>) -> Vec<Verdict> {
        let selected = |t: &Candidate| !t.attachment && self.selects(&t.name);
        // Newest first among the selected tags that have a date; ties by name
        // so the outcome does not depend on listing order.
        let mut dated: Vec<&Candidate> = tags
            .iter()
            .filter(|t| selected(t) && t.created.is_some())
            .collect();
        dated.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.name.cmp(&b.name)));
        let newest: Vec<&str> = dated
            .iter()
            .take(self.keep_last.unwrap_or(0))
            .map(|t| t.name.as_str())
            .collect();
        let cutoff = self.older_than.map(|d| now - d);

        tags.iter()
            .map(|t| {
                if t.attachment {
                    Verdict::Keep("attachment")
                } else if t.in_use {
                    Verdict::Keep("in-use")
                } else if self.keep.iter().any(|re| re.is_match(&t.name)) {
                    Verdict::Keep("keep")
                } else if newest.contains(&t.name.as_str()) {
                    Verdict::Keep("keep-last")
                } else if self.needs_dates() && selected(t) && t.created.is_none() {
                    Verdict::Keep("no-date")
                } else if selected(t) && matches!((cutoff, t.created), (Some(c), Some(d)) if d >= c)
                {
                    Verdict::Keep("newer")
                } else if !selected(t) {
                    Verdict::Keep("unmatched")
                } else {
                    Verdict::Delete
                }
            })
            .collect()
    }
}

/// The rules of a policy file that apply to one repository (one rule for
/// `cleanup` with flags). A tag is deleted when some rule selects it for
/// deletion and no rule keeps it: a `keep` regex or `keep-last` of any rule
/// protects it from every other rule, as do `attachment` and `in-use`. Each
/// kept tag carries the first reason, in the documented order, among those
/// of the rules that keep it; when no rule keeps it, the first among the
/// rules that matched it but did not find it due (`no-date`, `newer`); and
/// `unmatched` only when no rule matched it at all. What follows the tags is
/// decided once for the repository: untagged manifests go when any rule asks
/// for it, and attachments stay when any rule says to keep them.
pub struct Rules(pub Vec<Policy>);

/// The order reasons are reported in, for one rule and across rules.
const ORDER: [&str; 6] = [
    "attachment",
    "in-use",
    "keep",
    "keep-last",
    "no-date",
    "newer",
];

/// Reasons that keep a tag whatever another rule says.
const PROTECTING: [&str; 4] = ["attachment", "in-use", "keep", "keep-last"];

impl Rules {
    /// Whether any rule needs creation times.
    pub fn needs_dates(&self) -> bool {
        self.0.iter().any(Policy::needs_dates)
    }

    /// Whether some rule that needs dates selects this tag: only those
    /// tags' dates are fetched.
    pub fn needs_date_of(&self, name: &str) -> bool {
        self.0.iter().any(|p| p.needs_dates() && p.selects(name))
    }

    /// Whether manifests nothing kept reaches go too.
    pub fn untagged(&self) -> bool {
        self.0.iter().any(|p| p.untagged)
    }

    /// Whether the attachments of removed images stay.
    pub fn keep_attachments(&self) -> bool {
        self.0.iter().any(|p| p.keep_attachments)
    }

    /// The rules, each also keeping the images of `in_use` (`--in-use` holds
    /// for every rule of a policy file).
    pub fn holding(mut self, in_use: &crate::in_use::InUse) -> Rules {
        for p in &mut self.0 {
            p.in_use = in_use.clone();
        }
        self
    }

    /// The images that any rule says are in use.
    pub fn in_use(&self) -> crate::in_use::InUse {
        let mut all = crate::in_use::InUse::default();
        for p in &self.0 {
            all.extend(&p.in_use);
        }
        all
    }

    /// One verdict per tag, in the order given.
    pub fn judge(&self, tags: &[Candidate], now: DateTime<Utc>) -> Vec<Verdict> {
        let each: Vec<Vec<Verdict>> = self.0.iter().map(|p| p.judge(tags, now)).collect();
        (0..tags.len())
            .map(|i| combine(each.iter().map(|verdicts| &verdicts[i])))
            .collect()
    }
}

/// One tag's verdict from every rule's verdict on it.
fn combine<'a>(verdicts: impl Iterator<Item = &'a Verdict>) -> Verdict {
    let mut delete = false;
    let mut reason: Option<&'static str> = None;
    let rank = |r: &str| ORDER.iter().position(|o| *o == r).unwrap_or(ORDER.len());
    for verdict in verdicts {
        match verdict {
            Verdict::Delete => delete = true,
            Verdict::Keep(r) => {
                if reason.is_none_or(|current| rank(r) < rank(current)) {
                    reason = Some(r);
                }
            }
        }
    }
    let protected = reason.is_some_and(|r| PROTECTING.contains(&r));
    match reason {
        _ if delete && !protected => Verdict::Delete,
        Some(r) => Verdict::Keep(r),
        None => Verdict::Keep("unmatched"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> Option<DateTime<Utc>> {
        Some(
            DateTime::parse_from_rfc3339(&format!("2026-01-{day:02}T00:00:00Z"))
                .unwrap()
                .into(),
        )
    }

    fn tags(list: &[(&str, Option<DateTime<Utc>>)]) -> Vec<Candidate> {
        list.iter()
            .map(|(n, c)| Candidate {
                name: n.to_string(),
                created: *c,
                attachment: n.starts_with("sha256-"),
                in_use: n.starts_with("running-"),
            })
            .collect()
    }

    fn policy() -> Policy {
        Policy::default()
    }

    fn now() -> DateTime<Utc> {
        at(31).unwrap()
    }

    #[test]
    fn keep_last_counts_among_matched_tags() {
        let t = tags(&[
            ("pr-1", at(1)),
            ("pr-2", at(2)),
            ("pr-3", at(3)),
            ("main", at(30)),
        ]);
        let p = Policy {
            keep_last: Some(2),
            matching: Some(Regex::new("^pr-").unwrap()),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [
                Verdict::Delete,
                Verdict::Keep("keep-last"),
                Verdict::Keep("keep-last"),
                Verdict::Keep("unmatched")
            ]
        );
    }

    #[test]
    fn older_than_does_not_change_which_are_newest() {
        let t = tags(&[("a", at(1)), ("b", at(2)), ("c", at(29))]);
        let p = Policy {
            keep_last: Some(1),
            older_than: Some(chrono::Duration::days(10)),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [Verdict::Delete, Verdict::Delete, Verdict::Keep("keep-last")]
        );
        let p = Policy {
            older_than: Some(chrono::Duration::days(10)),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [Verdict::Delete, Verdict::Delete, Verdict::Keep("newer")]
        );
    }

    #[test]
    fn undated_tags_are_never_deleted_by_time_rules() {
        let t = tags(&[("a", None), ("b", at(1))]);
        let p = Policy {
            older_than: Some(chrono::Duration::days(1)),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [Verdict::Keep("no-date"), Verdict::Delete]
        );
        // Without a time rule, a date is not needed.
        let p = Policy {
            matching: Some(Regex::new(".*").unwrap()),
            ..policy()
        };
        assert_eq!(p.judge(&t, now()), [Verdict::Delete, Verdict::Delete]);
    }

    #[test]
    fn keep_wins_over_everything() {
        let t = tags(&[("v1", at(1)), ("v2", None)]);
        let p = Policy {
            keep: vec![Regex::new("^v").unwrap()],
            older_than: Some(chrono::Duration::days(1)),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [Verdict::Keep("keep"), Verdict::Keep("keep")]
        );
    }

    #[test]
    fn reasons_follow_the_documented_order() {
        // keep-last before no-date before newer; unselected tags are only
        // ever `unmatched` or `keep`.
        let t = tags(&[
            ("x-new", at(30)),
            ("x-undated", None),
            ("x-young", at(29)),
            ("y", at(30)),
        ]);
        let p = Policy {
            keep_last: Some(1),
            older_than: Some(chrono::Duration::days(5)),
            matching: Some(Regex::new("^x").unwrap()),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [
                Verdict::Keep("keep-last"),
                Verdict::Keep("no-date"),
                Verdict::Keep("newer"),
                Verdict::Keep("unmatched")
            ]
        );
    }

    #[test]
    fn attachments_and_in_use_come_first_and_are_never_counted() {
        // Attachment tags are newest, yet keep-last counts only the images.
        let t = tags(&[
            ("sha256-a.sig", at(30)),
            ("sha256-b.att", at(29)),
            ("running-1", at(1)),
            ("old", at(2)),
            ("new", at(20)),
        ]);
        let p = Policy {
            keep_last: Some(1),
            keep: vec![Regex::new("running").unwrap()],
            matching: Some(Regex::new(".*").unwrap()),
            ..policy()
        };
        assert_eq!(
            p.judge(&t, now()),
            [
                Verdict::Keep("attachment"),
                Verdict::Keep("attachment"),
                Verdict::Keep("in-use"),
                Verdict::Delete,
                Verdict::Keep("keep-last"),
            ]
        );
    }

    #[test]
    fn untagged_alone_selects_no_tag() {
        let t = tags(&[("a", at(1))]);
        let p = Policy {
            untagged: true,
            ..policy()
        };
        assert_eq!(p.judge(&t, now()), [Verdict::Keep("unmatched")]);
    }

    #[test]
    fn one_rule_judges_as_that_rule_alone() {
        let t = tags(&[
            ("x-new", at(30)),
            ("x-old", at(1)),
            ("x-undated", None),
            ("y", at(1)),
        ]);
        let p = || Policy {
            keep_last: Some(1),
            older_than: Some(chrono::Duration::days(5)),
            matching: Some(Regex::new("^x").unwrap()),
            ..policy()
        };
        assert_eq!(Rules(vec![p()]).judge(&t, now()), p().judge(&t, now()));
    }

    #[test]
    fn a_tag_goes_when_some_rule_selects_it_and_none_keeps_it() {
        let t = tags(&[
            ("pr-1", at(1)),
            ("pr-2", at(29)),
            ("pr-3", at(2)),
            ("v1", at(1)),
            ("main", at(3)),
        ]);
        // Old pull-request tags go; of everything, the newest and versions
        // stay.
        let prs = Policy {
            matching: Some(Regex::new("^pr-").unwrap()),
            older_than: Some(chrono::Duration::days(14)),
            ..policy()
        };
        let all = Policy {
            matching: Some(Regex::new(".*").unwrap()),
            keep_last: Some(1),
            keep: vec![Regex::new("^v").unwrap()],
            ..policy()
        };
        assert_eq!(
            Rules(vec![prs, all]).judge(&t, now()),
            [
                Verdict::Delete,
                Verdict::Keep("keep-last"),
                Verdict::Delete,
                Verdict::Keep("keep"),
                Verdict::Delete,
            ]
        );
    }

    #[test]
    fn a_rule_that_is_not_due_does_not_protect_from_another() {
        let t = tags(&[("pr-1", at(20)), ("other", at(20)), ("x", None)]);
        let month = Policy {
            matching: Some(Regex::new(".*").unwrap()),
            older_than: Some(chrono::Duration::days(30)),
            ..policy()
        };
        let week = Policy {
            matching: Some(Regex::new("^pr-").unwrap()),
            older_than: Some(chrono::Duration::days(7)),
            ..policy()
        };
        assert_eq!(
            Rules(vec![month, week]).judge(&t, now()),
            [
                Verdict::Delete,
                Verdict::Keep("newer"),
                Verdict::Keep("no-date")
            ]
        );
        let only_pr = Policy {
            matching: Some(Regex::new("^pr-").unwrap()),
            ..policy()
        };
        assert_eq!(
            Rules(vec![only_pr]).judge(&t, now())[1],
            Verdict::Keep("unmatched")
        );
        assert_eq!(
            Rules(vec![]).judge(&t, now())[0],
            Verdict::Keep("unmatched")
        );
    }
}

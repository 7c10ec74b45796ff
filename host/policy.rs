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
}

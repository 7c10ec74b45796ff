//! The plan document: what `plan` writes and `apply` executes. Stable JSON:
//! repositories sorted by address, every list by tag (or digest), and
//! always pretty-printed the same way, so two plans of the same registry
//! differ only where a decision changed (and in `created`).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, Write};
use std::path::Path;

/// The version this berth writes and the only one it reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    pub version: u32,
    /// When planning started, RFC 3339 UTC.
    pub created: String,
    pub repositories: Vec<RepoPlan>,
    /// The sum of the repositories' `bytes_freed`.
    pub bytes_freed: u64,
}

/// One repository's decisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RepoPlan {
    /// Canonical address (`ghcr.io/acme/app`), usable as `REPO`.
    pub repo: String,
    /// The provider that planned it, and that `apply` uses.
    pub provider: String,
    /// Tags to remove, each with the digest it pointed at when planned.
    pub delete: Vec<Removal>,
    /// Every other tag with the first reason that holds.
    pub kept: Vec<Kept>,
    /// Attachments that go with an image that goes.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// Manifests no kept tag reaches, by digest (`--untagged`).
    #[serde(default)]
    pub untagged: Vec<String>,
    /// Bytes of the blobs only the removed images reference.
    #[serde(default)]
    pub bytes_freed: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Removal {
    pub tag: String,
    /// `apply` removes the tag only while it still points here.
    pub digest: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Kept {
    pub tag: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// The attachment's tag, or its digest when it has no tag.
    pub removed: String,
    /// The digest of the manifest it belongs to.
    pub subject: String,
}

impl RepoPlan {
    /// Puts every list in its stable order.
    pub fn sort(&mut self) {
        self.delete.sort_by(|a, b| a.tag.cmp(&b.tag));
        self.kept.sort_by(|a, b| a.tag.cmp(&b.tag));
        self.attachments.sort_by(|a, b| {
            (a.subject.as_str(), a.removed.as_str()).cmp(&(b.subject.as_str(), b.removed.as_str()))
        });
        self.untagged.sort();
    }

    /// Removals found: tags, attachments and untagged manifests.
    pub fn removals(&self) -> usize {
        self.delete.len() + self.attachments.len() + self.untagged.len()
    }

    /// This repository as it stands in the plan: pretty JSON indented to
    /// its place in the `repositories` list, without a trailing newline.
    pub fn to_plan_json(&self) -> String {
        let pretty = serde_json::to_string_pretty(self).expect("a plan serialises");
        // JSON strings never hold a raw newline, so indenting lines is safe.
        pretty
            .lines()
            .map(|line| format!("    {line}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Plan {
    /// Reads a plan, refusing a version this berth does not know. Any
    /// problem is bad input (exit 2) naming the file.
    pub fn read(path: &Path) -> Result<Plan> {
        let file = std::fs::File::open(path)
            .map_err(|e| Error::usage(format!("cannot read plan {}: {e}", path.display())))?;
        Self::from_reader(std::io::BufReader::new(file), &path.display().to_string())
    }

    pub fn from_reader(reader: impl BufRead, name: &str) -> Result<Plan> {
        let plan: Plan = serde_json::from_reader(reader)
            .map_err(|e| Error::usage(format!("{name} is not a berth plan: {e}")))?;
        if plan.version != VERSION {
            return Err(Error::usage(format!(
                "{name} is a plan of version {}; this berth reads version {VERSION}",
                plan.version
            ))
            .hint("make the plan again with this berth's `berth plan`"));
        }
        Ok(plan)
    }

    /// Sorts everything into the stable order (the tests' reference for
    /// what `Writer` streams).
    #[cfg(test)]
    pub fn sort(&mut self) {
        for repo in &mut self.repositories {
            repo.sort();
        }
        self.repositories.sort_by(|a, b| a.repo.cmp(&b.repo));
    }

    /// Writes the plan in its stable form (sorted, pretty, newline at end).
    #[cfg(test)]
    pub fn write(&self, out: impl Write) -> std::io::Result<()> {
        let mut sorted = self.clone();
        sorted.sort();
        let mut writer = Writer::start(out, &sorted.created)?;
        for repo in &sorted.repositories {
            writer.repository(repo)?;
        }
        writer.finish()
    }
}

/// Writes a plan one repository at a time, so a plan of any size is never
/// held whole. Repositories must come in address order, each sorted; the
/// bytes are those `serde_json::to_string_pretty` gives for the whole plan.
pub struct Writer<W: Write> {
    out: W,
    count: usize,
    bytes_freed: u64,
}

impl<W: Write> Writer<W> {
    pub fn start(mut out: W, created: &str) -> std::io::Result<Self> {
        let created = serde_json::to_string(created).expect("a string serialises");
        write!(
            out,
            "{{\n  \"version\": {VERSION},\n  \"created\": {created},\n  \"repositories\": ["
        )?;
        Ok(Writer {
            out,
            count: 0,
            bytes_freed: 0,
        })
    }

    /// One repository, already in plan form (see [`RepoPlan::to_plan_json`]).
    pub fn repository_json(&mut self, json: &str, bytes_freed: u64) -> std::io::Result<()> {
        let separator = if self.count == 0 { "\n" } else { ",\n" };
        self.out.write_all(separator.as_bytes())?;
        self.out.write_all(json.as_bytes())?;
        self.count += 1;
        self.bytes_freed = self.bytes_freed.saturating_add(bytes_freed);
        Ok(())
    }

    #[cfg(test)]
    pub fn repository(&mut self, repo: &RepoPlan) -> std::io::Result<()> {
        self.repository_json(&repo.to_plan_json(), repo.bytes_freed)
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        let close = if self.count == 0 { "]" } else { "\n  ]" };
        write!(
            self.out,
            "{close},\n  \"bytes_freed\": {}\n}}\n",
            self.bytes_freed
        )?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(name: &str, tags: &[&str], bytes: u64) -> RepoPlan {
        RepoPlan {
            repo: name.into(),
            provider: "default".into(),
            delete: tags
                .iter()
                .map(|t| Removal {
                    tag: t.to_string(),
                    digest: format!("sha256:{}", "a".repeat(64)),
                })
                .collect(),
            kept: vec![
                Kept {
                    tag: "z".into(),
                    reason: "keep".into(),
                },
                Kept {
                    tag: "m\n\"x".into(),
                    reason: "unmatched".into(),
                },
            ],
            attachments: vec![Attachment {
                removed: "sha256-b.sig".into(),
                subject: "sha256:b".into(),
            }],
            untagged: vec!["sha256:d".into(), "sha256:c".into()],
            bytes_freed: bytes,
        }
    }

    fn plan() -> Plan {
        Plan {
            version: VERSION,
            created: "2026-01-02T03:04:05Z".into(),
            repositories: vec![
                repo("localhost:5000/b", &["pr-2", "pr-1"], 7),
                repo("localhost:5000/a", &[], 0),
            ],
            bytes_freed: 7,
        }
    }

    fn written(plan: &Plan) -> String {
        let mut out = Vec::new();
        plan.write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn written_plan_is_the_sorted_pretty_json_of_the_plan() {
        let mut sorted = plan();
        sorted.sort();
        let expected = serde_json::to_string_pretty(&sorted).unwrap() + "\n";
        assert_eq!(written(&plan()), expected);
        assert_eq!(sorted.repositories[0].repo, "localhost:5000/a");
        assert_eq!(sorted.repositories[1].delete[0].tag, "pr-1");
        assert_eq!(sorted.repositories[1].kept[0].tag, "m\n\"x");
        assert_eq!(sorted.repositories[1].untagged[0], "sha256:c");
    }

    #[test]
    fn a_plan_reads_back_as_written_whatever_the_order_it_was_built_in() {
        let text = written(&plan());
        let read = Plan::from_reader(text.as_bytes(), "plan.json").unwrap();
        let mut sorted = plan();
        sorted.sort();
        assert_eq!(read, sorted);
        let mut shuffled = plan();
        shuffled.repositories.reverse();
        shuffled.repositories[0].kept.reverse();
        assert_eq!(written(&shuffled), text);
    }

    #[test]
    fn totals_are_summed_as_written() {
        let mut out = Vec::new();
        let mut writer = Writer::start(&mut out, "t").unwrap();
        writer.repository(&repo("r/a", &[], 5)).unwrap();
        writer.repository(&repo("r/b", &[], 6)).unwrap();
        writer.finish().unwrap();
        let read = Plan::from_reader(out.as_slice(), "p").unwrap();
        assert_eq!(read.bytes_freed, 11);
    }

    #[test]
    fn an_empty_plan_is_valid_json() {
        let empty = Plan {
            version: VERSION,
            created: "t".into(),
            repositories: vec![],
            bytes_freed: 0,
        };
        let text = written(&empty);
        assert_eq!(text, serde_json::to_string_pretty(&empty).unwrap() + "\n");
        assert_eq!(Plan::from_reader(text.as_bytes(), "p").unwrap(), empty);
    }

    #[test]
    fn unknown_versions_and_fields_are_refused() {
        let text = written(&plan()).replace("\"version\": 1", "\"version\": 2");
        let e = Plan::from_reader(text.as_bytes(), "p.json").unwrap_err();
        assert!(e.message.contains("version 2"), "{}", e.message);
        assert_eq!(e.exit_code(), 2);
        let text = written(&plan()).replace("\"bytes_freed\": 7", "\"bytes_freed\": 7, \"x\": 1");
        assert!(Plan::from_reader(text.as_bytes(), "p.json").is_err());
    }
}

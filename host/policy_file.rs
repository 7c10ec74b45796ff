//! Policy files: `[[rule]]` tables, each naming repositories by glob and
//! taking the keys of the `cleanup` flags. The whole file is checked before
//! any request; every error names the file, the line and the key.

use crate::error::{Error, Result};
use crate::policy::{Policy, Rules};
use crate::repo_glob::RepoGlob;
use regex::Regex;
use serde::Deserialize;
use std::ops::Range;
use std::path::Path;
use toml::Spanned;

/// A checked policy file.
pub struct PolicyFile {
    /// The file as given, for messages.
    pub name: String,
    rules: Vec<Rule>,
}

struct Rule {
    /// Each glob with its line in the file.
    globs: Vec<(RepoGlob, usize)>,
    policy: PolicyText,
}

/// A rule's keys, kept as text so each repository gets fresh regexes
/// (`Policy` is not `Clone`) from what was checked once.
#[derive(Clone)]
struct PolicyText {
    matching: Option<String>,
    keep: Vec<String>,
    keep_last: Option<usize>,
    older_than: Option<chrono::Duration>,
    untagged: bool,
    keep_attachments: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileText {
    #[serde(default)]
    rule: Vec<Spanned<RuleText>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleText {
    repos: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(rename = "match")]
    matching: Option<Spanned<String>>,
    keep: Option<Vec<Spanned<String>>>,
    keep_last: Option<Spanned<usize>>,
    older_than: Option<Spanned<String>>,
    untagged: Option<bool>,
    keep_attachments: Option<bool>,
}

impl PolicyFile {
    pub fn read(path: &Path) -> Result<PolicyFile> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read policy file {name}: {e}")))?;
        Self::parse(&text, &name)
    }

    pub fn parse(text: &str, name: &str) -> Result<PolicyFile> {
        let at = |span: Option<Range<usize>>, message: String| {
            let line = span.map_or(String::new(), |s| format!("{}:", line_of(text, s.start)));
            Error::usage(format!("{name}:{line} {message}"))
        };
        let file: FileText = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().replace('\n', " ");
            at(e.span(), message).hint(
                "a rule takes repos, match, older-than, keep-last, keep, untagged and keep-attachments, as cleanup's flags",
            )
        })?;
        if file.rule.is_empty() {
            return Err(at(None, "no [[rule]]: the policy selects nothing".into()));
        }
        let mut rules = Vec::new();
        for spanned in file.rule {
            let table = spanned.span();
            let rule = spanned.into_inner();
            let Some(repos) = rule.repos else {
                return Err(at(
                    Some(table),
                    "rule has no `repos` key naming the repositories it applies to".into(),
                )
                .hint("e.g. repos = [\"ghcr.io/acme/*\"]"));
            };
            if repos.get_ref().is_empty() {
                return Err(at(Some(repos.span()), "`repos` is empty".into()));
            }
            let mut globs = Vec::new();
            for glob in repos.into_inner() {
                let parsed = RepoGlob::parse(glob.get_ref()).map_err(|why| {
                    at(
                        Some(glob.span()),
                        format!("`repos` glob {:?}: {why}", glob.get_ref()),
                    )
                })?;
                globs.push((parsed, line_of(text, glob.span().start)));
            }
            let regex = |key: &str, value: &Spanned<String>| {
                Regex::new(value.get_ref())
                    .map(|_| value.get_ref().clone())
                    .map_err(|e| {
                        let why = e
                            .to_string()
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                            .to_string();
                        at(
                            Some(value.span()),
                            format!("`{key}`: invalid regex {:?}: {why}", value.get_ref()),
                        )
                    })
            };
            let matching = rule
                .matching
                .as_ref()
                .map(|m| regex("match", m))
                .transpose()?;
            let keep = rule
                .keep
                .iter()
                .flatten()
                .map(|k| regex("keep", k))
                .collect::<Result<Vec<_>>>()?;
            let older_than = match &rule.older_than {
                Some(text) => Some(duration(text).map_err(|why| at(Some(text.span()), why))?),
                None => None,
            };
            let keep_last = rule.keep_last.map(Spanned::into_inner);
            let untagged = rule.untagged.unwrap_or(false);
            if matching.is_none() && keep_last.is_none() && older_than.is_none() && !untagged {
                return Err(at(Some(table), "rule has no selecting key: nothing in it selects tags to delete".into())
                    .hint("give match, older-than, keep-last or untagged; to delete every tag not kept, say so with match = \".*\"")
                    .hint("keep only protects tags; it selects none"));
            }
            rules.push(Rule {
                globs,
                policy: PolicyText {
                    matching,
                    keep,
                    keep_last,
                    older_than,
                    untagged,
                    keep_attachments: rule.keep_attachments.unwrap_or(false),
                },
            });
        }
        Ok(PolicyFile {
            name: name.to_string(),
            rules,
        })
    }

    /// Whether any rule applies to the canonical address `repo`.
    pub fn covers(&self, repo: &str) -> bool {
        self.rules
            .iter()
            .any(|r| r.globs.iter().any(|(g, _)| g.matches(repo)))
    }

    /// The rules that apply to `repo`, in file order.
    pub fn rules_for(&self, repo: &str) -> Rules {
        Rules(
            self.rules
                .iter()
                .filter(|r| r.globs.iter().any(|(g, _)| g.matches(repo)))
                .map(|r| r.policy.to_policy())
                .collect(),
        )
    }

    /// Refuses a glob that matches none of `repos`, the repositories the
    /// targets hold: it is most likely a typo that would silently spare a
    /// repository.
    pub fn check_globs(&self, repos: &[String]) -> Result<()> {
        for rule in &self.rules {
            for (glob, line) in &rule.globs {
                if !repos.iter().any(|r| glob.matches(r)) {
                    return Err(Error::usage(format!(
                        "{}:{line}: `repos` glob {:?} matches none of the {} repositories planned",
                        self.name,
                        glob.text,
                        repos.len()
                    ))
                    .hint("`berth repos ls REGISTRY[/PREFIX]` lists what the targets hold"));
                }
            }
        }
        Ok(())
    }
}

impl PolicyText {
    fn to_policy(&self) -> Policy {
        let compile = |r: &String| Regex::new(r).expect("checked when read");
        Policy {
            keep: self.keep.iter().map(compile).collect(),
            keep_last: self.keep_last,
            older_than: self.older_than,
            matching: self.matching.as_ref().map(compile),
            untagged: self.untagged,
            keep_attachments: self.keep_attachments,
            in_use: Default::default(),
        }
    }
}

fn duration(text: &Spanned<String>) -> std::result::Result<chrono::Duration, String> {
    let value = text.get_ref();
    let d = crate::duration::parse(value).map_err(|e| format!("`older-than`: {e}"))?;
    chrono::Duration::from_std(d).map_err(|_| format!("`older-than` {value} is too large"))
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"# berth policy
[[rule]]
repos = ["ghcr.io/acme/*", "localhost:5000/team/**"]
match = "^pr-"
older-than = "14d"

[[rule]]
repos = ["ghcr.io/acme/*"]
match = ".*"
keep-last = 10
keep = ["^v[0-9]", "^latest$"]
"#;

    fn error(text: &str) -> Error {
        match PolicyFile::parse(text, "p.toml") {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e,
        }
    }

    #[test]
    fn rules_apply_by_glob() {
        let file = PolicyFile::parse(GOOD, "p.toml").unwrap();
        assert_eq!(file.rules_for("ghcr.io/acme/app").0.len(), 2);
        assert_eq!(file.rules_for("localhost:5000/team/a/b").0.len(), 1);
        assert!(file.rules_for("ghcr.io/other/app").0.is_empty());
        assert!(file.covers("localhost:5000/team/x"));
        assert!(!file.covers("localhost:5000/x"));
        let policy = &file.rules_for("ghcr.io/acme/app").0[1];
        assert_eq!(policy.keep_last, Some(10));
        assert_eq!(policy.keep.len(), 2);
    }

    #[test]
    fn every_error_names_file_line_and_key() {
        let e = error(&GOOD.replace("keep-last = 10", "keep-lats = 10"));
        assert_eq!(e.exit_code(), 2);
        assert!(e.message.starts_with("p.toml:10:"), "{}", e.message);
        assert!(e.message.contains("keep-lats"), "{}", e.message);

        let e = error(&GOOD.replace("\"^pr-\"", "\"^pr-(\""));
        assert!(e.message.starts_with("p.toml:4:"), "{}", e.message);
        assert!(e.message.contains("`match`"), "{}", e.message);

        let e = error(&GOOD.replace("\"^latest$\"", "\"[\""));
        assert!(e.message.starts_with("p.toml:11:"), "{}", e.message);
        assert!(e.message.contains("`keep`"), "{}", e.message);

        let e = error(&GOOD.replace("\"14d\"", "\"14 fortnights\""));
        assert!(e.message.starts_with("p.toml:5:"), "{}", e.message);
        assert!(e.message.contains("`older-than`"), "{}", e.message);

        let e = error(&GOOD.replace("\"ghcr.io/acme/*\", ", "\"acme/*\", "));
        assert!(e.message.starts_with("p.toml:3:"), "{}", e.message);
        assert!(e.message.contains("`repos`"), "{}", e.message);

        let e = error("[[rule]]\nrepos = [\"r.example/*\"]\nkeep = [\"^v\"]\n");
        assert!(e.message.starts_with("p.toml:1:"), "{}", e.message);
        assert!(e.message.contains("no selecting key"), "{}", e.message);

        let e = error("[[rule]]\nmatch = \".*\"\n");
        assert!(e.message.contains("`repos`"), "{}", e.message);

        let e = error("[[rules]]\nmatch = \".*\"\n");
        assert!(e.message.starts_with("p.toml:1:"), "{}", e.message);
        assert!(e.message.contains("rules"), "{}", e.message);
    }

    #[test]
    fn a_glob_that_matches_nothing_planned_is_refused() {
        let file = PolicyFile::parse(GOOD, "p.toml").unwrap();
        let repos = ["ghcr.io/acme/app".to_string()];
        let e = file.check_globs(&repos).unwrap_err();
        assert!(e.message.starts_with("p.toml:3:"), "{}", e.message);
        assert!(
            e.message.contains("localhost:5000/team/**"),
            "{}",
            e.message
        );
        let more = [repos[0].clone(), "localhost:5000/team/a".to_string()];
        file.check_globs(&more).unwrap();
    }
}

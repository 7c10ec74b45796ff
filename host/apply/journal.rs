//! `--journal FILE`: an append-only record of each removal's start and end,
//! so that an apply cut short (killed, Ctrl-C, a lost node) and run again
//! with the same journal skips what it finished and finishes what it began.
//!
//! One JSON line per event, `{"repo":..,"tag":..,"digest":..,"state":"start"|"done"}`,
//! written and synced to disk before the removal is sent (start) and after
//! the registry confirmed it (done). A removal is identified by repository,
//! tag and the digest the plan names, so a journal never vouches for a
//! removal another plan asks for. An attachment is its tag (or referrer
//! digest) with its subject's digest; a manifest removed by digest is that
//! digest twice. A line cut off by a crash is ignored. The
//! file is locked while berth runs: two processes never share a journal.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum State {
    Start,
    Done,
}

#[derive(Serialize)]
struct Entry<'a> {
    repo: &'a str,
    tag: &'a str,
    digest: &'a str,
    state: State,
}

/// An entry as read back: its strings may hold escapes.
#[derive(Deserialize)]
struct ReadEntry {
    repo: String,
    tag: String,
    digest: String,
    state: State,
}

type Key = (String, String, String);

pub struct Journal {
    path: PathBuf,
    file: Mutex<File>,
    started: HashSet<Key>,
    done: HashSet<Key>,
}

impl Journal {
    /// Opens (or creates) the journal at `path`, reading what it holds.
    pub fn open(path: &Path) -> Result<Journal, String> {
        let shown = path.display();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(|e| format!("cannot open journal {shown}: {e}"))?;
        file.try_lock().map_err(|e| match e {
            std::fs::TryLockError::WouldBlock => {
                format!("journal {shown} is in use by another berth apply")
            }
            std::fs::TryLockError::Error(e) => format!("cannot lock journal {shown}: {e}"),
        })?;
        let mut text = String::new();
        file.read_to_string(&mut text)
            .map_err(|e| format!("cannot read journal {shown}: {e}"))?;
        let (mut started, mut done) = (HashSet::new(), HashSet::new());
        let lines: Vec<&str> = text.lines().collect();
        for (n, line) in lines.iter().enumerate() {
            match serde_json::from_str::<ReadEntry>(line) {
                Ok(entry) => {
                    let key = (entry.repo, entry.tag, entry.digest);
                    match entry.state {
                        State::Start => started.insert(key),
                        State::Done => done.insert(key),
                    };
                }
                // The last line may have been cut off by a crash.
                Err(_) if n + 1 == lines.len() => {}
                Err(e) => {
                    return Err(format!(
                        "journal {shown}, line {}: not a berth journal entry: {e}",
                        n + 1
                    ));
                }
            }
        }
        // A line cut off by a crash goes, so entries appended now follow the
        // last whole one.
        if !text.is_empty() && !text.ends_with('\n') {
            let last = text.rfind('\n').map_or(0, |end| end + 1);
            let repaired = match serde_json::from_str::<ReadEntry>(&text[last..]) {
                // Whole, but for its line end.
                Ok(_) => file.write_all(b"\n"),
                Err(_) => file.set_len(last as u64),
            };
            repaired.map_err(|e| format!("cannot write journal {shown}: {e}"))?;
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file: Mutex::new(file),
            started,
            done,
        })
    }

    /// Whether an earlier run finished removing `tag` at `digest`.
    pub fn finished(&self, repo: &str, tag: &str, digest: &str) -> bool {
        self.done.contains(&key(repo, tag, digest))
    }

    /// Whether an earlier run began removing `tag` at `digest`.
    pub fn began(&self, repo: &str, tag: &str, digest: &str) -> bool {
        self.started.contains(&key(repo, tag, digest))
    }

    /// Records, on disk, that the removals of `tags` (tag, planned digest)
    /// start.
    pub fn start(&self, repo: &str, tags: &[(&str, &str)]) -> Result<(), String> {
        self.append(repo, tags, State::Start)
    }

    /// Records, on disk, that `tags` are removed.
    pub fn done(&self, repo: &str, tags: &[(&str, &str)]) -> Result<(), String> {
        self.append(repo, tags, State::Done)
    }

    fn append(&self, repo: &str, tags: &[(&str, &str)], state: State) -> Result<(), String> {
        let mut lines = String::new();
        for (tag, digest) in tags {
            let entry = Entry {
                repo,
                tag,
                digest,
                state,
            };
            lines.push_str(&serde_json::to_string(&entry).expect("entry serialises"));
            lines.push('\n');
        }
        let mut file = self.file.lock().unwrap();
        file.write_all(lines.as_bytes())
            .and_then(|_| file.sync_data())
            .map_err(|e| format!("cannot write journal {}: {e}", self.path.display()))
    }
}

fn key(repo: &str, tag: &str, digest: &str) -> Key {
    (repo.into(), tag.into(), digest.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rerun_knows_what_was_begun_and_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        {
            let journal = Journal::open(&path).unwrap();
            journal
                .start("r/app", &[("a", "sha256:1"), ("b", "sha256:2")])
                .unwrap();
            journal.done("r/app", &[("a", "sha256:1")]).unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert!(journal.finished("r/app", "a", "sha256:1"));
        assert!(!journal.finished("r/app", "b", "sha256:2"));
        assert!(journal.began("r/app", "b", "sha256:2"));
        // Another plan's removal of the same tag is not vouched for.
        assert!(!journal.finished("r/app", "a", "sha256:9"));
        assert!(!journal.finished("r/other", "a", "sha256:1"));
    }

    #[test]
    fn a_line_cut_off_by_a_crash_is_ignored_and_later_entries_stay_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(
            &path,
            "{\"repo\":\"r\",\"tag\":\"a\",\"digest\":\"d\",\"state\":\"done\"}\n{\"repo\":\"r\",\"ta",
        )
        .unwrap();
        {
            let journal = Journal::open(&path).unwrap();
            assert!(journal.finished("r", "a", "d"));
            journal.done("r", &[("b", "d")]).unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert!(journal.finished("r", "b", "d"));
        let garbage = dir.path().join("garbage");
        std::fs::write(&garbage, "not json\n{}\n").unwrap();
        assert!(Journal::open(&garbage).err().unwrap().contains("line 1"));
    }

    #[test]
    fn two_processes_never_share_a_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let _held = Journal::open(&path).unwrap();
        assert!(Journal::open(&path).err().unwrap().contains("in use"));
    }
}

//! Repositories' plans as they finish, in any order, kept on disk until all
//! are in and then written out sorted: what memory holds is one entry's
//! address and place per repository, never its tags.

use super::document::{RepoPlan, Writer};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

pub struct Spool {
    file: File,
    end: u64,
    /// Address, offset, length and bytes freed of each entry.
    index: Vec<(String, u64, usize, u64)>,
}

impl Spool {
    pub fn new() -> std::io::Result<Spool> {
        Ok(Spool {
            file: tempfile::tempfile()?,
            end: 0,
            index: Vec::new(),
        })
    }

    /// Appends one repository (its lists already sorted).
    pub fn push(&mut self, repo: &RepoPlan) -> std::io::Result<()> {
        let json = repo.to_plan_json();
        self.file.seek(SeekFrom::Start(self.end))?;
        self.file.write_all(json.as_bytes())?;
        self.index
            .push((repo.repo.clone(), self.end, json.len(), repo.bytes_freed));
        self.end += json.len() as u64;
        Ok(())
    }

    /// Writes the whole plan, repositories in address order.
    pub fn write_plan(mut self, out: impl Write, created: &str) -> std::io::Result<()> {
        self.index.sort_by(|a, b| a.0.cmp(&b.0));
        let mut writer = Writer::start(out, created)?;
        let mut buffer = Vec::new();
        for (_, offset, length, bytes_freed) in &self.index {
            buffer.resize(*length, 0);
            self.file.seek(SeekFrom::Start(*offset))?;
            self.file.read_exact(&mut buffer)?;
            let json = std::str::from_utf8(&buffer).expect("written as UTF-8");
            writer.repository_json(json, *bytes_freed)?;
        }
        writer.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::super::document::{Kept, Plan, VERSION};
    use super::*;

    #[test]
    fn a_spooled_plan_equals_the_plan_written_whole() {
        let repo = |name: &str, bytes: u64| RepoPlan {
            repo: name.into(),
            provider: "default".into(),
            delete: vec![],
            kept: vec![Kept {
                tag: format!("t-{name}"),
                reason: "keep".into(),
            }],
            attachments: vec![],
            untagged: vec![],
            bytes_freed: bytes,
        };
        let repos = [repo("r/c", 1), repo("r/a", 2), repo("r/b", 3)];
        let mut spool = Spool::new().unwrap();
        for r in &repos {
            spool.push(r).unwrap();
        }
        let mut spooled = Vec::new();
        spool.write_plan(&mut spooled, "now").unwrap();
        let whole = Plan {
            version: VERSION,
            created: "now".into(),
            repositories: repos.to_vec(),
            bytes_freed: 6,
        };
        let mut written = Vec::new();
        whole.write(&mut written).unwrap();
        assert_eq!(
            String::from_utf8(spooled).unwrap(),
            String::from_utf8(written).unwrap()
        );
    }
}

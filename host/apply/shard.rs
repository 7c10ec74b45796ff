//! `--shard I/N`: which repositories of a plan one of N processes takes.
//!
//! A repository belongs to shard `fnv1a64(address) mod N`, where `address`
//! is its canonical address as the plan writes it (`registry/path`, UTF-8
//! bytes) and fnv1a64 is the 64-bit FNV-1a hash. The hash depends on nothing
//! but the address, so every process, on any machine and in any release,
//! agrees on it, and N processes with I = 0..N-1 take each repository once.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    /// The whole plan.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    pub fn takes(&self, repo: &str) -> bool {
        fnv1a64(repo.as_bytes()) % self.count == self.index
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not I/N with 0 <= I < N (e.g. 0/4)");
        let (index, count) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = index.trim().parse().map_err(|_| bad())?;
        let count: u64 = count.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET, |hash, b| (hash ^ u64::from(*b)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_is_fnv1a64() {
        // The published test vectors of FNV-1a, 64 bits.
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn shards_cover_every_repository_once() {
        let repos: Vec<String> = (0..500)
            .map(|i| format!("localhost:5000/team/app-{i}"))
            .collect();
        for count in 1..=5 {
            let shards: Vec<Shard> = (0..count).map(|index| Shard { index, count }).collect();
            for repo in &repos {
                assert_eq!(shards.iter().filter(|s| s.takes(repo)).count(), 1);
            }
            // No shard is left empty by a skewed hash.
            for shard in &shards {
                let taken = repos.iter().filter(|r| shard.takes(r)).count();
                assert!(taken > 500 / count as usize / 2, "{shard}: {taken}");
            }
        }
    }

    #[test]
    fn parsing() {
        assert_eq!("2/5".parse(), Ok(Shard { index: 2, count: 5 }));
        assert_eq!("0/1".parse(), Ok(Shard::ALL));
        for bad in ["5/5", "1/0", "-1/3", "a/b", "3", ""] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }
}

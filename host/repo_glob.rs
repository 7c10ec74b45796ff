//! Globs over repository addresses, as policy files name repositories:
//! `*` matches within one path segment, a `**` segment any number of
//! segments (none too). The registry part is canonical, as in addresses.

use crate::reference::{Address, parse_scope};

#[derive(Debug, Clone)]
pub struct RepoGlob {
    pub text: String,
    segments: Vec<String>,
}

impl RepoGlob {
    /// Parses a glob; the message says what is wrong with it.
    pub fn parse(text: &str) -> Result<RepoGlob, String> {
        let (host, rest) = text.split_once('/').unwrap_or((text, ""));
        if rest.is_empty() {
            return Err("a glob needs a registry and a path, e.g. ghcr.io/acme/*".into());
        }
        if host.contains('*') {
            return Err("the registry part of a glob must be written out, without *".into());
        }
        let registry = match parse_scope(host) {
            Ok(Address::Registry(r)) => r.registry,
            Ok(Address::Layout(_)) => {
                return Err("an oci: layout is not matched by globs; name it as a target".into());
            }
            Err(e) => return Err(e.to_string()),
        };
        let mut segments = vec![registry];
        for segment in rest.split('/') {
            if segment.is_empty() {
                return Err("empty path segment".into());
            }
            if segment.contains("**") && segment != "**" {
                return Err(format!(
                    "** must be a whole segment (in {segment:?}); * matches within one"
                ));
            }
            segments.push(segment.to_string());
        }
        Ok(RepoGlob {
            text: text.to_string(),
            segments,
        })
    }

    /// Whether the canonical address `repo` matches.
    pub fn matches(&self, repo: &str) -> bool {
        let parts: Vec<&str> = repo.split('/').collect();
        let pattern: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        match_segments(&pattern, &parts)
    }
}

fn match_segments(pattern: &[&str], parts: &[&str]) -> bool {
    match pattern.split_first() {
        None => parts.is_empty(),
        Some((&"**", rest)) => (0..=parts.len()).any(|skip| match_segments(rest, &parts[skip..])),
        Some((first, rest)) => parts.split_first().is_some_and(|(part, others)| {
            match_segment(first, part) && match_segments(rest, others)
        }),
    }
}

/// `*` matches any run of characters within the segment.
fn match_segment(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, tail)) => {
            let Some(after) = text.strip_prefix(head) else {
                return false;
            };
            (0..=after.len())
                .filter(|&i| after.is_char_boundary(i))
                .any(|i| match_segment(tail, &after[i..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(text: &str) -> RepoGlob {
        RepoGlob::parse(text).unwrap()
    }

    #[test]
    fn one_star_is_one_segment_two_are_any() {
        let g = glob("ghcr.io/acme/*");
        assert!(g.matches("ghcr.io/acme/app"));
        assert!(!g.matches("ghcr.io/acme/x/app"));
        assert!(!g.matches("ghcr.io/acme"));
        assert!(!g.matches("ghcr.io/other/app"));
        let g = glob("localhost:5000/team/**");
        assert!(g.matches("localhost:5000/team/a"));
        assert!(g.matches("localhost:5000/team/a/b/c"));
        assert!(g.matches("localhost:5000/team"));
        assert!(!g.matches("localhost:5000/teams/a"));
        assert!(!g.matches("localhost:5001/team/a"));
        let g = glob("r.example/**/app-*");
        assert!(g.matches("r.example/app-1"));
        assert!(g.matches("r.example/x/y/app-2"));
        assert!(!g.matches("r.example/x/app"));
        assert!(glob("r.example/*-svc/*").matches("r.example/pay-svc/api"));
    }

    #[test]
    fn the_registry_is_canonical() {
        assert!(glob("index.docker.io/acme/*").matches("docker.io/acme/app"));
        assert!(glob("GHCR.IO/acme/*").matches("ghcr.io/acme/app"));
    }

    #[test]
    fn bad_globs_say_why() {
        for bad in [
            "ghcr.io",
            "*.io/acme/*",
            "ghcr.io//x",
            "ghcr.io/a**/x",
            "no host/x y",
        ] {
            assert!(RepoGlob::parse(bad).is_err(), "{bad}");
        }
    }
}

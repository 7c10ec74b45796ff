//! Digests: the only strings from outside that become paths, so they are
//! checked against a strict grammar first.

use sha2::{Digest, Sha256, Sha512};

/// `blobs/<alg>/<hex>` for a digest the host accepts (`sha256:` and 64,
/// or `sha512:` and 128, lowercase hex digits); `None` for anything else,
/// so no path is built from it.
pub fn blob_path(digest: &str) -> Option<String> {
    berth_sdk::is_digest(digest).then(|| format!("blobs/{}", digest.replacen(':', "/", 1)))
}

pub fn is_valid(digest: &str) -> bool {
    blob_path(digest).is_some()
}

/// Tags cannot contain `:`, so a reference with one is meant as a digest.
pub fn is_reference(reference: &str) -> bool {
    reference.contains(':')
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex(&Sha256::digest(bytes)))
}

/// Whether `bytes` hash to `digest` (which must be valid).
pub fn matches(digest: &str, bytes: &[u8]) -> bool {
    let actual = match digest.split_once(':') {
        Some(("sha256", _)) => sha256(bytes),
        Some(("sha512", _)) => format!("sha512:{}", hex(&Sha512::digest(bytes))),
        _ => return false,
    };
    actual == digest
}

/// Whether everything `reader` yields hashes to `digest`, read in parts.
pub fn reader_matches(digest: &str, mut reader: impl std::io::Read) -> std::io::Result<bool> {
    enum Running {
        Sha256(Sha256),
        Sha512(Sha512),
    }
    let mut running = match digest.split_once(':') {
        Some(("sha256", _)) => Running::Sha256(Sha256::new()),
        Some(("sha512", _)) => Running::Sha512(Sha512::new()),
        _ => return Ok(false),
    };
    let mut buffer = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        match &mut running {
            Running::Sha256(h) => h.update(&buffer[..n]),
            Running::Sha512(h) => h.update(&buffer[..n]),
        }
    }
    let actual = match running {
        Running::Sha256(h) => format!("sha256:{}", hex(&h.finalize())),
        Running::Sha512(h) => format!("sha512:{}", hex(&h.finalize())),
    };
    Ok(actual == digest)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_only_from_valid_digests() {
        let ok = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            blob_path(&ok).as_deref(),
            Some(format!("blobs/sha256/{}", "a".repeat(64)).as_str())
        );
        assert!(blob_path(&format!("sha512:{}", "0".repeat(128))).is_some());
        for bad in [
            String::new(),
            "sha256:".into(),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}", "a".repeat(63)),
            format!("sha256:{}", "a".repeat(65)),
            format!("sha512:{}", "a".repeat(64)),
            format!("md5:{}", "a".repeat(32)),
            format!("sha256:../../{}", "a".repeat(58)),
            format!("sha256/{}", "a".repeat(64)),
        ] {
            assert_eq!(blob_path(&bad), None, "{bad}");
        }
    }

    #[test]
    fn hashes() {
        assert_eq!(
            sha256(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert!(matches(&sha256(b"abc"), b"abc"));
        assert!(!matches(&sha256(b"abc"), b"abd"));
        let sha512_abc = "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a\
                          2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f";
        assert!(matches(sha512_abc, b"abc"));
    }
}

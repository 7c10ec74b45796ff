//! Content digests: computing them, and checking bytes against one whatever
//! its algorithm. berth accepts `sha256:` and `sha512:` digests and checks
//! every one it is given; any other algorithm is refused, never trusted.

use sha2::{Digest as _, Sha256, Sha512};

/// `sha256:<hex>` of `bytes`, the digest berth gives what it writes.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Computes a digest of the algorithm `expected` names, fed in parts.
pub enum Hasher {
    Sha256(Sha256),
    Sha512(Sha512),
}

impl Hasher {
    /// A hasher for `digest`'s algorithm; an error names an algorithm
    /// berth cannot check.
    pub fn for_digest(digest: &str) -> Result<Self, String> {
        match digest.split_once(':').map(|(a, _)| a) {
            Some("sha256") => Ok(Hasher::Sha256(Sha256::new())),
            Some("sha512") => Ok(Hasher::Sha512(Sha512::new())),
            _ => Err(format!(
                "cannot verify {digest:?}: berth checks sha256 and sha512 digests only"
            )),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// `algorithm:hex` of everything fed.
    pub fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        }
    }
}

/// Whether `bytes` have digest `expected`; an error says why not (another
/// digest, or an algorithm berth cannot check).
pub fn verify(expected: &str, bytes: &[u8]) -> Result<(), String> {
    let mut hasher = Hasher::for_digest(expected)?;
    hasher.update(bytes);
    let actual = hasher.finish();
    if actual == expected {
        Ok(())
    } else {
        Err(format!("the content's digest is {actual}, not {expected}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_are_checked() {
        let sha256 = sha256(b"{}");
        assert_eq!(
            sha256,
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert!(verify(&sha256, b"{}").is_ok());
        assert!(verify(&sha256, b"[]").is_err());
        let sha512 = format!("sha512:{}", hex::encode(Sha512::digest(b"{}")));
        assert!(verify(&sha512, b"{}").is_ok());
        let forged = format!("sha512:{}", "0".repeat(128));
        assert!(
            verify(&forged, b"{}")
                .unwrap_err()
                .contains("not sha512:0000")
        );
    }

    #[test]
    fn other_algorithms_are_refused() {
        let e = verify("md5:d41d8cd98f00b204e9800998ecf8427e", b"").unwrap_err();
        assert!(e.contains("sha256 and sha512"), "{e}");
    }
}

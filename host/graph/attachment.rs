//! Attachment tags: `sha256-<64 hex>` (the referrers fallback index) and
//! `sha256-<64 hex>.<suffix>` (cosign `.sig`, `.att`, `.sbom`) belong to the
//! manifest whose digest the name spells.

/// The digest an attachment tag belongs to, or `None` for an ordinary tag.
pub fn subject_of(tag: &str) -> Option<String> {
    let rest = tag.strip_prefix("sha256-")?;
    let (hex, suffix) = match rest.split_once('.') {
        Some((hex, suffix)) => (hex, Some(suffix)),
        None => (rest, None),
    };
    let hex_ok = hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (hex_ok && suffix.is_none_or(|s| !s.is_empty())).then(|| format!("sha256:{hex}"))
}

/// Whether `tag` is the fallback index itself (no suffix), which lists the
/// subject's referrers.
pub fn is_fallback_index(tag: &str) -> bool {
    subject_of(tag).is_some() && !tag.contains('.')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachment_tags_name_their_subject() {
        let hex = "ab".repeat(32);
        let digest = format!("sha256:{hex}");
        assert_eq!(subject_of(&format!("sha256-{hex}")), Some(digest.clone()));
        assert_eq!(
            subject_of(&format!("sha256-{hex}.sig")),
            Some(digest.clone())
        );
        assert_eq!(subject_of(&format!("sha256-{hex}.att")), Some(digest));
        assert!(is_fallback_index(&format!("sha256-{hex}")));
        assert!(!is_fallback_index(&format!("sha256-{hex}.sbom")));
    }

    #[test]
    fn ordinary_tags_are_not_attachments() {
        let hex = "ab".repeat(32);
        for tag in [
            "latest".to_string(),
            format!("sha256-{}", &hex[..63]),
            format!("sha256-{}", hex.to_uppercase()),
            format!("sha256-{hex}."),
            format!("sha512-{hex}"),
            format!("v1-sha256-{hex}"),
        ] {
            assert_eq!(subject_of(&tag), None, "{tag}");
        }
    }
}

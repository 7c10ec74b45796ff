//! The next page of a listing, from the `Link` headers of the answer, as a
//! URL the host can request.

use url::Url;

/// The `rel="next"` target, resolved against `base` (the URL that
/// answered) as [`berth_parse::link::next_link`] does it; None also when
/// the result is not a URL.
pub fn next_link(header_values: &[&str], base: &Url) -> Option<Url> {
    Url::parse(&berth_parse::link::next_link(header_values, base.as_str())?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(value: &str) -> Option<String> {
        let base = Url::parse("https://registry.example/v2/app/tags/list?n=2").unwrap();
        next_link(&[value], &base).map(String::from)
    }

    #[test]
    fn next_pages_are_urls() {
        assert_eq!(
            next(r#"</v2/app/tags/list?n=2&last=b>; rel="next""#).as_deref(),
            Some("https://registry.example/v2/app/tags/list?n=2&last=b")
        );
        assert_eq!(
            next("</tags/ä>; rel=next").as_deref(),
            Some("https://registry.example/tags/%C3%A4")
        );
        // A backslash is a path character here, not a way to another host.
        assert_eq!(
            next(r"<\\evil.example\x>; rel=next").as_deref(),
            Some("https://registry.example/v2/app/tags///evil.example/x")
        );
        for bad in ["<http://[>; rel=next", "<http://exa mple.com/>; rel=next"] {
            assert_eq!(next(bad), None, "{bad}");
        }
    }
}

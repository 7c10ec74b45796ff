//! The next page, from a `Link: <...>; rel="next"` header (RFC 8288),
//! resolved against the URL that answered.

use berth_sdk::http::Response;

/// The absolute URL of the next page, if the answer links one.
pub fn next(response: &Response) -> Option<String> {
    let target = response
        .headers
        .iter()
        .filter(|(name, _)| name.eq_ignore_ascii_case("link"))
        .flat_map(|(_, value)| split(value))
        .find_map(next_target)?;
    Some(resolve(&response.url, target))
}

/// The link-values of a header value: commas inside `<...>` or quotes do
/// not separate them.
fn split(value: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut in_target, mut in_quotes) = (0, false, false);
    for (i, c) in value.char_indices() {
        match c {
            '<' if !in_quotes => in_target = true,
            '>' if !in_quotes => in_target = false,
            '"' if !in_target => in_quotes = !in_quotes,
            ',' if !in_target && !in_quotes => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
}

/// The target of a link-value whose `rel` includes `next`.
fn next_target(link: &str) -> Option<&str> {
    let rest = link.trim().strip_prefix('<')?;
    let (target, params) = rest.split_once('>')?;
    let is_next = params.split(';').any(|param| {
        let Some((key, value)) = param.split_once('=') else {
            return false;
        };
        key.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_matches('"')
                .split_ascii_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
    });
    is_next.then_some(target.trim())
}

/// `target` relative to `base` (absolute, scheme-relative, absolute-path or
/// relative-path reference).
fn resolve(base: &str, target: &str) -> String {
    if target.starts_with("http://") || target.starts_with("https://") {
        return target.to_string();
    }
    let (scheme, rest) = base.split_once("://").unwrap_or(("https", base));
    if let Some(authority_relative) = target.strip_prefix("//") {
        return format!("{scheme}://{authority_relative}");
    }
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let origin = format!("{scheme}://{}", &rest[..authority_end]);
    if target.starts_with('/') {
        return format!("{origin}{target}");
    }
    let path = rest[authority_end..].split(['?', '#']).next().unwrap_or("");
    let dir = path.rfind('/').map_or("/", |i| &path[..=i]);
    format!("{origin}{dir}{target}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(links: &[&str]) -> Response {
        Response {
            status: 200,
            headers: links
                .iter()
                .map(|l| ("Link".to_string(), l.to_string()))
                .collect(),
            body: Vec::new(),
            url: "https://gcr.io/v2/p/app/tags/list?n=2".into(),
        }
    }

    #[test]
    fn finds_and_resolves_next() {
        let r = response(&[r#"</v2/p/app/tags/list?n=2&last=b>; rel="next""#]);
        assert_eq!(
            next(&r).as_deref(),
            Some("https://gcr.io/v2/p/app/tags/list?n=2&last=b")
        );
        let r = response(&[r#"<list?last=b>; rel=next"#]);
        assert_eq!(
            next(&r).as_deref(),
            Some("https://gcr.io/v2/p/app/tags/list?last=b")
        );
        let r =
            response(&[r#"<https://x.example/a>; rel="prev", <//y.example/b>; rel="next last""#]);
        assert_eq!(next(&r).as_deref(), Some("https://y.example/b"));
    }

    #[test]
    fn no_next_no_page() {
        assert_eq!(next(&response(&[])), None);
        assert_eq!(next(&response(&[r#"</a>; rel="prev""#])), None);
        assert_eq!(next(&response(&["garbage"])), None);
    }
}

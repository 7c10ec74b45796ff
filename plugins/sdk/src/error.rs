use crate::{Error, RateLimit};
use serde::Deserialize;

/// What every provider call returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The most characters of a registry's words that a message quotes.
const QUOTED: usize = 300;

/// Turns an HTTP error answer into an [`Error`], quoting the body (trimmed and
/// shortened) so the user sees what the registry said.
pub fn from_status(status: u16, retry_after: Option<u32>, body: &[u8]) -> Error {
    let said = quote(&String::from_utf8_lossy(body));
    let message = if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {said}")
    };
    status_error(status, retry_after, message)
}

/// The [`Error`] an HTTP error status calls for, with a message the provider
/// wrote: 401 `unauthorized`, 403 `forbidden`, 404 `not-found`, 405, 415 and
/// 501 `unsupported`, 429 `rate-limited` (waiting `retry_after` seconds),
/// other 4xx `invalid`, anything else `other`.
pub fn status_error(status: u16, retry_after: Option<u32>, message: String) -> Error {
    match status {
        401 => Error::Unauthorized(message),
        403 => Error::Forbidden(message),
        404 => Error::NotFound(message),
        405 | 415 | 501 => Error::Unsupported(message),
        429 => Error::RateLimited(RateLimit {
            message,
            retry_after,
        }),
        400..=499 => Error::Invalid(message),
        _ => Error::Other(message),
    }
}

/// What a registry said, fit for a message: trimmed, and cut to its first
/// 300 characters.
pub fn quote(said: &str) -> String {
    said.trim().chars().take(QUOTED).collect()
}

/// The entries of an error body in the OCI distribution format,
/// `{"errors": [{"code": ..., "message": ...}]}` (which registries and several
/// vendor APIs answer with), as `CODE: message` joined by `; `. `None` when
/// the body is not such a document. Not shortened: see [`quote`].
pub fn distribution_errors(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Body {
        errors: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        code: Option<String>,
        message: Option<String>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    let entries: Vec<String> = body
        .errors
        .into_iter()
        .map(|e| match (e.code, e.message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            (code, message) => code.or(message).unwrap_or_default(),
        })
        .collect();
    Some(entries.join("; "))
}

impl Error {
    /// The message, whatever the kind of error.
    pub fn message(&self) -> &str {
        match self {
            Error::Unauthorized(m)
            | Error::Forbidden(m)
            | Error::NotFound(m)
            | Error::Unsupported(m)
            | Error::Invalid(m)
            | Error::Transport(m)
            | Error::Other(m) => m,
            Error::RateLimited(limit) => &limit.message,
        }
    }

    /// Adds `hint` as a `hint:` line (which the host shows on a line of its
    /// own) to an `unauthorized` error that has none yet, typically how to
    /// log in to the registry. Other errors are returned as they are.
    pub fn with_login_hint(self, hint: &str) -> Error {
        match self {
            Error::Unauthorized(m) if !m.contains("\nhint: ") => {
                Error::Unauthorized(format!("{m}\nhint: {hint}"))
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_pick_the_kind() {
        let kind = |status| status_error(status, Some(3), "m".into());
        assert!(matches!(kind(401), Error::Unauthorized(m) if m == "m"));
        assert!(matches!(kind(403), Error::Forbidden(_)));
        assert!(matches!(kind(404), Error::NotFound(_)));
        for status in [405, 415, 501] {
            assert!(matches!(kind(status), Error::Unsupported(_)), "{status}");
        }
        assert!(matches!(
            kind(429),
            Error::RateLimited(RateLimit {
                retry_after: Some(3),
                ..
            })
        ));
        assert!(matches!(kind(400), Error::Invalid(_)));
        assert!(matches!(kind(412), Error::Invalid(_)));
        assert!(matches!(kind(500), Error::Other(_)));
        assert!(matches!(kind(302), Error::Other(_)));
    }

    #[test]
    fn from_status_quotes_the_body() {
        assert_eq!(
            from_status(404, None, b"  no such tag\n").message(),
            "HTTP 404: no such tag"
        );
        assert_eq!(from_status(500, None, b" ").message(), "HTTP 500");
        let long = "x".repeat(400);
        assert_eq!(
            from_status(400, None, long.as_bytes()).message().len(),
            "HTTP 400: ".len() + 300
        );
    }

    #[test]
    fn quotes_are_trimmed_and_short() {
        assert_eq!(quote("  Too many requests \n"), "Too many requests");
        assert_eq!(quote(&"é".repeat(301)).chars().count(), 300);
        assert_eq!(quote(""), "");
    }

    #[test]
    fn reads_distribution_errors() {
        let body = br#"{"errors":[{"code":"NOT_FOUND","message":"artifact not found"},{"code":"DENIED"},{"message":"m"}]}"#;
        assert_eq!(
            distribution_errors(body).as_deref(),
            Some("NOT_FOUND: artifact not found; DENIED; m")
        );
        assert_eq!(
            distribution_errors(br#"{"errors":[]}"#).as_deref(),
            Some("")
        );
        assert_eq!(distribution_errors(b"<html>bad gateway</html>"), None);
        assert_eq!(distribution_errors(br#"{"message":"x"}"#), None);
    }

    #[test]
    fn messages_and_login_hints() {
        let limited = Error::RateLimited(RateLimit {
            message: "slow down".into(),
            retry_after: None,
        });
        assert_eq!(limited.message(), "slow down");
        let hinted = Error::Unauthorized("HTTP 401".into()).with_login_hint("docker login");
        assert_eq!(hinted.message(), "HTTP 401\nhint: docker login");
        assert_eq!(
            hinted.with_login_hint("again").message(),
            "HTTP 401\nhint: docker login"
        );
        let other = Error::Forbidden("HTTP 403".into()).with_login_hint("docker login");
        assert!(matches!(other, Error::Forbidden(m) if m == "HTTP 403"));
    }
}

use crate::{Error, RateLimit};

/// What every provider call returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns an HTTP error answer into an [`Error`], quoting the body (trimmed and
/// shortened) so the user sees what the registry said.
pub fn from_status(status: u16, retry_after: Option<u32>, body: &[u8]) -> Error {
    let said = String::from_utf8_lossy(body);
    let said = said.trim();
    let said: String = said.chars().take(300).collect();
    let message = if said.is_empty() {
        format!("HTTP {status}")
    } else {
        format!("HTTP {status}: {said}")
    };
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

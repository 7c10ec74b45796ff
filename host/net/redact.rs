//! URLs as berth shows them in logs and messages: a password in the
//! userinfo and credentials carried in the query (`access_token`,
//! pre-signed `X-Amz-Signature`, `sig`, OAuth `code`, ...) read `<redacted>`.

use reqwest::Url;

const REDACTED: &str = "<redacted>";

/// Query parameters that are credentials whatever their value, lower case.
const SECRET_PARAMS: &[&str] = &[
    "auth",
    "authorization",
    "code",
    "key",
    "passwd",
    "pwd",
    "sig",
];

/// Parts of a parameter name that mark a credential (`refresh_token`,
/// `client_secret`, `X-Amz-Signature`, `api_key`, ...), lower case.
const SECRET_PARTS: &[&str] = &[
    "token",
    "secret",
    "password",
    "signature",
    "credential",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
];

/// `url` with its secrets replaced by `<redacted>`, for logs and messages.
pub fn url(url: &Url) -> String {
    let mut shown = String::new();
    match url.password() {
        Some(_) => {
            shown.push_str(&url[..url::Position::BeforePassword]);
            shown.push_str(REDACTED);
            shown.push_str(&url[url::Position::AfterPassword..url::Position::AfterPath]);
        }
        None => shown.push_str(&url[..url::Position::AfterPath]),
    }
    if let Some(query) = url.query() {
        shown.push('?');
        let pairs: Vec<String> = query.split('&').map(pair).collect();
        shown.push_str(&pairs.join("&"));
    }
    // The fragment never leaves the client, but it can hold a token too
    // (an OAuth implicit grant), and it says nothing worth logging.
    shown
}

/// A URL given as text (a token realm); one that does not parse loses
/// everything after its path, where a secret could be.
pub fn text(text: &str) -> String {
    match Url::parse(text) {
        Ok(parsed) => url(&parsed),
        Err(_) => {
            let end = text.find(['?', '#']).unwrap_or(text.len());
            let cut = if end < text.len() { "?…" } else { "" };
            format!("{}{cut}", &text[..end])
        }
    }
}

fn pair(raw: &str) -> String {
    let (name, value) = raw.split_once('=').unwrap_or((raw, ""));
    if is_secret(name) && !value.is_empty() {
        format!("{name}={REDACTED}")
    } else {
        raw.to_string()
    }
}

fn is_secret(raw_name: &str) -> bool {
    let name: String = url::form_urlencoded::parse(raw_name.as_bytes())
        .map(|(decoded, _)| decoded.into_owned())
        .collect::<String>()
        .to_ascii_lowercase();
    SECRET_PARAMS.contains(&name.as_str()) || SECRET_PARTS.iter().any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(s: &str) -> String {
        url(&Url::parse(s).unwrap())
    }

    #[test]
    fn query_credentials_are_redacted() {
        assert_eq!(
            shown("https://r.example/v2/?access_token=s3cret&n=10"),
            "https://r.example/v2/?access_token=<redacted>&n=10"
        );
        for name in [
            "token",
            "Token",
            "refresh_token",
            "password",
            "secret",
            "client_secret",
            "X-Amz-Signature",
            "X-Amz-Credential",
            "X-Amz-Security-Token",
            "X-Goog-Signature",
            "sig",
            "code",
            "key",
            "api_key",
            "access%5Ftoken",
        ] {
            let out = shown(&format!("https://h/p?a=1&{name}=s3cret&b=2"));
            assert_eq!(
                out,
                format!("https://h/p?a=1&{name}=<redacted>&b=2"),
                "{name}"
            );
        }
    }

    #[test]
    fn ordinary_parameters_stay() {
        for s in [
            "https://h/v2/a/tags/list?n=100&last=v1.2",
            "https://h/token?service=reg&scope=repository:a/b:pull",
            "https://h/api/v1/repos?page=2&per_page=50",
            "http://127.0.0.1:5000/v2/",
        ] {
            assert_eq!(shown(s), s);
        }
    }

    #[test]
    fn userinfo_password_and_fragment_are_hidden() {
        assert_eq!(
            shown("https://bob:hunter2@h:8443/p?q=1#access_token=x"),
            "https://bob:<redacted>@h:8443/p?q=1"
        );
    }

    #[test]
    fn unparsable_text_loses_its_query() {
        assert_eq!(text("https://h/token?x=1"), "https://h/token?x=1");
        assert_eq!(text("not a url?token=s3cret"), "not a url?…");
        assert_eq!(text("not a url"), "not a url");
    }
}

//! ACR's token flows, as the registry documents them:
//!
//! - an ACR refresh token (what `az acr login` stores in docker config as
//!   the identity token) → `POST /oauth2/token` with
//!   `grant_type=refresh_token`, `service`, `scope`, `refresh_token` →
//!   `access_token`;
//! - an Azure AD access token (option `aad-token`) → `POST /oauth2/exchange`
//!   with `grant_type=access_token`, `service`, `access_token` (and
//!   `tenant`) → `refresh_token`, then as above;
//! - a user name and password (admin user, repository-scoped token): not
//!   handled here; requests go out without `Authorization` and the host
//!   answers the registry's Bearer challenge with them.

use berth_sdk::http::{Request, Response};
use berth_sdk::{Error, Result, Target, config, oci};
use serde::Deserialize;
use std::cell::RefCell;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The user name that makes ACR take the password as a refresh token.
const REFRESH_TOKEN_USER: &str = "00000000-0000-0000-0000-000000000000";
/// ACR access tokens live 75 minutes or more; one run never needs more.
const ACCESS_TOKEN_REUSE: Duration = Duration::from_secs(10 * 60);

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache::default());
}

#[derive(Default)]
struct Cache {
    /// From `/oauth2/exchange`, for the `aad-token` option.
    exchanged: Option<String>,
    handed_to_host: bool,
    /// Scope → access token.
    access: HashMap<String, (String, Instant)>,
}

/// Where a request's authorization comes from.
pub enum Access {
    /// `Authorization: Bearer` with this ACR access token.
    Bearer(String),
    /// The host answers the registry's challenge with the operator's
    /// docker credentials (user and password, or none).
    Host,
}

/// Authorization for a request needing `scope` (`repository:<name>:<action>`).
pub fn access(target: &Target, scope: &str) -> Result<Access> {
    let Some(refresh) = refresh_token(target)? else {
        return Ok(Access::Host);
    };
    let cached = CACHE.with(|c| {
        c.borrow()
            .access
            .get(scope)
            .filter(|(_, at)| at.elapsed() < ACCESS_TOKEN_REUSE)
            .map(|(t, _)| t.clone())
    });
    if let Some(token) = cached {
        return Ok(Access::Bearer(token));
    }
    let token = access_token(target, &refresh, scope)?;
    CACHE.with(|c| {
        c.borrow_mut()
            .access
            .insert(scope.to_string(), (token.clone(), Instant::now()))
    });
    Ok(Access::Bearer(token))
}

/// With option `aad-token`, hands the exchanged refresh token to the host so
/// that its OCI calls authenticate with it too; otherwise the host already
/// has the operator's docker credentials.
pub fn prepare_oci(target: &Target) -> Result<()> {
    if config::get_option("aad-token").is_none() {
        return Ok(());
    }
    if CACHE.with(|c| c.borrow().handed_to_host) {
        return Ok(());
    }
    if let Some(refresh) = refresh_token(target)? {
        oci::use_credential(REFRESH_TOKEN_USER, &refresh);
        CACHE.with(|c| c.borrow_mut().handed_to_host = true);
    }
    Ok(())
}

/// The ACR refresh token: exchanged from `aad-token`, else the identity token
/// of the operator's docker config.
fn refresh_token(target: &Target) -> Result<Option<String>> {
    if let Some(aad) = config::get_option("aad-token").filter(|t| !t.trim().is_empty()) {
        if let Some(refresh) = CACHE.with(|c| c.borrow().exchanged.clone()) {
            return Ok(Some(refresh));
        }
        let refresh = exchange(target, aad.trim())?;
        CACHE.with(|c| c.borrow_mut().exchanged = Some(refresh.clone()));
        return Ok(Some(refresh));
    }
    Ok(config::registry_credential()
        .filter(|c| c.identity_token)
        .map(|c| c.secret))
}

fn exchange(target: &Target, aad_token: &str) -> Result<String> {
    let mut form = vec![
        ("grant_type", "access_token".to_string()),
        ("service", target.registry.clone()),
        ("access_token", aad_token.to_string()),
    ];
    if let Some(tenant) = config::get_option("tenant").filter(|t| !t.trim().is_empty()) {
        form.push(("tenant", tenant.trim().to_string()));
    }
    let response = post_form(&format!("{}/oauth2/exchange", target.base_url), &form)?;
    if !(200..300).contains(&response.status) {
        let e = crate::acr_error("POST /oauth2/exchange", &response);
        return Err(match e {
            Error::Unauthorized(m) | Error::Invalid(m) | Error::Forbidden(m) => {
                Error::Unauthorized(format!(
                    "{} refused the Azure AD token of option aad-token: {m}\nhint: give a current token: \
                     --opt aad-token=\"$(az account get-access-token --query accessToken -o tsv)\" \
                     (and --opt tenant=ID when the registry is in another tenant)",
                    target.registry
                ))
            }
            other => other,
        });
    }
    #[derive(Deserialize)]
    struct Exchanged {
        refresh_token: Option<String>,
    }
    let body: Exchanged = response.json()?;
    body.refresh_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Invalid("POST /oauth2/exchange returned no refresh_token".into()))
}

fn access_token(target: &Target, refresh: &str, scope: &str) -> Result<String> {
    let form = [
        ("grant_type", "refresh_token".to_string()),
        ("service", target.registry.clone()),
        ("scope", scope.to_string()),
        ("refresh_token", refresh.to_string()),
    ];
    let response = post_form(&format!("{}/oauth2/token", target.base_url), &form)?;
    if !(200..300).contains(&response.status) {
        let e = crate::acr_error("POST /oauth2/token", &response);
        return Err(match e {
            Error::Unauthorized(m) | Error::Invalid(m) | Error::Forbidden(m) => {
                let source = if config::get_option("aad-token").is_some() {
                    "the token exchanged for option aad-token"
                } else {
                    "the identity token in docker config"
                };
                Error::Unauthorized(format!(
                    "{} refused {source} for {scope}: {m}\nhint: {}",
                    target.registry,
                    crate::login_hint(target)
                ))
            }
            other => other,
        });
    }
    #[derive(Deserialize)]
    struct Token {
        access_token: Option<String>,
    }
    let body: Token = response.json()?;
    body.access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::Invalid("POST /oauth2/token returned no access_token".into()))
}

/// An `application/x-www-form-urlencoded` POST to the registry.
fn post_form(url: &str, form: &[(&str, String)]) -> Result<Response> {
    let body: Vec<String> = form
        .iter()
        .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
        .collect();
    Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.join("&").into_bytes())
        .send()
}

/// `application/x-www-form-urlencoded` encoding of one name or value.
pub fn form_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'*' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::form_encode;

    #[test]
    fn form_encoding() {
        assert_eq!(
            form_encode("repository:team/app:metadata_read"),
            "repository%3Ateam%2Fapp%3Ametadata_read"
        );
        assert_eq!(form_encode("a b+c=d&e"), "a+b%2Bc%3Dd%26e");
        assert_eq!(form_encode("eyJ0.x-y_z"), "eyJ0.x-y_z");
    }
}

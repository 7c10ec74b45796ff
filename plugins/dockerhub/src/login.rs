//! Which Docker Hub credential to use: the provider's options first, else the
//! operator's docker config entry for Docker Hub.

use crate::Repo;
use berth_sdk::{Error, Result, config, oci};
use std::cell::Cell;

/// What a hint says when credentials are missing or refused.
pub const CREDENTIALS_HINT: &str = "give Docker Hub credentials: --opt username=NAME with \
--opt password=PASSWORD, or --opt token=ACCESS_TOKEN (BERTH_DOCKERHUB_USERNAME, \
BERTH_DOCKERHUB_PASSWORD, BERTH_DOCKERHUB_TOKEN), or run `docker login`";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Password,
    /// A personal or organisation access token.
    AccessToken,
}

pub struct Login {
    /// A user name, or the organisation of an organisation access token.
    pub identifier: String,
    pub secret: String,
    pub kind: Kind,
    /// Where the credential came from, for messages.
    pub source: &'static str,
    /// Set by the operator as provider options (not from docker config).
    pub explicit: bool,
}

fn option(name: &str) -> Option<String> {
    config::get_option(name).filter(|v| !v.is_empty())
}

/// The credential to use, if there is one.
pub fn find(repo: &Repo) -> Result<Option<Login>> {
    let username = option("username");
    if let Some(token) = option("token") {
        // An organisation access token's identifier is the organisation,
        // which is usually the repository's namespace.
        let identifier = username
            .or_else(|| docker_config().map(|c| c.username))
            .unwrap_or_else(|| repo.namespace.clone());
        return Ok(Some(Login {
            identifier,
            secret: token,
            kind: Kind::AccessToken,
            source: "option token",
            explicit: true,
        }));
    }
    if let Some(password) = option("password") {
        let Some(identifier) = username else {
            return Err(Error::Unauthorized(format!(
                "option password is set but username is not\nhint: {CREDENTIALS_HINT}"
            )));
        };
        return Ok(Some(Login {
            identifier,
            kind: kind_of(&password),
            secret: password,
            source: "options username and password",
            explicit: true,
        }));
    }
    if username.is_some() {
        return Err(Error::Unauthorized(format!(
            "option username is set without password or token\nhint: {CREDENTIALS_HINT}"
        )));
    }
    Ok(docker_config().map(|c| Login {
        identifier: c.username,
        kind: kind_of(&c.secret),
        secret: c.secret,
        source: "the docker config",
        explicit: false,
    }))
}

/// Docker Hub's entry in the docker config, when it is a user name and a
/// password or token (an identity token is not accepted by the Hub API).
fn docker_config() -> Option<config::Credential> {
    config::registry_credential().filter(|c| {
        if c.identity_token {
            berth_sdk::log::log(
                berth_sdk::log::Level::Debug,
                "the docker config holds an identity token for Docker Hub, which the Hub API does not accept",
            );
        }
        !c.identity_token && !c.username.is_empty() && !c.secret.is_empty()
    })
}

/// Access tokens are `dckr_pat_...`/`dckr_oat_...`; older personal access
/// tokens are bare UUIDs.
fn kind_of(secret: &str) -> Kind {
    let uuid = secret.len() == 36
        && secret.char_indices().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => c == '-',
            _ => c.is_ascii_hexdigit(),
        });
    if secret.starts_with("dckr_pat_") || secret.starts_with("dckr_oat_") || uuid {
        Kind::AccessToken
    } else {
        Kind::Password
    }
}

thread_local! {
    static HANDED: Cell<bool> = const { Cell::new(false) };
}

/// Gives credentials from the provider's options to the host for the
/// registry API too (the docker config's the host reads itself). Once per
/// instance: each hand-over resets the host's cached registry tokens.
pub fn hand_to_registry(repo: &Repo) -> Result<()> {
    if HANDED.with(Cell::get) {
        return Ok(());
    }
    if let Some(login) = find(repo)?.filter(|l| l.explicit) {
        oci::use_credential(&login.identifier, &login.secret);
    }
    HANDED.with(|h| h.set(true));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_tokens_are_recognised() {
        assert!(kind_of("dckr_pat_abc") == Kind::AccessToken);
        assert!(kind_of("dckr_oat_abc") == Kind::AccessToken);
        assert!(kind_of("a7a5ef25-8889-43a0-8cc7-f2a94268e861") == Kind::AccessToken);
        assert!(kind_of("hunter2") == Kind::Password);
    }
}

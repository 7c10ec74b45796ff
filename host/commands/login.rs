//! `berth login REGISTRY -u USER --password-stdin` and `berth logout
//! REGISTRY`: the credential is checked against the registry first, then
//! kept (or forgotten) the way `docker login` does, so docker and berth
//! share it.

use crate::auth::store::{self, Place};
use crate::auth::verify::{Refusal, verify};
use crate::auth::{Credential, DockerConfig};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::output::{self, Format};
use crate::reference::parse_repository;
use crate::target::Target;
use berth_parse::docker_hub;
use std::io::Read;

/// Longest password read from standard input.
const MAX_SECRET: u64 = 64 * 1024;

#[derive(clap::Args)]
#[command(
    after_help = "The credential is checked with one GET /v2/ before it is kept: through the \
credential helper the docker config names for the registry (credHelpers, else credsStore), else \
in config.json's auths, keeping every other key of the file.

Examples:
  echo \"$TOKEN\" | berth login ghcr.io -u octocat --password-stdin
  berth login localhost:5000 -u alice --password-stdin < password.txt
  berth --docker-config ./ci-docker login registry.gitlab.com -u ci --password-stdin"
)]
pub struct LoginArgs {
    /// Registry host: HOST[:PORT]
    #[arg(value_name = "REGISTRY", default_value = "docker.io")]
    pub registry: String,
    /// User name (for a token, whatever the registry expects, e.g. the token's owner)
    #[arg(short, long, value_name = "USER")]
    pub username: String,
    /// Read the password or token from standard input
    #[arg(long)]
    pub password_stdin: bool,
    /// Refused: a password on the command line ends up in shell history and process lists
    #[arg(short, long, value_name = "PASSWORD", hide = true)]
    pub password: Option<String>,
}

#[derive(clap::Args)]
#[command(after_help = "Examples:
  berth logout ghcr.io
  berth logout localhost:5000")]
pub struct LogoutArgs {
    /// Registry host: HOST[:PORT]
    #[arg(value_name = "REGISTRY", default_value = "docker.io")]
    pub registry: String,
}

pub async fn login(ctx: &Context, args: LoginArgs) -> Result<u8> {
    if args.password.is_some() {
        return Err(
            Error::usage("a password on the command line is refused").hint(
                "pipe it in: `echo \"$PASSWORD\" | berth login REGISTRY -u USER --password-stdin`",
            ),
        );
    }
    if !args.password_stdin {
        return Err(
            Error::usage("berth login reads the password from standard input")
                .hint("give --password-stdin and pipe the password or token in"),
        );
    }
    let (registry, base) = registry(&args.registry, ctx.settings.plain_http)?;
    let password = read_secret()?;
    let credential = Credential::Basic {
        username: args.username.clone(),
        password,
    };
    match verify(&ctx.client, &base, credential.clone()).await {
        Ok(()) => {}
        Err(Refusal::Refused(why)) => {
            return Err(Error::failed(format!(
                "{registry} refused the credential of {}: {why}",
                args.username
            ))
            .hint("nothing was stored; check the user name and the password or token"));
        }
        Err(Refusal::Unknown(why)) => {
            return Err(Error::failed(format!(
                "cannot check the credential with {registry}: {why}"
            ))
            .hint("nothing was stored; check the address, the network and TLS (--ca-file, --plain-http)"));
        }
    }
    let config = DockerConfig::load(ctx.settings.docker_config_dir())?;
    let place = store::keep(&config, &registry, &credential).await?;
    report(ctx, &registry, "login", std::slice::from_ref(&place));
    Ok(0)
}

pub async fn logout(ctx: &Context, args: LogoutArgs) -> Result<u8> {
    let (registry, _) = registry(&args.registry, ctx.settings.plain_http)?;
    let config = DockerConfig::load(ctx.settings.docker_config_dir())?;
    let forgotten = store::forget(&config, &registry).await?;
    report(ctx, &registry, "logout", &forgotten);
    Ok(0)
}

fn report(ctx: &Context, registry: &str, action: &str, places: &[Place]) {
    let shown: Vec<String> = places.iter().map(ToString::to_string).collect();
    match ctx.settings.output {
        Format::Json => output::json(&serde_json::json!({
            "registry": registry,
            "action": action,
            "places": shown,
        })),
        Format::Text if action == "login" => output::lines([format!(
            "logged in to {registry}; the credential is kept in {}",
            shown.join(", ")
        )]),
        Format::Text if shown.is_empty() => {
            output::lines([format!("no credential for {registry} was kept")])
        }
        Format::Text => output::lines([format!(
            "logged out of {registry}: forgot {}",
            shown.join(", ")
        )]),
    }
}

/// The canonical registry name and the base URL of its API, by the rules
/// repository addresses follow (`docker.io` is registry-1.docker.io).
fn registry(given: &str, plain_http: bool) -> Result<(String, reqwest::Url)> {
    let host = given
        .split_once("://")
        .map_or(given, |(_, rest)| rest)
        .trim_end_matches('/');
    let host = host.strip_suffix("/v1").unwrap_or(host);
    if host.is_empty() || host.contains('/') {
        return Err(Error::usage(format!(
            "{given:?} is not a registry host: give HOST[:PORT]"
        )));
    }
    let address = match host {
        _ if docker_hub::is_docker_hub(host) => format!("{}/library/x", docker_hub::NAME),
        _ if host.contains('.') || host.contains(':') || host == "localhost" => format!("{host}/x"),
        _ => {
            return Err(Error::usage(format!(
                "{given:?} is not a registry host: a host has a dot or a port, or is localhost"
            )));
        }
    };
    match Target::new(&parse_repository(&address)?, plain_http) {
        Target::Registry { repo, base } => Ok((repo.registry, base)),
        Target::Layout { .. } => Err(Error::usage(format!("{given:?} is not a registry host"))),
    }
}

fn read_secret() -> Result<String> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .take(MAX_SECRET)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::usage(format!("cannot read the password from standard input: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| Error::usage("the password on standard input is not UTF-8"))?;
    let secret = text.trim_end_matches(['\n', '\r']).to_string();
    if secret.is_empty() {
        return Err(Error::usage("no password on standard input"));
    }
    Ok(secret)
}

//! How berth is pointed at a vendor's servers and given its credentials:
//! options, environment variables and docker config logins, as that
//! vendor's users set them.

use serde_json::{Value, json};

use super::super::login::{basic_auth, write_docker_config};
use super::super::{BerthCommand, Sandbox};

/// One thing set for a run.
#[derive(Clone, Debug)]
pub enum Setting {
    /// `--opt NAME=VALUE`
    Opt(String, String),
    /// A variable in berth's environment.
    Env(String, String),
    /// The docker config entry for the vendor's registry host (`auth`,
    /// `identitytoken`, …), as `docker login` or `az acr login` leave it.
    DockerAuth(Value),
}

impl Setting {
    pub fn opt(name: &str, value: &str) -> Setting {
        Setting::Opt(name.into(), value.into())
    }

    pub fn env(name: &str, value: &str) -> Setting {
        Setting::Env(name.into(), value.into())
    }

    /// A `docker login` with `user` and `password`.
    pub fn docker(user: &str, password: &str) -> Setting {
        Setting::DockerAuth(json!({"auth": basic_auth(user, password)}))
    }
}

/// How an account's name and secret reach berth.
#[derive(Clone, Copy, Debug)]
pub enum Login {
    /// The vendor checks no credentials.
    None,
    /// `docker login` to the registry host.
    Docker,
    /// The options for the name and the secret.
    Opts(&'static str, &'static str),
    /// The variables for the name and the secret.
    Env(&'static str, &'static str),
}

impl Login {
    pub fn settings(self, user: &str, secret: &str) -> Vec<Setting> {
        match self {
            Login::None => panic!("this vendor takes no login"),
            Login::Docker => vec![Setting::docker(user, secret)],
            Login::Opts(name, password) => {
                vec![Setting::opt(name, user), Setting::opt(password, secret)]
            }
            Login::Env(name, password) => {
                vec![Setting::env(name, user), Setting::env(password, secret)]
            }
        }
    }
}

/// What a vendor's users give berth.
#[derive(Clone, Debug)]
pub struct Access {
    /// `--provider`, where neither the address nor a probe can tell.
    pub provider: Option<&'static str>,
    /// What points berth at the servers; no secret among it.
    pub pointing: Vec<Setting>,
    pub login: Login,
    /// The vendor's own credentials: a login and whatever else its users
    /// set (an API token).
    pub credentials: Vec<Setting>,
}

impl Access {
    /// An anonymous registry that address or probe finds.
    pub fn open() -> Access {
        Access {
            provider: None,
            pointing: Vec::new(),
            login: Login::None,
            credentials: Vec::new(),
        }
    }

    /// A registry that address or probe finds, logged in to with
    /// `docker login` as `user`.
    pub fn docker(user: &str, password: &str) -> Access {
        Access {
            login: Login::Docker,
            credentials: Login::Docker.settings(user, password),
            ..Access::open()
        }
    }

    /// With `setting` among the credentials too.
    pub fn and(mut self, setting: Setting) -> Access {
        self.credentials.push(setting);
        self
    }
}

/// `command` with `settings`; a docker config is written anew in the
/// sandbox for `registry`, the host berth reaches.
pub fn apply(
    mut command: BerthCommand,
    settings: &[Setting],
    sandbox: &Sandbox,
    registry: &str,
) -> BerthCommand {
    for setting in settings {
        command = match setting {
            Setting::Opt(name, value) => command.args(["--opt", &format!("{name}={value}")]),
            Setting::Env(name, value) => command.env(name, value),
            Setting::DockerAuth(entry) => {
                let dir = write_docker_config(sandbox, registry, entry.clone());
                command.arg("--docker-config").arg(dir)
            }
        };
    }
    command
}

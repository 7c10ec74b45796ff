//! Every vendor berth has a provider for, and how a bed sets each one up:
//! its servers, its repository and store, and what its users give berth.

use std::sync::Arc;

use serde_json::json;

use super::super::fakes::acr::{AcrFake, REFRESH_TOKEN_USER};
use super::super::fakes::branded::{ARTIFACTORY, Branded};
use super::super::fakes::dockerhub::{self, DockerHubFake};
use super::super::fakes::ecr::{EcrFake, EcrStore};
use super::super::fakes::gcr::{ACCESS_TOKEN, GcrFake};
use super::super::fakes::github::{self, ALL_SCOPES, GithubFake};
use super::super::fakes::gitlab::{Generation, GitLabFake, PRIVATE_TOKEN, USER as GITLAB_USER};
use super::super::fakes::harbor::{ADMIN, ADMIN_PASSWORD, HarborFake};
use super::super::fakes::nexus::{self, NexusFake};
use super::super::fakes::quay::{self, QuayFake, READ_TOKEN, ROBOT, ROBOT_PASSWORD};
use super::super::layout::Layouts;
use super::super::login::basic_auth;
use super::super::moto::{self, Moto, REGISTRY};
use super::super::store::Store;
use super::super::{Proxy, Registry, RegistryOptions, Sandbox, Seeder, TokenRegistry, User};
use super::access::{Access, Login, Setting};
use super::parts::Part;

/// The account of the `default-token` registry.
pub const TOKEN_USER: &str = "alice";
pub const TOKEN_PASSWORD: &str = "wonder";
/// What Yandex users log in with: the user `oauth` and an OAuth token.
pub const YANDEX_USER: &str = "oauth";
pub const YANDEX_TOKEN: &str = "y0_AgAAAAB-oauth-token";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Vendor {
    /// Distribution, anonymous.
    Default,
    /// Distribution with token auth.
    DefaultToken,
    OciLayout,
    Ecr,
    Acr,
    Gcr,
    Yandex,
    DockerHub,
    Github,
    Gitlab,
    Harbor,
    Quay,
    Artifactory,
    Nexus,
}

/// What a bed is made of, as a vendor sets it up.
pub(super) struct Setup {
    /// What repository addresses start with: `HOST:PORT`, or `oci:DIR`.
    pub registry: String,
    /// The bed's repository.
    pub name: &'static str,
    pub store: Arc<dyn Store>,
    pub access: Access,
    pub parts: Vec<Arc<dyn Part>>,
}

impl Vendor {
    /// The provider berth should choose.
    pub fn provider(self) -> &'static str {
        match self {
            Vendor::Default | Vendor::DefaultToken => "default",
            Vendor::OciLayout => "oci-layout",
            Vendor::Ecr => "ecr",
            Vendor::Acr => "acr",
            Vendor::Gcr => "gcr",
            Vendor::Yandex => "yandex",
            Vendor::DockerHub => "dockerhub",
            Vendor::Github => "github",
            Vendor::Gitlab => "gitlab",
            Vendor::Harbor => "harbor",
            Vendor::Quay => "quay",
            Vendor::Artifactory => "artifactory",
            Vendor::Nexus => "nexus",
        }
    }

    pub(super) fn setup(self, sandbox: &Sandbox) -> Setup {
        match self {
            Vendor::Default => plain(),
            Vendor::DefaultToken => token_auth(TOKEN_USER, TOKEN_PASSWORD, None),
            Vendor::OciLayout => layout(sandbox),
            Vendor::Ecr => ecr(),
            Vendor::Acr => acr(),
            Vendor::Gcr => gcr(),
            Vendor::Yandex => token_auth(YANDEX_USER, YANDEX_TOKEN, Some("yandex")),
            Vendor::DockerHub => docker_hub(),
            Vendor::Github => github(),
            Vendor::Gitlab => gitlab(),
            Vendor::Harbor => harbor(),
            Vendor::Quay => quay(),
            Vendor::Artifactory => branded(ARTIFACTORY, "docker-local/team/app"),
            Vendor::Nexus => nexus(),
        }
    }
}

/// Distribution behind the fault proxy, which berth reaches and which logs.
fn plain() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    Setup {
        registry: proxy.addr(),
        name: "app",
        store: Arc::new(registry.seeder()),
        access: Access::open(),
        parts: vec![Arc::new(registry), Arc::new(proxy)],
    }
}

/// Distribution with our token server and one account, behind the proxy.
/// Yandex's registry is this, with its users' login.
fn token_auth(user: &str, password: &str, provider: Option<&'static str>) -> Setup {
    let registry = TokenRegistry::start([User::new(user, password)]);
    let proxy = Proxy::start(&registry.registry.url());
    Setup {
        registry: proxy.addr(),
        name: "app",
        store: Arc::new(registry.seeder()),
        access: Access {
            provider,
            ..Access::docker(user, password)
        },
        parts: vec![Arc::new(registry), Arc::new(proxy)],
    }
}

/// A layout directory in the sandbox; no server.
fn layout(sandbox: &Sandbox) -> Setup {
    let root = sandbox.home().join("layouts");
    let layouts = Layouts::new(&root);
    layouts.dir("app");
    Setup {
        registry: format!("oci:{}", root.display()),
        name: "app",
        store: Arc::new(layouts),
        access: Access::open(),
        parts: Vec::new(),
    }
}

/// moto behind its logging proxy, at `AWS_ENDPOINT_URL_ECR`, and ECR's
/// registry endpoint (its fake before distribution) at the ECR host's
/// name over HTTPS: berth reaches that host through an HTTPS proxy, as a
/// user behind one would, which ends the TLS with a certificate for the
/// name from a CA berth is given (`BERTH_CA_FILE`). The API, plain HTTP on
/// loopback, is reached directly.
fn ecr() -> Setup {
    let moto = Arc::new(Moto::start());
    moto.create_repository("app");
    let registry = Registry::start(RegistryOptions::default());
    moto.keep_blobs_in(&registry);
    let fake = EcrFake::start(&registry, &moto);
    let login = Login::Env("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
    Setup {
        registry: REGISTRY.into(),
        name: "app",
        store: Arc::new(EcrStore {
            moto: moto.clone(),
            blobs: registry.seeder(),
        }),
        access: Access {
            pointing: vec![
                Setting::env("AWS_ENDPOINT_URL_ECR", &moto.endpoint()),
                Setting::env("HTTPS_PROXY", &fake.proxy_url()),
                Setting::env("BERTH_CA_FILE", &fake.ca().display().to_string()),
            ],
            login,
            credentials: login.settings(moto::KEY_ID, moto::SECRET),
            ..Access::open()
        },
        parts: vec![moto, Arc::new(registry), Arc::new(fake)],
    }
}

/// ACR's fake, found by its challenge; logged in as `az acr login` leaves
/// it: the refresh-token user and an identity token.
fn acr() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = AcrFake::start(&registry);
    let identity = json!({
        "auth": basic_auth(REFRESH_TOKEN_USER, ""),
        "identitytoken": fake.identity_token(),
    });
    Setup {
        registry: fake.addr(),
        name: "app",
        store: Arc::new(registry.seeder()),
        access: Access {
            login: Login::Docker,
            credentials: vec![Setting::DockerAuth(identity)],
            ..Access::open()
        },
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// GCR's fake with its token service, logged in as
/// `gcloud auth configure-docker` does. Only its address tells GCR apart.
fn gcr() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = GcrFake::with_access_token(&registry, ACCESS_TOKEN);
    Setup {
        registry: fake.addr(),
        name: "app",
        store: Arc::new(registry.seeder()),
        access: Access {
            provider: Some("gcr"),
            ..Access::docker("oauth2accesstoken", ACCESS_TOKEN)
        },
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// The Hub API's fake at `hub-api-url`, and distribution behind the proxy
/// where registry-1.docker.io would be.
fn docker_hub() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = DockerHubFake::start(&registry);
    fake.user(dockerhub::USER, dockerhub::PASSWORD);
    let proxy = Proxy::start(&registry.url());
    let login = Login::Opts("username", "password");
    Setup {
        registry: proxy.addr(),
        name: "acme/app",
        store: Arc::new(registry.seeder()),
        access: Access {
            provider: Some("dockerhub"),
            pointing: vec![Setting::opt("hub-api-url", &fake.url())],
            login,
            credentials: login.settings(dockerhub::USER, dockerhub::PASSWORD),
        },
        parts: vec![Arc::new(registry), Arc::new(fake), Arc::new(proxy)],
    }
}

/// GitHub's REST API and ghcr.io on one fake at `api-url`, with the org
/// `acme`, the users `alice` and `bob`, and alice's token. Seeding goes
/// through the fake, which makes every manifest pushed a package version.
fn github() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = GithubFake::start(&registry);
    fake.org("acme");
    fake.user("alice");
    fake.user("bob");
    fake.token(github::TOKEN, "alice", ALL_SCOPES);
    Setup {
        registry: fake.addr(),
        name: "acme/app",
        store: Arc::new(Seeder::new(&fake.url())),
        access: Access {
            provider: Some("github"),
            pointing: vec![Setting::opt("api-url", &fake.url())],
            login: Login::Docker,
            credentials: vec![Setting::opt("token", github::TOKEN)],
        },
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// GitLab's registry and API v4 on one fake, found by its challenge; the
/// project `group/project` holds the repository. Users log in with a
/// personal access token, which is also the API's token.
fn gitlab() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = GitLabFake::start(&registry, Generation::Current);
    fake.add_project("group/project", 42);
    Setup {
        registry: fake.addr(),
        name: "group/project/app",
        store: Arc::new(registry.seeder()),
        access: Access {
            pointing: vec![Setting::opt("api-url", &fake.api_url())],
            ..Access::docker(GITLAB_USER, PRIVATE_TOKEN).and(Setting::opt("token", PRIVATE_TOKEN))
        },
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// Harbor's fake, found by its token service; logged in as its admin.
fn harbor() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = HarborFake::start(&registry);
    Setup {
        registry: fake.addr(),
        name: "library/app",
        store: Arc::new(registry.seeder()),
        access: Access::docker(ADMIN, ADMIN_PASSWORD),
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// Nexus's fake, found by its `Server` header: the Nexus user's docker
/// login, and the Nexus repository named for its REST API.
fn nexus() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = NexusFake::start(&registry);
    let mut access = Access::docker(nexus::USER, nexus::PASSWORD);
    access
        .pointing
        .push(Setting::opt("repository", nexus::REPOSITORY));
    Setup {
        registry: fake.addr(),
        name: "team/app",
        store: Arc::new(registry.seeder()),
        access,
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// Quay's fake, found by its challenge: a robot's docker login for `/v2/`
/// and an OAuth token for the API (a read-write one; a read-only one is
/// known too).
fn quay() -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = QuayFake::start(&registry);
    fake.token(quay::TOKEN, true);
    fake.token(READ_TOKEN, false);
    Setup {
        registry: fake.addr(),
        name: "ns/app",
        store: Arc::new(registry.seeder()),
        access: Access::docker(ROBOT, ROBOT_PASSWORD).and(Setting::opt("token", quay::TOKEN)),
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

/// A product speaking plain OCI, found by the headers its front adds; the
/// front checks no credentials.
fn branded(headers: &'static [(&'static str, &'static str)], name: &'static str) -> Setup {
    let registry = Registry::start(RegistryOptions::default());
    let fake = Branded::start(&registry, headers);
    Setup {
        registry: fake.addr(),
        name,
        store: Arc::new(registry.seeder()),
        access: Access::open(),
        parts: vec![Arc::new(registry), Arc::new(fake)],
    }
}

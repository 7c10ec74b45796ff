//! The servers a bed runs, as parts it keeps alive, finds by type, and asks
//! for what they logged of berth's requests.

use std::any::Any;

use super::super::fakes::acr::AcrFake;
use super::super::fakes::branded::Branded;
use super::super::fakes::dockerhub::DockerHubFake;
use super::super::fakes::ecr::EcrFake;
use super::super::fakes::gcr::GcrFake;
use super::super::fakes::github::GithubFake;
use super::super::fakes::gitlab::GitLabFake;
use super::super::fakes::harbor::HarborFake;
use super::super::fakes::nexus::NexusFake;
use super::super::fakes::quay::QuayFake;
use super::super::moto::Moto;
use super::super::seen::Seen;
use super::super::{Proxy, Registry, TokenRegistry};

/// A server of a bed.
pub trait Part: Any + Send + Sync {
    /// The requests it saw; none for a server that keeps no log.
    fn log(&self) -> Vec<Seen> {
        Vec::new()
    }

    fn clear_log(&self) {}
}

/// Distribution itself: berth reaches it through a fake or the proxy.
impl Part for Registry {}

/// Its token server keeps a log of its own, of a different kind.
impl Part for TokenRegistry {}

impl Part for Proxy {
    fn log(&self) -> Vec<Seen> {
        self.seen()
    }

    fn clear_log(&self) {
        self.clear_requests();
    }
}

impl Part for Moto {
    fn log(&self) -> Vec<Seen> {
        self.requests()
    }

    fn clear_log(&self) {
        self.clear_calls();
    }
}

/// The fakes, each logging every request it answered.
macro_rules! logging {
    ($($fake:ty),*) => {$(
        impl Part for $fake {
            fn log(&self) -> Vec<Seen> {
                self.requests()
            }

            fn clear_log(&self) {
                self.clear_requests();
            }
        }
    )*};
}

logging!(
    AcrFake,
    Branded,
    DockerHubFake,
    EcrFake,
    GcrFake,
    GithubFake,
    GitLabFake,
    HarborFake,
    NexusFake,
    QuayFake
);

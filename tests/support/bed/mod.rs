//! One test bed for every provider: a vendor's servers, started with its
//! accounts; `berth` pointed at them as that vendor's users point it; the
//! repository and the store behind it, to seed it and check berth against;
//! and the requests the servers saw.
//!
//! ```ignore
//! let bed = Bed::start(Vendor::Harbor);
//! let v1 = bed.repo.push("v1", &Image::new().unique());
//! let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
//! assert!(bed.requests().iter().all(Seen::is_read));
//! ```

mod access;
mod checks;
mod every;
mod parts;
mod vendor;

use std::any::{Any, type_name};
use std::sync::Arc;

pub use access::Setting;
pub(crate) use every::every_vendor;
pub use parts::Part;
pub use vendor::{TOKEN_PASSWORD, TOKEN_USER, Vendor, YANDEX_USER};

use access::Access;

use super::repo::Repo;
use super::seen::Seen;
use super::store::Store;
use super::{BerthCommand, Sandbox};

pub struct Bed {
    pub vendor: Vendor,
    /// The vendor's repository, there from the start (empty).
    pub repo: Repo,
    registry: String,
    store: Arc<dyn Store>,
    access: Access,
    sandbox: Sandbox,
    parts: Vec<Arc<dyn Part>>,
}

impl Bed {
    pub fn start(vendor: Vendor) -> Bed {
        // Every run of every bed shares compiled plugins.
        let sandbox = Sandbox::with_compiled_plugins();
        let setup = vendor.setup(&sandbox);
        Bed {
            vendor,
            repo: Repo::new(&setup.registry, setup.name, setup.store.clone()),
            registry: setup.registry,
            store: setup.store,
            access: setup.access,
            sandbox,
            parts: setup.parts,
        }
    }

    /// Another repository beside the bed's.
    pub fn repo_named(&self, name: &str) -> Repo {
        Repo::new(&self.registry, name, self.store.clone())
    }

    /// What repository addresses start with: `HOST:PORT`, or `oci:DIR`.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The sandbox every run of this bed shares.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// berth pointed at the servers, with the vendor's own credentials.
    pub fn berth(&self) -> BerthCommand {
        self.with(self.anonymous(), &self.access.credentials)
    }

    /// berth pointed at the servers, logged in as `user` the vendor's way.
    pub fn berth_as(&self, user: &str, secret: &str) -> BerthCommand {
        self.with(self.anonymous(), &self.access.login.settings(user, secret))
    }

    /// berth pointed at the servers, with no credentials.
    pub fn anonymous(&self) -> BerthCommand {
        self.with(self.command(), &self.access.pointing)
    }

    /// berth in the bed's sandbox, with `--provider` where neither the
    /// address nor a probe can tell, and nothing else.
    pub fn command(&self) -> BerthCommand {
        let command = self.sandbox.berth();
        match self.access.provider {
            Some(provider) => command.args(["--provider", provider]),
            None => command,
        }
    }

    /// `command` with `settings` too (a docker login goes to the registry
    /// host).
    pub fn with(&self, command: BerthCommand, settings: &[Setting]) -> BerthCommand {
        access::apply(command, settings, &self.sandbox, &self.registry)
    }

    /// The bed's server of type `T` (a fake, the proxy, moto, the registry).
    pub fn part<T: Part>(&self) -> &T {
        self.parts
            .iter()
            .find_map(|part| (part.as_ref() as &dyn Any).downcast_ref::<T>())
            .unwrap_or_else(|| panic!("{:?} has no {}", self.vendor, type_name::<T>()))
    }

    /// Every request the servers logged, in the order they ended (none for
    /// an OCI layout, which has no server).
    pub fn requests(&self) -> Vec<Seen> {
        let mut seen: Vec<Seen> = self.parts.iter().flat_map(|p| p.log()).collect();
        seen.sort_by_key(Seen::order);
        seen
    }

    pub fn clear_requests(&self) {
        for part in &self.parts {
            part.clear_log();
        }
    }
}

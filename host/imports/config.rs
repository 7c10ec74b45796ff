use crate::auth::Credential;
use crate::runtime::State;
use crate::runtime::v0_1_0::berth::provider::config::{Credential as WitCredential, Host};

impl Host for State {
    async fn get_option(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.host.options.get(&name).cloned())
    }

    async fn get_env(&mut self, name: String) -> wasmtime::Result<Option<String>> {
        Ok(self.host.env.get(&name).cloned())
    }

    /// Only ever the target registry's own credential.
    async fn registry_credential(&mut self) -> wasmtime::Result<Option<WitCredential>> {
        let credential = self.host.auth.as_ref().and_then(|a| a.credential());
        Ok(credential.map(|c| match c {
            Credential::Basic { username, password } => WitCredential {
                username,
                secret: password,
                identity_token: false,
            },
            Credential::IdentityToken { username, token } => WitCredential {
                username: username.unwrap_or_default(),
                secret: token,
                identity_token: true,
            },
        }))
    }
}

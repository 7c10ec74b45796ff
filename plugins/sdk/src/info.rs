use crate::{Capability, Info, OptionSpec};

/// Starts describing a provider.
pub fn info(name: &str, version: &str, description: &str) -> InfoBuilder {
    InfoBuilder(Info {
        name: name.into(),
        version: version.into(),
        description: description.into(),
        capabilities: Vec::new(),
        options: Vec::new(),
    })
}

/// Builds an [`Info`].
pub struct InfoBuilder(Info);

impl InfoBuilder {
    /// What the provider can do; the host refuses commands it lacks.
    pub fn capabilities(mut self, capabilities: &[Capability]) -> Self {
        self.0.capabilities.extend_from_slice(capabilities);
        self
    }

    /// Declares an option the operator may set (`--opt NAME=VALUE`).
    pub fn option(mut self, name: &str, description: &str) -> Self {
        self.0.options.push(OptionSpec {
            name: name.into(),
            description: description.into(),
            secret: false,
        });
        self
    }

    /// Declares an option whose value is redacted in logs and listings.
    pub fn secret_option(mut self, name: &str, description: &str) -> Self {
        self.0.options.push(OptionSpec {
            name: name.into(),
            description: description.into(),
            secret: true,
        });
        self
    }

    /// The finished description.
    pub fn build(self) -> Info {
        self.0
    }
}

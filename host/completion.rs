//! Shell completion: scripts generated from the command definitions, so
//! they never drift from them, and the names a shell can offer for
//! `--provider` and `plugins info` (the built-in providers; drop-ins are
//! only found at run time, so no script can know them).

use crate::catalog;
use clap::builder::{PossibleValue, StringValueParser, TypedValueParser};
use std::ffi::OsStr;
use std::sync::OnceLock;

/// A provider name: any name is taken (a drop-in may have it), and the
/// built-in ones are offered for completion.
#[derive(Clone, Copy)]
pub struct ProviderName {
    /// Whether `auto` is one of the values (`--provider`).
    pub auto: bool,
}

impl TypedValueParser for ProviderName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<String, clap::Error> {
        StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        static NAMES: OnceLock<Vec<String>> = OnceLock::new();
        let names = NAMES.get_or_init(catalog::builtin_names);
        let auto = self.auto.then_some("auto");
        Some(Box::new(
            auto.into_iter()
                .chain(names.iter().map(String::as_str))
                .map(PossibleValue::new),
        ))
    }
}

/// The completion script for `shell`.
pub fn script(shell: clap_complete::Shell, mut command: clap::Command) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "berth", &mut out);
    out
}

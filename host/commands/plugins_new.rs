//! `berth plugins new NAME`: writes a ready provider crate, with the SDK and
//! the WIT contract beside it, that builds with plain cargo.

use crate::error::{Error, Result};
use crate::runtime::ApiVersion;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct NewArgs {
    /// Provider name: lower-case letters, digits and `-`
    pub name: String,
    /// Where the crate directory NAME is created
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
}

/// (path in the new crate, contents); `{{name}}` and friends are filled in.
const FILES: &[(&str, &str)] = &[
    (
        "Cargo.toml",
        include_str!("../../templates/plugin/Cargo.toml"),
    ),
    (
        ".cargo/config.toml",
        include_str!("../../templates/plugin/.cargo/config.toml"),
    ),
    (
        "src/lib.rs",
        include_str!("../../templates/plugin/src/lib.rs"),
    ),
    (
        "README.md",
        include_str!("../../templates/plugin/README.md"),
    ),
    // The parsers the SDK shares with the host; the catalog parser, a
    // feature only the host enables, stays behind.
    (
        "berth-parse/Cargo.toml",
        include_str!("../../parse/Cargo.toml"),
    ),
    (
        "berth-parse/src/lib.rs",
        include_str!("../../parse/src/lib.rs"),
    ),
    (
        "berth-parse/src/challenge.rs",
        include_str!("../../parse/src/challenge.rs"),
    ),
    (
        "berth-parse/src/docker_hub.rs",
        include_str!("../../parse/src/docker_hub.rs"),
    ),
    (
        "berth-parse/src/link.rs",
        include_str!("../../parse/src/link.rs"),
    ),
    (
        "berth-parse/src/loopback.rs",
        include_str!("../../parse/src/loopback.rs"),
    ),
    (
        "berth-parse/src/reference.rs",
        include_str!("../../parse/src/reference.rs"),
    ),
    (
        "berth-parse/src/time.rs",
        include_str!("../../parse/src/time.rs"),
    ),
    (
        "berth-parse/src/uri.rs",
        include_str!("../../parse/src/uri.rs"),
    ),
    (
        "berth-sdk/Cargo.toml",
        include_str!("../../plugins/sdk/Cargo.toml"),
    ),
    (
        "berth-sdk/src/lib.rs",
        include_str!("../../plugins/sdk/src/lib.rs"),
    ),
    (
        "berth-sdk/src/challenge.rs",
        include_str!("../../plugins/sdk/src/challenge.rs"),
    ),
    (
        "berth-sdk/src/time.rs",
        include_str!("../../plugins/sdk/src/time.rs"),
    ),
    (
        "berth-sdk/src/error.rs",
        include_str!("../../plugins/sdk/src/error.rs"),
    ),
    (
        "berth-sdk/src/http.rs",
        include_str!("../../plugins/sdk/src/http.rs"),
    ),
    (
        "berth-sdk/src/info.rs",
        include_str!("../../plugins/sdk/src/info.rs"),
    ),
    (
        "berth-sdk/src/provider.rs",
        include_str!("../../plugins/sdk/src/provider.rs"),
    ),
    (
        "berth-sdk/wit/0.3.0/provider.wit",
        include_str!("../../wit/0.3.0/provider.wit"),
    ),
];

pub fn new(args: NewArgs) -> Result<u8> {
    let name = &args.name;
    let valid = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !valid {
        return Err(Error::usage(format!(
            "invalid provider name {name:?} (lower-case letters, digits and -, starting with a letter)"
        )));
    }
    let root = args.dir.join(name);
    if root.exists() {
        return Err(Error::usage(format!("{} already exists", root.display())));
    }
    // The SDK speaks the newest API this berth serves.
    let api = ApiVersion::NEWEST.as_str();
    for (path, text) in FILES {
        let text = fill(text, name, api);
        write(&root.join(path), &text)?;
    }
    crate::output::lines([
        format!("created {}", root.display()),
        format!("build:   cd {} && cargo build --release", root.display()),
        format!(
            "use:     berth --plugin-dir DIR ... with DIR/{name}.wasm copied from target/wasm32-wasip2/release/berth_plugin_{}.wasm",
            name.replace('-', "_")
        ),
    ]);
    Ok(0)
}

fn fill(text: &str, name: &str, api: &str) -> String {
    text.replace("{{name}}", name)
        .replace("{{name_}}", &name.replace('-', "_"))
        .replace("{{api}}", api)
        // The SDK finds the contract beside it, not two levels up as in
        // berth's own tree; and it stands alone, outside berth's workspace.
        .replace("\"../../wit/0.3.0\"", "\"wit/0.3.0\"")
        .replace("version.workspace = true", "version = \"0.1.0\"")
        .replace("edition.workspace = true", "edition = \"2024\"")
        .replace("license.workspace = true", "license = \"Apache-2.0\"")
        .replace("wit-bindgen.workspace = true", "wit-bindgen = { version = \"0.61\", default-features = false, features = [\"macros\", \"realloc\", \"std\"] }")
        .replace("serde.workspace = true", "serde = { version = \"1\", features = [\"derive\"] }")
        .replace("serde_json.workspace = true", "serde_json = \"1\"")
        .replace("path = \"../../parse\"", "path = \"../berth-parse\"")
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| Error::failed(format!("cannot create {}: {e}", parent.display())))?;
    }
    std::fs::write(path, text)
        .map_err(|e| Error::failed(format!("cannot write {}: {e}", path.display())))
}

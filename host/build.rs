//! Builds the built-in provider plugins for wasm32-wasip2 and embeds them,
//! so an installed `berth` works alone. Only what the catalog embeds is
//! built: the test fixtures in `plugins/fixtures` are built by the tests
//! that use them.

use sha2::{Digest, Sha256};
use std::env;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    for watched in ["plugins", "parse", "wit", "plugin-registry.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    ensure_target();
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("plugins");
    let catalog = std::fs::read_to_string(root.join("plugin-registry.toml")).unwrap();
    let files = catalog_files(&catalog);
    build_plugins(&root, &target_dir, &files);

    let out = target_dir.join(TARGET).join("release");
    let mut code = String::from("pub static PLUGINS: &[Builtin] = &[\n");
    for file in files {
        let path = out.join(&file);
        let bytes = std::fs::read(&path)
            .unwrap_or_else(|e| panic!("built-in plugin {} missing: {e}", path.display()));
        let sha = hex::encode(Sha256::digest(&bytes));
        writeln!(
            code,
            "    Builtin {{ file: {file:?}, sha256: {sha:?}, wasm: include_bytes!({path:?}) }},",
            path = path.display().to_string()
        )
        .unwrap();
    }
    code.push_str("];\n");
    let out_dir = PathBuf::from(env::var("OUT_DIR").unwrap());
    std::fs::write(out_dir.join("builtin_plugins.rs"), code).unwrap();
}

/// The `file = "..."` values of the built-in catalog.
fn catalog_files(catalog: &str) -> Vec<String> {
    let parsed: toml::Table = catalog.parse().expect("plugin-registry.toml parses");
    parsed["plugin"]
        .as_array()
        .expect("[[plugin]] entries")
        .iter()
        .map(|p| p["file"].as_str().expect("file").to_string())
        .collect()
}

/// rustup adds targets named in rust-toolchain.toml only when it installs the
/// toolchain; a toolchain that was already present may lack the target.
fn ensure_target() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .expect("rustc runs");
    let sysroot = PathBuf::from(String::from_utf8(sysroot.stdout).unwrap().trim());
    if sysroot.join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    println!("cargo:warning=adding the {TARGET} target with rustup");
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "the {TARGET} target is missing; run `rustup target add {TARGET}`"
    );
}

/// The package that builds `file`: `berth_plugin_oci_layout.wasm` is
/// `berth-plugin-oci-layout`.
fn package(file: &str) -> String {
    file.trim_end_matches(".wasm").replace('_', "-")
}

fn build_plugins(root: &Path, target_dir: &Path, files: &[String]) {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root.join("plugins"))
        .args(["build", "--release", "--target", TARGET, "--target-dir"])
        .arg(target_dir);
    for file in files {
        cmd.args(["-p", &package(file)]);
    }
    // Flags meant for the host build must not leak into the wasm build.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_TARGET",
        "CARGO_TARGET_DIR",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "building the plugins failed");
}

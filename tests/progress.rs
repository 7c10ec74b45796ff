//! The progress bar of bulk removal: drawn only when stderr is a terminal.
//! `script` (util-linux) gives berth a pseudo-terminal; `TERM` must name a
//! terminal that can redraw a line.

use crate::support::{Registry, RegistryOptions, Sandbox, Seeder};

const TAGS: usize = 40;

/// Runs `tags rm` of every seeded tag with `extra` flags under a terminal;
/// returns what the terminal showed.
fn remove_on_a_terminal(extra: &str) -> String {
    let registry = Registry::start(RegistryOptions::default());
    let tags = Seeder::new(&registry.url()).seed_tags("bar", TAGS);
    let command = format!(
        "{} tags rm {}/bar {} {extra}",
        env!("CARGO_BIN_EXE_berth"),
        registry.addr(),
        tags.join(" ")
    );
    let out = Sandbox::new()
        .command("script")
        .env("TERM", "xterm")
        .args(["--quiet", "--return", "--command", &command, "/dev/null"])
        .run();
    out.success();
    assert!(Seeder::new(&registry.url()).tags("bar").is_empty());
    out.stdout_str()
}

#[test]
fn bar_is_drawn_on_a_terminal() {
    let screen = remove_on_a_terminal("");
    assert!(screen.contains("tags removed"), "{screen}");
    assert!(
        screen.contains(&format!("/{TAGS} tags removed")),
        "{screen}"
    );
}

#[test]
fn quiet_draws_no_bar_on_a_terminal() {
    let screen = remove_on_a_terminal("-q");
    assert!(!screen.contains("tags removed"), "{screen}");
}

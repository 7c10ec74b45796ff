//! Help that teaches: every command shows its own options first and the
//! global ones under their own heading, and has examples; `berth help
//! cleanup` explains the order of the kept reasons.

use crate::support::berth;

/// The subcommands a help page lists under `Commands:`.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(String::from)
        .collect()
}

/// Every command path, groups and their subcommands alike.
fn every_command() -> Vec<Vec<String>> {
    let top = berth().arg("--help").run().success().stdout_str();
    let mut all = Vec::new();
    for command in subcommands(&top) {
        let help = berth()
            .args([&command, "--help"])
            .run()
            .success()
            .stdout_str();
        for sub in subcommands(&help) {
            all.push(vec![command.clone(), sub]);
        }
        all.push(vec![command]);
    }
    all
}

#[test]
fn every_command_has_its_options_then_the_global_ones_and_examples() {
    let commands = every_command();
    assert!(commands.len() >= 15, "{commands:?}");
    for command in commands {
        let help = berth()
            .args(&command)
            .arg("--help")
            .run()
            .success()
            .stdout_str();
        let name = command.join(" ");
        let examples = help
            .split_once("\nExamples:\n")
            .map(|(_, rest)| rest.lines().take_while(|l| l.starts_with("  ")).count());
        assert!(
            examples.unwrap_or(0) >= 1,
            "{name} has no examples:\n{help}"
        );
        let own = help
            .find("\nOptions:\n")
            .unwrap_or_else(|| panic!("{name}:\n{help}"));
        let global = help
            .find("\nGlobal options:\n")
            .unwrap_or_else(|| panic!("{name} has no global options heading:\n{help}"));
        assert!(own < global, "{name}: its own options come first:\n{help}");
        // No global option strays among the command's own.
        let own_section = &help[own..global];
        for global_flag in ["--provider", "--docker-config", "--output", "--insecure"] {
            assert!(
                !own_section.contains(global_flag),
                "{name}: {global_flag} among its own options"
            );
        }
    }
}

#[test]
fn help_cleanup_explains_the_reason_order() {
    let help = berth()
        .args(["help", "cleanup"])
        .run()
        .success()
        .stdout_str();
    let at = |reason: &str| {
        help.find(&format!("\n  {reason} "))
            .unwrap_or_else(|| panic!("no reason {reason}:\n{help}"))
    };
    let order = [
        "attachment",
        "in-use",
        "keep",
        "unmatched",
        "keep-last",
        "no-date",
        "newer",
    ];
    let positions: Vec<usize> = order.iter().map(|r| at(r)).collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{help}");
    assert!(help.contains("first of these reasons that holds"), "{help}");
}

//! `berth completions`: each shell's script comes from the command
//! definitions, and bash's, sourced in a real bash, completes commands and
//! provider names.

use std::process::Command;

use crate::support::{Sandbox, berth};

/// What bash's completion offers for `words`, the last one being completed.
fn complete_in_bash(script: &str, words: &[&str]) -> Vec<String> {
    let sandbox = Sandbox::new();
    let file = sandbox.home().join("berth.bash");
    std::fs::write(&file, script).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "source '{}'\nCOMP_WORDS=({})\nCOMP_CWORD={}\nCOMP_LINE='{}'\nCOMP_POINT=${{#COMP_LINE}}\n\
         _berth berth '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        file.display(),
        quoted.join(" "),
        words.len() - 1,
        words.join(" "),
        words[words.len() - 1],
        words[words.len() - 2],
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &program])
        .output()
        .expect("run bash");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut offered: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    offered.sort();
    offered
}

#[test]
fn bash_completes_commands_and_provider_names() {
    let script = berth()
        .args(["completions", "bash"])
        .run()
        .success()
        .stdout_str();
    assert_eq!(complete_in_bash(&script, &["berth", "cl"]), ["cleanup"]);
    assert_eq!(complete_in_bash(&script, &["berth", "do"]), ["doctor"]);
    assert_eq!(
        complete_in_bash(&script, &["berth", "tags", "ls", "--provider", "gi"]),
        ["github", "gitlab"]
    );
    assert_eq!(
        complete_in_bash(&script, &["berth", "plugins", "info", "ha"]),
        ["harbor"]
    );
    assert_eq!(
        complete_in_bash(&script, &["berth", "doctor", "x", "--for", "c"]),
        ["cleanup"]
    );
}

#[test]
fn every_shell_gets_a_script_of_every_command() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = berth()
            .args(["completions", shell])
            .run()
            .success()
            .stdout_str();
        for word in ["cleanup", "doctor", "login", "completions"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        // clap's PowerShell and Elvish scripts complete no option values.
        if ["bash", "zsh", "fish"].contains(&shell) {
            assert!(script.contains("github"), "{shell}: no provider names");
        }
    }
    let out = berth().args(["completions", "tcsh"]).run();
    assert_eq!(out.code(), 2);
}

//! Nothing a plugin says reaches the terminal as a control sequence, and
//! nothing it says floods it: its description, version and options, its
//! errors and hints, its log lines, and its own stdout and stderr.

use super::{NAMED, Server, control_byte, hostile, misbehave, sandbox};
use crate::support::Output;

fn assert_clean(what: &str, out: &Output) {
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if let Some((at, byte)) = control_byte(bytes) {
            panic!(
                "{what}: {name} has byte {byte:#04x} at {at}: {}",
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

#[test]
fn what_a_plugin_says_about_itself_is_cleaned_and_cut() {
    let (sandbox, dir) = sandbox(None);
    let plugins = |args: &[&str]| {
        sandbox
            .berth()
            .args(["--plugin-dir", &dir, "plugins"])
            .args(args)
            .run()
    };
    let info = plugins(&["info", "hostile"]);
    assert_clean("plugins info", info.success());
    let text = info.stdout_str();
    assert!(
        text.starts_with("hostile 0.1.0+\\u{1b}[8m (API 0.3.0)\n"),
        "{text}"
    );
    let description = text.lines().nth(1).unwrap();
    assert!(
        description
            .starts_with("Misbehaves on purpose\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{9b}31mxxx"),
        "{description}"
    );
    // 200 characters of the 1 MiB (escapes written out), and an ellipsis.
    assert!(description.ends_with("x…"), "{description}");
    assert!(description.chars().count() < 250, "{description}");
    assert!(
        text.contains("mode           what to do wrong\\u{1b}[2J"),
        "{text}"
    );
    assert!(text.len() < 4096, "{} bytes", text.len());

    let json = plugins(&["info", "hostile", "-o", "json"]);
    assert_clean("plugins info -o json", json.success());
    assert_eq!(json.json()["version"], "0.1.0+\\u{1b}[8m");
    assert!(json.stdout.len() < 4096, "{} bytes", json.stdout.len());

    let ls = plugins(&["ls"]);
    assert_clean("plugins ls", ls.success());
    assert!(ls.stdout_str().contains("0.1.0+\\u{1b}[8m"));
}

#[test]
fn errors_logs_and_the_plugins_own_output_are_cleaned() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let out = hostile(sandbox.berth(), &dir, "escapes")
        .args(["tags", "ls", &format!("{}/x", target.addr)])
        .run();
    assert_clean("escapes", &out);
    let err = out.failure();
    assert!(
        err.contains(&format!(
            "berth: warning: {NAMED}: log line\\u{{1b}}[2J\\u{{1b}}]0;owned\\u{{7}}\\u{{9b}}31m"
        )),
        "{err}"
    );
    assert!(
        err.contains("error\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\u{9b}31m"),
        "{err}"
    );
    assert!(out.has_hint("a hint\\u{1b}[2J"), "{err}");
    // What the plugin prints on its own stdout goes nowhere.
    assert!(out.stdout.is_empty(), "{}", out.stdout_str());
    assert!(!err.contains("stdout"), "{err}");
}

#[test]
fn a_hint_flood_is_cut_to_five_short_hints() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let (code, err, _) = misbehave(&sandbox, &dir, &format!("{}/x", target.addr), "hints", &[]);
    assert_eq!(code, 1);
    let hints: Vec<&str> = err.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert_eq!(hints, vec!["hint: do this"; 5], "{err}");
    assert!(err.contains("refused"), "{err}");
    // 50,000 hints and one of 1 MiB, against a few lines.
    assert!(err.len() < 2048, "{} bytes of stderr", err.len());
}

#[test]
fn a_log_flood_is_cut_off() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let out = hostile(sandbox.berth(), &dir, "log-flood")
        .args(["tags", "ls", &format!("{}/x", target.addr)])
        .run();
    out.success();
    let err = out.stderr_str();
    let lines = err.lines().count();
    assert!(lines <= 1001, "{lines} lines");
    assert!(
        err.lines().last().unwrap().contains(&format!(
            "{NAMED} logged 1000 lines; its further log lines are not shown"
        )),
        "{}",
        err.lines().last().unwrap()
    );
    // 100,000 lines of 500 characters, against a bounded megabyte.
    assert!(err.len() < 1 << 20, "{} bytes of stderr", err.len());
}

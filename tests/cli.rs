//! Usage errors: exit 2, one `berth: error:` line naming the bad part.

use crate::support::berth;

#[test]
fn unparsable_addresses_exit_2_naming_the_part() {
    for (address, part) in [
        ("Foo/Bar", "\"Foo\""),
        ("localhost:99999/x", "99999"),
        ("example.com/a b", "a b"),
        ("localhost:5000/app:v1", "has a tag"),
        ("", ""),
    ] {
        let out = berth().args(["tags", "ls", address]).run();
        assert_eq!(out.code(), 2, "{address}: {}", out.stderr_str());
        let err = out.stderr_str();
        assert!(err.starts_with("berth: error: "), "{err}");
        assert!(err.contains(part), "{address}: {err}");
        assert!(!err.contains("Usage:"), "no usage dump: {err}");
    }
}

#[test]
fn unknown_flag_is_one_error_line_with_a_hint() {
    let out = berth().args(["tags", "ls", "--bogus", "x/y"]).run();
    assert_eq!(out.code(), 2);
    let err = out.stderr_str();
    let first = err.lines().next().unwrap();
    assert!(
        first.starts_with("berth: error: ") && first.contains("--bogus"),
        "{err}"
    );
    assert!(
        err.lines().skip(1).all(|l| l.starts_with("hint: ")),
        "{err}"
    );
}

#[test]
fn unknown_provider_is_a_usage_error() {
    let out = berth()
        .args(["--provider", "nope", "detect", "localhost:5000/x"])
        .run();
    assert_eq!(out.code(), 2);
    assert!(
        out.stderr_str().contains("unknown provider \"nope\""),
        "{}",
        out.stderr_str()
    );
    assert!(
        out.stderr_str().contains("hint: known providers: "),
        "{}",
        out.stderr_str()
    );
}

#[test]
fn global_options_go_before_or_after_the_command() {
    let a = berth()
        .args(["-o", "json", "detect", "--no-probe", "localhost:5000/x"])
        .run();
    let b = berth()
        .args(["detect", "--no-probe", "localhost:5000/x", "-o", "json"])
        .run();
    assert_eq!(a.success().json(), b.success().json());
}

#[test]
fn help_teaches_and_version_prints() {
    let out = berth().args(["--help"]).run();
    assert!(out.success().stdout_str().contains("Examples:"));
    let out = berth().args(["--version"]).run();
    assert!(out.success().stdout_str().starts_with("berth "));
}

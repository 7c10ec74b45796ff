//! What berth holds for a plugin is bounded, measured as the peak resident
//! set of the berth process: the answers of one `send-all` share one 64 MiB
//! budget (bodies and headers), and a listing stops at a million tags.

use super::{NAMED, Server, measured, sandbox};
use std::time::Duration;

/// The answers of one plugin call together.
const BUDGET_ERROR: &str = "answers of one plugin call together larger than the 64 MiB limit";

/// berth's own footprint (the engine, a compiled plugin) plus what the
/// budget lets through: 64 MiB held by the host, then copied into the
/// plugin's memory. Measured: 185 MiB; without the budget, 1.8 GiB (and
/// 650 MiB for the headers alone).
const PEAK_MIB: u64 = 300;

/// `tags ls` of the hostile plugin in `mode` on a bare server.
fn flood(mode: &str) -> (String, u64) {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let repo = format!("{}/x", target.addr);
    let run = measured(
        &sandbox,
        &[
            "--plugin-dir",
            &dir,
            "--provider",
            "hostile",
            "--opt",
            &format!("mode={mode}"),
            "--plugin-timeout",
            "60s",
            "tags",
            "ls",
            &repo,
        ],
        Duration::from_secs(120),
    );
    let err = run.out.failure();
    eprintln!("{mode}: peak RSS {} MiB", run.peak_mib);
    (err, run.peak_mib)
}

/// `send-all: N of M answered, B bytes held; ...` as the plugin reports it.
fn answered(err: &str) -> (usize, u64) {
    let said = err
        .split("send-all: ")
        .nth(1)
        .expect("the plugin's summary");
    let words: Vec<&str> = said.split_whitespace().collect();
    (words[0].parse().unwrap(), words[4].parse().unwrap())
}

#[test]
fn large_answers_to_one_send_all_share_one_budget() {
    // 64 answers of 24 MiB each, streamed without a length.
    let (err, peak) = flood("big-answers");
    assert!(err.contains(BUDGET_ERROR), "{err}");
    let (answered, held) = answered(&err);
    assert!(
        answered <= 2,
        "{answered} answers of 24 MiB fit in 64 MiB: {err}"
    );
    assert!(held <= 64 << 20, "{held} bytes held");
    assert!(peak < PEAK_MIB, "peak RSS {peak} MiB");
}

#[test]
fn headers_count_against_the_budget_too() {
    // 1000 answers with 360 KB of headers each: 360 MB in all.
    let (err, peak) = flood("fat-headers");
    assert!(err.contains(BUDGET_ERROR), "{err}");
    let (answered, held) = answered(&err);
    assert!(answered < 200, "{answered} answers: {err}");
    assert!(held <= 64 << 20, "{held} bytes held");
    assert!(peak < PEAK_MIB, "peak RSS {peak} MiB");
}

#[test]
fn endless_pages_of_fresh_tags_stop_at_a_million() {
    let target = Server::start(None);
    let (sandbox, dir) = sandbox(None);
    let repo = format!("{}/x", target.addr);
    for output in ["text", "json"] {
        let run = measured(
            &sandbox,
            &[
                "--plugin-dir",
                &dir,
                "--provider",
                "hostile",
                "--opt",
                "mode=endless",
                "-o",
                output,
                "tags",
                "ls",
                &repo,
            ],
            Duration::from_secs(120),
        );
        let err = run.out.failure();
        eprintln!("endless, {output}: peak RSS {} MiB", run.peak_mib);
        assert!(
            err.contains(&format!(
                "berth: error: {repo}: the listing passed 1000000 tags; stopped rather than hold more"
            )),
            "{err}"
        );
        assert!(!err.contains(NAMED), "the pages were valid: {err}");
        if output == "text" {
            // Streamed as listed: every tag before the limit was printed.
            assert_eq!(
                run.out.stdout.iter().filter(|b| **b == b'\n').count(),
                1_000_000
            );
            assert!(run.peak_mib < 300, "peak RSS {} MiB", run.peak_mib);
        } else {
            assert!(run.out.stdout.is_empty(), "no partial document");
            assert!(run.peak_mib < 400, "peak RSS {} MiB", run.peak_mib);
        }
    }
}

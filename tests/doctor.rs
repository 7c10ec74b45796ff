//! `berth doctor`: each step's answer and hint against real servers, and
//! never a write on the way.

use serde_json::Value;

use crate::support::login::logged_in;
use crate::support::tls::{Certificates, machine_address};
use crate::support::{Proxy, Registry, RegistryOptions, Sandbox, TokenRegistry, User, berth};

/// Distribution with our token server behind a logging proxy, and three
/// accounts: one granted pull, one pull and push, one everything.
struct Tokens {
    registry: TokenRegistry,
    proxy: Proxy,
    sandbox: Sandbox,
}

impl Tokens {
    fn start() -> Tokens {
        let registry = TokenRegistry::start([
            User::read_only("reader", "r-pass"),
            User::new("writer", "w-pass").actions(&["pull", "push"]),
            User::new("admin", "a-pass"),
        ]);
        registry.seeder().seed_tags("app", 1);
        let proxy = Proxy::start(&registry.registry.url());
        Tokens {
            registry,
            proxy,
            sandbox: Sandbox::new(),
        }
    }

    fn doctor(&self, user: &str, password: &str, purpose: &str) -> crate::support::Output {
        logged_in(&self.sandbox, &self.proxy.addr(), user, password)
            .args(["doctor", &format!("{}/app", self.proxy.addr())])
            .args(["--for", purpose, "-o", "json"])
            .run()
    }

    /// Only reads reached the registry, and only token requests its token
    /// service.
    fn assert_nothing_written(&self) {
        let writes: Vec<String> = self
            .proxy
            .seen()
            .iter()
            .filter(|s| !s.is_read())
            .map(|s| format!("{s:?}"))
            .collect();
        assert!(writes.is_empty(), "writes sent: {writes:?}");
        for request in self.registry.token.requests() {
            assert_eq!(request.method, "GET", "{request:?}");
        }
    }
}

fn step<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["step"] == name)
        .unwrap_or_else(|| panic!("no step {name} in {report:#}"))
}

fn answers(report: &Value) -> [String; 3] {
    ["list", "push", "delete"].map(|s| step(report, s)["answer"].as_str().unwrap().to_string())
}

fn hints(report: &Value, name: &str) -> Vec<String> {
    step(report, name)["hints"]
        .as_array()
        .map(|h| h.iter().map(|h| h.as_str().unwrap().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn token_scopes_say_what_each_account_may_do() {
    let bed = Tokens::start();
    let reader = bed.doctor("reader", "r-pass", "cleanup");
    assert_eq!(reader.code(), 1, "{}", reader.stderr_str());
    let report = reader.json();
    assert_eq!(answers(&report), ["yes", "no", "no"]);
    assert_eq!(report["ready"], false);
    assert_eq!(report["for"], "cleanup");
    assert_eq!(report["provider"], "default");
    assert_eq!(step(&report, "reach")["answer"], "yes");
    let credential = step(&report, "credential");
    assert_eq!(credential["answer"], "yes");
    let detail = credential["detail"].as_str().unwrap();
    assert!(
        detail.contains("auths entry") && detail.contains("user reader"),
        "{detail}"
    );
    for (name, action) in [("push", "`push`"), ("delete", "`delete`")] {
        let hints = hints(&report, name);
        assert!(
            hints
                .iter()
                .any(|h| h.contains(action) && h.contains("repository:app")),
            "{name}: {hints:?}"
        );
    }
    assert!(
        report["notes"][0]
            .as_str()
            .unwrap()
            .contains("granted pull on repository app"),
        "{report:#}"
    );
    // Reading is all a listing needs.
    assert_eq!(bed.doctor("reader", "r-pass", "list").code(), 0);

    let writer = bed.doctor("writer", "w-pass", "cleanup");
    assert_eq!(writer.code(), 1);
    let report = writer.json();
    assert_eq!(answers(&report), ["yes", "yes", "no"]);
    assert!(hints(&report, "push").is_empty());
    assert_eq!(bed.doctor("writer", "w-pass", "push").code(), 0);

    let admin = bed.doctor("admin", "a-pass", "cleanup");
    assert_eq!(admin.code(), 0, "{}", admin.stdout_str());
    let report = admin.json();
    assert_eq!(answers(&report), ["yes", "yes", "yes"]);
    assert_eq!(report["ready"], true);
    bed.assert_nothing_written();
}

#[test]
fn text_report_puts_hints_under_the_step() {
    let bed = Tokens::start();
    let out = logged_in(&bed.sandbox, &bed.proxy.addr(), "writer", "w-pass")
        .args(["doctor", &format!("{}/app", bed.proxy.addr())])
        .run();
    assert_eq!(out.code(), 1);
    let text = out.stdout_str();
    let lines: Vec<&str> = text.lines().collect();
    let delete = lines
        .iter()
        .position(|l| l.starts_with("delete ") && l.contains(" no "))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(lines[delete + 1].starts_with("  hint: ") && lines[delete + 1].contains("`delete`"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("push ") && l.contains(" yes "))
    );
    assert_eq!(
        lines.last().copied(),
        Some("not ready to cleanup: delete is no"),
        "{text}"
    );
}

#[test]
fn a_refused_password_is_the_credential_step() {
    let bed = Tokens::start();
    let out = bed.doctor("admin", "wrong", "list");
    assert_eq!(out.code(), 1);
    let report = out.json();
    let credential = step(&report, "credential");
    assert_eq!(credential["answer"], "no");
    assert!(
        credential["detail"].as_str().unwrap().contains("refused"),
        "{report:#}"
    );
    assert_eq!(answers(&report), ["unknown", "unknown", "unknown"]);
    bed.assert_nothing_written();
}

#[test]
fn without_a_token_service_only_reading_is_known() {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 1);
    let proxy = Proxy::start(&registry.url());
    let repo = format!("{}/app", proxy.addr());
    let out = berth().args(["doctor", &repo, "-o", "json"]).run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    assert_eq!(answers(&report), ["yes", "unknown", "unknown"]);
    assert_eq!(step(&report, "credential")["answer"], "no");
    assert!(
        hints(&report, "credential")
            .iter()
            .any(|h| h.contains(&format!("berth login {}", proxy.addr()))),
        "{report:#}"
    );
    let listed = berth().args(["doctor", &repo, "--for", "list"]).run();
    assert_eq!(listed.code(), 0, "{}", listed.stdout_str());
    assert!(proxy.seen().iter().all(|s| s.is_read()));
}

#[test]
fn an_expired_certificate_names_the_tls_options() {
    let host = machine_address();
    let certs = Certificates::expired_self_signed(&host);
    let plain = Registry::start(RegistryOptions::default());
    let twin = plain.tls_twin(&certs);
    let repo = format!("{host}:{}/app", twin.port());

    let out = berth().args(["doctor", &repo, "-o", "json"]).run();
    assert_eq!(out.code(), 1);
    let report = out.json();
    let reach = step(&report, "reach");
    assert_eq!(reach["answer"], "no", "{report:#}");
    let hints = hints(&report, "reach");
    assert!(hints.iter().any(|h| h.contains("--ca-file")), "{hints:?}");
    assert!(hints.iter().any(|h| h.contains("--insecure")), "{hints:?}");
    assert_eq!(answers(&report), ["unknown", "unknown", "unknown"]);

    // Trusted, it is still expired: the hint says so.
    let trusted = berth()
        .args(["--ca-file".as_ref(), certs.ca().as_os_str()])
        .args(["doctor", &repo, "-o", "json"])
        .run();
    let report = trusted.json();
    let reach = step(&report, "reach");
    assert_eq!(reach["answer"], "no");
    assert!(
        reach["detail"].as_str().unwrap().contains("xpired"),
        "{report:#}"
    );
    assert!(
        self::hints(&report, "reach")
            .iter()
            .any(|h| h.contains("expired"))
    );
}

// Providers with an API of their own say more, through the plugin.

mod providers {
    use super::{answers, hints, step};
    use crate::support::fakes::dockerhub::DockerHubFake;
    use crate::support::fakes::github::{ALL_SCOPES, GithubFake};
    use crate::support::fakes::gitlab::{GitLabFake, JOB_TOKEN, JOB_USER};
    use crate::support::{Bed, Image, Setting, Vendor};

    /// Every request the bed's servers saw read, but for token requests.
    fn nothing_written(bed: &Bed) {
        for seen in bed.requests() {
            let token = format!("{seen:?}").contains("/v2/auth/token");
            assert!(seen.is_read() || token, "a write was sent: {seen:?}");
        }
    }

    #[test]
    fn github_names_the_scope_a_classic_token_lacks() {
        let bed = Bed::start(Vendor::Github);
        bed.repo.push("v1", &Image::new().unique());
        let fake = bed.part::<GithubFake>();
        fake.token(
            "ghp_nodelete",
            "alice",
            &["read:packages", "write:packages"],
        );
        fake.token("github_pat_fine", "alice", ALL_SCOPES);
        bed.clear_requests();
        let doctor = |token: &str| {
            bed.anonymous()
                .args(["--opt", &format!("token={token}")])
                .args(["doctor", &bed.repo.address, "-o", "json"])
                .run()
        };
        let out = doctor("ghp_nodelete");
        assert_eq!(out.code(), 1, "{}", out.stderr_str());
        let report = out.json();
        assert_eq!(answers(&report), ["yes", "yes", "no"], "{report:#}");
        assert!(
            hints(&report, "delete")
                .iter()
                .any(|h| h.contains("delete:packages")),
            "{report:#}"
        );
        let credential = step(&report, "credential")["detail"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(credential.contains("option token"), "{credential}");

        // A fine-grained token shows no scopes: reading is tried, the rest
        // is unknown.
        let report = doctor("github_pat_fine").json();
        assert_eq!(
            answers(&report),
            ["yes", "unknown", "unknown"],
            "{report:#}"
        );
        nothing_written(&bed);
    }

    #[test]
    fn gitlab_reads_the_access_token_scopes_and_refuses_a_job_token_delete() {
        let bed = Bed::start(Vendor::Gitlab);
        bed.repo.push("v1", &Image::new().unique());
        let fake = bed.part::<GitLabFake>();
        fake.access_token("glpat-readonly", &["read_registry", "read_api"]);
        bed.clear_requests();
        let out = bed
            .anonymous()
            .args([
                "--opt",
                "token=glpat-readonly",
                "doctor",
                &bed.repo.address,
                "-o",
                "json",
            ])
            .run();
        assert_eq!(out.code(), 1, "{}", out.stderr_str());
        let report = out.json();
        assert_eq!(answers(&report), ["yes", "no", "no"], "{report:#}");
        assert!(
            hints(&report, "push")
                .iter()
                .any(|h| h.contains("`write_registry`"))
        );
        assert!(hints(&report, "delete").iter().any(|h| h.contains("`api`")));

        let job = bed
            .with(bed.command(), &[Setting::docker(JOB_USER, JOB_TOKEN)])
            .env("CI_API_V4_URL", fake.api_url())
            .env("CI_JOB_TOKEN", JOB_TOKEN)
            .args(["doctor", &bed.repo.address, "-o", "json"])
            .run();
        let report = job.json();
        assert_eq!(step(&report, "delete")["answer"], "no", "{report:#}");
        assert!(
            hints(&report, "delete")
                .iter()
                .any(|h| h.contains("CI_JOB_TOKEN"))
        );
        nothing_written(&bed);
    }

    #[test]
    fn a_layout_is_read_and_opened_for_writing_without_a_change() {
        let bed = Bed::start(Vendor::OciLayout);
        bed.repo.push("v1", &Image::new().unique());
        let before = bed.repo.digests();
        let out = bed
            .command()
            .args(["doctor", &bed.repo.address, "-o", "json"])
            .run();
        assert_eq!(out.code(), 0, "{}", out.stdout_str());
        let report = out.json();
        assert_eq!(answers(&report), ["yes", "yes", "yes"], "{report:#}");
        assert_eq!(step(&report, "credential")["answer"], "yes");
        assert_eq!(bed.repo.digests(), before);
    }

    #[test]
    fn ecr_reads_with_its_api_and_names_the_iam_actions_a_write_needs() {
        let bed = Bed::start(Vendor::Ecr);
        bed.repo.push("v1", &Image::new().unique());
        bed.clear_requests();
        let out = bed
            .berth()
            .args(["doctor", &bed.repo.address, "-o", "json"])
            .run();
        assert_eq!(out.code(), 1, "{}", out.stderr_str());
        let report = out.json();
        assert_eq!(
            answers(&report),
            ["yes", "unknown", "unknown"],
            "{report:#}"
        );
        let notes = report["notes"].to_string();
        assert!(
            notes.contains("ecr:BatchDeleteImage") && notes.contains("ecr:PutImage"),
            "{notes}"
        );
        // Reads only: ListImages, and nothing that writes.
        for seen in bed.requests() {
            let call = format!("{seen:?}");
            assert!(
                !call.contains("BatchDeleteImage") && !call.contains("PutImage"),
                "{call}"
            );
        }
    }

    #[test]
    fn docker_hub_reads_an_access_token_permission() {
        let bed = Bed::start(Vendor::DockerHub);
        bed.repo.push("v1", &Image::new().unique());
        let fake = bed.part::<DockerHubFake>();
        fake.access_token("acme", "dckr_pat_readwrite", false);
        fake.access_token("acme-admin", "dckr_pat_everything", true);
        bed.clear_requests();
        let doctor = |user: &str, token: &str| {
            bed.anonymous()
                .args(["--opt", &format!("username={user}")])
                .args(["--opt", &format!("token={token}")])
                .args(["doctor", &bed.repo.address, "-o", "json"])
                .run()
        };
        let out = doctor("acme", "dckr_pat_readwrite");
        assert_eq!(out.code(), 1, "{}", out.stderr_str());
        let report = out.json();
        assert_eq!(answers(&report), ["yes", "yes", "no"], "{report:#}");
        assert!(
            hints(&report, "delete")
                .iter()
                .any(|h| h.contains("Read, Write, Delete")),
            "{report:#}"
        );
        assert!(
            report["notes"].to_string().contains("repo:write"),
            "{report:#}"
        );
        let out = doctor("acme-admin", "dckr_pat_everything");
        assert_eq!(out.code(), 0, "{}", out.stdout_str());
        assert_eq!(answers(&out.json()), ["yes", "yes", "yes"]);
        nothing_written(&bed);
    }
}

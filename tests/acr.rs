//! The `acr` provider against a strict fake of Azure Container Registry's
//! token and `/acr/v1/` APIs, in front of a real distribution.

use crate::support::fakes::acr::{
    AAD_TOKEN, ADMIN_PASSWORD, ADMIN_USER, AcrFake, AcrRequest, DEFAULT_TIME, REFRESH_TOKEN_USER,
};
use crate::support::scenarios::{assert_detected_by_address, detect_by_probe, kept, sorted};
use crate::support::{BerthCommand, Image, Sandbox};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;

fn basic(user: &str, password: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
}

/// A docker config with `entry` for the fake's address.
fn docker_config(sandbox: &Sandbox, fake: &AcrFake, entry: Value) -> PathBuf {
    let dir = sandbox.home().join(".docker");
    std::fs::create_dir_all(&dir).unwrap();
    let config = json!({"auths": {fake.addr(): entry}});
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    dir
}

/// What `az acr login` leaves: the refresh-token user and an identity token.
fn logged_in(sandbox: &Sandbox, fake: &AcrFake) -> String {
    let token = fake.identity_token();
    docker_config(
        sandbox,
        fake,
        json!({"auth": basic(REFRESH_TOKEN_USER, ""), "identitytoken": token}),
    );
    token
}

fn acr(sandbox: &Sandbox) -> BerthCommand {
    sandbox.berth().args(["--provider", "acr"])
}

fn repo(fake: &AcrFake, name: &str) -> String {
    format!("{}/{name}", fake.addr())
}

fn bearer_of(request: &AcrRequest) -> &str {
    request
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer acr-access-"))
        .unwrap_or_else(|| {
            panic!(
                "{} {} without an ACR access token",
                request.method, request.path
            )
        })
}

/// Tags `a`..: each list shares one image.
fn seed(fake: &AcrFake, name: &str, images: &[&[&str]]) -> BTreeMap<String, String> {
    let seeder = fake.seeder();
    for tags in images {
        let first = seeder.push_image(name, tags[0], &Image::new().unique());
        for tag in &tags[1..] {
            seeder.tag(name, &first.digest, tag);
        }
    }
    fake.digests(name).into_iter().collect()
}

#[test]
fn detected_by_address_and_by_challenge() {
    assert_detected_by_address(&[
        ("contoso.azurecr.io/app", "acr"),
        ("contoso.azurecr.cn/team/app", "acr"),
        ("contoso.azurecr.us/app", "acr"),
        ("contoso.azurecr.io.example.org/app", "default"),
        ("my-registry.azurecr.io/app", "default"),
    ]);
    // On another address, ACR's challenge (its own /oauth2/token as the
    // realm, its host as the service) tells.
    let fake = AcrFake::start();
    detect_by_probe(&repo(&fake, "app"), "acr");
}

#[test]
fn lists_tags_with_digests_and_times_across_pages() {
    let fake = AcrFake::start();
    let expected = seed(&fake, "team/app", &[&["a", "b"], &["c"], &["d"], &["e"]]);
    fake.set_times(
        "team/app",
        "a",
        "2023-01-01T00:00:00.5Z",
        "2023-02-01T00:00:00.5Z",
    );
    fake.set_times(
        "team/app",
        "c",
        "2022-03-04T05:06:07Z",
        "2022-03-04T05:06:07Z",
    );
    fake.max_page(2);
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &fake);

    let out = acr(&sandbox)
        .args(["tags", "ls", &repo(&fake, "team/app"), "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], "acr");
    let tags = listing["tags"].as_array().unwrap();
    let listed: BTreeMap<String, String> = tags
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(listed, expected);
    let created = |name: &str| {
        tags.iter()
            .find(|t| t["name"] == name)
            .map(|t| t["created"].clone())
            .unwrap()
    };
    // The time the tag last moved to its manifest.
    assert_eq!(created("a"), "2023-02-01T00:00:00.5Z");
    assert_eq!(created("c"), "2022-03-04T05:06:07Z");
    assert_eq!(created("e"), DEFAULT_TIME);

    let requests = fake.requests();
    let pages: Vec<&AcrRequest> = requests
        .iter()
        .filter(|r| r.route() == "/acr/v1/team/app/_tags")
        .collect();
    let paths: Vec<&str> = pages.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/acr/v1/team/app/_tags?n=100",
            "/acr/v1/team/app/_tags?last=b&n=2&orderby=",
            "/acr/v1/team/app/_tags?last=d&n=2&orderby=",
        ]
    );
    for page in &pages {
        assert_eq!(page.method, "GET");
        assert_eq!(page.status, 200);
        bearer_of(page);
    }
    let tokens: Vec<&AcrRequest> = requests
        .iter()
        .filter(|r| r.route() == "/oauth2/token")
        .collect();
    assert!(!tokens.is_empty());
    for token in tokens {
        assert_eq!(token.method, "POST");
        assert_eq!(token.status, 200);
        assert_eq!(token.field("grant_type"), Some("refresh_token"));
        assert_eq!(token.field("service"), Some(fake.addr().as_str()));
        assert_eq!(
            token.field("scope"),
            Some("repository:team/app:metadata_read")
        );
    }
    assert!(
        requests.iter().all(|r| !r.path.starts_with("/v2/")),
        "listing needs no OCI call"
    );
}

#[test]
fn untag_removes_only_the_named_tag() {
    let fake = AcrFake::start();
    let before = seed(&fake, "app", &[&["a", "b", "c"], &["d"]]);
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &fake);

    let out = acr(&sandbox)
        .args(["tags", "rm", &repo(&fake, "app"), "b", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["b"]));
    let after: BTreeMap<String, String> = fake.digests("app").into_iter().collect();
    let expected: BTreeMap<String, String> = before
        .iter()
        .filter(|(t, _)| *t != "b")
        .map(|(t, d)| (t.clone(), d.clone()))
        .collect();
    assert_eq!(
        after, expected,
        "a and c keep their manifest, d is untouched"
    );

    let requests = fake.requests();
    let deletes: Vec<&AcrRequest> = requests.iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].path, "/acr/v1/app/_tags/b");
    assert_eq!(deletes[0].status, 202);
    bearer_of(deletes[0]);
    let scopes: Vec<&str> = requests
        .iter()
        .filter(|r| r.route() == "/oauth2/token")
        .filter_map(|r| r.field("scope"))
        .collect();
    assert!(scopes.contains(&"repository:app:delete"), "{scopes:?}");

    let out = acr(&sandbox)
        .args(["tags", "rm", &repo(&fake, "app"), "nope", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    assert_eq!(out.json()["missing"], json!(["nope"]));
    assert_eq!(fake.digests("app").len(), 3);
}

#[test]
fn manifests_go_through_the_oci_api() {
    let fake = AcrFake::start();
    let seeder = fake.seeder();
    let config = seeder.push_blob("app", b"{}");
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
         \"config\":{{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"{config}\",\"size\":2}},\
         \"layers\":[]}}"
    );
    let digest = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(manifest.as_bytes()))
    );
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &fake);

    let out = acr(&sandbox)
        .args([
            "manifest",
            "put",
            &format!("{}:v1", repo(&fake, "app")),
            "-",
        ])
        .stdin(manifest.clone())
        .run();
    assert_eq!(out.success().stdout_str().trim(), digest);
    assert_eq!(fake.digests("app"), [("v1".to_string(), digest.clone())]);
    let out = acr(&sandbox)
        .args(["manifest", "get", &format!("{}:v1", repo(&fake, "app"))])
        .run();
    assert_eq!(out.success().stdout, manifest.as_bytes());

    let requests = fake.requests();
    let put = requests
        .iter()
        .find(|r| r.method == "PUT" && r.path == "/v2/app/manifests/v1" && r.status == 201)
        .expect("the manifest PUT");
    bearer_of(put);
    // The host answered the challenge with the identity token, as ACR's
    // OAuth2 flow wants.
    assert!(requests.iter().any(|r| r.route() == "/oauth2/token"
        && r.field("grant_type") == Some("refresh_token")
        && r.field("scope") == Some("repository:app:pull,push")));
}

#[test]
fn cleanup_dry_run_uses_acr_times() {
    let fake = AcrFake::start();
    seed(&fake, "app", &[&["old"], &["older"], &["moved"], &["new"]]);
    let days_ago = |days: i64| {
        (chrono::Utc::now() - chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    fake.set_times("app", "old", &days_ago(90), &days_ago(90));
    fake.set_times("app", "older", &days_ago(400), &days_ago(400));
    // Created long ago, but pointed at a new image yesterday.
    fake.set_times("app", "moved", &days_ago(500), &days_ago(1));
    fake.set_times("app", "new", &days_ago(2), &days_ago(2));
    let before = fake.digests("app");
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &fake);

    let out = acr(&sandbox)
        .args(["cleanup", &repo(&fake, "app"), "--older-than", "30d"])
        .args(["--match", ".*", "--dry-run", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["dry_run"], true);
    assert_eq!(sorted(&report["deleted"]), ["old", "older"]);
    assert_eq!(
        kept(&report),
        [
            ("moved".to_string(), "newer".to_string()),
            ("new".to_string(), "newer".to_string())
        ]
    );
    assert_eq!(fake.digests("app"), before);
    for request in fake.requests() {
        let reads = request.method == "GET" || request.method == "HEAD";
        let token = request.method == "POST" && request.route() == "/oauth2/token";
        assert!(reads || token, "a dry run only reads: {request:?}");
    }
}

#[test]
fn admin_credentials_go_through_the_challenge() {
    let fake = AcrFake::start();
    let expected = seed(&fake, "app", &[&["a", "b"]]);
    let sandbox = Sandbox::new();
    docker_config(
        &sandbox,
        &fake,
        json!({"auth": basic(ADMIN_USER, ADMIN_PASSWORD)}),
    );
    let out = acr(&sandbox)
        .args(["tags", "ls", &repo(&fake, "app"), "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());

    let requests = fake.requests();
    let pages: Vec<&AcrRequest> = requests
        .iter()
        .filter(|r| r.route() == "/acr/v1/app/_tags")
        .collect();
    assert_eq!(
        pages.first().map(|r| r.status),
        Some(401),
        "challenged first"
    );
    assert_eq!(pages.last().map(|r| r.status), Some(200));
    bearer_of(pages.last().unwrap());
    let token = requests
        .iter()
        .find(|r| r.route() == "/oauth2/token" && r.status == 200)
        .expect("a token for the admin user");
    assert_eq!(token.method, "GET");
    assert_eq!(
        token.authorization.as_deref(),
        Some(format!("Basic {}", basic(ADMIN_USER, ADMIN_PASSWORD)).as_str())
    );
    assert!(
        token
            .path
            .contains("scope=repository%3Aapp%3Ametadata_read"),
        "{}",
        token.path
    );

    // Removal too: the challenge of the tag delete names the scope it needs.
    fake.clear_requests();
    let out = acr(&sandbox)
        .args(["tags", "rm", &repo(&fake, "app"), "a", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a"]));
    assert_eq!(
        fake.digests("app"),
        [("b".to_string(), expected["b"].clone())]
    );
    let requests = fake.requests();
    let delete = requests
        .iter()
        .find(|r| r.method == "DELETE" && r.status == 202)
        .expect("the tag delete");
    assert_eq!(delete.path, "/acr/v1/app/_tags/a");
    bearer_of(delete);
    assert!(
        requests
            .iter()
            .any(|r| r.route() == "/oauth2/token"
                && r.path.contains("scope=repository%3Aapp%3Adelete")),
        "{requests:?}"
    );
}

#[test]
fn an_azure_ad_token_is_exchanged() {
    let fake = AcrFake::start();
    let expected = seed(&fake, "app", &[&["a"], &["b"]]);
    let sandbox = Sandbox::new();
    let out = acr(&sandbox)
        .args(["--opt", &format!("aad-token={AAD_TOKEN}")])
        .args(["--opt", "tenant=72f988bf-0000-0000-0000-2d7cd011db47"])
        .args(["-vv", "tags", "ls", &repo(&fake, "app"), "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());
    assert!(
        !out.stderr_str().contains(AAD_TOKEN),
        "the AAD token is never shown"
    );

    let requests = fake.requests();
    let exchanges: Vec<&AcrRequest> = requests
        .iter()
        .filter(|r| r.route() == "/oauth2/exchange")
        .collect();
    assert_eq!(exchanges.len(), 1);
    let exchange = exchanges[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.status, 200);
    assert_eq!(exchange.field("grant_type"), Some("access_token"));
    assert_eq!(exchange.field("service"), Some(fake.addr().as_str()));
    assert_eq!(exchange.field("access_token"), Some(AAD_TOKEN));
    assert_eq!(
        exchange.field("tenant"),
        Some("72f988bf-0000-0000-0000-2d7cd011db47")
    );
    let token = requests
        .iter()
        .find(|r| r.route() == "/oauth2/token")
        .expect("an access token");
    assert!(
        token
            .field("refresh_token")
            .is_some_and(|t| t.starts_with("acr-refresh-")),
        "the exchanged refresh token is used: {token:?}"
    );

    // OCI calls use the exchanged refresh token too, handed to the host.
    fake.clear_requests();
    let out = acr(&sandbox)
        .env("BERTH_ACR_AAD_TOKEN", AAD_TOKEN)
        .args(["manifest", "get", &format!("{}:a", repo(&fake, "app"))])
        .run();
    out.success();
    let requests = fake.requests();
    let basic_token = requests
        .iter()
        .find(|r| r.route() == "/oauth2/token" && r.method == "GET")
        .expect("the host's token request");
    assert_eq!(basic_token.status, 200);
    let encoded = basic_token
        .authorization
        .as_deref()
        .and_then(|a| a.strip_prefix("Basic "))
        .expect("Basic auth");
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    assert!(
        String::from_utf8(decoded)
            .unwrap()
            .starts_with(&format!("{REFRESH_TOKEN_USER}:acr-refresh-")),
    );

    // A token ACR refuses names the option.
    let out = acr(&sandbox)
        .args(["--opt", "aad-token=expired.token.value"])
        .args(["tags", "ls", &repo(&fake, "app")])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("UNAUTHORIZED"), "{stderr}");
    assert!(out.has_hint("aad-token"), "{stderr}");
    assert!(!stderr.contains("expired.token.value"), "{stderr}");
}

#[test]
fn missing_or_wrong_credentials_exit_1_with_a_hint() {
    let fake = AcrFake::start();
    seed(&fake, "app", &[&["a"]]);
    let sandbox = Sandbox::new();
    let out = acr(&sandbox)
        .args(["tags", "ls", &repo(&fake, "app")])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("unauthorized"), "{stderr}");
    let hint = stderr
        .lines()
        .find(|l| l.starts_with("hint: "))
        .unwrap_or_else(|| panic!("no hint: {stderr}"));
    assert!(
        hint.contains("az acr login") && hint.contains("aad-token"),
        "{hint}"
    );

    // An identity token ACR no longer takes.
    docker_config(
        &sandbox,
        &fake,
        json!({"auth": basic(REFRESH_TOKEN_USER, ""), "identitytoken": "acr-refresh-revoked"}),
    );
    let out = acr(&sandbox)
        .args(["tags", "ls", &repo(&fake, "app")])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("identity token"), "{stderr}");
    assert!(
        stderr.contains("the refresh token is invalid or expired"),
        "{stderr}"
    );
    assert!(out.has_hint("az acr login"), "{stderr}");
    assert!(!stderr.contains("acr-refresh-revoked"), "{stderr}");
}

#[test]
fn throttled_requests_are_retried() {
    let fake = AcrFake::start();
    let expected = seed(&fake, "app", &[&["a"], &["b"]]);
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &fake);
    fake.throttle("/acr/v1/", 2, 1);
    let out = acr(&sandbox)
        .args(["tags", "ls", &repo(&fake, "app"), "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.route() == "/acr/v1/app/_tags")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn a_missing_repository_is_not_found() {
    let fake = AcrFake::start();
    let sandbox = Sandbox::new();
    logged_in(&sandbox, &fake);
    let out = acr(&sandbox)
        .args(["tags", "ls", &repo(&fake, "nope")])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(stderr.contains("NAME_UNKNOWN"), "{stderr}");
}

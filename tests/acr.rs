//! The `acr` provider against a strict fake of Azure Container Registry's
//! token and `/acr/v1/` APIs, in front of a real distribution, found by its
//! challenge and logged in as `az acr login` leaves it.

use crate::support::fakes::acr::{
    AAD_TOKEN, ADMIN_PASSWORD, ADMIN_USER, AcrFake, DEFAULT_TIME, REFRESH_TOKEN_USER,
};
use crate::support::login::{basic, basic_auth};
use crate::support::scenarios::{
    after_probe, assert_detected_by_address, detect_by_probe, kept, sorted,
};
use crate::support::{Bed, Image, Repo, Seen, Setting, Vendor};
use base64::Engine;
use serde_json::json;
use std::collections::BTreeMap;

fn acr() -> Bed {
    Bed::start(Vendor::Acr)
}

fn bearer_of(request: &Seen) -> &str {
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

/// Tags `a`..: each list shares one image. Returns every tag's digest.
fn seed(repo: &Repo, images: &[&[&str]]) -> BTreeMap<String, String> {
    for tags in images {
        let first = repo.push(tags[0], &Image::new().unique());
        for tag in &tags[1..] {
            repo.tag(&first.digest, tag);
        }
    }
    repo.digests()
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
    detect_by_probe(&acr().repo.address, "acr");
}

#[test]
fn lists_tags_with_digests_and_times_across_pages() {
    let bed = acr();
    let fake = bed.part::<AcrFake>();
    let repo = bed.repo_named("team/app");
    let expected = seed(&repo, &[&["a", "b"], &["c"], &["d"], &["e"]]);
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

    let out = bed
        .berth()
        .args(["tags", "ls", &repo.address, "-o", "json"])
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

    let requests = after_probe(&bed.requests());
    let pages: Vec<&Seen> = requests
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
    let tokens: Vec<&Seen> = requests
        .iter()
        .filter(|r| r.route() == "/oauth2/token")
        .collect();
    assert!(!tokens.is_empty());
    for token in tokens {
        assert_eq!(token.method, "POST");
        assert_eq!(token.status, 200);
        assert_eq!(token.field("grant_type").as_deref(), Some("refresh_token"));
        assert_eq!(token.field("service"), Some(fake.addr()));
        assert_eq!(
            token.field("scope").as_deref(),
            Some("repository:team/app:metadata_read")
        );
    }
    assert!(
        requests.iter().all(|r| !r.path.starts_with("/v2/")),
        "listing needs no OCI call but the probe"
    );
}

#[test]
fn untag_removes_only_the_named_tag() {
    let bed = acr();
    let before = seed(&bed.repo, &[&["a", "b", "c"], &["d"]]);

    let out = bed
        .berth()
        .args(["tags", "rm", &bed.repo.address, "b", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["b"]));
    let expected: BTreeMap<String, String> = before
        .iter()
        .filter(|(t, _)| *t != "b")
        .map(|(t, d)| (t.clone(), d.clone()))
        .collect();
    assert_eq!(
        bed.repo.digests(),
        expected,
        "a and c keep their manifest, d is untouched"
    );

    let requests = bed.requests();
    let deletes: Vec<&Seen> = requests.iter().filter(|r| r.method == "DELETE").collect();
    assert_eq!(deletes.len(), 1, "{deletes:?}");
    assert_eq!(deletes[0].path, "/acr/v1/app/_tags/b");
    assert_eq!(deletes[0].status, 202);
    bearer_of(deletes[0]);
    let scopes: Vec<String> = requests
        .iter()
        .filter(|r| r.route() == "/oauth2/token")
        .filter_map(|r| r.field("scope"))
        .collect();
    assert!(
        scopes.iter().any(|s| s == "repository:app:delete"),
        "{scopes:?}"
    );

    let out = bed
        .berth()
        .args(["tags", "rm", &bed.repo.address, "nope", "-o", "json"])
        .run();
    assert_eq!(out.code(), 1);
    assert_eq!(out.json()["missing"], json!(["nope"]));
    assert_eq!(bed.repo.digests().len(), 3);
}

#[test]
fn manifests_go_through_the_oci_api() {
    let bed = acr();
    let repo = &bed.repo;
    let config = repo.push_blob(b"{}");
    let manifest = format!(
        "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\
         \"config\":{{\"mediaType\":\"application/vnd.oci.empty.v1+json\",\"digest\":\"{config}\",\"size\":2}},\
         \"layers\":[]}}"
    );
    let digest = crate::support::sha256(manifest.as_bytes());

    let out = bed
        .berth()
        .args(["manifest", "put", &repo.tagged("v1"), "-"])
        .stdin(manifest.clone())
        .run();
    assert_eq!(out.success().stdout_str().trim(), digest);
    assert_eq!(
        repo.digests(),
        BTreeMap::from([("v1".to_string(), digest.clone())])
    );
    let out = bed
        .berth()
        .args(["manifest", "get", &repo.tagged("v1")])
        .run();
    assert_eq!(out.success().stdout, manifest.as_bytes());

    let requests = bed.requests();
    let put = requests
        .iter()
        .find(|r| r.method == "PUT" && r.path == "/v2/app/manifests/v1" && r.status == 201)
        .expect("the manifest PUT");
    bearer_of(put);
    // The host answered the challenge with the identity token, as ACR's
    // OAuth2 flow wants.
    assert!(requests.iter().any(|r| r.route() == "/oauth2/token"
        && r.field("grant_type").as_deref() == Some("refresh_token")
        && r.field("scope").as_deref() == Some("repository:app:pull,push")));
}

#[test]
fn cleanup_dry_run_uses_acr_times() {
    let bed = acr();
    let fake = bed.part::<AcrFake>();
    seed(&bed.repo, &[&["old"], &["older"], &["moved"], &["new"]]);
    let days_ago = |days: i64| {
        (chrono::Utc::now() - chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    };
    fake.set_times("app", "old", &days_ago(90), &days_ago(90));
    fake.set_times("app", "older", &days_ago(400), &days_ago(400));
    // Created long ago, but pointed at a new image yesterday.
    fake.set_times("app", "moved", &days_ago(500), &days_ago(1));
    fake.set_times("app", "new", &days_ago(2), &days_ago(2));
    let before = bed.repo.digests();

    let out = bed
        .berth()
        .args(["cleanup", &bed.repo.address, "--older-than", "30d"])
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
    assert_eq!(bed.repo.digests(), before);
    for request in bed.requests() {
        let token = request.method == "POST" && request.route() == "/oauth2/token";
        assert!(
            request.is_read() || token,
            "a dry run only reads: {request:?}"
        );
    }
}

#[test]
fn admin_credentials_go_through_the_challenge() {
    let bed = acr();
    let expected = seed(&bed.repo, &[&["a", "b"]]);
    let admin = || bed.berth_as(ADMIN_USER, ADMIN_PASSWORD);
    let out = admin()
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());

    let requests = bed.requests();
    let pages: Vec<&Seen> = requests
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
        Some(basic(ADMIN_USER, ADMIN_PASSWORD).as_str())
    );
    assert!(
        token
            .path
            .contains("scope=repository%3Aapp%3Ametadata_read"),
        "{}",
        token.path
    );

    // Removal too: the challenge of the tag delete names the scope it needs.
    bed.clear_requests();
    let out = admin()
        .args(["tags", "rm", &bed.repo.address, "a", "-o", "json"])
        .run();
    assert_eq!(out.success().json()["deleted"], json!(["a"]));
    assert_eq!(
        bed.repo.digests(),
        BTreeMap::from([("b".to_string(), expected["b"].clone())])
    );
    let requests = bed.requests();
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
    let bed = acr();
    let fake = bed.part::<AcrFake>();
    let expected = seed(&bed.repo, &[&["a"], &["b"]]);
    let out = bed
        .anonymous()
        .args(["--opt", &format!("aad-token={AAD_TOKEN}")])
        .args(["--opt", "tenant=72f988bf-0000-0000-0000-2d7cd011db47"])
        .args(["-vv", "tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());
    assert!(
        !out.stderr_str().contains(AAD_TOKEN),
        "the AAD token is never shown"
    );

    let requests = bed.requests();
    let exchanges: Vec<&Seen> = requests
        .iter()
        .filter(|r| r.route() == "/oauth2/exchange")
        .collect();
    assert_eq!(exchanges.len(), 1);
    let exchange = exchanges[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.status, 200);
    assert_eq!(
        exchange.field("grant_type").as_deref(),
        Some("access_token")
    );
    assert_eq!(exchange.field("service"), Some(fake.addr()));
    assert_eq!(exchange.field("access_token").as_deref(), Some(AAD_TOKEN));
    assert_eq!(
        exchange.field("tenant").as_deref(),
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
    bed.clear_requests();
    let out = bed
        .anonymous()
        .env("BERTH_ACR_AAD_TOKEN", AAD_TOKEN)
        .args(["manifest", "get", &bed.repo.tagged("a")])
        .run();
    out.success();
    let requests = bed.requests();
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
    let out = bed
        .anonymous()
        .args(["--opt", "aad-token=expired.token.value"])
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("UNAUTHORIZED"), "{stderr}");
    assert!(out.has_hint("aad-token"), "{stderr}");
    assert!(!stderr.contains("expired.token.value"), "{stderr}");
}

#[test]
fn missing_or_wrong_credentials_exit_1_with_a_hint() {
    let bed = acr();
    seed(&bed.repo, &[&["a"]]);
    let out = bed
        .anonymous()
        .args(["tags", "ls", &bed.repo.address])
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
    let revoked = Setting::DockerAuth(json!({
        "auth": basic_auth(REFRESH_TOKEN_USER, ""),
        "identitytoken": "acr-refresh-revoked",
    }));
    let out = bed
        .with(bed.anonymous(), &[revoked])
        .args(["tags", "ls", &bed.repo.address])
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
    let bed = acr();
    let expected = seed(&bed.repo, &[&["a"], &["b"]]);
    bed.part::<AcrFake>().throttle("/acr/v1/", 2, 1);
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["tags"].as_array().unwrap().len(), expected.len());
    let statuses: Vec<u16> = bed
        .requests()
        .iter()
        .filter(|r| r.route() == "/acr/v1/app/_tags")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [429, 429, 200]);
}

#[test]
fn a_missing_repository_is_not_found() {
    let bed = acr();
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo_named("nope").address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(stderr.contains("NAME_UNKNOWN"), "{stderr}");
}

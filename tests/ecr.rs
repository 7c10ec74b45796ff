//! The `ecr` provider against moto's ECR API, at `AWS_ENDPOINT_URL_ECR`
//! through a logging proxy. The registry address is a real looking ECR
//! host, so the provider is chosen by address; that host's OCI API (blobs)
//! is ECR's fake before a real distribution, reached over HTTPS through
//! an HTTPS proxy, taking only the token `GetAuthorizationToken` issued.

use crate::support::fakes::ecr::EcrFake;
use crate::support::moto::{ACCOUNT, AwsCall, KEY_ID, Moto, REGISTRY, SECRET};
use crate::support::scenarios::{assert_detected_by_address, sorted};
use crate::support::{
    Bed, Image, Registry, RegistryOptions, Repo, Vendor, berth, content, http, sha256,
};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

fn ecr() -> Bed {
    Bed::start(Vendor::Ecr)
}

/// `tags`, each list of tags on one image of its own; returns every tag's
/// digest.
fn seeded(repo: &Repo, images: &[&[&str]]) -> BTreeMap<String, String> {
    for tags in images {
        let image = repo.push(tags[0], &Image::new().unique());
        for tag in &tags[1..] {
            repo.tag(&image.digest, tag);
        }
    }
    repo.digests()
}

/// `AWS4-HMAC-SHA256 Credential=<key>/<date>/<region>/ecr/aws4_request,
/// SignedHeaders=..., Signature=<64 hex>`, valid for `secret`.
fn assert_signed(call: &AwsCall, key_id: &str, secret: &str) {
    let authorization = call
        .authorization
        .as_deref()
        .unwrap_or_else(|| panic!("{} was not signed", call.operation));
    let rest = authorization
        .strip_prefix("AWS4-HMAC-SHA256 Credential=")
        .unwrap_or_else(|| panic!("not SigV4: {authorization}"));
    let (credential, rest) = rest.split_once(", SignedHeaders=").expect("SignedHeaders");
    let (signed, signature) = rest.split_once(", Signature=").expect("Signature");
    let amz_date = call.amz_date.as_deref().expect("X-Amz-Date");
    assert_eq!(amz_date.len(), 16, "{amz_date}");
    assert_eq!(&amz_date[8..9], "T");
    assert!(amz_date.ends_with('Z'));
    let scope: Vec<&str> = credential.split('/').collect();
    assert_eq!(
        scope,
        [key_id, &amz_date[..8], "us-east-1", "ecr", "aws4_request"]
    );
    let signed: Vec<&str> = signed.split(';').collect();
    for needed in ["content-type", "host", "x-amz-date", "x-amz-target"] {
        assert!(signed.contains(&needed), "{needed} not signed: {signed:?}");
    }
    let mut sorted = signed.clone();
    sorted.sort();
    assert_eq!(signed, sorted, "signed headers are sorted");
    assert_eq!(signature.len(), 64);
    assert!(
        signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    assert!(
        call.signature_is_valid(secret),
        "the signature of {} does not verify",
        call.operation
    );
    assert_eq!(
        call.content_type.as_deref(),
        Some("application/x-amz-json-1.1")
    );
}

fn tags_of(listing: &Value) -> Vec<Value> {
    listing["tags"].as_array().expect("tags").clone()
}

#[test]
fn detected_by_address_without_network() {
    assert_detected_by_address(&[
        ("123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "ecr"),
        (
            "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com/a/b",
            "ecr",
        ),
        (
            "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/app",
            "ecr",
        ),
        ("public.ecr.aws/acme/app", "ecr"),
        ("12345.dkr.ecr.us-east-1.amazonaws.com/app", "default"),
        (
            "123456789012.dkr.ecr.us-east-1.amazonaws.com.example.org/app",
            "default",
        ),
    ]);
}

#[test]
fn lists_tags_with_digests_and_push_times_across_pages() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    let expected = seeded(
        &bed.repo_named("team/app"),
        &[&["v1", "v1.0", "stable"], &["v2"], &["v3"], &["latest"]],
    );
    moto.page_size(2);
    let out = bed
        .berth()
        .args([
            "tags",
            "ls",
            &bed.repo_named("team/app").address,
            "-o",
            "json",
        ])
        .run();
    let listing = out.success().json();
    assert_eq!(listing["provider"], "ecr");
    let mut listed = BTreeMap::new();
    for tag in tags_of(&listing) {
        let created = tag["created"].as_str().expect("a push time");
        let created = chrono::DateTime::parse_from_rfc3339(created).expect("RFC 3339");
        let age = chrono::Utc::now().signed_duration_since(created);
        assert!(age < chrono::Duration::hours(1), "{created}");
        listed.insert(
            tag["name"].as_str().unwrap().to_string(),
            tag["digest"].as_str().unwrap().to_string(),
        );
    }
    assert_eq!(listed, expected);

    let calls = moto.calls();
    let lists: Vec<&AwsCall> = calls
        .iter()
        .filter(|c| c.operation == "ListImages")
        .collect();
    assert_eq!(
        lists.len(),
        3,
        "6 tags in pages of 2: {:?}",
        moto.operations()
    );
    let tokens: Vec<Option<&str>> = lists.iter().map(|c| c.body["nextToken"].as_str()).collect();
    assert_eq!(tokens, [None, Some("page-2"), Some("page-4")]);
    for call in &lists {
        assert_eq!(call.body["repositoryName"], "team/app");
        assert_eq!(call.body["registryId"], ACCOUNT);
        assert_eq!(call.body["maxResults"], 1000);
        assert_eq!(call.body["filter"], json!({"tagStatus": "TAGGED"}));
    }
    // Push times come from DescribeImages, by digest, once per page.
    let described: BTreeSet<String> = calls
        .iter()
        .filter(|c| c.operation == "DescribeImages")
        .flat_map(|c| c.body["imageIds"].as_array().unwrap().clone())
        .map(|id| id["imageDigest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(described, expected.values().cloned().collect());
    assert!(
        calls
            .iter()
            .all(|c| c.operation == "ListImages" || c.operation == "DescribeImages"),
        "{:?}",
        moto.operations()
    );
    for call in &calls {
        assert_signed(call, KEY_ID, SECRET);
        assert_eq!(call.security_token, None);
    }
}

#[test]
fn untag_removes_only_the_named_tag() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    let before = seeded(&bed.repo, &[&["a", "b", "c"], &["d"]]);
    assert_eq!(before["a"], before["b"]);

    let out = bed
        .berth()
        .args(["tags", "rm", &bed.repo.address, "b", "-o", "json"])
        .run();
    let report = out.success().json();
    assert_eq!(report["deleted"], json!(["b"]));
    let after = moto.digests("app");
    let expected: BTreeMap<String, String> = before
        .iter()
        .filter(|(t, _)| *t != "b")
        .map(|(t, d)| (t.clone(), d.clone()))
        .collect();
    assert_eq!(after, expected, "a and c keep the image, d is untouched");

    let deletes: Vec<AwsCall> = moto
        .calls()
        .into_iter()
        .filter(|c| c.operation == "BatchDeleteImage")
        .collect();
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].body["imageIds"], json!([{"imageTag": "b"}]));
    assert_eq!(deletes[0].body["repositoryName"], "app");
    assert_eq!(deletes[0].body["registryId"], ACCOUNT);
    assert_signed(&deletes[0], KEY_ID, SECRET);
    assert!(!moto.operations().contains(&"PutImage".to_string()));

    // The last tags of an image take it with them, and nothing else.
    let out = bed
        .berth()
        .args([
            "tags",
            "rm",
            &bed.repo.address,
            "a",
            "c",
            "gone",
            "-o",
            "json",
        ])
        .run();
    assert_eq!(out.code(), 1, "a missing tag fails the run");
    let report = out.json();
    assert_eq!(sorted(&report["deleted"]), ["a", "c"]);
    assert_eq!(report["missing"], json!(["gone"]));
    assert_eq!(
        moto.digests("app"),
        BTreeMap::from([("d".to_string(), before["d"].clone())])
    );
}

#[test]
fn manifests_are_pushed_and_read_through_the_ecr_api() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    // Spacing and key order are kept exactly: the digest is of these bytes.
    let manifest = b"{\n  \"schemaVersion\": 2,\n  \"mediaType\": \"application/vnd.oci.image.manifest.v1+json\",\n  \"config\": {\"mediaType\": \"application/vnd.oci.image.config.v1+json\", \"digest\": \"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\", \"size\": 2},\n  \"layers\": []\n}\n";
    let digest = sha256(manifest);
    // ECR takes a manifest only when the repository has its blobs.
    bed.repo.push_blob(b"{}");
    let file = bed.sandbox().home().join("manifest.json");
    std::fs::write(&file, manifest).unwrap();

    let out = bed
        .berth()
        .args(["manifest", "put", &bed.repo.tagged("v9")])
        .arg(&file)
        .args(["-o", "json"])
        .run();
    assert_eq!(out.success().json(), json!({"digest": digest}));
    assert_eq!(
        moto.manifest("app", "v9")
            .map(|(m, _)| m.into_bytes())
            .as_deref(),
        Some(&manifest[..])
    );
    assert_eq!(moto.digests("app")["v9"], digest);
    let puts: Vec<AwsCall> = moto
        .calls()
        .into_iter()
        .filter(|c| c.operation == "PutImage")
        .collect();
    assert_eq!(puts.len(), 1);
    assert_eq!(puts[0].body["imageTag"], "v9");
    assert_eq!(puts[0].body["imageDigest"], digest);
    assert_eq!(
        puts[0].body["imageManifestMediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_signed(&puts[0], KEY_ID, SECRET);

    // Pushing the same again changes nothing and succeeds.
    let again = bed
        .berth()
        .args(["manifest", "put", &bed.repo.tagged("v9")])
        .arg(&file)
        .run();
    assert_eq!(again.success().stdout_str().trim(), digest);

    for reference in [bed.repo.tagged("v9"), bed.repo.at(&digest)] {
        let out = bed.berth().args(["manifest", "get", &reference]).run();
        assert_eq!(out.success().stdout, manifest, "{reference}");
    }
    let gets: Vec<AwsCall> = moto
        .calls()
        .into_iter()
        .filter(|c| c.operation == "BatchGetImage")
        .collect();
    assert_eq!(gets.len(), 2);
    assert_eq!(gets[0].body["imageIds"], json!([{"imageTag": "v9"}]));
    assert_eq!(gets[1].body["imageIds"], json!([{"imageDigest": digest}]));
    let accepted = gets[0].body["acceptedMediaTypes"].as_array().unwrap();
    assert!(accepted.contains(&json!("application/vnd.oci.image.manifest.v1+json")));
    assert!(accepted.contains(&json!(
        "application/vnd.docker.distribution.manifest.v2+json"
    )));

    let missing = bed
        .berth()
        .args(["manifest", "get", &bed.repo.tagged("nope")])
        .run();
    assert_eq!(missing.code(), 1);
    assert!(
        missing.stderr_str().contains("ImageNotFound"),
        "{}",
        missing.stderr_str()
    );
}

#[test]
fn cleanup_dry_run_uses_push_times() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    // moto records push times in whole seconds.
    for (i, tag) in ["oldest", "older", "newest"].iter().enumerate() {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(1100));
        }
        bed.repo.push(tag, &Image::new().unique());
    }
    let before = moto.digests("app");

    let dry_run = |policy: [&str; 2]| {
        let out = bed
            .berth()
            .args(["cleanup", &bed.repo.address, "--match", ".*"])
            .args(policy)
            .args(["--dry-run", "-o", "json"])
            .run();
        out.success().json()
    };
    let report = dry_run(["--keep-last", "1"]);
    assert_eq!(report["dry_run"], true);
    assert_eq!(sorted(&report["deleted"]), ["older", "oldest"]);
    assert_eq!(
        report["kept"],
        json!([{"tag": "newest", "reason": "keep-last"}])
    );

    // Every push time is known, so an age rule keeps them as `newer`, not
    // `no-date`.
    let report = dry_run(["--older-than", "1d"]);
    assert_eq!(report["deleted"], json!([]));
    let reasons: BTreeSet<String> = report["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["reason"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(reasons, BTreeSet::from(["newer".to_string()]));

    assert_eq!(moto.digests("app"), before, "a dry run changes nothing");
    for call in moto.calls() {
        assert!(
            // The token is for reading the referrers of the images that go.
            ["ListImages", "DescribeImages", "GetAuthorizationToken"]
                .contains(&call.operation.as_str()),
            "a dry run only reads: {}",
            call.operation
        );
    }
}

#[test]
fn missing_credentials_exit_1_with_a_hint() {
    // Nothing listens there: the provider must fail before sending anything.
    let out = berth()
        .env("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")
        .args(["tags", "ls", &format!("{REGISTRY}/app")])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("berth: error:"), "{stderr}");
    assert!(stderr.contains("no AWS credentials"), "{stderr}");
    let hints: Vec<&str> = stderr.lines().filter(|l| l.starts_with("hint: ")).collect();
    assert!(
        hints
            .iter()
            .any(|h| h.contains("AWS_ACCESS_KEY_ID") && h.contains("AWS_PROFILE")),
        "{stderr}"
    );
    assert!(!stderr.contains("docker login"), "{stderr}");

    // A secret without its key id is refused the same way.
    let out = berth()
        .env("AWS_ENDPOINT_URL_ECR", "http://127.0.0.1:9")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .args(["tags", "ls", &format!("{REGISTRY}/app")])
        .run();
    assert_eq!(out.code(), 1);
    assert!(!out.stderr_str().contains(SECRET));
}

#[test]
fn rejected_credentials_exit_1_with_a_hint() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    moto.fail(
        "ListImages",
        1,
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
    );
    let out = bed.berth().args(["tags", "ls", &bed.repo.address]).run();
    let stderr = out.failure();
    assert!(
        stderr.contains(
            "UnrecognizedClientException: The security token included in the request is invalid."
        ),
        "{stderr}"
    );
    assert!(out.has_hint("AWS_ACCESS_KEY_ID"), "{stderr}");
    assert!(!stderr.contains(SECRET));
    assert_eq!(moto.operations(), ["ListImages"], "not retried");
}

#[test]
fn credentials_from_the_shared_credentials_file() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    seeded(&bed.repo, &[&["v1"]]);
    let aws = bed.sandbox().home().join(".aws");
    std::fs::create_dir_all(&aws).unwrap();
    std::fs::write(
        aws.join("credentials"),
        "[default]\naws_access_key_id = AKIDDEFAULT0000000000\naws_secret_access_key = default/secret\n\n\
         # CI's temporary credentials\n[ci]\naws_access_key_id=ASIACI00000000000000\naws_secret_access_key=ci+secret/key\naws_session_token = FwoGZXIvYXdzEC0aDCi/token+with/chars==\n",
    )
    .unwrap();
    let run = |extra: &[(&str, &str)]| {
        moto.clear_calls();
        let mut command = bed.anonymous();
        for (name, value) in extra {
            command = command.env(name, value);
        }
        let out = command.args(["tags", "ls", &bed.repo.address]).run();
        assert_eq!(out.success().stdout_str(), "v1\n");
        moto.calls()
    };

    for call in run(&[]) {
        assert_signed(&call, "AKIDDEFAULT0000000000", "default/secret");
        assert_eq!(call.security_token, None);
    }
    for call in run(&[("AWS_PROFILE", "ci")]) {
        assert_signed(&call, "ASIACI00000000000000", "ci+secret/key");
        assert_eq!(
            call.security_token.as_deref(),
            Some("FwoGZXIvYXdzEC0aDCi/token+with/chars==")
        );
        let authorization = call.authorization.as_deref().unwrap();
        assert!(
            authorization.contains(";x-amz-security-token;"),
            "{authorization}"
        );
    }
    // AWS_SHARED_CREDENTIALS_FILE names another file.
    let other = bed.sandbox().home().join("elsewhere");
    std::fs::write(
        &other,
        "[default]\naws_access_key_id = AKIDELSEWHERE00000000\naws_secret_access_key = elsewhere\n",
    )
    .unwrap();
    for call in run(&[("AWS_SHARED_CREDENTIALS_FILE", other.to_str().unwrap())]) {
        assert_signed(&call, "AKIDELSEWHERE00000000", "elsewhere");
    }
    // Keys in the environment win over any profile.
    for call in run(&[
        ("AWS_PROFILE", "ci"),
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ]) {
        assert_signed(&call, KEY_ID, SECRET);
        assert_eq!(call.security_token, None);
    }

    // A profile that is not there: the missing-credentials error.
    let out = bed
        .anonymous()
        .env("AWS_PROFILE", "nope")
        .args(["tags", "ls", &bed.repo.address])
        .run();
    let stderr = out.failure();
    assert!(
        stderr.contains("\"nope\""),
        "the profile is named: {stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[test]
fn throttled_calls_are_retried() {
    let bed = ecr();
    let moto = bed.part::<Moto>();
    let expected = seeded(&bed.repo, &[&["a", "b"], &["c"]]);
    moto.throttle("ListImages", 2);
    moto.throttle("DescribeImages", 1);
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo.address, "-o", "json"])
        .run();
    let listing = out.success().json();
    assert_eq!(tags_of(&listing).len(), expected.len());
    assert!(tags_of(&listing).iter().all(|t| t["created"].is_string()));
    let operations = moto.operations();
    let count = |op: &str| operations.iter().filter(|o| *o == op).count();
    assert_eq!(count("ListImages"), 3, "{operations:?}");
    assert_eq!(count("DescribeImages"), 2, "{operations:?}");

    // Throttling that does not stop ends in a rate-limit error, bounded.
    moto.throttle("ListImages", 100);
    moto.clear_calls();
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo.address])
        .timeout(Duration::from_secs(30))
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("rate limited"), "{stderr}");
    assert!(
        stderr.contains("ThrottlingException: Rate exceeded"),
        "{stderr}"
    );
    assert_eq!(moto.operations().len(), 5, "one call and four retries");
}

#[test]
fn a_missing_repository_is_not_found() {
    let bed = ecr();
    let out = bed
        .berth()
        .args(["tags", "ls", &bed.repo_named("nope").address])
        .run();
    let stderr = out.failure();
    assert!(stderr.contains("not found"), "{stderr}");
    assert!(stderr.contains("RepositoryNotFoundException"), "{stderr}");
}

/// ECR's registry endpoint takes only the password moto's
/// `GetAuthorizationToken` gave berth: berth's push carries it; no token,
/// another password or another user is refused with ECR's Basic challenge
/// and `DENIED`. A manifest pushed through that endpoint is an image of the
/// ECR API, as on ECR, where both share one store.
#[test]
fn the_registry_endpoint_takes_only_the_token_the_api_issued() {
    let bed = ecr();
    let file = bed.sandbox().home().join("notes.txt");
    std::fs::write(&file, b"only with the token").unwrap();
    let pushed = bed
        .berth()
        .args([
            "push",
            &bed.repo.tagged("notes"),
            &file.display().to_string(),
        ])
        .args(["-o", "json"])
        .run();
    let digest = pushed.success().json()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(bed.repo.digest("notes").as_deref(), Some(digest.as_str()));
    let issued = bed.part::<Moto>().issued();
    assert_eq!(issued.len(), 1, "{issued:?}");
    let password = &issued[0];

    let fake = bed.part::<EcrFake>();
    let manifest = format!("{}/v2/app/manifests/notes", fake.url());
    let ask = |credentials: Option<(&str, &str)>| {
        let request = http::request(reqwest::Method::GET, &manifest)
            .header("accept", "application/vnd.oci.image.manifest.v1+json");
        match credentials {
            Some((user, secret)) => request.basic_auth(user, secret),
            None => request,
        }
        .send()
        .unwrap()
    };
    for refused in [
        None,
        Some(("AWS", "not-the-token")),
        Some(("alice", password)),
    ] {
        let answer = ask(refused);
        assert_eq!(answer.status, 401, "{refused:?}");
        assert_eq!(
            answer.header("www-authenticate"),
            Some(
                format!(r#"Basic realm="https://{REGISTRY}/",service="ecr.amazonaws.com""#)
                    .as_str()
            )
        );
        assert_eq!(answer.json()["errors"][0]["code"], "DENIED");
    }
    let read = ask(Some(("AWS", password)));
    assert_eq!(read.status, 200);
    assert_eq!(sha256(&read.body), digest);

    // Another tag for it, pushed the OCI way: the API lists it.
    let put = http::request(
        reqwest::Method::PUT,
        &format!("{}/v2/app/manifests/again", fake.url()),
    )
    .basic_auth("AWS", password)
    .header("content-type", "application/vnd.oci.image.manifest.v1+json")
    .body(read.body.clone())
    .send()
    .unwrap();
    assert_eq!(put.status, 201, "{}", put.text());
    assert_eq!(bed.repo.digest("again").as_deref(), Some(digest.as_str()));
}

/// As on ECR, a manifest whose blobs the repository lacks is refused
/// (`LayersNotFoundException`) and no tag is made.
#[test]
fn a_manifest_without_its_blobs_is_refused() {
    let bed = ecr();
    let file = bed.sandbox().home().join("manifest.json");
    std::fs::write(&file, Image::new().unique().encode().manifest).unwrap();
    let out = bed
        .berth()
        .args(["manifest", "put", &bed.repo.tagged("v1")])
        .arg(&file)
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(stderr.contains("LayersNotFoundException"), "{stderr}");
    assert_eq!(bed.repo.digest("v1"), None);
}

/// ECR creates no repository on push: a copy into one that does not exist
/// fails, naming it, and leaves nothing behind.
#[test]
fn a_copy_into_a_missing_repository_names_it() {
    let bed = ecr();
    let chart = content::bundle("chart.tgz", &[7u8; 2 << 20], None);
    let layout = bed.sandbox().home().join("start");
    let seeded = Registry::start(RegistryOptions::default());
    chart.push(&seeded.seeder(), "app", "v1");
    let start = format!("oci:{}:v1", layout.display());
    let from = format!("{}/app:v1", seeded.addr());
    bed.sandbox()
        .berth()
        .args(["cp", &from, &start])
        .run()
        .success();

    let missing = bed.repo_named("missing");
    let out = bed
        .berth()
        .args(["cp", &start, &missing.tagged("v1")])
        .run();
    assert_eq!(out.code(), 1);
    let stderr = out.stderr_str();
    assert!(
        stderr.contains("The repository with name 'missing' does not exist"),
        "{stderr}"
    );
    assert!(bed.part::<Moto>().digests("missing").is_empty());
}

//! Checks that the test support itself works against the real servers.

use std::time::{Duration, Instant};

use crate::support::http::{self, HttpResponse};
use crate::support::{
    Image, Method, Proxy, Registry, RegistryOptions, Sandbox, Seeder, TokenRegistry, User, berth,
};

fn get(url: &str) -> HttpResponse {
    http::request(Method::GET, url).send().expect("GET")
}

#[test]
fn registry_accepts_a_push() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let pushed = seeder.push_image("team/app", "v1", &Image::new());
    seeder.tag("team/app", "v1", "latest");
    assert_eq!(seeder.tags("team/app"), ["latest", "v1"]);
    assert_eq!(seeder.digest("team/app", "latest"), Some(pushed.digest));
    assert_eq!(seeder.digest("team/app", "missing"), None);
}

#[test]
fn images_are_unique_only_when_asked() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let image = Image::new().created_days_ago(30);
    let a = seeder.push_image("app", "a", &image);
    let b = seeder.push_image("app", "b", &image);
    let c = seeder.push_image("app", "c", &image.clone().unique());
    assert_eq!(a.digest, b.digest);
    assert_ne!(a.digest, c.digest);
}

#[test]
fn index_children_can_be_tagged_or_not() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let amd = seeder.push_image("app", "v1-amd64", &Image::new());
    let arm = seeder.push_image("app", None, &Image::new().platform("linux", "arm64"));
    let index = seeder.push_index("app", "v1", &[amd, arm.clone()]);
    assert_eq!(seeder.tags("app"), ["v1", "v1-amd64"]);
    assert_eq!(seeder.digest("app", &arm.digest), Some(arm.digest));
    let manifest = http::request(
        Method::GET,
        &format!("{}/v2/app/manifests/v1", registry.url()),
    )
    .header("accept", "application/vnd.oci.image.index.v1+json")
    .send()
    .unwrap();
    assert_eq!(
        manifest.header("docker-content-digest"),
        Some(index.digest.as_str())
    );
    assert_eq!(
        manifest.json()["manifests"][1]["platform"]["architecture"],
        "arm64"
    );
}

#[test]
fn seed_tags_is_fast() {
    let registry = Registry::start(RegistryOptions::default());
    let seeder = registry.seeder();
    let started = Instant::now();
    let tags = seeder.seed_tags("many", 1000);
    let elapsed = started.elapsed();
    assert_eq!(seeder.tags("many"), tags);
    assert_eq!(tags[0], "tag-0000");
    assert!(
        elapsed < Duration::from_secs(10),
        "1000 tags took {elapsed:?}"
    );
}

#[test]
fn token_registry_accepts_tokens_from_its_server() {
    let registry = TokenRegistry::start([User::new("alice", "secret")]);
    let url = registry.registry.url();
    let challenge = get(&format!("{url}/v2/"));
    assert_eq!(challenge.status, 401);
    let expected = format!("Bearer realm=\"{}\",service=", registry.token.realm());
    assert!(
        challenge
            .header("www-authenticate")
            .unwrap()
            .starts_with(&expected)
    );

    let alice = Seeder::new(&url).basic("alice", "secret");
    alice.push_image("app", "v1", &Image::new());
    assert_eq!(alice.tags("app"), ["v1"]);
    let requests = registry.token.requests();
    // One token per repository, reused for every later request.
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert_eq!(requests[0].user.as_deref(), Some("alice"));
    assert_eq!(requests[0].scopes, ["repository:app:pull,push"]);
    assert!(requests[0].has_auth);
}

#[test]
#[should_panic(expected = "401 Unauthorized")]
fn token_registry_rejects_anonymous_push() {
    let registry = TokenRegistry::start([User::new("alice", "secret")]);
    Seeder::new(&registry.registry.url()).push_blob("app", b"layer");
}

#[test]
#[should_panic(expected = "GET token")]
fn token_server_rejects_a_wrong_password() {
    let registry = TokenRegistry::start([User::new("alice", "secret")]);
    Seeder::new(&registry.registry.url())
        .basic("alice", "wrong")
        .push_blob("app", b"layer");
}

#[test]
fn read_only_users_get_pull_only() {
    let registry = TokenRegistry::start([User::read_only("bob", "pw"), User::anonymous()]);
    registry.seeder().push_image("app", "v1", &Image::new());
    assert!(
        registry.token.requests().is_empty(),
        "the seeder mints its tokens"
    );
    let token = http::request(
        Method::GET,
        &format!(
            "{}?service=x&scope=repository:app:pull,push,delete",
            registry.token.realm()
        ),
    )
    .basic_auth("bob", "pw")
    .send()
    .unwrap()
    .json();
    let claims = jwt_claims(token["token"].as_str().unwrap());
    assert_eq!(claims["access"][0]["actions"], serde_json::json!(["pull"]));
    assert_eq!(
        Seeder::new(&registry.registry.url())
            .basic("bob", "pw")
            .tags("app"),
        ["v1"]
    );
    assert_eq!(
        Seeder::new(&registry.registry.url()).tags("app"),
        ["v1"],
        "anonymous pull"
    );
}

#[test]
fn token_server_speaks_oauth2() {
    let registry = TokenRegistry::start([User::new("alice", "secret")]);
    let token = |fields: &[(&str, &str)]| {
        http::request(Method::POST, &registry.token.realm())
            .form(fields)
            .send()
            .unwrap()
    };
    registry.token.set_expires_in(5);
    let scope = ("scope", "repository:app:pull repository:other:pull");
    let first = token(&[
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "secret"),
        ("access_type", "offline"),
        ("service", "berth-test-registry"),
        scope,
    ]);
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json();
    assert_eq!(first["token"], first["access_token"]);
    assert_eq!(first["expires_in"], 5);
    assert!(first["issued_at"].is_string());
    assert_eq!(
        jwt_claims(first["token"].as_str().unwrap())["access"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let refresh = first["refresh_token"].as_str().unwrap();

    let second = token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        scope,
    ]);
    assert_eq!(second.status, 200);
    assert_eq!(second.json()["refresh_token"], refresh);
    let bad = token(&[
        ("grant_type", "refresh_token"),
        ("refresh_token", "nope"),
        scope,
    ]);
    assert_eq!(bad.status, 401);
    let wrong = token(&[
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "x"),
    ]);
    assert_eq!(wrong.status, 401);

    let grants: Vec<_> = registry
        .token
        .requests()
        .iter()
        .map(|r| r.grant_type.clone())
        .collect();
    assert_eq!(grants.len(), 4);
    assert_eq!(grants[1].as_deref(), Some("refresh_token"));
    assert_eq!(registry.token.requests()[1].user.as_deref(), Some("alice"));

    // The minted token works against the registry.
    let minted = registry.token.mint(&["repository:app:pull"]);
    let tags = http::request(
        Method::GET,
        &format!("{}/v2/app/tags/list", registry.registry.url()),
    )
    .header("authorization", &format!("Bearer {minted}"))
    .send()
    .unwrap();
    assert_eq!(
        tags.status, 404,
        "authorised, but the repository does not exist"
    );
}

#[test]
fn proxy_paginates_tags() {
    let registry = Registry::start(RegistryOptions::default());
    let tags = registry.seeder().seed_tags("app", 25);
    let proxy = Proxy::start(&registry.url());
    let pages = proxy.on(Method::GET, "/v2/app/tags/list").paginate(10);

    let mut seen = Vec::new();
    let mut next = Some("/v2/app/tags/list".to_string());
    while let Some(path) = next {
        let page = get(&format!("{}{path}", proxy.url()));
        seen.extend(
            page.json()["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.to_string()),
        );
        next = page
            .header("link")
            .map(|l| l[1..l.find('>').unwrap()].to_string());
    }
    assert_eq!(
        seen,
        tags.iter().map(|t| format!("\"{t}\"")).collect::<Vec<_>>()
    );
    assert_eq!(pages.asked_n(), [None, Some(10), Some(10)]);

    let page = get(&format!(
        "{}/v2/app/tags/list?n=7&last=tag-0020",
        proxy.url()
    ));
    assert_eq!(
        page.json()["tags"],
        serde_json::json!(["tag-0021", "tag-0022", "tag-0023", "tag-0024"])
    );
    assert_eq!(page.header("link"), None);
}

#[test]
fn proxy_pagination_can_loop() {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().seed_tags("app", 5);
    let proxy = Proxy::start(&registry.url());
    proxy
        .on(Method::GET, "/v2/app/tags/list")
        .paginate(2)
        .looping();
    let first = get(&format!("{}/v2/app/tags/list", proxy.url()));
    let link = first.header("link").unwrap();
    assert_eq!(link, "</v2/app/tags/list?n=2&last=tag-0001>; rel=\"next\"");
    let second = get(&format!(
        "{}/v2/app/tags/list?n=2&last=tag-0001",
        proxy.url()
    ));
    assert_eq!(
        second.header("link"),
        Some("</v2/app/tags/list?n=2>; rel=\"next\"")
    );
}

#[test]
fn proxy_faults_fire_then_pass_through() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let limited = proxy
        .on(Method::GET, "/v2/")
        .fail_times(2, 429)
        .retry_after(3);
    let broken = proxy.on(Method::GET, "/v2/_catalog").fail_times(1, 500);
    let unavailable = proxy.on(Method::GET, "/v2/x/tags/list").fail_times(1, 503);
    proxy
        .on(Method::GET, "/v2/garbage/tags/list")
        .respond(200, r#"{"tags": 12"#);
    let url = proxy.url();

    for _ in 0..2 {
        let response = get(&format!("{url}/v2/"));
        assert_eq!(response.status, 429);
        assert_eq!(response.header("retry-after"), Some("3"));
        assert_eq!(response.json()["errors"][0]["code"], "TOOMANYREQUESTS");
    }
    assert_eq!(get(&format!("{url}/v2/")).status, 200);
    assert_eq!(limited.hits(), 3);
    assert_eq!(get(&format!("{url}/v2/_catalog")).status, 500);
    assert_eq!(get(&format!("{url}/v2/_catalog")).status, 200);
    assert_eq!(broken.hits(), 2);
    assert_eq!(get(&format!("{url}/v2/x/tags/list")).status, 503);
    assert_eq!(get(&format!("{url}/v2/x/tags/list")).status, 404);
    assert_eq!(unavailable.hits(), 2);
    let garbage = get(&format!("{url}/v2/garbage/tags/list"));
    assert_eq!(
        (garbage.status, garbage.text().as_str()),
        (200, r#"{"tags": 12"#)
    );

    let log = proxy.requests();
    assert_eq!(log.len(), 8);
    assert!(log.iter().all(|r| r.method == Method::GET && !r.has_auth));
    assert_eq!(log[0].path, "/v2/");
    assert_eq!(log[0].status, Some(429));
}

#[test]
fn proxy_resets_the_nth_connection() {
    let registry = Registry::start(RegistryOptions::default());
    let proxy = Proxy::start(&registry.url());
    let rule = proxy
        .when(|method, path| method == Method::GET && path.starts_with("/v2/"))
        .reset_nth(2);
    let url = format!("{}/v2/", proxy.url());
    assert_eq!(get(&url).status, 200);
    let error = http::request(Method::GET, &url)
        .send()
        .err()
        .expect("the connection was reset");
    assert!(
        error.contains("reset") || error.contains("closed"),
        "{error}"
    );
    assert_eq!(get(&url).status, 200);
    assert_eq!(rule.hits(), 3);
    let statuses: Vec<_> = proxy.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [Some(200), None, Some(200)]);
}

#[test]
fn proxy_trickles_bodies() {
    let registry = Registry::start(RegistryOptions::default());
    registry.seeder().push_blob("app", b"0123456789");
    let proxy = Proxy::start(&registry.url());
    proxy
        .on(Method::GET, "/v2/app/blobs/*")
        .trickle(Duration::from_millis(30));
    let digest = "sha256:84d89877f0d4041efb6bf91a16f0248f2fd573e6af05c19f96bedb9f882f7882";
    let url = format!("{}/v2/app/blobs/{digest}", proxy.url());

    let started = Instant::now();
    assert_eq!(get(&url).body, b"0123456789");
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
    let error = http::request(Method::GET, &url)
        .timeout(Duration::from_millis(100))
        .send();
    assert!(error.err().expect("too slow").contains("timed out"));
}

#[test]
fn pushes_through_the_proxy_stay_on_the_proxy() {
    let registry = TokenRegistry::start([User::new("alice", "secret")]);
    let proxy = Proxy::start(&registry.registry.url());
    let seeder = Seeder::new(&proxy.url()).basic("alice", "secret");
    seeder.push_image("app", "v1", &Image::new());
    let log = proxy.requests();
    let methods: Vec<_> = log.iter().map(|r| r.method.as_str()).collect();
    // The upload's Location (built from Host) led the PUT back to the proxy.
    assert!(
        methods.contains(&"PUT") && methods.contains(&"POST"),
        "{methods:?}"
    );
    assert!(
        log.iter()
            .filter(|r| r.status != Some(401))
            .all(|r| r.has_auth)
    );
    assert_eq!(registry.seeder().tags("app"), ["v1"]);
}

#[test]
fn sandboxes_isolate_the_environment() {
    let sandbox = Sandbox::new();
    let env = sandbox.command("env").env("EXTRA", "1").run();
    let vars = env.success().stdout_str();
    let home = sandbox.home().display().to_string();
    assert!(vars.lines().any(|l| l == format!("HOME={home}")), "{vars}");
    assert!(vars.contains(&format!("XDG_CACHE_HOME={home}/.cache")));
    assert!(vars.lines().any(|l| l == "EXTRA=1"));
    assert!(
        !vars.contains("DOCKER_CONFIG") && !vars.contains("BERTH_"),
        "{vars}"
    );

    let echoed = sandbox.command("cat").stdin("{\"ok\": true}").run();
    assert_eq!(echoed.json()["ok"], true);
    assert_eq!(sandbox.command("false").run().code(), 1);
    berth().arg("--help").run().success();
}

#[test]
#[should_panic(expected = "did not finish within")]
fn runs_time_out() {
    Sandbox::new()
        .command("sleep")
        .arg("5")
        .timeout(Duration::from_millis(200))
        .run();
}

fn jwt_claims(token: &str) -> serde_json::Value {
    use base64::Engine;
    let claims = token.split('.').nth(1).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(claims)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

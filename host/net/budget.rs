//! A byte budget shared by the answers of one plugin call, so that a
//! `send-all` of many large answers cannot make the host hold more than the
//! cap at once (each body alone is still capped by `NetConfig::max_body`).
//! An answer's headers are charged when they arrive and its body chunk by
//! chunk as it is read; an answer that would take the total past the cap
//! fails, and gives back what it had taken. Answers read in full stay
//! charged until the budget is dropped, since the call holds them until it
//! returns.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Clone)]
pub struct BodyBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limit: u64,
    used: AtomicU64,
}

impl BodyBudget {
    pub fn new(limit: u64) -> Self {
        BodyBudget {
            inner: Arc::new(Inner {
                limit,
                used: AtomicU64::new(0),
            }),
        }
    }

    pub fn limit(&self) -> u64 {
        self.inner.limit
    }

    /// Bytes held by the bodies read so far.
    pub fn used(&self) -> u64 {
        self.inner.used.load(Ordering::Acquire)
    }

    /// Bytes still free.
    pub fn left(&self) -> u64 {
        self.inner.limit.saturating_sub(self.used())
    }

    /// A charge for one body, given back on drop unless kept.
    pub(super) fn charge(&self) -> Charge<'_> {
        Charge {
            budget: self,
            taken: 0,
            kept: false,
        }
    }

    /// Takes `n` bytes, or nothing when that would pass the cap.
    fn take(&self, n: u64) -> bool {
        let limit = self.inner.limit;
        self.inner
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|total| *total <= limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: u64) {
        self.inner.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// What one body has taken from a budget so far.
pub(super) struct Charge<'a> {
    budget: &'a BodyBudget,
    taken: u64,
    kept: bool,
}

impl Charge<'_> {
    /// Takes `n` more bytes for this body; false when over budget.
    pub fn take(&mut self, n: u64) -> bool {
        let ok = self.budget.take(n);
        if ok {
            self.taken += n;
        }
        ok
    }

    pub fn limit(&self) -> u64 {
        self.budget.limit()
    }

    /// The body was read in full and is handed to the caller.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for Charge<'_> {
    fn drop(&mut self) {
        if !self.kept {
            self.budget.give_back(self.taken);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::test_server::serve;
    use crate::net::{Client, NetConfig, NetError, Request};
    use reqwest::{Method, Url};

    const MIB: u64 = 1 << 20;

    /// `/sized` answers 3 MiB with a length, `/streamed` 3 MiB in 64 KiB
    /// chunks without one.
    async fn server() -> String {
        use axum::routing::get;
        let app = axum::Router::new()
            .route("/sized", get(|| async { vec![7u8; 3 << 20] }))
            .route(
                "/streamed",
                get(|| async {
                    let chunks = (0..48).map(|_| Ok::<_, std::io::Error>(vec![7u8; 64 << 10]));
                    axum::body::Body::from_stream(futures_util::stream::iter(chunks))
                }),
            )
            .route(
                "/headers",
                get(|| async {
                    let mut headers = axum::http::HeaderMap::new();
                    for i in 0..64 {
                        let name = axum::http::HeaderName::try_from(format!("x-fat-{i}")).unwrap();
                        headers.insert(name, "f".repeat(2000).parse().unwrap());
                    }
                    (headers, "{}")
                }),
            );
        serve(app).await
    }

    /// What an answer holds: its body and its headers.
    async fn get(client: &Client, url: &str, budget: &BodyBudget) -> Result<u64, NetError> {
        let request = Request::new(Method::GET, Url::parse(url).unwrap());
        let response = client.send_with(request, None, None, Some(budget)).await?;
        let head: usize = response
            .headers
            .iter()
            .map(|(n, v)| n.as_str().len() + v.len())
            .sum();
        Ok((response.body.len() + head) as u64)
    }

    #[tokio::test]
    async fn a_request_over_budget_fails_naming_the_limit() {
        let base = server().await;
        let client = Client::new(NetConfig::default()).unwrap();
        for path in ["sized", "streamed"] {
            let budget = BodyBudget::new(10 * MIB);
            let url = format!("{base}/{path}");
            let mut held = 0;
            for _ in 0..3 {
                let got = get(&client, &url, &budget).await.unwrap();
                assert!((3 * MIB..3 * MIB + 1024).contains(&got), "{path}: {got}");
                held += got;
            }
            let err = get(&client, &url, &budget).await.unwrap_err();
            assert!(
                matches!(err, NetError::TooLarge { shared: true, limit, .. } if limit == 10 * MIB),
                "{err:?}"
            );
            assert!(err.to_string().contains("10 MiB limit"), "{err}");
            assert_eq!(
                budget.used(),
                held,
                "{path}: the failed answer gave its bytes back"
            );
        }
    }

    #[tokio::test]
    async fn headers_are_charged_with_the_body() {
        let base = server().await;
        let client = Client::new(NetConfig::default()).unwrap();
        let url = format!("{base}/headers");
        // 128 KB of headers and a 2-byte body: within 200 KiB once, not twice.
        let budget = BodyBudget::new(200 << 10);
        let first = get(&client, &url, &budget).await.unwrap();
        assert!(first > 128_000, "{first}");
        let err = get(&client, &url, &budget).await.unwrap_err();
        assert!(
            matches!(err, NetError::TooLarge { shared: true, .. }),
            "{err:?}"
        );
        assert_eq!(budget.used(), first);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_bodies_never_hold_more_than_the_cap() {
        let base = server().await;
        let client = Client::new(NetConfig::default()).unwrap();
        for path in ["sized", "streamed"] {
            let budget = BodyBudget::new(10 * MIB);
            let url = format!("{base}/{path}");
            let results =
                futures_util::future::join_all((0..16).map(|_| get(&client, &url, &budget))).await;
            let mut held = 0;
            for result in results {
                match result {
                    Ok(len) => held += len,
                    Err(NetError::TooLarge { shared: true, .. }) => {}
                    Err(other) => panic!("{path}: {other}"),
                }
            }
            assert!(held <= 10 * MIB, "{path}: {held} bytes held");
            assert_eq!(budget.used(), held, "{path}");
        }
    }

    #[test]
    fn takes_up_to_the_cap_and_gives_back_failed_bodies() {
        let budget = BodyBudget::new(100);
        let mut first = budget.charge();
        assert!(first.take(60));
        first.keep();
        let mut second = budget.charge();
        assert!(second.take(30));
        assert!(!second.take(20), "110 bytes would pass the cap");
        assert_eq!(budget.used(), 90);
        drop(second);
        assert_eq!(budget.used(), 60, "a failed body gives its bytes back");
        assert_eq!(budget.left(), 40);
    }

    #[test]
    fn clones_share_one_budget() {
        let budget = BodyBudget::new(10);
        let other = budget.clone();
        let mut a = budget.charge();
        assert!(a.take(10));
        let mut b = other.charge();
        assert!(!b.take(1));
        assert!(b.take(0));
    }
}

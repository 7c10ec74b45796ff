//! One rate limiter per host, shared by every request the process sends
//! there: the host's own, and those of every plugin instance. It keeps a
//! throttled run at the pace the server allows instead of bursting into 429s.
//!
//! - **Pause.** A 429 (or a 503 with `Retry-After`) pauses every request to
//!   the host for the wait it asks (`Retry-After`, `X-Retry-After`, else the
//!   retry's backoff); so does an answer saying no requests are left
//!   (`RateLimit-Remaining: 0`, `X-RateLimit-Remaining: 0`) until the reset.
//!   A wait longer than `NetConfig::max_retry_wait` pauses nobody: the
//!   request fails at once with the server's answer.
//! - **Pace.** Requests start at least `interval` apart. A throttle sets the
//!   interval from what the host bore since the previous throttle: the
//!   requests it answered divided over that time plus the wait it asked. A
//!   throttle with no answer since doubles the interval. Each answer then
//!   shortens it by 1/64, to find a pace the host raised again. When the
//!   host reports fewer than 64 requests left, they are spread evenly over
//!   the time to its reset.
//! - **Start.** A host not heard from yet gets one request, then one more in
//!   flight per round of answers, so a first burst of many requests cannot
//!   all be refused before anything is known. This ends at the first
//!   throttle or at reported rate-limit headers, which pace from then on.
//! - **Writes.** The operator's cap (`--rate N/s`) spaces requests other than
//!   GET and HEAD at most N a second per host.

use super::quota::{Quota, quota, retry_after};
use crate::log;
use reqwest::header::HeaderMap;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The interval after throttles with no answer between them, to start from.
const FIRST_GUESS: Duration = Duration::from_millis(10);
/// Below this many requests left, the rest are spread until the reset.
const LOW_REMAINING: u64 = 64;
/// Past this many requests in flight, the start-up window no longer binds.
const MAX_WINDOW: u32 = 256;

/// Every host's limiter, made on first use.
pub struct Limiters {
    hosts: Mutex<HashMap<String, Arc<Limiter>>>,
    write_interval: Option<Duration>,
    max_pause: Duration,
}

impl Limiters {
    /// `write_rate`: the operator's cap on write requests per second per
    /// host; `max_pause`: the longest wait a server's answer may impose.
    pub fn new(write_rate: Option<f64>, max_pause: Duration) -> Self {
        Limiters {
            hosts: Mutex::new(HashMap::new()),
            write_interval: write_rate
                .filter(|rate| rate.is_finite() && *rate > 0.0)
                .map(|rate| Duration::from_secs_f64(1.0 / rate)),
            max_pause,
        }
    }

    /// The limiter of `host` (`host[:port]`).
    pub fn get(&self, host: &str) -> Arc<Limiter> {
        let mut hosts = self.hosts.lock().unwrap();
        hosts
            .entry(host.to_string())
            .or_insert_with(|| {
                Arc::new(Limiter {
                    host: host.to_string(),
                    write_interval: self.write_interval,
                    max_pause: self.max_pause,
                    state: Mutex::new(State::new(Instant::now())),
                    freed: Notify::new(),
                })
            })
            .clone()
    }
}

pub struct Limiter {
    host: String,
    write_interval: Option<Duration>,
    max_pause: Duration,
    state: Mutex<State>,
    /// Wakes requests waiting for room in the start-up window.
    freed: Notify,
}

impl Limiter {
    /// Waits until a request (a write when `write`) may start.
    pub async fn acquire(self: &Arc<Self>, write: bool) -> Permit {
        let write_interval = self.write_interval.filter(|_| write);
        loop {
            // Made before the state is read, so no release is missed.
            let freed = self.freed.notified();
            let wait = {
                let now = Instant::now();
                let mut state = self.state.lock().unwrap();
                match state.admit(now, write_interval) {
                    Ok(()) => {
                        return Permit {
                            limiter: self.clone(),
                            started: now,
                        };
                    }
                    Err(wait) => wait,
                }
            };
            match wait {
                Some(until) => tokio::time::sleep_until(until).await,
                None => freed.await,
            }
        }
    }
}

/// A request under way; dropping it without an answer (a transport error)
/// frees its place.
pub struct Permit {
    limiter: Arc<Limiter>,
    started: Instant,
}

impl Permit {
    /// Learns from the answer. When the host throttled the request, returns
    /// the wait it asked, or `fallback` if it named none: a wait within
    /// `max_pause` now pauses every request to the host.
    pub fn answered(
        self,
        status: u16,
        headers: &HeaderMap,
        fallback: Duration,
    ) -> Option<Duration> {
        let limiter = &self.limiter;
        let now = Instant::now();
        let asked = retry_after(headers);
        let throttled = status == 429 || (status == 503 && asked.is_some());
        let mut state = limiter.state.lock().unwrap();
        if let Some(quota) = quota(headers) {
            state.heed(quota, now, limiter.max_pause);
        }
        if !throttled {
            state.answered(self.started);
            return None;
        }
        let wait = asked.unwrap_or(fallback);
        if wait <= limiter.max_pause {
            state.throttled(self.started, now, wait);
            log::debug(&format!(
                "{} throttles: pausing its requests for {} ms, then one every {} ms",
                limiter.host,
                wait.as_millis(),
                state.interval().as_millis()
            ));
        }
        Some(wait)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        self.limiter.state.lock().unwrap().in_flight -= 1;
        self.limiter.freed.notify_waiters();
    }
}

struct State {
    /// When the next request may start, and the next write.
    next: Instant,
    next_write: Instant,
    /// No request starts before this.
    paused_until: Instant,
    /// The spacing learned from throttles, and the one the reported
    /// remaining budget asks for; the longer applies.
    learned: Duration,
    quota_pace: Duration,
    in_flight: u32,
    /// Most requests in flight while the host's limits are unknown; `None`
    /// once known.
    window: Option<u32>,
    /// Answers since the window last grew.
    acked: u32,
    /// Start of the period since the last throttle, and the requests
    /// started in it that the host answered without throttling.
    since: Instant,
    answers: u32,
}

impl State {
    fn new(now: Instant) -> Self {
        State {
            next: now,
            next_write: now,
            paused_until: now,
            learned: Duration::ZERO,
            quota_pace: Duration::ZERO,
            in_flight: 0,
            window: Some(1),
            acked: 0,
            since: now,
            answers: 0,
        }
    }

    fn interval(&self) -> Duration {
        self.learned.max(self.quota_pace)
    }

    /// Takes a slot now, or says until when to wait (`None`: until a
    /// request in flight ends).
    fn admit(
        &mut self,
        now: Instant,
        write_interval: Option<Duration>,
    ) -> Result<(), Option<Instant>> {
        let mut ready = self.paused_until.max(self.next);
        if write_interval.is_some() {
            ready = ready.max(self.next_write);
        }
        if ready > now {
            return Err(Some(ready));
        }
        if self.window.is_some_and(|window| self.in_flight >= window) {
            return Err(None);
        }
        self.next = step(self.next, now, self.interval());
        if let Some(interval) = write_interval {
            self.next_write = step(self.next_write, now, interval);
        }
        self.in_flight += 1;
        Ok(())
    }

    fn answered(&mut self, started: Instant) {
        if started >= self.since {
            self.answers += 1;
        }
        if let Some(window) = self.window {
            self.acked += 1;
            if self.acked >= window {
                self.acked = 0;
                self.window = (window < MAX_WINDOW).then_some(window + 1);
            }
        }
        self.learned -= self.learned / 64;
    }

    fn throttled(&mut self, started: Instant, now: Instant, wait: Duration) {
        self.paused_until = self.paused_until.max(now + wait);
        self.window = None;
        // Requests sent before the last throttle tell nothing new.
        if started < self.since {
            return;
        }
        let period = now.saturating_duration_since(self.since) + wait;
        self.learned = match self.answers {
            0 => (self.learned * 2).max(FIRST_GUESS),
            answers => period / answers,
        };
        self.since = now + wait;
        self.answers = 0;
    }

    fn heed(&mut self, quota: Quota, now: Instant, max_pause: Duration) {
        let Some(reset) = quota.reset else {
            return;
        };
        self.window = None;
        match quota.remaining {
            0 if reset <= max_pause => self.paused_until = self.paused_until.max(now + reset),
            0 => {}
            left if left < LOW_REMAINING => self.quota_pace = reset / left as u32,
            _ => self.quota_pace = Duration::ZERO,
        }
    }
}

/// The slot after one taken at `now`: `interval` after the previous slot,
/// so that a request woken a little late does not slow the pace, yet after
/// a quiet spell the next waits nearly the whole interval.
fn step(previous: Instant, now: Instant, interval: Duration) -> Instant {
    let slack = interval / 8;
    previous.max(now.checked_sub(slack).unwrap_or(now)) + interval
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const FALLBACK: Duration = Duration::from_millis(250);

    #[tokio::test(start_paused = true)]
    async fn a_throttle_pauses_everyone_and_sets_the_pace() {
        let limiters = Limiters::new(None, Duration::from_secs(60));
        let limiter = limiters.get("r.example");
        // Start-up: one request at first, one more per round of answers.
        for _ in 0..20 {
            let permit = limiter.acquire(false).await;
            assert_eq!(permit.answered(200, &HeaderMap::new(), FALLBACK), None);
        }
        let permit = limiter.acquire(false).await;
        let wait = permit.answered(429, &headers(&[("retry-after", "1")]), FALLBACK);
        assert_eq!(wait, Some(Duration::from_secs(1)));
        // Everyone waits out the pause; then 20 answers over (no time + 1 s)
        // make one request every 50 ms.
        let started = Instant::now();
        drop(limiter.acquire(false).await);
        assert_eq!(started.elapsed(), Duration::from_secs(1));
        let started = Instant::now();
        for _ in 0..4 {
            drop(limiter.acquire(false).await);
        }
        let span = started.elapsed();
        assert!(
            span >= Duration::from_millis(190) && span <= Duration::from_millis(200),
            "{span:?}"
        );
        // Another host is not affected.
        let other = limiters.get("other.example");
        let started = Instant::now();
        other
            .acquire(false)
            .await
            .answered(200, &HeaderMap::new(), FALLBACK);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_limit_pauses_nobody() {
        let limiter = Limiters::new(None, Duration::from_secs(60)).get("r");
        let permit = limiter.acquire(false).await;
        let wait = permit.answered(429, &headers(&[("retry-after", "3600")]), FALLBACK);
        assert_eq!(wait, Some(Duration::from_secs(3600)));
        let started = Instant::now();
        drop(limiter.acquire(false).await);
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn an_exhausted_budget_pauses_until_its_reset_and_a_low_one_is_spread() {
        let limiter = Limiters::new(None, Duration::from_secs(60)).get("r");
        let permit = limiter.acquire(false).await;
        let exhausted = headers(&[("ratelimit-remaining", "0"), ("ratelimit-reset", "2")]);
        assert_eq!(permit.answered(200, &exhausted, FALLBACK), None);
        let started = Instant::now();
        let permit = limiter.acquire(false).await;
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        let low = headers(&[("ratelimit-remaining", "10"), ("ratelimit-reset", "5")]);
        permit.answered(200, &low, FALLBACK);
        let started = Instant::now();
        drop(limiter.acquire(false).await);
        drop(limiter.acquire(false).await);
        assert_eq!(started.elapsed(), Duration::from_millis(500));
    }

    #[tokio::test(start_paused = true)]
    async fn the_start_up_window_grows_by_one_per_round() {
        let limiter = Limiters::new(None, Duration::from_secs(60)).get("r");
        let first = limiter.acquire(false).await;
        let blocked = tokio::time::timeout(Duration::from_secs(1), limiter.acquire(false)).await;
        assert!(blocked.is_err(), "one request at first");
        first.answered(200, &HeaderMap::new(), FALLBACK);
        let a = limiter.acquire(false).await;
        let b = limiter.acquire(false).await;
        let blocked = tokio::time::timeout(Duration::from_secs(1), limiter.acquire(false)).await;
        assert!(blocked.is_err(), "two after one answer");
        drop(a);
        drop(limiter.acquire(false).await);
        drop(b);
    }

    #[tokio::test(start_paused = true)]
    async fn writes_are_capped_reads_are_not() {
        let limiter = Limiters::new(Some(10.0), Duration::from_secs(60)).get("r");
        limiter.acquire(false).await.answered(
            200,
            &headers(&[("ratelimit-remaining", "1000"), ("ratelimit-reset", "60")]),
            FALLBACK,
        );
        let started = Instant::now();
        for _ in 0..5 {
            drop(limiter.acquire(true).await);
        }
        assert_eq!(started.elapsed(), Duration::from_millis(400));
        let started = Instant::now();
        for _ in 0..5 {
            drop(limiter.acquire(false).await);
        }
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    /// Requests a second the bucket server allows, holding one second's worth.
    const RATE: f64 = 20.0;

    #[derive(Default)]
    struct Served {
        ok: u32,
        refused: u32,
    }

    /// A token bucket answering 429 with `Retry-After` when empty and, when
    /// `report`, telling what is left in the IETF draft's headers.
    async fn bucket_server(report: bool) -> (String, Arc<Mutex<Served>>) {
        use axum::http::StatusCode;
        let served = Arc::new(Mutex::new(Served::default()));
        let bucket = Arc::new(Mutex::new((RATE, std::time::Instant::now())));
        let counts = served.clone();
        let handler = move || {
            let (bucket, counts) = (bucket.clone(), counts.clone());
            async move {
                let mut headers = axum::http::HeaderMap::new();
                let mut bucket = bucket.lock().unwrap();
                let now = std::time::Instant::now();
                let tokens = (bucket.0 + (now - bucket.1).as_secs_f64() * RATE).min(RATE);
                let status = if tokens >= 1.0 {
                    counts.lock().unwrap().ok += 1;
                    *bucket = (tokens - 1.0, now);
                    StatusCode::OK
                } else {
                    counts.lock().unwrap().refused += 1;
                    *bucket = (tokens, now);
                    let wait = ((1.0 - tokens) / RATE).ceil() as u64;
                    headers.insert("retry-after", wait.into());
                    StatusCode::TOO_MANY_REQUESTS
                };
                if report {
                    let left = bucket.0.floor() as u64;
                    let reset = ((RATE - bucket.0) / RATE).ceil() as u64;
                    headers.insert("ratelimit-remaining", left.into());
                    headers.insert("ratelimit-reset", reset.into());
                }
                (status, headers)
            }
        };
        let app = axum::Router::new().route("/v2/", axum::routing::get(handler));
        (crate::net::test_server::serve(app).await, served)
    }

    /// 64 concurrent requests to a server allowing 20 a second: all end
    /// well, few are refused, and they go through at 90 % of the rate or more.
    async fn run_against_the_bucket(report: bool) {
        use crate::net::{Client, NetConfig, Request};
        let (base, served) = bucket_server(report).await;
        let client = Client::new(NetConfig::default()).unwrap();
        let url = reqwest::Url::parse(&format!("{base}/v2/")).unwrap();
        let started = std::time::Instant::now();
        let requests: Vec<_> = (0..64)
            .map(|_| {
                let (client, url) = (client.clone(), url.clone());
                tokio::spawn(async move {
                    let request = Request::new(reqwest::Method::GET, url);
                    client.send(request, None, None).await
                })
            })
            .collect();
        for request in requests {
            assert_eq!(request.await.unwrap().unwrap().status, 200);
        }
        let elapsed = started.elapsed().as_secs_f64();
        let served = served.lock().unwrap();
        let rate = 64.0 / elapsed;
        eprintln!(
            "report={report}: 64 requests in {elapsed:.2} s ({rate:.1}/s), {} answered 429",
            served.refused
        );
        assert_eq!(served.ok, 64);
        assert!(served.refused <= 8, "{} answered 429", served.refused);
        assert!(rate >= 0.9 * RATE, "{rate:.1} requests a second");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_throttled_run_learns_the_pace_from_429s() {
        run_against_the_bucket(false).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_throttled_run_follows_the_reported_budget() {
        run_against_the_bucket(true).await;
    }
}

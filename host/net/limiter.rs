//! One rate limiter per host (a registry, or the API beside it), shared by
//! every request the process sends there: the host's own, and those of
//! every plugin instance. It keeps a throttled run at the pace the server
//! allows instead of bursting into 429s.
//!
//! - **Classes.** Reads (GET, HEAD) and writes are limited apart: registries
//!   budget deletes and pushes on their own, so a throttled delete says
//!   nothing about how fast tags may be listed, and the other way round.
//! - **Pause.** A 429 (or a 503 with `Retry-After`) pauses every request of
//!   its class to the host for the wait it asks (`Retry-After` in seconds
//!   or as an HTTP date, `X-Retry-After`, else the retry's backoff); so does
//!   an answer saying no requests are left (`RateLimit-Remaining: 0`,
//!   `X-RateLimit-Remaining: 0`) until the reset. A wait longer than
//!   `NetConfig::max_retry_wait` pauses nobody: the request fails at once
//!   with the server's answer.
//! - **Pace.** Requests start at least `interval` apart. The first throttle
//!   sets it from the requests answered since the first one, over that time
//!   plus the wait asked: a first guess. A later throttle brackets the
//!   server's rate: the pace it stopped is too fast, and the requests
//!   answered since the previous throttle, over that time, came no faster
//!   than the server allows (its burst can make them slower, never
//!   faster); the interval becomes the rate halfway between. A throttle
//!   with no answer since doubles the interval. Each answer then shortens
//!   it: by 1/64 while the pace is the first guess, to approach the
//!   server's rate fast, and by 1/4096 once bracketed, to find the rest of
//!   it (or a rate the server raised) without spending its burst on probes. When the host reports fewer than 64
//!   requests left, they are spread evenly over the time to its reset.
//! - **Start.** A class not heard from yet gets one request, then one more in
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
/// How much each answer shortens the interval: while the pace is a first
/// guess, and once bracketed between two throttles.
const GUESS_PROBE: u32 = 64;
const BRACKETED_PROBE: u32 = 4096;
/// A throttle at a pace no faster than what was answered slows it by 1/4.
const BACK_OFF: u32 = 4;

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
                    classes: [Class::new(), Class::new()],
                })
            })
            .clone()
    }
}

pub struct Limiter {
    host: String,
    write_interval: Option<Duration>,
    max_pause: Duration,
    /// Reads, then writes.
    classes: [Class; 2],
}

struct Class {
    state: Mutex<State>,
    /// Wakes requests waiting for room in the start-up window.
    freed: Notify,
}

impl Class {
    fn new() -> Self {
        Class {
            state: Mutex::new(State::new(Instant::now())),
            freed: Notify::new(),
        }
    }
}

impl Limiter {
    /// Waits until a request (a write when `write`) may start.
    pub async fn acquire(self: &Arc<Self>, write: bool) -> Permit {
        let write_interval = self.write_interval.filter(|_| write);
        let class = &self.classes[usize::from(write)];
        loop {
            // Made before the state is read, so no release is missed.
            let freed = class.freed.notified();
            let wait = {
                let now = Instant::now();
                let mut state = class.state.lock().unwrap();
                match state.admit(now, write_interval) {
                    Ok(()) => {
                        return Permit {
                            limiter: self.clone(),
                            write,
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
    write: bool,
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
        let mut state = self.class().state.lock().unwrap();
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
                "{} throttles {}: pausing them for {} ms, then one every {} ms",
                limiter.host,
                if self.write { "writes" } else { "reads" },
                wait.as_millis(),
                state.interval().as_millis()
            ));
        }
        Some(wait)
    }

    fn class(&self) -> &Class {
        &self.limiter.classes[usize::from(self.write)]
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let class = self.class();
        class.state.lock().unwrap().in_flight -= 1;
        class.freed.notify_waiters();
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
    /// When the last throttle came (at first: when the class was made), and
    /// the requests started since that the host answered without throttling.
    since: Instant,
    answers: u32,
    /// The pace the last throttle stopped, once requests were paced.
    too_fast: Option<Duration>,
    /// Whether a throttle came yet.
    throttled: bool,
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
            too_fast: None,
            throttled: false,
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
        // The first guess counts from the first request answered.
        if !self.throttled && self.answers == 0 {
            self.since = started;
        }
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
        let probe = match self.too_fast {
            Some(_) => BRACKETED_PROBE,
            None => GUESS_PROBE,
        };
        self.learned -= self.learned / probe;
    }

    fn throttled(&mut self, started: Instant, now: Instant, wait: Duration) {
        self.paused_until = self.paused_until.max(now + wait);
        self.window = None;
        // Requests sent before the last throttle tell nothing new.
        if started < self.since {
            return;
        }
        let period = now.saturating_duration_since(self.since);
        self.learned = match (self.answers, self.throttled) {
            (0, _) => (self.learned * 2).max(FIRST_GUESS),
            // The pace that was throttled is too fast; the requests answered
            // since the last throttle came no faster than the server allows:
            // halfway between, by rate.
            (answers, true) => {
                let (fast, slow) = (self.learned, period / answers);
                self.too_fast = Some(fast);
                if slow > fast {
                    let (f, s) = (fast.as_secs_f64(), slow.as_secs_f64());
                    Duration::from_secs_f64(2.0 * f * s / (f + s))
                } else {
                    fast + fast / BACK_OFF
                }
            }
            (answers, false) => (period + wait) / answers,
        };
        self.throttled = true;
        self.since = now;
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

    /// A token bucket in tokio's clock: `rate` a second, up to `burst`.
    struct VirtualBucket {
        rate: f64,
        burst: f64,
        tokens: f64,
        at: Instant,
        passed: Vec<Instant>,
        refused: u32,
    }

    impl VirtualBucket {
        /// 200, or 429 with `Retry-After` in whole seconds as HTTP has it.
        fn answer(&mut self) -> (u16, HeaderMap) {
            let now = Instant::now();
            let elapsed = (now - self.at).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
            self.at = now;
            if self.tokens >= 1.0 {
                self.tokens -= 1.0;
                self.passed.push(now);
                return (200, HeaderMap::new());
            }
            self.refused += 1;
            let wait = ((1.0 - self.tokens) / self.rate).ceil().max(1.0);
            (429, headers(&[("retry-after", &wait.to_string())]))
        }
    }

    /// `count` deletes, `concurrency` at a time, each retried after a 429
    /// as `send` does, against a bucket of `rate` with a small burst, after
    /// `reads` reads the bucket does not limit. Returns the bucket.
    async fn deletes(
        count: u32,
        concurrency: u32,
        reads: u32,
        rate: f64,
        burst: f64,
    ) -> VirtualBucket {
        let limiter = Limiters::new(None, Duration::from_secs(60)).get("r");
        for _ in 0..reads {
            limiter
                .acquire(false)
                .await
                .answered(200, &HeaderMap::new(), FALLBACK);
        }
        let bucket = Arc::new(Mutex::new(VirtualBucket {
            rate,
            burst,
            tokens: burst,
            at: Instant::now(),
            passed: Vec::new(),
            refused: 0,
        }));
        let left = Arc::new(Mutex::new(count));
        let workers: Vec<_> = (0..concurrency)
            .map(|_| {
                let (limiter, bucket, left) = (limiter.clone(), bucket.clone(), left.clone());
                tokio::spawn(async move {
                    loop {
                        {
                            let mut left = left.lock().unwrap();
                            if *left == 0 {
                                return;
                            }
                            *left -= 1;
                        }
                        loop {
                            let permit = limiter.acquire(true).await;
                            // The server's answer takes a little while.
                            tokio::time::sleep(Duration::from_millis(3)).await;
                            let (status, headers) = bucket.lock().unwrap().answer();
                            if permit.answered(status, &headers, FALLBACK).is_none() {
                                break;
                            }
                        }
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.await.unwrap();
        }
        Arc::try_unwrap(bucket).ok().unwrap().into_inner().unwrap()
    }

    /// Requests a second the bucket let through, from its own timestamps.
    fn throughput(bucket: &VirtualBucket) -> f64 {
        let span = *bucket.passed.last().unwrap() - bucket.passed[0];
        (bucket.passed.len() - 1) as f64 / span.as_secs_f64()
    }

    /// Deletes behind 500 reads learn the rate of a bucket whose burst is
    /// one second's worth, and keep to 90 % of it or more after few 429s.
    /// With a burst of 5 they still send few, at a pace a little below the
    /// rate: each 429 costs a whole second (`Retry-After` has no finer
    /// unit) of which the burst refills only a quarter.
    #[tokio::test(start_paused = true)]
    async fn deletes_learn_the_rate_of_a_bucket_and_keep_to_it() {
        for (concurrency, rate, burst, share) in [
            (1, 20.0, 20.0, 0.9),
            (8, 20.0, 20.0, 0.9),
            (16, 3.0, 3.0, 0.9),
            (1, 20.0, 5.0, 0.75),
            (8, 20.0, 5.0, 0.55),
        ] {
            let count = (rate * 30.0) as u32;
            let bucket = deletes(count, concurrency, 500, rate, burst).await;
            let throughput = throughput(&bucket);
            let case = format!("{concurrency} at once, {rate}/s, burst {burst}");
            eprintln!("{case}: {throughput:.2}/s, {} refused", bucket.refused);
            assert_eq!(bucket.passed.len(), count as usize);
            assert!(bucket.refused <= 12, "{case}: {} refused", bucket.refused);
            assert!(throughput >= share * rate, "{case}: {throughput:.2}/s");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn throttled_writes_leave_reads_alone() {
        let limiter = Limiters::new(None, Duration::from_secs(60)).get("r");
        let write = limiter.acquire(true).await;
        write.answered(429, &headers(&[("retry-after", "5")]), FALLBACK);
        let started = Instant::now();
        drop(limiter.acquire(false).await);
        assert_eq!(started.elapsed(), Duration::ZERO);
        drop(limiter.acquire(true).await);
        assert_eq!(started.elapsed(), Duration::from_secs(5));
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

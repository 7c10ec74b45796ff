//! Loopback HTTP servers for unit tests, on the test's own runtime.

/// Serves `app` on a free loopback port until the test's runtime ends;
/// returns its base URL.
pub async fn serve(app: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

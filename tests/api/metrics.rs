//! GET /metrics: Prometheus text with route patterns, never pages, IPs or emails.

use serde_json::json;

use crate::helpers::TestApp;

#[tokio::test]
async fn metrics_count_requests_comments_and_limits_without_private_labels() {
    let app = TestApp::spawn_with(|s| s.limits.reads_per_minute = 2).await;
    app.create_with(json!({"page": "/secret-page", "text": "x", "email": "who@private.example"}))
        .await;
    for _ in 0..3 {
        app.get("/api/comments?site=blog&page=/secret-page").await;
    }
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = res.text().await.unwrap();
    assert!(
        text.contains("natter_http_requests_total{route=\"/api/comments\",status=\"201\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("natter_http_requests_total{route=\"/api/comments\",status=\"200\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("natter_http_requests_total{route=\"/api/comments\",status=\"429\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("natter_comments_total{site=\"blog\",status=\"approved\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("natter_rate_limited_total{site=\"blog\",class=\"read\"} 1"),
        "{text}"
    );
    assert!(
        text.contains(
            "natter_http_request_duration_seconds_bucket{route=\"/api/comments\",le=\"+Inf\"} 4"
        ),
        "{text}"
    );
    assert!(text.contains("natter_outbox_pending 0"));
    let bytes: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("natter_database_bytes "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(bytes > 0.0);
    for private in ["secret-page", "private.example", "127.0.0"] {
        assert!(!text.contains(private), "{private} leaked into metrics");
    }
}

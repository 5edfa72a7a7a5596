//! Image fetching policy against a loopback server: the test-only `allow_insecure_loopback`
//! flag lets http reach 127.0.0.1; everything else is the production path (allow-list, size
//! cap while streaming, timeout, decode limits, cache).

use std::time::Duration;

use crate::support::*;
use questline::cards::{CardsConfig, ImageError, ImageFetcher, ImageKind};

#[tokio::test]
async fn fetches_checks_embeds_and_caches() {
    let server = serve(|_| Reply::Body(200, picture(64, 48, [10, 200, 90]))).await;
    let fetcher = ImageFetcher::new(&loopback_config()).expect("fetcher");
    let url = server.url("/avatar.png");
    let first = fetcher
        .fetch(&url, ImageKind::Avatar)
        .await
        .expect("fetched");
    assert!(first.data_url.starts_with("data:image/png;base64,"));
    assert_eq!(
        (first.width, first.height),
        (questline::cards::AVATAR_PX, questline::cards::AVATAR_PX)
    );
    let second = fetcher
        .fetch(&url, ImageKind::Avatar)
        .await
        .expect("cached");
    assert_eq!(first, second);
    assert_eq!(
        server.hits(),
        1,
        "the second fetch should come from the cache"
    );
}

#[tokio::test]
async fn policy_rejections_never_connect() {
    let server = serve(|_| Reply::Body(200, picture(8, 8, [0, 0, 0]))).await;
    // Default config: no http, no loopback host.
    let strict = ImageFetcher::new(&CardsConfig::default()).expect("fetcher");
    let err = strict
        .fetch(&server.url("/a.png"), ImageKind::Avatar)
        .await
        .unwrap_err();
    assert!(matches!(err, ImageError::NotHttps(_)), "{err}");
    let err = strict
        .fetch("https://images.example.org/a.png", ImageKind::Background)
        .await
        .unwrap_err();
    assert!(matches!(err, ImageError::HostNotAllowed { .. }), "{err}");
    assert!(
        strict
            .fetch_or_none(Some("file:///etc/passwd"), ImageKind::Avatar)
            .await
            .is_none()
    );
    assert_eq!(server.hits(), 0);
}

#[tokio::test]
async fn oversized_bodies_are_cut_off_while_streaming() {
    let mut cfg = loopback_config();
    cfg.max_image_bytes = 100_000;
    let server = serve(|path| match path {
        "/declared" => Reply::Body(200, vec![0u8; 200_000]),
        _ => Reply::Stream(5_000_000),
    })
    .await;
    let fetcher = ImageFetcher::new(&cfg).expect("fetcher");
    for path in ["/declared", "/streamed"] {
        let err = fetcher
            .fetch(&server.url(path), ImageKind::Background)
            .await
            .unwrap_err();
        assert_eq!(err, ImageError::TooLarge { max: 100_000 }, "{path}");
    }
}

#[tokio::test]
async fn slow_servers_time_out() {
    let mut cfg = loopback_config();
    cfg.fetch_timeout_ms = 300;
    let server = serve(|_| Reply::Slow(Duration::from_secs(5), picture(8, 8, [0, 0, 0]))).await;
    let fetcher = ImageFetcher::new(&cfg).expect("fetcher");
    let started = std::time::Instant::now();
    let err = fetcher
        .fetch(&server.url("/slow.png"), ImageKind::Avatar)
        .await
        .unwrap_err();
    assert_eq!(err, ImageError::Timeout { ms: 300 });
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn bad_answers_are_errors_and_not_cached() {
    let bomb = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode("iVBORw0KGgoAAAANSUhEUgABhqAAAYagCAYAAACoUgvIAAAADElEQVR4nGNgoAwAAABAAAG3NHzvAAAAAElFTkSuQmCC")
            .expect("b64")
    };
    let server = serve(move |path| match path {
        "/missing" => Reply::Body(404, Vec::new()),
        "/bomb" => Reply::Body(200, bomb.clone()),
        "/html" => Reply::Body(200, b"<html>hi</html>".to_vec()),
        "/away" => Reply::Redirect("https://evil.example/x.png".to_owned()),
        _ => Reply::Body(200, picture(8, 8, [0, 0, 0])),
    })
    .await;
    let fetcher = ImageFetcher::new(&loopback_config()).expect("fetcher");
    let missing = server.url("/missing");
    assert!(
        fetcher
            .fetch_or_none(Some(&missing), ImageKind::Background)
            .await
            .is_none()
    );
    let err = fetcher
        .fetch(&server.url("/missing"), ImageKind::Avatar)
        .await
        .unwrap_err();
    assert_eq!(err, ImageError::Status(404));
    let err = fetcher
        .fetch(&server.url("/bomb"), ImageKind::Background)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ImageError::Decode(_) | ImageError::TooManyPixels { .. }
        ),
        "{err}"
    );
    let err = fetcher
        .fetch(&server.url("/html"), ImageKind::Avatar)
        .await
        .unwrap_err();
    assert!(matches!(err, ImageError::Decode(_)), "{err}");
    // A redirect off the allow-list is not followed: the 302 itself is the answer.
    let err = fetcher
        .fetch(&server.url("/away"), ImageKind::Avatar)
        .await
        .unwrap_err();
    assert_eq!(err, ImageError::Status(302));
    // Errors are not cached: each attempt reached the server.
    let before = server.hits();
    let _ = fetcher
        .fetch(&server.url("/missing"), ImageKind::Avatar)
        .await;
    assert_eq!(server.hits(), before + 1);
}

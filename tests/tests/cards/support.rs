// Shared helpers for the rank-card integration tests: the `cards` test binary's `support`
// module, also included by the `discord` binary (`/rank`).
#![allow(dead_code)]

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use questline::cards::{CardData, CardsConfig, ImageKind, embed_image};

/// A deterministic RGBA test picture (diagonal gradient), encoded as PNG.
pub fn picture(width: u32, height: u32, tint: [u8; 3]) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(width, height, |x, y| {
        let t = ((x + y) * 255 / (width + height).max(1)) as u8;
        image::Rgba([
            tint[0] / 2 + t / 2,
            tint[1] / 2 + t / 3,
            tint[2] / 2 + t / 4,
            255,
        ])
    });
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

/// A solid picture.
pub fn solid(width: u32, height: u32, rgb: [u8; 3]) -> Vec<u8> {
    let img =
        image::RgbaImage::from_pixel(width, height, image::Rgba([rgb[0], rgb[1], rgb[2], 255]));
    let mut out = Vec::new();
    img.write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("encode");
    out
}

/// The fixed data the golden images are rendered from: sample stats, an avatar and a
/// background the host embedded.
pub fn golden_data() -> CardData {
    let cfg = CardsConfig::default();
    let mut data = CardData::sample();
    data.avatar = Some(
        embed_image(&cfg, &picture(200, 200, [240, 120, 60]), ImageKind::Avatar)
            .expect("avatar")
            .data_url,
    );
    data
}

pub fn decode(png: &[u8]) -> image::RgbaImage {
    image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("a PNG")
        .to_rgba8()
}

/// Share of pixels whose any channel differs by more than `tolerance`.
pub fn differing_share(a: &image::RgbaImage, b: &image::RgbaImage, tolerance: u8) -> f64 {
    assert_eq!(a.dimensions(), b.dimensions(), "image sizes differ");
    let differing = a
        .pixels()
        .zip(b.pixels())
        .filter(|(p, q)| {
            p.0.iter()
                .zip(q.0.iter())
                .any(|(x, y)| x.abs_diff(*y) > tolerance)
        })
        .count();
    differing as f64 / f64::from(a.width() * a.height())
}

/// Whether any pixel is (nearly) pure `rgb`.
pub fn has_color(img: &image::RgbaImage, rgb: [u8; 3]) -> bool {
    img.pixels()
        .any(|p| p.0[3] > 200 && p.0.iter().zip(rgb.iter()).all(|(a, b)| a.abs_diff(*b) <= 8))
}

/// A loopback HTTP server answering every request with `respond(path)`; counts connections.
pub struct Server {
    pub port: u16,
    pub hits: Arc<AtomicUsize>,
}

pub enum Reply {
    /// Status and body, with Content-Length.
    Body(u16, Vec<u8>),
    /// 200 with no Content-Length: `n` bytes streamed, then close.
    Stream(usize),
    /// Waits this long before answering 200 with `body`.
    Slow(std::time::Duration, Vec<u8>),
    /// A redirect to `location`.
    Redirect(String),
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

pub async fn serve(respond: impl Fn(&str) -> Reply + Send + Sync + 'static) -> Server {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let respond = Arc::new(respond);
    tokio::spawn(async move {
        loop {
            let Ok((mut sock, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let respond = respond.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = sock.read(&mut buf).await.unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]).to_string();
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let (status, headers, body): (u16, String, Vec<u8>) = match respond(&path) {
                    Reply::Body(status, body) => {
                        (status, format!("Content-Length: {}\r\n", body.len()), body)
                    }
                    Reply::Stream(n) => (200, String::new(), vec![0u8; n]),
                    Reply::Slow(wait, body) => {
                        tokio::time::sleep(wait).await;
                        (200, format!("Content-Length: {}\r\n", body.len()), body)
                    }
                    Reply::Redirect(location) => (
                        302,
                        format!("Location: {location}\r\nContent-Length: 0\r\n"),
                        Vec::new(),
                    ),
                };
                let head = format!("HTTP/1.1 {status} X\r\n{headers}Connection: close\r\n\r\n");
                let _ = sock.write_all(head.as_bytes()).await;
                for chunk in body.chunks(64 * 1024) {
                    if sock.write_all(chunk).await.is_err() {
                        return;
                    }
                }
                let _ = sock.shutdown().await;
            });
        }
    });
    Server { port, hits }
}

/// A config that lets the fetcher reach the loopback test server over http.
pub fn loopback_config() -> CardsConfig {
    let mut cfg = CardsConfig::default();
    cfg.allowed_hosts.push("127.0.0.1".to_owned());
    cfg.allow_insecure_loopback = true;
    cfg.fetch_timeout_ms = 1_500;
    cfg
}

//! Files members attach to commands (`/import`), downloaded with the bot's own HTTP client:
//! only `http(s)` URLs (Discord's CDN in production, the test double in tests), at most the
//! size the command allows (a declared `Content-Length` above it is refused before reading,
//! and the body is counted while it streams), within a time limit.

use std::time::Duration;

use futures::future::BoxFuture;

use crate::commands::{AttachmentSource, FileRef};

/// How long one download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(60);

/// The Discord front's [`AttachmentSource`].
pub struct DiscordFiles {
    client: reqwest::Client,
}

impl DiscordFiles {
    pub fn new(client: reqwest::Client) -> Self {
        Self { client }
    }

    async fn download(&self, file: &FileRef, max: u64) -> Result<Vec<u8>, String> {
        let url = reqwest::Url::parse(&file.url).map_err(|e| format!("bad file address ({e})"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(format!(
                "unsupported file address scheme `{}`",
                url.scheme()
            ));
        }
        let too_big = |n: u64| {
            format!(
                "the file is larger than {} MB (at least {:.1} MB)",
                max / 1_048_576,
                n as f64 / 1_048_576.0
            )
        };
        let mut resp = self
            .client
            .get(url)
            .timeout(DOWNLOAD_TIMEOUT)
            .send()
            .await
            .map_err(|e| format!("the download failed ({e}); try again"))?;
        if !resp.status().is_success() {
            return Err(format!(
                "the file server answered {}; upload the file again",
                resp.status()
            ));
        }
        if let Some(len) = resp.content_length()
            && len > max
        {
            return Err(too_big(len));
        }
        let mut out: Vec<u8> = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("the download broke off ({e}); try again"))?
        {
            let total = out.len() as u64 + chunk.len() as u64;
            if total > max {
                return Err(too_big(total));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

impl AttachmentSource for DiscordFiles {
    fn fetch<'a>(
        &'a self,
        file: &'a FileRef,
        max_bytes: u64,
    ) -> BoxFuture<'a, Result<Vec<u8>, String>> {
        Box::pin(self.download(file, max_bytes))
    }
}

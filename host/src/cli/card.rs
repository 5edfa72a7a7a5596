//! `questline card render|styles`: render a rank card offline with the bundled plugins (and
//! those in the plugin directory, or one given file), for plugin authors and tests.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};

use crate::cards::styles::{available_styles, render_card_blocking, style_names};
use crate::cards::{
    CardData, CardRenderer, CardsConfig, ImageKind, display_name_for_card, embed_image,
    validate_style,
};
use crate::config::Config;
use crate::plugins::{CallContext, MemoryKv, PluginHost};

#[derive(Debug, clap::Args)]
pub struct CardArgs {
    #[command(subcommand)]
    command: CardCommand,
}

#[derive(Debug, clap::Subcommand)]
enum CardCommand {
    /// Render a card to a PNG file.
    Render(RenderArgs),
    /// List the card styles the loaded plugins draw.
    Styles {
        /// Also load this card-style plugin file.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
}

#[derive(Debug, clap::Args)]
struct RenderArgs {
    /// The style to draw (see `questline card styles`).
    #[arg(long, default_value = crate::cards::DEFAULT_STYLE)]
    style: String,
    /// Card data as JSON (the fields of the WIT `card-data` record in snake_case; missing
    /// fields take the sample values). Default: sample data.
    #[arg(long)]
    data: Option<PathBuf>,
    /// A local avatar image (PNG, JPEG, WebP or GIF).
    #[arg(long)]
    avatar: Option<PathBuf>,
    /// A local background image (PNG, JPEG, WebP or GIF).
    #[arg(long)]
    background: Option<PathBuf>,
    /// Also load this card-style plugin file (e.g. the one you are writing).
    #[arg(long)]
    plugin: Option<PathBuf>,
    /// Where to write the PNG.
    #[arg(long)]
    out: PathBuf,
    /// Also draw the card this many more times and print the time per card (plugin call,
    /// checks, rasterising and encoding; the first, cold card not counted): what the style
    /// costs on this machine.
    #[arg(long, value_name = "N")]
    repeat: Option<u32>,
}

pub async fn run(config: &Config, args: CardArgs) -> anyhow::Result<ExitCode> {
    let cards = config.cards.clone();
    match args.command {
        CardCommand::Styles { plugin } => {
            let host = host(config, plugin.as_deref())?;
            let styles = available_styles(&host, &ctx());
            if styles.is_empty() {
                bail!("no card-style plugin is loaded");
            }
            for entry in styles {
                println!("{:<20} {}", entry.style, entry.plugin);
            }
            Ok(ExitCode::SUCCESS)
        }
        CardCommand::Render(args) => render(config, &cards, args),
    }
}

fn render(config: &Config, cards: &CardsConfig, args: RenderArgs) -> anyhow::Result<ExitCode> {
    let mut data = match &args.data {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read card data {}", path.display()))?;
            serde_json::from_str::<CardData>(&text).with_context(|| {
                format!(
                    "{} is not valid card data (expected a JSON object with fields such as \
                     display_name, level, rank, xp_into_level, level_span, total_xp)",
                    path.display()
                )
            })?
        }
        None => CardData::sample(),
    };
    // As the bot does: only characters the bundled fonts draw.
    data.display_name = display_name_for_card(&data.display_name);
    // Images in the JSON are re-checked like fetched ones: the renderer draws only what the
    // host embedded.
    data.avatar = reembed(cards, data.avatar.take(), ImageKind::Avatar)?;
    data.background = reembed(cards, data.background.take(), ImageKind::Background)?;
    if let Some(path) = &args.avatar {
        data.avatar = Some(load_image(cards, path, ImageKind::Avatar)?);
    }
    if let Some(path) = &args.background {
        data.background = Some(load_image(cards, path, ImageKind::Background)?);
    }
    let host = host(config, args.plugin.as_deref())?;
    // The bot falls back to the default style for a stale stored style; an author asking
    // for a style by name wants to hear that it does not exist.
    let names = style_names(&available_styles(&host, &ctx()));
    let style = validate_style(&args.style, &names)?;
    let renderer = CardRenderer::new(cards);
    let card = render_card_blocking(&host, &renderer, &ctx(), &style, &data);
    std::fs::write(&args.out, &card.png)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    println!("{}", args.out.display());
    if let Some(n) = args.repeat.filter(|n| *n > 0) {
        let started = std::time::Instant::now();
        for _ in 0..n {
            std::hint::black_box(render_card_blocking(
                &host,
                &renderer,
                &ctx(),
                &style,
                &data,
            ));
        }
        let per_card = started.elapsed().as_secs_f64() / f64::from(n);
        println!(
            "{style}: {:.2} ms per card, {:.0} cards/s on one core ({n} warm cards, {} KB PNG)",
            per_card * 1e3,
            1.0 / per_card,
            card.png.len().div_ceil(1024)
        );
    }
    match card.error {
        None => Ok(ExitCode::SUCCESS),
        Some(err) => {
            eprintln!("error: {err}\nThe host's fallback card was written instead.");
            Ok(ExitCode::FAILURE)
        }
    }
}

fn host(config: &Config, plugin: Option<&Path>) -> anyhow::Result<PluginHost> {
    let host = PluginHost::new(&config.plugins, Arc::new(MemoryKv::new()))
        .context("cannot start the plugin runtime")?;
    for (name, err) in host.load_bundled(crate::bundled::BUNDLED) {
        eprintln!("warning: bundled plugin {name} failed to load: {err}");
    }
    if let Err(err) = host.load_dir() {
        eprintln!("warning: {err}");
    }
    if let Some(path) = plugin {
        host.load_file(path)
            .with_context(|| format!("cannot load plugin {}", path.display()))?;
    }
    Ok(host)
}

fn ctx() -> CallContext {
    CallContext::new(0, chrono::Utc::now().timestamp_millis(), 0)
}

fn load_image(cards: &CardsConfig, path: &Path, kind: ImageKind) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(embed_image(cards, &bytes, kind)
        .with_context(|| format!("cannot use {} as an image", path.display()))?
        .data_url)
}

fn reembed(
    cards: &CardsConfig,
    url: Option<String>,
    kind: ImageKind,
) -> anyhow::Result<Option<String>> {
    let Some(url) = url else { return Ok(None) };
    let bytes = url
        .split_once(";base64,")
        .filter(|(head, _)| head.starts_with("data:image/"))
        .and_then(|(_, b64)| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD.decode(b64).ok()
        })
        .context("card data images must be base64 `data:image/...` URLs (or use --avatar/--background with a file)")?;
    Ok(Some(embed_image(cards, &bytes, kind)?.data_url))
}

//! The command line: options, commands, and turning results into exit codes.

use crate::commands;
use crate::context::Context;
use crate::error::Error;
use crate::output::Format;
use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

const ABOUT: &str = "List, push and safely clean up container images on any registry.

Every registry family is a WebAssembly provider plugin; berth picks one by the
registry's address (or asks the registry), and never removes a tag that was
not named.";

const EXAMPLES: &str = "Examples:
  berth detect ghcr.io/acme/app
  berth tags ls localhost:5000/app -o json
  berth tags rm localhost:5000/app pr-41 pr-42
  berth cleanup localhost:5000/app --match '^pr-' --keep-last 5 --dry-run
  berth manifest get localhost:5000/app:v1
  berth plugins ls";

#[derive(Parser)]
#[command(name = "berth", version, about = ABOUT, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Clone)]
pub struct Global {
    /// Provider to use; `auto` detects it from the address
    #[arg(
        long,
        global = true,
        env = "BERTH_PROVIDER",
        default_value = "auto",
        value_name = "NAME"
    )]
    pub provider: String,

    /// Directory of drop-in plugins, searched before the built-in ones (repeatable)
    #[arg(
        long = "plugin-dir",
        global = true,
        env = "BERTH_PLUGIN_DIR",
        value_delimiter = ':',
        value_name = "DIR"
    )]
    pub plugin_dirs: Vec<PathBuf>,

    /// Where config.json is read [env: BERTH_DOCKER_CONFIG, then DOCKER_CONFIG; default ~/.docker]
    #[arg(
        long,
        global = true,
        env = "BERTH_DOCKER_CONFIG",
        value_name = "DIR",
        hide_env = true
    )]
    pub docker_config: Option<PathBuf>,

    /// Option of the selected provider, e.g. --opt token=... (see `berth plugins info NAME`)
    #[arg(long = "opt", global = true, value_name = "NAME=VALUE")]
    pub opts: Vec<String>,

    /// Use plain HTTP for a registry that is not on loopback
    #[arg(long, global = true, env = "BERTH_PLAIN_HTTP", value_parser = BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub plain_http: bool,

    /// Skip TLS certificate verification
    #[arg(long, global = true, env = "BERTH_INSECURE", value_parser = BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub insecure: bool,

    /// Extra PEM root certificates
    #[arg(long, global = true, env = "BERTH_CA_FILE", value_name = "FILE")]
    pub ca_file: Option<PathBuf>,

    /// Requests in flight per registry
    #[arg(long, global = true, env = "BERTH_CONCURRENCY", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub concurrency: u16,

    /// Output format
    #[arg(
        short,
        long,
        global = true,
        env = "BERTH_OUTPUT",
        value_enum,
        default_value = "text"
    )]
    pub output: Format,

    /// More logging on stderr; -vv logs every HTTP request (credentials redacted)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Time limit of one HTTP request
    #[arg(long, global = true, env = "BERTH_TIMEOUT", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Duration,

    /// Time limit of one plugin call, including the requests it waits on
    #[arg(long, global = true, env = "BERTH_PLUGIN_TIMEOUT", default_value = "120s", value_parser = parse_duration, value_name = "DURATION")]
    pub plugin_timeout: Duration,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::duration::parse(s)
}

#[derive(Subcommand)]
pub enum Command {
    /// Which provider serves a repository, and how that was decided
    Detect(commands::detect::Args),
    /// List or remove tags
    #[command(subcommand)]
    Tags(TagsCommand),
    /// Get or push a manifest, byte for byte
    #[command(subcommand)]
    Manifest(ManifestCommand),
    /// Remove the tags a policy selects, and report why the others were kept
    Cleanup(commands::cleanup::Args),
    /// List, describe and verify provider plugins
    #[command(subcommand)]
    Plugins(PluginsCommand),
}

#[derive(Subcommand)]
pub enum ManifestCommand {
    /// Print a manifest exactly as the registry stores it
    Get(commands::manifest::GetArgs),
    /// Push a manifest (image, index or artifact) and print its digest
    Put(commands::manifest::PutArgs),
}

#[derive(Subcommand)]
pub enum TagsCommand {
    /// Every tag of a repository, across all pages
    Ls(commands::tags_ls::Args),
    /// Remove exactly the named tags
    Rm(commands::tags_rm::Args),
}

#[derive(Subcommand)]
pub enum PluginsCommand {
    /// Every plugin found: built-in and drop-in
    Ls,
    /// One plugin: capabilities, options and granted hosts
    Info(commands::plugins::InfoArgs),
    /// Check every plugin against the sha256 pins of its plugin-registry.toml
    Verify,
    /// Write a ready provider crate (with the SDK and WIT) to start a plugin from
    New(commands::plugins_new::NewArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    crate::log::set_verbosity(cli.global.verbose, cli.global.quiet);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let result = runtime.block_on(run(cli));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            crate::output::error(&e);
            ExitCode::from(e.exit_code())
        }
    }
}

/// Runs a command; `Ok` carries the exit code of a command that printed its
/// own partial failures.
async fn run(cli: Cli) -> Result<u8, Error> {
    crate::interrupt::install();
    let ctx = Context::new(cli.global)?;
    match cli.command {
        Command::Detect(args) => commands::detect::run(&ctx, args).await,
        Command::Tags(TagsCommand::Ls(args)) => commands::tags_ls::run(&ctx, args).await,
        Command::Tags(TagsCommand::Rm(args)) => commands::tags_rm::run(&ctx, args).await,
        Command::Manifest(ManifestCommand::Get(args)) => commands::manifest::get(&ctx, args).await,
        Command::Manifest(ManifestCommand::Put(args)) => commands::manifest::put(&ctx, args).await,
        Command::Cleanup(args) => commands::cleanup::run(&ctx, args).await,
        Command::Plugins(PluginsCommand::Ls) => commands::plugins::ls(&ctx).await,
        Command::Plugins(PluginsCommand::Info(args)) => commands::plugins::info(&ctx, args).await,
        Command::Plugins(PluginsCommand::Verify) => commands::plugins::verify(&ctx).await,
        Command::Plugins(PluginsCommand::New(args)) => commands::plugins_new::new(&ctx, args).await,
    }
}

/// Help and version print as usual; usage errors become one `berth: error:`
/// line and a hint, without the usage dump.
fn clap_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return ExitCode::from(
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            },
        );
    }
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().filter(|l| !l.trim().is_empty());
    let first = lines.next().unwrap_or("invalid usage");
    let message = first.strip_prefix("error: ").unwrap_or(first);
    let mut error = Error::usage(message.to_string());
    for line in lines {
        let line = line.trim();
        if let Some(tip) = line.strip_prefix("tip: ") {
            error = error.hint(tip.to_string());
        } else if line.starts_with("Usage:") {
            error = error.hint(format!(
                "usage: {}",
                line.trim_start_matches("Usage:").trim()
            ));
        }
    }
    error = error.hint("see `berth --help`");
    crate::output::error(&error);
    ExitCode::from(2)
}

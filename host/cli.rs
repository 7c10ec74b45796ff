//! The command line: options, commands, and turning results into exit codes.

use crate::commands;
use crate::context::Context;
use crate::error::Error;
use crate::settings::Settings;
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

const ABOUT: &str = "List, push and safely clean up container images on any registry.

Every registry family is a WebAssembly provider plugin; berth picks one by the
registry's address (or asks the registry), and never removes a tag that was
not named.";

const EXAMPLES: &str = "Examples:
  echo \"$TOKEN\" | berth login ghcr.io -u octocat --password-stdin
  berth doctor ghcr.io/acme/app --for cleanup
  berth detect ghcr.io/acme/app
  berth tags ls localhost:5000/app -o json
  berth tags rm localhost:5000/app pr-41 pr-42
  berth cleanup localhost:5000/app --match '^pr-' --keep-last 5 --dry-run
  berth repos ls localhost:5000
  berth apply plan.json --shard 0/4 --journal shard-0.journal
  berth manifest get localhost:5000/app:v1
  berth plugins ls";

#[derive(Parser)]
#[command(name = "berth", version, about = ABOUT, after_help = EXAMPLES, propagate_version = true)]
pub struct Cli {
    #[command(flatten)]
    pub settings: Settings,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Which provider serves a repository, and how that was decided
    Detect(commands::detect::Args),
    /// Check, changing nothing, that a repository is ready for a run
    Doctor(commands::doctor::Args),
    /// Check a credential with a registry and keep it as docker login does
    Login(commands::login::LoginArgs),
    /// Forget a registry's credential
    Logout(commands::login::LogoutArgs),
    /// List or remove tags
    #[command(
        subcommand,
        after_help = "Examples:
  berth tags ls localhost:5000/app
  berth tags rm localhost:5000/app pr-41 pr-42 --dry-run"
    )]
    Tags(TagsCommand),
    /// Get or push a manifest, byte for byte
    #[command(
        subcommand,
        after_help = "Examples:
  berth manifest get localhost:5000/app:v1
  berth manifest put localhost:5000/app:v2 manifest.json"
    )]
    Manifest(ManifestCommand),
    /// Remove the tags a policy selects, and report why the others were kept
    Cleanup(commands::cleanup::Args),
    /// Plan the cleanup of whole registries by a policy file, reading only
    Plan(commands::plan::Args),
    /// List the repositories of a registry
    #[command(
        subcommand,
        after_help = "Examples:
  berth repos ls localhost:5000
  berth repos ls ghcr.io/acme -o json"
    )]
    Repos(ReposCommand),
    /// Execute a plan, or one shard of it, checking each tag again first
    Apply(commands::apply::Args),
    /// List, describe and verify provider plugins
    #[command(
        subcommand,
        after_help = "Examples:
  berth plugins ls
  berth plugins info github
  berth --plugin-dir ./plugins plugins verify"
    )]
    Plugins(PluginsCommand),
    /// Print a shell completion script
    Completions(commands::completions::Args),
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
pub enum ReposCommand {
    /// Every repository of a registry, or under a path prefix of it
    Ls(commands::repos_ls::Args),
}

#[derive(Subcommand)]
pub enum PluginsCommand {
    /// Every plugin found: built-in and drop-in
    #[command(after_help = "Examples:
  berth plugins ls
  berth --plugin-dir ./plugins plugins ls -o json")]
    Ls,
    /// One plugin: capabilities, options and granted hosts
    Info(commands::plugins::InfoArgs),
    /// Check every plugin against the sha256 pins of its plugin-registry.toml
    #[command(after_help = "Examples:
  berth plugins verify
  berth --plugin-dir /opt/berth/plugins plugins verify")]
    Verify,
    /// Write a ready provider crate (with the SDK and WIT) to start a plugin from
    New(commands::plugins_new::NewArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return clap_error(e),
    };
    crate::log::set_verbosity(cli.settings.verbose, cli.settings.quiet);
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
    match cli.command {
        // Writing a plugin crate needs neither a client nor a plugin.
        Command::Plugins(PluginsCommand::New(args)) => commands::plugins_new::new(args),
        Command::Completions(args) => commands::completions::run(args, Cli::command()),
        // The operator's cap on writes is part of the shared HTTP client.
        Command::Apply(args) => {
            let ctx = Context::with_write_rate(cli.settings, args.rate)?;
            commands::apply::run(&ctx, args).await
        }
        command => dispatch(&Context::new(cli.settings)?, command).await,
    }
}

async fn dispatch(ctx: &Context, command: Command) -> Result<u8, Error> {
    match command {
        Command::Detect(args) => commands::detect::run(ctx, args).await,
        Command::Doctor(args) => commands::doctor::run(ctx, args).await,
        Command::Login(args) => commands::login::login(ctx, args).await,
        Command::Logout(args) => commands::login::logout(ctx, args).await,
        Command::Tags(TagsCommand::Ls(args)) => commands::tags_ls::run(ctx, args).await,
        Command::Tags(TagsCommand::Rm(args)) => commands::tags_rm::run(ctx, args).await,
        Command::Manifest(ManifestCommand::Get(args)) => commands::manifest::get(ctx, args).await,
        Command::Manifest(ManifestCommand::Put(args)) => commands::manifest::put(ctx, args).await,
        Command::Cleanup(args) => commands::cleanup::run(ctx, args).await,
        Command::Plan(args) => commands::plan::run(ctx, args).await,
        Command::Repos(ReposCommand::Ls(args)) => commands::repos_ls::run(ctx, args).await,
        Command::Apply(args) => commands::apply::run(ctx, args).await,
        Command::Plugins(PluginsCommand::Ls) => commands::plugins::ls(ctx).await,
        Command::Plugins(PluginsCommand::Info(args)) => commands::plugins::info(ctx, args).await,
        Command::Plugins(PluginsCommand::Verify) => commands::plugins::verify(ctx).await,
        Command::Plugins(PluginsCommand::New(args)) => commands::plugins_new::new(args),
        Command::Completions(args) => commands::completions::run(args, Cli::command()),
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

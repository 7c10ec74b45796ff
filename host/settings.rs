//! The options every command shares (`--provider`, `--concurrency`, ...),
//! from the command line or the environment.

use crate::output::Format;
use clap::Args;
use clap::builder::BoolishValueParser;
use std::path::PathBuf;
use std::time::Duration;

/// Shown under a heading of their own in every command's help.
#[derive(Args, Clone)]
#[command(next_help_heading = "Global options")]
pub struct Settings {
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

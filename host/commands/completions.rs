//! `berth completions bash|zsh|fish|powershell|elvish`: the completion
//! script, on stdout.

use crate::error::Result;
use std::io::Write;

#[derive(clap::Args)]
#[command(
    after_help = "Commands, options and the built-in provider names complete; drop-in \
plugins are found only at run time, so their names do not.

Examples:
  berth completions bash > ~/.local/share/bash-completion/completions/berth
  berth completions zsh > \"${fpath[1]}/_berth\"
  berth completions fish > ~/.config/fish/completions/berth.fish
  berth completions powershell >> $PROFILE"
)]
pub struct Args {
    /// The shell to complete for
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

pub fn run(args: Args, command: clap::Command) -> Result<u8> {
    let script = crate::completion::script(args.shell, command);
    // A closed pipe is not worth an error.
    let _ = std::io::stdout().lock().write_all(&script);
    Ok(0)
}

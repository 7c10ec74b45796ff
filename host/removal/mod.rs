//! Removing named tags and nothing else: plan which removals may delete a
//! manifest by digest, run them concurrently with progress and Ctrl-C
//! handling, and report per tag.

mod plan;
mod report;
mod run;

pub use plan::{Plan, plan};
pub use report::{Failed, Kept, Report};
pub use run::execute;

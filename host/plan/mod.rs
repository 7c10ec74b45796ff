//! Planning a whole registry: the plan document `plan` writes and `apply`
//! executes, and the run that decides every repository and spools the
//! plan as repositories finish.

pub mod document;
pub mod run;
mod spool;

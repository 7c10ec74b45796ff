//! `WWW-Authenticate` challenges (RFC 7235), read by the parser the plugins
//! share.

pub use berth_parse::challenge::{Challenge, parse};

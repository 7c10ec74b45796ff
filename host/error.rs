//! The one error type commands return: a message, hints, and whether it was
//! the user's input (exit 2) or an operation that failed (exit 1).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// An operation failed: exit 1.
    Failed,
    /// Bad usage or bad input: exit 2.
    Usage,
}

#[derive(Debug, Clone)]
pub struct Error {
    pub status: Status,
    pub message: String,
    pub hints: Vec<String>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn failed(message: impl Into<String>) -> Self {
        Error {
            status: Status::Failed,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Error {
            status: Status::Usage,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    pub fn exit_code(&self) -> u8 {
        match self.status {
            Status::Failed => 1,
            Status::Usage => 2,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<crate::reference::ReferenceError> for Error {
    fn from(e: crate::reference::ReferenceError) -> Self {
        Error::usage(e.to_string())
    }
}

impl From<berth_parse::catalog::CatalogError> for Error {
    fn from(e: berth_parse::catalog::CatalogError) -> Self {
        Error::usage(e.message)
    }
}

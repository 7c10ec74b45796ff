//! The writes berth refused a plugin in a dry run, as a report shows them.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Refused {
    /// Every refused attempt.
    pub count: usize,
    /// The first distinct ones: `PUT http://…`, `removal of tag v1`.
    pub first: Vec<String>,
}

impl Refused {
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

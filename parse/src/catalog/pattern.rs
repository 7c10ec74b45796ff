//! A regular expression from the catalog, compiled on first use and then
//! kept: compiling costs far more than matching, and most commands consult
//! only a few of the catalog's patterns, or none.

use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use std::sync::OnceLock;

#[derive(Debug, Clone, Deserialize)]
#[serde(from = "String")]
pub struct Pattern {
    text: String,
    regex: OnceLock<Option<regex::Regex>>,
}

impl Pattern {
    /// Compiles the pattern now, for catalogs checked as they are read.
    pub fn check(&self) -> Result<(), String> {
        regex::Regex::new(&self.text)
            .map(|re| {
                let _ = self.regex.set(Some(re));
            })
            .map_err(|e| format!("invalid pattern {:?}: {e}", self.text))
    }

    /// An invalid pattern matches nothing.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex
            .get_or_init(|| regex::Regex::new(&self.text).ok())
            .as_ref()
            .is_some_and(|re| re.is_match(text))
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl From<String> for Pattern {
    fn from(text: String) -> Self {
        Pattern {
            text,
            regex: OnceLock::new(),
        }
    }
}

impl Serialize for Pattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

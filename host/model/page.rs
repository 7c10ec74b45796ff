//! One page of a listing that the host drives: tags, manifests, repositories.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque cursor for the next page; `None` on the last page.
    pub next: Option<String>,
}

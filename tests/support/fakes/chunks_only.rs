//! A registry that takes blob uploads only in chunks, as the distribution
//! spec lets one: a streamed `PATCH` (no `Content-Range`) is refused with
//! 416, and each upload session says the least a chunk must hold with
//! `OCI-Chunk-Min-Length`. Chunks go on to a real distribution, which
//! checks their ranges and order itself.

use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::Response;

use super::super::Registry;
use super::super::seen::Seen;
use super::front::{self, Front, Incoming};

pub struct ChunksOnly {
    front: Front,
}

impl ChunksOnly {
    /// In front of `registry`, asking chunks of at least `min_chunk` bytes.
    pub fn start(registry: &Registry, min_chunk: u64) -> ChunksOnly {
        let front = Front::start(
            registry,
            None,
            move |shared, request: Incoming| async move {
                let upload = request.path.contains("/blobs/uploads/");
                if !upload {
                    return Err(request);
                }
                if request.method == Method::PATCH && request.header("content-range").is_none() {
                    return Ok(front::json_response(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        &serde_json::json!({"errors": [{
                            "code": "BLOB_UPLOAD_INVALID",
                            "message": "uploads are taken in chunks with Content-Range",
                        }]}),
                    ));
                }
                let starts = request.method == Method::POST;
                let mut response: Response = front::forward(&shared, request).await;
                if starts {
                    response
                        .headers_mut()
                        .insert("oci-chunk-min-length", HeaderValue::from(min_chunk));
                }
                Ok(response)
            },
        );
        ChunksOnly { front }
    }

    pub fn addr(&self) -> String {
        self.front.addr()
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.front.requests()
    }
}

//! Strict fakes of vendor APIs that cannot run here, each in front of a real
//! distribution registry.

pub mod acr;
pub mod branded;
pub mod challenge;
pub mod chunks_only;
pub mod dockerhub;
pub mod ecr;
pub mod front;
pub mod gcr;
pub mod github;
pub mod gitlab;
pub mod harbor;
pub mod nexus;
pub mod quay;
mod serve;
pub mod upstream;

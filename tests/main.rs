//! Integration tests: the `berth` binary against real registries (CNCF
//! distribution from `docker-registry`, a token server of ours) and strict
//! fakes, through a fault-injecting proxy where a test needs one.

mod support;

mod harness;
mod help;

mod acr;
mod apply;
mod artifactory;
mod auth;
mod authoring;
mod cleanup;
mod cli;
mod completions;
mod copy;
mod credentials;
mod deploy;
mod detect;
mod dockerhub;
mod doctor;
mod ecr;
mod gcr;
mod github;
mod gitlab;
mod harbor;
mod hostile;
mod images;
mod layout;
mod login;
mod manifest;
mod nexus;
mod plan;
mod plan_html;
mod plugins;
mod progress;
mod push_pull;
mod python_plugin;
mod quay;
mod rate_limit;
mod repos_ls;
mod tags_ls;
mod tags_rm;
mod tls;
mod untag_race;
mod versions;
mod yandex;

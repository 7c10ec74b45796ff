//! `berth push REPO:TAG FILE...`: files as an OCI artifact (a bundle).

use crate::context::Context;
use crate::error::{Error, Result};
use crate::model::Referrer;
use crate::output::{self, Format};
use crate::reference::{Reference, is_valid_digest, parse_manifest};
use crate::target::Target;
use crate::transfer::artifact::{self, Layer};
use crate::transfer::{DESTINATION_NEEDS, Endpoint, Entry, Progress, Source, referrers, upload};
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(after_help = "Examples:
  berth push localhost:5000/charts/app:1.2.3 \\
    app-1.2.3.tgz:application/vnd.cncf.helm.chart.content.v1.tar+gzip \\
    --config chart.json:application/vnd.cncf.helm.config.v1+json
  berth push localhost:5000/app:sbom sbom.spdx.json:application/spdx+json \\
    --artifact-type application/spdx+json --subject sha256:<hex>")]
pub struct Args {
    /// REPO:TAG or oci:DIR:TAG
    #[arg(value_name = "REFERENCE")]
    pub reference: String,
    /// Files, each FILE or FILE:MEDIATYPE (default application/vnd.oci.image.layer.v1.tar)
    #[arg(value_name = "FILE[:MEDIATYPE]", required = true)]
    pub files: Vec<String>,
    /// The manifest's artifactType
    #[arg(long, value_name = "TYPE", default_value = artifact::DEFAULT_ARTIFACT_TYPE)]
    pub artifact_type: String,
    /// A config blob instead of the empty one
    #[arg(long, value_name = "FILE[:MEDIATYPE]")]
    pub config: Option<String>,
    /// A manifest annotation (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub annotation: Vec<String>,
    /// Attach the artifact to this manifest of the repository (a referrer)
    #[arg(long, value_name = "DIGEST")]
    pub subject: Option<String>,
}

/// A local file to send, described.
struct File {
    path: PathBuf,
    entry: Entry,
}

pub async fn run(ctx: &Context, args: Args) -> Result<u8> {
    let parsed = parse_manifest(&args.reference)?;
    let Reference::Tag(tag) = &parsed.reference else {
        return Err(Error::usage(format!(
            "{}: push names a tag, not a digest",
            args.reference
        )));
    };
    // Every input is read before any request.
    let mut layers = Vec::new();
    for given in &args.files {
        let (path, media_type) = split(given, artifact::DEFAULT_LAYER_TYPE);
        layers.push(describe(&path, media_type).await?);
    }
    let config = match &args.config {
        Some(given) => {
            let (path, media_type) = split(given, "application/vnd.oci.image.config.v1+json");
            Some(describe(&path, media_type).await?)
        }
        None => None,
    };
    let annotations = args
        .annotation
        .iter()
        .map(|a| {
            a.split_once('=')
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| Error::usage(format!("--annotation {a:?} is not KEY=VALUE")))
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(subject) = &args.subject
        && !is_valid_digest(subject)
    {
        return Err(Error::usage(format!(
            "--subject {subject:?} is not a digest"
        )));
    }

    let target = Target::new(&parsed.address, ctx.settings.plain_http);
    let provider = ctx.provider(&target, &DESTINATION_NEEDS, false).await?;
    if let Target::Layout { dir } = &target {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::failed(format!("cannot create {}: {e}", dir.display())))?;
    }
    let shown = target.canonical();
    let failed = |reference: &str| {
        let subject = format!("{shown}:{reference}");
        let registry = target.registry().to_string();
        move |f: crate::provider::Failure| f.into_error(&subject, &registry)
    };
    let to = Endpoint::connect(provider, shown.clone(), target.registry().to_string())
        .await
        .map_err(failed(tag))?;
    let subject = match &args.subject {
        Some(digest) => Some(to.provider.resolve(digest).await.map_err(failed(digest))?),
        None => None,
    };

    let progress = Progress::new(ctx.settings.quiet);
    let empty = empty_config();
    let (config_source, config_entry) = match &config {
        Some(file) => (Source::File(&file.path), &file.entry),
        None => (Source::Bytes(artifact::EMPTY), &empty),
    };
    upload(config_source, &to, config_entry, &progress)
        .await
        .map_err(failed(&config_entry.digest))?;
    for layer in &layers {
        upload(Source::File(&layer.path), &to, &layer.entry, &progress)
            .await
            .map_err(failed(&layer.entry.digest))?;
    }
    progress.finish();

    let titled: Vec<Layer> = layers
        .iter()
        .map(|l| Layer {
            media_type: l.entry.media_type.clone(),
            digest: l.entry.digest.clone(),
            size: l.entry.size,
            title: base_name(&l.path),
        })
        .collect();
    let manifest = artifact::manifest(
        &args.artifact_type,
        (
            &config_entry.media_type,
            &config_entry.digest,
            config_entry.size,
        ),
        &titled,
        subject.as_ref(),
        &annotations,
    );
    let digest = to
        .provider
        .push_manifest(tag, artifact::IMAGE_MANIFEST, &manifest)
        .await
        .map_err(failed(tag))?;
    if let Some(subject) = &subject {
        let referrer = Referrer {
            digest: digest.clone(),
            media_type: artifact::IMAGE_MANIFEST.to_string(),
            artifact_type: Some(args.artifact_type.clone()),
            size: manifest.len() as u64,
            annotations,
        };
        referrers::index(&to, &subject.digest, &[referrer])
            .await
            .map_err(failed(&subject.digest))?;
    }
    match ctx.settings.output {
        Format::Text => output::lines([&digest]),
        Format::Json => output::json(&serde_json::json!({ "digest": digest, "tag": tag })),
    }
    Ok(0)
}

/// `FILE[:MEDIATYPE]`: a path that exists as given is a file name whole.
fn split<'a>(given: &'a str, default: &'a str) -> (PathBuf, &'a str) {
    if !Path::new(given).exists()
        && let Some((path, media_type)) = given.split_once(':')
        && media_type.contains('/')
    {
        return (PathBuf::from(path), media_type);
    }
    (PathBuf::from(given), default)
}

async fn describe(path: &Path, media_type: &str) -> Result<File> {
    if !path.is_file() {
        return Err(Error::usage(format!(
            "cannot read {}: no such file",
            path.display()
        )));
    }
    let (digest, size) = crate::transfer::file_digest(path)
        .await
        .map_err(|e| Error::usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(File {
        path: path.to_path_buf(),
        entry: entry(media_type, digest, size),
    })
}

fn empty_config() -> Entry {
    entry(
        artifact::EMPTY_TYPE,
        crate::digest::sha256(artifact::EMPTY),
        artifact::EMPTY.len() as u64,
    )
}

fn entry(media_type: &str, digest: String, size: u64) -> Entry {
    Entry {
        media_type: media_type.to_string(),
        digest,
        size,
        platform: None,
        urls: Vec::new(),
        annotations: Default::default(),
    }
}

fn base_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

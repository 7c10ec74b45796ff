#!/usr/bin/env bash
# Creates a small OCI image layout to try berth on without a registry:
#
#   examples/make-layout.sh [DIR]          (default: examples/layout)
#   berth tags ls oci:examples/layout
#
# The layout is rebuilt from scratch on every run and its bytes are always
# the same: dates are fixed (relative to 2026-01-01) and layers are plain tar
# with fixed metadata, since gzip output differs between zlib builds.
#
#   tag           created (index annotation)   notes
#   v1.0.0        2025-06-01                   older than 30 days
#   v1.1.0        2025-09-15                   older than 30 days
#   v1.2.0        2025-11-20                   older than 30 days
#   v1.3.0        2025-12-20                   same manifest as latest
#   latest        2025-12-20                   same manifest as v1.3.0
#   multi         2025-12-28                   image index of the two below
#   multi-amd64   2025-11-01                   child of multi
#   multi-arm64   2025-11-01                   child of multi
#   dev           (none; config says 2025-08-01)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/layout}

# Only ever replace a previous layout or an empty directory.
if [ -e "$dir" ]; then
    if [ -d "$dir" ] && { [ -f "$dir/oci-layout" ] || [ -z "$(ls -A "$dir")" ]; }; then
        rm -rf "$dir"
    else
        echo "make-layout.sh: $dir exists and is not an OCI image layout; not touching it" >&2
        exit 1
    fi
fi
mkdir -p "$dir/blobs/sha256"

python3 - "$dir" <<'PY'
import hashlib
import io
import json
import sys
import tarfile

root = sys.argv[1]
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
CREATED = "org.opencontainers.image.created"
REF_NAME = "org.opencontainers.image.ref.name"


def dump(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def blob(data, media_type, **extra):
    """Stores bytes as a blob; returns their descriptor."""
    digest = hashlib.sha256(data).hexdigest()
    with open(f"{root}/blobs/sha256/{digest}", "wb") as f:
        f.write(data)
    return {"mediaType": media_type, "digest": f"sha256:{digest}", "size": len(data), **extra}


def layer(text):
    """A one-file tar with fixed metadata."""
    data = text.encode()
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo("hello.txt")
        info.size = len(data)
        info.mtime = 1767225600  # 2026-01-01T00:00:00Z
        info.mode = 0o644
        info.uname = info.gname = "root"
        tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def image(name, created, arch="amd64", variant=None):
    """An image manifest: one layer and a config dated `created`."""
    tar = blob(layer(f"hello from {name}\n"), OCI_LAYER)
    platform = {"architecture": arch, "os": "linux"}
    if variant:
        platform["variant"] = variant
    config = blob(
        dump(
            {
                "created": created,
                **platform,
                "config": {"Cmd": ["/bin/cat", "/hello.txt"]},
                "rootfs": {"type": "layers", "diff_ids": [tar["digest"]]},
                "history": [{"created": created, "created_by": "make-layout.sh"}],
            }
        ),
        OCI_CONFIG,
    )
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config,
        "layers": [tar],
        "annotations": {CREATED: created},
    }
    return blob(dump(manifest), OCI_MANIFEST), platform


def entry(descriptor, tag, created):
    annotations = {CREATED: created} if created else {}
    annotations[REF_NAME] = tag
    return {**descriptor, "annotations": annotations}


entries = []
for tag, created in [
    ("v1.0.0", "2025-06-01T09:00:00Z"),
    ("v1.1.0", "2025-09-15T12:30:00Z"),
    ("v1.2.0", "2025-11-20T08:00:00Z"),
]:
    entries.append(entry(image(tag, created)[0], tag, created))

current, _ = image("v1.3.0", "2025-12-20T16:45:00Z")
entries.append(entry(current, "v1.3.0", "2025-12-20T16:45:00Z"))
entries.append(entry(current, "latest", "2025-12-20T16:45:00Z"))

children = []
for arch, variant in [("amd64", None), ("arm64", "v8")]:
    child, platform = image(f"multi-{arch}", "2025-11-01T07:00:00Z", arch, variant)
    children.append({**child, "platform": platform})
    entries.append(entry(child, f"multi-{arch}", "2025-11-01T07:00:00Z"))
multi = blob(
    dump(
        {
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": children,
            "annotations": {CREATED: "2025-12-28T10:00:00Z"},
        }
    ),
    OCI_INDEX,
)
entries.append(entry(multi, "multi", "2025-12-28T10:00:00Z"))

entries.append(entry(image("dev", "2025-08-01T18:00:00Z")[0], "dev", None))

with open(f"{root}/oci-layout", "wb") as f:
    f.write(dump({"imageLayoutVersion": "1.0.0"}))
with open(f"{root}/index.json", "wb") as f:
    f.write(dump({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}))
PY

# Every blob must be stored under its own digest.
(cd "$dir/blobs/sha256" && sha256sum -- * | awk '$1 != $2 { print "bad blob " $2; bad = 1 } END { exit bad }')
echo "OCI image layout with $(ls "$dir/blobs/sha256" | wc -l | tr -d ' ') blobs written to $dir"

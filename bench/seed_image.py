#!/usr/bin/env python3
"""Pushes a two-platform image index: three layers per platform, the first
shared, each LAYER_MIB MiB of random bytes (5 distinct layers in all).

usage: seed_image.py REGISTRY_URL REPO TAG LAYER_MIB
"""
import hashlib
import json
import os
import sys
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from seed import call, push_blob  # noqa: E402

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEX = "application/vnd.oci.image.index.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def put_manifest(netloc, repo, reference, media_type, body):
    status, _, answer = call(netloc, "PUT", f"/v2/{repo}/manifests/{reference}", body, {"Content-Type": media_type})
    assert status == 201, (status, answer)
    return "sha256:" + hashlib.sha256(body).hexdigest()


def main():
    url, repo, tag, mib = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    netloc = urllib.parse.urlsplit(url).netloc
    size = mib << 20

    def layer():
        data = os.urandom(size)
        return {"mediaType": LAYER, "digest": push_blob(netloc, repo, data), "size": size}

    shared = layer()
    children = []
    for arch in ["amd64", "arm64"]:
        config = json.dumps({"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": push_blob(netloc, repo, config), "size": len(config)},
            "layers": [shared, layer(), layer()],
        }).encode()
        digest = put_manifest(netloc, repo, "sha256:" + hashlib.sha256(manifest).hexdigest(), MANIFEST, manifest)
        children.append({"mediaType": MANIFEST, "digest": digest, "size": len(manifest),
                         "platform": {"os": "linux", "architecture": arch}})
    index = json.dumps({"schemaVersion": 2, "mediaType": INDEX, "manifests": children}).encode()
    print(put_manifest(netloc, repo, tag, INDEX, index))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Writes repositories straight into a distribution registry's filesystem
storage: thousands of repositories in seconds, where pushing takes minutes.
Every tag has a manifest of its own; all share one config and one layer.

usage: seed_storage.py ROOTDIRECTORY REPOS TAGS [--prefix P]
Repositories are P/repo-0000 ... (P defaults to "fleet"); tags are
pr-000 ... and v000 ..., half each.
"""
import argparse
import hashlib
import json
import os


def blob(root, data):
    hexd = hashlib.sha256(data).hexdigest()
    path = os.path.join(root, "docker/registry/v2/blobs/sha256", hexd[:2], hexd, "data")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
    return hexd


def link(path, hexd):
    os.makedirs(path, exist_ok=True)
    with open(os.path.join(path, "link"), "w") as f:
        f.write("sha256:" + hexd)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("root")
    p.add_argument("repos", type=int)
    p.add_argument("tags", type=int)
    p.add_argument("--prefix", default="fleet")
    a = p.parse_args()
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
    layer = b"berth bench layer"
    config_hex, layer_hex = blob(a.root, config), blob(a.root, layer)
    tags = [f"pr-{i:03}" for i in range(a.tags // 2)] + [f"v{i:03}" for i in range(a.tags - a.tags // 2)]
    repos = os.path.join(a.root, "docker/registry/v2/repositories")
    for r in range(a.repos):
        name = f"{a.prefix}/repo-{r:04}"
        base = os.path.join(repos, name)
        for hexd in (config_hex, layer_hex):
            link(os.path.join(base, "_layers/sha256", hexd), hexd)
        os.makedirs(os.path.join(base, "_uploads"), exist_ok=True)
        for tag in tags:
            manifest = json.dumps({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + config_hex, "size": len(config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + layer_hex, "size": len(layer)}],
                "annotations": {"org.berth.bench": f"{name}:{tag}"},
            }).encode()
            m = blob(a.root, manifest)
            link(os.path.join(base, "_manifests/revisions/sha256", m), m)
            link(os.path.join(base, "_manifests/tags", tag, "current"), m)
            link(os.path.join(base, "_manifests/tags", tag, "index/sha256", m), m)


main()

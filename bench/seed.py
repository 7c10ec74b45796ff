#!/usr/bin/env python3
"""Seeds a registry with N tags of distinct tiny images, in parallel.

usage: seed.py REGISTRY_URL REPO COUNT [--prefix P] [--digests FILE] [--signed]
Writes "tag digest" lines to FILE when --digests is given. With --signed,
each image also gets a cosign-style signature tag `sha256-<hex>.sig`.
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import threading
import urllib.parse

local = threading.local()


def conn(netloc):
    c = getattr(local, "c", None)
    if c is None:
        c = local.c = http.client.HTTPConnection(netloc, timeout=30)
    return c


def call(netloc, method, path, body=b"", headers=None):
    for attempt in range(3):
        try:
            c = conn(netloc)
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            data = r.read()
            return r.status, dict(r.getheaders()), data
        except (ConnectionError, http.client.HTTPException):
            local.c = None
            if attempt == 2:
                raise


def push_blob(netloc, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    status, headers, _ = call(netloc, "POST", f"/v2/{repo}/blobs/uploads/")
    assert status == 202, status
    location = urllib.parse.urlsplit(headers["Location"])
    sep = "&" if location.query else "?"
    path = f"{location.path}?{location.query}{sep}digest={digest}" if location.query else f"{location.path}?digest={digest}"
    status, _, body = call(netloc, "PUT", path, data, {"Content-Type": "application/octet-stream"})
    assert status == 201, (status, body)
    return digest


def main():
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("repo")
    p.add_argument("count", type=int)
    p.add_argument("--prefix", default="t")
    p.add_argument("--digests")
    p.add_argument("--signed", action="store_true")
    a = p.parse_args()
    netloc = urllib.parse.urlsplit(a.url).netloc
    config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z"}).encode()
    config_digest = push_blob(netloc, a.repo, config)

    def push(i):
        tag = f"{a.prefix}{i:06d}"
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
            "layers": [],
            "annotations": {"bench.tag": tag},
        }, separators=(",", ":")).encode()
        status, _, body = call(netloc, "PUT", f"/v2/{a.repo}/manifests/{tag}", manifest,
                               {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        assert status == 201, (status, body)
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        if a.signed:
            signature = json.dumps({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": len(config)},
                "layers": [],
                "annotations": {"dev.cosignproject.cosign/signature": "MEUCIQ" + digest[7:23]},
            }, separators=(",", ":")).encode()
            sig_tag = digest.replace(":", "-") + ".sig"
            status, _, body = call(netloc, "PUT", f"/v2/{a.repo}/manifests/{sig_tag}", signature,
                                   {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
            assert status == 201, (status, body)
        return tag, digest

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        pushed = list(pool.map(push, range(a.count)))
    if a.digests:
        with open(a.digests, "w") as f:
            for tag, digest in pushed:
                f.write(f"{tag} {digest}\n")


if __name__ == "__main__":
    main()

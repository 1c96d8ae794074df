#!/usr/bin/env bash
# Where registries such as Docker Hub are out of reach: a Debian base image made locally with
# debootstrap, trusting this machine's CA bundle (downloads may pass a TLS proxy).
#   sudo docker/make-base-image.sh            -> image stylize-base:bookworm
set -euo pipefail
rootfs=$(mktemp -d)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    bookworm "$rootfs" http://deb.debian.org/debian
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
tar -C "$rootfs" -c . | docker import - stylize-base:bookworm

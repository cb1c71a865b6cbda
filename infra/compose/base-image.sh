#!/usr/bin/env bash
# Builds the offline base image (Debian 12 minbase from the configured apt source, imported into Docker) unless it
# exists: what the service, RabbitMQ and PostgreSQL images build on where the public registries are out of reach.
# It holds what a self-contained .NET app needs (ICU, OpenSSL, CA certificates, GSSAPI for Npgsql) and the non-root user app (uid 1654,
# the same uid as in Microsoft's .NET images, so the Dockerfiles name one user for both bases).
# usage: base-image.sh [image name]   (default deepimagine/debian:bookworm)
set -euo pipefail
image="${1:-deepimagine/debian:bookworm}"
# The image carries the checksum of this script, so changing the recipe rebuilds it.
recipe="$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"
if [ "$(docker image inspect -f '{{index .Config.Labels "deepimagine.base.recipe"}}' "$image" 2>/dev/null)" = "$recipe" ]; then
  echo "images: base $image present"; exit 0
fi
command -v debootstrap >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
# The mirror apt already uses here (deb822 or one-line sources), so nothing else is downloaded from.
mirror="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null | grep -E '^(URIs:|deb )' | grep -oE 'https?://[^ ]+' | grep -v security | head -1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"
rootfs="$(mktemp -d /var/tmp/deepimagine-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=ca-certificates,libicu72,libssl3,zlib1g,libgssapi-krb5-2 bookworm "$rootfs" "$mirror" >/dev/null
chroot "$rootfs" useradd --uid 1654 --user-group --create-home --shell /usr/sbin/nologin app
# Apt caches and lists are left out of the image; the RabbitMQ and PostgreSQL images run apt-get update themselves.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/*
tar -C "$rootfs" -c . | docker import --change 'CMD ["/bin/bash"]' --change "LABEL deepimagine.base.recipe=$recipe" -m "debootstrap minbase bookworm from $mirror" - "$image" >/dev/null
echo "images: base $image built ($(docker image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}'))"

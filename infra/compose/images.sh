#!/usr/bin/env bash
# `make images`: every image, offline. The base is the Debian minbase built here from the apt source (or DEEPIMAGINE_BASE,
# e.g. mcr.microsoft.com/dotnet/runtime-deps:10.0 where Microsoft's registry is reachable); each service in
# infra/services.tsv is published self-contained (its .NET runtime comes from NuGet) once and copied into a runtime-only
# image; RabbitMQ and PostgreSQL come from Debian packages. Images are tagged deepimagine/<name>:$DEEPIMAGINE_TAG (local)
# and labelled with the git commit.
# usage: images.sh [name ...]   (default: everything; names: rabbitmq postgres and the listed services)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$root"
mkdir -p .run
ensure_docker
base="${DEEPIMAGINE_BASE:-deepimagine/debian:bookworm}"
[ "$base" = "deepimagine/debian:bookworm" ] && infra/compose/base-image.sh "$base"
tag="${DEEPIMAGINE_TAG:-local}"
commit="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo -dirty)"
wanted=("$@")
want() { [ ${#wanted[@]} -eq 0 ] || printf '%s\n' "${wanted[@]}" | grep -qx "$1"; }

build() { # name dockerfile
  local previous
  previous="$(docker image inspect -f '{{.Id}}' "deepimagine/$1:$tag" 2>/dev/null || true)"
  # Host networking for the build too: apt-get inside reaches the apt source as the host does (no container bridge).
  docker build -q --network host --build-arg BASE="$base" --build-arg GIT_COMMIT="$commit" \
    -f "$2" -t "deepimagine/$1:$tag" . >/dev/null 2>"$root/.run/docker-build.log" \
    || { cat "$root/.run/docker-build.log" >&2; echo "images: building deepimagine/$1 failed" >&2; exit 1; }
  # The image this one replaced would stay behind untagged (rebuilds fill the disk); one a container still runs on stays.
  [ -n "$previous" ] && [ "$previous" != "$(docker image inspect -f '{{.Id}}' "deepimagine/$1:$tag")" ] && { docker rmi "$previous" >/dev/null 2>&1 || true; }
  echo "images: deepimagine/$1:$tag ($(docker image inspect -f '{{.Size}}' "deepimagine/$1:$tag" | awk '{printf "%.0f MB", $1/1e6}'), commit $commit)"
}

for infra in rabbitmq postgres; do want "$infra" && build "$infra" "infra/compose/$infra/Dockerfile"; done
while IFS='|' read -r name dir _; do
  want "$name" || continue
  out=".run/publish/$name"
  rm -rf "$out"
  dotnet publish "$dir/$(basename "$dir").csproj" -c Release -r linux-x64 --self-contained -o "$out" \
    -p:DebugType=none -p:GenerateDocumentationFile=false -nologo -v quiet >/dev/null
  build "$name" "services/$name/Dockerfile"
done < <(listed_services)

#!/usr/bin/env bash
# Checks that the image archives are reproducible: builds both images again from the same operator jar (the Quarkus
# build is skipped, so operator/target's runner jar is reused) and the same base, with empty Jib caches so that every
# layer is tarred and compressed anew, and compares the digests with images/target/*.digest.
# Run after a build with -Dimages.base=...; prints one line per image and fails on the first difference.
#
#   scripts/images-reproducible.sh tar://$HOME/.isthmus/images/jre-base-bookworm.tar
#   MVN_FLAGS=-o scripts/images-reproducible.sh ...   # offline
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BASE="${1:?usage: scripts/images-reproducible.sh <images.base>}"
for image in operator controlplane; do
  [[ -s "images/target/isthmus-$image.digest" ]] || { echo "[images] images/target/isthmus-$image.digest is missing: build the images first" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
./mvnw -B -q ${MVN_FLAGS:-} -pl images -am package -DskipTests -Dquarkus.build.skip=true -Dimages.base="$BASE" -Dimages.out="$work" \
  -Djib.applicationCache="$work/app-cache" -Djib.baseImageCache="$work/base-cache" >&2
for image in operator controlplane; do
  first=$(cat "images/target/isthmus-$image.digest")
  again=$(cat "$work/isthmus-$image.digest")
  if [[ "$again" != "$first" ]]; then
    echo "[images] isthmus-$image is not reproducible: $first, then $again" >&2
    exit 1
  fi
  echo "[images] isthmus-$image: $again again, from empty caches"
done
echo "[images] rebuilt in $(( $(date +%s) - start ))s"

#!/usr/bin/env bash
# Assembles the docker build context of the Vector stand-in image into the folder given as $1:
#   $1/Dockerfile
#   $1/app/main.js                       entry point (ENTRYPOINT node /opt/vector-standin/main.js)
#   $1/app/test/standins/vector/src/*.js  the stand-in, compiled by tsc with ./tsconfig.json
#   $1/app/components/constants.js       the lab's shared constants the stand-in imports
#   $1/app/node_modules/yaml             its only dependency, copied from the repo's node_modules
# Then: docker build --build-arg BASE_IMAGE=<bookworm+nodejs image> -t vector-ha-lab/vector-standin:0.57.0 "$1"
set -euo pipefail

die() { echo "build-context.sh: $*" >&2; exit 1; }
[ $# -eq 1 ] && [ -n "$1" ] || die "usage: build-context.sh <context dir>"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
context="$1"
out="$repo/.lab/build/vector-standin"
tsc="$repo/node_modules/.bin/tsc"
yaml="$repo/node_modules/yaml"

[ -x "$tsc" ] || die "no $tsc: run npm install in $repo first"
[ -f "$yaml/package.json" ] || die "no $yaml: run npm install in $repo first"

rm -rf "$out"
(cd "$repo" && "$tsc" -p "$here/tsconfig.json") || die "tsc failed for the Vector stand-in (errors above)"

mkdir -p "$context"
# Only what this script puts there is replaced; anything else in the folder is left alone.
rm -rf "$context/app" "$context/Dockerfile"
mkdir -p "$context/app/node_modules"
cp -R "$out/." "$context/app/"
cp -R "$yaml" "$context/app/node_modules/yaml"
cat >"$context/app/main.js" <<'JS'
// Entry point of the Vector stand-in image: the compiled stand-in keeps the repo's layout beneath.
require("./test/standins/vector/src/main.js");
JS
cp "$here/Dockerfile" "$context/Dockerfile"
echo "build-context.sh: Vector stand-in build context ready in $context"

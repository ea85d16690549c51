#!/usr/bin/env bash
# Builds the images the lab runs on a machine without a registry (docs/modes.md), all from
# scratch in the local Docker engine:
#   vector-ha-lab/debian-base:bookworm      debootstrap (minbase) + docker import: haproxy, nodejs, bash
#   vector-ha-lab/haproxy:2.6-debian        scripts/images/haproxy: Debian's HAProxy run like the official image
#   vector-ha-lab/vector-standin:0.57.0     test/standins/vector: the named stand-in for Vector
#   with --vector-binary PATH --vector-image NAME (air-gapped mode, scripts/prepare-machine.sh):
#   NAME                                    scripts/images/vector: that real Vector at the official image's paths
# Idempotent: every image carries the hash of its inputs in the label `vector-ha-lab.inputs-hash` and
# is rebuilt only when that hash changes (a rebuilt base rebuilds the images on top of it). Prints one
# line per image, "built ... in N s" or "reused ...", then the images and their sizes.
# Every image carries `vector-ha-lab.image=local`: `docker images -f label=vector-ha-lab.image=local`.
#
# Environment: VECTOR_HA_LAB_DEBIAN_MIRROR overrides the Debian mirror (default: the one apt uses).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vector-ha-lab"
logs="$cache/build-images"

base_image="vector-ha-lab/debian-base:bookworm"
haproxy_image="vector-ha-lab/haproxy:2.6-debian"
standin_image="vector-ha-lab/vector-standin:0.57.0"

debian_suite="bookworm"
debian_variant="minbase"
# haproxy and nodejs: the two programs the lab's images run; bash for scripts and `docker exec`.
base_packages="haproxy,nodejs,ca-certificates,bash"

local_label="vector-ha-lab.image=local"
hash_label="vector-ha-lab.inputs-hash"

# The legacy builder: Debian's dockerd 20.10 with no buildx plugin on the client.
export DOCKER_BUILDKIT=0

say() { printf 'build-images: %s\n' "$*"; }
die() {
  printf 'build-images: ERROR: %s\n' "$*" >&2
  exit 1
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

scratch_dirs=()
superseded_images=()
cleanup() {
  local dir
  for dir in "${scratch_dirs[@]}"; do remove_rootfs "$dir"; done
  # Images this run replaced, newest first (a child must go before its parent); kept if still in use.
  local index
  for ((index = ${#superseded_images[@]} - 1; index >= 0; index--)); do
    docker image rm "${superseded_images[index]}" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT
trap 'die "interrupted"' INT TERM

# A debootstrap that failed half-way can leave /proc and /sys mounted inside its target: unmount
# everything below the directory (deepest first) before deleting it, and never cross a filesystem.
remove_rootfs() {
  local dir="$1" mount_point
  [ -d "$dir" ] || return 0
  while read -r mount_point; do
    as_root umount -l "$mount_point" 2>/dev/null || true
  done < <(awk -v dir="$dir" 'index($2, dir "/") == 1 { print $2 }' /proc/mounts | sort -r)
  as_root rm -rf --one-file-system "$dir"
}

# The first `deb` URI that apt uses for the suite, from deb822 .sources files or one-line .list files.
apt_mirror() {
  local sources=() lists=() file
  for file in /etc/apt/sources.list.d/*.sources; do [ -f "$file" ] && sources+=("$file"); done
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do [ -f "$file" ] && lists+=("$file"); done
  {
    if [ "${#sources[@]}" -gt 0 ]; then
      awk -v suite="$debian_suite" '
        function flush() {
          if (types ~ /(^| )deb( |$)/ && suites ~ ("(^| )" suite "( |$)") && uri != "") print uri
          types = ""; suites = ""; uri = ""
        }
        /^[[:space:]]*$/ { flush(); next }
        /^Types:/ { sub(/^Types:[[:space:]]*/, ""); types = $0 }
        /^Suites:/ { sub(/^Suites:[[:space:]]*/, ""); suites = $0 }
        /^URIs:/ { sub(/^URIs:[[:space:]]*/, ""); uri = $1 }
        END { flush() }
      ' "${sources[@]}"
    fi
    if [ "${#lists[@]}" -gt 0 ]; then
      sed -E 's/\[[^]]*\]//' "${lists[@]}" | awk -v suite="$debian_suite" '$1 == "deb" && $3 == suite { print $2 }'
    fi
  } | awk "NR == 1"
}

label_of() { docker image inspect -f "{{ index .Config.Labels \"$2\" }}" "$1" 2>/dev/null || true; }
image_id() { docker image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }

# sha256 over the relative paths and contents of the files below a directory, plus extra strings.
hash_inputs() {
  local dir="$1"
  shift
  {
    (cd "$dir" && find . -type f -not -path '*/node_modules/*' -not -path '*/dist/*' -print0 |
      LC_ALL=C sort -z | xargs -0r sha256sum)
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-16
}

# The files outside $dir that the TypeScript below it imports, directly or through each other (the
# stand-in shares the product's constants, so a change there must rebuild it).
imports_outside() {
  local dir file target
  dir="$(realpath "$1")"
  local -A seen=()
  local queue=()
  mapfile -t queue < <(find "$dir" -name '*.ts' -not -path '*/node_modules/*')
  while [ "${#queue[@]}" -gt 0 ]; do
    file="${queue[0]}"
    queue=("${queue[@]:1}")
    while read -r target; do
      target="$(realpath -m "$(dirname "$file")/$target")"
      for target in "$target.ts" "$target/index.ts"; do
        if [ -f "$target" ] && [ -z "${seen[$target]:-}" ]; then
          seen[$target]=1
          queue+=("$target")
          case "$target" in "$dir"/*) ;; *) printf '%s\n' "$target" ;; esac
        fi
      done
    done < <(grep -hoE "from \"\.{1,2}/[^\"]+\"" "$file" | sed -E 's/^from "(.*)"$/\1/')
  done | LC_ALL=C sort
}

# Reuses $image if its inputs-hash label equals $hash; otherwise calls the builder, times it and
# remembers the image it replaced so that it can be removed at the end.
ensure_image() {
  local image="$1" hash="$2" builder="$3" started previous
  shift 3
  if [ "$(label_of "$image" "$hash_label")" = "$hash" ]; then
    say "reused $image (inputs $hash unchanged)"
    return
  fi
  previous="$(image_id "$image")"
  started=$(date +%s)
  "$builder" "$image" "$hash" "$@"
  say "built $image in $(($(date +%s) - started)) s (inputs $hash)"
  if [ -n "$previous" ] && [ "$previous" != "$(image_id "$image")" ]; then superseded_images+=("$previous"); fi
}

# Runs a command with its output in a log file; on failure shows the log's end and stops.
logged() {
  local what="$1" log="$2"
  shift 2
  if ! "$@" >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    die "$what failed (full log: $log)"
  fi
}

# Trims what a container image never needs from the debootstrapped tree: package lists and caches
# (apt-get update refills them), documentation and message translations (and tells dpkg to skip them
# in later installs too), and the host files Docker provides at run time.
trim_rootfs() {
  local root="$1"
  as_root rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin \
    "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/archives/partial/* \
    "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old "$root"/var/log/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/etc/resolv.conf "$root"/etc/hostname "$root"/dev/*
  printf 'path-exclude=/usr/share/%s/*\n' doc man info locale |
    as_root tee "$root/etc/dpkg/dpkg.cfg.d/vector-ha-lab-no-docs" >/dev/null
}

# The tree as an image, with the labels and the environment a Dockerfile's FROM expects.
import_rootfs() {
  local root="$1" image="$2" hash="$3" mirror="$4"
  as_root tar --numeric-owner -C "$root" -c . |
    docker import \
      --change "LABEL $local_label" --change "LABEL $hash_label=$hash" \
      --change "LABEL vector-ha-lab.packages=$base_packages" \
      --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "ENV LANG=C.UTF-8" --change 'CMD ["bash"]' \
      --message "debootstrap --variant=$debian_variant $debian_suite from $mirror" - "$image"
}

build_base() {
  local image="$1" hash="$2" mirror="$3" root log="$logs/debootstrap.log"
  command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
  root="$(mktemp -d "${TMPDIR:-/tmp}/vector-ha-lab-rootfs.XXXXXX")"
  scratch_dirs+=("$root")
  # Downloaded packages stay in the cache, so a changed recipe rebuilds without downloading again.
  mkdir -p "$cache/debootstrap-debs"
  if ! as_root debootstrap --variant="$debian_variant" --include="$base_packages" \
    --cache-dir="$cache/debootstrap-debs" \
    "$debian_suite" "$root" "$mirror" >"$log" 2>&1; then
    tail -n 25 "$log" >&2
    die "debootstrap could not build Debian $debian_suite from $mirror (full log: $log); is the mirror reachable? (set VECTOR_HA_LAB_DEBIAN_MIRROR to use another)"
  fi
  trim_rootfs "$root"
  logged "docker import of the base" "$logs/import.log" import_rootfs "$root" "$image" "$hash" "$mirror"
  remove_rootfs "$root"
}

# docker build on top of the base, with the inputs hash and the local label.
build_on_base() {
  local image="$1" hash="$2" name="$3" dockerfile="$4" context="$5"
  logged "docker build of $image" "$logs/$name.log" \
    docker build --pull=false --force-rm -t "$image" -f "$dockerfile" \
    --build-arg "BASE_IMAGE=$base_image" --label "$local_label" --label "$hash_label=$hash" "$context"
}

build_haproxy() {
  # Its Dockerfile fails the build if `haproxy -vv` lacks the Prometheus exporter.
  build_on_base "$1" "$2" haproxy "$repo/scripts/images/haproxy/Dockerfile" "$repo/scripts/images/haproxy"
}

build_vector() {
  local context
  context="$(mktemp -d "${TMPDIR:-/tmp}/vector-ha-lab-vector.XXXXXX")"
  scratch_dirs+=("$context")
  cp "$repo/scripts/images/vector/Dockerfile" "$vector_binary" "$context/"
  build_on_base "$1" "$2" vector "$context/Dockerfile" "$context"
}

build_standin() {
  local context
  context="$(mktemp -d "${TMPDIR:-/tmp}/vector-ha-lab-standin.XXXXXX")"
  scratch_dirs+=("$context")
  logged "test/standins/vector/build-context.sh" "$logs/standin-context.log" \
    bash "$standin_dir/build-context.sh" "$context"
  build_on_base "$1" "$2" vector-standin "$standin_dir/Dockerfile" "$context"
}

main() {
  local vector_binary="" vector_image=""
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --vector-binary) vector_binary="${2:-}" && shift 2 ;;
      --vector-image) vector_image="${2:-}" && shift 2 ;;
      *) die "unknown argument '$1' (allowed: --vector-binary PATH --vector-image NAME)" ;;
    esac
  done
  if [ -n "$vector_binary$vector_image" ] && { [ ! -x "$vector_binary" ] || [ -z "$vector_image" ]; }; then
    die "--vector-binary must name an executable (got '$vector_binary') and --vector-image an image name (got '$vector_image')"
  fi
  docker info >/dev/null 2>&1 ||
    die "no Docker engine answers 'docker info' (scripts/prepare-machine.sh starts one)"
  mkdir -p "$logs"
  # One build at a time on this engine: a second caller waits, then finds the images and reuses them.
  exec 9>"$cache/build-images.lock"
  flock 9

  local mirror base_hash base_id
  mirror="${VECTOR_HA_LAB_DEBIAN_MIRROR:-$(apt_mirror)}"
  mirror="${mirror:-http://deb.debian.org/debian}"
  # The recipe is the hash: suite, variant, packages and the text of the functions that make the tree.
  base_hash="$(printf '%s\n' "$debian_suite" "$debian_variant" "$base_packages" \
    "$(declare -f build_base trim_rootfs import_rootfs)" | sha256sum | cut -c1-16)"
  ensure_image "$base_image" "$base_hash" build_base "$mirror"
  base_id="$(image_id "$base_image")"

  ensure_image "$haproxy_image" "$(hash_inputs "$repo/scripts/images/haproxy" "$base_id")" build_haproxy

  standin_dir="$repo/test/standins/vector"
  if [ -f "$standin_dir/Dockerfile" ] && [ -f "$standin_dir/build-context.sh" ]; then
    local yaml_version
    yaml_version="$(node -p "require('$repo/node_modules/yaml/package.json').version" 2>/dev/null)" ||
      die "node_modules/yaml is missing (npm ci); the Vector stand-in needs it"
    local shared_sources=()
    # Its tsconfig extends the repo's: that file shapes the compiled stand-in too.
    mapfile -t shared_sources < <(imports_outside "$standin_dir"; echo "$repo/tsconfig.json")
    ensure_image "$standin_image" \
      "$(hash_inputs "$standin_dir" "yaml@$yaml_version" "$base_id" \
        "$(cd "$repo" && sha256sum "${shared_sources[@]#"$repo/"}" </dev/null)")" build_standin
  else
    die "test/standins/vector/Dockerfile or build-context.sh is missing: cannot build $standin_image"
  fi

  local built=("$base_image" "$haproxy_image" "$standin_image")
  if [ -n "$vector_binary" ]; then
    ensure_image "$vector_image" \
      "$(hash_inputs "$repo/scripts/images/vector" "$base_id" "$(sha256sum <"$vector_binary")")" build_vector
    built+=("$vector_image")
  fi

  # The images on top of the base share its layers: their own share is the difference.
  local image base_size size
  base_size="$(docker image inspect -f '{{.Size}}' "$base_image")"
  for image in "${built[@]}"; do
    size="$(docker image inspect -f '{{.Size}}' "$image")"
    if [ "$image" = "$base_image" ]; then
      say "image $image $(awk -v size="$size" 'BEGIN { printf "%.0f MB", size / 1e6 }')"
    else
      say "image $image $(awk -v size="$size" -v base="$base_size" \
        'BEGIN { printf "%.0f MB (%.1f MB over the base)", size / 1e6, (size - base) / 1e6 }')"
    fi
  done
}

main "$@"

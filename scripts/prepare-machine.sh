#!/usr/bin/env bash
# Prepares this machine to run the lab (docs/modes.md): Debian packages, a Docker engine, a Pulumi
# CLI at the npm SDK's version, and per mode (scripts/labMode.ts decides it):
#   air-gapped (LAB_BUNDLE=DIR or bundle/): the bundle's checksums checked, its CLI and language host,
#     its real docker and tls plugins in the lab's Pulumi home (.lab/pulumi-home), its Vector binary
#     (.lab/vector-<version>/bin/vector) and a local image of it;
#   every mode but real: the local images (scripts/build-images.sh) and the stand-in plugins in their
#     own Pulumi home (.lab/pulumi-home-standins): the fallback, and what their tests run on.
# Idempotent: a second run only checks, in seconds, and then prints one line. With --verbose, or as
# soon as something is installed, built or started, it prints one line per thing it used, installed or
# built, and where it came from; lines of things this run changed start with "+".
# Writes .lab/env.sh (source it for PULUMI_HOME and PATH) and .lab/cli/bin/ (the CLI chosen, and the
# bundle's Node language host, so that plain `pulumi up` works).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lab="$repo/.lab"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vector-ha-lab"
export PULUMI_SKIP_UPDATE_CHECK=true

cleanup_dirs=()
trap 'rm -rf "${cleanup_dirs[@]}"' EXIT

# "  " marks what was found and used, "+ " what this run installed, built, started or wrote.
# Lines of things merely found are held back until something changes (or --verbose): a run that
# changes nothing prints one line.
verbose=false
held=()
say() {
  if $verbose; then printf 'prepare-machine:   %s\n' "$*"; else held+=("prepare-machine:   $*"); fi
}
did() {
  if ! $verbose; then
    verbose=true
    if [ "${#held[@]}" -gt 0 ]; then printf '%s\n' "${held[@]}"; fi
  fi
  printf 'prepare-machine: + %s\n' "$*"
}
die() {
  printf 'prepare-machine: ERROR: %s\n' "$*" >&2
  exit 1
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_debian_packages() {
  # docker-compose: only the lifecycle benchmark (scripts/bench/lifecycle.ts) runs it, to compare with.
  # iproute2: the local Swarm's network namespaces and links (scripts/cluster.sh).
  local wanted=(docker.io docker-compose haproxy openssl debootstrap busybox-static iproute2) missing=() pkg
  for pkg in "${wanted[@]}"; do
    if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$'; then
      say "apt: $pkg $(dpkg-query -W -f='${Version}' "$pkg") already installed"
    else
      missing+=("$pkg")
    fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    did "apt: installing ${missing[*]} from the Debian archive"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}"
    did "apt: installed ${missing[*]}"
  fi
}

# Uses a Docker engine that answers; otherwise starts Debian's dockerd detached from this script.
ensure_docker_engine() {
  if docker info >/dev/null 2>&1; then
    say "docker engine: using the running one ($(docker info -f '{{.ServerVersion}}' 2>/dev/null), ${DOCKER_HOST:-unix:///var/run/docker.sock})"
    return
  fi
  mkdir -p "$cache"
  local log="$cache/dockerd.log"
  if pgrep -x dockerd >/dev/null; then
    say "docker engine: dockerd is running but not answering yet; waiting"
  else
    did "docker engine: starting $(command -v dockerd) in the background, log in $log"
    as_root setsid nohup dockerd >>"$log" 2>&1 </dev/null &
  fi
  local waited=0
  until docker info >/dev/null 2>&1; do
    if [ "$waited" -ge 60 ]; then
      die "docker engine did not answer 'docker info' within 60 s; see $log"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  did "docker engine: dockerd $(docker info -f '{{.ServerVersion}}') answers after ${waited} s"
}

ensure_node_modules() {
  if [ -f "$repo/node_modules/@pulumi/pulumi/package.json" ]; then
    say "npm: node_modules present in $repo"
  else
    did "npm: node_modules missing, running npm ci from the npm registry"
    (cd "$repo" && npm ci --no-audit --no-fund)
  fi
}

# The mode and the names it implies, from scripts/labMode.ts (one rule for the script and the lab).
decide_mode() {
  local assignments
  assignments="$(cd "$repo" && node_modules/.bin/ts-node --transpile-only scripts/labMode.ts)" ||
    die "cannot decide the lab's mode (message above)"
  eval "$assignments"
  say "mode: $lab_mode${lab_bundle:+, bundle $lab_bundle}"
}

# Sets part_file and part_sha for one file of the bundle; a missing file, or one whose sha256 differs
# from the bundle's SHA256SUMS, stops the run with its name.
bundle_part() {
  local name="$1" what="$2" listed
  part_file="$lab_bundle/$name"
  [ -f "$part_file" ] ||
    die "bundle: $part_file is missing ($what); the bundle holds: $(ls -m "$lab_bundle")"
  part_sha="$(sha256sum "$part_file" | cut -d ' ' -f 1)"
  if [ -f "$lab_bundle/SHA256SUMS" ]; then
    listed="$(awk -v name="$name" '$2 == name || $2 == "*" name { print $1 }' "$lab_bundle/SHA256SUMS")"
    [ -n "$listed" ] || die "bundle: $name is not listed in $lab_bundle/SHA256SUMS"
    [ "$listed" = "$part_sha" ] ||
      die "bundle: $part_file is damaged: its sha256 is $part_sha, $lab_bundle/SHA256SUMS says $listed"
  elif [ -z "${warned_no_sums:-}" ]; then
    warned_no_sums=1
    say "bundle: WARNING: no SHA256SUMS in $lab_bundle, files used unchecked"
  fi
}

# Extracts a bundle archive once into $dest (kept while the archive's sha256 is the same).
extract_part() {
  local dest="$1" stamp="$1/.bundle-sha256"
  if [ "$(cat "$stamp" 2>/dev/null)" = "$part_sha" ]; then return 1; fi
  rm -rf "$dest" "$dest.partial"
  mkdir -p "$dest.partial"
  tar -C "$dest.partial" -xzf "$part_file" || die "bundle: cannot extract $part_file"
  printf '%s\n' "$part_sha" >"$dest.partial/.bundle-sha256"
  mv "$dest.partial" "$dest"
}

package_field() { node -p "require('$repo/node_modules/$1/package.json').$2"; }

# True when version $1 >= version $2 (both without a leading "v").
version_at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

# Builds the CLI from its Go module (docs/facts.md, "Pulumi"): the Node SDK needs a CLI at least as new.
build_pulumi_cli() {
  local version="$1" out="$2" go work started
  go="$(command -v go || echo /usr/local/go/bin/go)"
  [ -x "$go" ] || die "no Go toolchain (go on PATH or /usr/local/go/bin/go) to build the Pulumi CLI"
  work="$(mktemp -d)"
  cleanup_dirs+=("$work")
  did "pulumi cli: building v$version from the Go module github.com/pulumi/pulumi/pkg/v3 (about 5 min cold)"
  started=$SECONDS
  cat >"$work/go.mod" <<EOF
module vector-ha-lab/pulumi-cli

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
  cat >"$work/tools.go" <<'EOF'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
EOF
  mkdir -p "$(dirname "$out")"
  (
    cd "$work"
    "$go" mod tidy
    "$go" build -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
      -o "$out.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  mv "$out.partial" "$out"
  rm -rf "$work"
  did "pulumi cli: built $out in $((SECONDS - started)) s"
}

# Chooses the CLI and links it into .lab/cli/bin, the layout the Automation API's
# PulumiCommand.get({ root }) expects, so scripts/runner.ts finds the same CLI. In air-gapped mode the
# bundle's CLI and its Node language host; otherwise a new enough one on PATH, a cached build, or a build.
ensure_pulumi_cli() {
  local wanted have="" cli cached host=""
  wanted="$(package_field @pulumi/pulumi version)"
  cached="$cache/pulumi/v$wanted/pulumi"
  # The bundle's CLI in air-gapped mode, and in any mode where nothing newer is on PATH: no Go build.
  if [ -n "$lab_bundle" ] && { [ "$lab_mode" = airgapped ] || ! pulumi_on_path_at_least "$wanted"; }; then
    bundle_part "pulumi-v$wanted-linux-x64.tar.gz" "the Pulumi CLI v$wanted and its Node language host"
    if extract_part "$cache/pulumi/bundle-${part_sha:0:16}"; then
      did "pulumi cli: extracted v$wanted from $part_file"
    fi
    cli="$cache/pulumi/bundle-${part_sha:0:16}/pulumi/pulumi"
    host="$(dirname "$cli")/pulumi-language-nodejs"
    [ -x "$cli" ] && [ -x "$host" ] || die "bundle: $part_file holds no pulumi/pulumi and pulumi/pulumi-language-nodejs"
    say "pulumi cli: using the bundle's v$wanted and its Node language host"
  elif pulumi_on_path_at_least "$wanted"; then
    cli="$path_pulumi"
    say "pulumi cli: using $cli on PATH (v$have, SDK wants >= v$wanted)"
  elif [ -x "$cached" ]; then
    cli="$cached"
    say "pulumi cli: using the cached build $cli (v$wanted)"
  else
    if [ -n "$have" ]; then say "pulumi cli: pulumi on PATH is v$have, older than v$wanted: not used"; fi
    build_pulumi_cli "$wanted" "$cached"
    cli="$cached"
  fi
  mkdir -p "$lab/cli/bin"
  link_tool "$lab/cli/bin/pulumi" "$(readlink -f "$cli")"
  link_tool "$lab/cli/bin/pulumi-language-nodejs" "${host:+$(readlink -f "$host")}"
  pulumi_cli="$lab/cli/bin/pulumi"
}

# True when a pulumi on PATH (not the lab's own link) reports version $1 or newer; sets `path_pulumi`
# and `have` (its version).
pulumi_on_path_at_least() {
  path_pulumi="$(PATH="$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$lab/cli/bin" | paste -sd:)" command -v pulumi)" ||
    return 1
  have="$("$path_pulumi" version 2>/dev/null)" && have="${have#v}" && [ -n "$have" ] && version_at_least "$have" "$1"
}

# Points $1 at $2, or removes $1 when $2 is empty; says so when that changed something.
link_tool() {
  local link="$1" target="$2"
  if [ -z "$target" ]; then
    if [ -L "$link" ]; then rm -f "$link" && did "removed $link (not this mode's)"; fi
  elif [ "$(readlink "$link" 2>/dev/null)" != "$target" ]; then
    ln -sfn "$target" "$link"
    did "linked $link -> $target"
  fi
}

# The bundle's real docker and tls plugins, at the versions the npm SDKs ask for, into the lab's Pulumi
# home (never ~/.pulumi), with `pulumi plugin install --file`.
ensure_bundle_plugin() {
  local name="$1" version plugin_dir installed
  version="v$(package_field "@pulumi/$name" pulumi.version)"
  bundle_part "pulumi-resource-$name-$version-linux-amd64.tar.gz" "the real $name provider plugin $version"
  plugin_dir="$bundle_pulumi_home/plugins/resource-$name-$version"
  if [ "$(cat "$plugin_dir.bundle-sha256" 2>/dev/null)" = "$part_sha" ] && [ -x "$plugin_dir/pulumi-resource-$name" ]; then
    say "plugin $name $version: the bundle's, installed in $plugin_dir"
    return
  fi
  if ! installed="$(PULUMI_HOME="$bundle_pulumi_home" "$pulumi_cli" plugin install resource "$name" "$version" --file "$part_file" --reinstall 2>&1)"; then
    printf '%s\n' "$installed" >&2
    die "pulumi plugin install failed for $part_file"
  fi
  printf '%s\n' "$part_sha" >"$plugin_dir.bundle-sha256"
  did "plugin $name $version: installed the bundle's into $plugin_dir"
}

# The bundle's Vector, extracted to .lab/vector-<version>/bin/vector: the local image is built from it
# and the tests run its `vector validate`.
ensure_bundle_vector() {
  local archive="vector-$vector_version-x86_64-unknown-linux-gnu.tar.gz" dest="$lab/vector-$vector_version"
  bundle_part "$archive" "the real Vector $vector_version"
  if extract_part "$dest.archive"; then did "vector: extracted $vector_version from $part_file"; fi
  vector_binary="$dest.archive/vector-x86_64-unknown-linux-gnu/bin/vector"
  [ -x "$vector_binary" ] || die "bundle: $part_file holds no vector-x86_64-unknown-linux-gnu/bin/vector"
  mkdir -p "$dest/bin"
  link_tool "$dest/bin/vector" "$vector_binary"
  say "vector: $("$vector_binary" --version) from the bundle, at $dest/bin/vector"
}

# Compiles one stand-in provider and installs it as plugin resource-<name> at the version the npm
# SDK asks for, so the engine never tries to download the real one. The stamp lists the sha256 of
# every file the compilation read (tsc --listFiles), the wrapper and the compiled entry point:
# when `sha256sum --check` passes, nothing changed and nothing is done.
ensure_standin_plugin() {
  local name="$1" src="$repo/test/standins/providers/$1/main.ts"
  local version out="$lab/build/standins" main_js tsconfig wrapper_dir stamp plugin_dir files installed
  if [ ! -f "$src" ]; then
    say "stand-in plugin $name: skipped, $src does not exist yet"
    return
  fi
  version="v$(package_field "@pulumi/$name" pulumi.version)"
  main_js="$lab/build/test/standins/providers/$name/main.js"
  tsconfig="$out/tsconfig.$name.json"
  wrapper_dir="$out/$name-plugin"
  stamp="$out/$name-$version.sha256"
  plugin_dir="$standins_pulumi_home/plugins/resource-$name-$version"
  if [ -f "$stamp" ] && [ -x "$plugin_dir/pulumi-resource-$name" ] &&
    (cd / && sha256sum --check --quiet --status "$stamp"); then
    say "stand-in plugin $name $version: up to date in $plugin_dir (sources unchanged)"
    return
  fi
  mkdir -p "$out" "$wrapper_dir"
  cat >"$tsconfig" <<EOF
{
  "extends": "$repo/test/standins/providers/tsconfig.json",
  "files": ["$src"],
  "include": []
}
EOF
  did "stand-in plugin $name $version: compiling $src with tsc into $lab/build"
  if ! files="$(cd "$repo" && node_modules/.bin/tsc -p "$tsconfig" --listFiles)"; then
    printf '%s\n' "$files" | grep -v '^/' >&2 || true
    die "tsc failed for the $name stand-in (errors above)"
  fi
  cat >"$wrapper_dir/pulumi-resource-$name" <<EOF
#!/bin/sh
# Stand-in for the real $name provider plugin (test/standins/providers/$name), for the lab only.
exec node --enable-source-maps "$main_js" "\$@"
EOF
  chmod +x "$wrapper_dir/pulumi-resource-$name"
  tar -C "$wrapper_dir" -czf "$out/$name-plugin.tgz" "pulumi-resource-$name"
  if ! installed="$(PULUMI_HOME="$standins_pulumi_home" "$pulumi_cli" plugin install resource "$name" "$version" --file "$out/$name-plugin.tgz" --reinstall 2>&1)"; then
    printf '%s\n' "$installed" >&2
    die "pulumi plugin install failed for the $name stand-in"
  fi
  {
    printf '%s\n' "$files" | grep '^/' || true
    printf '%s\n' "$repo/scripts/prepare-machine.sh" "$repo/package-lock.json" "$repo/tsconfig.json" "$repo/test/standins/providers/tsconfig.json"
    printf '%s\n' "$tsconfig" "$wrapper_dir/pulumi-resource-$name" "$main_js"
  } | xargs -d '\n' sha256sum >"$stamp"
  did "stand-in plugin $name $version: installed into $plugin_dir (runs $main_js)"
}

write_env_file() {
  local env_file="$lab/env.sh" content
  local home
  # For plain `pulumi`: the bundle's real plugins where there is a bundle, else the stand-ins.
  if [ -n "$lab_bundle" ]; then home="$bundle_pulumi_home"; else home="$standins_pulumi_home"; fi
  content="# Written by scripts/prepare-machine.sh: the lab's Pulumi CLI and the Pulumi home for plain \`pulumi\`.
export PULUMI_HOME='$home'
export PATH='$lab/cli/bin':\"\$PATH\"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true"
  if [ "$(cat "$env_file" 2>/dev/null)" != "$content" ]; then
    printf '%s\n' "$content" >"$env_file"
    did "env: wrote $env_file"
  else
    say "env: $env_file unchanged"
  fi
}

# Local images in every mode but real (there the engine pulls the official ones), with the bundle's
# Vector in air-gapped mode.
ensure_local_images() {
  if [ "$lab_mode" = real ]; then
    say "images: real mode, the official images are pulled by the engine"
    return
  fi
  local args=()
  if [ -n "$lab_bundle" ]; then args=(--vector-binary "$vector_binary" --vector-image "$vector_image"); fi
  local out line
  out="$(mktemp)"
  cleanup_dirs+=("$out")
  if ! bash "$repo/scripts/build-images.sh" "${args[@]}" >"$out"; then
    cat "$out"
    die "scripts/build-images.sh failed (above)"
  fi
  while IFS= read -r line; do
    case "$line" in
      "build-images: built "*) did "$line" ;;
      *) say "$line" ;;
    esac
  done <"$out"
}

main() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      -h | --help)
        sed -n '2,14p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
      -v | --verbose) verbose=true ;;
      *) die "unknown argument '$arg'" ;;
    esac
  done
  mkdir -p "$lab"
  ensure_debian_packages
  ensure_docker_engine
  ensure_node_modules
  decide_mode
  mkdir -p "$bundle_pulumi_home" "$standins_pulumi_home"
  ensure_pulumi_cli
  if [ -n "$lab_bundle" ]; then
    ensure_bundle_plugin docker
    ensure_bundle_plugin tls
    ensure_bundle_vector
  fi
  ensure_standin_plugin docker
  ensure_standin_plugin tls
  ensure_local_images
  write_env_file
  if $verbose; then
    say "done in $SECONDS s"
  else
    printf 'prepare-machine: nothing to do, all present (%s mode%s) in %s s; --verbose for details\n' \
      "$lab_mode" "${lab_bundle:+, bundle $lab_bundle}" "$SECONDS"
  fi
}

main "$@"

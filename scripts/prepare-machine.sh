#!/usr/bin/env bash
# Prepares this machine to run the lab for real without the internet (DESIGN.md, "Running it"):
# Debian packages, a Docker engine, a Pulumi CLI at the npm SDK's version, the stand-in docker
# and tls plugins in the lab's own Pulumi home, and the local images (scripts/build-images.sh).
# Idempotent: a second run only checks, in seconds.
# Prints one line per thing it used, installed or built, and where it came from; lines of things
# this run changed start with "+".
# Writes .lab/env.sh (source it for PULUMI_HOME and PATH) and .lab/cli/bin/pulumi (the CLI chosen).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lab="$repo/.lab"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/vector-ha-lab"
export PULUMI_HOME="$lab/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true

cleanup_dirs=()
trap 'rm -rf "${cleanup_dirs[@]}"' EXIT

# "  " marks what was found and used, "+ " what this run installed, built, started or wrote.
say() { printf 'prepare-machine:   %s\n' "$*"; }
did() { printf 'prepare-machine: + %s\n' "$*"; }
die() {
  printf 'prepare-machine: ERROR: %s\n' "$*" >&2
  exit 1
}
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_debian_packages() {
  local wanted=(docker.io haproxy openssl debootstrap busybox-static) missing=() pkg
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

package_field() { node -p "require('$repo/node_modules/$1/package.json').$2"; }

# True when version $1 >= version $2 (both without a leading "v").
version_at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$2" ]; }

# Builds the CLI from its Go module (RUNNING-HERE.md): the Node SDK needs a CLI at least as new.
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

# Chooses the CLI and links it as .lab/cli/bin/pulumi, the layout the Automation API's
# PulumiCommand.get({ root }) expects, so scripts/runner.ts finds the same CLI.
ensure_pulumi_cli() {
  local wanted have="" cli cached
  wanted="$(package_field @pulumi/pulumi version)"
  cached="$cache/pulumi/v$wanted/pulumi"
  if command -v pulumi >/dev/null && have="$(pulumi version 2>/dev/null)" && have="${have#v}" &&
    [ -n "$have" ] && version_at_least "$have" "$wanted"; then
    cli="$(command -v pulumi)"
    say "pulumi cli: using $cli on PATH (v$have, SDK wants >= v$wanted)"
  elif [ -x "$cached" ]; then
    cli="$cached"
    say "pulumi cli: using the cached build $cli (v$wanted)"
  else
    if [ -n "$have" ]; then say "pulumi cli: pulumi on PATH is v$have, older than v$wanted: not used"; fi
    build_pulumi_cli "$wanted" "$cached"
    cli="$cached"
  fi
  cli="$(readlink -f "$cli")"
  mkdir -p "$lab/cli/bin"
  if [ "$(readlink "$lab/cli/bin/pulumi" 2>/dev/null)" != "$cli" ]; then
    ln -sfn "$cli" "$lab/cli/bin/pulumi"
    did "pulumi cli: linked $lab/cli/bin/pulumi -> $cli"
  fi
  pulumi_cli="$lab/cli/bin/pulumi"
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
  plugin_dir="$PULUMI_HOME/plugins/resource-$name-$version"
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
  if ! installed="$("$pulumi_cli" plugin install resource "$name" "$version" --file "$out/$name-plugin.tgz" --reinstall 2>&1)"; then
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
  content="# Written by scripts/prepare-machine.sh: the lab's Pulumi CLI and Pulumi home.
export PULUMI_HOME='$PULUMI_HOME'
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

# Local images for stand-ins mode; the same rule as scripts/labMode.ts decides the mode (a full
# Pulumi installation, i.e. its Node language host on PATH, means real mode and official images).
ensure_local_images() {
  if [ "${LAB_MODE:-}" = real ] || { [ -z "${LAB_MODE:-}" ] && command -v pulumi-language-nodejs >/dev/null; }; then
    say "images: real mode, the official images are pulled by the engine"
    return
  fi
  bash "$repo/scripts/build-images.sh" | sed 's/^/prepare-machine: /'
}

main() {
  local arg
  for arg in "$@"; do
    case "$arg" in
      -h | --help)
        sed -n '2,6p' "${BASH_SOURCE[0]}"
        exit 0
        ;;
      *) die "unknown argument '$arg'" ;;
    esac
  done
  mkdir -p "$lab" "$PULUMI_HOME"
  ensure_debian_packages
  ensure_docker_engine
  ensure_node_modules
  ensure_pulumi_cli
  ensure_standin_plugin docker
  ensure_standin_plugin tls
  ensure_local_images
  write_env_file
  say "done in $SECONDS s"
}

main "$@"

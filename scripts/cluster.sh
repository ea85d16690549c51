#!/usr/bin/env bash
# A local Docker Swarm for the lab's swarm target (docs/swarm.md): N Docker engines on this host, each
# in its own network namespace with its own data and exec roots, hostname and cgroup parent, joined
# into one swarm (the first three as managers). Run through the lab command:
#   npm run lab -- cluster up [N] | status | down | power-off NODE | power-on NODE
#
# Network: a bridge in a namespace of its own ("the switch"); each node's eth0 is a veth to it, and so
# is one link of this host's (vhl-host), so the host reaches the nodes' published ports. Addresses are
# in 10.213.0.0/24, which exists only on these links; no namespace has a default route: nothing leaves.
# Each dockerd runs under `ip netns exec`, which mounts a fresh /sys: the cgroup v1 hierarchies are
# mounted again inside, or dockerd fails with "Devices cgroup isn't mounted".
# Power-off (a node's power loss, for failover tests): its link goes down and every process of it is
# killed (its daemons by network namespace, its containers by cgroup); its disk (data root) stays.
set -euo pipefail

run_dir=/run/vector-ha-lab/cluster
data_dir=/var/lib/vector-ha-lab/cluster
switch_ns=vhl-switch
bridge=vhlbr0
host_link=vhl-host
subnet_prefix=10.213.0
host_address="$subnet_prefix.1"
overlay_pool=10.214.0.0/16
cgroup_hierarchies=(cpu cpuacct cpuset memory devices freezer blkio pids)
max_nodes=9

say() { printf 'cluster: %s\n' "$*"; }
die() {
  printf 'cluster: ERROR: %s\n' "$*" >&2
  exit 1
}
[ "$(id -u)" -eq 0 ] || die "the local cluster needs root (network namespaces, mounts, cgroups)"

node_ns() { echo "vhl-node-$1"; }
node_address() { echo "$subnet_prefix.$((10 + $1))"; }
node_socket() { echo "$run_dir/node-$1/docker.sock"; }
node_cgroup() { echo "vector-ha-lab-node-$1"; }
node_docker() {
  local node="$1"
  shift
  docker -H "unix://$(node_socket "$node")" "$@"
}
# The nodes this cluster was made with (their data roots), in order.
known_nodes() {
  local dir
  for dir in "$data_dir"/node-*; do
    if [ -d "$dir" ]; then echo "${dir##*/node-}"; fi
  done | sort -n
}
node_answers() { [ -S "$(node_socket "$1")" ] && node_docker "$1" info >/dev/null 2>&1; }

ensure_switch() {
  if ! ip netns list | grep -qw "$switch_ns"; then
    ip netns add "$switch_ns"
    ip -n "$switch_ns" link add "$bridge" type bridge
    ip -n "$switch_ns" link set "$bridge" up
    ip -n "$switch_ns" link set lo up
  fi
  if ! ip link show "$host_link" >/dev/null 2>&1; then
    ip link add "$host_link" type veth peer name vhl-h netns "$switch_ns"
    ip -n "$switch_ns" link set vhl-h master "$bridge" up
    ip addr add "$host_address/24" dev "$host_link"
    ip link set "$host_link" up
  fi
}

ensure_node_network() {
  local node="$1" ns
  ns="$(node_ns "$node")"
  if ! ip netns list | grep -qw "$ns"; then
    ip netns add "$ns"
    ip link add "vhl-n$node" netns "$switch_ns" type veth peer name eth0 netns "$ns"
    ip -n "$switch_ns" link set "vhl-n$node" master "$bridge" up
    ip -n "$ns" addr add "$(node_address "$node")/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
  fi
  ip -n "$switch_ns" link set "vhl-n$node" up
}

# Starts the node's dockerd (detached) and waits until it answers.
start_daemon() {
  local node="$1" ns dir exec_root log waited=0
  ns="$(node_ns "$node")"
  dir="$run_dir/node-$node"
  exec_root="$dir/exec"
  log="$data_dir/node-$node/dockerd.log"
  mkdir -p "$dir" "$data_dir/node-$node/docker"
  printf '{}\n' >"$dir/daemon.json"
  # What a power-off left: a pid file naming a pid that may be another process's now makes dockerd wait
  # for a containerd that is not there.
  rm -f "$(node_socket "$node")" "$dir/docker.pid" "$exec_root/containerd/containerd.pid"
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid nohup ip netns exec "$ns" unshare --uts --fork sh -c '
    set -e
    hostname "$1"
    mount -t tmpfs cgroup /sys/fs/cgroup
    for h in $2; do mkdir -p /sys/fs/cgroup/$h; mount -t cgroup -o $h cgroup /sys/fs/cgroup/$h; done
    mkdir -p /sys/fs/cgroup/systemd
    mount -t cgroup -o none,name=systemd cgroup /sys/fs/cgroup/systemd
    shift 2
    exec dockerd "$@"' sh "$ns" "${cgroup_hierarchies[*]}" \
    --host "unix://$(node_socket "$node")" \
    --config-file "$dir/daemon.json" \
    --data-root "$data_dir/node-$node/docker" \
    --exec-root "$exec_root" \
    --pidfile "$dir/docker.pid" \
    --bridge none \
    --storage-driver overlay2 \
    --exec-opt native.cgroupdriver=cgroupfs \
    --cgroup-parent "/$(node_cgroup "$node")" \
    >>"$log" 2>&1 </dev/null &
  until node_answers "$node"; do
    [ "$waited" -lt 600 ] || die "node $node's dockerd did not answer within 60 s; see $log"
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Every process of a node, until none is left: its daemons (in its network namespace) and its
# containers (in its cgroup; they have network namespaces of their own).
kill_node_processes() {
  local node="$1" ns pids round
  ns="$(node_ns "$node")"
  for round in $(seq 1 50); do
    pids="$(
      {
        ip netns pids "$ns" 2>/dev/null || true
        for h in "${cgroup_hierarchies[@]}"; do
          find "/sys/fs/cgroup/$h/$(node_cgroup "$node")" -name cgroup.procs -exec cat {} + 2>/dev/null || true
        done
      } | sort -u
    )"
    [ -n "$pids" ] || return 0
    # shellcheck disable=SC2086 # one pid per word
    kill -9 $pids 2>/dev/null || true
    sleep 0.1
  done
  die "node $node still has processes after 5 s: $pids"
}

remove_node_cgroups() {
  local node="$1" h
  for h in "${cgroup_hierarchies[@]}" systemd; do
    local root="/sys/fs/cgroup/$h/$(node_cgroup "$node")"
    [ -d "$root" ] && find "$root" -depth -type d -exec rmdir {} + 2>/dev/null || true
  done
}

cmd_up() {
  local count="${1:-3}" images=() node first token managers
  shift || true
  while [ $# -gt 0 ]; do
    case "$1" in
      --image)
        images+=("$2")
        shift 2
        ;;
      *) die "unknown argument '$1'" ;;
    esac
  done
  [[ "$count" =~ ^[0-9]+$ ]] && [ "$count" -ge 1 ] && [ "$count" -le "$max_nodes" ] ||
    die "cluster up N: got \"$count\"; allowed: a whole number of nodes from 1 to $max_nodes"
  local existing
  existing="$(known_nodes | wc -l)"
  if [ "$existing" -gt 0 ] && [ "$existing" -ne "$count" ]; then
    die "a cluster of $existing nodes exists; run 'npm run lab -- cluster down' first to make one of $count"
  fi
  local started=$SECONDS
  ensure_switch
  for node in $(seq 1 "$count"); do
    ensure_node_network "$node"
    if node_answers "$node"; then
      say "node $node: dockerd already answers"
    else
      start_daemon "$node"
      say "node $node: dockerd up at $(node_address "$node") ($(node_socket "$node"))"
    fi
  done
  if [ "${#images[@]}" -gt 0 ]; then
    local archive="$run_dir/images.tar"
    docker save -o "$archive" "${images[@]}"
    local loads=()
    for node in $(seq 1 "$count"); do
      node_docker "$node" load -q -i "$archive" >/dev/null &
      loads+=($!)
    done
    # Only the loads: a bare `wait` would wait for the daemons too.
    wait "${loads[@]}"
    rm -f "$archive"
    say "images loaded on every node: ${images[*]}"
  fi
  first=1
  if [ "$(node_docker "$first" info -f '{{.Swarm.LocalNodeState}}')" != active ]; then
    node_docker "$first" swarm init --advertise-addr "$(node_address "$first")" \
      --listen-addr "$(node_address "$first"):2377" --dispatcher-heartbeat 1s \
      --default-addr-pool "$overlay_pool" --default-addr-pool-mask-length 24 >/dev/null
  fi
  managers=$((count < 3 ? count : 3))
  for node in $(seq 2 "$count"); do
    [ "$(node_docker "$node" info -f '{{.Swarm.LocalNodeState}}')" = active ] && continue
    if [ "$node" -le "$managers" ]; then role=manager; else role=worker; fi
    token="$(node_docker "$first" swarm join-token -q "$role")"
    node_docker "$node" swarm join --token "$token" --advertise-addr "$(node_address "$node")" \
      --listen-addr "$(node_address "$node"):2377" "$(node_address "$first"):2377" >/dev/null
  done
  local waited=0
  until [ "$(node_docker "$first" node ls -q --filter role=manager | wc -l)" -eq "$managers" ] &&
    [ -z "$(node_docker "$first" node ls --format '{{.Status}}' | grep -v '^Ready$')" ]; do
    [ "$waited" -lt 300 ] || die "the swarm's nodes were not all Ready within 30 s"
    sleep 0.1
    waited=$((waited + 1))
  done
  say "a swarm of $count nodes ($managers managers) is up in $((SECONDS - started)) s"
  cat <<EOF

Point a stack at it (in Pulumi.<stack>.yaml, under config:):
  vector-ha-lab:target: swarm
  vector-ha-lab:dockerHost: unix://$(node_socket "$first")
then: npm run lab -- up --stack <stack>. The nodes' addresses are reachable from this host: $(node_address 1)..$(node_address "$count").
EOF
}

cmd_status() {
  local nodes node manager=""
  nodes="$(known_nodes)"
  if [ -z "$nodes" ]; then
    say "no local cluster (npm run lab -- cluster up [N] makes one)"
    return
  fi
  for node in $nodes; do
    if node_answers "$node"; then
      [ -n "$manager" ] || [ "$(node_docker "$node" info -f '{{.Swarm.ControlAvailable}}')" != true ] || manager="$node"
      printf 'node %s  %-15s  up    %s containers running\n' "$node" "$(node_address "$node")" \
        "$(node_docker "$node" ps -q | wc -l)"
    else
      printf 'node %s  %-15s  off\n' "$node" "$(node_address "$node")"
    fi
  done
  if [ -n "$manager" ]; then
    echo
    node_docker "$manager" node ls
  fi
}

# The cluster as JSON, for the lab command and the tests: each node's address, socket, data root and
# whether its engine answers.
cmd_layout() {
  local node first=true
  printf '{"hostAddress":"%s","nodes":[' "$host_address"
  for node in $(known_nodes); do
    $first || printf ','
    first=false
    printf '{"node":%s,"hostname":"%s","address":"%s","dockerHost":"unix://%s","dataRoot":"%s","up":%s}' \
      "$node" "$(node_ns "$node")" "$(node_address "$node")" "$(node_socket "$node")" \
      "$data_dir/node-$node/docker" "$(node_answers "$node" && echo true || echo false)"
  done
  printf ']}\n'
}

cmd_power_off() {
  local node="$1"
  [ -d "$data_dir/node-$node" ] || die "power-off NODE: got \"$node\"; allowed: one of $(known_nodes | paste -sd, -)"
  ip -n "$switch_ns" link set "vhl-n$node" down
  kill_node_processes "$node"
  say "node $node is off (link down, every process killed; its disk is kept)"
}

cmd_power_on() {
  local node="$1"
  [ -d "$data_dir/node-$node" ] || die "power-on NODE: got \"$node\"; allowed: one of $(known_nodes | paste -sd, -)"
  ensure_node_network "$node"
  node_answers "$node" || start_daemon "$node"
  say "node $node is on"
}

cmd_down() {
  local node started=$SECONDS
  for node in $(known_nodes); do
    if ip netns list | grep -qw "$(node_ns "$node")"; then
      ip -n "$switch_ns" link set "vhl-n$node" down 2>/dev/null || true
    fi
    kill_node_processes "$node"
    remove_node_cgroups "$node"
    ip netns del "$(node_ns "$node")" 2>/dev/null || true
  done
  ip link del "$host_link" 2>/dev/null || true
  ip netns del "$switch_ns" 2>/dev/null || true
  rm -rf "$run_dir" "$data_dir"
  rmdir /run/vector-ha-lab /var/lib/vector-ha-lab 2>/dev/null || true
  say "the local cluster is gone (processes, namespaces, links, cgroups, folders) in $((SECONDS - started)) s"
}

case "${1:-}" in
  up)
    shift
    cmd_up "$@"
    ;;
  status) cmd_status ;;
  layout) cmd_layout ;;
  down) cmd_down ;;
  power-off) cmd_power_off "${2:?power-off NODE}" ;;
  power-on) cmd_power_on "${2:?power-on NODE}" ;;
  *) die "usage: cluster <up [N] [--image REF]...|status|layout|down|power-off NODE|power-on NODE>" ;;
esac

#!/bin/sh
# Same contract as the official haproxy image's entrypoint: arguments that start with "-" are
# haproxy's; a plain `haproxy ...` runs as master-worker (-W) in the foreground (-db), so the
# master is PID 1, receives Docker's stop signal and reloads on SIGUSR2. Anything else runs as is.
set -e
case "$1" in
  -*) set -- haproxy "$@" ;;
esac
if [ "$1" = haproxy ]; then
  shift
  set -- haproxy -W -db "$@"
fi
exec "$@"

#!/bin/sh
# Install Debian's PostgreSQL server for the warehouse tests, when it is missing and we can
# without asking. The tests start their own throwaway cluster (tests/pg_server.py); installing
# creates no cluster of its own and starts no server. Quiet, and never fails the caller: without
# a server the warehouse tests skip with the reason (or fail, when HOOKLEDGER_REQUIRE_POSTGRES is set).
for initdb in /usr/lib/postgresql/*/bin/initdb; do
  [ -x "$initdb" ] && exit 0
done
command -v initdb >/dev/null 2>&1 && exit 0
command -v apt-get >/dev/null 2>&1 || exit 0
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO="sudo -n"
else
  exit 0
fi
echo "installing postgresql for the warehouse tests (apt-get)..." >&2
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  # no "main" cluster, so nothing is started on port 5432 behind the tests' back
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
$SUDO apt-get update -qq >/dev/null 2>&1 && \
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null 2>&1 || \
  echo "could not install postgresql; the warehouse tests will be skipped" >&2
exit 0

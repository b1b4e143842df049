#!/bin/sh
# Install Debian's PostgreSQL server for the warehouse tests, when it is missing and we can
# without asking. The tests start their own throwaway cluster (tests/pg_server.py); installing
# creates no cluster of its own and starts no server. Quiet, and never fails the caller: without
# a server the warehouse tests skip with the reason (or fail, when HOOKLEDGER_REQUIRE_POSTGRES is set).
for initdb in /usr/lib/postgresql/*/bin/initdb; do
  [ -x "$initdb" ] && exit 0
done
command -v initdb >/dev/null 2>&1 && exit 0
. "$(dirname "$0")/apt.sh"
as_root || exit 0
if [ ! -e /etc/postgresql-common/createcluster.conf ]; then
  # no "main" cluster, so nothing is started on port 5432 behind the tests' back
  $SUDO mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
apt_install postgresql "the warehouse tests"
exit 0

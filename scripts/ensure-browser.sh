#!/bin/sh
# Install Debian's chromium for the report's browser test, when we can without asking.
# Quiet, and never fails the caller: without chromium that one test skips with the reason.
[ -x /usr/bin/chromium ] && exit 0
. "$(dirname "$0")/apt.sh"
as_root || exit 0
apt_install chromium "the report browser test"
exit 0

#!/bin/sh
# Install tmux for the live view's terminal test (`hookledger watch` in tmux), when we can without
# asking. Quiet, and never fails the caller: without tmux that one test skips with the reason.
command -v tmux >/dev/null 2>&1 && exit 0
. "$(dirname "$0")/apt.sh"
as_root || exit 0
apt_install tmux "the watch terminal test"
exit 0

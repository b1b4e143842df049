# Sourced by scripts/ensure-*.sh: install a Debian package for the tests when we can without asking.

# as_root: sets SUDO ("" as root, "sudo -n" with passwordless sudo); fails without apt-get or either.
as_root() {
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ "$(id -u)" = 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    return 1
  fi
}

# apt_install PACKAGE WHAT: quiet; on failure one line saying that WHAT will be skipped.
apt_install() {
  echo "installing $1 for $2 (apt-get)..." >&2
  $SUDO apt-get update -qq >/dev/null 2>&1 && \
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$1" >/dev/null 2>&1 || \
    echo "could not install $1; $2 will be skipped" >&2
}

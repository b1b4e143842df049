"""Files hookledger writes session content to, opened without following planted links.

A repository can ship `.claude-session.db`, its `-wal`/`-shm`, or the spool folder as a
symlink (to another application's database, to a dangling path outside the project), a FIFO
(a hook would block on it) or a hard link. Everything here looks before it opens (lstat, never
stat), opens with O_NOFOLLOW, and creates files 0600 and folders 0700 whatever the umask.

Hot path: stdlib only (os, stat).
"""

from __future__ import annotations

import os
import stat

# Companion files SQLite opens beside the database by name (it would follow a link there).
LEDGER_COMPANIONS = ("-wal", "-shm", "-journal")
NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NONBLOCK = getattr(os, "O_NONBLOCK", 0)
CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafePath(OSError):
    """A path hookledger refuses to open: a link, a FIFO, a device, someone else's file."""


def _kind(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "a symbolic link"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a directory"
    return "not a regular file"


def _target(path: str) -> str:
    try:
        return f" -> {os.readlink(path)}"
    except OSError:
        return ""


def _problem(path: str, want_dir: bool) -> str | None:
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{path} cannot be inspected ({exc.strerror})"
    if not (stat.S_ISDIR(st.st_mode) if want_dir else stat.S_ISREG(st.st_mode)):
        return f"{path} is {_kind(st.st_mode)}{_target(path) if stat.S_ISLNK(st.st_mode) else ''}"
    if not want_dir and st.st_nlink > 1:
        return f"{path} is a hard link ({st.st_nlink} names for one file)"
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"{path} belongs to another user (uid {st.st_uid})"
    return None


def file_problem(path: str) -> str | None:
    """Why `path` must not be opened as one of our files (None: absent, or a regular file of
    ours with a single link)."""
    return _problem(path, want_dir=False)


def dir_problem(path: str) -> str | None:
    """Why `path` must not be used as one of our folders (None: absent, or a real folder of ours)."""
    return _problem(path, want_dir=True)


def ledger_problem(db: str) -> str | None:
    """Why the ledger at `db` (or a companion file SQLite would open beside it) is unsafe."""
    for suffix in ("", *LEDGER_COMPANIONS):
        problem = file_problem(db + suffix)
        if problem:
            return problem
    return None


def create_private(path: str) -> bool:
    """Create an empty file 0600 at `path` unless something is there; never through a link.
    True if this call created it."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | NOFOLLOW | CLOEXEC, 0o600)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, 0o600)  # the umask may have taken more than group and other bits
    finally:
        os.close(fd)
    return True


def make_private_dir(path: str) -> None:
    """Create `path` (and missing parents) 0700, or check the existing one is a real folder of
    ours; raises UnsafePath otherwise."""
    problem = dir_problem(path)
    if problem:
        raise UnsafePath(problem)
    if not os.path.isdir(path):
        parent = os.path.dirname(path)
        if parent and parent != path and not os.path.lexists(parent):
            os.makedirs(parent, mode=0o700, exist_ok=True)
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        problem = dir_problem(path)  # created by someone else meanwhile?
        if problem:
            raise UnsafePath(problem)
    try:
        if os.lstat(path).st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        pass


def open_private(path: str, flags: int) -> int:
    """os.open for one of our files: never through a link, never blocking on a FIFO, created
    0600 (also when the umask is wider); refuses anything but a regular file of ours."""
    fd = os.open(path, flags | NOFOLLOW | NONBLOCK | CLOEXEC, 0o600)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"{path} is {_kind(st.st_mode)}")
        if st.st_mode & 0o077:
            os.fchmod(fd, 0o600)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_private(path: str, limit: int) -> bytes:
    """Up to `limit` + 1 bytes of a regular file, opened without following a link (a caller
    seeing more than `limit` bytes knows the file is over its cap)."""
    return _read_regular(path, limit, NOFOLLOW)


def read_private_target(path: str, limit: int) -> bytes | None:
    """As read_private, but a link is followed (a settings file may be a user's link); still
    never blocks on a FIFO or reads a device. None when there is no file."""
    try:
        return _read_regular(path, limit, 0)
    except FileNotFoundError:
        return None


def _read_regular(path: str, limit: int, follow_flag: int) -> bytes:
    fd = os.open(path, os.O_RDONLY | follow_flag | NONBLOCK | CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(f"{path} is {_kind(st.st_mode)}")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def write_private(path: str, data: bytes) -> None:
    """Write `data` to `path` atomically, 0600 whatever the umask: a temporary file beside it
    (created exclusively, never through a link), then renamed over `path` (a link there is
    replaced, not followed)."""
    tmp = f"{path}.tmp-{os.getpid()}-{os.urandom(3).hex()}"
    fd = open_private(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


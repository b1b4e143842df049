"""The evident file writes of Bash command lines, and how paths are stored."""

from __future__ import annotations

import pytest

from hookledger.knowledge.bash_writes import evident_writes
from hookledger.knowledge.project_paths import normalise


@pytest.mark.parametrize("command,expected", [
    ("echo hi > out.txt", [("bash:redirect", "out.txt", None)]),
    ("echo a>>log.txt 2>&1", [("bash:append", "log.txt", None)]),
    ("python x.py > out.txt 2> err.txt", [("bash:redirect", "out.txt", None), ("bash:redirect", "err.txt", None)]),
    ("make &> build.log", [("bash:redirect", "build.log", None)]),
    ("cat a | tee -a x.log y.log", [("bash:tee", "x.log", None), ("bash:tee", "y.log", None)]),
    ("sed -i s/a/b/ f1 f2", [("bash:sed -i", "f1", None), ("bash:sed -i", "f2", None)]),
    ("sed -i '' -e 's/a/b/' f.txt", [("bash:sed -i", "f.txt", None)]),
    ("sed --in-place=.bak 's/a/b/' f.txt", [("bash:sed -i", "f.txt", None)]),
    ("mv old.py new.py", [("bash:mv", "old.py", None), ("bash:mv", "new.py", None)]),
    ("cp -r a b dest/", [("bash:cp", "dest/", None)]),
    ("cp -t dir a b", [("bash:cp", "dir", None)]),
    ("rm -rf build dist && touch stamp", [("bash:rm", "build", None), ("bash:rm", "dist", None),
                                          ("bash:touch", "stamp", None)]),
    ("touch -d yesterday f", [("bash:touch", "f", None)]),
    ("FOO=1 sudo rm -f /tmp/x; ls", [("bash:rm", "/tmp/x", None)]),
    ("cd sub && echo x > \"my file.txt\"", [("bash:redirect", "my file.txt", "sub")]),
    ("echo one > a.txt\necho two > b.txt", [("bash:redirect", "a.txt", None), ("bash:redirect", "b.txt", None)]),
    ("cat > f.py <<'EOF'\nx > y\nrm z\nEOF\necho done > done.txt",
     [("bash:redirect", "f.py", None), ("bash:redirect", "done.txt", None)]),
    ("(cd lib; rm stale.pyc)", [("bash:rm", "stale.pyc", "lib")]),
])
def test_evident_writes(command, expected):
    assert evident_writes(command) == expected


@pytest.mark.parametrize("command", [
    "wc -c sub.txt", "cat hello.txt && echo ok", "ls 2>/dev/null", "echo '>' notafile",
    "git commit -m \"a > b\"", "sed s/a/b/ f", "rm *.pyc", "echo $X > $OUT", "echo \"unterminated > q",
    "", "   ", "grep -r foo . | sort", "cat < input.txt",
])
def test_no_evident_writes(command):
    assert evident_writes(command) == []


def test_odd_input_never_raises():
    for command in (None, 42, "\x00", ">", ">>", "| tee", "sed -i", "cp", "mv onlyone", "a" * 100000):
        assert isinstance(evident_writes(command), list)


@pytest.mark.parametrize("path,cwd,expected", [
    ("/p/src/a.py", None, "src/a.py"),
    ("src/../src/./a.py", None, "src/a.py"),
    ("a.py", "/p/sub", "sub/a.py"),
    ("/elsewhere/x.txt", None, "/elsewhere/x.txt"),
    ("../outside.txt", "/p", "/outside.txt"),
    ("/p2/x", None, "/p2/x"),  # a sibling that shares the prefix is outside
    ("", None, None),
])
def test_normalise(path, cwd, expected):
    assert normalise(path, "/p", cwd) == expected

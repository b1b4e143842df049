"""The evident file writes of a Bash command line, without running it.

Covers output redirections (`>`, `>>`, `>|`, `&>`), `tee`, `sed -i`, and the targets of
`mv`, `cp`, `rm` and `touch`, across `&&`, `||`, `;`, `|`, newlines and subshells, with
quoting as the shell reads it. A heuristic by design: anything computed at run time
(`$VAR`, globs, command substitution) is not evident and is left out. Hot path: stdlib only
(shlex imports re/io/collections, all already loaded).
"""

from __future__ import annotations

import re
import shlex

_HEREDOC = re.compile(r"<<-?\s*(['\"]?)([A-Za-z_][\w.-]*)\1")
_PREFIXES = {"sudo", "env", "command", "nohup", "time", "exec", "builtin", "nice", "stdbuf"}
_SKIP_TARGET = re.compile(r"[$`*?\[\]{}]|^-$|^/dev/")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=")
# Options that take a separate argument, per command (their argument is not an operand).
_OPTS_WITH_ARG = {
    "touch": {"-d", "-t", "-r", "--date", "--reference"},
    "sed": {"-e", "-f", "-l", "--expression", "--file", "--line-length"},
    "cp": {"-t", "-S", "--target-directory", "--suffix"},
    "mv": {"-t", "-S", "--target-directory", "--suffix"},
    "tee": set(),
    "rm": set(),
}


def _strip_heredocs(command: str) -> str:
    """Drop here-document bodies: their text is data, not commands."""
    if "<<" not in command:
        return command
    lines = command.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        out.append(line)
        i += 1
        for match in _HEREDOC.finditer(line):
            if line[match.start():].startswith("<<<"):
                continue
            end = match.group(2)
            while i < len(lines) and lines[i].strip() != end:
                i += 1
            i += 1  # the delimiter line
    return "\n".join(out)


def _tokens(command: str) -> list[tuple[str, bool]]:
    """(token, is_operator) pairs; quoted text is never an operator. Stops quietly at an
    unbalanced quote, keeping what came before."""
    lex = shlex.shlex(command, posix=False, punctuation_chars="();<>|&\n")
    lex.whitespace = " \t\r"  # newline separates commands: keep it as an operator
    lex.commenters = "#"
    out: list[tuple[str, bool]] = []
    try:
        for tok in lex:
            if tok and all(ch in "();<>|&\n" for ch in tok):
                out.append((tok, True))
            else:
                out.append((_unquote(tok), False))
    except ValueError:
        pass
    return out


def _unquote(word: str) -> str:
    if not any(ch in word for ch in "'\"\\"):
        return word
    try:
        return "".join(shlex.split(word))
    except ValueError:
        return word.strip("'\"")


def _is_redirect(op: str) -> bool:
    return ">" in op


def _operands(name: str, args: list[str]) -> tuple[list[str], dict[str, str]]:
    """Non-option operands and the options that took an argument."""
    takes = _OPTS_WITH_ARG.get(name, set())
    operands: list[str] = []
    opts: dict[str, str] = {}
    i = 0
    ended = False
    while i < len(args):
        arg = args[i]
        if not ended and arg == "--":
            ended = True
        elif not ended and arg.startswith("-") and arg != "-":
            key, eq, val = arg.partition("=")
            if key in takes:
                if eq:
                    opts[key] = val
                elif i + 1 < len(args):
                    opts[key] = args[i + 1]
                    i += 1
            else:
                opts.setdefault(arg, "")
        else:
            operands.append(arg)
        i += 1
    return operands, opts


def _sed_files(args: list[str]) -> list[str]:
    in_place = any(a == "--in-place" or a.startswith("--in-place=") or re.match(r"^-[a-zA-Z]*i", a)
                   for a in args if a.startswith("-") and a != "--")
    if not in_place:
        return []
    if "-i" in args:  # BSD sed: `-i ''` takes an empty suffix as the next word
        j = args.index("-i")
        if j + 1 < len(args) and args[j + 1] == "":
            args = args[:j + 1] + args[j + 2:]
    operands, opts = _operands("sed", args)
    has_script = any(k in opts for k in ("-e", "-f", "--expression", "--file"))
    return operands if has_script else operands[1:]


def _command_writes(words: list[str]) -> list[tuple[str, str]]:
    """(operation, path) for one simple command's own writes (not its redirections)."""
    while words and (_ASSIGNMENT.match(words[0]) or words[0] in _PREFIXES):
        words = words[1:]
    if not words:
        return []
    name = words[0].rsplit("/", 1)[-1]
    args = words[1:]
    if name == "tee":
        return [("bash:tee", p) for p in _operands("tee", args)[0]]
    if name in ("sed", "gsed"):
        return [("bash:sed -i", p) for p in _sed_files(args)]
    if name in ("rm", "touch", "mv", "cp"):
        operands, opts = _operands(name, args)
        target = opts.get("-t") or opts.get("--target-directory")
        if name == "cp":
            paths = [target] if target else operands[-1:] if len(operands) >= 2 else []
        elif name == "mv":  # sources disappear, the target appears: all are changed
            paths = operands + ([target] if target else [])
            if not target and len(operands) < 2:
                paths = []
        else:
            paths = operands
        return [(f"bash:{name}", p) for p in paths]
    return []


def evident_writes(command: str) -> list[tuple[str, str, str | None]]:
    """[(operation, path, cwd)] for the files `command` evidently writes, in order, each
    path once. `cwd` is the directory of a preceding `cd DIR` in the line (else None)."""
    if not isinstance(command, str) or not command.strip():
        return []
    found: list[tuple[str, str, str | None]] = []
    seen: set[tuple[str, str | None]] = set()
    cwd: str | None = None
    words: list[str] = []
    redirects: list[tuple[str, str]] = []
    tokens = _tokens(_strip_heredocs(command))

    def flush() -> None:
        nonlocal cwd
        if words and words[0] == "cd" and len(words) == 2:
            cwd = words[1] if cwd is None or words[1].startswith(("/", "~")) else cwd + "/" + words[1]
        for op, path in _command_writes(list(words)) + redirects:
            if path and not _SKIP_TARGET.search(path) and (path, cwd) not in seen:
                seen.add((path, cwd))
                found.append((op, path, cwd))
        words.clear()
        redirects.clear()

    i = 0
    while i < len(tokens):
        tok, is_op = tokens[i]
        if is_op and _is_redirect(tok):
            target = tokens[i + 1] if i + 1 < len(tokens) else ("", True)
            # An fd number glued before the operator (`2>`) is not an argument of the command.
            if words and words[-1].isdigit() and not words[-1] == words[0]:
                words.pop()
            if not target[1] and not (tok.endswith("&") and (target[0].isdigit() or target[0] == "-")):
                if tok.startswith("<"):
                    pass  # input (`<`, `<>` aside): read, not written
                else:
                    redirects.append(("bash:append" if ">>" in tok else "bash:redirect", target[0]))
            i += 2
            continue
        if is_op and tok.startswith("<"):
            i += 2  # input redirection or here-document delimiter: its word is not an operand
            continue
        if is_op:
            flush()
        else:
            words.append(tok)
        i += 1
    flush()
    return found

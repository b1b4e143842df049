#!/usr/bin/env python3
"""Claude Code SubagentStop hook: hookledger's dispatcher (all logic lives in lib/hookledger)."""
import os, sys; sys.path.insert(0, os.path.join(os.path.dirname(os.path.realpath(__file__)), "..", "lib"))
from hookledger.handlers import run
run("SubagentStop")

"""The `hrsync` command line."""

import os

# GitPython refuses to import without a git binary, which would make every command (even
# `--help`) a traceback. Quiet, it raises GitCommandNotFound when a command runs git, and the
# CLI turns that into one line (see exits.py). Set before anything here imports git.
os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")

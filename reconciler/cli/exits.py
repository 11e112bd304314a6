"""Exit codes, and the one place where a failure becomes a line on stderr instead of a traceback.

    0   fine
    1   error: one line (or a list of problems) on stderr, nothing half done
    2   changes pending (`plan --detailed-exitcode`, `reviews export --dry-run`)
    64  usage: an unknown option or command, a missing argument, a bad choice (EX_USAGE of
        sysexits.h; click's own 2 would read as "changes pending" to a script)

Domain errors (`HrsyncError`) say what went wrong and what to do. Failures of the machine a
person meets — a file that cannot be read or written, a full disk, a locked or damaged platform
database, no git — are mapped here too. Anything else is a bug and stays a traceback; with `-v`
the mapped failures show theirs as well.
"""

from __future__ import annotations

import errno
import sqlite3
import sys
import traceback

import click

from reconciler import logs
from reconciler.errors import HrsyncError

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_PENDING = 2
EXIT_USAGE = 64

# What a person can do about the commonest OS errors.
_REMEDIES = {
    errno.ENOSPC: "free some space and run it again",
    errno.EDQUOT: "free some space and run it again",
    errno.EACCES: "check the permissions",
    errno.EPERM: "check the permissions",
    errno.EROFS: "the file system is read-only",
}


class HrsyncGroup(click.Group):
    """The root command: usage errors exit 64, failures a person can meet exit 1 with a line."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:  # the root's own options: `hrsync --bogus`
            exc.exit_code = EXIT_USAGE
            raise

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # any subcommand's options, arguments, choices
            exc.exit_code = EXIT_USAGE
            raise
        except HrsyncError as exc:
            _fail(ctx, str(exc), exc)
        except OSError as exc:
            if exc.errno == errno.EPIPE:  # `hrsync plan | head`: click quiets it
                raise
            _fail(ctx, os_error_line(exc), exc)
        except sqlite3.Error as exc:
            # The embedded platform maps these itself (TargetError); this catches other readers
            # of the same file. An error with no known cause is a bug: it stays a traceback.
            from reconciler.targets.sqlite import sqlite_error_line

            line = sqlite_error_line(exc, "the platform database")
            if line is None:
                raise
            _fail(ctx, line, exc)
        except UnicodeDecodeError as exc:
            # Readers that know the file name it themselves (state, policies, configuration);
            # this is the last resort for one that does not: -v shows where it was read.
            byte = exc.object[exc.start : exc.start + 1].hex()
            line = f"a file is not UTF-8 text (byte 0x{byte}); save it as UTF-8 (-v shows which)"
            _fail(ctx, line, exc)
        except MemoryError as exc:
            _fail(ctx, "out of memory", exc)
        except Exception as exc:
            # git is imported only by the commands that need it; if one failed this way, it is.
            git_exc = sys.modules.get("git.exc")
            if git_exc is None or not isinstance(exc, git_exc.GitCommandNotFound):
                raise
            _fail(ctx, "git is not installed or not on PATH; hrsync needs it for this command", exc)


def os_error_line(exc: OSError) -> str:
    """`No space left on device: plan.json; free some space and run it again`."""
    reason = exc.strerror or type(exc).__name__
    names = [str(n) for n in (exc.filename, exc.filename2) if n is not None]
    line = f"{reason}: {' → '.join(names)}" if names else reason
    remedy = _REMEDIES.get(exc.errno)
    return f"{line}; {remedy}" if remedy else line


def _fail(ctx: click.Context, line: str, exc: BaseException) -> None:
    if ctx.find_root().params.get("verbose"):
        trace = "".join(traceback.format_exception(exc)).rstrip()
        click.echo(logs.redacted(trace), err=True)
    click.echo(f"Error: {line}", err=True)
    ctx.exit(EXIT_ERROR)

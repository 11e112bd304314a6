"""Plans as pull-request comments within GitHub's limit (65,536 characters per comment).

A long plan is split at line boundaries into numbered parts, each with its own marker so every
part is edited in place on the next run; a table cut in two repeats its header in the next
part, so each part renders on its own. Parts left over from a longer plan are emptied.
"""

from __future__ import annotations

COMMENT_LIMIT = 65_536
PART_BUDGET = 60_000  # room for the part's header and GitHub's counting of multi-byte text


def part_marker(prefix: str, number: int) -> str:
    return f"<!-- {prefix}:{number} -->"


def split_comment(body: str, prefix: str, budget: int = PART_BUDGET) -> list[str]:
    """The comment bodies for `body`: one when it fits, else numbered parts that each fit."""
    if len(body) <= budget:
        return [f"{part_marker(prefix, 1)}\n{body}"]
    parts: list[list[str]] = [[]]
    size = 0
    table_header: list[str] = []
    lines = body.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("|") and index + 1 < len(lines) and lines[index + 1].startswith("|-"):
            table_header = [line, lines[index + 1]]
        elif not line.startswith("|"):
            table_header = []
        line = line if len(line) < budget // 2 else line[: budget // 2] + " …"
        if size + len(line) + 1 > budget and parts[-1]:
            carried = table_header if line.startswith("|") and table_header else []
            if line in carried:
                carried = []
            parts.append(list(carried))
            size = sum(len(c) + 1 for c in carried)
        parts[-1].append(line)
        size += len(line) + 1
    total = len(parts)
    return [
        f"{part_marker(prefix, n)}\n**hrsync plan, part {n} of {total}**\n\n" + "\n".join(part)
        for n, part in enumerate(parts, 1)
    ]

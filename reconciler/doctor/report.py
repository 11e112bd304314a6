"""What `hrsync doctor` found: one `Check` per thing a night needs, and the report of them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

OK, WARN, ERROR, SKIP = "ok", "warn", "error", "skip"


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # ok | warn | error | skip
    detail: str
    fix: str | None = None

    def data(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class Report:
    root: Path
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(check.status != ERROR for check in self.checks)

    @property
    def errors(self) -> list[Check]:
        return [check for check in self.checks if check.status == ERROR]

    def data(self) -> dict:
        return {"ok": self.ok, "root": str(self.root), "checks": [c.data() for c in self.checks]}

    def text(self) -> str:
        width = max(len(check.name) for check in self.checks)
        lines = [f"hrsync doctor: {self.root}", ""]
        for check in self.checks:
            label = "ERROR" if check.status == ERROR else check.status
            lines.append(f"  {label:5}  {check.name:{width}}  {check.detail}")
            if check.fix and check.status in (ERROR, WARN):
                lines.append(f"  {'':5}  {'':{width}}  fix: {check.fix}")
        lines.append("")
        if self.ok:
            lines.append(f"All {len(self.checks)} checks pass: this deployment can run.")
        else:
            count = len(self.errors)
            lines.append(
                f"{count} check{'s' if count > 1 else ''} failed: fix "
                f"{'them' if count > 1 else 'it'} and run `hrsync doctor` again."
            )
        return "\n".join(lines) + "\n"

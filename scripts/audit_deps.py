"""Audit the installed Python packages for known vulnerabilities with pip-audit (run by `make test`).

Fails on a known vulnerability. When no advisory database can be reached (offline CI, or a registry mirror
without PyPI's JSON API) it says so loudly and passes: pip-audit's HTTP cache under var/pip-audit-cache is used
when present, and the run never fails CI because of the network. Ignore an advisory only with a reason, one per
line in scripts/pip-audit-ignore.txt ("ID  # why").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = Path(__file__).with_name("pip-audit-ignore.txt")
WARN = "\033[1;33mWARNING\033[0m"


def main() -> int:
    ignored = []
    if IGNORE_FILE.is_file():
        entries = (line.split("#")[0].strip() for line in IGNORE_FILE.read_text().splitlines())
        ignored = [entry for entry in entries if entry]
    command = [
        sys.executable, "-m", "pip_audit", "--format", "json", "--progress-spinner", "off", "--skip-editable",
        "--vulnerability-service", "pypi", "--cache-dir", str(ROOT / "var" / "pip-audit-cache"),
        *[arg for vuln in ignored for arg in ("--ignore-vuln", vuln)],
    ]  # fmt: skip
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        report = json.loads(run.stdout or "{}")
    except (subprocess.TimeoutExpired, json.JSONDecodeError, OSError) as exc:
        print(f"{WARN} pip-audit did not run ({type(exc).__name__}); dependencies NOT audited", file=sys.stderr)
        return 0
    deps = report.get("dependencies", [])
    audited = [d for d in deps if "skip_reason" not in d]
    vulnerable = [d for d in audited if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"VULNERABLE {dep['name']} {dep['version']}: {ids}", file=sys.stderr)
    if vulnerable:
        return 1
    if not audited:
        print(
            f"{WARN} pip-audit reached no advisory database (0 of {len(deps)} packages audited: no network to "
            "PyPI's JSON API and no cache); dependencies NOT audited on this run",
            file=sys.stderr,
        )
        return 0
    skipped = len(deps) - len(audited)
    note = f" ({skipped} not auditable)" if skipped else ""
    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities{note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

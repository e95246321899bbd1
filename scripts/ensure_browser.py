"""Make sure Debian's `chromium` is installed, so the console's browser tests run (also in CI).

The end-to-end tests drive a real headless Chromium through Playwright's Python API with
`executable_path`, never Playwright's own downloaded browsers: the project installs the browser
from the distribution's packages, like any other system dependency. Run it as root (CI is):

    python -m scripts.ensure_browser          # install if missing
    python -m scripts.ensure_browser --check  # only report; exit 1 if missing

It prints every command it runs and exits non-zero with a clear message if it cannot install.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
PACKAGE = "chromium"


def installed(path: Path | None = None) -> bool:
    """True when the browser binary (default /usr/bin/chromium) exists and is executable."""
    path = path or CHROMIUM
    return path.is_file() and os.access(path, os.X_OK)


def _run(command: list[str]) -> int:
    """Run one command, echoing it first; its exit code."""
    print("+ " + " ".join(command), flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    return subprocess.run(command, env=env, check=False).returncode


def install(path: Path | None = None) -> str | None:
    """Install the distribution's chromium package; None on success, else why it failed."""
    path = path or CHROMIUM
    if shutil.which("apt-get") is None:
        return "apt-get is not available: install the 'chromium' package with your system's package manager"
    if os.geteuid() != 0:
        return f"not running as root: run `sudo apt-get update && sudo apt-get install -y {PACKAGE}`"
    if _run(["apt-get", "update"]) != 0:
        return "`apt-get update` failed (no network or no package sources?)"
    if _run(["apt-get", "install", "-y", "--no-install-recommends", PACKAGE]) != 0:
        return f"`apt-get install -y {PACKAGE}` failed"
    if not installed(path):
        return f"{PACKAGE} was installed but {path} is still missing"
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Check for the browser and install it if missing (unless --check); the exit code."""
    parser = argparse.ArgumentParser(prog="ensure_browser", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; exit 1 if the browser is missing")
    args = parser.parse_args(argv)
    if installed():
        print(f"ensure_browser: {CHROMIUM} is present")
        return 0
    if args.check:
        print(f"ensure_browser: {CHROMIUM} is missing", file=sys.stderr)
        return 1
    print(f"ensure_browser: {CHROMIUM} is missing; installing Debian's '{PACKAGE}' package")
    problem = install()
    if problem is not None:
        print(f"ensure_browser: cannot install the browser: {problem}", file=sys.stderr)
        return 1
    print(f"ensure_browser: installed {CHROMIUM}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

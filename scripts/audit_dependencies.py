"""Known vulnerabilities in the installed Python packages, from PyPI's advisory data.

pip-audit asks PyPI's per-version JSON API or OSV; where neither answers (a proxy that only
serves each project's main JSON page), this asks what does answer: for each installed
distribution, PyPI's project page gives the latest release and the advisories (from the
Python Packaging Advisory Database and OSV) that affect it. A package at its latest release
is then checked exactly; one behind it is listed as not checked, to be upgraded or looked up
by hand.

    python scripts/audit_dependencies.py [--json OUT]   # exit 1 if anything is vulnerable
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from concurrent.futures import ThreadPoolExecutor
from importlib import metadata
from pathlib import Path

import httpx
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI = "https://pypi.org/pypi/{name}/json"


def installed() -> dict[str, str]:
    """Name -> version of every installed distribution, but those installed from a local
    folder (this project itself: a PyPI project of the same name is someone else's)."""
    found = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        origin = json.loads(dist.read_text("direct_url.json") or "{}")
        if name and "dir_info" not in origin:
            found[canonicalize_name(name)] = dist.version
    return found


def newest_for_this_python(releases: dict[str, list[dict]]) -> Version | None:
    """The newest final, unyanked release with a file this Python may install."""
    python = Version(platform.python_version())

    def admits(spec: str | None) -> bool:
        try:
            return spec is None or python in SpecifierSet(spec)
        except InvalidSpecifier:
            return False

    newest = None
    for text, files in releases.items():
        try:
            version = Version(text)
        except InvalidVersion:
            continue
        usable = [f for f in files if not f.get("yanked") and admits(f.get("requires_python"))]
        if usable and not version.is_prerelease and (newest is None or version > newest):
            newest = version
    return newest


def check(client: httpx.Client, name: str, version: str) -> dict:
    row = {"name": name, "installed": version}
    try:
        r = client.get(PYPI.format(name=name))
    except httpx.HTTPError as exc:
        return row | {"status": "not checked", "why": f"PyPI unreachable: {exc}"}
    if r.status_code != 200:
        return row | {"status": "not checked", "why": f"not on PyPI ({r.status_code})"}
    data = r.json()
    latest = data["info"]["version"]
    advisories = [
        {"id": v["id"], "aliases": v.get("aliases", []), "fixed_in": v.get("fixed_in", [])}
        for v in data.get("vulnerabilities") or []
    ]
    row |= {"latest": latest, "advisories_on_latest": advisories}
    ours = Version(version)
    if ours == Version(latest):
        row["status"] = "vulnerable" if advisories else "clean"
    elif ours > Version(latest):
        row |= {"status": "not checked", "why": "newer than PyPI's latest (local build)"}
    elif ours == newest_for_this_python(data.get("releases", {})):
        why = f"newest release for Python {platform.python_version()}; later ones need another"
        row |= {"status": "not checked", "why": why}
    else:
        row |= {"status": "not checked", "why": "behind the latest release"}
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--json", type=Path, help="write every row here")
    args = ap.parse_args()
    packages = installed()
    with httpx.Client(timeout=30, follow_redirects=True) as client, ThreadPoolExecutor(8) as pool:
        rows = list(pool.map(lambda kv: check(client, *kv), sorted(packages.items())))
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
        if row["status"] != "clean":
            extra = row.get("why") or ", ".join(a["id"] for a in row["advisories_on_latest"])
            print(f"{row['status']:12} {row['name']} {row['installed']} "
                  f"(latest {row.get('latest', '?')}): {extra}")  # fmt: skip
    print(json.dumps({"packages": len(rows), **counts}))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")
    return 1 if counts.get("vulnerable") else 0


if __name__ == "__main__":
    sys.exit(main())

"""A Go module proxy."""

from __future__ import annotations

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import first_repository
from globallm_assets.sources.base import NotFoundError
from globallm_assets.sources.registries.http import HttpRegistry, parse_time


def _go_escape(path: str) -> str:
    """The module proxy protocol's case encoding: ``Azure`` → ``!azure``."""
    return "".join(f"!{c.lower()}" if c.isupper() else c for c in path)


def parse_go_mod_requires(text: str) -> list[str]:
    """Module paths of the direct ``require`` lines of a go.mod (``// indirect`` ones skipped)."""
    modules: list[str] = []
    block: str | None = None
    for raw in text.splitlines():
        code, _, comment = raw.partition("//")
        indirect = comment.strip().startswith("indirect")
        line = code.strip()
        if not line:
            continue
        if block is not None:
            if line == ")":
                block = None
                continue
            fields = line.split() if block == "require" else []
        else:
            verb, _, rest = line.replace("(", " ( ", 1).partition(" ")
            rest = rest.strip()
            if rest == "(":
                block = verb
                continue
            fields = rest.split() if verb == "require" else []
        if len(fields) >= 2 and not indirect:
            modules.append(fields[0].strip('"`'))
    return list(dict.fromkeys(modules))


class GoProxy(HttpRegistry):
    """A Go module proxy (``{base}/{module}/@latest`` and ``/@v/{version}.mod``).

    Package names are module paths. Dependencies are the direct requirements of the latest
    version's go.mod; the proxy has no description or readme. The repository comes from the
    ``Origin`` the proxy reports, else from a module path on GitHub; vanity import paths whose
    proxy answer carries no origin get none.
    """

    ecosystem = "go"

    def package(self, name: str) -> PackageRecord:
        module = f"{self.base_url}/{_go_escape(name)}"
        latest = self._get_json(f"{module}/@latest", name)
        version = latest.get("Version") if isinstance(latest, dict) else None
        if not version:
            raise NotFoundError(f"go package {name!r} not found (no version)")
        go_mod = self._get(f"{module}/@v/{_go_escape(version)}.mod", name).text
        origin = latest.get("Origin")
        origin = origin if isinstance(origin, dict) else {}
        return PackageRecord(
            ecosystem=self.ecosystem,
            name=name,
            version=version,
            repository=first_repository([origin.get("URL"), f"https://{name}"]),
            latest_release_at=parse_time(latest.get("Time")),
            dependencies=parse_go_mod_requires(go_mod),
        )

"""Package indexes of the simulated world: exact answers, and enumerable (a closed world)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from globallm_assets.core.models import PackageRecord
from globallm_assets.core.packages import canonical_name
from globallm_assets.sources.base import NotFoundError


class SimulatedPackageIndex:
    """The ``PackageIndex`` view of one simulated ecosystem."""

    def __init__(self, ecosystem: str, records: dict[str, PackageRecord]) -> None:
        self.ecosystem = ecosystem
        self._records = records
        self._lookup = {self._key(name): name for name in records}

    def _key(self, name: str) -> str:
        # Spellings a real registry treats as one (the Python index folds case and -_.).
        return canonical_name(self.ecosystem, name)

    def package(self, name: str) -> PackageRecord:
        canonical = self._lookup.get(self._key(name))
        if canonical is None:
            raise NotFoundError(f"package {name!r} not found in simulated {self.ecosystem}")
        return self._records[canonical].model_copy(deep=True)

    def packages(self, names: Iterable[str]) -> Iterator[PackageRecord]:
        for name in names:
            canonical = self._lookup.get(self._key(name))
            if canonical is not None:
                yield self._records[canonical].model_copy(deep=True)

    def all_packages(self) -> list[PackageRecord]:
        """Every package: a closed world can be enumerated, unlike a real registry."""
        return list(self.packages(list(self._records)))

    def __repr__(self) -> str:
        return f"SimulatedPackageIndex({self.ecosystem!r}, {len(self._records)} packages)"

"""Registries of the things gpurg grows by (models, RG maps, MI estimators): classes by name,
filled by the classes themselves, so that adding one is one new module.

A registry belongs to a package; at its first look-up it imports every module of that package,
whose classes then register (by a decorator or ``__init_subclass__``), so nothing lists them
by hand::

    MAPS = Registry("RG map", "gpurg.rg")

    class RGMap:
        def __init_subclass__(cls, **kwargs):
            super().__init_subclass__(**kwargs)
            if "spec" in cls.__dict__:
                MAPS.add(cls.spec, cls)

    MAPS["majority"]     # imports gpurg.rg's modules once, then looks up
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Generic, TypeVar

from gpurg.errors import InputError

T = TypeVar("T")


class Registry(Mapping[str, T], Generic[T]):
    """A read-only mapping name -> class, discovered from a package's modules.

    Parameters
    ----------
    kind : str
        What the entries are, for messages ("model", "RG map", "MI estimator").
    package : str
        The package whose modules are imported at the first look-up.
    """

    def __init__(self, kind: str, package: str) -> None:
        self.kind = kind
        self.package = package
        self._entries: dict[str, T] = {}
        self._discovered = False

    def add(self, name: str, entry: T) -> None:
        """Register ``entry`` under ``name``. Another entry under a known name is an error (a
        typo that would silently replace one); the same entry again is allowed."""
        known = self._entries.get(name)
        if known is not None and known is not entry:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._entries[name] = entry

    def remove(self, name: str) -> None:
        """Take ``name`` out (a test's temporary entry)."""
        del self._entries[name]

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True  # first: a module imported below may look up the registry
        package = importlib.import_module(self.package)
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{self.package}.{module.name}")

    def __getitem__(self, name: str) -> T:
        self._discover()
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        self._discover()
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        self._discover()
        return len(self._entries)

    def lookup(self, name: object) -> T:
        """The entry ``name``, or InputError naming the known ones."""
        if not isinstance(name, str) or name not in self:
            raise InputError(f"unknown {self.kind} {name!r}; known: {', '.join(self)}")
        return self[name]

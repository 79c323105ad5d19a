"""One generic backend registry, used by every backend kind (embedders, indexes, stores, ...).

A backend is described by a :class:`BackendSpec`: a name, aliases, a priority (higher is preferred
by ``auto``), the Python modules it needs (checked without importing them, so listing backends stays
cheap) and a factory that builds an instance.

Built-in backends are declared in ragyard's own ``pyproject.toml`` under the entry-point group
``ragyard.<kind>``, exactly as a third-party plugin declares its own. An entry point may point at a
:class:`BackendSpec` or at any callable (a class or factory function); a bare callable is wrapped in a
spec named after the entry point.

Contract:
- ``create("auto")`` returns an instance of the best available backend (highest priority first) and
  logs, for every backend it skipped, why.
- an unknown name raises :class:`~ragyard.errors.UnknownBackendError` listing the available names.
- a known but unavailable backend raises :class:`~ragyard.errors.BackendUnavailableError` naming the
  missing module and the pip extra that installs it.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from .errors import BackendUnavailableError, ConfigurationError, UnknownBackendError

logger = logging.getLogger(__name__)

AUTO = "auto"


@dataclass
class BackendSpec:
    """Description of one backend.

    ``factory`` is a callable or a ``"module:attribute"`` string imported on first use.
    ``requires`` lists importable module names that must be present; ``check`` is an optional extra
    probe that raises (any exception) when the backend cannot run, its message becoming the reason.
    """

    name: str
    factory: Callable[..., Any] | str
    aliases: tuple[str, ...] = ()
    priority: int = 0
    description: str = ""
    requires: tuple[str, ...] = ()
    extra: str | None = None
    check: Callable[[], Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)

    def unavailable_reason(self) -> str | None:
        """Why this backend cannot run here, or None when it can."""
        for module in self.requires:
            try:
                found = importlib.util.find_spec(module) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                hint = f" (pip install 'ragyard[{self.extra}]')" if self.extra else ""
                return f"module {module!r} is not installed{hint}"
        if self.check is not None:
            try:
                self.check()
            except Exception as exc:  # any failure of the probe makes the backend unavailable
                return str(exc) or exc.__class__.__name__
        return None

    def load_factory(self) -> Callable[..., Any]:
        """Resolve ``factory`` to a callable (importing it when given as a string)."""
        if callable(self.factory):
            return self.factory
        module_name, _, attr = self.factory.partition(":")
        module = importlib.import_module(module_name)
        obj: Any = module
        for part in attr.split("."):
            obj = getattr(obj, part)
        self.factory = obj
        return obj


class Registry:
    """Backends of one kind, by name.

    ``kind`` is used in messages; ``group`` is the entry-point group scanned on first use
    (default ``ragyard.<kind>``).
    """

    def __init__(self, kind: str, group: str | None = None):
        self.kind = kind
        self.group = group if group is not None else f"ragyard.{kind}"
        self._specs: dict[str, BackendSpec] = {}
        self._aliases: dict[str, str] = {}
        self._discovered = False
        self._lock = threading.RLock()

    # -- registration -------------------------------------------------------------------------
    def register(
        self,
        name: str | BackendSpec,
        factory: Callable[..., Any] | str | None = None,
        *,
        aliases: Iterable[str] = (),
        priority: int = 0,
        description: str = "",
        requires: Iterable[str] = (),
        extra: str | None = None,
        check: Callable[[], Any] | None = None,
        replace: bool = True,
        **metadata: Any,
    ) -> BackendSpec:
        """Register a backend (or a ready :class:`BackendSpec`) and return its spec.

        Names and aliases are case-insensitive. Registering a name again replaces the earlier entry
        unless ``replace=False``, which raises :class:`ConfigurationError` instead.
        """
        if isinstance(name, BackendSpec):
            spec = name
        else:
            if factory is None:
                raise ConfigurationError(f"register({name!r}) needs a factory")
            spec = BackendSpec(
                name=name,
                factory=factory,
                aliases=tuple(aliases),
                priority=priority,
                description=description,
                requires=tuple(requires),
                extra=extra,
                check=check,
                metadata=dict(metadata),
            )
        key = spec.name.lower()
        with self._lock:
            if key in self._specs and not replace:
                raise ConfigurationError(f"{self.kind} backend {spec.name!r} is registered already")
            old = self._specs.get(key)
            if old is not None:
                for alias in old.aliases:
                    self._aliases.pop(alias.lower(), None)
            self._specs[key] = spec
            for alias in spec.aliases:
                self._aliases[alias.lower()] = key
        return spec

    def unregister(self, name: str) -> None:
        """Remove a backend by name or alias (no error when it is not registered)."""
        with self._lock:
            key = self._resolve_key(name)
            if key is None:
                return
            spec = self._specs.pop(key)
            for alias in spec.aliases:
                self._aliases.pop(alias.lower(), None)

    def discover(self, *, force: bool = False) -> None:
        """Load the entry points of this registry's group (once, unless ``force``)."""
        with self._lock:
            if self._discovered and not force:
                return
            self._discovered = True
            for ep in entry_points(group=self.group):
                if ep.name.lower() in self._specs and not force:
                    continue
                try:
                    obj = ep.load()
                except Exception as exc:
                    logger.warning("could not load %s plugin %r (%s): %s", self.kind, ep.name, ep.value, exc)
                    continue
                if isinstance(obj, BackendSpec):
                    self.register(obj)
                elif callable(obj):
                    self.register(ep.name, obj, description=(obj.__doc__ or "").strip().split("\n")[0])
                else:
                    logger.warning("%s plugin %r is neither a BackendSpec nor callable", self.kind, ep.name)

    # -- lookup -------------------------------------------------------------------------------
    def _resolve_key(self, name: str) -> str | None:
        key = name.lower()
        if key in self._specs:
            return key
        return self._aliases.get(key)

    def names(self) -> list[str]:
        """Every registered backend name, best (highest priority) first."""
        self.discover()
        specs = sorted(self._specs.values(), key=lambda s: (-s.priority, s.name))
        return [s.name for s in specs]

    def get(self, name: str) -> BackendSpec:
        """The spec registered under ``name`` or one of its aliases."""
        self.discover()
        key = self._resolve_key(name)
        if key is None:
            raise UnknownBackendError(self.kind, name, self.names())
        return self._specs[key]

    def __contains__(self, name: object) -> bool:
        self.discover()
        return isinstance(name, str) and self._resolve_key(name) is not None

    def is_available(self, name: str) -> bool:
        """True when the backend is registered and can run here."""
        return self.get(name).unavailable_reason() is None

    def list_backends(self, available_only: bool = False) -> list[str]:
        """Backend names, best first; with ``available_only`` only those that can run here."""
        names = self.names()
        if available_only:
            names = [n for n in names if self._specs[n.lower()].unavailable_reason() is None]
        return names

    def get_backend_info(self, name: str | None = None) -> dict[str, Any] | list[dict[str, Any]]:
        """A dict describing one backend, or a list of them for every backend when ``name`` is None.

        Keys: name, kind, aliases, priority, available, reason (None when available), description,
        extra, requires.
        """
        if name is None:
            return [self._info(self._specs[n.lower()]) for n in self.names()]
        return self._info(self.get(name))

    def _info(self, spec: BackendSpec) -> dict[str, Any]:
        reason = spec.unavailable_reason()
        return {
            "name": spec.name,
            "kind": self.kind,
            "aliases": list(spec.aliases),
            "priority": spec.priority,
            "available": reason is None,
            "reason": reason,
            "description": spec.description,
            "extra": spec.extra,
            "requires": list(spec.requires),
            **spec.metadata,
        }

    def best_available(self) -> BackendSpec:
        """The highest-priority backend that can run here; logs why each better one was skipped."""
        reasons: list[str] = []
        for name in self.names():
            spec = self._specs[name.lower()]
            reason = spec.unavailable_reason()
            if reason is None:
                return spec
            logger.info("%s backend %r skipped: %s", self.kind, spec.name, reason)
            reasons.append(f"{spec.name}: {reason}")
        raise BackendUnavailableError(
            f"no {self.kind} backend is available ({'; '.join(reasons) or 'none registered'})"
        )

    def resolve_name(self, name: str = AUTO) -> str:
        """The canonical backend name for ``name`` (``auto`` resolves to the best available)."""
        if name.lower() == AUTO:
            return self.best_available().name
        return self.get(name).name

    def create(self, name: str = AUTO, /, **kwargs: Any) -> Any:
        """Build an instance of backend ``name`` (or the best available one for ``auto``).

        With ``auto``, a backend whose factory raises ``ImportError`` (which includes
        :class:`BackendUnavailableError`) is skipped with a logged reason and the next one is tried.
        """
        if name.lower() != AUTO:
            spec = self.get(name)
            reason = spec.unavailable_reason()
            if reason is not None:
                raise BackendUnavailableError(f"{self.kind} backend {spec.name!r} is unavailable: {reason}")
            return spec.load_factory()(**kwargs)
        reasons: list[str] = []
        for candidate in self.names():
            spec = self._specs[candidate.lower()]
            reason = spec.unavailable_reason()
            if reason is None:
                try:
                    instance = spec.load_factory()(**kwargs)
                except ImportError as exc:
                    reason = str(exc)
                else:
                    logger.info("%s backend: using %r", self.kind, spec.name)
                    return instance
            logger.info("%s backend %r skipped: %s", self.kind, spec.name, reason)
            reasons.append(f"{spec.name}: {reason}")
        raise BackendUnavailableError(
            f"no {self.kind} backend is available ({'; '.join(reasons) or 'none registered'})"
        )


_REGISTRIES: dict[str, Registry] = {}
_REG_LOCK = threading.Lock()


def get_registry(kind: str) -> Registry:
    """The process-wide registry for a backend kind (created on first use)."""
    with _REG_LOCK:
        reg = _REGISTRIES.get(kind)
        if reg is None:
            reg = _REGISTRIES[kind] = Registry(kind)
        return reg


def registered_kinds() -> list[str]:
    """Kinds that have a registry, including every ``ragyard.*`` entry-point group installed."""
    kinds = set(_REGISTRIES)
    for group in entry_points().groups:
        if group.startswith("ragyard."):
            kinds.add(group.split(".", 1)[1])
    return sorted(kinds)


__all__ = ["AUTO", "BackendSpec", "Registry", "get_registry", "registered_kinds"]

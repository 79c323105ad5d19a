"""The generic registry: names, aliases, priority, entry points, auto with logged fallback, errors."""

from __future__ import annotations

import logging

import pytest

from ragyard.errors import BackendUnavailableError, ConfigurationError, UnknownBackendError
from ragyard.registry import BackendSpec, Registry, get_registry, registered_kinds


class Thing:
    def __init__(self, size: int = 1, label: str = "x"):
        self.size = size
        self.label = label


def broken_factory(**_: object) -> Thing:
    raise ImportError("library import failed at runtime")


@pytest.fixture
def reg() -> Registry:
    r = Registry("things", group="ragyard.tests-none")
    r.register("basic", Thing, aliases=("plain",), priority=0, description="always there")
    r.register("fancy", Thing, priority=50, requires=("module_that_does_not_exist_xyz",), extra="fancy")
    r.register("fragile", broken_factory, priority=40)
    return r


def test_names_best_first_and_aliases(reg) -> None:
    assert reg.names() == ["fancy", "fragile", "basic"]
    assert reg.get("PLAIN").name == "basic"
    assert "plain" in reg and "nope" not in reg
    assert isinstance(reg.create("plain", size=3), Thing)
    assert reg.list_backends(available_only=True) == ["fragile", "basic"]


def test_unknown_name_lists_available(reg) -> None:
    with pytest.raises(UnknownBackendError) as exc:
        reg.create("quantum")
    assert "available: basic, fancy, fragile" in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_unavailable_backend_names_the_extra(reg) -> None:
    info = reg.get_backend_info("fancy")
    assert info["available"] is False and "module_that_does_not_exist_xyz" in info["reason"]
    assert "ragyard[fancy]" in info["reason"]
    with pytest.raises(BackendUnavailableError) as exc:
        reg.create("fancy")
    assert isinstance(exc.value, ImportError)


def test_auto_falls_back_with_logged_reasons(reg, caplog) -> None:
    with caplog.at_level(logging.INFO, logger="ragyard.registry"):
        thing = reg.create("auto", size=7)
    assert isinstance(thing, Thing) and thing.size == 7
    text = caplog.text
    assert "'fancy' skipped" in text and "module_that_does_not_exist_xyz" in text
    assert "'fragile' skipped" in text and "library import failed" in text
    assert "using 'basic'" in text


def test_auto_with_nothing_available() -> None:
    r = Registry("empty", group="ragyard.tests-none")
    with pytest.raises(BackendUnavailableError):
        r.create("auto")
    r.register("gone", Thing, requires=("nope_nope_nope",))
    with pytest.raises(BackendUnavailableError, match="gone"):
        r.best_available()


def test_replace_and_unregister(reg) -> None:
    with pytest.raises(ConfigurationError):
        reg.register("basic", Thing, replace=False)
    reg.register(BackendSpec(name="basic", factory=Thing, aliases=("simple",)))
    assert reg.get("simple").name == "basic"
    with pytest.raises(UnknownBackendError):
        reg.get("plain")  # the old alias went with the old spec
    reg.unregister("simple")
    assert "basic" not in reg


def test_string_factory_is_imported_lazily() -> None:
    r = Registry("lazy", group="ragyard.tests-none")
    r.register("od", "collections:OrderedDict")
    assert r.create("od").__class__.__name__ == "OrderedDict"


def test_builtins_come_from_entry_points() -> None:
    assert {"embedders", "indexes", "stores"} <= set(registered_kinds())
    assert {"hashing", "sentence"} <= set(get_registry("embedders").names())
    assert {"exact", "hnsw", "faiss"} <= set(get_registry("indexes").names())
    assert "sqlite" in get_registry("stores").names()
    info = get_registry("embedders").get_backend_info()
    assert all({"name", "available", "reason", "priority", "aliases"} <= set(row) for row in info)

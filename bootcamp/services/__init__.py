"""Local services, found by name.

Every module in this package that defines a `Service` subclass with a `name` is a service: adding a
service is adding a module, with no registry to edit.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache

from bootcamp.errors import BootcampError
from bootcamp.services.base import Service


@cache
def all_services() -> dict[str, type[Service]]:
    """Every service class in this package, by name, in a stable order."""
    found: dict[str, type[Service]] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name == "base":
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Service) and cls is not Service and not inspect.isabstract(cls) \
                    and cls.__module__ == module.__name__:
                found[cls.name] = cls
    return dict(sorted(found.items()))


def get_service(name: str) -> Service:
    """An instance of the service called `name`; a clear error for an unknown name."""
    services = all_services()
    if name not in services:
        raise BootcampError(f"unknown service {name!r}", hint=f"known: {', '.join(services)}")
    return services[name]()

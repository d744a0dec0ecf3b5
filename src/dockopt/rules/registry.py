"""The rule registry: every module ``dockopt/rules/doNNN_*.py`` defines one rule; found here once."""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from dockopt.rules.base import Rule


@lru_cache(maxsize=1)
def all_rules() -> dict[str, type[Rule]]:
    """Rule id -> rule class, in id order."""
    import dockopt.rules as package

    found: dict[str, type[Rule]] = {}
    for module_info in pkgutil.iter_modules(package.__path__):
        if not module_info.name.startswith("do"):
            continue
        module = importlib.import_module(f"dockopt.rules.{module_info.name}")
        for value in vars(module).values():
            defined_here = isinstance(value, type) and value.__module__ == module.__name__
            if defined_here and issubclass(value, Rule) and value is not Rule:
                if value.id in found:
                    raise RuntimeError(f"rule id {value.id} defined twice")
                found[value.id] = value
    return dict(sorted(found.items()))


def get_rule(rule_id: str) -> type[Rule] | None:
    return all_rules().get(rule_id.upper())

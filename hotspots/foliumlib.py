"""folium, imported with its templates compiled when first drawn instead of at import.

folium and branca build a ``jinja2.Template`` for each of their ~220 element classes when their
modules are imported (about 0.2 s of CPU here), though a hotspot map draws a dozen of them.
While this module imports them, ``jinja2.Template(...)`` returns a stand-in that compiles the
real template on its first use (``render``, ``module``) and hands everything to it from then on,
so each class's template is compiled at most once per process, and only if drawn. Templates made
after the import (e.g. branca's ``Element(template=...)``) are ordinary ones.

If folium was imported before this module (by another room), nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import jinja2


class _DeferredTemplate:
    """A ``jinja2.Template`` (or subclass) not compiled until an attribute is first asked for."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, cls: type[jinja2.Template], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self._args = (cls, args, kwargs)
        self._compiled: jinja2.Template | None = None

    def __getattr__(self, name: str) -> Any:
        compiled = self._compiled
        if compiled is None:
            cls, args, kwargs = self._args
            compiled = self._compiled = _REAL_NEW(cls, *args, **kwargs)
        return getattr(compiled, name)


_REAL_NEW = jinja2.Template.__new__


@contextmanager
def _deferred_templates() -> Iterator[None]:
    def deferred_new(cls: type[jinja2.Template], *args: Any, **kwargs: Any) -> Any:
        return _DeferredTemplate(cls, args, kwargs)

    jinja2.Template.__new__ = deferred_new  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        jinja2.Template.__new__ = _REAL_NEW  # type: ignore[method-assign]


with _deferred_templates():
    import folium as folium
    import folium.plugins as plugins

__all__ = ["folium", "plugins"]

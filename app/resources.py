"""Where static/, templates/ and the bundled models live, in a checkout and in an installed wheel.

The wheel maps the top-level folders into the package (pyproject's `force-include`): app/static,
app/templates, app/models. A checkout has them beside app/.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """The folder `name` ("static", "templates" or "models"), inside the package when installed."""
    inside = _PACKAGE / name
    return inside if inside.is_dir() else _PACKAGE.parent / name

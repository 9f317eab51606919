"""Lambda entry point of the staff console (``GET /console``, ``/console/{page}``, ``.../{item}``).

Static files only, no authorizer: the page shell, its scripts and style, and Swagger UI's page
(``shared/console.py``). Every datum a page shows comes from the API with the session cookie. A plain
handler, not a resolver: its cold start is reading the few files below once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shared.console import ConsoleSite

site = ConsoleSite.load(Path(__file__).resolve().parent / "static")  # read once, during init


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return site.answer(event)

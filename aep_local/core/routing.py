"""Services and their routes: what the `App` dispatches to.

A service is a base path (Adobe's: `/data/foundation/schemaregistry`), the routes under it (a
method and a template such as `/tenant/schemas/{id}`), and how it renders a refusal. Templates
are what the request log, the counters and the fault settings name; each service's carry its
own prefix there (Flow Service's none, so `/connections/{id}` stays as it was).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .errors import Refusal
from .gateway import Caller
from .http import Request, Response

Action = Callable[[Request, Caller, dict[str, str]], Response]
ANY_METHOD = "*"


@dataclass(frozen=True)
class Route:
    method: str        # an HTTP method, or ANY_METHOD
    template: str      # below the service's base, `{name}` for a path segment
    action: Action


@dataclass
class Service:
    """One AEP service behind the shared gateway."""

    name: str
    base: str                                        # the path prefix Adobe serves it under
    log_prefix: str                                  # what the log's templates start with
    render: Callable[[Refusal, str], dict[str, Any]]  # a refusal as this service's problem body
    routes: list[Route]
    gateway: bool = True                              # IMS is reached without a token
    _patterns: list[tuple[str, re.Pattern[str]]] = field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        seen: list[str] = []
        for route in self.routes:
            if route.template not in seen:
                seen.append(route.template)
        self._patterns = [(t, _pattern(self.base + t)) for t in seen]

    def match(self, method: str, path: str) -> tuple[str, Route | None, dict[str, str]] | None:
        """(template, route or None when the method is not served there, path parameters), or None
        when no template of this service matches the path."""
        first: tuple[str, dict[str, str]] | None = None
        for template, pattern in self._patterns:
            found = pattern.match(path)
            if not found:
                continue
            params = {k: unquote(v) for k, v in found.groupdict().items()}
            for route in self.routes:
                if route.template == template and route.method in (method, ANY_METHOD):
                    return template, route, params
            first = first or (template, params)
        return (first[0], None, first[1]) if first else None

    def methods(self, template: str) -> list[str]:
        return sorted({r.method for r in self.routes if r.template == template})


def _pattern(template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{([A-Za-z_]+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
    return re.compile(f"^{regex}/?$")

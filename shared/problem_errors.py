"""A problem an HTTP function answers with, as an exception: raised by the API's routes and services'
callers, and by the hooks function, which answers webhooks without the API's resolver.

Without Powertools' event handler (the resolver and its OpenAPI machinery are the API's alone), so the
hooks function can build its answers from here and ``shared/problems.py`` at a fraction of the cost.
"""

from __future__ import annotations

from typing import Any

from shared.models.common import FieldError, Problem
from shared.problems import (
    BUSY,
    INTERNAL,
    NO_SUCH_ROUTE,
    UNSUPPORTED_MEDIA_TYPE,
    StandardProblem,
    problem_body,
    problem_type,
)


class ProblemError(Exception):
    """Raise from a route to answer with a problem."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    @classmethod
    def of(cls, problem: StandardProblem, detail: str | None = None, **kwargs: Any) -> ProblemError:
        """``problem`` (shared/problems.py), with this time's ``detail`` if it says more than the usual."""
        return cls(problem.status, problem.slug, problem.title, detail or problem.detail, **kwargs)

    def problem(self, instance: str | None = None) -> Problem:
        return Problem(
            type=problem_type(self.slug),
            title=self.title,
            status=self.status,
            detail=self.detail,
            instance=instance,
            errors=self.errors,
            **self.extra,
        )

    def body(self, instance: str | None = None) -> str:
        """The problem as JSON (``problem_body``), members left out where they are None."""
        return problem_body(self.problem(instance).model_dump(mode="json", exclude_none=True))


THROTTLING_CODES = {
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "TransactionInProgressException",
}


def busy() -> ProblemError:
    return ProblemError.of(BUSY, headers={"Retry-After": "1"})


def unsupported_media_type() -> ProblemError:
    return ProblemError.of(UNSUPPORTED_MEDIA_TYPE)


def no_such_route() -> ProblemError:
    return ProblemError.of(NO_SUCH_ROUTE)


def internal(request_id: str | None) -> ProblemError:
    """500: nothing about internals; the request id finds the story in the logs."""
    return ProblemError.of(INTERNAL, request_id=request_id)

"""A person's console session: sign in with their API key, learn who is signed in, sign out.

The session is an HttpOnly, Secure, SameSite=Strict cookie (``shared.domain.sessions``); the CSRF token
in the body goes back in ``X-CSRF-Token`` on every change made with the cookie (the authorizer checks
it). ``POST /session`` has no authorizer (the key is in its body) and a throttle of its own.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body

from functions.api import wiring
from shared.domain.moments import utc_text
from shared.domain.sessions import clearing_cookie, cookie_token, session_cookie
from shared.http import ProblemError, json_response, principal_of
from shared.models.sessions import SessionView, SignIn
from shared.observability import logger
from shared.openapi import PUBLIC, problem_responses
from shared.problems import FORBIDDEN_ROLE, UNAUTHORIZED

if TYPE_CHECKING:
    from shared.dal.sessions import Session

router = Router()
# What a session's answers must never be: kept by a cache (they hold the CSRF token).
NO_STORE = {"Cache-Control": "no-store"}


def _token() -> str | None:
    return cookie_token(router.current_event.headers.get("cookie"))  # headers: case-insensitive


def view(session: Session) -> SessionView:
    return SessionView(
        name=session.name,
        role=session.role,
        key_id=session.key_id,
        csrf_token=session.csrf_token,
        expires_at=utc_text(datetime.fromtimestamp(session.expires_at, UTC)),
    )


@router.post(
    "/session",
    summary="Sign in to the console with a person's API key",
    description=(
        "Answers the session's cookie (oms_session: HttpOnly, Secure, SameSite=Strict; the session ends "
        "after 8 hours idle) and its CSRF token: send it as X-CSRF-Token on every POST, PUT, PATCH and "
        "DELETE made with the cookie. Channel keys cannot sign in."
    ),
    tags=["session"],
    responses=problem_responses(
        401,
        403,
        success={201: "Signed in: the cookie is set"},
        notes={401: "The API key is unknown or revoked", 403: "A channel's key"},
        body=True,
        public=True,
    ),
    openapi_extensions=PUBLIC,
)
def sign_in(body: Annotated[SignIn, Body()]) -> Response[SessionView]:
    from shared.services.sessions import ChannelCannotSignIn, KeyNotValid

    previous = _token()
    if previous is not None:  # signing in again in this browser ends the session it had
        wiring.session_service().sign_out(previous)
    outcome = wiring.session_service().sign_in(body.api_key.get_secret_value(), int(time.time()))
    if isinstance(outcome, KeyNotValid):
        logger.info("sign-in refused: unknown key")
        raise ProblemError.of(UNAUTHORIZED, "That API key is not valid.")
    if isinstance(outcome, ChannelCannotSignIn):
        logger.info("sign-in refused: a channel key")
        raise ProblemError.of(FORBIDDEN_ROLE, "Channel keys cannot sign in to the console.")
    session = outcome.session
    logger.info("signed in", key_id=session.key_id, role=session.role)
    return json_response(201, view(session), {**NO_STORE, "Set-Cookie": session_cookie(outcome.token)})


@router.get(
    "/session",
    summary="Who is signed in, and the session's CSRF token",
    description="Renews the cookie's lifetime (the session itself slides on every request).",
    tags=["session"],
    responses=problem_responses(notes={401: "No session cookie, or the session has ended"}),
)
def get_session() -> Response[SessionView]:
    principal_of(router)
    token = _token()
    session = wiring.session_service().current(token, int(time.time())) if token else None
    if token is None or session is None:
        raise ProblemError.of(UNAUTHORIZED, "Not signed in: sign in with POST /session.")
    return json_response(200, view(session), {**NO_STORE, "Set-Cookie": session_cookie(token)})


@router.delete(
    "/session",
    summary="Sign out: the session ends and its cookie is cleared",
    tags=["session"],
    responses=problem_responses(success={204: "Signed out"}),
)
def sign_out() -> Response[None]:
    caller = principal_of(router)
    token = _token()
    if token is not None:
        wiring.session_service().sign_out(token)
        logger.info("signed out", key_id=caller.key_id)
    return Response(status_code=204, headers={**NO_STORE, "Set-Cookie": clearing_cookie()})

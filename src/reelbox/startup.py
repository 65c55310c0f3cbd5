"""Start-up problems as one line each: which setting, what is wrong, what to do.

Pydantic's ValidationError prints a block per error with links to its own docs, and a failure
inside the server's lifespan prints a traceback of 90 lines; an operator needs neither.
`settings_problem` turns the first into lines naming the setting; `preflight` runs, before the
server starts, the checks the lifespan would otherwise fail on (weights folders, term files).
"""

from __future__ import annotations

from pydantic import ValidationError

from reelbox.settings import Settings


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def settings_problem(exc: Exception) -> str:
    """One line per invalid setting (`workers: must be >= 1, got 0`), joined with '; '."""
    if not isinstance(exc, ValidationError):
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    lines = []
    for error in exc.errors(include_url=False):
        message = str(error.get("msg", "invalid"))
        message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
        where = _where(tuple(error.get("loc", ())))
        given = error.get("input")
        shown = ""
        if where and error.get("type") not in ("value_error", "missing") and _short(given):
            shown = f" (got {given!r})"
        lines.append(f"{where}: {message}{shown}" if where else message)
    return "; ".join(lines) or "invalid settings"


def _short(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and len(repr(value)) <= 60


def preflight(settings: Settings) -> str | None:
    """What would stop the server from starting, as one line, or None.

    Checks every profile's weights (cheaply, without loading them), the profiles' Ray pools
    (with `executor = "ray"`; whether they fit a node is checked once Ray is reached) and
    loads the moderation term files the way the server will.
    """
    from reelbox.moderation.moderator import Moderator

    problem = weights_problem(settings)
    if problem is not None:
        return problem
    if settings.executor == "ray":
        from reelbox.executors.ray_executor import ray_profiles

        try:
            ray_profiles(settings)
        except ValueError as exc:
            return settings_problem(exc)
    try:
        moderator = Moderator(settings.moderation)
    except (ValueError, OSError) as exc:
        return f"moderation: {settings_problem(exc)}"
    moderator.close()
    return None


def weights_problem(settings: Settings) -> str | None:
    """The first profile whose weights are missing or unusable, as one line, or None.

    Cheap: engines check their files without loading them. `serve` asks before it starts; the
    app's lifespan asks again for apps built without the CLI (tests, an ASGI factory).
    """
    from reelbox.engines.registry import check_weights

    for name, profile in settings.profiles.items():
        try:
            check_weights(profile.engine, profile.options)
        except (ValueError, KeyError, OSError) as exc:
            return f"profiles.{name}: {settings_problem(exc)}"
    return None

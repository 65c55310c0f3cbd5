"""One HTTP attempt: pinned addresses, success only on 2xx in time, no redirects, short bodies."""

from __future__ import annotations

import asyncio

import httpx

from reelbox.webhooks.destinations import DestinationPolicy
from reelbox.webhooks.sender import RESPONSE_PREFIX_BYTES, Outcome, Sender
from support.resolvers import StaticResolver
from support.webhook_receiver import running_receiver

RESOLVER = StaticResolver(
    {"hooks.example.com": ["93.184.216.34"], "internal.example.com": ["10.9.8.7"]}
)


def _send(
    handler: object, url: str, *, timeout: float = 2.0
) -> tuple[Outcome, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    async def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return await handler(request)  # type: ignore[operator,no-any-return]

    async def main() -> Outcome:
        sender = Sender(
            policy=DestinationPolicy(),
            timeout=timeout,
            resolver=RESOLVER,
            transport=httpx.MockTransport(record),
        )
        try:
            return await sender.send(url, headers={"webhook-id": "wh_1"}, body=b"{}")
        finally:
            await sender.aclose()

    return asyncio.run(main()), seen


async def _ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(204)


def test_the_request_goes_to_the_checked_address_with_host_and_sni() -> None:
    outcome, seen = _send(_ok, "https://hooks.example.com:8443/in?x=1")
    assert outcome.success and outcome.status_code == 204 and outcome.error is None
    (request,) = seen
    assert str(request.url) == "https://93.184.216.34:8443/in?x=1"
    assert request.headers["host"] == "hooks.example.com:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.com"
    assert request.headers["webhook-id"] == "wh_1" and request.content == b"{}"


def test_any_2xx_is_success_and_anything_else_is_not() -> None:
    for status, success in ((200, True), (202, True), (299, True), (400, False), (500, False)):

        async def answer(request: httpx.Request, status: int = status) -> httpx.Response:
            return httpx.Response(status)

        outcome, _ = _send(answer, "https://hooks.example.com/")
        assert (outcome.success, outcome.status_code) == (success, status)


def test_redirects_are_failures_and_not_followed() -> None:
    async def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"location": "https://hooks.example.com/elsewhere"})

    outcome, seen = _send(redirect, "https://hooks.example.com/in")
    assert not outcome.success and outcome.status_code == 307
    assert outcome.error == "redirect to 'https://hooks.example.com/elsewhere' not followed"
    assert len(seen) == 1


def test_a_slow_receiver_times_out() -> None:
    async def slow(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200)

    outcome, _ = _send(slow, "https://hooks.example.com/", timeout=0.2)
    assert not outcome.success and outcome.status_code is None
    assert outcome.error == "no response within 0.2 s"
    assert outcome.duration_ms < 2000


def test_only_a_prefix_of_the_response_body_is_kept() -> None:
    async def chatty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, content=b"x" * 100_000)

    outcome, _ = _send(chatty, "https://hooks.example.com/")
    assert outcome.response_body == "x" * RESPONSE_PREFIX_BYTES


def test_refused_and_unresolvable_destinations_send_nothing() -> None:
    outcome, seen = _send(_ok, "https://internal.example.com/")
    assert outcome.error == (
        "destination refused: internal.example.com resolves to 10.9.8.7, a private address."
    )
    outcome, seen2 = _send(_ok, "https://nowhere.example.com/")
    assert outcome.error is not None and outcome.error.startswith("could not resolve the host")
    outcome, seen3 = _send(_ok, "http://hooks.example.com/")  # http is not allowed
    assert outcome.error == "destination refused: Only https URLs are accepted."
    assert seen == seen2 == seen3 == []


def test_a_real_receiver_on_loopback_when_allowed() -> None:
    with running_receiver() as receiver:
        receiver.script(302)

        async def main() -> list[Outcome]:
            sender = Sender(
                policy=DestinationPolicy.build(
                    allow_http=True, allow_private=False, allowed_networks=["127.0.0.0/8"]
                ),
                timeout=5,
            )
            try:
                return [
                    await sender.send(receiver.url, headers={"x-n": str(n)}, body=b"{}")
                    for n in range(2)
                ]
            finally:
                await sender.aclose()

        redirected, accepted = asyncio.run(main())
        assert not redirected.success and redirected.status_code == 302
        assert accepted.success and accepted.response_body == "ok"
        assert [r.headers["x-n"] for r in receiver.wait_for(2)] == ["0", "1"]
        assert not [r for r in receiver.requests if r.path == "/elsewhere"]

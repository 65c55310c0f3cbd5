"""The SSRF guard: schemes, URL shapes, and addresses before and after DNS resolution."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import pytest

from reelbox.webhooks.destinations import (
    DestinationPolicy,
    DestinationRefused,
    SystemResolver,
)
from support.resolvers import StaticResolver

STRICT = DestinationPolicy()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/x", "Only https URLs are accepted."),
        ("ftp://hooks.example.com/x", "The URL must start with https://."),
        ("hooks.example.com/x", "The URL must start with https://."),
        ("https:///x", "The URL has no host."),
        ("https://user:pw@hooks.example.com/x", "The URL must not contain credentials."),
        ("https://hooks.example.com:99999/x", "The URL's port is not valid."),
        ("https://hooks.example.com/a b", "The URL must not contain spaces"),
        ("https://hooks.example.com/" + "a" * 2100, "longer than 2048"),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(DestinationRefused, match=message.replace("?", r"\?")):
        STRICT.check_url(url)


def test_a_public_https_url_is_split_for_connecting() -> None:
    target = STRICT.check_url("https://Hooks.Example.com:8443/in?x=1")
    assert (target.scheme, target.host, target.port, target.address) == (
        "https",
        "hooks.example.com",
        8443,
        None,
    )
    assert STRICT.check_url("https://93.184.216.34/x").address == ipaddress.ip_address(
        "93.184.216.34"
    )


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("127.0.0.1", "a loopback address"),
        ("[::1]", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("[fd12::1]", "a private address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("[fd00:ec2::254]", "a cloud metadata address"),
        ("169.254.1.1", "a link-local address"),
        ("[fe80::1]", "a link-local address"),
        ("[::ffff:10.0.0.1]", "a private address"),
        ("100.64.0.1", "not a public address"),
        ("0.0.0.0", "a private address"),
        ("224.0.0.1", "a multicast address"),
    ],
)
def test_literal_non_public_addresses_are_refused(host: str, reason: str) -> None:
    with pytest.raises(DestinationRefused, match=reason):
        STRICT.check_url(f"https://{host}/hook")


def test_settings_can_allow_http_and_nearby_addresses_but_never_metadata() -> None:
    lenient = DestinationPolicy(allow_http=True, allow_private=True)
    for url in ("http://127.0.0.1:8080/x", "http://10.1.2.3/x", "http://[fe80::1]/x"):
        lenient.check_url(url)
    with pytest.raises(DestinationRefused, match="metadata"):
        lenient.check_url("http://169.254.169.254/latest/meta-data/")


def test_allowed_networks_open_exactly_those_networks() -> None:
    policy = DestinationPolicy.build(
        allow_http=True, allow_private=False, allowed_networks=["127.0.0.0/8"]
    )
    policy.check_url("http://127.0.0.1:9/x")
    policy.check_url("http://127.8.9.10:9/x")
    for url in ("http://10.0.0.1/x", "http://[::1]/x", "http://169.254.169.254/x"):
        with pytest.raises(DestinationRefused):
            policy.check_url(url)


def test_hostnames_are_judged_by_every_address_they_resolve_to() -> None:
    resolver = StaticResolver(
        {
            "public.example": ["93.184.216.34", "2606:2800:220:1::1"],
            "internal.example": ["10.0.0.5"],
            "mixed.example": ["93.184.216.34", "192.168.0.9"],
            "metadata.example": ["169.254.169.254"],
        }
    )

    async def resolve(url: str) -> object:
        return await STRICT.resolve(STRICT.check_url(url), resolver)

    assert asyncio.run(resolve("https://public.example/x")) == ipaddress.ip_address("93.184.216.34")
    for host, reason in (
        ("internal.example", "resolves to 10.0.0.5, a private address"),
        ("mixed.example", "resolves to 192.168.0.9, a private address"),
        ("metadata.example", "resolves to 169.254.169.254, a cloud metadata address"),
    ):
        with pytest.raises(DestinationRefused, match=reason):
            asyncio.run(resolve(f"https://{host}/x"))
    with pytest.raises(socket.gaierror):
        asyncio.run(resolve("https://unknown.example/x"))


def test_the_system_resolver_sees_localhost_as_loopback() -> None:
    async def resolve() -> None:
        await STRICT.resolve(STRICT.check_url("https://localhost/x"), SystemResolver())

    with pytest.raises(DestinationRefused, match=r"localhost resolves to .* a loopback address"):
        asyncio.run(resolve())

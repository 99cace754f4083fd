"""Which webhook URLs the platform will call: a guard against server-side request forgery.

Refused: schemes other than http/https; hosts that are, or resolve to, a link-local address (169.254.0.0/16,
fe80::/10: where clouds serve instance credentials), a cloud metadata address or name (168.63.129.16
too), an IPv6 address that carries an IPv4 one to a gateway (NAT64, 6to4, Teredo), an unspecified or a
multicast address. Allowed on purpose: loopback and private ranges. Cities run partner systems on their
intranets (10.x, 192.168.x), and the tests deliver to a local server; an installation that must not reach
its own network puts the worker behind an egress proxy or firewall, which no URL check replaces.

A name is resolved at registration and again before every send, and the send goes to the address that was
checked (`pinned`): a name that answers differently the second time (DNS rebinding) cannot steer a delivery
to a forbidden address between the check and the connection.
"""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import SplitResult, urlsplit

import httpx

from core.errors import ValidationFailed
from core.messages import Message, as_message, msg

MAX_URL_LENGTH = 2000
RESOLVE_SECONDS = 5.0
METADATA_NAMES = frozenset({"metadata.google.internal", "metadata.goog", "metadata"})
# AWS/Azure/GCP/OpenStack (also link-local), AWS over IPv6 (inside fc00::/7, so listed), Alibaba, and
# Azure's WireServer (168.63.129.16: a public-looking address every Azure VM reaches, which hands out
# the VM's configuration and certificates)
METADATA_ADDRESSES = frozenset(
    {
        ip_address("169.254.169.254"),
        ip_address("fd00:ec2::254"),
        ip_address("100.100.100.200"),
        ip_address("168.63.129.16"),
    }
)
_THIS_NETWORK = IPv4Network("0.0.0.0/8")  # "this host": 0.x reaches local services on some systems
# IPv6 prefixes that carry an IPv4 address to a gateway which then calls it: NAT64 (well-known and
# local-use), 6to4 and Teredo. 64:ff9b::a9fe:a9fe is 169.254.169.254 by another name, and which IPv4
# address a gateway really reaches is not ours to decode, so the prefixes are refused whole.
_IPV4_CARRIERS = (
    (IPv6Network("64:ff9b::/96"), "a NAT64 address"),
    (IPv6Network("64:ff9b:1::/48"), "a NAT64 address"),
    (IPv6Network("2002::/16"), "a 6to4 address"),
    (IPv6Network("2001::/32"), "a Teredo address"),
)


class UnsafeUrl(Exception):
    """A URL the platform will not call; the message says why, for an admin to read (`text`: to translate)."""

    def __init__(self, text: str | Message) -> None:
        self.text = as_message(text)
        super().__init__(self.text.render())


def refusal(address: IPv4Address | IPv6Address) -> str | None:
    """Why this address may not be called, or None when it may."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:169.254.169.254 is 169.254.169.254
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if isinstance(address, IPv6Address):
        carried = next((what for network, what in _IPV4_CARRIERS if address in network), None)
        if carried is not None:
            return carried
    if address.is_link_local:
        return "a link-local address"
    if address.is_unspecified or (isinstance(address, IPv4Address) and address in _THIS_NETWORK):
        return "an unspecified address"
    if address.is_multicast:
        return "a multicast address"
    return None


def _parts(url: str) -> SplitResult:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl(msg("The URL is longer than {count} characters.", count=MAX_URL_LENGTH))
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number in range raises here
    except ValueError as error:
        raise UnsafeUrl("This is not a valid URL.") from error
    if parts.scheme not in ("http", "https"):
        raise UnsafeUrl("Webhook URLs must start with http:// or https://.")
    if not parts.hostname:
        raise UnsafeUrl("The URL names no host.")
    if parts.hostname.rstrip(".") in METADATA_NAMES:
        raise UnsafeUrl("The URL points at a cloud metadata service.")
    return parts


async def _addresses(parts: SplitResult) -> list[IPv4Address | IPv6Address]:
    """Every address the host stands for, all of them allowed; UnsafeUrl otherwise."""
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(RESOLVE_SECONDS):
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, TimeoutError) as error:  # socket.gaierror is an OSError
        raise UnsafeUrl(msg("The host name {host} cannot be resolved.", host=repr(host))) from error
    addresses = list(dict.fromkeys(ip_address(str(sockaddr[0])) for *_, sockaddr in found))
    for address in addresses:
        reason = refusal(address)
        if reason is not None:
            # every answer is checked, not only the first: a name may list a safe and an unsafe address
            raise UnsafeUrl(
                msg("The host {host} is {reason}; webhooks are never sent there.", host=repr(host), reason=reason)
            )
    if not addresses:
        raise UnsafeUrl(msg("The host name {host} cannot be resolved.", host=repr(host)))
    return addresses


async def checked_url(url: str) -> str:
    """For registration: the URL, trimmed, when it may be called; ValidationFailed on `url` otherwise."""
    url = url.strip()
    try:
        await _addresses(_parts(url))
    except UnsafeUrl as error:
        raise ValidationFailed("url", error.text) from error
    return url


@dataclass(frozen=True, slots=True)
class Pinned:
    """A request to a checked address: the URL with that address, and what keeps the host name meaningful."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, str]


async def pinned(url: str) -> Pinned:
    """For each send: the URL re-checked and bound to the address that passed; UnsafeUrl otherwise."""
    parts = _parts(url)
    address = (await _addresses(parts))[0]
    original = httpx.URL(url)
    # the Host header and (https) the TLS server name keep the original name: virtual hosts and
    # certificate checks work as if the name had been resolved by the HTTP client itself
    extensions = {"sni_hostname": original.raw_host.decode("ascii")} if parts.scheme == "https" else {}
    return Pinned(
        url=original.copy_with(host=str(address)),
        headers={"host": original.netloc.decode("ascii")},
        extensions=extensions,
    )

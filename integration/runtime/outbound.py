"""The one outbound HTTP client for every call to a store: it reaches public addresses only.

A store's address is written by whoever connects it, so a call to it could be aimed at the machine itself,
the private network or the cloud's metadata service. Every connection this client opens is checked where it
is opened (`_PinnedConnection._new_conn`): the name is resolved, every address it resolves to must be public
(loopback, private, shared (CGNAT), link-local and metadata, unique-local, multicast, reserved, documentation
ranges and IPv4 embedded in IPv6 are refused), the scheme must be https and the port 443 or 8443, and the
socket is opened to the address that was checked (TLS still verifies the name), so a name that resolves to a
public address at one moment and a private one the next (DNS rebinding) does not get through. A redirect is
a new connection, checked the same way. Answers are read with a time and size limit; a refusal is an
`OutboundRefusedError` whose text is a short reason, never the target's own words.

`ALLOW_PRIVATE_STORES` (development and tests only, refused when APP_ENV=production) relaxes the rule:
`1` for any address, scheme and port, or a list of `ip:port` endpoints that alone are exempt (tests name
exactly the local stand-in's port). `OUTBOUND_RESOLVER` (tests) replaces the system's name resolution.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

from integration.runtime import extensions
from integration.runtime.config import parse_endpoints

MIB = 1024 * 1024
#: (host, port) -> the addresses the name resolves to, as text.
Resolver = Callable[[str, int], list[str]]

NOT_PUBLIC = "the store's address is not public"
NOT_HTTPS = "the store's address must start with https://"
BAD_PORT = "the store must be served on port 443 or 8443"
BAD_URL = "the store's address is not a valid web address"
NO_ADDRESS = "the store's name does not resolve to any address"
TIMED_OUT = "the store did not answer in time"

HTTPS_PORTS = frozenset({443, 8443})
#: ranges never reached, beside what `ipaddress` does not call global (checked explicitly all the same).
_REFUSED_NETWORKS = tuple(ipaddress.ip_network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/8", "64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "fc00::/7", "fe80::/10",
    "fec0::/10", "ff00::/8"))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefusedError(requests.RequestException):
    """The call was not made (or its answer not read): `reason` says why, in a few words."""

    def __init__(self, reason: str, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason


class _AddressRefusedError(Exception):
    """Raised where the socket would be opened; not an OSError, so urllib3 neither wraps nor retries it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _embedded_ipv4(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, 6to4, NAT64), which is what it reaches."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if ip in _NAT64 else None


def is_public(address: str) -> bool:
    """Whether `address` (an IP literal, IPv6 with or without a scope) is a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        return is_public(str(embedded))
    refused = any(ip in network for network in _REFUSED_NETWORKS if network.version == ip.version)
    return ip.is_global and not (refused or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system resolves `host` to (raises socket.gaierror when there is none)."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in found))


@dataclass(frozen=True)
class Policy:
    """What an outbound connection may reach, and how long and how much it may read."""

    allow_any: bool = False
    endpoints: frozenset[tuple[str, int]] = frozenset()
    resolver: Resolver = system_resolver
    timeout: float = 30.0
    max_seconds: float = 60.0
    max_bytes: int = 5 * MIB
    max_redirects: int = 3
    ports: frozenset[int] = field(default=HTTPS_PORTS)

    def exempt(self, address: str, port: int) -> bool:
        return self.allow_any or (ipaddress.ip_address(address.strip("[]")).compressed, port) in self.endpoints

    def vet(self, host: str, port: int, scheme: str) -> str:
        """The address to open a socket to, once every address of `host` passed the rule."""
        addresses = self.resolver(host.strip("[]"), port)
        if not addresses:
            raise _AddressRefusedError(NO_ADDRESS)
        exempt = [a for a in addresses if _is_ip(a) and self.exempt(a, port)]
        if len(exempt) == len(addresses):
            return addresses[0]
        if not all(is_public(a) for a in addresses if a not in exempt):
            raise _AddressRefusedError(NOT_PUBLIC)
        if scheme != "https":
            raise _AddressRefusedError(NOT_HTTPS)
        if port not in self.ports:
            raise _AddressRefusedError(BAD_PORT)
        return addresses[0]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def policy_from(settings: Mapping[str, Any]) -> Policy:
    """The app's policy; in production the development switch is ignored (and refused at startup)."""
    production = settings.get("APP_ENV") == "production"
    allow_any, endpoints = parse_endpoints(None if production else settings.get("ALLOW_PRIVATE_STORES"))
    timeout = float(settings.get("WOO_TIMEOUT") or 30)
    return Policy(allow_any=allow_any, endpoints=endpoints, timeout=timeout, max_seconds=max(2 * timeout, 10.0),
                  resolver=settings.get("OUTBOUND_RESOLVER") or system_resolver,
                  max_bytes=int(settings.get("OUTBOUND_MAX_BYTES") or 5 * MIB))


def current_policy() -> Policy:
    return policy_from(extensions.current_config())


# --- the pinned connection ------------------------------------------------------------------------

class _PinnedConnection(HTTPConnection):
    """Opens its socket to the address its policy vetted for the name, at the moment it connects."""

    policy: Policy
    policy_scheme = "http"

    def _new_conn(self) -> socket.socket:
        try:
            address = self.policy.vet(self._dns_host, self.port, self.policy_scheme)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc
        try:
            return urllib3_connection.create_connection((address, self.port), self.timeout,
                                                        source_address=self.source_address,
                                                        socket_options=self.socket_options)
        except socket.timeout as exc:
            raise ConnectTimeoutError(self, f"connection to {self.host} timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"failed to connect: {type(exc).__name__}") from exc


class _PinnedHTTPSConnection(_PinnedConnection, HTTPSConnection):
    policy_scheme = "https"


def _pool_classes(policy: Policy) -> dict[str, type[HTTPConnectionPool]]:
    plain = type("PolicyConnection", (_PinnedConnection,), {"policy": policy})
    tls = type("PolicyHTTPSConnection", (_PinnedHTTPSConnection,), {"policy": policy})
    return {"http": type("PolicyPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("PolicyHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": tls})}


class _PolicyAdapter(HTTPAdapter):
    """Every hop (a redirect is one) through pinned connections; each answer read within the limits."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        super().__init__(max_retries=0, pool_maxsize=4)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self.policy)  # type: ignore[assignment]

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: bool | str = True, cert: Any = None, proxies: Mapping[str, str] | None = None
             ) -> requests.Response:
        if proxies:
            raise OutboundRefusedError("calls to stores are not sent through a proxy", request=request)
        started = time.monotonic()
        try:
            response = super().send(request, stream=True, timeout=timeout or (10, self.policy.timeout),
                                    verify=verify, cert=cert, proxies=None)
        except _AddressRefusedError as exc:
            raise OutboundRefusedError(exc.reason, request=request) from None
        _read_within_limits(response, self.policy, started)
        return response


def _read_within_limits(response: requests.Response, policy: Policy, started: float) -> None:
    """The whole body, refused past `max_bytes` (as sent or decompressed) or `max_seconds`."""
    too_large = f"the store's answer is larger than {policy.max_bytes // MIB or 1} MiB"
    declared = response.headers.get("Content-Length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > policy.max_bytes:
        response.close()
        raise OutboundRefusedError(too_large, response=response)
    chunks, size = [], 0
    for chunk in response.iter_content(64 * 1024):
        size += len(chunk)
        if size > policy.max_bytes or time.monotonic() - started > policy.max_seconds:
            response.close()
            raise OutboundRefusedError(too_large if size > policy.max_bytes else TIMED_OUT, response=response)
        chunks.append(chunk)
    response._content = b"".join(chunks)  # noqa: SLF001 - what Response.content would have read
    response._content_consumed = True  # noqa: SLF001


class StoreSession(requests.Session):
    """A `requests.Session` whose every connection passes the policy; no proxies, netrc or env settings."""

    def __init__(self, policy: Policy) -> None:
        super().__init__()
        self.policy = policy
        self.trust_env = False
        self.max_redirects = policy.max_redirects
        adapter = _PolicyAdapter(policy)
        self.adapters.clear()
        self.mount("https://", adapter)
        self.mount("http://", adapter)


def session(policy: Policy | None = None) -> StoreSession:
    """A client for calls to stores, under the app's policy unless one is given."""
    return StoreSession(policy or current_policy())


# --- the same rule for an address before anything is called ----------------------------------------

def check_url(url: Any, policy: Policy | None = None) -> str:
    """`url` stripped, once it is an absolute http(s) URL whose every address passes the rule now.

    Resolves the name but opens no connection; raises OutboundRefusedError with the reason.
    """
    if not isinstance(url, str) or not url.strip().isascii():
        raise OutboundRefusedError(BAD_URL)
    try:
        parts = urlsplit(url.strip())
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower(), 0)
    except ValueError:
        raise OutboundRefusedError(BAD_URL) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise OutboundRefusedError(BAD_URL)
    try:
        (policy or current_policy()).vet(parts.hostname, port, parts.scheme.lower())
    except _AddressRefusedError as exc:
        raise OutboundRefusedError(exc.reason) from None
    except (socket.gaierror, UnicodeError):
        raise OutboundRefusedError(NO_ADDRESS) from None
    return url.strip()


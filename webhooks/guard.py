"""The SSRF guard: a webhook may only reach public addresses.

Checked twice: when a URL is saved (``check_url``: a refusal is a 400 naming
``url``) and on every new connection (``connect_addresses``: the transport
connects to an address this function returned, never resolving the name a
second time, so a DNS answer that changes in between cannot point it inside).

Refused: schemes other than http(s), credentials in the URL, loopback,
private, link-local, CGNAT (100.64/10), multicast, reserved and unspecified
addresses, IPv4-mapped IPv6 and IPv6 forms that embed a refused IPv4 address
(6to4, Teredo, NAT64), and numeric hosts in any but the canonical dotted form
(``0177.0.0.1``, ``2130706433``, ``0x7f.1``). A host named in the
``WEBHOOK_ALLOWED_HOSTS`` setting is exempt from the address checks.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SCHEMES = frozenset({"http", "https"})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = (
    ipaddress.ip_network("64:ff9b::/96"),
    ipaddress.ip_network("64:ff9b:1::/48"),
)
#: A label inet_aton would read as a number: decimal, octal or hex.
_NUMERIC_LABEL = re.compile(r"^(0x[0-9a-f]*|[0-9]+)$")


class Refused(Exception):
    """The URL or the address it resolves to may not be called."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def allowed_hosts() -> frozenset[str]:
    return frozenset(
        h.strip().lower().strip("[]") for h in settings.WEBHOOK_ALLOWED_HOSTS
    )


def is_allowed(host: str) -> bool:
    return host.lower().rstrip(".").strip("[]") in allowed_hosts()


def is_public(ip: IPAddress) -> bool:
    """Whether an address is on the public internet (and not a way back in)."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return False
        if ip.sixtofour is not None and not is_public(ip.sixtofour):
            return False
        if ip.teredo is not None and not all(is_public(v4) for v4 in ip.teredo):
            return False
        for network in _NAT64:
            if ip in network:
                embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
                if not is_public(embedded):
                    return False
        if ip.is_site_local:
            return False
    elif ip in _CGNAT:
        return False
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def literal(host: str) -> IPAddress | None:
    """The address a host names literally (None for a name); Refused for a
    numeric host in any but the canonical form."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    labels = host.split(".")
    if all(_NUMERIC_LABEL.match(label) for label in labels if label):
        raise Refused(
            f"'{host}' is an IP address in an unusual notation; write it in the "
            "usual dotted form."
        )
    return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise Refused(f"The host '{host}' could not be resolved ({exc}).") from None
    found: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if ip not in found:
            found.append(ip)
    if not found:
        raise Refused(f"The host '{host}' has no address.")
    return found


def _checked(host: str, addresses: list[IPAddress]) -> list[IPAddress]:
    for ip in addresses:
        if not is_public(ip):
            where = f"'{host}' resolves to {ip}" if str(ip) != host else f"{ip}"
            raise Refused(
                f"Webhooks may only call public addresses; {where}, which is not."
            )
    return addresses


def connect_addresses(host: str, port: int) -> list[IPAddress]:
    """The addresses a connection to ``host`` may use, each checked (every
    one must be public unless the host is allowed); Refused otherwise."""
    host = host.lower().rstrip(".").strip("[]")
    ip = literal(host)
    if ip is not None:
        return [ip] if is_allowed(host) else _checked(host, [ip])
    addresses = resolve(host, port)
    return addresses if is_allowed(host) else _checked(host, addresses)


def split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL; Refused when it is not an
    absolute http(s) URL without credentials."""
    if not isinstance(url, str) or not url.strip():
        raise Refused("Give the URL to call.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url.strip()):
        raise Refused("The URL may not contain spaces or control characters.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise Refused(f"The URL is not valid ({exc}).") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused("Webhook URLs must start with https:// or http://.")
    if "@" in parts.netloc or parts.username is not None:
        raise Refused("Webhook URLs may not carry a user name or password.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise Refused("The URL has no host.")
    if "%" in host:
        raise Refused("The URL's host may not name a network interface.")
    try:
        host = host.encode("idna").decode("ascii") if not host.isascii() else host
    except UnicodeError:
        raise Refused(f"'{host}' is not a valid host name.") from None
    return scheme, host, port or (443 if scheme == "https" else 80)


def check_url(url: str, *, resolve_names: bool = True) -> None:
    """Refused unless ``url`` may be saved as a webhook: its form, and the
    addresses its host names or resolves to now."""
    _scheme, host, port = split(url)
    if is_allowed(host):
        return
    ip = literal(host)
    if ip is not None:
        _checked(host, [ip])
    elif resolve_names:
        _checked(host, resolve(host, port))

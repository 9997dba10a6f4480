"""Where a webhook may be sent (server-side request forgery): HTTPS only, to public addresses only, unless a
development setting allows plain HTTP (WEBHOOKS_ALLOW_HTTP) or private and loopback addresses
(WEBHOOKS_ALLOW_PRIVATE_ADDRESSES). The address is checked when the endpoint is saved and again at every delivery,
which connects to the very address it checked (no second DNS answer in between); redirects are never followed."""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class AddressRefused(ValueError):
    """The URL may not receive webhooks; the message says why."""


def webhook_url_check(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, path with query) of an allowed URL; raises AddressRefused."""
    # Whitespace and control characters: urlsplit drops some (CR, LF, tab) and http.client refuses the rest at every
    # delivery, so the URL that was saved would never be the one called.
    if any(character <= " " or character == "\x7f" for character in url):
        raise AddressRefused("Enter a valid URL, e.g. https://example.com/webhooks (no spaces or control characters).")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused("Enter a valid URL, e.g. https://example.com/webhooks.") from None
    if port == 0:
        raise AddressRefused("Enter a valid URL, e.g. https://example.com/webhooks (port 0 is no port).")
    allowed_schemes = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed_schemes:
        raise AddressRefused("Use an https:// URL; webhooks carry your organization's data.")
    if not parts.hostname:
        raise AddressRefused("Enter a valid URL, e.g. https://example.com/webhooks.")
    if parts.username or parts.password:
        raise AddressRefused("Leave credentials out of the URL; each delivery is signed instead.")
    port = port or (443 if parts.scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return parts.scheme, parts.hostname, port, path


# IPv6 prefixes whose last 32 bits are an IPv4 address that a translator reaches for us: NAT64's well-known prefix
# (RFC 6052; a NAT64 gateway, as in an IPv6-only cloud subnet, forwards to it, private ranges included) and the
# deprecated IPv4-compatible addresses. Python counts both as global whatever IPv4 address they carry.
_IPV4_CARRIERS = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("::/96"))


def _reached(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The address itself and any IPv4 address it leads to (NAT64, IPv4-compatible, 6to4, IPv4-mapped)."""
    if ip.version == 4:
        return [ip]
    carried = [ip.ipv4_mapped, ip.sixtofour]
    if any(ip in network for network in _IPV4_CARRIERS):
        carried.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [ip, *(address for address in carried if address is not None)]


def public_address(host: str, port: int) -> str:
    """The address to connect to for `host`: every address it resolves to must be public (a name that also
    resolves to a private address is refused whole). Raises AddressRefused."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise AddressRefused(f"{host} could not be found (DNS).") from None
    addresses = [info[4][0] for info in infos]
    if not settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%")[0])
            if any(not reached.is_global or reached.is_multicast for reached in _reached(ip)):
                raise AddressRefused(f"{host} is a private, loopback or reserved address ({ip}); use a public one.")
    return addresses[0]

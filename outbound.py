"""Posting to group robots and webhooks without turning the server against its own network.

An address set in the app must not make the server send requests to itself, to
link-local or cloud-metadata addresses, or (unless the administrator says the
robot is on the dealership's own network) to the LAN. The host is resolved and
every address it resolves to is checked; the connection then goes to the address
that was checked, so a name cannot resolve differently a moment later.
Redirects are not followed. Every step has a short timeout and the reply is read
only up to a small size, so a target that hangs costs seconds, not minutes.
"""
import http.client
import ipaddress
import socket
import time
from urllib.parse import urlsplit

from i18n import lazy_gettext as _l

# Cloud metadata services (AWS, GCP and Azure; Alibaba and Tencent Cloud).
METADATA = {ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200",
                                                "169.254.0.23")}
MAX_REPLY = 64 * 1024


class Refused(Exception):
    """The address may not be used; the message says why, for the administrator."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def check_address(ip, allow_lan=False, allowed_networks=()):
    """Raise Refused unless the server may send to `ip`."""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if any(ip in network for network in allowed_networks):
        return
    if ip in METADATA or ip.is_link_local:
        raise Refused(_l("That is a link-local or cloud metadata address, which is never allowed."))
    if ip.is_loopback or ip.is_unspecified:
        raise Refused(_l("That address is this server itself, which is never allowed."))
    if ip.is_multicast or ip.is_reserved:
        raise Refused(_l("That is not an address a robot can have."))
    if not ip.is_global and not allow_lan:
        raise Refused(_l("That address is on a local network. Tick “on our own network” if the robot really is."))


def resolve(url, allow_lan=False, allowed_networks=()):
    """(parts of the URL, the checked address to connect to); Refused for a bad one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Refused(_l("A web address starting with http:// or https://."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (ValueError, OSError) as error:
        raise LookupError(f"cannot resolve {parts.hostname}: {error}") from error
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    for ip in addresses:
        check_address(ip, allow_lan, allowed_networks)
    return parts, port, addresses[0]


def post_json(url, body, timeout=5, allow_lan=False, allowed_networks=()):
    """POST the JSON bytes; return the reply's body. Raises on refusal, timeout or HTTP error."""
    parts, port, ip = resolve(url, allow_lan, allowed_networks)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(parts.hostname, port, timeout=timeout)

    def connect_to_checked_address(address, *args, **kwargs):
        return socket.create_connection((str(ip), port), *args, **kwargs)
    connection._create_connection = connect_to_checked_address
    deadline = time.monotonic() + 3 * timeout  # a reply that trickles in byte by byte ends here
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body,
                           headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "complaint-desk"})
        response = connection.getresponse()
        reply = b""
        while len(reply) < MAX_REPLY:
            if time.monotonic() > deadline:
                raise TimeoutError("the robot answered too slowly")
            chunk = response.read1(4096)
            if not chunk:
                break
            reply += chunk
    finally:
        connection.close()
    if not 200 <= response.status < 300:
        raise RuntimeError(f"HTTP {response.status} (redirects are not followed)")
    return reply

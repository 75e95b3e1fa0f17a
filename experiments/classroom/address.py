"""Can the classroom be served at this host and port? Asked before anything starts.

The web server itself finds out only after the page has printed "open
http://..." and then dies with a traceback or a bare "address already in
use". This module tries the address first with a socket of its own, set up
as the server's will be (``SO_REUSEADDR``, as uvicorn does, so a port left
in TIME_WAIT by a classroom just stopped is not refused), and turns every
way it can fail into one line that names the problem and the fix. It
imports nothing heavy, so ``sixerrors classroom`` answers at once.
"""

from __future__ import annotations

import errno
import re
import socket

MAX_PORT = 65535

_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.\-]{0,251}[A-Za-z0-9])?|\[?[0-9A-Fa-f:.]+\]?")
"""A host name (letters, digits, dots, hyphens) or an IPv4/IPv6 literal: anything else
is refused without asking the name service."""


class AddressError(ValueError):
    """An address the classroom cannot be served at (one line with the fix)."""


def check_address(host: str, port: int) -> None:
    """Raise :class:`AddressError` unless a server can listen on ``host``:``port``.

    Args:
        host: Interface name or address (``127.0.0.1``: this computer only;
            ``0.0.0.0``: every network interface).
        port: TCP port, 1 to 65535.
    """
    if not 1 <= port <= MAX_PORT:
        raise AddressError(
            f"port {port} is not a TCP port; choose one from 1 to {MAX_PORT}, e.g. --port 8765"
        )
    if not _HOSTNAME.fullmatch(host):
        raise AddressError(
            f"host {host!r} is not a host name or address; use --host 127.0.0.1 "
            "(this computer only) or --host 0.0.0.0 (every network interface)"
        )
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError):
        raise AddressError(
            f"host {host!r} is not a name or address of this computer; use --host 127.0.0.1 "
            "(this computer only) or --host 0.0.0.0 (every network interface)"
        ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
            probe.listen(1)
        except OSError as exc:
            raise AddressError(_reason(exc, host, port)) from None


def _reason(exc: OSError, host: str, port: int) -> str:
    """One line for a failed bind: what went wrong and what to type instead."""
    if exc.errno == errno.EADDRINUSE:
        return (
            f"port {port} on {host} is already in use (another classroom still "
            f"running?); stop it, or choose another port, e.g. --port {_other(port)}"
        )
    if exc.errno == errno.EADDRNOTAVAIL:
        return (
            f"{host} is not an address of this computer; use --host 127.0.0.1 (this "
            "computer only) or --host 0.0.0.0 (every network interface)"
        )
    if exc.errno == errno.EACCES:
        return (
            f"port {port} needs administrator rights on this computer; choose a port "
            "above 1023, e.g. --port 8765"
        )
    return f"cannot listen on {host}:{port} ({exc.strerror}); try --port {_other(port)}"


def _other(port: int) -> int:
    return port + 1 if port < MAX_PORT else 8765

"""Account ``IPAddressRange``: comma-separated IPv4 addresses and CIDR blocks."""

from __future__ import annotations

import ipaddress


def ip_allowed(ranges: str | None, client_ip: str | None) -> bool:
    if not ranges:
        return True
    try:
        address = ipaddress.IPv4Address((client_ip or "").strip())
    except ValueError:
        return False
    return any(address in ipaddress.IPv4Network(item.strip(), strict=False) for item in ranges.split(","))

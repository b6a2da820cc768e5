"""Attribution parameters on product links, so the shop can tell which visits and sales StyleLens brought."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SOURCE = "stylelens"


def attributed_url(url: str, *, medium: str = "visual_search", campaign: str = "", ref: str = "") -> str:
    """The product URL with utm_source/medium/campaign and our click reference, other parameters kept."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.startswith(("utm_", "sl_"))]
    query += [("utm_source", SOURCE), ("utm_medium", medium)]
    if campaign:
        query.append(("utm_campaign", campaign))
    if ref:
        query.append(("sl_ref", ref))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))

"""API keys for the shop's systems: create, rotate, list."""

from __future__ import annotations

from typing import Annotated

import typer

from stylelens.cli.base import (
    apikey_app,
    console,
    fail,
)
from stylelens.config import get_settings
from stylelens.errors import StyleLensError
from stylelens.services import Services


@apikey_app.command("create")
def apikey_create(
    name: Annotated[str, typer.Argument(help="Who uses the key, e.g. 'shop-backend'")],
    scope: Annotated[list[str], typer.Option(help="catalog:write and/or events:write")],
) -> None:
    """Issue an API key for a shop system; the key is printed once."""
    from stylelens.auth.api_keys import create_key

    try:
        issued = create_key(Services(get_settings()).sessions, name, scope)
    except StyleLensError as exc:
        fail(exc)
    console.print(f"key {issued.key_id} ({', '.join(issued.scopes)}); store it now, it is not shown again:")
    typer.echo(issued.token)


@apikey_app.command("rotate")
def apikey_rotate(
    key_id: Annotated[str, typer.Argument()],
    grace_hours: Annotated[float, typer.Option(help="How long the old key keeps working")] = 24.0,
) -> None:
    """Replace a key with a new one; the old one works for the grace period."""
    from datetime import timedelta

    from stylelens.auth.api_keys import rotate_key

    try:
        issued = rotate_key(Services(get_settings()).sessions, key_id, timedelta(hours=grace_hours))
    except StyleLensError as exc:
        fail(exc)
    console.print(f"key {issued.key_id} replaces {key_id}; store it now, it is not shown again:")
    typer.echo(issued.token)


@apikey_app.command("list")
def apikey_list() -> None:
    """The API keys (never their secrets)."""
    from stylelens.auth.api_keys import list_keys

    for key in list_keys(Services(get_settings()).sessions):
        state = f"replaced by {key.replaced_by}, expires {key.expires_at}" if key.replaced_by else "active"
        typer.echo(f"{key.key_id}  {key.name}  {','.join(key.scopes)}  {state}")

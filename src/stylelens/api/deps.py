"""Typed dependencies: the long-lived services live on app.state, set up by the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stylelens.errors import NotSignedIn
from stylelens.services import Services
from stylelens.storage.shopper_models import Shopper


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


bearer_scheme = HTTPBearer(auto_error=False, description="A session token from /v1/auth/*, or an OIDC ID token")


def get_current_shopper(
    request: Request,
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)],
) -> Shopper:
    """The signed-in shopper (from the bearer token); 401 otherwise."""
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise NotSignedIn("sign in first: send 'Authorization: Bearer <token>'")
    shopper = services.accounts.shopper_for(credentials.credentials)
    request.state.shopper = services.privacy.pseudonym(shopper.id)  # logs name the pseudonym, never the id
    return shopper


CurrentShopper = Annotated[Shopper, Depends(get_current_shopper)]

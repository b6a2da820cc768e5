"""HTTP only: routes, request/response schemas, dependencies. Domain work happens in the other packages."""

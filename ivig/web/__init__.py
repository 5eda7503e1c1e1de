"""The web edge: middleware (no-store, request bounds), compression of what reflects nothing the
requester chose, the health check and the log filter for refusals."""

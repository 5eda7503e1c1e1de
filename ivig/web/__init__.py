"""The web edge (docs/architecture.md): middleware, safe compression, the health check and the
log filter for refusals."""

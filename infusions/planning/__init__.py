"""The chair planner (docs/planner.md): nurses on shift, the CP-SAT model, suggestions and
accepting them through the booking service."""

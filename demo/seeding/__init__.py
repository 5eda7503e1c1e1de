"""One module per thing seeded, each with ``seed() -> list[str]`` (lines for the command's
output); ``seed_demo`` runs them in ``SEEDS`` order."""

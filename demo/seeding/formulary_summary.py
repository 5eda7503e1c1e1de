"""Demo data (docs/clinical-rules.md 9): the formulary is seeded by its data migration; this reports
it."""

from formulary.models import Product
from formulary.selectors import current_policy


def seed() -> list[str]:
    products = Product.objects.count()
    active = Product.objects.filter(active=True).count()
    policy = current_policy()
    return [
        f"formulary: {products} products ({active} active), from the data migration",
        f"dosing policy: version {policy.version}",
    ]

from django.apps import AppConfig


class AuthorizationsConfig(AppConfig):
    name = "authorizations"
    verbose_name = "Insurance authorizations"

    def ready(self) -> None:
        # The orders layer asks "is this order covered?" through the judge registered here.
        from orders.engine_inputs import register_coverage_judge

        from .coverage import order_is_covered

        register_coverage_judge(order_is_covered)

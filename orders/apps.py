from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Patients and orders"

    def ready(self) -> None:
        # The Celery tasks the services enqueue by name, registered in every process (the worker
        # finds them by autodiscovery; a web process running them eagerly needs them too).
        from orders import tasks  # noqa: F401

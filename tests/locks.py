"""Row locks seen from another connection (PostgreSQL), for tests of lock order and scope."""

import threading

from django.db import OperationalError, connection, transaction
from django.db.models import Model


def locked_by_another_connection(model: type[Model], pk: int) -> bool:
    """Whether row ``pk`` of ``model`` is locked by another transaction: from another thread
    (its own connection), ``SELECT ... FOR UPDATE NOWAIT`` on it is refused (PostgreSQL)."""
    answer: list[bool] = []

    def probe() -> None:
        try:
            with transaction.atomic():
                list(model._default_manager.select_for_update(nowait=True).filter(pk=pk))
            answer.append(False)
        except OperationalError:
            answer.append(True)
        finally:
            connection.close()

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join(timeout=30)
    return answer == [True]

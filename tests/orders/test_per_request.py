"""What a request that only reads asks once (orders/dose_plans/per_request.py): kept per
question on a GET or HEAD and gone with it; asked afresh on a change (POST) and outside any
request (a Celery task, a command)."""

from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from formulary.models import DosingPolicy
from ivig.accounts.recheck import CurrentRequestMiddleware
from orders.dose_plans.per_request import keep_answers, once_per_request, policy_in_force

pytestmark = pytest.mark.django_db


def _serve(method: str, view: Any) -> None:
    CurrentRequestMiddleware(view)(getattr(RequestFactory(), method)("/"))


@pytest.mark.parametrize(("method", "kept"), [("get", True), ("head", True), ("post", False)])
def test_an_answer_is_kept_per_question_only_on_a_request_that_reads(method, kept) -> None:
    asked: list[str] = []

    def read(question: str) -> str:
        asked.append(question)
        return question

    def ask(question: str) -> str:
        return once_per_request(("question", question), lambda: read(question))

    def view(request):
        ask("a")
        ask("a")
        ask("b")
        return HttpResponse()

    _serve(method, view)
    assert asked == (["a", "b"] if kept else ["a", "a", "b"])
    _serve(method, view)  # nothing outlives its request
    assert len(asked) == (4 if kept else 6)
    ask("a")
    ask("a")  # outside a request: each time
    assert len(asked) == (6 if kept else 8)


@pytest.mark.parametrize(("method", "seen"), [("get", 24), ("post", 6)])
def test_the_policy_is_read_once_by_a_read_and_afresh_by_a_change(method, seen) -> None:
    DosingPolicy.objects.update(review_interval_cycles=24)
    intervals: list[int] = []

    def view(request):
        intervals.append(policy_in_force().review_interval_cycles)
        DosingPolicy.objects.update(review_interval_cycles=6)
        intervals.append(policy_in_force().review_interval_cycles)
        return HttpResponse()

    _serve(method, view)
    assert intervals == [24, seen]


@pytest.mark.parametrize(("method", "kept"), [("get", True), ("head", True), ("post", False)])
def test_answers_read_ahead_are_kept_only_on_a_request_that_reads(method, kept) -> None:
    """``keep_answers``: what a page reads in bulk answers the questions asked after it, not
    one already answered; a change neither reads ahead nor keeps anything."""
    reads: list[str] = []
    answers: list[str] = []

    def ahead() -> dict[Any, object]:
        reads.append("ahead")
        return {("question", "a"): "read ahead", ("question", "b"): "read ahead"}

    def view(request):
        answers.append(once_per_request(("question", "a"), lambda: "asked"))
        keep_answers(ahead)
        answers.append(once_per_request(("question", "a"), lambda: "asked again"))
        answers.append(once_per_request(("question", "b"), lambda: "asked"))
        return HttpResponse()

    _serve(method, view)
    if kept:
        assert (reads, answers) == (["ahead"], ["asked", "asked", "read ahead"])
    else:
        assert (reads, answers) == ([], ["asked", "asked again", "asked"])
    keep_answers(ahead)  # outside a request: nothing read
    assert reads == (["ahead"] if kept else [])

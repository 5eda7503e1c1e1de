"""Issue 19: a form never takes the posted data as its initial values (STYLE; a ``QueryDict`` as
``initial`` showed every order field as ``['…']``). Checked over the project's code: a call's
``initial=`` is never ``request.POST``/``GET``/``data``, directly or through a local name; one
value looked up from them (``request.GET.get("patient")``) is fine. The refresh of the order form
is tested through its URL in tests/orders/test_order_form_refresh.py."""

import ast
from pathlib import Path

PROJECT = Path(__file__).parents[1]
APPS = ("ivig", "orders", "formulary", "authorizations", "infusions", "reminders", "reports")
REQUEST_DATA = {"POST", "GET", "data", "query_params", "FILES"}


def _posted_data(node: ast.AST, tainted: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
    """``request.POST``, ``self.request.GET``, ``request.data`` ... in an expression, other than
    one value looked up from it (``request.GET.get("patient")``); or a name given such data."""
    lookups = {
        id(sub.value)
        for sub in ast.walk(node)
        if isinstance(sub, ast.Attribute) and sub.attr == "get"
    }
    for sub in ast.walk(node):
        if isinstance(sub, ast.Attribute) and sub.attr in REQUEST_DATA and id(sub) not in lookups:
            return True
        if isinstance(sub, ast.Name) and sub.id in tainted:
            return True
    return False


def _outside_calls(node: ast.expr) -> ast.AST:
    """``node`` with every call's arguments left out (``Form(request.POST)`` is a form, not the
    data; ``values = request.POST`` or ``... if ... else request.POST`` is the data)."""

    class Prune(ast.NodeTransformer):
        def visit_Call(self, call: ast.Call) -> ast.AST:
            return ast.Constant(None)

    return Prune().visit(ast.parse(ast.unparse(node), mode="eval"))


def initial_from_request_data(source: str) -> list[int]:
    """Lines where a call's ``initial=`` is request data, directly or through a local name."""
    lines = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef | ast.Module):
            continue
        tainted: set[str] = set()
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and _posted_data(_outside_calls(node.value), tainted):
                tainted |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(function):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "initial" and _posted_data(keyword.value, tainted):
                        lines.append(node.lineno)
    return sorted(set(lines))


def test_no_form_in_the_project_takes_request_data_as_initial():
    offenders = [
        f"{path.relative_to(PROJECT)}:{line}"
        for app in APPS
        for path in sorted((PROJECT / app).rglob("*.py"))
        for line in initial_from_request_data(path.read_text())
    ]
    assert offenders == []


def test_the_check_catches_the_old_code_and_lets_single_values_through():
    old = """
def order_form_fields(request):
    values = indication_defaults(request.POST) if "apply_defaults" in request.POST else request.POST
    return OrderForm(initial=values, order=order)
"""
    assert initial_from_request_data(old) == [4]
    assert initial_from_request_data("OrderForm(initial=request.POST)") == [1]
    assert initial_from_request_data("Form(initial={'patient': request.GET.get('patient')})") == []

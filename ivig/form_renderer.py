"""The form renderer (settings ``FORM_RENDERER``): Django's own, with its simplest widget
templates drawn in Python (docs/architecture.md, "Drawing forms").

A form page draws dozens of inputs and selects with hundreds of options; through Django's
templates each input is two template renders and each option two more (``select_option.html``
and ``attrs.html``), most of a form page's time. Here ``input.html`` (and the types that only
include it), ``select.html`` with ``select_option.html``, ``textarea.html``, ``label.html``,
``field.html`` (a field group without a fieldset) and an empty error list are written out in
Python, character for character what the template gives (the template's own escaping and value
formatting: ``render_value_in_context``, ``stringformat``, ``safe``). Everything else (checkbox
lists, error lists with errors, forms as a whole, any widget with its own template) is rendered
by the templates as before.

Each shortcut is taken only while Django's template is the text it was written against
(``_TEMPLATES``, read from Django's own files once): a Django upgrade that changes a template
turns its shortcut off rather than drawing something else; the tests compare both ways.
"""

from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.template.defaultfilters import stringformat
from django.utils.safestring import SafeData, mark_safe

_WIDGETS = "django/forms/widgets/"
_INPUT = _WIDGETS + "input.html"
_INCLUDES_INPUT = '{% include "django/forms/widgets/input.html" %}\n'
_ATTRS = (
    "{% for name, value in widget.attrs.items %}{% if value is not False %} {{ name }}"
    "{% if value is not True %}=\"{{ value|stringformat:'s' }}\"{% endif %}{% endif %}"
    "{% endfor %}"
)
# The text of each Django template a shortcut reproduces (Django 5.2).
_TEMPLATES = {
    _WIDGETS + "attrs.html": _ATTRS,
    _INPUT: (
        '<input type="{{ widget.type }}" name="{{ widget.name }}"{% if widget.value != None %}'
        " value=\"{{ widget.value|stringformat:'s' }}\"{% endif %}"
        '{% include "django/forms/widgets/attrs.html" %}>\n'
    ),
    _WIDGETS + "select.html": (
        '<select name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>'
        "{% for group_name, group_choices, group_index in widget.optgroups %}{% if group_name %}\n"
        '  <optgroup label="{{ group_name }}">{% endif %}{% for option in group_choices %}\n'
        "  {% include option.template_name with widget=option %}{% endfor %}{% if group_name %}\n"
        "  </optgroup>{% endif %}{% endfor %}\n"
        "</select>\n"
    ),
    _WIDGETS + "select_option.html": (
        "<option value=\"{{ widget.value|stringformat:'s' }}\""
        '{% include "django/forms/widgets/attrs.html" %}>{{ widget.label }}</option>\n'
    ),
    _WIDGETS + "textarea.html": (
        '<textarea name="{{ widget.name }}"{% include "django/forms/widgets/attrs.html" %}>\n'
        "{% if widget.value %}{{ widget.value }}{% endif %}</textarea>\n"
    ),
    "django/forms/attrs.html": _ATTRS.replace("widget.attrs", "attrs"),
    "django/forms/label.html": (
        "{% if use_tag %}<{{ tag }}{% include 'django/forms/attrs.html' %}>{{ label }}</{{ tag }}>"
        "{% else %}{{ label }}{% endif %}\n"
    ),
    "django/forms/field.html": (
        "{% if field.use_fieldset %}\n"
        '  <fieldset{% if field.aria_describedby %} aria-describedby="{{ field.aria_describedby }}"'
        "{% endif %}>\n"
        "  {% if field.label %}{{ field.legend_tag }}{% endif %}\n"
        "{% else %}\n"
        "  {% if field.label %}{{ field.label_tag }}{% endif %}\n"
        "{% endif %}\n"
        '{% if field.help_text %}<div class="helptext"{% if field.auto_id %}'
        ' id="{{ field.auto_id }}_helptext"{% endif %}>{{ field.help_text|safe }}</div>'
        "{% endif %}\n"
        "{{ field.errors }}\n"
        "{{ field }}{% if field.use_fieldset %}</fieldset>{% endif %}\n"
    ),
    "django/forms/errors/list/default.html": '{% include "django/forms/errors/list/ul.html" %}',
    "django/forms/errors/list/ul.html": (
        '{% if errors %}<ul class="{{ error_class }}"{% if errors.field_id %}'
        ' id="{{ errors.field_id }}_error"{% endif %}>{% for error in errors %}<li>{{ error }}</li>'
        "{% endfor %}</ul>{% endif %}"
    ),
}
_OPTION = _WIDGETS + "select_option.html"
_DJANGO_TEMPLATES = Path(forms.__file__).parent / "templates"
# render_value_in_context reads only autoescape, use_l10n and use_tz: a default Context.
_CONTEXT = Context()


def _out(value: Any) -> str:
    """``{{ value }}``."""
    return render_value_in_context(value, _CONTEXT)


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` (the filter keeps a safe string safe)."""
    text = stringformat(value, "s")
    return _out(mark_safe(text) if isinstance(value, SafeData) else text)


def _attrs(attrs: Mapping[str, Any]) -> str:
    """``attrs.html``."""
    return "".join(
        f" {_out(name)}" if value is True else f' {_out(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: Mapping[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{_out(widget["type"])}" name="{_out(widget["name"])}"{shown}'
        f"{_attrs(widget['attrs'])}>"
    )


def _option(option: Mapping[str, Any]) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>'
        f"{_out(option['label'])}</option>\n"
    )


def _select(widget: Mapping[str, Any]) -> str | None:
    parts = [f'<select name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_out(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION:
                return None  # an option with its own template: the templates draw the select
            parts.append(f"\n  {_option(option)}")
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: Mapping[str, Any]) -> str:
    value = _out(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_out(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'


def _label(context: Mapping[str, Any]) -> str:
    """``label.html`` (a field's label or legend)."""
    label = _out(context["label"])
    if not context["use_tag"]:
        return label
    tag = _out(context["tag"])
    return f"<{tag}{_attrs(context['attrs'] or {})}>{label}</{tag}>"


def _field_group(context: Mapping[str, Any]) -> str | None:
    """``field.html`` (``as_field_group``: label, help text, errors, widget) for a field drawn
    without a fieldset; a fieldset (a list of checkboxes) is left to the template."""
    field = context["field"]
    if field.use_fieldset:
        return None
    label = _out(field.label_tag()) if field.label else ""
    help_text = ""
    if field.help_text:
        id_ = f' id="{_out(field.auto_id)}_helptext"' if field.auto_id else ""
        # ``|safe``: the help text as written, unescaped.
        help_text = f'<div class="helptext"{id_}>{_out(mark_safe(str(field.help_text)))}</div>'
    return f"\n  {label}\n\n{help_text}\n{_out(field.errors)}\n{_out(field)}\n"


def _error_list(context: Mapping[str, Any]) -> str | None:
    return "" if not context["errors"] else None  # a list with errors: the template


# A shortcut takes the template's context; None: the template draws this one.
_Shortcut = Callable[[Mapping[str, Any]], str | None]


def _widget(draw: Callable[[Mapping[str, Any]], str | None]) -> _Shortcut:
    """A shortcut that reads the context's ``widget``, as the widget templates do."""
    return lambda context: draw(context["widget"])


def _django_template(name: str) -> str | None:
    path = _DJANGO_TEMPLATES / name
    return path.read_text() if path.is_file() else None


@cache
def _shortcuts() -> dict[str, _Shortcut]:
    """The shortcuts whose templates are still the text they reproduce."""
    unchanged = {name for name, text in _TEMPLATES.items() if _django_template(name) == text}
    drawn: dict[str, _Shortcut] = {}
    if {_INPUT, _WIDGETS + "attrs.html"} <= unchanged:
        drawn[_INPUT] = _widget(_input)
        for path in sorted((_DJANGO_TEMPLATES / _WIDGETS).glob("*.html")):
            if path.read_text() == _INCLUDES_INPUT:
                drawn[_WIDGETS + path.name] = _widget(_input)
        if {_WIDGETS + "select.html", _OPTION} <= unchanged:
            drawn[_WIDGETS + "select.html"] = _widget(_select)
        if _WIDGETS + "textarea.html" in unchanged:
            drawn[_WIDGETS + "textarea.html"] = _widget(_textarea)
    if {_WIDGETS + "attrs.html", "django/forms/attrs.html", "django/forms/label.html"} <= unchanged:
        drawn["django/forms/label.html"] = _label
    if "django/forms/field.html" in unchanged:
        drawn["django/forms/field.html"] = _field_group
    errors = ("django/forms/errors/list/default.html", "django/forms/errors/list/ul.html")
    if set(errors) <= unchanged:
        for name in errors:
            drawn[name] = _error_list
    return drawn


class FormRenderer(DjangoTemplates):
    """Django's template renderer, with the shortcuts above."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        shortcut = _shortcuts().get(template_name)
        if shortcut is not None:
            drawn = shortcut(context)
            if drawn is not None:
                return drawn.strip()  # as Django's renderer strips a template's output
        return super().render(template_name, context, request)

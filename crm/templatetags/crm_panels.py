"""`{% panels "slot" %}`: the templates installed apps registered for a slot of a host page
(crm/panels.py), rendered with the page's context. `{% panels "slot" as html %}` keeps the
result in a variable instead (empty when no app fills the slot)."""

from django import template
from django.utils.safestring import mark_safe

from crm import panels as registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot: str):
    engine = context.template.engine
    parts = []
    for name in registry.templates(slot):
        with context.push():
            parts.append(engine.get_template(name).render(context))
    return mark_safe("".join(parts))

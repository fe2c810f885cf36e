"""Page panels: the host's pages have slots that installed apps fill with templates.

The host's templates name a slot, never a module:

    {% load crm_panels %}{% panels "contact-card-panels" %}

and an installed app registers its templates for the slots it fills, in its
AppConfig.ready():

    from crm import panels
    panels.register("contact-card-panels", "interactions/panels/contact_card.html")

Each template is rendered with the page's context, as by `{% include %}`; a slot that no
installed app fills renders nothing. The slots of the host's pages:

    navigation            sections of the main navigation, after "Campaigns": an item
                          (<li class="nav-item">) or, better, a menu of its own
                          (<li class="nav-item dropdown">), so that the bar fits
    navigation-more       items of the navigation's "Setup" menu (<li><a class="dropdown-item">);
                          without any, the menu holds only "Administration" (staff)
    home                  the landing page, under the welcome (`user`, `request` in the context)
    contact-card-actions  buttons next to a contact's name (`contact`)
    contact-card-panels   the contact card's main column (`contact`)
    contact-card-persons  a company's persons (`contact`, `persons`); without any, the card lists
                          the persons itself
    campaign-card-actions buttons next to a campaign's name (`campaign`)
    campaign-card-panels  the campaign card's main column (`campaign`)
"""

_registry: dict[str, list[tuple[int, int, str]]] = {}


def register(slot: str, template_name: str, *, order: int = 0) -> None:
    """Render `template_name` in `slot`; templates of a slot go by `order`, then by
    registration. Registering the same template in a slot again changes nothing."""
    entries = _registry.setdefault(slot, [])
    if any(name == template_name for _order, _index, name in entries):
        return
    entries.append((order, len(entries), template_name))
    entries.sort()


def templates(slot: str) -> list[str]:
    """The templates registered for `slot`, in order."""
    return [name for _order, _index, name in _registry.get(slot, [])]

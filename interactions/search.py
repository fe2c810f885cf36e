"""What the interactions module offers the search (crm/search): its pages and actions, and
its records (the finders of selectors/search.py). Called from the app's ready().

The keywords are search data, not UI strings: the original's page and report names in
English and in Russian (from its Russian user documentation, «Журналы взаимодействий»,
«Удалить отмененные операции журналов взаимодействий», and the product's own captions,
«Операции журнала взаимодействий»), so that a user who knows the original finds the page
by the name they know, whatever the language of the page. The display names are the
pages' titles, translated as every UI string is.
"""

from django.utils.translation import gettext_lazy as _

from crm import search

from .permissions import (
    ADD_GROUP,
    ADD_SEGMENT,
    ADD_TEMPLATE,
    PURGE,
    RECORD,
    VIEW_GROUPS,
    VIEW_LOG,
    VIEW_LOGGED_SEGMENTS,
    VIEW_SALESPEOPLE,
    VIEW_SEGMENTS,
    VIEW_SETUP,
    VIEW_TEMPLATES,
)
from .selectors import search as finders

# Orders: after the host's Dashboard (0), Contacts (10) and Documents (20).
PAGES = [
    # (url name, kind, display name, permissions, keywords, fragment)
    (
        "interactions:log",
        "page",
        _("Interaction log"),
        [VIEW_LOG],
        [
            "Interaction Log Entries",
            "Interaction Log Entry",
            "Log entries",
            "Interaction history",
            "Журналы взаимодействий",
            "Журнал взаимодействий",
            "Журнал операций взаимодействия",
            "Операции журнала взаимодействий",
            "История взаимодействий",
        ],
        "",
    ),
    (
        "interactions:new",
        "action",
        _("New interaction"),
        [RECORD],
        [
            "Create Interaction",
            "Record interaction",
            "Log interaction",
            "Создать взаимодействие",
            "Создание взаимодействий",
            "Регистрация взаимодействия",
            "Зарегистрировать взаимодействие",
        ],
        "",
    ),
    (
        "interactions:postponed",
        "page",
        _("Postponed interactions"),
        [RECORD],
        ["Postponed Interactions", "Drafts", "Отложенные взаимодействия", "Черновики"],
        "",
    ),
    (
        "interactions:segments",
        "page",
        _("Segments"),
        [VIEW_SEGMENTS],
        ["Segments", "Segment List", "Сегменты", "Список сегментов"],
        "",
    ),
    (
        "interactions:segments",
        "action",
        _("New segment"),
        [VIEW_SEGMENTS, ADD_SEGMENT],
        ["Create segment", "Создать сегмент", "Новый сегмент"],
        "segment-create",
    ),
    (
        "interactions:logged-segments",
        "page",
        _("Logged segments"),
        [VIEW_LOGGED_SEGMENTS],
        ["Logged Segments", "Зарегистрированные сегменты", "Учтенные сегменты"],
        "",
    ),
    (
        "interactions:templates",
        "page",
        _("Interaction templates"),
        [VIEW_TEMPLATES],
        ["Interaction Templates", "Шаблоны взаимодействия", "Шаблоны взаимодействий"],
        "",
    ),
    (
        "interactions:template-create",
        "action",
        _("New interaction template"),
        [ADD_TEMPLATE],
        ["Create interaction template", "Создать шаблон взаимодействия", "Новый шаблон взаимодействия"],
        "",
    ),
    (
        "interactions:groups",
        "page",
        _("Interaction groups"),
        [VIEW_GROUPS],
        ["Interaction Groups", "Группы взаимодействий"],
        "",
    ),
    (
        "interactions:group-create",
        "action",
        _("New interaction group"),
        [ADD_GROUP],
        ["Create interaction group", "Создать группу взаимодействий", "Новая группа взаимодействий"],
        "",
    ),
    (
        "interactions:setup",
        "page",
        _("Interaction template setup"),
        [VIEW_SETUP],
        [
            "Interaction Template Setup",
            "Настройка шаблонов взаимодействий",
            "Настройка шаблона взаимодействия",
            "Настройка взаимодействий",
        ],
        "",
    ),
    (
        "interactions:salespeople",
        "page",
        _("Totals per salesperson"),
        [VIEW_SALESPEOPLE, VIEW_LOG],
        [
            "Salespeople/Purchasers",
            "Salesperson statistics",
            "Менеджеры по продажам/закупкам",
            "Продавцы",
            "Статистика продавцов",
        ],
        "",
    ),
    (
        "interactions:purge",
        "action",
        _("Delete canceled interaction log entries"),
        [PURGE],
        [
            "Delete Canceled Interaction Log Entries",
            "Delete Interaction Log Entries",
            "Purge canceled entries",
            "Удалить отмененные операции журнала взаимодействий",
            "Удалить отмененные операции журналов взаимодействий",
            "Удалить операции журнала взаимодействий",
            "Удаление отмененных операций журнала взаимодействий",
        ],
        "",
    ),
]

RECORDS = [
    # (kind, heading, finder)
    ("log-entries", _("Interaction log entries"), finders.find_log_entries),
    ("segments", _("Segments"), finders.find_segments),
    ("logged-segments", _("Logged segments"), finders.find_logged_segments),
    ("templates", _("Interaction templates"), finders.find_templates),
]


def register() -> None:
    for order, (url_name, kind, name, permissions, keywords, fragment) in enumerate(PAGES, start=30):
        if kind == "action":
            search.register_action(
                url_name, name=name, permissions=permissions, keywords=keywords, fragment=fragment, order=order
            )
        else:
            search.register_page(url_name, name=name, permissions=permissions, keywords=keywords, order=order)
    for order, (kind, label, find) in enumerate(RECORDS, start=30):
        search.register_records(kind, label=label, find=find, order=order)

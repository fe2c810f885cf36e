"""Demo master data: salespeople, companies with their persons, campaigns. Idempotent."""

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from crm import demo

from .models import Campaign, Contact, CorrespondenceType, Salesperson

SALESPEOPLE = [
    ("OI", "Olga Ivanova", "ru"),
    ("DS", "Dmitry Sokolov", "ru"),
    ("JR", "John Roberts", "en"),
    ("EM", "Emily Morgan", "en"),
    ("AK", "Anna Kuznetsova", "ru"),
]

# (name, city, country, language)
COMPANIES = [
    ("ООО «Северная звезда»", "Москва", "RU", "ru"),
    ("АО «Уральские машины»", "Екатеринбург", "RU", "ru"),
    ("ООО «Волга-Трейд»", "Казань", "RU", "ru"),
    ("ЗАО «Балтийский берег»", "Санкт-Петербург", "RU", "ru"),
    ("ООО «Сибирский лес»", "Новосибирск", "RU", "ru"),
    ("ООО «Кубань Агро»", "Краснодар", "RU", "ru"),
    ("АО «Московский офис»", "Москва", "RU", "ru"),
    ("ООО «Невские технологии»", "Санкт-Петербург", "RU", "ru"),
    ("ООО «Ладога»", "Санкт-Петербург", "RU", "ru"),
    ("ООО «Казанские системы»", "Казань", "RU", "ru"),
    ("ООО «Дон-Логистик»", "Ростов-на-Дону", "RU", "ru"),
    ("ООО «Самара Стиль»", "Самара", "RU", "ru"),
    ("ООО «Камская мебель»", "Пермь", "RU", "ru"),
    ("АО «Полярный круг»", "Мурманск", "RU", "ru"),
    ("ООО «Альфа Офис»", "Москва", "RU", "ru"),
    ("Adatum Corporation", "London", "GB", "en"),
    ("Trey Research", "Manchester", "GB", "en"),
    ("Fabrikam Inc.", "London", "GB", "en"),
    ("Litware Inc.", "Birmingham", "GB", "en"),
    ("Contoso Pharmaceuticals", "Cambridge", "GB", "en"),
    ("Northwind Traders", "Bristol", "GB", "en"),
    ("Alpine Ski House", "Edinburgh", "GB", "en"),
    ("Coho Winery", "London", "GB", "en"),
    ("Wide World Importers", "Leeds", "GB", "en"),
    ("Tailspin Toys", "Manchester", "GB", "en"),
    ("Woodgrove Bank", "London", "GB", "en"),
    ("Proseware Inc.", "Oxford", "GB", "en"),
    ("Blue Yonder Airlines", "Glasgow", "GB", "en"),
    ("Lucerne Publishing", "Brighton", "GB", "en"),
    ("Graphic Design Institute", "Liverpool", "GB", "en"),
    ("Margie's Travel", "London", "GB", "en"),
    ("School of Fine Art", "Bath", "GB", "en"),
    ("The Phone Company", "Cardiff", "GB", "en"),
    ("Humongous Insurance", "Birmingham", "GB", "en"),
    ("Fourth Coffee", "Leeds", "GB", "en"),
]

RUSSIAN_FIRST = ["Алексей", "Мария", "Сергей", "Екатерина", "Иван", "Наталья", "Павел", "Ольга", "Андрей", "Татьяна",
                 "Михаил", "Елена", "Николай", "Светлана", "Юрий", "Ирина"]  # fmt: skip
RUSSIAN_LAST = [("Смирнов", "Смирнова"), ("Иванов", "Иванова"), ("Попов", "Попова"), ("Волков", "Волкова"),
                ("Морозов", "Морозова"), ("Лебедев", "Лебедева"), ("Козлов", "Козлова"), ("Новиков", "Новикова"),
                ("Фёдоров", "Фёдорова"), ("Орлов", "Орлова")]  # fmt: skip
RUSSIAN_FEMALE = {"Мария", "Екатерина", "Наталья", "Ольга", "Татьяна", "Елена", "Светлана", "Ирина"}
ENGLISH_FIRST = ["James", "Sarah", "Michael", "Laura", "David", "Emma", "Robert", "Sophie", "Thomas", "Hannah",
                 "George", "Chloe", "Daniel", "Lucy"]  # fmt: skip
ENGLISH_LAST = ["Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Evans", "Walker",
                "Wright", "Thompson", "White", "Hughes"]  # fmt: skip
JOB_TITLES_RU = ["Генеральный директор", "Менеджер по закупкам", "Главный бухгалтер", "Руководитель отдела продаж",
                 "Офис-менеджер", "Инженер"]  # fmt: skip
JOB_TITLES_EN = ["Managing Director", "Purchasing Manager", "Chief Accountant", "Sales Manager", "Office Manager",
                 "Engineer"]  # fmt: skip
CAMPAIGNS = [
    ("Spring trade fair", 90, 60),
    ("Loyalty programme", 400, 365),
    ("New product line launch", 200, 45),
]
# `load_demo --language ru`: the campaigns' descriptions in Russian.
CAMPAIGNS_RU = {
    "Spring trade fair": "Весенняя выставка",
    "Loyalty programme": "Программа лояльности",
    "New product line launch": "Запуск новой линейки продукции",
}


@dataclass
class ContactsDemo:
    salespeople: list[Salesperson]
    companies: list[Contact]
    persons: list[Contact]
    campaigns: list[Campaign]


def _person_name(rng: random.Random, language: str) -> str:
    if language == "ru":
        first = rng.choice(RUSSIAN_FIRST)
        male, female = rng.choice(RUSSIAN_LAST)
        return f"{first} {female if first in RUSSIAN_FEMALE else male}"
    return f"{rng.choice(ENGLISH_FIRST)} {rng.choice(ENGLISH_LAST)}"


def _transliterate(name: str) -> str:
    table = str.maketrans("абвгдеёжзийклмнопрстуфхцчшщъыьэюя", "abvgdeejziiklmnoprstufhccss_y_eua")
    return "".join(ch for ch in name.lower().translate(table) if ch.isalnum())


def load_contacts_demo(
    *, rng: random.Random, users_by_salesperson: dict[str, object], language: str = "en"
) -> ContactsDemo:
    descriptions_in_russian = language == "ru"  # `language` is each company's below
    salespeople = []
    for code, name, _language in SALESPEOPLE:
        salesperson, _created = Salesperson.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "email": f"{code.lower()}@cronus-demo.example",
                "phone": f"+7 495 555-01-{len(salespeople) + 10}",
                "user": users_by_salesperson.get(code),
            },
        )
        salespeople.append(salesperson)

    companies, persons = [], []
    correspondence = [CorrespondenceType.EMAIL, CorrespondenceType.EMAIL, CorrespondenceType.HARD_COPY,
                      CorrespondenceType.FAX, CorrespondenceType.BLANK]  # fmt: skip
    for index, (name, city, country, language) in enumerate(COMPANIES):
        domain = f"{_transliterate(name.split('«')[-1].rstrip('»'))[:14] or 'company'}.example"
        company, _created = Contact.objects.get_or_create(
            type=Contact.Type.COMPANY,
            name=name,
            defaults={
                "city": city,
                "country": country,
                "language": language,
                "address": f"{rng.randint(1, 120)} {'ул. Ленина' if language == 'ru' else 'High Street'}",
                "post_code": f"{rng.randint(100000, 199999)}" if language == "ru" else f"SW{rng.randint(1, 20)} 1AA",
                "phone": f"+7 495 {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
                if language == "ru"
                else f"+44 20 {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
                "email": f"info@{domain}",
                "salesperson": salespeople[index % len(salespeople)],
                "correspondence_type": rng.choice(correspondence),
                "exclude_from_segments": index % 17 == 16,
            },
        )
        companies.append(company)
        existing = list(company.persons.all())
        if existing:
            persons.extend(existing)
            continue
        for _number in range(rng.randint(2, 6)):
            person_name = _person_name(rng, language)
            persons.append(
                Contact.objects.create(
                    type=Contact.Type.PERSON,
                    company=company,
                    name=person_name,
                    job_title=rng.choice(JOB_TITLES_RU if language == "ru" else JOB_TITLES_EN),
                    city=city,
                    country=country,
                    language=language,
                    phone=company.phone,
                    mobile=(
                        f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)}"
                    )
                    if language == "ru"
                    else f"+44 7{rng.randint(100, 999)} {rng.randint(100000, 999999)}",
                    email=f"{_transliterate(person_name.split()[0])}.{_transliterate(person_name.split()[-1])}@{domain}",
                    salesperson=company.salesperson,
                    correspondence_type=rng.choice(correspondence),
                )
            )

    today = timezone.localdate()
    campaigns = []
    for index, (english, started_days_ago, length) in enumerate(CAMPAIGNS):
        description = CAMPAIGNS_RU[english] if descriptions_in_russian else english
        # Found in either language, and brought to the one asked for.
        campaign = Campaign.objects.filter(description__in=[english, CAMPAIGNS_RU[english]]).order_by("pk").first()
        if campaign is not None and campaign.description != description:
            campaign.description = description
            campaign.save(update_fields=["description"])
        if campaign is None:
            start = today - datetime.timedelta(days=started_days_ago)
            campaign = Campaign.objects.create(
                description=description,
                starting_date=start,
                ending_date=start + datetime.timedelta(days=length),
                salesperson=salespeople[index],
            )
        campaigns.append(campaign)
    return ContactsDemo(salespeople=salespeople, companies=companies, persons=persons, campaigns=campaigns)


@demo.register("contacts")
def load_demo(context: demo.DemoContext) -> ContactsDemo:
    contacts = load_contacts_demo(
        rng=context.rng,
        users_by_salesperson=context.users_by_salesperson,
        language=context.options.get("language") or "en",
    )
    context.report(
        f"{len(contacts.companies)} companies, {len(contacts.persons)} persons, {len(contacts.salespeople)} salespeople"
    )
    return contacts

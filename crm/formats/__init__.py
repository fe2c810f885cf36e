"""The project's date and time formats, one per language (settings.FORMAT_MODULE_PATH).

Every page, chart, export and PDF writes a date, a time or a moment with Django's named
formats (`|date`, `|time`, `date_format(value)`, `time_format(value)`, django-tables2's date
columns): DATE_FORMAT and SHORT_DATE_FORMAT are the same, so are DATETIME_FORMAT and
SHORT_DATETIME_FORMAT, and times are 24-hour in both languages. Nothing writes a format of
its own (`|date:"d.m.Y"`, strftime) for people to read; machine formats (ISO 8601 in the
API, file names, form inputs of type date) are another matter.

    English   Nov 30, 2026   Nov 30, 2026, 16:05   16:05   Nov 2026
    Russian   30.11.2026     30.11.2026 16:05      16:05   Ноябрь 2026
"""

"""The API's datetimes are on the site's clock with its offset (docs/api.md, 'Datetimes')."""

#: Description of every datetime field the API answers with.
SITE_TIME = "site local time with its UTC offset (e.g. 2026-12-08T07:30:00+09:00)"

"""Public holidays for the calendar feature "holiday" (data.calendar, data.country): the
`holidays` package's per-country calendars, imported only when the feature is asked for.

data.country is a country code, "GB" (ISO 3166-1 alpha-2; alpha-3 and the package's aliases
such as "UK" are read too), optionally with a subdivision after a hyphen, "GB-SCT" or "AU-VIC",
as holidays.country_holidays(country, subdiv=...) takes it. A country alone has only the
holidays common to all of it (GB: no Easter Monday, which Scotland does not keep)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from forecast_bench.models.errors import ConfigError

_LISTED = 20  # subdivisions named in an error before "... (N in all)"


def parse_country(text: object) -> str:
    """data.country as the package names it, "GB" or "GB-SCT" (the country and subdivision
    codes, whatever case or alias was given); ConfigError naming an unknown country or
    subdivision and where the valid ones are listed."""
    if not isinstance(text, str) or not text.strip():
        raise ConfigError(f"data.country must be a country code such as GB, or with a "
                          f"subdivision GB-SCT or AU-VIC; got {text!r}")
    import holidays

    code, _, wanted = (part.strip() for part in text.strip().partition("-"))
    try:
        calendar = holidays.country_holidays(code.upper())
    except NotImplementedError:
        raise ConfigError(f"data.country {text!r}: the holidays package has no country "
                          f"{code!r}; give an ISO 3166-1 code such as GB, US or DE (the list: "
                          "python -c 'import holidays; print(sorted(holidays."
                          "list_supported_countries()))')") from None
    country = str(calendar.country)
    if not wanted:
        return country
    subdivision = _subdivision(calendar, wanted)
    if subdivision is None:
        codes = list(calendar.subdivisions)
        if not codes:
            raise ConfigError(f"data.country {text!r}: the holidays package has no subdivisions "
                              f"of {country}; use --country {country}")
        named = ", ".join(codes[:_LISTED]) + (f", ... ({len(codes)} in all)"
                                              if len(codes) > _LISTED else "")
        raise ConfigError(f"data.country {text!r}: {country} has no subdivision {wanted!r} in the "
                          f"holidays package; use one of {named} (e.g. --country "
                          f"{country}-{codes[0]}; holidays.list_supported_countries() lists "
                          "them)")
    return f"{country}-{subdivision}"


def _subdivision(calendar: Any, wanted: str) -> str | None:
    """The subdivision code `wanted` names (a code or the package's alias, any case)."""
    aliases: dict[str, str] = getattr(calendar, "subdivisions_aliases", {}) or {}
    known = {alias.casefold(): code for alias, code in aliases.items()}
    known.update({code.casefold(): code for code in calendar.subdivisions})  # codes win
    return known.get(wanted.casefold())


def holiday_flags(index: pd.DatetimeIndex, country: str) -> np.ndarray:
    """1.0 at each timestamp whose date is a public holiday of `country` (as parse_country
    returns it), else 0.0: every hour or half-hour of a holiday for sub-daily dates."""
    if not len(index):
        return np.zeros(0)
    import holidays

    code, _, subdivision = country.partition("-")
    days = index.normalize()
    if days.tz is not None:
        days = days.tz_localize(None)  # the local dates
    listed = holidays.country_holidays(code, subdiv=subdivision or None,
                                       years=range(days.year.min(), days.year.max() + 1))
    return np.asarray(days.isin(pd.DatetimeIndex(list(listed))), dtype=float)

"""The command line's options for reading a CSV file and its covariates (benchmarks.cli)."""

from __future__ import annotations

import argparse
from typing import Any


def _sep(text: str) -> str:
    """'tab' or a backslash-t -> a tab character; anything else as it is."""
    return "\t" if text in ("tab", "\\t") else text


def file_options(parser: argparse.ArgumentParser) -> None:
    """How to read a CSV: its date, id columns, date form, separator and decimal mark, and
    its covariates."""
    parser.add_argument("--date-column", help="date column of a CSV (default: found by name "
                        "or content)")
    parser.add_argument("--id-column", help="series id column of a long CSV (default unique_id)")
    parser.add_argument("--dayfirst", action="store_const", const=True,
                        help="slash/dot dates are day-first, 31/12/2020 (default: detected)")
    parser.add_argument("--date-format", help="strptime format of the dates, e.g. %%d.%%m.%%Y")
    parser.add_argument("--sep", type=_sep, help="field separator, e.g. ';' or tab "
                        "(default: from the header line)")
    parser.add_argument("--decimal", help="decimal mark, '.' or ',' (default: ',' when a "
                        "';'-separated file writes 1,5)")
    parser.add_argument("--future-covariates", help="columns known ahead (calendar, "
                        "promotions, planned prices), e.g. promo,price: read up to each target")
    parser.add_argument("--past-covariates", help="observed columns, e.g. temperature: read "
                        "only before each forecast's origin")
    parser.add_argument("--calendar", help="calendar features from the dates: dow (day of "
                        "week), month, holiday (public holidays of --country), e.g. "
                        "dow,month,holiday")
    parser.add_argument("--country", help="the country of the holiday feature: GB, or with a "
                        "subdivision GB-SCT or AU-VIC (the holidays package's codes)")


def file_spec(args: argparse.Namespace) -> dict[str, Any]:
    """The DataSpec fields of file_options (None: not given)."""
    return {"date_column": args.date_column, "id_column": args.id_column,
            "dayfirst": args.dayfirst, "date_format": args.date_format, "sep": args.sep,
            "decimal": args.decimal, "future_covariates": args.future_covariates,
            "past_covariates": args.past_covariates, "calendar": args.calendar,
            "country": args.country}

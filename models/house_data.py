"""House-price data: the bundled data sets, a user's table, and the cleaning between.

A house table becomes a :class:`HouseData`: standardized features ``X``, the log-price
response ``y``, a censoring flag, an optional group index (for varying intercepts), a
fixed seeded train/test split, and the :class:`FeaturePipeline` that turns the raw
columns of *new* houses into the same features (so a fitted model can price them).

Every cleaning decision is recorded in a cleaning log (a list of :class:`CleaningStep`)
rather than printed, so the CLI, the report and the tests can show or check it:

* missing values: a ratio imputation where a partner column predicts the gap
  (California ``total_bedrooms`` from ``total_rooms``), otherwise the training median;
  missing text takes the most frequent level;
* per-household features where the table has census-style totals
  (rooms, bedrooms and population per household replace the raw totals);
* text columns: yes/no (and other two-level) columns become 0/1, the group column
  becomes an integer index, other multi-level columns are one-hot encoded against the
  most frequent level;
* strongly right-skewed positive features are log-transformed, constant ones dropped;
* features are standardized with the training rows' mean and standard deviation;
* the response is log(price); prices at or above a censoring cap (California's
  500,001) are flagged as right-censored for a censored likelihood.

All statistics (medians, ratios, levels, skewness decisions, means, scales) are fitted on
the training rows only, so the test split is a fair held-out check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from os import PathLike

import numpy as np
import pandas as pd

__all__ = [
    "DATASETS",
    "CleaningStep",
    "DatasetSpec",
    "FeaturePipeline",
    "HouseData",
    "Split",
    "from_csv",
    "from_frame",
    "load_dataset",
    "load_raw",
]

SPLIT_SEED = 20_240_601
"""Seed of the fixed train/test split (the same split on every machine)."""
TEST_FRACTION = 0.2
MIN_ROWS = 20
"""Fewest rows with a usable price before any model is worth fitting."""
MAX_LEVELS = 30
"""A text column with more distinct values than this is not treated as categorical."""
SKEW_THRESHOLD = 2.0
"""Positive features with sample skewness above this are modelled on the log scale."""

_YES = {"yes", "y", "true", "t", "1"}
_NO = {"no", "n", "false", "f", "0"}
_ROW_NUMBER_COLUMNS = {"rownames", "unnamed: 0", ""}
_HOUSEHOLD_TOTALS = ("total_rooms", "total_bedrooms", "population", "households")


@dataclass(frozen=True)
class DatasetSpec:
    """How to read one bundled data set."""

    file: str
    price_column: str
    group_column: str | None
    censor_upper: float | None
    description: str


DATASETS: dict[str, DatasetSpec] = {
    "california": DatasetSpec(
        "california_housing.csv", "median_house_value", "ocean_proximity", 500_001.0,
        "1990 California census block groups (Pace & Barry 1997); median house value "
        "in USD, censored at 500,001",
    ),
    "windsor": DatasetSpec(
        "windsor_house_prices.csv", "price", None, None,
        "house sales in Windsor, Ontario, 1987 (Anglin & Gencay 1996)",
    ),
    "saratoga": DatasetSpec(
        # no default group: its categorical columns (heating, fuel) are nearly collinear
        # (electric heating, electric fuel), so one-hot encoding serves them better
        "saratoga_houses.csv", "price", None, None,
        "houses in Saratoga County, New York, 2006 (De Veaux; mosaicData)",
    ),
}


@dataclass(frozen=True)
class CleaningStep:
    """One cleaning decision: what was done, to which columns, how many rows it touched."""

    action: str
    columns: tuple[str, ...]
    detail: str
    rows: int | None = None

    def __str__(self):
        rows = "" if self.rows is None else f" ({self.rows} rows)"
        columns = f"{', '.join(self.columns)}: " if self.columns else ""
        return f"{self.action}: {columns}{self.detail}{rows}"


@dataclass
class Split:
    """One part of the data (train or test), ready for a model."""

    X: np.ndarray
    """(n, k) standardized features."""
    y: np.ndarray
    """(n,) log price."""
    price: np.ndarray
    """(n,) price in the table's currency."""
    censored: np.ndarray
    """(n,) bool: the recorded price is the censoring cap (the true price is above it)."""
    group: np.ndarray | None
    """(n,) int64 group index, or None."""
    rows: np.ndarray
    """(n,) positions of these rows in the cleaned table."""

    def __len__(self):
        return len(self.y)


@dataclass
class HouseData:
    """A cleaned house table split into train and test, with what it takes to price new houses."""

    name: str
    price_column: str
    train: Split
    test: Split
    pipeline: "FeaturePipeline"
    cleaning_log: list[CleaningStep]
    censor_upper: float | None = None
    """The censoring cap in price units (None: no censoring)."""
    frame: pd.DataFrame | None = field(default=None, repr=False)
    """The table as read (after dropping rows without a usable price)."""

    @property
    def feature_names(self) -> list[str]:
        return list(self.pipeline.feature_names)

    @property
    def group_column(self) -> str | None:
        return self.pipeline.group_column

    @property
    def group_levels(self) -> list[str]:
        return list(self.pipeline.group_levels)

    @property
    def log_censor_upper(self) -> float | None:
        return None if self.censor_upper is None else float(np.log(self.censor_upper))

    def features(self, houses: pd.DataFrame):
        """Features of new houses: ``(X, group)`` on the training scale.

        ``group`` holds -1 for a level not seen in training (a new group: its intercept
        comes from the population of groups). Missing values are imputed as in training.
        """
        X, group, _ = self.pipeline.transform(houses)
        return X, group

    def cleaning_report(self) -> str:
        return "\n".join(f"- {step}" for step in self.cleaning_log)


# --------------------------------------------------------------------------------------
# the feature pipeline
# --------------------------------------------------------------------------------------


def _is_text(series: pd.Series) -> bool:
    return not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series))


def _norm_levels(series: pd.Series) -> pd.Series:
    """Text values stripped of surrounding blanks (missing stays missing)."""
    return series.astype("string").str.strip()


class FeaturePipeline:
    """Raw house columns -> standardized features (fit on training rows, reused for new ones).

    Built by :meth:`fit`, which returns the cleaning log of its decisions; :meth:`transform`
    applies the same decisions to any table with the same raw columns.
    """

    def __init__(self, *, group_column=None, impute_ratio=None,
                 max_levels=MAX_LEVELS, skew_threshold=SKEW_THRESHOLD):
        self.group_column = group_column
        self.impute_ratio = dict(impute_ratio or {})
        self.max_levels = max_levels
        self.skew_threshold = skew_threshold
        self.raw_columns: list[str] = []
        self.text_columns: list[str] = []
        self.medians: dict[str, float] = {}
        self.ratios: dict[str, tuple[str, float]] = {}
        self.modes: dict[str, str] = {}
        self.derive_household = False
        self.binary: dict[str, str] = {}
        self.onehot: dict[str, list[str]] = {}
        self.onehot_reference: dict[str, str] = {}
        self.group_levels: list[str] = []
        self.logged: list[str] = []
        self.feature_names: list[str] = []
        self.mean = np.zeros(0)
        self.scale = np.ones(0)

    # -- fitting ----------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> list[CleaningStep]:
        log: list[CleaningStep] = []
        self.raw_columns = list(frame.columns)
        if self.group_column is not None and self.group_column not in frame.columns:
            raise ValueError(
                f"group column {self.group_column!r} is not in the table; columns are "
                f"{list(frame.columns)}"
            )
        self.text_columns = [c for c in frame.columns if _is_text(frame[c])]
        df = self._fit_missing(frame, log)
        df = self._derive(df, log, fitting=True)
        df = self._fit_encode(df, log)
        num = self._fit_numeric(df, log)
        self.feature_names = list(num.columns)
        values = num.to_numpy(dtype=np.float64)
        self.mean = values.mean(axis=0)
        self.scale = values.std(axis=0)
        log.append(CleaningStep(
            "standardize", tuple(self.feature_names),
            "centred and scaled by the training mean and standard deviation "
            "(kept for pricing new houses)", len(values)))
        return log

    def _fit_missing(self, frame, log):
        df = frame.copy()
        for col, ref in self.impute_ratio.items():
            if col not in df.columns or ref not in df.columns:
                continue
            miss = df[col].isna()
            ok = ~miss & df[ref].notna() & (df[ref] > 0)
            ratio = float(np.median(df.loc[ok, col] / df.loc[ok, ref]))
            self.ratios[col] = (ref, ratio)
            if miss.any():
                log.append(CleaningStep(
                    "impute", (col,),
                    f"missing values filled with {ref} x {ratio:.4f} (the median ratio "
                    f"{col}/{ref} in the training rows)", int(miss.sum())))
        for col in df.columns:
            if col in self.ratios:
                continue
            miss = df[col].isna()
            if col in self.text_columns:
                levels = _norm_levels(df[col]).dropna()
                if levels.empty:
                    raise ValueError(f"column {col!r} has no values")
                self.modes[col] = str(levels.value_counts().index[0])
                if miss.any():
                    log.append(CleaningStep(
                        "impute", (col,),
                        f"missing text filled with the most frequent level "
                        f"{self.modes[col]!r}", int(miss.sum())))
            else:
                if df[col].notna().sum() == 0:
                    raise ValueError(f"column {col!r} has no values")
                self.medians[col] = float(df[col].median())
                if miss.any():
                    log.append(CleaningStep(
                        "impute", (col,),
                        f"missing values filled with the training median "
                        f"{self.medians[col]:.4g}", int(miss.sum())))
        return self._fill_missing(df)

    def _fit_encode(self, df, log):
        for col in self.text_columns:
            levels = _norm_levels(df[col])
            counts = levels.value_counts()
            if col == self.group_column:
                self.group_levels = sorted(counts.index.astype(str))
                sizes = ", ".join(f"{lev} {counts[lev]}" for lev in self.group_levels)
                log.append(CleaningStep(
                    "encode", (col,),
                    f"group index for varying intercepts, {len(self.group_levels)} "
                    f"levels ({sizes})"))
                continue
            if len(counts) > self.max_levels:
                raise ValueError(
                    f"column {col!r} is not numeric and has {len(counts)} distinct values, "
                    f"too many to encode as categories (at most {self.max_levels}); "
                    f"drop it or convert it to numbers"
                )
            lower = {str(v).lower() for v in counts.index}
            if len(counts) <= 2 and lower <= (_YES | _NO):
                positive = next((str(v) for v in counts.index if str(v).lower() in _YES), None)
                self.binary[col] = positive if positive is not None else "\x00"
                log.append(CleaningStep("encode", (col,), "yes/no text -> 1/0"))
            elif len(counts) == 2:
                positive = sorted(counts.index.astype(str))[1]
                self.binary[col] = positive
                log.append(CleaningStep(
                    "encode", (col,), f"two-level text -> 1 if {positive!r} else 0"))
            elif len(counts) == 1:
                log.append(CleaningStep("drop", (col,), "a single text value: no information"))
            else:
                reference = str(counts.index[0])
                self.onehot_reference[col] = reference
                self.onehot[col] = sorted(str(v) for v in counts.index if str(v) != reference)
                log.append(CleaningStep(
                    "encode", (col,),
                    f"{len(counts)} levels one-hot encoded against the most frequent, "
                    f"{reference!r}"))
        if self.group_column is not None and self.group_column not in self.text_columns:
            self.group_levels = sorted(str(v) for v in df[self.group_column].unique())
            log.append(CleaningStep(
                "encode", (self.group_column,),
                f"group index for varying intercepts, {len(self.group_levels)} levels"))
        return self._encode(df)

    def _fit_numeric(self, num, log):
        constant = [c for c in num.columns if num[c].nunique() <= 1]
        if constant:
            log.append(CleaningStep("drop", tuple(constant), "constant in the training rows"))
            num = num.drop(columns=constant)
        for col in num.columns:
            x = num[col].to_numpy(dtype=np.float64)
            if col in self.binary or any(col.startswith(f"{c}=") for c in self.onehot):
                continue
            if np.all(x > 0) and _skewness(x) > self.skew_threshold:
                self.logged.append(col)
                log.append(CleaningStep(
                    "log-transform", (col,),
                    f"right-skewed (skewness {_skewness(x):.1f}): modelled as log({col})"))
        self._constant = constant
        return self._apply_logs(num)

    # -- applying -----------------------------------------------------------------------
    def _fill_missing(self, df):
        for col, (ref, ratio) in self.ratios.items():
            df[col] = df[col].fillna(df[ref] * ratio)
        for col, med in self.medians.items():
            df[col] = df[col].fillna(med)
        for col, mode in self.modes.items():
            df[col] = _norm_levels(df[col]).fillna(mode)
        return df

    def _derive(self, df, log, fitting=False):
        if fitting:
            self.derive_household = all(c in df.columns for c in _HOUSEHOLD_TOTALS)
        if not self.derive_household:
            return df
        for denom in ("households", "total_rooms"):
            zero = (df[denom] <= 0).to_numpy()
            if zero.any():
                raise ValueError(
                    f"column {denom!r} must be positive to form per-household features; "
                    f"rows {np.flatnonzero(zero)[:5].tolist()} are not"
                )
        df = df.copy()
        df["rooms_per_household"] = df["total_rooms"] / df["households"]
        df["bedrooms_per_room"] = df["total_bedrooms"] / df["total_rooms"]
        df["population_per_household"] = df["population"] / df["households"]
        df = df.drop(columns=["total_rooms", "total_bedrooms", "population"])
        if fitting:
            log.append(CleaningStep(
                "derive", ("rooms_per_household", "bedrooms_per_room",
                           "population_per_household"),
                "per-household ratios replace the block totals total_rooms, "
                "total_bedrooms and population (totals mostly measure block size)"))
        return df

    def _encode(self, df):
        out = {}
        for col in df.columns:
            if col == self.group_column:
                continue
            if col in self.binary:
                out[col] = (_norm_levels(df[col]) == self.binary[col]).astype(np.float64)
            elif col in self.onehot:
                levels = _norm_levels(df[col])
                known = set(self.onehot[col]) | {self.onehot_reference[col]}
                unknown = sorted(set(levels.unique()) - known)
                if unknown:
                    raise ValueError(
                        f"column {col!r} has levels {unknown} not seen in training "
                        f"(known: {sorted(known)})"
                    )
                for lev in self.onehot[col]:
                    out[f"{col}={lev}"] = (levels == lev).astype(np.float64)
            elif col in self.text_columns:
                continue  # a single-level text column, dropped
            else:
                out[col] = pd.to_numeric(df[col]).astype(np.float64)
        return pd.DataFrame(out, index=df.index)

    def _apply_logs(self, num):
        num = num.copy()
        for col in self.logged:
            x = num[col].to_numpy(dtype=np.float64)
            if np.any(x <= 0):
                raise ValueError(
                    f"column {col!r} was modelled on the log scale and must be positive; "
                    f"got {x[x <= 0][:3].tolist()}"
                )
            num[col] = np.log(x)
        return num.rename(columns={c: f"log({c})" for c in self.logged})

    def _group_index(self, df):
        if self.group_column is None:
            return None
        levels = df[self.group_column]
        levels = _norm_levels(levels) if self.group_column in self.text_columns else levels.astype(str)
        lookup = {lev: i for i, lev in enumerate(self.group_levels)}
        return np.array([lookup.get(str(v), -1) for v in levels], dtype=np.int64)

    def transform(self, frame: pd.DataFrame):
        """Apply the fitted cleaning to ``frame``: returns ``(X, group, log)``."""
        if not self.feature_names:
            raise RuntimeError("FeaturePipeline.transform called before fit")
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"houses must be a pandas DataFrame, got {type(frame).__name__}")
        missing = [c for c in self.raw_columns if c not in frame.columns]
        if missing:
            raise ValueError(f"the houses to price lack the columns {missing}")
        df = frame[self.raw_columns].copy()
        for col in self.raw_columns:
            if col not in self.text_columns:
                converted = pd.to_numeric(df[col], errors="coerce")
                bad = converted.isna() & df[col].notna()
                if bad.any():
                    raise ValueError(
                        f"column {col!r} must be numeric; got {df[col][bad].iloc[0]!r}")
                df[col] = converted
        log = [CleaningStep("impute", (c,), "missing values filled as in training",
                            int(df[c].isna().sum()))
               for c in self.raw_columns if df[c].isna().any()]
        df = self._fill_missing(df)
        df = self._derive(df, log)
        group = self._group_index(df)
        num = self._encode(df).drop(columns=self._constant)
        num = self._apply_logs(num)[self.feature_names]
        X = (num.to_numpy(dtype=np.float64) - self.mean) / self.scale
        return np.ascontiguousarray(X), group, log


def _skewness(x):
    d = x - x.mean()
    sd = np.sqrt(np.mean(d * d))
    return float(np.mean(d ** 3) / sd ** 3) if sd > 0 else 0.0


# --------------------------------------------------------------------------------------
# building HouseData
# --------------------------------------------------------------------------------------


def load_raw(name: str) -> pd.DataFrame:
    """The bundled table ``name`` (one of :data:`DATASETS`) exactly as shipped."""
    spec = _spec(name)
    with (files("bayeskit.models") / "data" / spec.file).open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh)


def _spec(name):
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {sorted(DATASETS)}")
    return DATASETS[name]


def load_dataset(name: str = "california", *, test_fraction=TEST_FRACTION,
                 seed=SPLIT_SEED, group_column="default") -> HouseData:
    """Load and clean a bundled data set: ``"california"`` (default), ``"windsor"``, ``"saratoga"``."""
    spec = _spec(name)
    return from_frame(
        load_raw(name), spec.price_column, name=name, censor_upper=spec.censor_upper,
        group_column=spec.group_column if group_column == "default" else group_column,
        test_fraction=test_fraction, seed=seed,
    )


def from_csv(path: str | PathLike, price_column: str, **kwargs) -> HouseData:
    """Load and clean a user's CSV file of houses (see :func:`from_frame` for the options)."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise ValueError(f"no such CSV file: {str(path)!r}") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {str(path)!r} as CSV: {exc}") from None
    kwargs.setdefault("name", str(path))
    return from_frame(frame, price_column, **kwargs)


def from_frame(frame: pd.DataFrame, price_column: str, *, name="houses",
               group_column=None, censor_upper=None, drop_columns=(),
               impute_ratio=None, test_fraction=TEST_FRACTION,
               seed=SPLIT_SEED) -> HouseData:
    """Clean a table of houses with a price column into a :class:`HouseData`.

    ``group_column`` names a categorical column for varying intercepts; ``censor_upper``
    is a cap at which prices are recorded as the cap itself (right-censoring);
    ``drop_columns`` are left out of the features; ``impute_ratio`` maps a column to a
    partner column whose median ratio fills its gaps (by default ``total_bedrooms`` from
    ``total_rooms`` when both exist). The split is fixed by ``seed``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"houses must be a pandas DataFrame, got {type(frame).__name__}")
    if price_column not in frame.columns:
        raise ValueError(
            f"price column {price_column!r} not found; the columns are {list(frame.columns)}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be between 0 and 1, got {test_fraction}")
    log: list[CleaningStep] = []
    df = frame.copy()
    df.columns = [str(c) for c in df.columns]
    drop = [c for c in df.columns if c.strip().lower() in _ROW_NUMBER_COLUMNS]
    if drop:
        log.append(CleaningStep("drop", tuple(drop), "row numbers, not a feature"))
    unknown = [c for c in drop_columns if c not in df.columns]
    if unknown:
        raise ValueError(f"drop_columns names columns not in the table: {unknown}")
    if drop_columns:
        log.append(CleaningStep("drop", tuple(drop_columns), "left out on request"))
    df = df.drop(columns=drop + list(drop_columns))

    price = _price(df[price_column], price_column)
    usable = np.isfinite(price) & (price > 0)
    if (~usable).any():
        log.append(CleaningStep(
            "drop", (price_column,), "rows without a positive price", int((~usable).sum())))
    df, price = df.loc[usable].reset_index(drop=True), price[usable]
    if group_column is not None and group_column == price_column:
        raise ValueError("the group column cannot be the price column")
    features = df.drop(columns=[price_column])
    if features.shape[1] == 0:
        raise ValueError("the table has no columns besides the price")
    n_min = max(MIN_ROWS, 2 * (features.shape[1] + 2))
    if len(df) < n_min:
        raise ValueError(
            f"too few rows: {len(df)} houses with a usable price, need at least {n_min} "
            f"for {features.shape[1]} feature columns")

    censored = np.zeros(len(price), dtype=bool)
    if censor_upper is not None:
        censored = price >= censor_upper
        log.append(CleaningStep(
            "censor", (price_column,),
            f"prices at the cap {censor_upper:,.0f} are right-censored (the true value is "
            f"at least the cap): modelled with a censored likelihood", int(censored.sum())))
    log.append(CleaningStep("response", (price_column,), "modelled as log(price)"))

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(df))
    n_test = int(round(test_fraction * len(df)))
    test_rows, train_rows = np.sort(order[:n_test]), np.sort(order[n_test:])
    log.append(CleaningStep(
        "split", (), f"fixed random train/test split (seed {seed}): {len(train_rows)} "
        f"train, {len(test_rows)} test"))

    if impute_ratio is None:
        impute_ratio = ({"total_bedrooms": "total_rooms"}
                        if {"total_bedrooms", "total_rooms"} <= set(features.columns) else {})
    pipeline = FeaturePipeline(group_column=group_column, impute_ratio=impute_ratio)
    for col in features.columns:
        if not _is_text(features[col]):
            features[col] = pd.to_numeric(features[col], errors="raise").astype(np.float64)
    log.extend(pipeline.fit(features.iloc[train_rows]))

    def split(rows):
        X, group, _ = pipeline.transform(features.iloc[rows])
        return Split(X=X, y=np.log(price[rows]), price=price[rows], censored=censored[rows],
                     group=group, rows=rows)

    return HouseData(name=name, price_column=price_column, train=split(train_rows),
                     test=split(test_rows), pipeline=pipeline, cleaning_log=log,
                     censor_upper=censor_upper, frame=df)


def _price(series, column):
    if _is_text(series):
        cleaned = series.astype("string").str.replace(r"[$,\s]", "", regex=True)
        values = pd.to_numeric(cleaned, errors="coerce")
        bad = values.isna() & series.notna()
        if bad.mean() > 0.5:
            raise ValueError(
                f"price column {column!r} is not numeric (e.g. {series[bad].iloc[0]!r})")
        series = values
    return series.to_numpy(dtype=np.float64, na_value=np.nan)

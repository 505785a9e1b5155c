"""House-price data loading and cleaning (bayeskit.models.house_price, data side)."""

import numpy as np
import pandas as pd
import pytest

from bayeskit.models.house_price import (
    DATASETS,
    from_csv,
    from_frame,
    load_dataset,
    load_raw,
)


@pytest.fixture(scope="module")
def california():
    return load_dataset("california")


def _actions(data, action):
    return [step for step in data.cleaning_log if step.action == action]


def test_bundled_sets_load_with_the_documented_sizes():
    expected = {"california": 20_640, "windsor": 546, "saratoga": 1_728}
    for name, rows in expected.items():
        raw = load_raw(name)
        assert len(raw) == rows
        data = load_dataset(name)
        assert len(data.train) + len(data.test) == rows
        assert len(data.test) == round(0.2 * rows)
        assert data.train.X.shape[1] == len(data.feature_names)
        assert np.isfinite(data.train.X).all() and np.isfinite(data.test.X).all()
        np.testing.assert_allclose(data.train.y, np.log(data.train.price))


def test_california_missing_bedrooms_imputed_by_median_ratio(california):
    raw = load_raw("california")
    step, = [s for s in _actions(california, "impute") if s.columns == ("total_bedrooms",)]
    train_raw = raw.iloc[california.train.rows]
    assert step.rows == train_raw["total_bedrooms"].isna().sum() > 0
    ok = train_raw["total_bedrooms"].notna()
    ratio = np.median(train_raw.loc[ok, "total_bedrooms"] / train_raw.loc[ok, "total_rooms"])
    assert california.pipeline.ratios["total_bedrooms"] == ("total_rooms", pytest.approx(ratio))
    # an imputed row's bedrooms_per_room is exactly the ratio, on the log-standardized scale
    pos = np.flatnonzero(train_raw["total_bedrooms"].isna().to_numpy())[0]
    j = california.feature_names.index("log(bedrooms_per_room)")
    p = california.pipeline
    assert california.train.X[pos, j] * p.scale[j] + p.mean[j] == pytest.approx(np.log(ratio))


def test_california_features_derived_encoded_and_standardized(california):
    names = california.feature_names
    for derived in ("rooms_per_household", "bedrooms_per_room", "population_per_household"):
        assert f"log({derived})" in names
    for total in ("total_rooms", "total_bedrooms", "population"):
        assert total not in names and f"log({total})" not in names
    assert "ocean_proximity" not in names
    X = california.train.X
    np.testing.assert_allclose(X.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(X.std(axis=0), 1.0, atol=1e-10)
    assert california.group_levels == ["<1H OCEAN", "INLAND", "ISLAND", "NEAR BAY", "NEAR OCEAN"]
    raw = load_raw("california")
    counts = raw["ocean_proximity"].value_counts()
    all_groups = np.concatenate([california.train.group, california.test.group])
    assert np.bincount(all_groups).tolist() == [counts[g] for g in california.group_levels]
    assert counts["ISLAND"] == 5


def test_california_censoring_flag_at_the_cap(california):
    raw = load_raw("california")
    capped = (raw["median_house_value"] >= 500_001).sum()
    assert california.train.censored.sum() + california.test.censored.sum() == capped == 965
    assert np.all(california.train.price[california.train.censored] == 500_001)
    assert california.log_censor_upper == pytest.approx(np.log(500_001))
    step, = _actions(california, "censor")
    assert step.rows == capped


def test_split_is_fixed_by_the_seed_and_disjoint(california):
    again = load_dataset("california")
    np.testing.assert_array_equal(again.test.rows, california.test.rows)
    assert not set(california.train.rows) & set(california.test.rows)
    other = load_dataset("california", seed=1)
    assert not np.array_equal(other.test.rows, california.test.rows)


def test_new_houses_get_the_training_scaling(california):
    raw = load_raw("california")
    houses = raw.iloc[california.test.rows[:50]].drop(columns=["median_house_value"])
    X, group = california.features(houses)
    np.testing.assert_allclose(X, california.test.X[:50])
    np.testing.assert_array_equal(group, california.test.group[:50])
    # missing values in new houses are imputed the same way; unseen groups map to -1
    houses = houses.copy()
    houses.iloc[0, houses.columns.get_loc("total_bedrooms")] = np.nan
    houses.iloc[1, houses.columns.get_loc("ocean_proximity")] = "MOUNTAIN"
    X, group = california.features(houses)
    assert np.isfinite(X).all()
    assert group[1] == -1


def test_windsor_yes_no_columns_become_zero_one():
    data = load_dataset("windsor")
    raw = load_raw("windsor")
    j = data.feature_names.index("aircon")
    p = data.pipeline
    recovered = data.train.X[:, j] * p.scale[j] + p.mean[j]
    expected = (raw["aircon"].iloc[data.train.rows] == "yes").to_numpy(float)
    np.testing.assert_allclose(recovered, expected, atol=1e-12)
    assert "rownames" not in data.feature_names
    assert data.censor_upper is None and not data.train.censored.any()


def test_saratoga_multilevel_text_one_hot_and_optional_group():
    data = load_dataset("saratoga")
    assert DATASETS["saratoga"].group_column is None
    # heating has three levels: two indicator columns against the most frequent, hot air
    assert [n for n in data.feature_names if n.startswith("heating=")] == [
        "heating=electric", "heating=hot water/steam"]
    assert [n for n in data.feature_names if n.startswith("fuel=")] == [
        "fuel=electric", "fuel=oil"]
    grouped = load_dataset("saratoga", group_column="fuel")
    assert grouped.group_levels == ["electric", "gas", "oil"]
    assert not any(n.startswith("fuel") for n in grouped.feature_names)


def test_user_frame_and_csv(tmp_path):
    rng = np.random.default_rng(3)
    n = 60
    frame = pd.DataFrame({
        "sqft": rng.uniform(500, 3000, n),
        "garden": rng.choice(["Yes", "No"], n),
        "town": rng.choice(["A", "B", "C"], n),
        "sale": rng.uniform(1e5, 5e5, n).round(),
    })
    frame.loc[3, "sqft"] = np.nan
    data = from_frame(frame, "sale", group_column="town")
    assert data.group_levels == ["A", "B", "C"]
    assert set(data.feature_names) == {"sqft", "garden"}
    imputed = [s for s in data.cleaning_log if s.action == "impute"]
    assert imputed and imputed[0].columns == ("sqft",) and imputed[0].rows in (0, 1)
    path = tmp_path / "houses.csv"
    frame.assign(sale=frame["sale"].map(lambda v: f"${v:,.0f}")).to_csv(path, index=False)
    from_path = from_csv(path, "sale", group_column="town")
    np.testing.assert_allclose(from_path.train.y, data.train.y)


def test_clear_errors_for_bad_tables(tmp_path):
    frame = load_raw("windsor")
    with pytest.raises(ValueError, match="price column 'cost' not found"):
        from_frame(frame, "cost")
    with pytest.raises(ValueError, match="too few rows: 10"):
        from_frame(frame.head(10), "price")
    notes = frame.assign(notes=[f"house number {i}" for i in range(len(frame))])
    with pytest.raises(ValueError, match=r"'notes' is not numeric and has \d+ distinct"):
        from_frame(notes, "price")
    with pytest.raises(ValueError, match="price column 'driveway' is not numeric"):
        from_frame(frame, "driveway")
    with pytest.raises(ValueError, match="unknown data set 'boston'"):
        load_dataset("boston")
    with pytest.raises(ValueError, match="no such CSV file"):
        from_csv(tmp_path / "missing.csv", "price")
    with pytest.raises(ValueError, match="group column 'region' is not in the table"):
        from_frame(frame, "price", group_column="region")
    data = load_dataset("windsor")
    with pytest.raises(ValueError, match="lack the columns"):
        data.features(frame.drop(columns=["lotsize"]))
    with pytest.raises(TypeError, match="DataFrame"):
        from_frame(frame.to_numpy(), "price")

"""Transforms: round trips to 1e-10, log-Jacobians against the log-determinant of a
numerical Jacobian, kernel derivatives and vector-Jacobian products against finite
differences (tests/gradcheck.py)."""

import numpy as np
import pytest

from bayeskit import transforms as tr
from gradcheck import assert_gradient_close, numerical_gradient

# y ranges where the constrained value still resolves y to 1e-10: near a bound a, x - a
# = exp(y) (or w sigmoid(y) on an interval of width w) must stay above ~1e5 eps |a|.
ELEMENTWISE = [
    (tr.Identity(), np.linspace(-30, 30, 13)),
    (tr.Log(), np.linspace(-30, 30, 13)),
    (tr.LowerBound(-3.0), np.linspace(-10, 20, 9)),
    (tr.UpperBound(1e3), np.linspace(-5, 5, 9)),
    (tr.Interval(0.0, 1.0), np.linspace(-8, 8, 9)),
    (tr.Interval(-1e3, 2e-3), np.linspace(-8, 8, 9)),
    (tr.Interval(5.0, 5.001), np.linspace(-4, 4, 9)),
]
IDS = [repr(t) for t, _ in ELEMENTWISE]


@pytest.mark.parametrize("t, ys", ELEMENTWISE, ids=IDS)
def test_elementwise_round_trip(t, ys):
    x = t.constrain(ys)
    np.testing.assert_allclose(t.unconstrain(x), ys, rtol=1e-10, atol=1e-10)
    assert x.shape == ys.shape and t.unconstrained_shape((4, 2)) == (4, 2)
    grid = np.stack([ys, ys])  # any array shape
    np.testing.assert_array_equal(t.constrain(grid), np.stack([x, x]))


@pytest.mark.parametrize("t, ys", ELEMENTWISE, ids=IDS)
def test_elementwise_kernel_derivatives(t, ys):
    def x_of(y):
        return t.constrain_kernel(y, *t.args)[0]

    def lj_of(y):
        return t.constrain_kernel(y, *t.args)[1]

    for y in ys:
        x, log_jac, dx_dy, dlj_dy = t.constrain_kernel(float(y), *t.args)
        assert np.log(abs(dx_dy)) == pytest.approx(log_jac, rel=1e-12, abs=1e-12)
        numeric, err = numerical_gradient(x_of, (float(y),), 0, scale=1.0)
        assert_gradient_close(dx_dy, numeric, err, f"{t!r} dx/dy at {y}")
        numeric, err = numerical_gradient(lj_of, (float(y),), 0, scale=1.0)
        assert_gradient_close(dlj_dy, numeric, err, f"{t!r} dlogjac/dy at {y}")
    np.testing.assert_allclose(t.log_det_jacobian(ys),
                               [t.constrain_kernel(float(y), *t.args)[1] for y in ys])


def test_interval_stays_inside_and_is_exact_near_both_ends():
    t = tr.Interval(2.0, 3.0)
    x = t.constrain(np.array([-40.0, 40.0, -800.0, 800.0]))
    assert np.all((x >= 2.0) & (x <= 3.0))
    assert x[0] == pytest.approx(2.0 + np.exp(-40.0), rel=1e-15)
    assert x[1] == pytest.approx(3.0 - np.exp(-40.0), rel=1e-15)
    assert np.all(np.isfinite(t.log_det_jacobian(np.array([-800.0, 800.0]))))


def test_bad_bounds_raise():
    with pytest.raises(ValueError, match="a < b"):
        tr.Interval(1.0, 0.0)
    with pytest.raises(ValueError, match="finite"):
        tr.Interval(0.0, np.inf)
    with pytest.raises(ValueError, match="finite"):
        tr.LowerBound(-np.inf)


# --------------------------------------------------------------------------- vector
def _free_part(t, x):
    """Coordinates of the constrained value that the log-Jacobian is with respect to."""
    if isinstance(t, tr.Simplex):
        return x[:-1]  # the last coordinate is 1 - sum of the others
    if isinstance(t, tr.CholeskyCorr):
        return x[np.tril_indices(x.shape[0], -1)]  # the diagonal closes each row
    return x


def _numerical_log_det(t, y):
    cols = []
    for i in range(y.size):
        def xi(v, i=i):
            z = y.copy()
            z[i] = v
            return _free_part(t, t.constrain(z))
        h = 1e-5
        cols.append((4 * (xi(y[i] + h / 2) - xi(y[i] - h / 2)) / h
                     - (xi(y[i] + h) - xi(y[i] - h)) / (2 * h)) / 3)
    return np.linalg.slogdet(np.column_stack(cols))[1]


VECTOR = [
    (tr.Simplex(), 1), (tr.Simplex(), 4), (tr.Ordered(), 1), (tr.Ordered(), 5),
    (tr.PositiveOrdered(), 4), (tr.CholeskyCorr(), 1), (tr.CholeskyCorr(), 6),
    (tr.CholeskyCorr(), 10),
]
VIDS = [f"{type(t).__name__}-{m}" for t, m in VECTOR]


@pytest.mark.parametrize("t, m", VECTOR, ids=VIDS)
def test_vector_round_trip_and_log_jacobian(t, m):
    rng = np.random.default_rng(m)
    for scale in (0.1, 1.0, 3.0):
        y = rng.normal(scale=scale, size=m)
        x = t.constrain(y)
        np.testing.assert_allclose(t.unconstrain(x), y, rtol=1e-10, atol=1e-10)
        assert t.unconstrained_shape(x.shape) == y.shape
        assert t.log_det_jacobian(y) == pytest.approx(_numerical_log_det(t, y), rel=1e-7,
                                                      abs=1e-7)
    batch = rng.normal(size=(2, 3, m))
    xs = t.constrain(batch)
    assert t.log_det_jacobian(batch).shape == (2, 3)
    np.testing.assert_allclose(t.unconstrain(xs), batch, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("t, m", VECTOR, ids=VIDS)
def test_vector_constraints_hold(t, m):
    y = np.random.default_rng(7).normal(scale=4.0, size=(50, m))
    x = t.constrain(y)
    if isinstance(t, tr.Simplex):
        assert np.all(x >= 0) and np.allclose(x.sum(-1), 1.0, rtol=0, atol=1e-14)
    elif isinstance(t, tr.CholeskyCorr):
        R = x @ np.swapaxes(x, -1, -2)
        np.testing.assert_allclose(np.diagonal(R, axis1=-2, axis2=-1), 1.0, atol=1e-14)
        assert np.all(np.triu(x, 1) == 0) and np.all(np.diagonal(x, axis1=-2, axis2=-1) > 0)
    else:
        assert np.all(np.diff(x, axis=-1) > 0)
        if isinstance(t, tr.PositiveOrdered):
            assert np.all(x > 0)


@pytest.mark.parametrize("t, m", VECTOR, ids=VIDS)
def test_vjp_matches_finite_differences(t, m):
    rng = np.random.default_rng(10 + m)
    y = rng.normal(size=m)
    x_shape = t.constrain(y).shape
    adj = rng.normal(size=x_shape)

    def objective(y_):
        x = np.empty(x_shape)
        log_jac = t.constrain_kernel(y_, x)
        return float(np.sum(adj * x) + log_jac)

    grad = np.full(m, 0.5)  # the kernel must ADD into it
    t.vjp_kernel(y, adj, grad)
    numeric, err = numerical_gradient(objective, (y,), 0, scale=1.0)
    assert_gradient_close(grad - 0.5, numeric, err, f"{t!r} vjp")


def test_simplex_origin_is_uniform_and_shapes():
    t = tr.Simplex()
    np.testing.assert_allclose(t.constrain(np.zeros(3)), np.full(4, 0.25), rtol=1e-15)
    assert t.unconstrained_shape((5, 4)) == (5, 3)
    assert tr.CholeskyCorr().unconstrained_shape((4, 4)) == (6,)
    with pytest.raises(ValueError, match="n\\(n-1\\)/2"):
        tr.CholeskyCorr().constrain(np.zeros(4))
    assert t.kind == "vector" and tr.Log().kind == "elementwise"

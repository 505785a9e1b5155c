"""One finite-difference gradient checker shared by the kernel and transform tests.

Like Stan Math's ``test_gradients``, every analytic partial is compared with a numerical
one. The numerical derivative is Ridders' method: central differences at shrinking steps
extrapolated in a Neville tableau, which also returns an error estimate, so the check
adapts to functions whose rounding noise (large intermediate lgamma terms, say) would
fool a single fixed step. The tolerance is a relative part plus that error estimate.
"""

import numpy as np

RTOL = 1e-6
SHRINK = 1.4
TABLE = 12


def ridders_derivative(g, x0, h0):
    """``(dg/dx at x0, error estimate)`` starting from step ``h0``; steps that leave the
    function's domain (non-finite values) are halved until the difference is finite."""
    h = float(h0)
    fscale = 0.0  # magnitude of the values differenced: rounding noise ~ eps fscale / h

    def diff(step):
        nonlocal fscale
        up, down = g(x0 + step), g(x0 - step)
        fscale = max(fscale, abs(up), abs(down))
        return (up - down) / (2.0 * step)

    for _ in range(80):
        first = diff(h)
        if np.isfinite(first):
            break
        fscale = 0.0
        h /= 2.0
    else:
        return np.nan, np.inf
    tab = np.empty((TABLE, TABLE))
    tab[0, 0] = first
    best, err = first, np.inf
    for i in range(1, TABLE):
        h /= SHRINK
        tab[0, i] = diff(h)
        fac = SHRINK ** 2
        for j in range(1, i + 1):
            tab[j, i] = (tab[j - 1, i] * fac - tab[j - 1, i - 1]) / (fac - 1.0)
            fac *= SHRINK ** 2
            errt = max(abs(tab[j, i] - tab[j - 1, i]), abs(tab[j, i] - tab[j - 1, i - 1]))
            if errt <= err:
                err, best, h_best = errt, tab[j, i], h
        if abs(tab[i, i] - tab[i - 1, i - 1]) >= 2.0 * err:
            break
    if not np.isfinite(err):
        return best, np.inf
    return best, max(err, 1e-15 * fscale / h_best)


def default_step(value, scale=None):
    """An initial step: a tenth of the length ``scale`` over which the function changes
    (give it for locations and real-valued arguments), else 5% of the value (positive
    parameters, whose natural scale is their size)."""
    if scale is not None:
        return 0.1 * scale
    return 0.05 * abs(value) if value != 0.0 else 0.05


def numerical_gradient(f, args, index, scale=None):
    """Gradient of ``f(*args)`` w.r.t. ``args[index]`` (a float or a float64 array) and
    its error estimate; ``scale`` bounds the initial step (a natural length scale)."""
    value = args[index]
    if np.ndim(value) == 0:
        def g(t):
            new = list(args)
            new[index] = float(t)
            return f(*new)
        return ridders_derivative(g, float(value), default_step(float(value), scale))
    value = np.asarray(value, dtype=np.float64)
    grad = np.empty_like(value)
    errs = np.empty_like(value)
    for pos in np.ndindex(value.shape):
        def g(t, pos=pos):
            arr = value.copy()
            arr[pos] = t
            new = list(args)
            new[index] = arr
            return f(*new)
        grad[pos], errs[pos] = ridders_derivative(
            g, float(value[pos]), default_step(float(value[pos]), scale))
    return grad, errs


def assert_gradient_close(analytic, numeric, error, what, rtol=RTOL):
    """Analytic vs numerical partials: ``|a - n| <= rtol |n| + 1e-9 + 10 * error``."""
    analytic = np.asarray(analytic, dtype=np.float64)
    numeric = np.asarray(numeric, dtype=np.float64)
    assert np.all(np.isfinite(analytic)), f"{what}: non-finite analytic gradient {analytic}"
    assert np.all(np.isfinite(numeric)), f"{what}: finite differences failed ({numeric})"
    error = np.asarray(error)
    assert np.all(error <= 1e-4 * (np.abs(numeric) + 1.0)), (
        f"{what}: finite differences too noisy to judge ({numeric} +- {error})")
    tol = rtol * np.abs(numeric) + 1e-9 + 10.0 * error
    assert np.all(np.abs(analytic - numeric) <= tol), (
        f"{what}: analytic {analytic} vs finite differences {numeric} (tolerance {tol})")

#!/usr/bin/python3
"""Fits the float32 erf of minibert.tensor.VectorErfF and prints its coefficients.

Run BY HAND from the project folder (never by the build), with Debian's python3-numpy and python3-mpmath:

    /usr/bin/python3 tools/reference/erf_float_fit.py

erf(x) = x * P(x^2) / Q(x^2) on [0, 4], P of degree 6 and Q of degree 4 in u = x^2, Q(0) = 1 (the form of the
float erf of Eigen and TensorFlow). erf is odd, so the fit on [0, 4] serves [-4, 4]; beyond 4, erf is 1 to float
precision (1 - erf(4) = 1.5e-8, below half a unit in the last place of 1).

The fit minimises the largest relative error of P/Q against erf(x)/x on 8,000 points (Chebyshev points of [0, 4]
and an even grid), erf computed by mpmath at 30 digits: each iteration solves the linear least-squares problem
P(u) - (erf(x)/x) Q(u) = 0 weighted by 1/(Q_previous * erf(x)/x), and multiplies the weights by the square root of
the iteration's relative errors (Lawson's algorithm), which drives the error toward equal ripples. The output is
the coefficients rounded to float32, as the Java source holds them, and the error of the fit before rounding.
Deterministic: the same numbers on every run.
"""

import mpmath as mp
import numpy as np

mp.mp.dps = 30
X = 4.0
P_DEGREE, Q_DEGREE, ITERATIONS = 6, 4, 80


def fit():
    xs = np.concatenate([np.cos(np.linspace(0, np.pi, 4000)) * X / 2 + X / 2, np.linspace(0, X, 4000)])
    f = np.array([float(mp.erf(x)) for x in xs])
    g = np.where(xs > 0, f / np.where(xs > 0, xs, 1), 2 / np.sqrt(np.pi))   # erf(x)/x, 2/sqrt(pi) at 0
    u = xs ** 2
    w, q = np.ones_like(u), np.ones_like(u)
    for _ in range(ITERATIONS):
        a = np.hstack([u[:, None] ** np.arange(P_DEGREE + 1), -g[:, None] * u[:, None] ** np.arange(1, Q_DEGREE + 1)])
        weight = w / (q * g)
        sol, *_ = np.linalg.lstsq(a * weight[:, None], g * weight, rcond=None)
        p, qc = sol[:P_DEGREE + 1], np.concatenate([[1.0], sol[P_DEGREE + 1:]])
        q = np.polyval(qc[::-1], u)
        err = (np.polyval(p[::-1], u) / q - g) / g
        w = w * np.sqrt(np.abs(err)) + 1e-300
        w /= w.max()
    return p, qc, np.abs(err).max()


def main():
    p, qc, err = fit()
    print("largest relative error of the fit (before rounding to float32): %.3g" % err)
    print("P, from u^0 up: " + ", ".join(str(np.float32(c)) + "f" for c in p))
    print("Q, from u^0 up: " + ", ".join(str(np.float32(c)) + "f" for c in qc))


if __name__ == "__main__":
    main()

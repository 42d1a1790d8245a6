"""Pareto/NBD against the published CDNOW estimates and a numerical integral."""

from __future__ import annotations

import ibis
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import quad
from scipy.special import gammaln

from custseg.clv.pareto_nbd import ParetoNBDModel, pareto_nbd_log_likelihood
from custseg.model import NotFittedError

PUBLISHED = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}


def test_published_parameters(published_summary):
    model = ParetoNBDModel().fit(published_summary)
    assert model.converged_
    for name, value in PUBLISHED.items():
        assert model.params_[name] == pytest.approx(value, rel=1e-3)
    assert model.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)


@pytest.mark.parametrize("params", [PUBLISHED, {"r": 0.5, "alpha": 20, "s": 0.6, "beta": 2}])
def test_log_likelihood_by_quadrature(params):
    r, alpha, s, beta = params.values()
    for x, tx, T in [(0, 0.0, 38.86), (2, 30.43, 38.86), (29, 38.0, 38.43), (5, 10.0, 10.0)]:
        tail = quad(lambda u, x=x: (alpha + u) ** -(r + x) * (beta + u) ** -(s + 1), tx, T,
                    epsabs=0, epsrel=1e-13)[0]
        exact = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
                 + np.log((alpha + T) ** -(r + x) * (beta + T) ** -s + s * tail))
        assert pareto_nbd_log_likelihood(params, [x], [tx], [T])[0] == pytest.approx(
            exact, rel=1e-10)


def test_hypergeometric_where_scipy_returns_nan():
    # c - b - 1 = 1 and z = 0.9375: scipy.special.hyp2f1(1, 170, 172, z) is nan
    model = ParetoNBDModel().set_params(r=1.0, alpha=2.0, s=1.0, beta=0.125)
    assert 0 < model.probability_alive(169, 0.0, 1.0) < 1e-20


def test_predictions_are_consistent():
    model = ParetoNBDModel().set_params(**PUBLISHED)
    # a customer just acquired is alive and behaves like a new one
    assert model.expected_purchases(39, 0, 0.0, 0.0) == pytest.approx(
        model.expected_purchases_new_customer(39))
    assert model.probability_alive(5, 10.0, 10.0) == 1.0
    assert model.probability_alive(5, 2.0, 38.0) < model.probability_alive(5, 30.0, 38.0)
    with pytest.raises(NotImplementedError):
        model.assign(ibis.memtable({"customer_id": ["a"]}))
    with pytest.raises(NotFittedError):
        ParetoNBDModel().assign(ibis.memtable({"customer_id": ["a"]}))


@settings(max_examples=100, deadline=None)
@given(r=st.floats(0.05, 20), alpha=st.floats(0.1, 200), s=st.floats(0.05, 20),
       beta=st.floats(0.1, 200), x=st.integers(0, 300), share=st.floats(0, 1),
       T=st.floats(0.1, 500))
def test_probability_alive_is_a_probability(r, alpha, s, beta, x, share, T):
    model = ParetoNBDModel().set_params(r=r, alpha=alpha, s=s, beta=beta)
    tx = share * T if x > 0 else 0.0
    assert 0.0 <= model.probability_alive(x, tx, T) <= 1.0

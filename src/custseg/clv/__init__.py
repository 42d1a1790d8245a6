"""Customer lifetime value: purchase summaries, transaction and spend models, validation.

Buy-till-you-die models fitted by maximum likelihood on sufficient statistics: BG/NBD
(Fader, Hardie & Lee 2005) and Pareto/NBD (Schmittlein, Morrison & Colombo 1987) for the
number of future purchases and P(alive), Gamma-Gamma (Fader & Hardie, note 025) for the
spend per purchase, combined into a discounted CLV. Time columns and parameters are in the
unit of the summary, weeks ("W") or days ("D").
"""

from custseg.clv._fit import ConvergenceWarning
from custseg.clv.bgnbd import BetaGeoModel, bgnbd_log_likelihood, fit_bgnbd
from custseg.clv.gamma_gamma import GammaGammaModel, fit_gamma_gamma, gamma_gamma_log_likelihood
from custseg.clv.pareto_nbd import ParetoNBDModel, fit_pareto_nbd, pareto_nbd_log_likelihood
from custseg.clv.summary import rfm_summary
from custseg.clv.validation import cumulative_tracking, holdout_by_frequency, validation_report
from custseg.clv.value import CLVModel, clv, clv_expr

__all__ = [
    "BetaGeoModel", "CLVModel", "ConvergenceWarning", "GammaGammaModel", "bgnbd_log_likelihood",
    "clv", "clv_expr", "cumulative_tracking", "fit_bgnbd", "fit_gamma_gamma",
    "gamma_gamma_log_likelihood", "holdout_by_frequency", "rfm_summary", "validation_report",
    "ParetoNBDModel", "fit_pareto_nbd", "pareto_nbd_log_likelihood",
]

"""What `custseg segment` prints after template 1 for a clustering model: K and why, the
preprocessing chosen per feature, the reduction's explained variance, rule fidelity and
stability (from the run's stored ``clustering`` chart data)."""

from __future__ import annotations

from custseg.cli._app import console
from custseg.i18n import t
from custseg.io.results import load_charts


def clustering_lines(report: dict, lang: str) -> list[str]:
    """The report as a few lines of text.

    >>> clustering_lines({"k": 4, "k_rule": "K = 4 given", "n_sample": 600,
    ...                   "preprocessing": [{"feature": "monetary", "steps": "log1p"}],
    ...                   "reduction": None, "fidelity": 0.97, "stability": None}, "en")
    ['K: 4 (K = 4 given) · fitted on 600', 'preprocessing: monetary: log1p', \
'rule fidelity: 97.0%']
    """
    lines = [f"{t('cluster_k', lang)}: {report['k']} ({report['k_rule']}) · "
             f"{t('cluster_sample', lang)} {report['n_sample']:,}"]
    steps = "; ".join(f"{p['feature']}: {p['steps']}" for p in report["preprocessing"])
    lines.append(f"{t('cluster_preprocessing', lang)}: {steps}")
    red = report.get("reduction")
    if red:
        parts = ", ".join(f"{c} {v:.1%}" for c, v in zip(red["components"], red["explained"],
                                                        strict=True))
        lines.append(f"{t('cluster_reduction', lang)}: {red['method']} · "
                     f"{t('cluster_explained', lang)} {red['explained_total']:.1%} ({parts})")
    lines.append(f"{t('cluster_fidelity', lang)}: {report['fidelity']:.1%}")
    s = report.get("stability")
    if s:
        lines[-1] += (f" · {t('cluster_stability', lang)}: {s['mean_ari']:.2f} ± "
                      f"{s['std_ari']:.2f} (n = {s['n']})")
    return lines


def print_clustering(con, run_id: str, lang: str) -> None:
    """Print the clustering report of a stored run, when it has one."""
    report = load_charts(con, run_id).get("clustering")
    for line in clustering_lines(report, lang) if report else []:
        console.print(line, highlight=False, soft_wrap=True)

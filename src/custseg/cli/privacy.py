"""Commands for personal data (SPEC §10): encryption keys, erasure and explanations."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from custseg.cli._app import JsonOpt, Lang, ProjectOpt, app, console, handle_errors
from custseg.i18n import t
from custseg.pipeline import Project

keys_app = typer.Typer(help="Encryption of personal data at rest: create and rotate the key.",
                       no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@keys_app.command("init")
@handle_errors
def keys_init(
    key_file: Annotated[Path | None, typer.Option(
        "--key-file", help="Where to write the key (default: [privacy] key_file).")] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Write a new key file (mode 0600) and encrypt the project's personal data with it."""
    with Project.open(project_dir) as project:
        lang = project.settings.project.language
        done = project.init_key(key_file)
    console.print(f"{t('privacy_key_written', lang)}: {done['key_file']}", highlight=False)
    console.print(f"{t('privacy_encrypted', lang)} ({t('privacy_key_id', lang)} "
                  f"{done['key_id']})", highlight=False)
    console.print(f"[yellow]![/] {t('privacy_keep_key', lang)}", highlight=False)
    if key_file is not None:
        console.print(f'set [privacy] key_file = "{key_file}" in custseg.toml, or CUSTSEG_KEY',
                      highlight=False, soft_wrap=True)


@keys_app.command("rotate")
@handle_errors
def keys_rotate(
    old_key_file: Annotated[Path | None, typer.Option(
        "--old-key-file", help="The database's current key, when the new one is already "
        "configured (or CUSTSEG_OLD_KEY).")] = None,
    project_dir: ProjectOpt = Path("."),
) -> None:
    """Re-encrypt every personal value with a new key, in one transaction.

    Without an old key, a new key file replaces [privacy] key_file (the previous one is
    kept as .old); with --old-key-file or CUSTSEG_OLD_KEY, the configured key is the new one.
    """
    from custseg.io import keys

    old = None
    if old_key_file is not None:
        old = keys.read_key_file(old_key_file)
    elif os.environ.get(keys.ENV_OLD_KEY):
        old = keys.Keyring(os.environ[keys.ENV_OLD_KEY], source=keys.ENV_OLD_KEY)
    project = Project.open(project_dir)
    try:
        lang = project.settings.project.language
        done = project.rotate_key(old)
    finally:
        project.close()
    console.print(f"{t('privacy_rotated', lang)} ({t('privacy_key_id', lang)} "
                  f"{done['key_id']}): {sum(done['values'].values()):,} values", highlight=False)
    if done.get("previous_key_file"):
        console.print(f"{t('privacy_old_key_kept', lang)} {done['previous_key_file']}",
                      highlight=False)


@keys_app.command("status")
@handle_errors
def keys_status(project_dir: ProjectOpt = Path("."), as_json: JsonOpt = False) -> None:
    """Whether personal data is encrypted, with which key, and consent counts."""
    with Project.open(project_dir) as project:
        lang = project.settings.project.language
        status = project.status()["privacy"]
    if as_json:
        console.print_json(json.dumps(status, ensure_ascii=False))
        return
    for line in privacy_lines(status, lang):
        console.print(line, highlight=False, soft_wrap=True)


def privacy_lines(status: dict, lang: str) -> list[str]:
    """Lines for `custseg status`: encryption, key, consent counts."""
    if not status["encrypted"]:
        lines = [f"[yellow]![/] {t('privacy_plain', lang)}"]
    else:
        lines = [f"{t('privacy_encrypted', lang)} ({t('privacy_key_id', lang)} "
                 f"{status['key_id']})"]
        if not status["key_present"]:
            lines.append(f"[yellow]![/] {t('privacy_no_key', lang)}")
    consent = status.get("consent") or {}
    lines.append(f"{t('privacy_consent', lang)}: {consent.get('objects_profiling', 0):,} / "
                 f"{consent.get('objects_marketing', 0):,}")
    return lines


@app.command()
@handle_errors
def erase(
    customer_id: Annotated[str, typer.Argument(help="The customer to erase (any of their ids).")],
    by: Annotated[str | None, typer.Option(
        "--by", help="Who asked for it, for the audit log (default: the system user).")] = None,
    project_dir: ProjectOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """Erase a customer from every table and snapshot (right to erasure); it is audited."""
    with Project.open(project_dir) as project:
        lang = project.settings.project.language
        done = project.erase(customer_id, by=by or getpass.getuser())
    if as_json:
        console.print_json(json.dumps(done, ensure_ascii=False))
        return
    console.print(f"{t('privacy_erased', lang)}: {done['customer']}", highlight=False)
    console.print(f"{t('privacy_rows_deleted', lang)}: " + ", ".join(
        f"{k} {v:,}" for k, v in sorted(done["rows"].items())), highlight=False, soft_wrap=True)
    if done["scrubbed"]:
        console.print(f"{t('privacy_scrubbed', lang)}: " + ", ".join(
            f"{k} {v:,}" for k, v in sorted(done["scrubbed"].items())), highlight=False)
    console.print(t("privacy_tombstones", lang), highlight=False)


@app.command()
@handle_errors
def explain(
    customer_id: Annotated[str, typer.Argument(help="The customer to explain.")],
    all_runs: Annotated[bool, typer.Option(
        "--all-runs", help="Every stored run, not only the latest of each model.")] = False,
    project_dir: ProjectOpt = Path("."),
    lang: Annotated[Lang | None, typer.Option("--lang", help="Language of labels.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Why a customer is in each segment (rule, cluster features) and each prediction."""
    with Project.open(project_dir) as project:
        lang = lang or project.settings.project.language
        out = project.explain(customer_id, all_runs=all_runs, lang=lang)
    if as_json:
        console.print_json(json.dumps(out, ensure_ascii=False, default=str))
        return
    console.print(f"[bold]{t('privacy_explain_title', lang)} · {out['customer_id']}[/]",
                  highlight=False)
    if out["objects_profiling"]:
        console.print(f"[yellow]![/] {t('privacy_objects', lang)}", highlight=False)
    for seg in out["segmentations"]:
        _print_segmentation(seg, lang)
    for pred in out["predictions"]:
        _print_prediction(pred, lang)


def _print_segmentation(seg: dict, lang: str) -> None:
    console.print(f"\n[bold]{seg['model']}[/] {seg['as_of']} → {seg['segment_id']} "
                  f"{seg['segment_name']}  ({seg.get('definition') or ''})", highlight=False,
                  soft_wrap=True)
    if seg.get("method") == "rules":
        table = Table("rule", t("privacy_condition", lang), t("privacy_value", lang),
                      t("privacy_holds", lang), box=None)
        for rule in seg["rules"]:
            groups = rule["conditions"]
            flat = [c for g in groups for c in g] if groups and isinstance(groups[0],
                                                                            list) else groups
            for c in flat or [{"condition": rule.get("text", ""), "value": "", "holds": True}]:
                table.add_row(f"{rule['id']} {rule['name']}", c["condition"], str(c["value"]),
                              "✓" if c["holds"] else "✗")
        console.print(table)
    elif seg.get("method") == "cluster" and seg.get("features"):
        table = Table(t("privacy_feature", lang), t("privacy_cluster_z", lang),
                      t("privacy_customer_z", lang), t("privacy_value", lang),
                      t("privacy_percentile", lang), box=None)
        for f in seg["features"]:
            table.add_row(f["feature"], str(f["cluster_z"]), str(f["customer_z"]),
                          str(f["value"]), str(f["percentile"]))
        console.print(table)
    elif seg.get("note") or seg.get("values"):
        console.print(f"  {seg.get('note') or seg.get('values')}", highlight=False)


def _print_prediction(pred: dict, lang: str) -> None:
    shown = ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}"
                      for k, v in pred["predictions"].items() if v is not None)
    console.print(f"\n[bold]predict[/] {pred['as_of']}: {shown}", highlight=False,
                  soft_wrap=True)
    table = Table("model", t("privacy_feature", lang), t("privacy_importance", lang),
                  t("privacy_value", lang), t("privacy_median", lang), box=None)
    for model, items in pred["factors"].items():
        for f in items:
            table.add_row(model, f["feature"], str(f.get("importance", "")), str(f["value"]),
                          str(f.get("population_median", "")))
    console.print(table)

"""The one validated configuration, read from ``custseg.toml`` in a project folder.

Every surface (CLI, Python API, later the web app) builds a `Settings` and hands it to the
pipeline; nothing reads configuration from anywhere else. Unknown keys are errors, and every
problem in a file is reported at once with its location, so a typo never passes silently.
"""

from __future__ import annotations

import difflib
import tomllib
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from custseg import schema
from custseg.errors import ConfigError

CONFIG_FILE = "custseg.toml"
DEFAULT_NULL_TOKENS = (
    "", "NULL", "null", "None", "N/A", "n/a", "NA", "#N/A", "-", "--", "无", "空",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class ProjectSettings(_Model):
    """Name and presentation of the project."""

    name: str = "custseg project"
    language: Literal["zh", "en"] = "zh"


class EngineSettings(_Model):
    """Where the tables live. ``database`` is relative to the project folder.

    ``kind = "spark"`` computes features, segmentations and cluster assignment on Apache
    Spark (``spark_master``, ``spark_conf``): loading and cleaning stay in the DuckDB file,
    which hands the canonical tables over as Parquet in ``spark_dir`` (relative to the
    project folder, or a shared URI such as ``s3a://bucket/custseg`` on a cluster).
    ``operational_store`` (``postgresql://user:pass@host/db``) keeps users, actions, audit
    and the run registry on a server a team shares; see `custseg.io.store`.
    """

    kind: Literal["duckdb", "spark"] = "duckdb"
    database: str = "custseg.duckdb"
    threads: int | None = Field(default=None, ge=1)
    memory_limit: str | None = None
    spark_master: str = "local[*]"
    spark_dir: str = "spark"
    spark_conf: dict[str, str] = Field(default_factory=dict)
    operational_store: str | None = None

    @field_validator("operational_store")
    @classmethod
    def _postgres_url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("postgresql://", "postgresql+psycopg://",
                                                   "postgres://")):
            raise ValueError("use a postgresql://user:password@host:port/database URL")
        return url


class IngestSettings(_Model):
    """How text from sources is read before it is typed."""

    null_tokens: list[str] = Field(default_factory=lambda: list(DEFAULT_NULL_TOKENS))
    day_first: bool = False
    preview_rows: int = Field(default=20_000, ge=100)


class SourceSettings(_Model):
    """One source: a file (CSV/TSV/TXT, Excel, Parquet, JSON lines) or a SQL database URL.

    ``mapping`` maps source headers to canonical columns and overrides the built-in
    dictionary; map a header to ``""`` to ignore it.
    """

    path: str | None = None
    url: str | None = None
    query: str | None = None
    sql_table: str | None = None
    table: Literal[
        "customers", "orders", "order_items", "events", "interactions", "referrals"
    ]
    mapping: dict[str, str] = Field(default_factory=dict)
    encoding: str = "auto"
    delimiter: str = "auto"
    header_row: int | None = Field(default=None, ge=1)
    sheet: str | None = None
    derive_order_id: bool = False
    refresh: str = "monthly"

    @field_validator("mapping")
    @classmethod
    def _known_columns(cls, mapping: dict[str, str]) -> dict[str, str]:
        known = {c.name for cols in schema.TABLES.values() for c in cols}
        bad = [f"{h!r} → {c!r}" for h, c in mapping.items() if c and c not in known]
        if bad:
            raise ValueError(
                "unknown canonical column in " + ", ".join(bad)
                + f"; known columns: {', '.join(sorted(known))}"
            )
        return mapping

    def model_post_init(self, __context: object) -> None:
        if bool(self.path) == bool(self.url):
            raise ValueError("give exactly one of path (a file) or url (a database)")
        if self.url and not (self.query or self.sql_table):
            raise ValueError("a url source needs query or sql_table")


class CleaningSettings(_Model):
    """Cleaning rules (SPEC §3). Every rule is on by default; each can be switched off."""

    identity_merge: bool = True
    merge_keys: list[Literal["phone", "email", "id_number"]] = Field(
        default_factory=lambda: ["phone", "email", "id_number"])
    dedupe_orders: bool = True
    test_accounts: bool = True
    test_patterns: list[str] = Field(default_factory=lambda: ["测试", "test", "demo账号", "内部"])
    internal_phones: list[str] = Field(default_factory=list)
    normalize_regions: bool = True
    outliers: bool = True
    outlier_method: Literal["mad", "iqr"] = "mad"
    outlier_k: float = Field(default=5.0, gt=0)
    logic_checks: bool = True
    earliest_date: date = date(1900, 1, 1)
    max_missing_rate: float = Field(default=0.05, ge=0, le=1)


class FeatureSettings(_Model):
    """Customer features (SPEC §5): the window of F and M, and the as-of date D."""

    window_months: int = Field(default=6, ge=1, le=120)
    as_of: date | None = None


class Bound(_Model):
    """An inclusive range of a rule condition: ``{ min = 2, max = 4 }``; either may be left out."""

    min: float | None = None
    max: float | None = None

    def model_post_init(self, __context: object) -> None:
        if self.min is None and self.max is None:
            raise ValueError("give min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")


class RuleSettings(_Model):
    """One ordered rule: ``preset`` (with optional overrides) or id, names and conditions.

    ``conditions`` maps a feature to a `Bound` or to a value it must equal
    (``repurchased = false``); ``registered_within_months = 6`` is registration date
    > D − 6 calendar months.
    """

    preset: str | None = None
    id: str | None = None
    name_zh: str | None = None
    name_en: str | None = None
    conditions: dict[str, Bound | bool | int | float | str] | None = None
    keywords: str | None = None

    @field_validator("conditions", mode="before")
    @classmethod
    def _bound_keys(cls, conditions: object) -> object:
        for feature, spec in (conditions or {}).items() if isinstance(conditions, dict) else ():
            for key in spec if isinstance(spec, dict) else ():
                if key not in ("min", "max"):
                    close = difflib.get_close_matches(key, ["min", "max"], n=1)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise ValueError(f"{feature}: unknown bound {key!r}{hint}; use min and max")
        return conditions

    def model_post_init(self, __context: object) -> None:
        if self.preset is None and not (self.id and self.conditions
                                        and (self.name_zh or self.name_en)):
            raise ValueError("give preset, or id, conditions and name_zh or name_en")


class ValueMatrixSettings(_Model):
    """value-matrix: a value × an activity feature; cut points default to the medians."""

    value: str = "ltv_historic"
    activity: str = "frequency"
    value_cut: float | None = None
    activity_cut: float | None = None


class TierSettings(_Model):
    """tiers: VIP / regular / potential or a class variant (see `custseg.segment.tiers`)."""

    variant: Literal["vip", "value", "frequency", "amount", "aov", "profit", "activity",
                     "preference", "b2b"] = "vip"
    by: str = "ltv_historic"
    vip_share: float = Field(default=0.10, gt=0, lt=1)
    potential_share: float = Field(default=0.20, ge=0, lt=1)
    quantiles: tuple[float, float] = (0.5, 0.8)
    cuts: tuple[float, float] | None = None
    active_days: int = Field(default=90, ge=0)
    dormant_days: int = Field(default=180, ge=0)
    brand_share: float = Field(default=0.6, gt=0, le=1)
    discount_share: float = Field(default=0.5, gt=0, le=1)
    sme_below: int = Field(default=200, ge=1)
    max_industries: int = Field(default=5, ge=1)


class LifecycleSettings(_Model):
    """lifecycle: new ≤ new_days since the first order, lost R > lost_days (or P(alive) low)."""

    new_days: int = Field(default=90, ge=1)
    lost_days: int = Field(default=365, ge=1)
    p_alive_below: float = Field(default=0.1, ge=0, le=1)


class DemographicSettings(_Model):
    """demographic: slices by attributes; the largest max_segments combinations are named."""

    attributes: list[Literal["gender", "age_band", "province", "city", "industry"]] = Field(
        default_factory=lambda: ["gender", "age_band", "province"], min_length=1)
    max_segments: int = Field(default=30, ge=1)


class ClusterSettings(_Model):
    """kmeans, hierarchical, kprototypes: sample, preprocessing, reduction, stability.

    ``sample_size`` unset keeps each model's default (kmeans 50,000; hierarchical 5,000;
    kprototypes 2,000); kmeans samples above ``minibatch_above`` rows use MiniBatchKMeans.
    """

    sample_size: int | None = Field(default=None, ge=2)
    minibatch_above: int = Field(default=20_000, ge=1)
    random_state: int = 0
    transforms: Literal["auto", "log", "none"] = "auto"
    reduction: Literal["none", "pca", "factor"] = "none"
    n_components: int = Field(default=2, ge=1)
    categorical: list[str] = Field(default_factory=lambda: ["gender", "age_band"])
    gamma: float | None = Field(default=None, gt=0)
    stability_runs: int = Field(default=3, ge=0, le=50)


class SegmentationSettings(_Model):
    """Segmentation models (SPEC §5): the default model, RFM rules and the RFM score map.

    ``rules`` replaces the ``template`` of rfm-rules; ``score_map`` replaces the default map
    of rfm-scores (rules on ``r_score``, ``f_score``, ``m_score``, each 1–5); ``k``,
    ``k_range`` and ``cluster_features`` configure kmeans.
    """

    model: str = "rfm-rules"
    template: str = "seed"
    rules: list[RuleSettings] = Field(default_factory=list)
    score_map: list[RuleSettings] = Field(default_factory=list)
    currency: str = "¥"
    value_matrix: ValueMatrixSettings = Field(default_factory=ValueMatrixSettings)
    tiers: TierSettings = Field(default_factory=TierSettings)
    lifecycle: LifecycleSettings = Field(default_factory=LifecycleSettings)
    demographic: DemographicSettings = Field(default_factory=DemographicSettings)
    k: int | None = Field(default=None, ge=2)
    k_range: tuple[int, int] = (3, 6)
    cluster_features: list[str] = Field(
        default_factory=lambda: ["recency_days", "frequency", "monetary"])
    clustering: ClusterSettings = Field(default_factory=ClusterSettings)


class ChurnLevelSettings(_Model):
    """Churn-risk levels from BG/NBD P(alive): ≥ ``low_from`` low, < ``high_below`` high,
    medium in between."""

    low_from: float = Field(default=0.7, ge=0, le=1)
    high_below: float = Field(default=0.3, ge=0, le=1)

    def model_post_init(self, __context: object) -> None:
        if self.high_below > self.low_from:
            raise ValueError(f"high_below {self.high_below:g} is above low_from "
                             f"{self.low_from:g}")


class PredictionSettings(_Model):
    """Predictions (SPEC §5): CLV horizon and unit, discounting, churn label and levels.

    ``horizon`` and ``holdout`` are in ``time_unit`` ("W" weeks, "D" days); ``holdout`` is the
    BG/NBD validation period before D (default: the horizon, at most half the history).
    """

    time_unit: Literal["W", "D"] = "W"
    horizon: float = Field(default=52, gt=0)
    holdout: float | None = Field(default=None, gt=0)
    annual_discount_rate: float = Field(default=0.10, gt=-1)
    churn_horizon_days: int = Field(default=90, ge=7, le=3650)
    churn_levels: ChurnLevelSettings = Field(default_factory=ChurnLevelSettings)


class RunSettings(_Model):
    """What `custseg run` does after loading the sources: these segmentations, then
    predictions when ``predict`` is on."""

    models: list[str] = Field(default_factory=lambda: ["rfm-rules", "rfm-scores"])
    predict: bool = False


class ReportSettings(_Model):
    """`custseg report`: the report's language (default: the project's) and the file it
    writes, relative to the project folder."""

    language: Literal["zh", "en"] | None = None
    out: str = "report.html"


class WebSettings(_Model):
    """The web app and REST API (`custseg serve`): how long a browser session and an API
    token last, and how many failed logins per user name and address a window allows."""

    session_minutes: int = Field(default=480, ge=5, le=10_080)
    token_minutes: int = Field(default=60, ge=1, le=10_080)
    login_attempts: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=300, ge=1)


class BasketSettings(_Model):
    """Association rules (`custseg basket`): items at ``level`` over baskets (one per order,
    or per customer and ``period``), rules kept at the minimum support, confidence and lift.

    Pairs and triples (``max_len`` ≤ 3) are counted in the engine at any size; deeper
    itemsets use FP-Growth when a group has at most ``fpgrowth_max_baskets`` baskets
    (``algorithm = "auto"``), else ``max_len`` is capped at 3. An itemset also needs
    ``min_count`` baskets, so a small segment cannot produce rules from one basket.
    """

    level: Literal["product", "brand", "category"] = "product"
    basket: Literal["order", "customer-period"] = "order"
    period: Literal["month", "quarter", "year"] = "month"
    window_months: int | None = Field(default=None, ge=1, le=1200)
    min_support: float = Field(default=0.01, gt=0, le=1)
    min_confidence: float = Field(default=0.1, ge=0, le=1)
    min_lift: float = Field(default=1.0, ge=0)
    min_count: int = Field(default=5, ge=1)
    max_len: int = Field(default=2, ge=2, le=10)
    algorithm: Literal["auto", "engine", "fpgrowth"] = "auto"
    fpgrowth_max_baskets: int = Field(default=50_000, ge=0)


class PlaybookEntrySettings(_Model):
    """One playbook row; keys left out keep the built-in default of `custseg.playbook`.
    ``kpis`` maps a KPI to a target: ``"+10%"`` (relative lift over the holdout), ``"+5pt"``
    (lift in points), ``">=20%"`` (level of the treated group) — see
    `custseg.campaigns.targets`."""

    direction: str | None = None
    measures: list[str] | None = None
    owner: str | None = None
    budget: str | None = None
    kpis: dict[str, str | float] | None = None


class PlaybookSettings(_Model):
    """Strategy playbook (SPEC §7): rows keyed by segment id (``[playbook.segments.A004]``)
    override the defaults; ``model`` is the segmentation it is for (default: [segmentation]
    model)."""

    model: str | None = None
    segments: dict[str, PlaybookEntrySettings] = Field(default_factory=dict)


class CampaignSettings(_Model):
    """Campaign defaults (SPEC §8): the holdout share and the pre/post windows in days."""

    holdout: float = Field(default=0.10, gt=0, lt=1)
    pre_days: int = Field(default=30, ge=1, le=3650)
    post_days: int = Field(default=30, ge=1, le=3650)


class PrivacySettings(_Model):
    """Personal data at rest (SPEC §10): the key file that switches encryption on.

    The key comes from the environment variable ``CUSTSEG_KEY`` or from ``key_file``
    (relative to the project folder; `custseg keys init` writes it, mode 0600). Without
    either, personal fields are stored in clear. The key is never stored in the database.
    """

    key_file: str = "custseg.key"


class Settings(_Model):
    """The whole configuration of a project (custseg.toml)."""

    project: ProjectSettings = Field(default_factory=ProjectSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    cleaning: CleaningSettings = Field(default_factory=CleaningSettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    segmentation: SegmentationSettings = Field(default_factory=SegmentationSettings)
    prediction: PredictionSettings = Field(default_factory=PredictionSettings)
    run: RunSettings = Field(default_factory=RunSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    basket: BasketSettings = Field(default_factory=BasketSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    playbook: PlaybookSettings = Field(default_factory=PlaybookSettings)
    campaigns: CampaignSettings = Field(default_factory=CampaignSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)


def _location(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the last key of ``loc``, to suggest close key names."""
    model: type[BaseModel] | None = Settings
    keyed = False  # the previous field is a dict of models: this part is one of its keys
    for part in loc[:-1]:
        if isinstance(part, int) or model is None or keyed:
            keyed = False
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        ann = field.annotation
        keyed = getattr(ann, "__origin__", None) is dict
        args = getattr(ann, "__args__", ())
        model = next((a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)),
                     None)
    return model


def format_errors(error: ValidationError, source: str) -> str:
    """Turn a pydantic error into one line per problem, with a close match for typos."""
    lines = []
    for err in error.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function")))
        where = _location(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            owner = _model_at(loc)
            hint = ""
            if owner is not None:
                close = difflib.get_close_matches(str(loc[-1]), owner.model_fields, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
            lines.append(f"{source}: unknown key {where}{hint}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            got = err.get("input")
            shown = "" if isinstance(got, dict | list) else f" (got {got!r})"
            lines.append(f"{source}: {where}: {msg}{shown}")
    return "\n".join(lines)


def parse_settings(data: dict, *, source: str = CONFIG_FILE) -> Settings:
    """Validate a config mapping; every problem is reported in one ConfigError."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_errors(exc, source)) from None


def load_settings(project_dir: Path) -> Settings:
    """Read and validate ``custseg.toml`` in a project folder, checking that source files exist."""
    path = Path(project_dir) / CONFIG_FILE
    if not path.is_file():
        raise ConfigError(
            f"{path}: no {CONFIG_FILE} here; create a project with `custseg init {project_dir}` "
            "or pass --project DIR"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    settings = parse_settings(data, source=str(path))
    missing = [
        f"{path}: sources[{i}].path: file not found: {s.path}"
        for i, s in enumerate(settings.sources)
        if s.path and not (Path(project_dir) / s.path).exists()
    ]
    if missing:
        raise ConfigError("\n".join(missing))
    return settings


STARTER_CONFIG = """\
# custseg project configuration. Every key is optional; unknown keys are errors.
# Paths are relative to this folder.

[project]
name = "{name}"
language = "{language}"        # zh | en: labels in reports, segment names, messages

[engine]
kind = "duckdb"                # the embedded customer database
database = "custseg.duckdb"    # query it with any DuckDB client: SELECT * FROM orders
# threads = 2
# memory_limit = "4GB"
#   kind = "spark"             # compute features and segments on Apache Spark instead
#   spark_master = "local[*]"  # or spark://host:7077, yarn, k8s://https://…
# operational_store = "postgresql://user:password@host/db"   # users, audit, run registry

[ingest]
day_first = false              # 05/03/2024 is May 3rd; true reads it as 5 March
# null_tokens = ["", "NULL", "N/A", "-", "无"]

[cleaning]                     # every rule is on by default and reported by `custseg quality`
# identity_merge = true        # one person under several ids (same phone, e-mail or ID number)
# test_patterns = ["测试", "test"]   # names/e-mails/tags of test accounts
# internal_phones = ["13800000000"]
# outlier_method = "mad"       # or "iqr"; amounts beyond median ± k·MAD (log scale) are flagged
# outlier_k = 5.0
# max_missing_rate = 0.05      # a key field missing in more rows than this stops the run

[features]
window_months = 6              # F and M count the orders of the last N calendar months
# as_of = 2024-06-30           # the as-of date D; default: the latest order date

[segmentation]                 # `custseg segment --model NAME` (rfm-rules | rfm-scores | kmeans
#                              # | value-matrix | tiers | lifecycle | demographic)
model = "rfm-rules"
template = "seed"              # A001–A004 of the seed, used when no [[segmentation.rules]]
# currency = "¥"               # in the segments' descriptions
# k_range = [3, 6]             # kmeans: K chosen by elbow and silhouette within this range
# k = 4                        # kmeans: a fixed K instead (also `custseg segment --k 4`)
# cluster_features = ["recency_days", "frequency", "monetary"]   # kmeans: columns clustered
# Ordered rules, first match wins; customers matching none are "unclassified" (U).
# Bounds are inclusive: R ≤ 30 is max = 30. R = recency_days, F = frequency, M = monetary.
# [[segmentation.rules]]
# id = "A001"
# name_zh = "核心忠诚客户"
# name_en = "core loyal"
# keywords = "专属服务, 优先体验"
# [segmentation.rules.conditions]
# recency_days = {{ max = 30 }}
# frequency = {{ min = 5 }}
# monetary = {{ min = 2000 }}
# [[segmentation.rules]]
# preset = "churn_risk"        # or potential, lost, core_loyal, new_potential, stable_regular,
#                              # dormant; id, names and keywords may be overridden
# [[segmentation.rules]]
# id = "N1"
# name_en = "new this half-year"
# conditions = {{ registered_within_months = 6, frequency = {{ min = 1 }} }}
# rfm-scores: ordered rules on r_score, f_score, m_score (1–5) replace the default map.
# [[segmentation.score_map]]
# id = "S01"
# name_zh = "冠军客户"
# name_en = "champions"
# conditions = {{ r_score = {{ min = 4 }}, f_score = {{ min = 4 }}, m_score = {{ min = 4 }} }}
# Other models; `custseg segment --objective repurchase-high-value | cut-churn |
# launch-product | allocate-service` chooses one for a goal. Cut points belong to the low
# side (x ≤ cut is low); without one, medians or quantiles are learned from the data.
# [segmentation.value_matrix]  # value-matrix: 2×2 of value × activity
# value = "ltv_historic"       # or monetary, profit …
# activity = "frequency"       # or recency_days (less is more active), activity_count …
# value_cut = 500              # default: the median
# activity_cut = 1             # default: the median
# [segmentation.tiers]         # tiers: VIP (top 10 %) / regular / potential (bottom 20 %, none)
# variant = "vip"              # or value | frequency | amount | aov | profit | activity
#                              # | preference | b2b
# by = "ltv_historic"          # measure of vip and value
# vip_share = 0.10
# potential_share = 0.20
# quantiles = [0.5, 0.8]       # three-class variants: low ≤ q50 < medium ≤ q80 < high
# cuts = [100, 1000]           # fixed cut points instead of quantiles
# active_days = 90             # activity: active R ≤ 90, dormant R > 180, potential between
# dormant_days = 180
# brand_share = 0.6            # preference: brand-loyal, price-sensitive (discount share)
# discount_share = 0.5
# sme_below = 200              # b2b: SME = staff < 200
# max_industries = 5
# [segmentation.lifecycle]     # lifecycle: new, growing, mature, declining, lost
# new_days = 90                # new: first order ≤ 90 days before D
# lost_days = 365              # lost: R > 365 d (or P(alive) < p_alive_below when known)
# p_alive_below = 0.1
# [segmentation.demographic]   # demographic: slices by attributes (unknown = 未知/unknown)
# attributes = ["gender", "age_band", "province"]   # also city, industry
# max_segments = 30            # the largest combinations; the rest is "other"
# [segmentation.clustering]    # kmeans, hierarchical, kprototypes (`--k auto|N --features a,b`)
# reduction = "pca"            # or "factor": cluster on n_components = 2 components
# stability_runs = 3           # bootstrap re-fits; a warning when their mean ARI is < 0.8

[prediction]                   # `custseg predict`: CLV, churn risk, purchase propensity
time_unit = "W"                # W (weeks) | D (days): unit of horizon, holdout and BG/NBD α
horizon = 52                   # CLV and expected purchases over the next 52 weeks
annual_discount_rate = 0.10    # CLV discounting, 10 % a year
churn_horizon_days = 90        # churn = no purchase in the next 90 days
# holdout = 39                 # BG/NBD validation period; default horizon, ≤ half the history
# churn_levels = {{ low_from = 0.7, high_below = 0.3 }}   # P(alive) ≥ 0.7 low, < 0.3 high

[run]                          # `custseg run`: load the sources, then these models
models = ["rfm-rules", "rfm-scores"]
predict = false                # true: also CLV, churn risk and purchase propensity

# [basket]                     # `custseg basket`: association rules (what is bought together)
#   level = "product"          # or brand, category
#   basket = "order"           # or "customer-period" (a customer's purchases in one period)
#   min_support = 0.01         # share of baskets; min_confidence = 0.1, min_lift = 1.0
#   max_len = 2                # 3 counts triples; 4+ uses FP-Growth up to fpgrowth_max_baskets

# [report]                     # `custseg report` (HTML) and `custseg export --xlsx`
#   language = "en"            # default: the [project] language
#   out = "report.html"        # where `custseg report` writes without --out

# [playbook]                   # `custseg playbook`: strategy per segment (defaults built in)
# [playbook.segments.A004]     # keys left out keep their defaults
#   owner = "王经理"
#   measures = ["回归专享100元券", "流失原因调研"]
#   kpis = {{ activation_rate = ">=20%", repurchase_30d = ">=8%" }}  # "+10%": lift vs holdout
# [campaigns]                  # `custseg campaign plan`: holdout share, pre/post windows (days)
#   holdout = 0.10
#   post_days = 30

# [privacy]                    # personal data at rest: `custseg keys init` writes the key
#   key_file = "custseg.key"   # (mode 0600); or set CUSTSEG_KEY. Keep a copy elsewhere.

# One [[sources]] block per file or database table. `custseg run` (and `custseg ingest`
# without files) loads them; re-loading a file that did not change adds nothing.
#
# [[sources]]
# path = "data/orders.csv"     # .csv .tsv .txt .xlsx .xls .parquet .jsonl
# table = "orders"             # customers orders order_items events interactions referrals
# encoding = "auto"            # or utf-8, gb18030, utf-16
# delimiter = "auto"           # or "," ";" "\\t" "|"
# refresh = "daily"            # how often this source is updated (data catalog)
# [sources.mapping]            # header in the file = canonical column ("" ignores it)
# "实付金额(元)" = "amount"
#
# [[sources]]
# url = "postgresql://user@localhost/shop"
# sql_table = "crm_customers"
# table = "customers"
"""

"""The arrows of DESIGN.md, the public faces of the rooms, and the one write path."""

import ast
import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "gates": {"models", "engine", "flows", "cli", "notify", "prefect", "sqlmodel", "sqlalchemy", "httpx",
              "socket", "requests", "os", "pathlib", "datetime.datetime"},
    "models": {"engine", "flows", "cli", "notify", "prefect"},
    "engine": {"flows", "cli", "prefect"},
    "notify": {"engine", "flows", "cli", "prefect"},
    "flows": {"models", "gates", "notify", "cli", "web", "sqlalchemy", "sqlmodel"},
    "cli": {"models", "gates", "notify", "prefect", "web", "sqlalchemy", "sqlmodel"},
    "web": {"models", "gates", "notify", "prefect", "cli", "sqlalchemy", "sqlmodel"},
}


ROOMS = ("gates", "models", "engine", "flows", "notify", "cli")


def imports_of(room: str, *, as_written: bool = False):
    """The modules each file of `room` imports, with the `partnerflow.` prefix taken off (unless `as_written`).

    `from partnerflow.engine import x` counts as importing `engine` (the face), whatever x is."""
    for path in sorted((ROOT / room).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            else:
                continue
            yield path, names if as_written else [name.removeprefix("partnerflow.") for name in names]


@pytest.mark.parametrize("room", [*ROOMS, "migrations", "tests", "bench"])
def test_every_import_of_our_code_goes_through_the_one_import_name(room):
    """`import engine` would load a second copy of a room beside `partnerflow.engine` (and fails once installed)."""
    bare = [(str(path.relative_to(ROOT)), name) for path, names in imports_of(room, as_written=True)
            for name in names if name.split(".")[0] in ROOMS]
    assert bare == []


@pytest.mark.parametrize("room", sorted(FORBIDDEN))
def test_rooms_import_only_downwards(room):
    """The arrows of DESIGN.md: cli, web -> flows -> engine -> (gates, models, notify); only flows imports Prefect."""
    bad = [(path.relative_to(ROOT), name) for path, names in imports_of(room) for name in names
           if name.split(".")[0] in FORBIDDEN[room] or name in FORBIDDEN[room]]
    assert bad == []


def writes_phase_or_state(source: str) -> bool:
    """An assignment to `.phase` / `.state`, or an UPDATE of the partnership table whose values
    name its phase, state or version (a review's marks are written beside them, not through them)."""
    if re.search(r"\.(phase|state)\s*=[^=]|Partnership\.__table__\.update", source):
        return True
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values":
            target = node.func.value
            while isinstance(target, ast.Call) and isinstance(target.func, ast.Attribute):
                target = target.func.value  # update(...).where(...).values(...): back to update(...)
            if (isinstance(target, ast.Call) and getattr(target.func, "id", None) == "update" and target.args
                    and "Partnership" in ast.unparse(target.args[0])):
                written = {k.arg for k in node.keywords} | {getattr(k, "value", None) for a in node.args
                                                             if isinstance(a, ast.Dict) for k in a.keys}
                if written & {"phase", "state", "version", None}:
                    return True
    return False


def test_only_the_transitions_module_writes_phase_or_state():
    offenders = [str(path.relative_to(ROOT)) for room in ("engine", "models", "flows", "cli", "notify")
                 for path in (ROOT / room).rglob("*.py")
                 if path != ROOT / "engine" / "phases" / "transitions.py" and writes_phase_or_state(path.read_text())]
    assert offenders == []
    assert writes_phase_or_state("update(Partnership).where(P.id == 1).values(state='ready')")
    assert writes_phase_or_state("update(Partnership.__table__).values(**changes)")
    assert not writes_phase_or_state("update(Partnership.__table__).where(P.id == 1).values(reviewed_as_of=day)")


@pytest.mark.parametrize(("package", "exported"), [
    ("gates", {"MAX_DOCUMENT_BYTES", "UNREADABLE", "described", "field_name", "shown", "CHECKS", "PARTNERSHIP_KINDS", "PHASE_NAMES", "PHASES", "PRACTICES", "STATES", "PRACTICE_BY_KEY", "Approvers", "Criterion", "CriterionResult",
               "DocumentError", "Gate", "GateEvaluation", "InvalidDocument", "Located", "Outcome",
               "PartnershipSnapshot", "Policy", "Practice", "decode", "assess", "Assessment", "evaluate", "evaluate_gate",
               "evaluate_monitors", "next_phase", "parse_policy", "parse_yaml", "previous_phase",
               "AgreementKind", "CommitmentStatus", "Direction", "Influence", "InitiativeKind", "InitiativeStatus",
               "Level", "MeetingKind", "MetricKind", "OpportunityKind", "OpportunityStatus", "ProblemKind",
               "EVIDENCE_OF_PRACTICE", "PracticeStatus", "practice_statuses"}),
    ("flows", {"ReviewParameters", "announce_evidence_changed", "dispatch_notifications", "review_partnership",
               "review_portfolio", "review_shard", "run_in_process", "sweep_deadlines"}),
    ("engine", {"AccessRefused", "Finding", "health_findings", "Actor", "actor", "create_token", "revoke_token", "token_listing", "token_actor",
              "request_sign_in", "sign_in", "session_of", "sign_out", "sign_token", "read_token", "ChannelRefused", "sign_in_link_for",
              "supply_evidence", "may_change_evidence", "task_detail", "usable_link", "resend_task_link", "PRACTICES", "EVIDENCE_SECTIONS", "LIST_SECTIONS", "FIRST_DAY", "LAST_DAY",
              "PARTNERSHIP_SORTS", "CRITERION_ID", "STATES",
              "EVIDENCE_OF_PRACTICE", "gate_queue", "vote_standing", "partnership_rows", "portfolio_overview", "OverviewCache",
              "readable", "partnership_view", "review_listing", "policy_document", "DocumentError", "Conflict", "DEFAULT_POLICY", "DatabaseNotReady", "DecisionOutcome",
              "DecisionRefused", "DispatchReport", "ImportSummary", "InvalidDocument", "LinkRefused",
              "MemberRefused", "NotFound", "PHASES", "PHASE_NAMES", "Policy", "ReviewReport", "Settings",
              "SettingsError", "SweepReport", "TaskRefused", "VERDICTS", "add_channel", "plan_review", "finish_run", "ReviewPlan", "collector_frozen",
              "plan_shards", "assign_shard", "take_shard", "review_shard_batch", "shard_states", "shards_report", "ShardWork",
              "ShardState", "PolicyChanged", "channel_listing", "complete_task", "complete_task_by_link", "decide", "delegate",
              "dispatch_all", "dispatch_batch", "drain", "get_engine", "get_settings", "head_revision",
              "import_documents", "import_files", "init_database", "compose_held", "notification_listing", "now", "monotonic",
              "partnership_history", "partnership_ids", "partnership_status", "plan_batches",
              "policy_in_force", "portfolio", "progress_listening", "read_policy", "ready_engine",
              "reassign_task", "remove_channel", "remove_member", "report_progress", "reseal",
              "retry_notifications", "review_all", "review_batch", "review_summary", "secret_of", "sweep",
              "task_listing", "today", "transaction", "what_if"}),
    ("notify", {"CHANNELS", "check_smtp", "EVENTS", "TASK_EVENTS", "CheckedClient", "Delivery", "InvalidTarget", "Message",
                "SmtpSettings", "Target", "deliver_all", "environment", "render", "render_message", "validate_target"}),
    ("engine.phases", {"Conflict", "DecisionOutcome", "DecisionRefused", "ReviewReport", "VERDICTS",
                     "plan_review", "finish_run", "ReviewPlan", "collector_frozen", "decide", "partnership_history", "partnership_status", "plan_batches",
                     "portfolio", "review_all", "review_batch", "review_summary", "what_if", "gate_queue",
                     "vote_standing", "partnership_rows", "portfolio_overview", "OverviewCache", "readable", "partnership_view", "review_listing",
                     "PARTNERSHIP_SORTS", "CRITERION_ID", "plan_shards", "assign_shard", "take_shard", "review_shard_batch",
                     "shard_states", "shards_report", "ShardWork", "ShardState", "PolicyChanged"}),
    ("engine.work", {"MemberRefused", "Opened", "Reconciled", "Removal", "TaskRefused", "Wanted", "cancel_for",
                   "complete", "complete_by_link", "delegate", "open_condition", "open_conditions", "reassign",
                   "reconcile", "remove_member", "task_listing", "wanted_tasks", "task_detail"}),
    ("engine.notifications", {"ActionLink", "Finding", "channel_findings", "ChannelRefused", "DispatchReport", "LinkRefused", "Outgoing", "SweepReport",
                            "add_channel", "channel_listing", "consume_link", "context_of", "dispatch_all",
                            "dispatch_batch", "drain", "enqueue", "notification_listing", "remove_channel", "reseal",
                            "retry_notifications", "secret_of", "sweep", "target_problem", "compose_held", "hold",
                            "transitions_applied", "verify_link", "usable_link", "write_channels", "request_sign_in", "sign_in",
                            "session_of", "sign_out", "sign_in_link_for", "sign_token", "read_token", "resend_task_link"}),
])
def test_public_faces_are_pinned(package, exported):
    module = importlib.import_module(f"partnerflow.{package}")
    assert set(module.__all__) == exported
    assert all(hasattr(module, name) for name in module.__all__)


def test_cli_flows_and_web_use_only_the_faces_of_engine_and_flows():
    """They open no sessions of their own and reach no module behind a face."""
    private = [(str(path.relative_to(ROOT)), name) for room in ("cli", "flows", "web") for path, names in imports_of(room)
               for name in names if name.startswith("engine.") or name.startswith("flows.") and room != "flows"]
    assert private == []


def test_only_engine_clock_reads_the_time():
    """Everything else takes `now`/`as_of`, so a frozen clock in tests is the whole truth."""
    reads = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.monotonic_ns|"
                       r"datetime\.today)\(")
    offenders = [str(path.relative_to(ROOT)) for room in ("gates", "models", "engine", "flows", "cli", "notify")
                 for path in (ROOT / room).rglob("*.py")
                 if path != ROOT / "engine" / "clock.py" and reads.search(path.read_text())]
    assert offenders == []


BASE = {"settings", "database", "clock", "audit", "lookup", "policies", "people", "sealing", "progress", "access"}
WINGS_BELOW = {  # what each part of engine/ may import of engine/ besides the base: arrows run one way
    "base": set(),
    "notifications": {"notifications"},
    "work": {"work", "notifications"},
    "phases": {"phases", "work", "notifications"},
    "intake": {"intake", "notifications"},
    "setup": {"notifications"},
    "health": {"notifications"},
}


def engine_part(path: Path) -> str:
    relative = path.relative_to(ROOT / "engine")
    if len(relative.parts) > 1:
        return relative.parts[0]
    return "base" if relative.stem in BASE else relative.stem


def engine_imports():
    """Like imports_of("engine"), with `from partnerflow.engine import x` read as the module `engine.x`."""
    for path in sorted((ROOT / "engine").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "partnerflow.engine":
                yield path, [f"engine.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, [node.module.removeprefix("partnerflow.")]
            elif isinstance(node, ast.Import):
                yield path, [alias.name.removeprefix("partnerflow.") for alias in node.names]


@pytest.mark.parametrize("part", sorted(WINGS_BELOW))
def test_engine_wings_import_one_way(part):
    """phases -> work -> notifications, intake -> notifications; the base imports no wing."""
    bad = []
    for path, names in engine_imports():
        if path.name == "__init__.py" and path.parent == ROOT / "engine" or engine_part(path) != part:
            continue
        for name in names:
            pieces = name.split(".")
            if pieces[0] != "engine" or len(pieces) < 2:
                continue
            target = pieces[1] if pieces[1] in WINGS_BELOW else ("base" if pieces[1] in BASE else pieces[1])
            if target != "base" and target not in WINGS_BELOW[part]:
                bad.append((str(path.relative_to(ROOT)), name))
    assert bad == []


def test_every_engine_module_belongs_to_the_base_or_a_wing():
    parts = {engine_part(path) for path in (ROOT / "engine").rglob("*.py") if path != ROOT / "engine" / "__init__.py"}
    assert parts <= set(WINGS_BELOW)


def test_a_wing_is_entered_through_its_face():
    """From outside a wing (another wing, the base, the engine's face), only `engine.<wing>` is imported."""
    bad = []
    for path, names in engine_imports():
        here = engine_part(path)
        for name in names:
            pieces = name.split(".")
            if pieces[0] == "engine" and len(pieces) > 2 and pieces[1] in WINGS_BELOW and pieces[1] != here:
                bad.append((str(path.relative_to(ROOT)), name))
    assert bad == []


def module_graph() -> dict[str, set[str]]:
    """partnerflow's modules and what each imports at module level (imports inside functions are lazy on purpose)."""
    import tomllib

    folders = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    modules: dict[str, Path] = {}
    for package, folder in folders.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = [package, *path.relative_to(ROOT / folder).with_suffix("").parts]
            modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from package import module` imports the module, not the face
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in modules else node.module)
        graph[name] = {t for t in targets if t in modules and t != name}
    return graph


def test_no_import_loop_anywhere():
    graph, state, loops = module_graph(), {}, []

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                loops.append(trail[trail.index(target):] + [target] if target in trail else [module, target])
            elif target not in state:
                visit(target, trail + [target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert loops == []


@pytest.mark.parametrize("room", ["engine", "flows", "cli", "notify"])
def test_other_rooms_use_the_faces_of_gates_and_models(room):
    """What gates/ and models/ offer the rooms above them is in their __init__.py, nothing behind it."""
    behind = [(str(path.relative_to(ROOT)), name) for path, names in imports_of(room) for name in names
              if name.split(".")[0] in ("gates", "models") and "." in name]
    assert behind == []

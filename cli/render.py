"""Printing the engine's answers for people (rich) and for programs (--json).

Console lines are Rich markup: every value that is not the program's own words goes through
`shown`, so what people typed is printed as they typed it and is never read as markup.
"""

import json
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from partnerflow.engine import PHASE_NAMES

console = Console(highlight=False, soft_wrap=True, emoji=False)
# Control characters would move the cursor, recolour or retitle the terminal, or hide text:
# they are printed as their escape (`\x1b`, `\n`) instead.
CONTROLS = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7f, 0xa0)]} | {
    ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"}


def visible(value) -> str:
    """A value as plain text for the terminal: control characters made visible (`\\x1b`, `\\n`)."""
    return str(value).translate(CONTROLS)


def shown(value) -> str:
    """A stored or typed value as Rich markup that prints exactly that text, control characters made visible.

    Rich reads backslashes right before a tag as escapes, so a value's trailing backslashes are
    doubled and followed by an empty tag pair: they print as typed whatever markup comes next.
    """
    text = visible(value)
    body = text.rstrip("\\")
    tail = len(text) - len(body)
    return escape(body) + ("\\" * 2 * tail + "[bold][/bold]" if tail else "")


def print_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")


def portfolio(view: dict) -> None:
    table = Table(title="Portfolio", show_edge=False)
    table.add_column("phase")
    table.add_column("partnerships", justify="right")
    for phase, count in view["by_phase"].items():
        table.add_row(PHASE_NAMES[phase], str(count))
    console.print(table)
    states = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in view["by_state"].items() if n)
    console.print(f"States: {shown(states or 'no partnerships yet')}")
    if view["ready"]:
        console.print("\n[bold]Waiting for a gatekeeper[/bold]")
        for item in view["ready"]:
            console.print(f"  {shown(item['key']):<28} {shown(item['name'])} — {shown(item['gate'])}")
    if view["blocked"]:
        console.print(f"\n[bold]Blocked[/bold] ({len(view['blocked'])})")
        for item in view["blocked"][:20]:
            console.print(f"  {shown(item['key']):<28} {PHASE_NAMES[item['phase']]:<14} "
                          f"{shown(', '.join(item['blockers']))}")
        if len(view["blocked"]) > 20:
            console.print(f"  … and {len(view['blocked']) - 20} more")
    if view["top_blockers"]:
        console.print("\n[bold]Top blockers[/bold]")
        for criterion, count in view["top_blockers"][:5]:
            console.print(f"  {count:>5}  {shown(criterion)}")
    if view.get("as_of"):
        console.print(f"\nBlockers evaluated as of {shown(view['as_of'])}, nothing stored "
                      f"(`partnerflow review --as-of {shown(view['as_of'])}` records a review).")
    elif view["last_review"] is None:
        console.print("\nNot reviewed yet: run `partnerflow review`.")


def partnership(view: dict) -> None:
    console.print(f"[bold]{shown(view['key'])}[/bold] — {shown(view['name'])} ({shown(view['kind'])})")
    console.print(f"Parties: {shown(', '.join(view['parties']))} · owner {shown(view['owner'])} · "
                  f"sponsor {shown(view['sponsor'])}")
    console.print(f"Phase: {PHASE_NAMES[view['phase']]} · state: {shown(view['state'].replace('_', ' '))}"
                  f" · as of {shown(view['as_of'])}")
    standing = view.get("review")
    if standing is not None:
        holds = f"until {shown(standing['holds_until'])}" if standing["holds_until"] else "while its evidence stays"
        console.print(f"Last reviewed as of {shown(standing['looked_on'])}, confirmed as of "
                      f"{shown(standing['confirmed_as_of'])}; the result holds {holds}"
                      + (" · [yellow]evidence changed since: the next review reloads it[/yellow]"
                         if standing["evidence_changed"] else ""))
    gate = view["next_gate"]
    if gate is None:
        console.print("Final phase: no gate ahead; monitors keep running.")
    else:
        verdict = "[green]passes[/green]" if gate["passed"] else "[red]blocked[/red]"
        approvers = gate["approvers"]
        who = "advances automatically" if gate["approval"] == "auto" else (
            f"needs {approvers['count']} gatekeeper(s)" + (", one from each party" if approvers["from_each_party"]
                                                          else ""))
        console.print(f"\nNext gate [bold]{shown(gate['id'])}[/bold]: {verdict}; {who}")
        criteria_table(gate["criteria"])
    if view["monitors"]:
        console.print("\n[bold]Monitors[/bold] (in every phase; they raise attention, they do not block)")
        criteria_table(view["monitors"], monitor=True)
    response = view["response_time"]
    console.print(f"\nResponse time (trust & credibility): {shown(response['explanation'])}")
    for item in view["open_conditions"]:
        owner = shown(item["owner"]) if item["owner"] else "[yellow]unassigned: for the program office[/yellow]"
        console.print(f"Open condition: {shown(item['condition'])} (since {shown(item['decided_at'][:10])}) — "
                      f"task #{item['task']} for {owner}, due {shown(item['due_on'])}")


def mark(result: dict, *, monitor: bool = False) -> str:
    """✔ passed; ✘ a failed must; – a failed should; ! a monitor's warning."""
    if result["passed"]:
        return "[green]✔[/green]"
    if monitor:
        return "[yellow]![/yellow]"
    return "[red]✘[/red]" if result["level"] == "must" else "[yellow]–[/yellow]"


def criteria_table(criteria: list[dict], *, monitor: bool = False) -> None:
    """One line per criterion, its explanation beneath: readable at any terminal width."""
    for c in criteria:
        level = "" if monitor else f"{shown(c['level']):<6} "
        console.print(f"  {mark(c, monitor=monitor)} {level}{shown(c['id'])}  [dim]({shown(c['practice_name'])})[/dim]")
        console.print(f"           {shown(c['explanation'])}")


def history(events: list[dict]) -> None:
    if not events:
        console.print("No events yet.")
    for event in events:
        details = ", ".join(f"{k}={v}" for k, v in event["data"].items() if v not in (None, "", [], {}))
        console.print(f"{shown(event['at'][:19].replace('T', ' '))}  {shown(event['kind']):<22} "
                      f"{shown(event['actor']):<28} {shown(details)}")
        if "decision" in event:
            decision_basis(event["decision"])


def decision_basis(decision: dict) -> None:
    """What a decision was made on, beneath its event: the policy version, the evidence digest, every criterion."""
    console.print(f"{'':21}made on policy {shown(decision['policy_version'])}, gate {shown(decision['gate'])} "
                  f"(cycle {decision['cycle']}), evidence digest {shown(decision['evidence_digest'])}")
    for r in decision["results"]:
        console.print(f"{'':23}{mark(r)} {shown(r['level']):<6} {shown(r['id'])}  [dim]{shown(r['explanation'])}[/dim]")


def tasks(found: list[dict]) -> None:
    if not found:
        console.print("No tasks.")
    for t in found:
        due = f"[red]overdue since {shown(t['due_on'])}[/red]" if t["overdue"] else f"due {shown(t['due_on'])}"
        who = shown(t["assignee"]) if t["assignee"] else "[yellow]unassigned: for the program office[/yellow]"
        console.print(f"#{t['id']:<5} {shown(t['partnership']):<24} {shown(t['criterion']):<28} {who} · {due} · "
                      f"{shown(t['status'])}")
        console.print(f"       {shown(t['title'])}")
        console.print(f"       [dim]{shown(t['explanation'])}[/dim]")


def notifications(found: list[dict]) -> None:
    if not found:
        console.print("No notifications.")
    for n in found:
        error = f" · [red]{shown(n['last_error'])}[/red]" if n["last_error"] else ""
        console.print(f"{shown(n['id'])}  {shown(n['status']):<8} {shown(n['event']):<15} {shown(n['channel']):<8} "
                      f"{shown(n['recipient'])} · {n['attempts']} attempt(s){error}")


def what_if(result: dict) -> None:
    console.print(f"Policy {shown(result['current_version'])} → {shown(result['proposed_version'])}, as of "
                  f"{shown(result['as_of'])}: {result['evaluated']} partnerships evaluated, "
                  f"{len(result['flips'])} would flip.")
    for flip in result["flips"]:
        direction = "would pass" if flip["would_pass"] else "would be blocked"
        console.print(f"  {shown(flip['key']):<28} {shown(flip['gate'])}: {direction}")
        for reason in flip["reasons"]:
            console.print(f"      {shown(reason)}")


class _NoProgress:
    def __enter__(self):
        return lambda done, total: None

    def __exit__(self, *exc):
        return False


class _Bar:
    def __init__(self, description: str):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.task = None

    def __enter__(self):
        self.progress.__enter__()

        def listener(done: int, total: int) -> None:
            if self.task is None:
                self.task = self.progress.add_task("batches", total=total)
            self.progress.update(self.task, completed=done, total=total)

        return listener

    def __exit__(self, *exc):
        return self.progress.__exit__(*exc)


def progress_bar(*, enabled: bool, description: str):
    """A transient progress bar on a terminal; nothing when output is piped or JSON."""
    return _Bar(description) if enabled and console.is_terminal else _NoProgress()

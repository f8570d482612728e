"""Each catalog entry compiled once, on first use, into a plan the Assessor runs for every event.

Reading an entry is the same work for each of its events: split a target's paths, find which
operator a condition names, lower-case the strings it expects, split a template around its
placeholders, look up the factor functions by name. A plan does that work once and keeps closures:
a target is a tuple of path getters, a ``when`` one function of the subject, a template a format
string and the getters of its placeholders. Interpreting the entry cost twice the time of running
its plan. The interpreter in ``bot.catalog.fields`` (``holds``, ``lookup``, ``render``,
``resolves``) stays the reference reading: a plan gives the same answer on every value
(tests/assess/test_plan.py holds it to that).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.assess.base import RiskContext
from bot.assess.factors import FACTORS, GENERIC, REQUEST_ONLY, FactorFn, generic_quiet
from bot.catalog.fields import (
    CONTEXT,
    SCALAR,
    UNKNOWN,
    Subject,
    complete_targets,
    path_getter,
    same,
    scalar_text,
    show,
)
from bot.catalog.model import PLACEHOLDER, Entry, Summary
from bot.events import IamEvent

Test = Callable[[Any], bool]
Getter = Callable[[Subject], Any]

_EMPTY: tuple[Any, ...] = (None, "", [], {})  # what `present = false` means


def _operand(actual: Any) -> str | None:
    """What the text and number operators read: a string or number, lower-cased; None for anything else."""
    if type(actual) is str:  # most values: read first, then the absent ones (a union's isinstance is slow)
        return actual.lower()
    if actual is None:
        return None
    if isinstance(actual, bool) or not isinstance(actual, SCALAR):
        return None
    return str(actual).lower()


def _operator(op: str, arg: Any) -> Test:
    """One operator of a condition table (``fields._operator``), its argument read once."""
    if op == "present":
        return lambda actual: (actual not in _EMPTY) == arg
    if op == "not":
        inner = condition(arg)
        return lambda actual: not inner(actual)
    if op in ("below", "above"):
        below = op == "below"

        def compare(actual: Any) -> bool:
            text = _operand(actual)
            if text is None:
                return False
            try:
                number = float(text)
            except ValueError:
                return False
            return bool(number < arg if below else number > arg)

        return compare
    needles = tuple(str(v).lower() for v in (arg if isinstance(arg, list) else [arg]))
    if op == "prefix":
        return lambda actual: (text := _operand(actual)) is not None and text.startswith(needles)
    if op == "suffix":
        return lambda actual: (text := _operand(actual)) is not None and text.endswith(needles)
    if len(needles) == 1:  # most: one needle, no generator to run
        (needle,) = needles
        return lambda actual: (text := _operand(actual)) is not None and needle in text

    def contains(actual: Any) -> bool:  # a loop: a generator in any() costs more than the look-ups
        text = _operand(actual)
        if text is not None:
            for n in needles:
                if n in text:
                    return True
        return False

    return contains


def condition(cond: Any) -> Test:
    """``fields.holds(cond, ·)`` compiled: a table of operators, or the values it may equal."""
    if isinstance(cond, dict):
        tests = tuple(_operator(op, arg) for op, arg in cond.items())
        if len(tests) == 1:
            return tests[0]
        return lambda actual: all(t(actual) for t in tests)
    options = tuple(cond if isinstance(cond, list) else [cond])
    # a string equals a string option case-insensitively, and a bool option by its name ("true");
    # never a number (see fields.same)
    texts = frozenset(o.lower() if isinstance(o, str) else str(o).lower() for o in options if isinstance(o, str | bool))
    # a bool equals any option by their names ("true", "1", "none": see fields.same)
    names = frozenset(str(o).lower() for o in options)

    def equal(actual: Any) -> bool:
        if isinstance(actual, str):
            return actual.lower() in texts
        if actual is None:
            return False  # None equals no option: not "none", not a number
        if actual is True or actual is False:  # on_self, mostly
            return ("true" if actual else "false") in names
        return any(same(actual, o) for o in options)

    return equal


def field(name: str) -> Getter:
    """``fields.lookup(·, name)`` compiled: a record path, a context field, or a target (the model
    refuses a target named like a context field, so a name is one or the other)."""
    if "." in name:
        return path_getter(name, "event.")
    return CONTEXT.get(name) or (lambda s: s.targets.get(name))


Match = Callable[[Subject], bool]


def _always(subject: Subject) -> bool:
    return True


def when(conditions: Mapping[str, Any]) -> Match:
    """A ``when`` table as one function of the subject: all its conditions hold."""
    tests = tuple((field(name), condition(cond)) for name, cond in conditions.items())
    if not tests:
        return _always
    if len(tests) == 1:
        ((get, test),) = tests
        return lambda s: test(get(s))
    if len(tests) == 2:  # most tables with more than one: no generator to run
        (get1, test1), (get2, test2) = tests
        return lambda s: test1(get1(s)) and test2(get2(s))
    return lambda s: all(test(get(s)) for get, test in tests)


def _shown(fields: tuple[Getter, ...]) -> Callable[[Subject], list[str | None]]:
    """The placeholders' values as summary text, None where the event does not supply one: most
    templates have one or two, read without a comprehension's function (Python 3.11 makes one)."""
    if not fields:
        return lambda s: []
    if len(fields) == 1:
        (get,) = fields
        return lambda s: [show(get(s))]
    if len(fields) == 2:
        get1, get2 = fields
        return lambda s: [show(get1(s)), show(get2(s))]
    return lambda s: [show(get(s)) for get in fields]


class Template:
    """A summary template split once: a format string and the getters of its placeholders."""

    __slots__ = ("fields", "format", "shown", "text")

    def __init__(self, text: str):
        pieces = PLACEHOLDER.split(text)  # text, name, text, name, …, text
        self.text = text
        self.fields = tuple(field(name) for name in pieces[1::2])
        self.format = "{}".join(p.replace("{", "{{").replace("}", "}}") for p in pieces[0::2])
        self.shown = _shown(self.fields)

    def fill(self, shown: list[str | None]) -> str:
        if not shown:
            return self.text  # no placeholders: the text as written
        if all(shown):  # most: every value given (show never gives "" but for a list of "")
            return self.format.format(*shown)
        return self.format.format(*[v or UNKNOWN for v in shown])


class Case:
    __slots__ = ("attempt", "summary", "text", "when")

    def __init__(self, summary: Summary):
        self.summary = summary
        self.when = when(summary.when)
        self.text = Template(summary.text)
        self.attempt = Template(summary.attempt)


class OfferPlan:
    __slots__ = ("id", "params", "when")

    def __init__(self, offer_id: str, params: Mapping[str, str], conditions: Mapping[str, Any]):
        self.id = offer_id
        self.params = tuple((name, field(source)) for name, source in params.items())
        self.when = when(conditions)

    def params_of(self, subject: Subject) -> dict[str, str] | None:
        """The offer's parameters from the event; None when it does not supply one of them."""
        found = {}
        for name, get in self.params:
            value = show(get(subject))
            if value is None:
                return None
            found[name] = value
        return found


_GENERIC_FNS = tuple(FACTORS[n] for n in GENERIC)


class Plan:
    """One entry, compiled: its targets' paths, its cases, its factor functions (the generic ones
    first), its offers; :meth:`factors_for` picks the factor functions that can fire on an event."""

    __slots__ = ("bare", "cases", "entry", "factors", "offers", "own", "targets")

    def __init__(self, entry: Entry):
        self.entry = entry
        self.targets = tuple(
            (name, tuple(path_getter(p) for p in ([paths] if isinstance(paths, str) else paths)))
            for name, paths in entry.targets.items()
        )
        self.cases = tuple(Case(c) for c in entry.summary)
        self.own = tuple(FACTORS[n] for n in entry.factors)
        self.bare = tuple(FACTORS[n] for n in entry.factors if n not in REQUEST_ONLY)  # with no request
        self.factors: tuple[FactorFn, ...] = _GENERIC_FNS + self.own
        self.offers = tuple(OfferPlan(o.id, o.params, o.when) for o in entry.remediations)

    def factors_for(self, event: IamEvent, context: RiskContext) -> tuple[FactorFn, ...]:
        """The factor functions that can fire on ``event``: the generic ones unless
        ``generic_quiet`` rules them all out, the REQUEST_ONLY ones only when the call has request
        parameters (tests/assess/test_plan_runs.py holds both to running every factor)."""
        generic = () if generic_quiet(event, context) else _GENERIC_FNS
        return generic + (self.own if event.request else self.bare)

    def resolve(self, event: IamEvent) -> dict[str, str]:
        """``fields.resolve_targets`` with the paths compiled."""
        targets: dict[str, str] = {}
        for name, getters in self.targets:
            for get in getters:
                value = get(event)
                if type(value) is str:  # most values: scalar_text's first case, inline
                    if not value:
                        continue
                elif (value := scalar_text(value)) is None:
                    continue
                targets[name] = value[:2048]
                break
        return complete_targets(self.entry, event, targets)

    def describe(self, subject: Subject) -> tuple[Summary, str]:
        """The first case whose conditions match and whose fields the event supplies; failing that,
        the first match (a denied call often has null parameters: a vaguer case reads better). With
        it, the one-line summary."""
        event = subject.event
        failed = event.error_code is not None  # event.failed, without the property's call
        first = None
        for case in self.cases:
            if case.when(subject):
                template = case.attempt if failed else case.text
                shown = template.shown(subject)
                if None not in shown:
                    break
                first = first or case
        else:
            case = first or self.cases[-1]  # the loader requires a last case without conditions
            template = case.attempt if failed else case.text
            shown = template.shown(subject)
        text = template.fill(shown)
        return case.summary, f"{text} ({event.error_code})" if failed else text


_PLANS: dict[int, Plan] = {}
MAX_PLANS = 8192  # generic entries are made per event name: a bound on what they can fill


def plan_of(entry: Entry) -> Plan:
    """The entry's plan, compiled on first use. Keyed by the entry's id: the plan keeps its entry
    alive, so the id is not reused while the plan is cached."""
    plan = _PLANS.get(id(entry))
    if plan is None or plan.entry is not entry:
        if len(_PLANS) >= MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[id(entry)] = Plan(entry)
    return plan

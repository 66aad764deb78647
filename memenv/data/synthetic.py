"""Seeded synthetic dialogues in the LoCoMo schema: the embedded default dataset.

:func:`generate_locomo_item` writes one conversation exactly as an item of the official LoCoMo
file (``conversation``, ``qa``, ``observation``, ``session_summary``, ``event_summary``), plus
``ideal_operations``: for every observation fact the operation an ideal Memory Manager makes (ADD,
UPDATE, DELETE or NOOP) and, for UPDATE/DELETE, the dia_id of the fact that created the memory to
change. :func:`generate_conversations` parses such items into :class:`Conversation` records.

Two speakers talk over dated sessions. Each has attributes (city, job, employer, pet, partner,
hobbies, favourite food, sibling, sibling's city, car, instrument, language) that are introduced,
changed, dropped and restated, between chit-chat turns that carry no fact. An ideal bank per speaker
is simulated alongside, so operations, targets and gold answers always agree with the dialogue.
Questions use the LoCoMo release's categories: 1 multi-hop, 2 temporal, 3 open-domain,
4 single-hop, 5 adversarial.

Difficulty knobs (see :func:`generate_locomo_item`): churn (``update_rate``, ``delete_rate``,
``restate_rate``, ``saturation``) and length (``n_sessions``); language variety (``phrasing``,
:mod:`memenv.data.synthetic_phrasing`); distractor facts and false changes (``distractor_facts``,
``false_change_rate``, :mod:`memenv.data.synthetic_distractors`), observation facts whose ideal
operation is NOOP because no question ever needs them.

Randomness: the events (who says what, when, which value) come from one stream seeded by the
seed; the varied wording and the distractors come from two further streams derived from the same
seed. So for one seed, ``phrasing="varied"`` tells the same events in other words, and adding
distractors inserts facts without changing the others (only turn numbers shift; the questions
can differ where a varied update no longer names the old value). With the default knobs the
output is exactly that of the generator before these knobs existed, except in conversations long
enough to use up a value pool (about 30 sessions and more), which now draw from a reserve pool
where they used to repeat a value.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import inspect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from memenv.data import synthetic_distractors as D
from memenv.data import synthetic_vocab as V
from memenv.data.records import Conversation
from memenv.data.synthetic_phrasing import VARIED, Pair

TIMED_RATE = 0.45
"""Share of ADD/UPDATE/DELETE turns (of kinds that have events) that say when it happened."""
MAX_HOBBIES = 3
SHARED_HOBBY_RATE = 0.35
"""Chance that a new hobby is one the other speaker has (so "both enjoy" questions exist)."""
QUESTION_CAPS: dict[str, int] = {
    "single": 10,
    "still": 3,
    "multi": 6,
    "temporal": 8,
    "open": 5,
    "adversarial": 4,
}
"""Most questions of each kind per conversation (kinds map onto LoCoMo categories below)."""
_CATEGORY = {"multi": 1, "temporal": 2, "open": 3, "single": 4, "still": 4, "adversarial": 5}
PHRASINGS = ("templated", "varied")
SATURATIONS = ("restate", "churn")
VARIED_FALSE_CHANGE_RATE = 0.1
"""``false_change_rate`` when it is left at None and ``phrasing="varied"``."""
MAX_EXTRA_SHARE = 0.75
"""Most that ``distractor_facts + false_change_rate`` may be."""
_EXTRA_KINDS = ("dup", "other", "oneoff")
"""Distractor facts: near-duplicate, someone else's fact, one-off event (equally likely)."""
_POOLS: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    "city": (V.CITIES, V.CITIES_MORE),
    "sibling_city": (V.CITIES, V.CITIES_MORE),
    "job": (V.JOBS, V.JOBS_MORE),
    "employer": (V.EMPLOYERS, V.EMPLOYERS_MORE),
    "pet": (V.PET_NAMES, V.PET_NAMES_MORE),
    "partner": (V.PARTNERS, V.PARTNERS_MORE),
    "hobby": (V.HOBBIES, V.HOBBIES_MORE),
    "food": (V.FOODS, V.FOODS_MORE),
    "car": (V.CARS, V.CARS_MORE),
    "instrument": (V.INSTRUMENTS, V.INSTRUMENTS_MORE),
    "language": (V.LANGUAGES, V.LANGUAGES_MORE),
}
"""Value pools per kind: the main pool, then the reserve drawn from once the main one is used
up (tuples whose first item is the value, or plain strings)."""

Fields = dict[str, str]
T = TypeVar("T")


@dataclass
class _Memory:
    """A memory of the simulated ideal bank."""

    kind: str
    fields: Fields
    first_id: str
    set_id: str
    """dia_id of the turn that set the current value."""
    session: int
    """Session of the latest change (changes wait for a later session)."""
    date: str | None = None
    """Resolved date of the event that set the current value, when the turn said it."""
    prev: tuple[Fields, str] | None = None
    """The value before the latest update and the turn that had set it."""
    prev_said: bool = True
    """Whether the fact of the latest update names the value before it (else no question asks
    for that value: the ideal memory no longer holds it)."""


@dataclass
class _Person:
    name: str
    pos: str
    kinds: tuple[str, ...]
    bank: dict[str, _Memory] = field(default_factory=dict)
    """Slot -> memory; the slot is the kind, or ``hobby:<name>`` for hobbies."""
    first_mention: dict[str, tuple[Fields, str]] = field(default_factory=dict)
    deleted: list[tuple[str, Fields, str]] = field(default_factory=list)
    used: dict[str, set[str]] = field(default_factory=dict)
    """Values ever held per kind: new values (updates, re-adds after deletes) avoid them."""
    times: dict[tuple[str, str], int] = field(default_factory=dict)
    """(kind, identity) -> how often that value became current. Above 1 only once a pool ran
    dry; questions that name such a value ("before moving to X") are then ambiguous and skipped."""

    def hobbies(self) -> list[_Memory]:
        return [m for m in self.bank.values() if m.kind == "hobby"]


@dataclass(frozen=True)
class _When:
    phrase: str
    """As the speaker says it: "yesterday", "last month"."""
    answer: str
    """Resolved against the session date: "7 May 2023", "April 2023"."""
    prep: str


def _identity(fields: Fields) -> str:
    """What a new value must differ from: the partner's name, else the value itself."""
    return fields.get("name", fields["v"])


def _date_text(d: dt.date) -> str:
    return f"{d.day} {V.MONTHS[d.month - 1]} {d.year}"


def _date_time_text(d: dt.date, hour: int, minute: int) -> str:
    """LoCoMo's session format: "1:56 pm on 8 May, 2023"."""
    h12, half = hour % 12 or 12, "am" if hour < 12 else "pm"
    return f"{h12}:{minute:02d} {half} on {d.day} {V.MONTHS[d.month - 1]}, {d.year}"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _key(item: Any) -> str:
    return item[0] if isinstance(item, tuple) else item


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class _Generator:
    """One conversation. The events draw from ``self.rng`` only; the varied wording from
    ``self.trng`` and the distractors from ``self.drng`` (see the module docstring)."""

    def __init__(self, seed: int, knobs: dict[str, Any], start: dt.date):
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.k = knobs
        self.varied = knobs["phrasing"] == "varied"
        self.start = start
        a, b = self.rng.choice(len(V.SPEAKERS), size=2, replace=False)
        kinds = list(V.KINDS)
        perm = [kinds[i] for i in self.rng.permutation(len(kinds))]
        # Each speaker talks about 9 of the 12 kinds, 3 of them never mentioned by the other: those
        # are the material of the adversarial questions.
        b_kinds = perm[9:] + [perm[i] for i in sorted(self.rng.choice(9, size=6, replace=False))]
        self.people = (
            _Person(*V.SPEAKERS[a], kinds=tuple(perm[:9])),
            _Person(*V.SPEAKERS[b], kinds=tuple(b_kinds)),
        )

    @functools.cached_property
    def trng(self) -> np.random.Generator:
        """The varied wording's stream (made on first use: default items never need it)."""
        return np.random.default_rng([self.seed, 1])

    @functools.cached_property
    def drng(self) -> np.random.Generator:
        """The distractors' stream (made on first use)."""
        return np.random.default_rng([self.seed, 2])

    # -- small helpers ------------------------------------------------------------------------

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.rng.integers(len(seq)))]

    @staticmethod
    def pick_from(rng: np.random.Generator, seq: Sequence[T]) -> T:
        return seq[int(rng.integers(len(seq)))]

    def fresh(
        self,
        pool: Sequence[T],
        used: set[str],
        never: set[str],
        key=lambda x: x,
        more: Sequence[T] = (),
    ) -> T:
        """A random pool item whose key is neither used nor in ``never``; once the pool is used
        up, one from the reserve ``more``; once both are, any item outside ``never`` (the
        current values, which a new value must differ from)."""
        options = [x for x in pool if key(x) not in used and key(x) not in never]
        if not options and more:
            options = [x for x in more if key(x) not in used and key(x) not in never]
        return self.pick(options or [x for x in (*pool, *more) if key(x) not in never])

    def fmt(self, template: str, p: _Person, fields: Fields, **extra: str) -> str:
        other = self.people[1] if p is self.people[0] else self.people[0]
        sub, obj = ("she", "her") if p.pos == "her" else ("he", "him")
        ctx = {"n": p.name, "pos": p.pos, "sub": sub, "obj": obj, "other": other.name}
        return _cap(template.format_map({**ctx, **fields, **extra}))

    def say(
        self,
        turns: Sequence[str],
        facts: Sequence[str],
        varied: Sequence[Pair],
        p: _Person,
        fields: Fields,
        **extra: str,
    ) -> tuple[str, str, str]:
        """(turn text, fact text, fact template) of one event. The templated picks always draw
        from the event stream, so the events do not depend on ``phrasing``."""
        turn, fact = self.pick(turns), self.pick(facts)
        if self.varied and varied:
            j = int(self.trng.integers(len(varied) + 1))
            if j < len(varied):
                turn, fact = varied[j]
        return self.fmt(turn, p, fields, **extra), self.fmt(fact, p, fields, **extra), fact

    # -- values -------------------------------------------------------------------------------

    def draw(self, kind: str, p: _Person, old: Fields | None = None) -> Fields:
        """A new value of ``kind`` for ``p`` (different from ``old`` and from past values)."""
        used = p.used.setdefault(kind, set())
        never = {_identity(old)} if old else set()
        pool, more = _POOLS.get(kind, ((), ()))
        if kind == "city" or kind == "sibling_city":
            city, country = self.fresh(pool, used, never, key=_key, more=more)
            fields = {"v": city, "country": country}
            if kind == "sibling_city":
                sib = p.bank["sibling"].fields
                fields.update(sib=sib["v"], kin=sib["kin"])
            return fields
        if kind == "job":
            job, trade = self.fresh(pool, used, never, key=_key, more=more)
            return {"v": job, "a": _article(job), "field": trade}
        if kind == "pet":
            species = self.pick(list(V.SPECIES))
            return {
                "v": self.fresh(pool, used, never, more=more),
                "sp": species,
                "open_q": V.SPECIES[species],
            }
        if kind == "partner":
            step = 0
            name = self.fresh(pool, used, never, more=more)
            if old is not None:  # an update moves the relationship one step on
                step = [s[0] for s in V.PARTNER_STATUSES].index(old["status"]) + 1
                name = old["name"]
            status, event, event_inf = V.PARTNER_STATUSES[step]
            return {
                "v": f"{status} {name}",
                "name": name,
                "status": status,
                "event": event,
                "event_inf": event_inf,
            }
        if kind == "hobby":
            other = self.people[1] if p is self.people[0] else self.people[0]
            mine = {m.fields["v"] for m in p.hobbies()}
            shared = [m.fields["v"] for m in other.hobbies() if m.fields["v"] not in used | mine]
            if shared and self.rng.random() < SHARED_HOBBY_RATE:
                noun = self.pick(shared)
                entry = next(h for h in (*V.HOBBIES, *V.HOBBIES_MORE) if h[0] == noun)
            else:
                entry = self.fresh(pool, used, mine, key=_key, more=more)
            return {"v": entry[0], "act": entry[1], "open_q": entry[2]}
        if kind == "sibling":
            kin = self.pick(("sister", "brother"))
            return {"v": self.pick(V.SISTERS if kin == "sister" else V.BROTHERS), "kin": kin}
        if kind == "language":
            lang, country = self.fresh(pool, used, never, key=_key, more=more)
            return {"v": lang, "country": country}
        return {"v": self.fresh(pool, used, never, more=more)}

    def became_current(self, p: _Person, kind: str, fields: Fields) -> None:
        p.used.setdefault(kind, set()).add(_identity(fields))
        slot = (kind, _identity(fields))
        p.times[slot] = p.times.get(slot, 0) + 1

    # -- time ---------------------------------------------------------------------------------

    def when(self, kind: str, date: dt.date, gap: int | None, first: bool) -> _When | None:
        """A relative time phrase for an event, or None (untimed). Changes and re-adds only get
        phrases that fall after the previous session; a first mention may reach back a year."""
        if not V.KINDS[kind].timeable or self.rng.random() >= TIMED_RATE:
            return None
        back = int(self.rng.integers(2, 8))
        days = [("today", 0), ("this morning", 0), ("yesterday", 1), ("two days ago", 2)]
        days += [("three days ago", 3), (f"last {V.WEEKDAYS[(date.weekday() - back) % 7]}", back)]
        options = [
            _When(phrase, _date_text(date - dt.timedelta(days=off)), "on")
            for phrase, off in days
            if first or gap is None or off < gap
        ]
        if first or (gap is not None and gap > 13):
            options.append(_When("last week", f"the week before {_date_text(date)}", "in"))
        if first:
            last_month = date.replace(day=1) - dt.timedelta(days=1)
            month = f"{V.MONTHS[last_month.month - 1]} {last_month.year}"
            options += [
                _When("last month", month, "in"),
                _When("last year", str(date.year - 1), "in"),
            ]
        return self.pick(options) if options else None

    # -- one fact ------------------------------------------------------------------------------

    def fact(
        self, p: _Person, session: int, date: dt.date, gap: int | None, dia: str
    ) -> tuple[str, str, str, str | None]:
        """Plan the next fact of ``p`` at turn ``dia``: (turn text, fact text, op, target)."""
        older = [m for m in p.bank.values() if m.session < session]
        updatable = [m for m in older if self.can_update(m)]
        deletable = [m for m in older if V.KINDS[m.kind].deletable]
        addable = self.addable(p)
        u = self.rng.random()
        pu, pd, pn = self.k["update_rate"], self.k["delete_rate"], self.k["restate_rate"]
        if not addable and self.k["saturation"] == "churn" and pu + pd + pn > 0:
            # Nothing left to add: the add share goes to the other operations in proportion.
            u = float(self.rng.random()) * (pu + pd + pn)
        if u < pu and updatable:
            return self.update(p, self.pick(updatable), session, date, gap, dia)
        if pu <= u < pu + pd and deletable:
            return self.delete(p, self.pick(deletable), date, gap, dia)
        if pu + pd <= u < pu + pd + pn and older or not addable:
            # With nothing left to add, restate (from this very session if need be).
            return self.restate(p, self.pick(older or list(p.bank.values())))
        return self.add(p, self.pick(addable), session, date, gap, dia)

    def restate(self, p: _Person, m: _Memory) -> tuple[str, str, str, None]:
        t = V.KINDS[m.kind]
        turn, fact, _ = self.say(t.restate, t.now, VARIED[m.kind].restate, p, m.fields)
        return turn, fact, "NOOP", None

    def can_update(self, m: _Memory) -> bool:
        if m.kind == "partner":
            return m.fields["status"] != V.PARTNER_STATUSES[-1][0]
        return V.KINDS[m.kind].updatable

    def addable(self, p: _Person) -> list[str]:
        out = []
        for kind in p.kinds:
            if kind == "hobby":
                if len(p.hobbies()) < MAX_HOBBIES:
                    out.append(kind)
            elif kind not in p.bank and (kind != "sibling_city" or "sibling" in p.bank):
                out.append(kind)
        return out

    def add(self, p: _Person, kind: str, session: int, date: dt.date, gap: int | None, dia: str):
        fields = self.draw(kind, p)
        t, vt = V.KINDS[kind], VARIED[kind]
        when = self.when(kind, date, gap, first=kind not in p.first_mention)
        slot = f"hobby:{fields['v']}" if kind == "hobby" else kind
        p.bank[slot] = _Memory(kind, fields, dia, dia, session, when.answer if when else None)
        p.first_mention.setdefault(kind, (fields, dia))
        self.became_current(p, kind, fields)
        turns, facts, varied = (
            (t.add_t, t.fact_add_t, vt.add_t) if when else (t.add, t.fact_add, vt.add)
        )
        turn, fact, _ = self.say(turns, facts, varied, p, fields, **self.when_fields(when))
        return turn, fact, "ADD", None

    def update(
        self, p: _Person, m: _Memory, session: int, date: dt.date, gap: int | None, dia: str
    ):
        old, t, vt = m.fields, V.KINDS[m.kind], VARIED[m.kind]
        new = self.draw(m.kind, p, old)
        when = self.when(m.kind, date, gap, first=False)
        m.prev, m.fields, m.set_id, m.session = (old, m.set_id), new, dia, session
        m.date = when.answer if when else None
        if _identity(new) != _identity(old):
            self.became_current(p, m.kind, new)
        turns, facts, varied = (
            (t.upd_t, t.fact_upd_t, vt.upd_t) if when else (t.upd, t.fact_upd, vt.upd)
        )
        extra = {f"old_{k}": v for k, v in old.items()} | self.when_fields(when)
        turn, fact, template = self.say(turns, facts, varied, p, new, **extra)
        m.prev_said = "{old_v}" in template
        return turn, fact, "UPDATE", m.first_id

    def delete(self, p: _Person, m: _Memory, date: dt.date, gap: int | None, dia: str):
        t, vt = V.KINDS[m.kind], VARIED[m.kind]
        when = self.when(m.kind, date, gap, first=False)
        del p.bank[next(s for s, x in p.bank.items() if x is m)]
        p.deleted.append((m.kind, m.fields, dia))
        turns, facts, varied = (
            (t.dele_t, t.fact_dele_t, vt.dele_t) if when else (t.dele, t.fact_dele, vt.dele)
        )
        turn, fact, _ = self.say(turns, facts, varied, p, m.fields, **self.when_fields(when))
        return turn, fact, "DELETE", m.first_id

    @staticmethod
    def when_fields(when: _When | None) -> dict[str, str]:
        if when is None:
            return {}
        return {"rel": when.phrase, "since": when.answer, "when": f"{when.prep} {when.answer}"}

    # -- distractor facts and false changes ----------------------------------------------------

    def extras(self, counts: list[int]) -> list[list[str]]:
        """Per speaker, the distractor facts and false changes of a session ("dup", "other",
        "oneoff" or "false"), in the order they will be said; none with the default knobs."""
        d, f = self.k["distractor_facts"], self.k["false_change_rate"]
        if d + f == 0:
            return [[], []]
        out = []
        for real in counts:
            expected = real * (d + f) / (1 - d - f)
            n = int(expected) + int(self.drng.random() < expected - int(expected))
            kinds = []
            for _ in range(n):
                if self.drng.random() < f / (d + f):
                    kinds.append("false")
                else:
                    kinds.append(_EXTRA_KINDS[int(self.drng.integers(len(_EXTRA_KINDS)))])
            out.append(kinds)
        return out

    def merge(
        self, plan: list[tuple[int, bool]], extras: list[list[str]]
    ) -> list[tuple[int, int | None, str | None]]:
        """The session's turns as (speaker, index in ``plan`` or None, extra kind or None):
        ``plan`` in order, with each extra fact inserted after a random turn of it (not before
        the greeting, and not after the farewell when there is one)."""
        slots = [(who, i, None) for i, (who, _) in enumerate(plan)]
        last = len(plan) - 1 if len(plan) > 2 else len(plan)
        inserted = [
            (int(self.drng.integers(1, last + 1)), n, who, kind)
            for who, kinds in enumerate(extras)
            for n, kind in enumerate(kinds)
        ]
        for after, _, who, kind in sorted(inserted, key=lambda x: (-x[0], -x[1])):
            slots.insert(after, (who, None, kind))
        return slots

    def other_value(self, kind: str, p: _Person, avoid: str | None = None) -> dict[str, str]:
        """``{x}`` (and ``{xa}``, ``{xsp}``): a value of ``kind`` that ``p`` does not hold now
        and that is not ``avoid``."""
        pool, more = _POOLS[kind]
        current = {_identity(m.fields) for m in p.bank.values() if m.kind == kind} | {avoid}
        options = [x for x in (*pool, *more) if _key(x) not in current]
        value = _key(self.pick_from(self.drng, options))
        out = {"x": value, "xa": _article(value)}
        if kind == "pet":
            out["xsp"] = self.pick_from(self.drng, list(V.SPECIES))
        return out

    def holding(self, p: _Person, kind: str) -> _Memory | None:
        held = [m for m in p.bank.values() if m.kind == kind]
        return self.pick_from(self.drng, held) if held else None

    def extra_fact(self, p: _Person, kind: str, date: dt.date) -> tuple[str, str]:
        """(turn, fact) of one distractor fact or false change of ``p`` (ideal op NOOP)."""
        rng = self.drng
        people = {
            "whom": self.pick_from(rng, D.RELATIONS),
            "who": self.pick_from(rng, D.OTHER_NAMES),
        }
        if kind == "dup" and p.bank:
            m = self.pick_from(rng, list(p.bank.values()))
            turn, fact = self.pick_from(rng, VARIED[m.kind].restate)
            return self.fmt(turn, p, m.fields), self.fmt(fact, p, m.fields)
        if kind == "false":
            held_kinds = {m.kind for m in p.bank.values()}
            options = [t for t in D.FALSE_CHANGES if t.needs is None or t.needs in held_kinds]
        else:
            options = list(D.OTHERS if kind == "other" else D.ONE_OFF)
        text = self.pick_from(rng, options)
        fields: dict[str, str] = dict(people)
        if text.needs is not None:
            held = self.holding(p, text.needs)
            assert held is not None
            fields.update(held.fields)
        if text.kind is not None:
            fields.update(self.other_value(text.kind, p, avoid=fields.get("v")))
        elif text.pool:
            fields["x"] = self.pick_from(rng, text.pool)
            fields["xa"] = _article(fields["x"])
        if text.timed:
            phrase, off = self.pick_from(
                rng, (("today", 0), ("yesterday", 1), ("two days ago", 2), ("three days ago", 3))
            )
            day = _date_text(date - dt.timedelta(days=off))
            fields.update(rel=phrase, since=day, when=f"on {day}")
        turn, fact = self.pick_from(rng, text.pairs)
        return self.fmt(turn, p, fields), self.fmt(fact, p, fields)

    # -- sessions -----------------------------------------------------------------------------

    def layout(self, fa: int, fb: int, nd: int) -> list[tuple[int, bool]]:
        """(speaker index, carries a fact) per turn. Speakers alternate when the counts allow;
        facts avoid the first two and the last turn so greetings and farewells can go there."""
        total = fa + fb + nd
        first = int(self.rng.integers(2))
        for start in (first, 1 - first):
            who = [(start + i) % 2 for i in range(total)]
            need = (fa, fb)
            slots = [[i for i in range(total) if who[i] == s] for s in (0, 1)]
            if all(len(slots[s]) >= need[s] for s in (0, 1)):
                facts: set[int] = set()
                for s in (0, 1):
                    inner = [i for i in slots[s] if 2 <= i < total - 1]
                    pool = inner if len(inner) >= need[s] else slots[s]
                    facts.update(int(i) for i in self.rng.choice(pool, size=need[s], replace=False))
                return [(who[i], i in facts) for i in range(total)]
        # Too few distractors to alternate: facts in random order, distractors answer the last one.
        order = [0] * fa + [1] * fb
        order = [order[i] for i in self.rng.permutation(len(order))]
        out: list[tuple[int, bool]] = [(s, True) for s in order]
        for _ in range(nd):
            i = int(self.rng.integers(len(out) + 1))
            speaker = 1 - out[i - 1][0] if i else int(self.rng.integers(2))
            out.insert(i, (speaker, False))
        return out

    def distractor(self, i: int, total: int, prev_distractor: bool) -> str:
        if i == 0:
            return self.pick(V.GREETINGS)
        if i == 1 and prev_distractor:
            return self.pick(V.GREETING_REPLIES)
        if i == total - 1 and total > 2:
            return self.pick(V.FAREWELLS)
        return self.pick(V.CHITCHAT)

    def run(self, sample_id: str) -> dict[str, Any]:
        a, b = self.people
        conv: dict[str, Any] = {"speaker_a": a.name, "speaker_b": b.name}
        observation: dict[str, Any] = {}
        ideal: dict[str, Any] = {}
        summaries: dict[str, str] = {}
        events: dict[str, Any] = {}
        date, gap = self.start, None
        fps, rate = self.k["facts_per_session"], self.k["distractor_rate"]
        for s in range(1, self.k["n_sessions"] + 1):
            if s > 1:
                gap = int(self.rng.integers(4, 36))
                date = date + dt.timedelta(days=gap)
            hour, minute = int(self.rng.integers(8, 23)), int(self.rng.integers(60))
            counts = [int(self.rng.integers((fps + 1) // 2, fps + 1)) for _ in range(2)]
            nd = round(sum(counts) * rate / (1 - rate))
            plan = self.layout(counts[0], counts[1], nd)
            turns, obs, ops = [], {a.name: [], b.name: []}, {a.name: [], b.name: []}
            said: dict[str, list[str]] = {a.name: [], b.name: []}
            fact_texts: list[str] = []
            for n, (who, i, extra) in enumerate(self.merge(plan, self.extras(counts))):
                p, dia = self.people[who], f"D{s}:{n + 1}"
                if extra is not None:
                    text, fact = self.extra_fact(p, extra, date)
                    op, target = "NOOP", None
                elif plan[i][1]:
                    text, fact, op, target = self.fact(p, s, date, gap, dia)
                else:
                    prev = i > 0 and not plan[i - 1][1]
                    text = self.fmt(self.distractor(i, len(plan), prev), p, {})
                    fact = None
                if fact is not None:
                    obs[p.name].append([fact, dia])
                    ops[p.name].append([op, target])
                    fact_texts.append(fact)
                    if op != "NOOP":
                        said[p.name].append(fact)
                turns.append({"speaker": p.name, "dia_id": dia, "text": text})
            conv[f"session_{s}_date_time"] = _date_time_text(date, hour, minute)
            conv[f"session_{s}"] = turns
            observation[f"session_{s}_observation"] = obs
            ideal[f"session_{s}_observation"] = ops
            intro = f"{a.name} and {b.name} talked on {_date_text(date)}."
            summaries[f"session_{s}_summary"] = " ".join([intro, *fact_texts])
            day = f"{date.day} {V.MONTHS[date.month - 1]}, {date.year}"
            events[f"events_session_{s}"] = {**said, "date": day}
        return {
            "sample_id": sample_id,
            "conversation": conv,
            "qa": self.questions(),
            "observation": observation,
            "session_summary": summaries,
            "event_summary": events,
            "ideal_operations": ideal,
        }

    # -- questions ----------------------------------------------------------------------------

    def questions(self) -> list[dict[str, Any]]:
        buckets: dict[str, list[dict[str, Any]]] = {k: [] for k in QUESTION_CAPS}

        def ask(bucket: str, question: str, answer: str, evidence: list[str], **extra: str):
            buckets[bucket].append(
                {"question": question, "answer": answer, "evidence": evidence, **extra}
            )

        a, b = self.people
        for p in self.people:
            other = b if p is a else a
            for m in p.bank.values():
                t, f = V.KINDS[m.kind], m.fields
                # A value held more than once (a pool ran dry) makes "before X" / "when X" vague.
                once = p.times.get((m.kind, _identity(f)), 1) == 1
                if m.kind == "sibling_city":
                    sib = p.bank["sibling"].set_id
                    ask("multi", self.fmt(self.pick(t.q_now), p, f), f["v"], [sib, m.set_id])
                elif m.kind != "hobby":
                    ask("single", self.fmt(self.pick(t.q_now), p, f), f["v"], [m.set_id])
                if m.prev is not None and t.q_prev and m.prev_said and once:
                    old, old_id = m.prev
                    q = self.fmt(self.pick(t.q_prev), p, f)
                    ask("multi", q, old["v"], [old_id, m.set_id])
                if m.date is not None and t.q_when and once:
                    ask("temporal", self.fmt(self.pick(t.q_when), p, f), m.date, [m.set_id])
                open_q = f.get("open_q") or t.open_q
                if open_q:
                    ask("open", self.fmt(open_q, p, f), t.open_a.format_map(f), [m.set_id])
            hobbies = p.hobbies()
            if len(hobbies) == 1:
                h = hobbies[0]
                q = self.fmt(V.KINDS["hobby"].q_now[0], p, h.fields)
                ask("single", q, h.fields["v"], [h.set_id])
            elif hobbies:
                q = self.fmt(self.pick(V.HOBBY_LIST_QUESTIONS), p, {})
                answer = ", ".join(h.fields["v"] for h in hobbies)
                ask("multi", q, answer, [h.set_id for h in hobbies])
            latest = {(kind, _identity(f)): dia for kind, f, dia in p.deleted}
            for kind, f, dia in p.deleted:
                gone = _identity(f)
                if latest[(kind, gone)] != dia:  # deleted again later (a pool ran dry)
                    continue
                if not any(m.kind == kind and _identity(m.fields) == gone for m in p.bank.values()):
                    ask("still", self.fmt(self.pick(V.KINDS[kind].q_still), p, f), "No", [dia])
            for kind, (f, dia) in p.first_mention.items():
                if kind not in other.first_mention:
                    q = self.fmt(self.pick(V.KINDS[kind].q_now), other, f)
                    ask("adversarial", q, V.NOT_MENTIONED, [dia], adversarial_answer=f["v"])
        mine = {m.fields["v"]: m.set_id for m in a.hobbies()}
        shared = [m for m in b.hobbies() if m.fields["v"] in mine]
        if shared:
            q = V.SHARED_HOBBY_QUESTIONS[len(shared) > 1].format(a=a.name, b=b.name)
            answer = ", ".join(m.fields["v"] for m in shared)
            ask("multi", q, answer, [i for m in shared for i in (mine[m.fields["v"]], m.set_id)])
        chosen = []
        for bucket, items in buckets.items():
            keep = self.rng.permutation(len(items))[: QUESTION_CAPS[bucket]]
            for i in sorted(int(j) for j in keep):
                chosen.append({**items[i], "category": _CATEGORY[bucket]})
        return sorted(chosen, key=lambda q: _turn_order(q["evidence"][0]))


def _turn_order(dia: str) -> tuple[int, int]:
    s, t = dia[1:].split(":")
    return int(s), int(t)


# -- public API --------------------------------------------------------------------------------


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or not lo <= value <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value!r}")


def _check_rate(name: str, value: Any, lo: float, hi: float) -> None:
    ok = isinstance(value, int | float | np.floating) and not isinstance(value, bool)
    if not ok or not lo <= value <= hi:
        raise ValueError(f"{name} must be a number in [{lo}, {hi}], got {value!r}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def generate_locomo_item(
    seed: int,
    *,
    conversation_id: str | None = None,
    n_sessions: int = 8,
    facts_per_session: int = 4,
    update_rate: float = 0.3,
    delete_rate: float = 0.1,
    distractor_rate: float = 0.5,
    restate_rate: float = 0.1,
    start_date: str = "2023-01-05",
    saturation: str = "restate",
    phrasing: str = "templated",
    distractor_facts: float = 0.0,
    false_change_rate: float | None = None,
) -> dict[str, Any]:
    """One synthetic conversation as a LoCoMo item plus ``ideal_operations``; same seed, same dict
    (in any process: nothing depends on Python's hash seed).

    Length and churn:

    - ``n_sessions``: dated sessions, 4 to 35 days apart, the first on ``start_date`` (ISO date).
      Up to 200; value pools have reserves (drawn from only once the main pool is used up), so
      32 sessions do not repeat values; should a value come back anyway, the questions that
      would be ambiguous ("before moving to X") are not asked.
    - ``facts_per_session``: the most facts one speaker states in a session; each speaker states
      between ``ceil(facts_per_session / 2)`` and ``facts_per_session`` per session (not
      counting distractor facts and false changes).
    - ``update_rate`` / ``delete_rate`` / ``restate_rate``: chance that a fact changes, drops or
      restates a memory from an earlier session (when there is one); otherwise it adds one.
    - ``saturation``: what a fact does once the speaker has nothing left to add (every kind
      held; happens after about 4 sessions). ``"restate"`` (default): it restates a memory when
      the add share comes up, so long conversations drift towards restatements (about half of
      the facts after session 8). ``"churn"``: the add share is split over update, delete and
      restate in proportion to their rates, so long conversations keep changing and deleted
      attributes come back (re-added) later.
    - ``distractor_rate``: share of turns that are chit-chat without any fact.

    Language and distractors:

    - ``phrasing``: ``"templated"`` (default: one small template set per event) or ``"varied"``:
      several ways of saying each event, in the turn and in the observation fact alike, indirect
      ones included (:mod:`memenv.data.synthetic_phrasing`). For one seed, the varied item tells
      the same events as the templated one.
    - ``distractor_facts``: share of the observation facts that are distractors (0 to 0.75):
      near-duplicates (a current memory restated in other words), facts about other people and
      one-off events nobody asks about (:mod:`memenv.data.synthetic_distractors`).
    - ``false_change_rate``: share of the observation facts that look like a change and are not
      one (plans, wishes, near misses, someone else's change: "Maya is thinking about moving to
      Berlin some day", "Maya's cousin moved to Berlin"). None (default): 0 with templated
      phrasing, 0.1 with varied phrasing. ``distractor_facts + false_change_rate`` is at most
      0.75; both kinds of fact are said in turns of their own, added to the session.

    Ideal operations: ADD for a new attribute value, UPDATE (target: the dia_id of the fact
    that created the memory) for a changed one, DELETE for a dropped one, and NOOP for a fact
    that no question needs stored: restatements, distractor facts and false changes. Replaying
    them on an empty bank per speaker gives a bank that holds exactly the current attribute
    values, and every gold answer agrees with that final state.
    """
    _check_int("seed", seed, 0, 2**63 - 1)
    _check_int("n_sessions", n_sessions, 1, 200)
    _check_int("facts_per_session", facts_per_session, 1, 50)
    for name, value in (
        ("update_rate", update_rate),
        ("delete_rate", delete_rate),
        ("restate_rate", restate_rate),
    ):
        _check_rate(name, value, 0.0, 1.0)
    if update_rate + delete_rate + restate_rate > 1.0:
        raise ValueError(
            "update_rate + delete_rate + restate_rate must be at most 1, got "
            f"{update_rate} + {delete_rate} + {restate_rate}"
        )
    _check_rate("distractor_rate", distractor_rate, 0.0, 0.9)
    _check_choice("saturation", saturation, SATURATIONS)
    _check_choice("phrasing", phrasing, PHRASINGS)
    _check_rate("distractor_facts", distractor_facts, 0.0, MAX_EXTRA_SHARE)
    if false_change_rate is None:
        false_change_rate = VARIED_FALSE_CHANGE_RATE if phrasing == "varied" else 0.0
    _check_rate("false_change_rate", false_change_rate, 0.0, MAX_EXTRA_SHARE)
    if distractor_facts + false_change_rate > MAX_EXTRA_SHARE:
        raise ValueError(
            f"distractor_facts + false_change_rate must be at most {MAX_EXTRA_SHARE}, got "
            f"{distractor_facts} + {false_change_rate}"
        )
    try:
        start = dt.date.fromisoformat(start_date)
    except (TypeError, ValueError):
        raise ValueError(
            f"start_date must be an ISO date 'YYYY-MM-DD', got {start_date!r}"
        ) from None
    if conversation_id is not None and (
        not isinstance(conversation_id, str) or not conversation_id
    ):
        raise ValueError(
            f"conversation_id must be a non-empty string or None, got {conversation_id!r}"
        )
    knobs = {
        "n_sessions": int(n_sessions),
        "facts_per_session": int(facts_per_session),
        "update_rate": float(update_rate),
        "delete_rate": float(delete_rate),
        "restate_rate": float(restate_rate),
        "distractor_rate": float(distractor_rate),
        "saturation": saturation,
        "phrasing": phrasing,
        "distractor_facts": float(distractor_facts),
        "false_change_rate": float(false_change_rate),
    }
    return _Generator(int(seed), knobs, start).run(conversation_id or f"synth-{seed}")


KNOBS: tuple[str, ...] = tuple(
    name
    for name, param in inspect.signature(generate_locomo_item).parameters.items()
    if param.kind is inspect.Parameter.KEYWORD_ONLY and name != "conversation_id"
)
"""The generator knobs ``generate_conversations`` (and ``synth_kwargs``) accept."""


def item_seed(seed: int, index: int) -> int:
    """Seed of conversation ``index`` of ``generate_conversations(n, seed)``: the first 32-bit
    word of ``np.random.SeedSequence(seed).spawn(n)[index]`` (independent of ``n``)."""
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1)[0])


_NOT_KNOBS = ("seed", "conversation_id")


def generate_conversations(n: int, seed: int, **knobs: Any) -> list[Conversation]:
    """``n`` synthetic conversations ``synth-{seed}-{i}``, parsed through the LoCoMo loader.

    Conversation ``i`` uses :func:`item_seed` ``(seed, i)``, so the first ``k`` conversations do
    not depend on ``n``. ``knobs`` are those of :func:`generate_locomo_item` (:data:`KNOBS`).
    """
    from memenv.data.locomo import parse_locomo_item

    known = [k for k in inspect.signature(generate_locomo_item).parameters if k not in _NOT_KNOBS]
    for key in knobs:
        if key not in known:
            raise ValueError(
                f"unknown synth_kwargs key {key!r}; known: n, seed, {', '.join(known)}"
            )
    _check_int("n", n, 0, 1_000_000)
    _check_int("seed", seed, 0, 2**63 - 1)
    unknown = sorted(set(knobs) - set(KNOBS))
    if unknown:
        raise ValueError(
            f"unknown synthetic generator knob(s) {', '.join(map(repr, unknown))}; "
            f"known: {', '.join(KNOBS)}"
        )
    out = []
    for i in range(n):
        item = generate_locomo_item(
            item_seed(seed, i), conversation_id=f"synth-{seed}-{i}", **knobs
        )
        conv = parse_locomo_item(item, source="synthetic", index=i)
        qa = tuple(dataclasses.replace(q, dataset="synth") for q in conv.qa)
        out.append(dataclasses.replace(conv, dataset="synth", qa=qa))
    return out

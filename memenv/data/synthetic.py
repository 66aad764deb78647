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
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from memenv.data import synthetic_vocab as V
from memenv.data.records import Conversation

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


class _Generator:
    """One conversation; all randomness comes from ``self.rng``."""

    def __init__(self, seed: int, knobs: dict[str, Any], start: dt.date):
        self.rng = np.random.default_rng(seed)
        self.k = knobs
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

    # -- small helpers ------------------------------------------------------------------------

    def pick(self, seq: Sequence[T]) -> T:
        return seq[int(self.rng.integers(len(seq)))]

    def fresh(self, pool: Sequence[T], used: set[str], never: set[str], key=lambda x: x) -> T:
        """A random pool item whose key is neither used nor in ``never``; once the pool is used
        up, any item outside ``never`` (the current values, which a new value must differ from)."""
        options = [x for x in pool if key(x) not in used and key(x) not in never]
        return self.pick(options or [x for x in pool if key(x) not in never])

    def fmt(self, template: str, p: _Person, fields: Fields, **extra: str) -> str:
        other = self.people[1] if p is self.people[0] else self.people[0]
        ctx = {"n": p.name, "pos": p.pos, "other": other.name, **fields, **extra}
        return _cap(template.format_map(ctx))

    # -- values -------------------------------------------------------------------------------

    def draw(self, kind: str, p: _Person, old: Fields | None = None) -> Fields:
        """A new value of ``kind`` for ``p`` (different from ``old`` and from past values)."""
        used = p.used.setdefault(kind, set())
        never = {_identity(old)} if old else set()
        if kind == "city" or kind == "sibling_city":
            city, country = self.fresh(V.CITIES, used, never, key=lambda c: c[0])
            fields = {"v": city, "country": country}
            if kind == "sibling_city":
                sib = p.bank["sibling"].fields
                fields.update(sib=sib["v"], kin=sib["kin"])
            return fields
        if kind == "job":
            job, trade = self.fresh(V.JOBS, used, never, key=lambda j: j[0])
            return {"v": job, "a": "an" if job[0] in "aeiou" else "a", "field": trade}
        if kind == "pet":
            species = self.pick(list(V.SPECIES))
            return {
                "v": self.fresh(V.PET_NAMES, used, never),
                "sp": species,
                "open_q": V.SPECIES[species],
            }
        if kind == "partner":
            step = 0
            name = self.fresh(V.PARTNERS, used, never)
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
                entry = next(h for h in V.HOBBIES if h[0] == noun)
            else:
                entry = self.fresh(V.HOBBIES, used, mine, key=lambda h: h[0])
            return {"v": entry[0], "act": entry[1], "open_q": entry[2]}
        if kind == "sibling":
            kin = self.pick(("sister", "brother"))
            return {"v": self.pick(V.SISTERS if kin == "sister" else V.BROTHERS), "kin": kin}
        if kind == "language":
            lang, country = self.fresh(V.LANGUAGES, used, never, key=lambda x: x[0])
            return {"v": lang, "country": country}
        pools = {
            "employer": V.EMPLOYERS,
            "food": V.FOODS,
            "car": V.CARS,
            "instrument": V.INSTRUMENTS,
        }
        return {"v": self.fresh(pools[kind], used, never)}

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
        return (
            self.fmt(self.pick(t.restate), p, m.fields),
            self.fmt(self.pick(t.now), p, m.fields),
            "NOOP",
            None,
        )

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
        t = V.KINDS[kind]
        when = self.when(kind, date, gap, first=kind not in p.first_mention)
        slot = f"hobby:{fields['v']}" if kind == "hobby" else kind
        p.bank[slot] = _Memory(kind, fields, dia, dia, session, when.answer if when else None)
        p.first_mention.setdefault(kind, (fields, dia))
        p.used.setdefault(kind, set()).add(_identity(fields))
        turn, fact = (t.add_t, t.fact_add_t) if when else (t.add, t.fact_add)
        extra = self.when_fields(when)
        return (
            self.fmt(self.pick(turn), p, fields, **extra),
            self.fmt(self.pick(fact), p, fields, **extra),
            "ADD",
            None,
        )

    def update(
        self, p: _Person, m: _Memory, session: int, date: dt.date, gap: int | None, dia: str
    ):
        old, t = m.fields, V.KINDS[m.kind]
        new = self.draw(m.kind, p, old)
        when = self.when(m.kind, date, gap, first=False)
        m.prev, m.fields, m.set_id, m.session = (old, m.set_id), new, dia, session
        m.date = when.answer if when else None
        p.used.setdefault(m.kind, set()).add(_identity(new))
        turn, fact = (t.upd_t, t.fact_upd_t) if when else (t.upd, t.fact_upd)
        extra = {f"old_{k}": v for k, v in old.items()} | self.when_fields(when)
        return (
            self.fmt(self.pick(turn), p, new, **extra),
            self.fmt(self.pick(fact), p, new, **extra),
            "UPDATE",
            m.first_id,
        )

    def delete(self, p: _Person, m: _Memory, date: dt.date, gap: int | None, dia: str):
        t = V.KINDS[m.kind]
        when = self.when(m.kind, date, gap, first=False)
        del p.bank[next(s for s, x in p.bank.items() if x is m)]
        p.deleted.append((m.kind, m.fields, dia))
        turn, fact = (t.dele_t, t.fact_dele_t) if when else (t.dele, t.fact_dele)
        extra = self.when_fields(when)
        return (
            self.fmt(self.pick(turn), p, m.fields, **extra),
            self.fmt(self.pick(fact), p, m.fields, **extra),
            "DELETE",
            m.first_id,
        )

    @staticmethod
    def when_fields(when: _When | None) -> dict[str, str]:
        if when is None:
            return {}
        return {"rel": when.phrase, "since": when.answer, "when": f"{when.prep} {when.answer}"}

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
            for i, (who, has_fact) in enumerate(plan):
                p, dia = self.people[who], f"D{s}:{i + 1}"
                if has_fact:
                    text, fact, op, target = self.fact(p, s, date, gap, dia)
                    obs[p.name].append([fact, dia])
                    ops[p.name].append([op, target])
                    fact_texts.append(fact)
                    if op != "NOOP":
                        said[p.name].append(fact)
                else:
                    prev = i > 0 and not plan[i - 1][1]
                    text = self.fmt(self.distractor(i, len(plan), prev), p, {})
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
                if m.kind == "sibling_city":
                    sib = p.bank["sibling"].set_id
                    ask("multi", self.fmt(self.pick(t.q_now), p, f), f["v"], [sib, m.set_id])
                elif m.kind != "hobby":
                    ask("single", self.fmt(self.pick(t.q_now), p, f), f["v"], [m.set_id])
                if m.prev is not None and t.q_prev:
                    old, old_id = m.prev
                    q = self.fmt(self.pick(t.q_prev), p, f)
                    ask("multi", q, old["v"], [old_id, m.set_id])
                if m.date is not None and t.q_when:
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
            for kind, f, dia in p.deleted:
                gone = _identity(f)
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
) -> dict[str, Any]:
    """One synthetic conversation as a LoCoMo item plus ``ideal_operations``; same seed, same dict.

    - ``n_sessions``: dated sessions, 4 to 35 days apart, the first on ``start_date`` (ISO date).
    - ``facts_per_session``: the most facts one speaker states in a session; each speaker states
      between ``ceil(facts_per_session / 2)`` and ``facts_per_session`` per session.
    - ``update_rate`` / ``delete_rate`` / ``restate_rate``: chance that a fact changes, drops or
      restates a memory from an earlier session (when there is one); otherwise it adds one.
    - ``distractor_rate``: share of turns that are chit-chat without any fact.
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
    }
    return _Generator(int(seed), knobs, start).run(conversation_id or f"synth-{seed}")


def item_seed(seed: int, index: int) -> int:
    """Seed of conversation ``index`` of ``generate_conversations(n, seed)``: the first 32-bit
    word of ``np.random.SeedSequence(seed).spawn(n)[index]`` (independent of ``n``)."""
    child = np.random.SeedSequence(seed, spawn_key=(index,))
    return int(child.generate_state(1)[0])


def generate_conversations(n: int, seed: int, **knobs: Any) -> list[Conversation]:
    """``n`` synthetic conversations ``synth-{seed}-{i}``, parsed through the LoCoMo loader.

    Conversation ``i`` uses :func:`item_seed` ``(seed, i)``, so the first ``k`` conversations do
    not depend on ``n``. ``knobs`` are those of :func:`generate_locomo_item`.
    """
    from memenv.data.locomo import parse_locomo_item

    _check_int("n", n, 0, 1_000_000)
    _check_int("seed", seed, 0, 2**63 - 1)
    out = []
    for i in range(n):
        item = generate_locomo_item(
            item_seed(seed, i), conversation_id=f"synth-{seed}-{i}", **knobs
        )
        conv = parse_locomo_item(item, source="synthetic", index=i)
        qa = tuple(dataclasses.replace(q, dataset="synth") for q in conv.qa)
        out.append(dataclasses.replace(conv, dataset="synth", qa=qa))
    return out

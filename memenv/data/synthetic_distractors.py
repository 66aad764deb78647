"""Texts of the synthetic generator's distractor facts and false changes.

Both are observation facts whose ideal operation is NOOP: no question of the conversation ever
needs them, so the ideal bank never stores them (that is the definition of a distractor here).
They crowd a bank that stores them and the memories retrieved for a question, and some of them
look like a change of a stored attribute to a reader that goes by keywords.

- Distractor facts (knob ``distractor_facts``): a *near-duplicate* (a current memory restated in
  other words, from :data:`memenv.data.synthetic_phrasing.VARIED`), a fact about *someone else*
  (:data:`OTHERS`: "Maya's colleague Jonas lives in Berlin.") or a *one-off event* nobody asks
  about (:data:`ONE_OFF`: "Maya went to a jazz concert.").
- False changes (knob ``false_change_rate``): statements that look like a change but are not one
  (:data:`FALSE_CHANGES`): a plan or a wish ("Maya is thinking about moving to Berlin some
  day."), a change that nearly happened or is denied ("Maya nearly quit Brightwave but decided
  to stay."), or someone else's change ("Maya's cousin Ivy moved to Berlin.").

A template is a ``(turn, fact)`` pair. Placeholders: those of
:mod:`memenv.data.synthetic_vocab` for the speaker and their current value of ``needs`` (``{v}``,
``{sp}``, ``{name}``, ...), ``{whom}`` / ``{who}`` another person's relation to the speaker and
name, ``{x}`` a value drawn from the pool of ``kind`` (one the speaker does not hold now) or from
``pool`` (with ``{xa}`` its article, ``{xsp}`` a species for pets), and for timed one-off events
``{rel}`` / ``{when}`` as in the vocabulary module.
"""

from __future__ import annotations

from dataclasses import dataclass

from memenv.data.synthetic_phrasing import Pair


@dataclass(frozen=True)
class DistractorText:
    """Ways of saying one kind of distractor."""

    pairs: tuple[Pair, ...]
    kind: str | None = None
    """Attribute kind whose value pool fills ``{x}`` (None: no ``{x}``, or a one-off pool)."""
    needs: str | None = None
    """Attribute kind the speaker must hold now; its fields fill ``{v}`` and the like."""
    pool: tuple[str, ...] = ()
    """For one-off events: the values of ``{x}``."""
    timed: bool = False
    """Timed one-off events: ``{rel}`` in the turn, ``{when}`` in the fact."""


RELATIONS: tuple[str, ...] = (
    "cousin",
    "friend",
    "neighbour",
    "colleague",
    "roommate",
    "boss",
    "old classmate",
    "coworker",
    "best friend",
    "flatmate",
    "teammate",
    "gym buddy",
)
OTHER_NAMES: tuple[str, ...] = tuple(
    "Ivy Jonah Tess Marco Ruth Dev Lena Piotr Yara Colm Bea Tariq Gwen Sven Amara Luis Kit Odile "
    "Ravi Mirela Hal Suki Bram Fern".split()
)
"""Names of other people: none is a speaker, partner or sibling name of the vocabulary."""

GENRES: tuple[str, ...] = ("jazz", "folk", "rock", "classical", "blues", "indie", "opera")
TOPICS: tuple[str, ...] = (
    "whales",
    "the Roman empire",
    "volcanoes",
    "deep sea creatures",
    "the history of tea",
    "bees",
    "space travel",
    "ancient Egypt",
)
BAKES: tuple[str, ...] = ("cookies", "a lemon cake", "banana bread", "cinnamon rolls", "brownies")

OTHERS: tuple[DistractorText, ...] = (
    DistractorText(
        (
            ("My {whom} {who} lives in {x}.", "{n}'s {whom} {who} lives in {x}."),
            ("My {whom} {who} has a place in {x}.", "{n}'s {whom} {who} lives in {x}."),
        ),
        kind="city",
    ),
    DistractorText(
        (("My {whom} {who} works as {xa} {x}.", "{n}'s {whom} {who} works as {xa} {x}."),),
        kind="job",
    ),
    DistractorText(
        (
            ("My {whom} {who} works at {x}.", "{n}'s {whom} {who} works at {x}."),
            (
                "My {whom} {who} got me a tour of {x}.",
                "{n} toured {x}, where {pos} {whom} {who} works.",
            ),
        ),
        kind="employer",
    ),
    DistractorText(
        (("My {whom} {who} has a {xsp} called {x}.", "{n}'s {whom} {who} has a {xsp} named {x}."),),
        kind="pet",
    ),
    DistractorText(
        (("My {whom} {who} is really into {x}.", "{n}'s {whom} {who} enjoys {x}."),),
        kind="hobby",
    ),
    DistractorText(
        (("My {whom} {who} makes the best {x}.", "{n}'s {whom} {who} makes great {x}."),),
        kind="food",
    ),
    DistractorText(
        (("My {whom} {who} drives a {x}.", "{n}'s {whom} {who} drives a {x}."),),
        kind="car",
    ),
    DistractorText(
        (
            (
                "My {whom} {who} plays the {x} in a band.",
                "{n}'s {whom} {who} plays the {x} in a band.",
            ),
        ),
        kind="instrument",
    ),
    DistractorText(
        (("My {whom} {who} speaks {x} fluently.", "{n}'s {whom} {who} speaks {x} fluently."),),
        kind="language",
    ),
)

ONE_OFF: tuple[DistractorText, ...] = (
    DistractorText(
        (("I went to {xa} {x} concert, what a night.", "{n} went to {xa} {x} concert."),),
        pool=GENRES,
    ),
    DistractorText(
        (("I went to {xa} {x} concert {rel}.", "{n} went to {xa} {x} concert {when}."),),
        pool=GENRES,
        timed=True,
    ),
    DistractorText(
        (
            ("I finished a great book about {x}.", "{n} read a book about {x}."),
            ("I watched a documentary about {x}.", "{n} watched a documentary about {x}."),
        ),
        pool=TOPICS,
    ),
    DistractorText(
        (("I baked {x} for a friend's birthday.", "{n} baked {x} for a friend's birthday."),),
        pool=BAKES,
    ),
    DistractorText(
        (("I baked {x} {rel}, they vanished in minutes.", "{n} baked {x} {when}."),),
        pool=BAKES,
        timed=True,
    ),
    DistractorText(
        (("I took a day trip to {x}, lovely place.", "{n} took a day trip to {x}."),),
        kind="city",
    ),
    DistractorText(
        (
            ("I had a dentist appointment, all fine.", "{n} had a routine dentist appointment."),
            ("Our internet was down all day, so annoying.", "{n}'s internet was down for a day."),
            ("I got soaked, forgot my umbrella again.", "{n} got caught in the rain."),
            (
                "I helped my {whom} {who} paint their kitchen.",
                "{n} helped {pos} {whom} {who} paint a kitchen.",
            ),
            (
                "I ran into {who}, an old classmate, at the supermarket.",
                "{n} ran into an old classmate, {who}, at the supermarket.",
            ),
        )
    ),
    DistractorText(
        (
            ("I had a dentist appointment {rel}, all fine.", "{n} saw the dentist {when}."),
            ("I ran a charity 5K {rel}!", "{n} ran a charity 5K {when}."),
        ),
        timed=True,
    ),
)

FALSE_CHANGES: tuple[DistractorText, ...] = (
    # plans and wishes
    DistractorText(
        (
            (
                "I keep daydreaming about moving to {x} some day.",
                "{n} is thinking about moving to {x} some day.",
            ),
            ("I'd love to live in {x} one day.", "{n} would love to live in {x} one day."),
            (
                "If the right job came up, I'd move to {x} in a heartbeat.",
                "{n} would move to {x} if the right job came up.",
            ),
        ),
        kind="city",
    ),
    DistractorText(
        (
            (
                "Sometimes I wonder what it'd be like to work as {xa} {x}.",
                "{n} sometimes wonders what working as {xa} {x} would be like.",
            ),
            ("I might retrain as {xa} {x} one day.", "{n} might retrain as {xa} {x} one day."),
        ),
        kind="job",
    ),
    DistractorText(
        (
            ("I applied to {x}, just to see what happens.", "{n} applied for a job at {x}."),
            (
                "{x} reached out about a role, but I haven't decided anything.",
                "{n} was approached by {x} about a role but has not decided anything.",
            ),
        ),
        kind="employer",
    ),
    DistractorText(
        (("I'd love to get a {xsp} some day.", "{n} would like to get a {xsp} some day."),),
        kind="pet",
    ),
    DistractorText(
        (("I keep meaning to try {x}.", "{n} keeps meaning to try {x}."),), kind="hobby"
    ),
    DistractorText(
        (
            (
                "I tried {x} for the first time, it was fine.",
                "{n} tried {x} once and found it just fine.",
            ),
        ),
        kind="food",
    ),
    DistractorText(
        (("I test-drove a {x}, just for fun.", "{n} test-drove a {x} but did not buy it."),),
        kind="car",
    ),
    DistractorText(
        (("I'd love to learn the {x} one day.", "{n} would like to learn the {x} one day."),),
        kind="instrument",
    ),
    DistractorText(
        (("Next year I might start {x}.", "{n} might start learning {x} next year."),),
        kind="language",
    ),
    # near misses and denials
    DistractorText(
        (
            (
                "I almost moved to {x}, but I'm staying put in {v}.",
                "{n} nearly moved to {x} but is staying in {v}.",
            ),
            (
                "We looked at flats in {x}, but we're not leaving {v}.",
                "{n} looked at flats in {x} but is not leaving {v}.",
            ),
        ),
        kind="city",
        needs="city",
    ),
    DistractorText(
        (
            (
                "I was offered a job as {xa} {x}, but I'm staying {a} {v}.",
                "{n} turned down a job as {xa} {x} and is staying {a} {v}.",
            ),
        ),
        kind="job",
        needs="job",
    ),
    DistractorText(
        (
            ("I nearly quit {v}, but I'm staying.", "{n} nearly quit {v} but decided to stay."),
            (
                "I turned down an offer from {x}, I'm happy at {v}.",
                "{n} turned down an offer from {x} and is staying at {v}.",
            ),
        ),
        kind="employer",
        needs="employer",
    ),
    DistractorText(
        (
            (
                "{v} slipped out the door and we panicked, but {v} came back!",
                "{n}'s {sp} {v} went missing briefly but came back home.",
            ),
        ),
        needs="pet",
    ),
    DistractorText(
        (
            (
                "{name} and I had a huge fight, but we're fine now.",
                "{n} and {name} had a big fight but are still together.",
            ),
            (
                "People keep asking if {name} and I broke up. We didn't!",
                "{n} and {name} did not break up, despite the rumours.",
            ),
        ),
        needs="partner",
    ),
    DistractorText(
        (
            (
                "I almost gave up {v}, but I'm sticking with it.",
                "{n} almost gave up {v} but is sticking with it.",
            ),
        ),
        needs="hobby",
    ),
    DistractorText(
        (
            (
                "Someone offered to buy my {v}, I said no way.",
                "{n} refused an offer to buy {pos} {v}.",
            ),
            (
                "I'm thinking of selling my {v} one day.",
                "{n} is thinking about selling {pos} {v} some day.",
            ),
        ),
        needs="car",
    ),
    DistractorText(
        (
            (
                "I nearly quit the {v}, but I'm sticking with it.",
                "{n} nearly quit the {v} but is sticking with it.",
            ),
        ),
        needs="instrument",
    ),
    DistractorText(
        (
            (
                "I almost stopped learning {v}, but my tutor talked me round.",
                "{n} almost stopped learning {v} but was talked round.",
            ),
        ),
        needs="language",
    ),
    DistractorText(
        (
            (
                "{sib} keeps talking about moving to {x}.",
                "{n}'s {kin} {sib} is thinking about moving to {x}.",
            ),
        ),
        kind="city",
        needs="sibling_city",
    ),
    # someone else's change
    DistractorText(
        (
            ("My {whom} {who} just moved to {x}.", "{n}'s {whom} {who} moved to {x}."),
            ("My {whom} {who} is living in {x} now.", "{n}'s {whom} {who} lives in {x} now."),
        ),
        kind="city",
    ),
    DistractorText(
        (
            (
                "My {whom} {who} just started working as {xa} {x}.",
                "{n}'s {whom} {who} started working as {xa} {x}.",
            ),
        ),
        kind="job",
    ),
    DistractorText(
        (
            ("My {whom} {who} just left {x}.", "{n}'s {whom} {who} left {x}."),
            ("My {whom} {who} works at {x} now.", "{n}'s {whom} {who} now works at {x}."),
        ),
        kind="employer",
    ),
    DistractorText(
        (
            (
                "My {whom} {who} adopted a {xsp} named {x}.",
                "{n}'s {whom} {who} adopted a {xsp} named {x}.",
            ),
        ),
        kind="pet",
    ),
    DistractorText(
        (
            ("My {whom} {who} got engaged!", "{n}'s {whom} {who} got engaged."),
            ("My {whom} {who} is dating someone called {x}.", "{n}'s {whom} {who} is dating {x}."),
        ),
        kind="partner",
    ),
    DistractorText(
        (("My {whom} {who} took up {x}.", "{n}'s {whom} {who} took up {x}."),), kind="hobby"
    ),
    DistractorText(
        (("My {whom} {who} just bought a {x}.", "{n}'s {whom} {who} bought a {x}."),), kind="car"
    ),
)

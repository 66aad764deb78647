"""Varied phrasings of the synthetic generator's events (``phrasing="varied"``).

With ``phrasing="templated"`` the generator picks a turn template and a fact template for an
event independently from :data:`memenv.data.synthetic_vocab.KINDS`. With ``phrasing="varied"``
it picks one *way of saying the event*: a ``(turn, fact)`` pair from :data:`VARIED` (or, with
one chance in ``len(pairs) + 1``, the templated pick). A pair's turn is what the speaker says
(first person) and its fact what a fact extractor writes (third person); both say the same
thing. Many are indirect: no "moved", "quit" or "no longer" where a person would not say it
("I'm not with Acme any more", "we finally made the move to Lisbon"), sentences that do not open
with the person's name ("After leaving Denver, Maya now lives in Lisbon."), and changes told
through their consequences ("Maya has left Acme and is freelancing now").

Placeholders are those of :mod:`memenv.data.synthetic_vocab` plus ``{sub}`` / ``{obj}`` (the
speaker's subject and object pronoun: "she" / "her"). The rules a pair follows, checked by the
tests:

- an ADD or UPDATE fact names the new value (``{v}``; a partner fact ``{status} {name}``), so
  the ideal memory holds every current value a question asks for;
- a timed pair (``add_t``, ``upd_t``, ``dele_t``) has ``{rel}`` in its turn and ``{since}`` or
  ``{when}`` in its fact (facts hold resolved dates only); an untimed pair has neither;
- an UPDATE fact may or may not name the old value (``{old_v}``): "what was it before"
  questions are only asked when the fact that made the update names it;
- a DELETE fact names the value that ends; a restatement (``restate``) names the current value.
"""

from __future__ import annotations

from dataclasses import dataclass

Pair = tuple[str, str]
"""(turn template, fact template)."""


@dataclass(frozen=True)
class VariedText:
    """The varied ways of saying each event of one attribute kind (empty: use the templates)."""

    add: tuple[Pair, ...] = ()
    add_t: tuple[Pair, ...] = ()
    upd: tuple[Pair, ...] = ()
    upd_t: tuple[Pair, ...] = ()
    dele: tuple[Pair, ...] = ()
    dele_t: tuple[Pair, ...] = ()
    restate: tuple[Pair, ...] = ()


VARIED: dict[str, VariedText] = {
    "city": VariedText(
        add=(
            ("Home is {v} for me these days.", "These days {n} lives in {v}."),
            (
                "I've got a little flat in {v} and I adore the neighbourhood.",
                "{n} lives in a little flat in {v}.",
            ),
            (
                "I've been in {v} a few years now, it really feels like home.",
                "For a few years now, {n} has been living in {v}.",
            ),
            ("I'm a proper {v} local at this point.", "{n} is a local in {v}, where {sub} lives."),
        ),
        add_t=(
            (
                "We finally made the move to {v} {rel}!",
                "{n} made the move to {v} {when} and lives there now.",
            ),
            ("I got the keys to my place in {v} {rel}.", "Since {since}, {n} has lived in {v}."),
            (
                "{v} officially became home {rel}, lease signed and everything.",
                "{n} started living in {v} {when}.",
            ),
        ),
        upd=(
            (
                "We finally made the move to {v}!",
                "{n} finally made the move to {v} and lives there now.",
            ),
            (
                "I'm not in {old_v} anymore, {v} is home now.",
                "{n} is not in {old_v} anymore; {sub} lives in {v} now.",
            ),
            ("Goodbye {old_v}, hello {v}!", "After leaving {old_v}, {n} now lives in {v}."),
            (
                "Guess who's a {v} local now? I packed up everything.",
                "{n} packed up everything and is living in {v} now.",
            ),
            (
                "The new flat in {v} is finally starting to feel like home.",
                "Home for {n} is now a new flat in {v}, where {sub} lives.",
            ),
        ),
        upd_t=(
            (
                "We finally made the move to {v} {rel}!",
                "{n} made the move to {v} {when} and lives there now.",
            ),
            (
                "I handed back my keys in {old_v} {rel}, I'm living in {v} now.",
                "Since {since}, {n} has lived in {v} instead of {old_v}.",
            ),
            (
                "The removal van took everything from {old_v} to {v} {rel}.",
                "{n} relocated from {old_v} to {v} {when} and lives in {v} now.",
            ),
        ),
        restate=(
            ("Still loving {v}, honestly.", "{n} is still happy living in {v}."),
            ("I can't imagine leaving {v}.", "{n} has no plans to leave {v}."),
            ("{v} in the spring is something else.", "{n} loves springtime in {v}."),
            ("My corner of {v} is so quiet, I love it.", "{n} still lives in a quiet part of {v}."),
        ),
    ),
    "job": VariedText(
        add=(
            (
                "Days as {a} {v} are long but rewarding.",
                "{n} works as {a} {v} and finds it rewarding.",
            ),
            ("I'm {a} {v} at a small practice.", "Professionally, {n} works as {a} {v}."),
            ("Being {a} {v} is basically my whole identity.", "By trade {n} works as {a} {v}."),
        ),
        add_t=(
            (
                "I started my first week as {a} {v} {rel}.",
                "{n} began a new job {when} and works as {a} {v}.",
            ),
            ("{rel} I officially became {a} {v}!", "Since {since}, {n} works as {a} {v}."),
        ),
        upd=(
            ("I finally did it, I'm {a} {v} now!", "{n} retrained and now works as {a} {v}."),
            (
                "No more {old_v} shifts for me, I'm {a} {v} these days.",
                "These days {n} works as {a} {v}, after years as {old_a} {old_v}.",
            ),
            (
                "After years as {old_a} {old_v}, I switched careers: I'm {a} {v} now.",
                "After years as {old_a} {old_v}, {n} works as {a} {v}.",
            ),
            ("The career change worked out, I'm {a} {v} now.", "{n} now works as {a} {v}."),
        ),
        upd_t=(
            (
                "{rel} I started a new job, I'm {a} {v} now.",
                "{n} started a new job {when} and works as {a} {v} now.",
            ),
            (
                "I handed in my notice as {old_a} {old_v} and became {a} {v} {rel}.",
                "As of {since}, {n} works as {a} {v} instead of {old_a} {old_v}.",
            ),
        ),
        restate=(
            ("Another long shift, the life of {a} {v}.", "{n} still works as {a} {v}."),
            (
                "Being {a} {v} has its ups and downs, but I wouldn't change it.",
                "{n} would not change being {a} {v}.",
            ),
            (
                "Nothing new at work, still {a} {v}.",
                "Nothing has changed about {n}'s work as {a} {v}.",
            ),
        ),
    ),
    "employer": VariedText(
        add=(
            ("My team at {v} is the best part of the job.", "Happily, {n} works at {v}."),
            ("{v} has been good to me so far.", "At the moment, {n} works at {v}."),
            ("I've been with {v} for ages.", "For years now, {n} has been working at {v}."),
        ),
        add_t=(
            (
                "I signed my contract with {v} {rel}.",
                "{n} signed a contract {when} and now works at {v}.",
            ),
            ("{rel} was my first day at {v}!", "Since {since}, {n} works at {v}."),
        ),
        upd=(
            (
                "I'm not with {old_v} any more, I work for {v} now.",
                "{n} is not with {old_v} any more and now works at {v}.",
            ),
            (
                "New badge, new office: I started at {v}.",
                "{n} started a new position and now works at {v}.",
            ),
            (
                "{old_v} is behind me, I've joined {v}.",
                "Having moved on from {old_v}, {n} works at {v}.",
            ),
            (
                "The recruiter from {v} finally won me over, I'm with them now.",
                "{n} was won over by a recruiter and now works at {v}.",
            ),
        ),
        upd_t=(
            (
                "I said goodbye to {old_v} {rel}, I'm at {v} now.",
                "{when} {n} left {old_v}, and {sub} now works at {v}.",
            ),
            ("{rel} was my first day at {v}.", "Since {since}, {n} works at {v}."),
        ),
        dele=(
            (
                "I'm not with {v} any more, taking a breather before the next thing.",
                "{n} is not with {v} any more and is taking a break from work.",
            ),
            (
                "I've left {v} and I'm freelancing for now.",
                "{n} has left {v} and is freelancing now.",
            ),
            (
                "That's it for me at {v}, no idea what's next.",
                "{n}'s time at {v} is over, and {sub} has nothing lined up yet.",
            ),
            (
                "I handed in my badge at {v}, I'm taking a gap year.",
                "{n} handed in {pos} badge at {v} and is taking a year out.",
            ),
        ),
        dele_t=(
            (
                "{rel} was my last day at {v}.",
                "{n}'s last day at {v} was {since}; {sub} is between jobs.",
            ),
            (
                "I walked out of {v} for the last time {rel}.",
                "{n} finished at {v} {when} and has not started anywhere new.",
            ),
        ),
        restate=(
            ("Busy times at {v}, as usual.", "{n} is still at {v}, busy as usual."),
            ("The coffee at {v} is still terrible.", "{n} still works at {v}."),
            ("Payday at {v} can't come soon enough.", "{n} is still employed by {v}."),
        ),
    ),
    "pet": VariedText(
        add=(
            (
                "There's a {sp} in my life now and {v} is a menace.",
                "{n} shares {pos} home with a {sp} named {v}.",
            ),
            (
                "{v} the {sp} is the boss of our house.",
                "At home, {n} looks after a {sp} named {v}.",
            ),
            ("Walking {v} is the best part of my day.", "{n} is the owner of a {sp} named {v}."),
        ),
        add_t=(
            (
                "We brought {v} home {rel}, the cutest {sp} ever.",
                "{n} brought home a {sp} named {v} {when}.",
            ),
            (
                "I adopted {v}, a little {sp}, from the shelter {rel}.",
                "Since {since}, {n} has had a {sp} named {v}.",
            ),
        ),
        dele=(
            (
                "{v} isn't with us any more. I still look for {v} by the door.",
                "{n}'s {sp} {v} has died.",
            ),
            (
                "{v} went to live with my aunt on her farm, it's better for {v} there.",
                "{n}'s {sp} {v} now lives with {pos} aunt on a farm.",
            ),
            (
                "We had to find {v} a new home, my landlord said no pets.",
                "{n} had to give {pos} {sp} {v} away because of a no-pets rule.",
            ),
        ),
        dele_t=(
            ("{v} crossed the rainbow bridge {rel}.", "{n}'s {sp} {v} died {when}."),
            ("{rel} we said goodbye to {v}.", "{n} said goodbye to {pos} {sp} {v} {when}."),
        ),
        restate=(
            ("{v} is curled up next to me right now.", "{n} still has {pos} {sp} {v}."),
            ("{v} stole a sock again, typical.", "{n}'s {sp} {v} keeps stealing socks."),
            ("Everyone at the park knows {v} by now.", "{n}'s {sp} {v} is well known at the park."),
        ),
    ),
    "partner": VariedText(
        add=(
            (
                "{name} and I have been going out for a while, it's serious.",
                "{n} is dating {name}, and it is getting serious.",
            ),
            (
                "Have I told you about {name}? We're together now.",
                "{n} has a new partner and is dating {name}.",
            ),
        ),
        add_t=(
            (
                "{name} asked me out {rel} and we've been together since.",
                "{n} has been dating {name} since {since}.",
            ),
            (
                "{rel} {name} and I went on our first date.",
                "Since {since}, {n} has been dating {name}.",
            ),
        ),
        upd=(
            (
                "It's official, {name} and I {event}!",
                "{n} and {name} {event}, so {n} is {status} {name} now.",
            ),
            ("Big life update: {name} and I {event}.", "{n} is {status} {name} now."),
            (
                "You're looking at someone who is {status} {name}!",
                "After the big news, {n} is {status} {name}.",
            ),
        ),
        upd_t=(
            (
                "{name} and I {event} {rel}, I'm still floating.",
                "{n} {event} {when} and is {status} {name} now.",
            ),
            ("{rel} {name} and I {event}!", "Since {since}, {n} has been {status} {name}."),
        ),
        dele=(
            (
                "It's over with {name}. We wanted different things.",
                "{n} and {name} are no longer together; {n} is single.",
            ),
            ("{name} moved out. I'm on my own again.", "{name} moved out and {n} is on {pos} own."),
            ("{name} and I called it quits.", "{n} and {name} called it quits."),
        ),
        dele_t=(
            ("{name} and I split {rel}.", "{n} and {name} separated {when}."),
            ("{rel} {name} and I ended things.", "{n} ended things with {name} {when}."),
        ),
        restate=(
            ("Things with {name} are great.", "{n} is still {status} {name}."),
            ("{name} cooked me dinner, so sweet.", "{n}'s partner {name} cooked dinner for {obj}."),
            ("{name} says hello!", "{name}, {n}'s partner, sends greetings."),
        ),
    ),
    "hobby": VariedText(
        add=(
            ("I've been spending every free evening on {v}.", "{n}'s new hobby is {v}."),
            ("{v} has become my thing.", "These days {n} has {v} as a hobby."),
            ("Weekends are for {v}, no exceptions.", "On weekends {n} always makes time for {v}."),
        ),
        add_t=(
            (
                "I signed up for a {v} class {rel} and now I'm obsessed.",
                "{n} took up {v} {when}.",
            ),
            (
                "{rel} I tried {v} for the first time, and it stuck.",
                "{when}, {n} took up a new hobby: {v}.",
            ),
        ),
        dele=(
            (
                "I haven't made time for {v} in months, I think that chapter is closed.",
                "{n} has not made time for {v} in months and considers that chapter closed.",
            ),
            ("{v} just isn't for me any more.", "{v} is no longer part of {n}'s life."),
            ("I sold all my {v} gear.", "{n} sold all {pos} {v} gear."),
        ),
        dele_t=(
            ("I dropped {v} {rel}.", "{n} dropped {v} {when}."),
            ("I did {v} for the last time {rel}.", "{n} did {v} for the last time {when}."),
        ),
        restate=(
            ("Still hooked on {v}!", "{n} still enjoys {v}."),
            ("I spent a whole Sunday on {v}.", "{n} spent a whole Sunday on {v}."),
            ("Nothing clears my head like {v}.", "For {n}, nothing clears the head like {v}."),
        ),
    ),
    "food": VariedText(
        add=(
            ("Ask me my favourite food and I'll say {v} every time.", "{n}'s favourite food: {v}."),
            ("I'd happily eat {v} for every meal.", "The favourite food of {n} is {v}."),
        ),
        upd=(
            (
                "Honestly, {old_v} doesn't do it for me anymore; give me {v} any day.",
                "These days {n}'s favourite food is {v}, replacing {old_v}.",
            ),
            ("I can't stop eating {v}, it's my new favourite.", "{n}'s new favourite food is {v}."),
            (
                "My tastes changed: it's all {v} for me now.",
                "{n}'s favourite food is now {v}, having gone off {old_v}.",
            ),
        ),
        restate=(
            ("I had {v} twice in one week, no regrets.", "{n} had {v} twice in one week."),
            ("{v} night again at my place!", "{n} is still a big fan of {v}."),
            ("Found a new spot that does amazing {v}.", "{n} found a new place serving {v}."),
        ),
    ),
    "sibling": VariedText(
        add=(
            (
                "My {kin} {v} called me for advice again.",
                "{n} has a {kin} named {v} who often asks for advice.",
            ),
            ("{v}, my {kin}, is the funniest person I know.", "The name of {n}'s {kin} is {v}."),
        ),
        restate=(
            ("{v} says hi!", "{n}'s {kin} {v} sends greetings."),
            ("{v} and I had a long chat.", "{n} had a long chat with {pos} {kin} {v}."),
        ),
    ),
    "sibling_city": VariedText(
        add=(
            ("{sib} has a lovely flat in {v}.", "{n}'s {kin} {sib} lives in a flat in {v}."),
            ("{sib} is a {v} person through and through.", "{sib}, {n}'s {kin}, lives in {v}."),
        ),
        add_t=(
            ("{sib} relocated to {v} {rel}.", "{n}'s {kin} {sib} has lived in {v} since {since}."),
        ),
        upd=(
            (
                "{sib} finally made the move to {v}.",
                "{n}'s {kin} {sib} made the move to {v} and lives there now.",
            ),
            (
                "{sib} left {old_v} behind, {v} is home now.",
                "Having left {old_v}, {n}'s {kin} {sib} now lives in {v}.",
            ),
        ),
        upd_t=(
            (
                "{sib} moved to {v} {rel}, out of {old_v} at last.",
                "Since {since}, {n}'s {kin} {sib} lives in {v} instead of {old_v}.",
            ),
        ),
        restate=(
            ("{sib} keeps sending me photos from {v}.", "{n}'s {kin} {sib} still lives in {v}."),
            ("{sib} loves {v} more every year.", "{sib} is still happy in {v}."),
        ),
    ),
    "car": VariedText(
        add=(
            ("My {v} has never let me down.", "{n}'s car is a {v}."),
            ("I get around in a {v}.", "For getting around, {n} drives a {v}."),
        ),
        add_t=(
            (
                "I picked up my {v} from the dealer {rel}.",
                "Since {since}, {n}'s car has been a {v}.",
            ),
        ),
        upd=(
            ("Traded up! I'm behind the wheel of a {v} now.", "{n}'s car is now a {v}."),
            (
                "The {old_v} is gone, say hello to my {v}.",
                "The {old_v} is gone and {n}'s car is now a {v}.",
            ),
        ),
        upd_t=(
            (
                "I drove my new {v} off the lot {rel}, bye bye {old_v}.",
                "{n} drives a {v} since {since}, having sold the {old_v}.",
            ),
        ),
        dele=(
            (
                "I don't have a car any more, it's buses and my bike now.",
                "{n} has no car any more and gets around by bus and bike, without the {v}.",
            ),
            ("The {v} is gone, a neighbour bought it.", "A neighbour bought {n}'s {v}."),
            (
                "My {v} died for good and I'm not replacing it.",
                "{n}'s {v} broke down for good and {sub} is not getting another car.",
            ),
        ),
        dele_t=(
            (
                "I handed over the keys of my {v} {rel}, no more car for me.",
                "{n} gave away {pos} {v} {when} and is car-free.",
            ),
        ),
        restate=(
            ("Took the {v} to the coast, it drives like a dream.", "{n} still drives a {v}."),
            ("The {v} needed a service, nothing serious.", "{n}'s {v} had a routine service."),
        ),
    ),
    "instrument": VariedText(
        add=(
            ("I've started teaching myself the {v}.", "{n} is teaching {obj}self the {v}."),
            ("Every evening it's me and my {v}.", "{n} practises the {v} every evening."),
        ),
        add_t=(
            ("My first {v} lesson was {rel}!", "{n} had a first {v} lesson {when}."),
            (
                "{rel} I finally got a {v} of my own.",
                "Since {since}, {n} has been playing the {v}.",
            ),
        ),
        upd=(
            (
                "I put the {old_v} away for good, it's the {v} for me now.",
                "{n} put the {old_v} away and plays the {v} now.",
            ),
            ("My new {v} teacher is great.", "{n} has a new teacher and is learning the {v} now."),
        ),
        upd_t=(
            (
                "{rel} I sold my {old_v} and bought a {v}.",
                "{n} has been learning the {v} since {since}, instead of the {old_v}.",
            ),
        ),
        dele=(
            (
                "The {v} is collecting dust in a corner.",
                "{n}'s {v} is collecting dust; {sub} does not play any more.",
            ),
            (
                "I haven't touched the {v} in months.",
                "{n} has not touched the {v} in months and has given it up.",
            ),
        ),
        dele_t=(("My last {v} lesson was {rel}.", "{n} had a last {v} lesson {when}."),),
        restate=(
            ("My {v} scales are getting smoother.", "{n} keeps practising the {v}."),
            ("I played the {v} for friends, so nervous!", "{n} played the {v} for friends."),
        ),
    ),
    "language": VariedText(
        add=(
            ("My {v} flashcards are everywhere.", "{n} studies {v} with flashcards."),
            ("I have a {v} tutor now, twice a week.", "{n} has a {v} tutor twice a week."),
        ),
        add_t=(
            ("I had my first {v} class {rel}.", "{n} had a first {v} class {when}."),
            ("{rel} I started {v} lessons online.", "Since {since}, {n} has been learning {v}."),
        ),
        upd=(
            (
                "I put my {old_v} books away, it's {v} for me now.",
                "{n} put the {old_v} books away and studies {v} now.",
            ),
            ("My new {v} course is intense.", "{n} is taking a {v} course now."),
        ),
        upd_t=(
            (
                "{rel} I swapped my {old_v} course for {v}.",
                "{n} has been studying {v} since {since}, instead of {old_v}.",
            ),
        ),
        dele=(
            (
                "My {v} app streak is long gone, I've given up.",
                "{n} let {pos} {v} practice lapse and has given it up.",
            ),
            ("No more {v} for me, I'm done.", "{n} is done with {v}."),
        ),
        dele_t=(("My last {v} class was {rel}.", "{n} had a last {v} class {when}."),),
        restate=(
            ("I understood a whole {v} podcast today!", "{n} understood a whole {v} podcast."),
            ("Practising {v} on the bus, as always.", "{n} still practises {v} on the bus."),
        ),
    ),
}

"""Word lists and text templates of the synthetic dialogue generator (:mod:`memenv.data.synthetic`).

Turn templates are first person (the speaker talks); fact templates are third person (what a fact
extractor would write). Placeholders: ``{n}`` the speaker, ``{pos}`` their possessive, ``{other}``
the listener, ``{v}`` and the other fields of an attribute value, ``{old_<field>}`` the value an
update replaces, ``{rel}`` a relative time phrase ("last week"), ``{since}`` its resolved date
("7 May 2023") and ``{when}`` the date with its preposition ("on 7 May 2023").
"""

from __future__ import annotations

from dataclasses import dataclass

MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAYS: tuple[str, ...] = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)

# (name, possessive pronoun)
SPEAKERS: tuple[tuple[str, str], ...] = tuple(
    [(n, "her") for n in "Maya Caroline Priya Elena Sofia Hannah Aisha Chloe Nina Grace".split()]
    + [(n, "her") for n in "Leah Mei Olivia Zara Ines Clara".split()]
    + [(n, "his") for n in "Leo Daniel Omar Lucas Ethan Raj Mateo Noah Samuel Felix".split()]
    + [(n, "his") for n in "Hugo Kenji Marcus Tomas Arjun Ben".split()]
)
PARTNERS: tuple[str, ...] = tuple(
    "Sam Alex Jordan Chris Taylor Robin Jamie Morgan Casey Riley Avery Quinn".split()
)
SISTERS: tuple[str, ...] = tuple("Ana Lucy Rosa Julia Emma Nora Iris Vera".split())
BROTHERS: tuple[str, ...] = tuple("Max Theo Jonas Paul Eli Ivan Oscar Arlo".split())
PET_NAMES: tuple[str, ...] = tuple(
    "Rex Luna Biscuit Pepper Coco Mochi Ziggy Hazel Bruno Nala Oreo Scout Waffles Pixel".split()
)
# species -> open-domain question that owning one makes a "Yes"
SPECIES: dict[str, str] = {
    "dog": "Would {n} likely own a leash?",
    "cat": "Would {n} likely need a litter box at home?",
    "parrot": "Would {n} likely buy birdseed?",
    "rabbit": "Would {n} likely buy hay at the pet store?",
    "hamster": "Would {n} likely own a small cage with an exercise wheel?",
    "turtle": "Would {n} likely own a water tank for a pet?",
}
CITIES: tuple[tuple[str, str], ...] = (
    ("Austin", "USA"),
    ("Denver", "USA"),
    ("Seattle", "USA"),
    ("Boston", "USA"),
    ("Chicago", "USA"),
    ("Portland", "USA"),
    ("Toronto", "Canada"),
    ("Vancouver", "Canada"),
    ("Montreal", "Canada"),
    ("Lisbon", "Portugal"),
    ("Barcelona", "Spain"),
    ("Berlin", "Germany"),
    ("Dublin", "Ireland"),
    ("Melbourne", "Australia"),
    ("Edinburgh", "Scotland"),
    ("Amsterdam", "the Netherlands"),
    ("Osaka", "Japan"),
    ("Wellington", "New Zealand"),
)
# (job, field of training)
JOBS: tuple[tuple[str, str], ...] = (
    ("nurse", "nursing"),
    ("software engineer", "computer science"),
    ("teacher", "education"),
    ("architect", "architecture"),
    ("accountant", "accounting"),
    ("graphic designer", "design"),
    ("pharmacist", "pharmacy"),
    ("physiotherapist", "physiotherapy"),
    ("chef", "culinary arts"),
    ("veterinarian", "veterinary medicine"),
    ("electrician", "electrical engineering"),
    ("journalist", "journalism"),
    ("data analyst", "statistics"),
    ("lawyer", "law"),
)
EMPLOYERS: tuple[str, ...] = (
    "Brightwave",
    "Northpeak Systems",
    "Cedar Health",
    "Bluefin Labs",
    "Lumen Press",
    "Redwood Bank",
    "Atlas Logistics",
    "Greenleaf Foods",
    "Orbit Studios",
    "Summit Schools",
    "Kestrel Design",
    "Maple Hospital",
)
# (hobby, verb phrase for "Does X still ...?", open-domain question or "")
HOBBIES: tuple[tuple[str, str, str], ...] = (
    ("chess", "play chess", "Would {n} likely enjoy watching a chess tournament?"),
    ("hiking", "go hiking", "Would {n} likely enjoy a trip to a national park?"),
    ("pottery", "do pottery", "Would {n} likely want a visit to a ceramics studio?"),
    ("painting", "paint", "Would {n} likely enjoy a visit to an art museum?"),
    ("rock climbing", "go rock climbing", "Would {n} likely own climbing shoes?"),
    ("running", "run", "Would {n} likely sign up for a 10K race?"),
    ("gardening", "garden", "Would {n} likely own a set of garden tools?"),
    ("photography", "do photography", "Would {n} likely own a good camera?"),
    ("knitting", "knit", "Would {n} likely keep a stash of yarn at home?"),
    ("yoga", "do yoga", "Would {n} likely own a yoga mat?"),
    ("baking", "bake", ""),
    ("surfing", "surf", "Would {n} likely enjoy a beach holiday?"),
    ("birdwatching", "go birdwatching", "Would {n} likely own a pair of binoculars?"),
    ("salsa dancing", "go salsa dancing", ""),
    ("cycling", "cycle", "Would {n} likely own a bike helmet?"),
    ("board games", "play board games", ""),
)
FOODS: tuple[str, ...] = (
    "sushi",
    "tacos",
    "lasagna",
    "pad thai",
    "ramen",
    "paella",
    "dumplings",
    "falafel",
    "pho",
    "butter chicken",
    "mushroom risotto",
    "margherita pizza",
)
CARS: tuple[str, ...] = (
    "Honda Civic",
    "Toyota Corolla",
    "Tesla Model 3",
    "Subaru Outback",
    "Ford Focus",
    "Mazda CX-5",
    "Volkswagen Golf",
    "Kia Niro",
    "Jeep Wrangler",
    "Volvo XC40",
)
INSTRUMENTS: tuple[str, ...] = (
    "guitar",
    "piano",
    "violin",
    "cello",
    "drums",
    "ukulele",
    "saxophone",
    "flute",
    "trumpet",
    "harp",
)
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("Spanish", "Spain"),
    ("Japanese", "Japan"),
    ("Italian", "Italy"),
    ("French", "France"),
    ("German", "Germany"),
    ("Korean", "South Korea"),
    ("Portuguese", "Portugal"),
    ("Greek", "Greece"),
    ("Dutch", "the Netherlands"),
    ("Turkish", "Turkey"),
    ("Swedish", "Sweden"),
)
# partner status progression: (status, past event, event infinitive)
PARTNER_STATUSES: tuple[tuple[str, str, str], ...] = (
    ("dating", "started dating", "start dating"),
    ("engaged to", "got engaged", "get engaged"),
    ("married to", "got married", "get married"),
)

GREETINGS: tuple[str, ...] = (
    "Hey {other}! Great to hear from you. How have you been?",
    "Hi {other}! It's been a while, how are things?",
    "Hey {other}, good to catch up again!",
    "Hi {other}! What's new with you?",
)
GREETING_REPLIES: tuple[str, ...] = (
    "Hi {other}! I'm doing well, thanks for asking.",
    "Hey {other}! Good to hear from you too.",
    "Hi! Things are busy but good. How about you?",
)
CHITCHAT: tuple[str, ...] = (
    "Haha, that's great!",
    "Oh wow, I had no idea!",
    "That sounds lovely.",
    "It's been raining non-stop here, so I've mostly stayed indoors.",
    "The weather has been so nice lately, perfect for a walk.",
    "How's your week going so far?",
    "Honestly, I can totally relate.",
    "That's awesome, I'm really happy for you!",
    "Sounds like a lot going on. How are you holding up?",
    "Ha, classic!",
    "I know what you mean, time flies.",
    "Oh no, that sounds stressful.",
    "Tell me more about that!",
    "Wow, that's a big change!",
    "Same here, it's been a busy month.",
    "It's so hot today, I can barely think.",
    "Fingers crossed everything goes well!",
    "That made me laugh, thanks for sharing.",
)
FAREWELLS: tuple[str, ...] = (
    "Anyway, I should get going. Talk soon, {other}!",
    "Great catching up! Let's talk again soon.",
    "Take care, {other}! Chat later.",
    "I have to run, but this was fun. Bye!",
)


@dataclass(frozen=True)
class KindText:
    """The templates of one attribute kind. An empty tuple means the kind never does that."""

    add: tuple[str, ...]
    fact_add: tuple[str, ...]
    now: tuple[str, ...]
    """Fact templates of the current state (used for restatements)."""
    restate: tuple[str, ...]
    add_t: tuple[str, ...] = ()
    fact_add_t: tuple[str, ...] = ()
    upd: tuple[str, ...] = ()
    upd_t: tuple[str, ...] = ()
    fact_upd: tuple[str, ...] = ()
    fact_upd_t: tuple[str, ...] = ()
    dele: tuple[str, ...] = ()
    dele_t: tuple[str, ...] = ()
    fact_dele: tuple[str, ...] = ()
    fact_dele_t: tuple[str, ...] = ()
    q_now: tuple[str, ...] = ()
    """Questions whose answer is the current ``{v}`` (single-hop; multi-hop for sibling_city)."""
    q_prev: tuple[str, ...] = ()
    """Questions whose answer is the value before the latest update (``{old_v}``)."""
    q_when: tuple[str, ...] = ()
    """Questions whose answer is the date of the event that set the current value."""
    q_still: tuple[str, ...] = ()
    """Questions about a deleted value, answered "No"."""
    open_q: str = ""
    """Open-domain question about the current value (``open_a`` formats its answer)."""
    open_a: str = "Yes"

    @property
    def updatable(self) -> bool:
        return bool(self.upd)

    @property
    def deletable(self) -> bool:
        return bool(self.dele)

    @property
    def timeable(self) -> bool:
        return bool(self.add_t)


KINDS: dict[str, KindText] = {
    "city": KindText(
        add=(
            "I live in {v} these days.",
            "Things are good here in {v}, I really like my neighbourhood.",
            "Living in {v} keeps me busy, there's always something going on.",
        ),
        add_t=("I moved to {v} {rel}, still unpacking boxes!", "I finally relocated to {v} {rel}."),
        fact_add=("{n} lives in {v}.", "{n} is based in the city of {v}."),
        fact_add_t=("{n} has lived in {v} since {since}.", "{n} moved to {v} {when}."),
        now=("{n} lives in {v}.",),
        restate=(
            "{v} is treating me well, I still love living here.",
            "Another lovely week in {v}.",
        ),
        upd=(
            "Big news: I moved to {v}! Leaving {old_v} was hard.",
            "I'm living in {v} now, I packed up and left {old_v}.",
        ),
        upd_t=(
            "I moved from {old_v} to {v} {rel}!",
            "I said goodbye to {old_v} and moved to {v} {rel}.",
        ),
        fact_upd=("{n} now lives in {v}, having moved from {old_v}.",),
        fact_upd_t=("{n} moved from {old_v} to {v} {when} and now lives in {v}.",),
        q_now=("Where does {n} live now?", "Which city does {n} currently live in?"),
        q_prev=("Where did {n} live before moving to {v}?",),
        q_when=("When did {n} move to {v}?",),
        open_q="In which country does {n} most likely live?",
        open_a="{country}",
    ),
    "job": KindText(
        add=(
            "I work as {a} {v}.",
            "Being {a} {v} is tiring but I love it.",
            "Work as {a} {v} has been hectic lately.",
        ),
        add_t=("I started working as {a} {v} {rel}!", "I got a job as {a} {v} {rel}."),
        fact_add=("{n} works as {a} {v}.", "{n} is {a} {v} by profession."),
        fact_add_t=("{n} has worked as {a} {v} since {since}.",),
        now=("{n} works as {a} {v}.",),
        restate=(
            "Being {a} {v} still keeps me on my toes.",
            "Long day today, that's life as {a} {v}.",
        ),
        upd=(
            "I changed careers, I'm {a} {v} now instead of {old_a} {old_v}.",
            "I'm not {old_a} {old_v} anymore, I retrained as {a} {v}.",
        ),
        upd_t=("I left my job as {old_a} {old_v} and started working as {a} {v} {rel}.",),
        fact_upd=("{n} now works as {a} {v}, having previously worked as {old_a} {old_v}.",),
        fact_upd_t=("{n} has worked as {a} {v} since {since}, after working as {old_a} {old_v}.",),
        q_now=("What does {n} do for a living?", "What is {n}'s job?"),
        q_prev=("What did {n} work as before becoming {a} {v}?",),
        q_when=("When did {n} start working as {a} {v}?",),
        open_q="What field did {n} most likely train in?",
        open_a="{field}",
    ),
    "employer": KindText(
        add=(
            "I work at {v}.",
            "Things at {v} have been busy, my team is great though.",
            "My office at {v} just got renovated.",
        ),
        add_t=("I joined {v} {rel}!", "I started at a company called {v} {rel}."),
        fact_add=("{n} works at {v}.", "{n} is employed by {v}."),
        fact_add_t=("{n} has worked at {v} since {since}.",),
        now=("{n} works at {v}.",),
        restate=("Another busy week at {v}.", "The people at {v} are still great to work with."),
        upd=("I left {old_v} and joined {v}.", "I work at {v} now, I finally quit {old_v}."),
        upd_t=(
            "I moved from {old_v} to {v} {rel}.",
            "I started at {v} {rel}, leaving {old_v} behind.",
        ),
        fact_upd=("{n} now works at {v}, having left {old_v}.",),
        fact_upd_t=("{n} has worked at {v} since {since}, after leaving {old_v}.",),
        dele=(
            "I left {v}, and I'm taking a break from work for now.",
            "I quit my job at {v}, I'm between jobs at the moment.",
        ),
        dele_t=("I left {v} {rel}, taking some time off before looking for something new.",),
        fact_dele=("{n} no longer works at {v} and is between jobs.",),
        fact_dele_t=("{n} left {v} {when} and is between jobs.",),
        q_now=("Which company does {n} work for?", "Where does {n} work?"),
        q_prev=("Where did {n} work before joining {v}?",),
        q_when=("When did {n} start working at {v}?",),
        q_still=("Does {n} still work at {v}?",),
    ),
    "pet": KindText(
        add=(
            "I have a {sp} named {v}, the sweetest little thing.",
            "My {sp} {v} keeps me company when I work from home.",
            "{v}, my {sp}, made a huge mess again this morning.",
        ),
        add_t=("We adopted a {sp} named {v} {rel}!", "I brought home a {sp} called {v} {rel}."),
        fact_add=("{n} has a {sp} named {v}.", "{n} owns a pet {sp} called {v}."),
        fact_add_t=(
            "{n} has had a {sp} named {v} since {since}.",
            "{n} adopted a {sp} named {v} {when}.",
        ),
        now=("{n} has a {sp} named {v}.",),
        restate=("{v} has been such a good {sp} lately.", "My {sp} {v} says hi, by the way!"),
        dele=(
            "My {sp} {v} passed away. I miss {v} so much.",
            "I had to rehome my {sp} {v}, it was heartbreaking.",
        ),
        dele_t=("My {sp} {v} passed away {rel}, the house feels so empty.",),
        fact_dele=("{n} no longer has {pos} {sp} {v}.",),
        fact_dele_t=("{n} lost {pos} {sp} {v} {when}.",),
        q_now=("What is the name of {n}'s {sp}?",),
        q_when=("When did {n} get {pos} {sp} {v}?",),
        q_still=("Does {n} still have {pos} {sp} {v}?",),
    ),
    "partner": KindText(
        add=("I've been seeing someone, {name}. It's going really well.", "I'm dating {name} now!"),
        add_t=(
            "I started dating {name} {rel}!",
            "{name} and I made it official {rel}, we're dating!",
        ),
        fact_add=("{n} is dating {name}.",),
        fact_add_t=("{n} has been dating {name} since {since}.",),
        now=("{n} is {status} {name}.",),
        restate=("{name} says hi, by the way.", "{name} and I are still going strong."),
        upd=("{name} and I {event}!", "Guess what, {name} and I {event}!"),
        upd_t=("{name} and I {event} {rel}!",),
        fact_upd=("{n} is now {status} {name}.",),
        fact_upd_t=(
            "{n} {event} {when} and is now {status} {name}.",
            "{n} has been {status} {name} since {since}.",
        ),
        dele=(
            "{name} and I broke up. It was mutual, but still sad.",
            "I'm single again, {name} and I split up.",
        ),
        dele_t=("{name} and I broke up {rel}.",),
        fact_dele=("{n} and {name} broke up, so {n} is single.",),
        fact_dele_t=("{n} and {name} broke up {when}.",),
        q_now=("What is {n}'s relationship status?",),
        q_when=("When did {n} and {name} {event_inf}?",),
        q_still=("Is {n} still with {name}?",),
    ),
    "hobby": KindText(
        add=(
            "I've gotten really into {v} lately.",
            "{v} is my favourite way to unwind these days.",
            "I try to {act} every weekend.",
        ),
        add_t=("I took up {v} {rel} and I'm hooked!", "I started {v} {rel}, it's so much fun."),
        fact_add=("{n} enjoys {v}.", "{n} has {v} as a hobby."),
        fact_add_t=("{n} took up {v} {when}.", "{n} has been into {v} since {since}."),
        now=("{n} enjoys {v}.",),
        restate=("I still {act} whenever I get the chance.", "{v} is still my go-to way to relax."),
        dele=(
            "I gave up {v}, I just don't have the time anymore.",
            "I don't {act} anymore, I lost interest.",
        ),
        dele_t=("I gave up {v} {rel}, my heart wasn't in it anymore.",),
        fact_dele=("{n} gave up {v}.",),
        fact_dele_t=("{n} gave up {v} {when}.",),
        q_now=("What hobby does {n} have?",),
        q_when=("When did {n} take up {v}?",),
        q_still=("Does {n} still {act}?",),
    ),
    "food": KindText(
        add=(
            "{v} is my absolute favourite food.",
            "Nothing beats {v}, it's my favourite.",
            "I could eat {v} every day, it's my favourite dish.",
        ),
        fact_add=("{n}'s favourite food is {v}.", "{n} loves {v} more than any other food."),
        now=("{n}'s favourite food is {v}.",),
        restate=("Had {v} again for dinner, still my favourite.", "I'm craving {v} again."),
        upd=(
            "I've gone off {old_v}, these days my favourite food is {v}.",
            "My favourite food used to be {old_v}, but now it's definitely {v}.",
        ),
        fact_upd=("{n}'s favourite food is now {v}, replacing {old_v}.",),
        q_now=("What is {n}'s favourite food?",),
        q_prev=("What was {n}'s favourite food before {v}?",),
    ),
    "sibling": KindText(
        add=(
            "I have a {kin} named {v}, we're very close.",
            "I talked to my {kin} {v} on the phone for hours.",
        ),
        fact_add=("{n} has a {kin} named {v}.",),
        now=("{n} has a {kin} named {v}.",),
        restate=(
            "My {kin} {v} always asks about you.",
            "My {kin} {v} and I still talk every week.",
        ),
        q_now=("What is the name of {n}'s {kin}?",),
    ),
    "sibling_city": KindText(
        add=(
            "{sib} lives in {v}, so I visit {v} pretty often.",
            "{sib} loves living in {v}, I should visit more.",
        ),
        add_t=("{sib} moved to {v} {rel}.",),
        fact_add=("{n}'s {kin} {sib} lives in {v}.",),
        fact_add_t=("{n}'s {kin} {sib} has lived in {v} since {since}.",),
        now=("{n}'s {kin} {sib} lives in {v}.",),
        restate=("{sib} is loving life in {v}.", "I might visit {sib} in {v} soon."),
        upd=(
            "{sib} just moved from {old_v} to {v}!",
            "{sib} doesn't live in {old_v} anymore, {v} is home now.",
        ),
        upd_t=("{sib} packed up and moved from {old_v} to {v} {rel}.",),
        fact_upd=("{n}'s {kin} {sib} now lives in {v}, having moved from {old_v}.",),
        fact_upd_t=("{n}'s {kin} {sib} moved from {old_v} to {v} {when}.",),
        q_now=("Where does {n}'s {kin} live?", "Which city does {n}'s {kin} live in?"),
        q_prev=("Where did {n}'s {kin} live before moving to {v}?",),
        q_when=("When did {n}'s {kin} move to {v}?",),
    ),
    "car": KindText(
        add=(
            "I drive a {v}, it's been super reliable.",
            "My {v} needs new tyres again.",
            "I took my {v} on a road trip over the weekend.",
        ),
        add_t=("I bought a {v} {rel}!", "I finally got a car {rel}, a {v}."),
        fact_add=("{n} drives a {v}.", "{n} owns a {v}."),
        fact_add_t=("{n} has owned a {v} since {since}.", "{n} bought a {v} {when}."),
        now=("{n} drives a {v}.",),
        restate=("The {v} is still running great.", "Washed the {v} today, it looks shiny."),
        upd=("I traded in my {old_v} for a {v}.", "I sold the {old_v} and got a {v} instead."),
        upd_t=("I swapped my {old_v} for a {v} {rel}.",),
        fact_upd=("{n} now drives a {v}, having traded in {pos} {old_v}.",),
        fact_upd_t=("{n} replaced {pos} {old_v} with a {v} {when}.",),
        dele=("I sold my {v}, I bike everywhere now.", "I got rid of my {v}, I don't need a car."),
        dele_t=("I sold my {v} {rel}, I'm taking the bus now.",),
        fact_dele=("{n} sold {pos} {v} and no longer has a car.",),
        fact_dele_t=("{n} sold {pos} {v} {when} and no longer has a car.",),
        q_now=("What car does {n} drive?",),
        q_prev=("What car did {n} drive before the {v}?",),
        q_when=("When did {n} get {pos} {v}?",),
        q_still=("Does {n} still own a {v}?",),
        open_q="Would {n} likely need a driver's license?",
    ),
    "instrument": KindText(
        add=(
            "I'm learning to play the {v}.",
            "My {v} lessons are going well.",
            "I practised the {v} for two hours today.",
        ),
        add_t=(
            "I started {v} lessons {rel}!",
            "I bought a {v} {rel} and started learning to play.",
        ),
        fact_add=("{n} is learning to play the {v}.", "{n} takes {v} lessons."),
        fact_add_t=(
            "{n} has been learning the {v} since {since}.",
            "{n} started {v} lessons {when}.",
        ),
        now=("{n} is learning to play the {v}.",),
        restate=("Still practising the {v} every evening.", "My {v} teacher says I'm improving!"),
        upd=(
            "I switched from the {old_v} to the {v}.",
            "I'm learning the {v} now, I gave up on the {old_v}.",
        ),
        upd_t=("I switched from the {old_v} to the {v} {rel}.",),
        fact_upd=("{n} is now learning the {v}, having switched from the {old_v}.",),
        fact_upd_t=("{n} switched from the {old_v} to the {v} {when}.",),
        dele=(
            "I stopped playing the {v}, I couldn't keep up with practice.",
            "No more {v} for me, I quit my lessons.",
        ),
        dele_t=("I quit my {v} lessons {rel}.",),
        fact_dele=("{n} stopped playing the {v}.",),
        fact_dele_t=("{n} quit {v} lessons {when}.",),
        q_now=("Which instrument is {n} learning?",),
        q_prev=("Which instrument did {n} play before the {v}?",),
        q_when=("When did {n} start learning the {v}?",),
        q_still=("Is {n} still learning the {v}?",),
        open_q="Would {n} likely enjoy a concert featuring the {v}?",
    ),
    "language": KindText(
        add=(
            "I'm learning {v} in the evenings.",
            "My {v} classes are getting harder.",
            "I practise {v} with an app every morning.",
        ),
        add_t=("I started learning {v} {rel}!", "I signed up for {v} classes {rel}."),
        fact_add=("{n} is learning {v}.",),
        fact_add_t=("{n} has been learning {v} since {since}.", "{n} started learning {v} {when}."),
        now=("{n} is learning {v}.",),
        restate=("Still practising my {v} every day.", "My {v} is slowly getting better!"),
        upd=(
            "I switched from {old_v} to {v} classes.",
            "I dropped {old_v} and I'm learning {v} now.",
        ),
        upd_t=("I switched from {old_v} to {v} {rel}.",),
        fact_upd=("{n} is now learning {v}, having switched from {old_v}.",),
        fact_upd_t=("{n} switched from learning {old_v} to learning {v} {when}.",),
        dele=(
            "I gave up on learning {v}, it was too much with everything else.",
            "I quit my {v} classes.",
        ),
        dele_t=("I stopped learning {v} {rel}.",),
        fact_dele=("{n} stopped learning {v}.",),
        fact_dele_t=("{n} stopped learning {v} {when}.",),
        q_now=("Which language is {n} learning?",),
        q_prev=("Which language was {n} learning before {v}?",),
        q_when=("When did {n} start learning {v}?",),
        q_still=("Is {n} still learning {v}?",),
        open_q="Which country might {n} visit to practise {v}?",
        open_a="{country}",
    ),
}

HOBBY_LIST_QUESTIONS: tuple[str, ...] = ("What hobbies does {n} have?", "What are {n}'s hobbies?")
SHARED_HOBBY_QUESTIONS: tuple[str, str] = (
    "Which hobby do {a} and {b} both enjoy?",
    "Which hobbies do {a} and {b} both enjoy?",
)
NOT_MENTIONED = "Not mentioned in the conversation"

# -- reserve pools ---------------------------------------------------------------------------------
# A value is drawn from the reserve only once every value of the main pool above has been used by
# that person for that kind, which happens only in long conversations (about 30 sessions and
# more). Short conversations therefore never see these values, and their output stays what it
# was before the reserves existed. Languages and instruments stay inside the closed word classes
# that readers know (the extractive reader's lexicon).
CITIES_MORE: tuple[tuple[str, str], ...] = (
    ("Minneapolis", "USA"),
    ("San Diego", "USA"),
    ("Nashville", "USA"),
    ("Calgary", "Canada"),
    ("Ottawa", "Canada"),
    ("Porto", "Portugal"),
    ("Valencia", "Spain"),
    ("Seville", "Spain"),
    ("Hamburg", "Germany"),
    ("Munich", "Germany"),
    ("Cork", "Ireland"),
    ("Brisbane", "Australia"),
    ("Adelaide", "Australia"),
    ("Glasgow", "Scotland"),
    ("Rotterdam", "the Netherlands"),
    ("Kyoto", "Japan"),
    ("Auckland", "New Zealand"),
    ("Copenhagen", "Denmark"),
    ("Stockholm", "Sweden"),
    ("Vienna", "Austria"),
    ("Prague", "the Czech Republic"),
    ("Zurich", "Switzerland"),
)
JOBS_MORE: tuple[tuple[str, str], ...] = (
    ("dentist", "dentistry"),
    ("librarian", "library science"),
    ("paramedic", "emergency medicine"),
    ("civil engineer", "civil engineering"),
    ("translator", "linguistics"),
    ("social worker", "social work"),
    ("optometrist", "optometry"),
    ("carpenter", "carpentry"),
    ("marine biologist", "marine biology"),
    ("economist", "economics"),
    ("midwife", "midwifery"),
    ("pilot", "aviation"),
    ("dietitian", "nutrition"),
    ("urban planner", "urban planning"),
    ("radiographer", "radiography"),
    ("surveyor", "surveying"),
)
EMPLOYERS_MORE: tuple[str, ...] = (
    "Harbor Analytics",
    "Willow Clinic",
    "Ironbridge Energy",
    "Pinecrest Insurance",
    "Silverline Media",
    "Copperfield Robotics",
    "Meadow Pharma",
    "Starling Airlines",
    "Foxglove Books",
    "Tidewater Shipping",
    "Quartz Telecom",
    "Hollow Oak Games",
    "Riverstone Builders",
    "Beacon Research",
    "Juniper Hotels",
    "Crescent Dairy",
    "Falcon Security",
    "Sapphire Textiles",
)
PARTNERS_MORE: tuple[str, ...] = tuple(
    "Jesse Drew Cameron Reese Skyler Emerson Rowan Hayden Peyton Dakota Sage Finley Blake "
    "Charlie Frankie Kendall Marley Parker".split()
)
PET_NAMES_MORE: tuple[str, ...] = tuple(
    "Maple Ginger Toffee Olive Milo Juniper Pickle Noodle Clover Sunny Buster Daisy Rocket "
    "Peanut Shadow Willow Tofu Comet".split()
)
HOBBIES_MORE: tuple[tuple[str, str, str], ...] = (
    ("kayaking", "go kayaking", "Would {n} likely own a life jacket?"),
    ("woodworking", "do woodworking", "Would {n} likely own a workbench?"),
    ("calligraphy", "practise calligraphy", "Would {n} likely buy fountain pens?"),
    ("skiing", "go skiing", "Would {n} likely enjoy a winter holiday in the mountains?"),
    ("sewing", "sew", "Would {n} likely own a sewing machine?"),
    ("stargazing", "go stargazing", "Would {n} likely own a telescope?"),
    ("fishing", "go fishing", "Would {n} likely own a fishing rod?"),
    ("swimming", "swim", "Would {n} likely have a pool membership?"),
    ("tennis", "play tennis", "Would {n} likely own a tennis racket?"),
    ("embroidery", "do embroidery", ""),
    ("origami", "do origami", ""),
    ("archery", "do archery", "Would {n} likely own a bow?"),
)
FOODS_MORE: tuple[str, ...] = (
    "fish and chips",
    "beef stew",
    "chicken curry",
    "enchiladas",
    "gnocchi",
    "bibimbap",
    "shakshuka",
    "moussaka",
    "spanakopita",
    "katsu curry",
    "lentil soup",
    "fried rice",
    "poke bowls",
    "carbonara",
    "empanadas",
    "laksa",
)
CARS_MORE: tuple[str, ...] = (
    "Hyundai Ioniq",
    "Nissan Leaf",
    "BMW i3",
    "Audi A4",
    "Toyota RAV4",
    "Honda Jazz",
    "Skoda Octavia",
    "Renault Clio",
    "Peugeot 208",
    "Mini Cooper",
    "Fiat 500",
    "Ford Ranger",
    "Subaru Forester",
    "Volvo V60",
    "Mazda MX-5",
    "Kia Sportage",
    "Chevrolet Bolt",
    "Toyota Prius",
)
INSTRUMENTS_MORE: tuple[str, ...] = (
    "viola",
    "clarinet",
    "trombone",
    "banjo",
    "mandolin",
    "accordion",
    "harmonica",
    "oboe",
    "bassoon",
    "tuba",
    "keyboard",
)
LANGUAGES_MORE: tuple[tuple[str, str], ...] = (
    ("Norwegian", "Norway"),
    ("Danish", "Denmark"),
    ("Finnish", "Finland"),
    ("Polish", "Poland"),
    ("Czech", "the Czech Republic"),
    ("Hungarian", "Hungary"),
    ("Vietnamese", "Vietnam"),
    ("Thai", "Thailand"),
    ("Indonesian", "Indonesia"),
    ("Welsh", "Wales"),
    ("Russian", "Russia"),
    ("Hebrew", "Israel"),
)

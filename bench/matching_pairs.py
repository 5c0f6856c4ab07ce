"""A deterministic synthetic set of labelled record pairs for the duplicate-patient matcher.

Each pair is an existing patient record and an incoming referral, labelled duplicate (the
same person) or not, with the kind of variation that makes it tricky. The variations are
written here independently of the matcher: the nickname table below is a hand-written list
of names in common use, not the `nicknames` package the matcher uses, so the benchmark
measures that package's coverage instead of assuming it.

Referrals carry no middle name (the referral form has no such field); patient records may.
Phones are E.164 as stored, except where a kind deliberately spells them differently.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from faker import Faker

SEED = 20240611


@dataclass(frozen=True)
class Record:
    given_name: str
    family_name: str
    birth_date: date
    phone: str = ""
    middle_name: str = ""
    sex: str = "unknown"


@dataclass(frozen=True)
class Pair:
    existing: Record
    referred: Record
    duplicate: bool
    kind: str


# Formal name, nicknames people are registered under (older US population).
NICKNAMES: dict[str, tuple[str, list[str]]] = {
    "William": ("male", ["Bill", "Billy", "Will", "Willie"]),
    "Margaret": ("female", ["Peggy", "Maggie", "Meg", "Marge", "Margie"]),
    "Robert": ("male", ["Bob", "Bobby", "Rob", "Bert"]),
    "Richard": ("male", ["Dick", "Rick", "Rich", "Richie"]),
    "James": ("male", ["Jim", "Jimmy", "Jamie"]),
    "Elizabeth": ("female", ["Betty", "Liz", "Beth", "Betsy", "Libby", "Eliza"]),
    "Sarah": ("female", ["Sally", "Sadie"]),
    "Mary": ("female", ["Polly", "Molly", "Mae"]),
    "John": ("male", ["Jack", "Johnny"]),
    "Henry": ("male", ["Hank", "Harry", "Hal"]),
    "Charles": ("male", ["Chuck", "Charlie", "Chas"]),
    "Edward": ("male", ["Ted", "Ned", "Ed", "Eddie"]),
    "Susan": ("female", ["Sue", "Suzy"]),
    "Katherine": ("female", ["Kathy", "Kate", "Katie", "Kay"]),
    "Patricia": ("female", ["Patsy", "Pat", "Trish", "Patty"]),
    "Anthony": ("male", ["Tony"]),
    "Lawrence": ("male", ["Larry"]),
    "Gerald": ("male", ["Jerry", "Gerry"]),
    "Francis": ("male", ["Frank"]),
    "Harold": ("male", ["Harry", "Hal"]),
    "Dorothy": ("female", ["Dot", "Dottie", "Dolly"]),
    "Virginia": ("female", ["Ginny", "Ginger"]),
    "Rebecca": ("female", ["Becky"]),
    "Abigail": ("female", ["Abby"]),
    "Albert": ("male", ["Al", "Bert"]),
    "Frederick": ("male", ["Fred", "Freddie"]),
    "Walter": ("male", ["Walt"]),
    "Joseph": ("male", ["Joe", "Joey"]),
    "Michael": ("male", ["Mike", "Mickey"]),
    "Thomas": ("male", ["Tom", "Tommy"]),
    "Daniel": ("male", ["Dan", "Danny"]),
    "David": ("male", ["Dave"]),
    "Stephen": ("male", ["Steve"]),
    "Ronald": ("male", ["Ron", "Ronnie"]),
    "Donald": ("male", ["Don", "Donnie"]),
    "Kenneth": ("male", ["Ken", "Kenny"]),
    "Raymond": ("male", ["Ray"]),
    "Eugene": ("male", ["Gene"]),
    "Theresa": ("female", ["Terry", "Tess", "Tessie"]),
    "Constance": ("female", ["Connie"]),
    "Helen": ("female", ["Nell", "Nellie"]),
    "Charlotte": ("female", ["Lottie", "Charlie"]),
    "Harriet": ("female", ["Hattie"]),
    "Victoria": ("female", ["Vicky", "Tori"]),
    "Barbara": ("female", ["Barb", "Babs"]),
    "Deborah": ("female", ["Debbie", "Deb"]),
    "Jennifer": ("female", ["Jenny", "Jen"]),
    "Christopher": ("male", ["Chris", "Kit"]),
    "Nicholas": ("male", ["Nick", "Nicky"]),
    "Samuel": ("male", ["Sam", "Sammy"]),
    "Benjamin": ("male", ["Ben", "Benny"]),
    "Alexander": ("male", ["Alex", "Sandy"]),
    "Catherine": ("female", ["Cathy", "Cate"]),
    "Eleanor": ("female", ["Ellie", "Nora"]),
    "Frances": ("female", ["Fran", "Frannie"]),
    "Josephine": ("female", ["Jo", "Josie"]),
    "Leonard": ("male", ["Len", "Lenny", "Leo"]),
    "Matthew": ("male", ["Matt"]),
    "Timothy": ("male", ["Tim", "Timmy"]),
    "Gregory": ("male", ["Greg"]),
    "Philip": ("male", ["Phil"]),
    "Cynthia": ("female", ["Cindy"]),
    "Pamela": ("female", ["Pam"]),
    "Judith": ("female", ["Judy"]),
    "Beverly": ("female", ["Bev"]),
    "Louise": ("female", ["Lou", "Lulu"]),
    "Augustus": ("male", ["Gus"]),
    "Clarence": ("male", ["Clare"]),
}

# (with marks, as often typed without them or spelt another way)
ACCENTED_GIVEN = [
    ("José", "Jose"),
    ("María", "Maria"),
    ("Jesús", "Jesus"),
    ("Inés", "Ines"),
    ("Ramón", "Ramon"),
    ("Andrés", "Andres"),
    ("Héctor", "Hector"),
    ("Sofía", "Sofia"),
    ("Raúl", "Raul"),
    ("Zoë", "Zoe"),
    ("Renée", "Renee"),
    ("Chloé", "Chloe"),
    ("François", "Francois"),
    ("Hélène", "Helene"),
    ("Jérôme", "Jerome"),
    ("Łukasz", "Lukasz"),
    ("Małgorzata", "Malgorzata"),
    ("Jürgen", "Juergen"),
    ("Jörg", "Joerg"),
    ("Søren", "Soren"),
    ("Bjørn", "Bjorn"),
    ("Åsa", "Asa"),
    ("Agnès", "Agnes"),
    ("Noël", "Noel"),
]
ACCENTED_FAMILY = [
    ("García", "Garcia"),
    ("Martínez", "Martinez"),
    ("Pérez", "Perez"),
    ("Rodríguez", "Rodriguez"),
    ("Hernández", "Hernandez"),
    ("Gómez", "Gomez"),
    ("Núñez", "Nunez"),
    ("Muñoz", "Munoz"),
    ("Peña", "Pena"),
    ("Ibáñez", "Ibanez"),
    ("Müller", "Mueller"),
    ("Müller", "Muller"),
    ("Schröder", "Schroeder"),
    ("Köhler", "Koehler"),
    ("Groß", "Gross"),
    ("Dvořák", "Dvorak"),
    ("Nováková", "Novakova"),
    ("Wałęsa", "Walesa"),
    ("Lefèvre", "Lefevre"),
    ("Béranger", "Beranger"),
    ("Øvergaard", "Overgaard"),
    ("Nguyễn", "Nguyen"),
    ("Trần", "Tran"),
    ("Phạm", "Pham"),
    ("Çelik", "Celik"),
    ("Y\u0131lmaz", "Yilmaz"),
]

# A double or prefixed family name and the ways it arrives on a referral.
COMPOUND_FAMILY = [
    ("García López", ["García", "Garcia-Lopez", "Garcia Lopez", "GarciaLopez"]),
    ("Hernández Ruiz", ["Hernández", "Hernandez-Ruiz", "Hernandez"]),
    ("Martín Sánchez", ["Martín", "Martin-Sanchez", "Martin"]),
    ("Smith-Jones", ["Smith", "Jones", "Smith Jones"]),
    ("Taylor-Brown", ["Taylor", "Brown", "TaylorBrown"]),
    ("Walker-Hughes", ["Walker", "Hughes", "Walker Hughes"]),
    ("de la Cruz", ["Delacruz", "De La Cruz", "Cruz", "Dela Cruz"]),
    ("De Los Santos", ["Delossantos", "Santos", "de los Santos"]),
    ("O'Brien", ["OBrien", "O Brien", "O'brien"]),
    ("O'Connor", ["OConnor", "O Connor"]),
    ("McDonald", ["Mc Donald", "Mcdonald"]),
    ("St. John", ["St John", "Saint John", "StJohn"]),
    ("Van der Berg", ["Vanderberg", "van der Berg", "Van Der Berg"]),
    ("Van Buren", ["Vanburen", "van Buren"]),
    ("D'Angelo", ["DAngelo", "D Angelo", "Dangelo"]),
    ("Lloyd-Williams", ["Lloyd Williams", "Williams", "Lloyd"]),
    ("Da Silva", ["Silva", "DaSilva", "da Silva"]),
    ("Ben-David", ["Ben David", "David", "Bendavid"]),
]

# Same name spelt another way (the phone on both records is the same).
SPELLINGS = [
    ("Katherine", "Catherine"),
    ("Steven", "Stephen"),
    ("Jon", "John"),
    ("Sean", "Shawn"),
    ("Ann", "Anne"),
    ("Geoffrey", "Jeffrey"),
    ("Phillip", "Philip"),
    ("Carl", "Karl"),
    ("Eric", "Erik"),
    ("Marc", "Mark"),
    ("Sara", "Sarah"),
    ("Teresa", "Theresa"),
    ("Allan", "Alan"),
    ("Brian", "Bryan"),
    ("Kristin", "Kristen"),
    ("Lindsey", "Lindsay"),
    ("Elisabeth", "Elizabeth"),
    ("Isabel", "Isabelle"),
    ("Vivian", "Vivienne"),
    ("Jeanette", "Jeannette"),
    ("Marilyn", "Marilynn"),
    ("Caroline", "Carolyn"),
]
FAMILY_SPELLINGS = [
    ("Smith", "Smyth"),
    ("Reid", "Reed"),
    ("Thompson", "Thomson"),
    ("Anderson", "Andersen"),
    ("Peterson", "Petersen"),
    ("Meyer", "Meier"),
    ("Schmidt", "Schmitt"),
    ("Nielsen", "Nielson"),
    ("Gray", "Grey"),
    ("Matthews", "Mathews"),
    ("Phillips", "Philips"),
    ("MacDonald", "McDonald"),
    ("Stewart", "Stuart"),
    ("Jensen", "Jenson"),
    ("Kohn", "Cohn"),
]

# Twins and siblings whose names differ by a letter or two but not in sex.
NEAR_NAMES_OTHER_SEX = [
    ("Daniel", "Daniela"),
    ("Francis", "Frances"),
    ("Jon", "Joan"),
    ("Carl", "Carla"),
    ("Eric", "Erica"),
    ("Paul", "Paula"),
    ("Robert", "Roberta"),
    ("Louis", "Louise"),
    ("Gene", "Jean"),
    ("Andrew", "Andrea"),
    ("Adrian", "Adriana"),
    ("Julian", "Juliana"),
    ("Mario", "Maria"),
    ("Angelo", "Angela"),
    ("Gabriel", "Gabriela"),
    ("Justin", "Justine"),
]

COMMON_NAMES = [
    ("John", "Smith", "male"),
    ("Mary", "Smith", "female"),
    ("James", "Johnson", "male"),
    ("Robert", "Williams", "male"),
    ("Maria", "Garcia", "female"),
    ("Jose", "Rodriguez", "male"),
    ("Michael", "Brown", "male"),
    ("Patricia", "Jones", "female"),
    ("Linda", "Miller", "female"),
    ("David", "Davis", "male"),
    ("Barbara", "Wilson", "female"),
    ("William", "Moore", "male"),
    ("Mary", "Johnson", "female"),
    ("Maria", "Hernandez", "female"),
    ("Thi", "Nguyen", "female"),
    ("Min-jun", "Kim", "male"),
    ("伟", "王", "male"),
    ("芳", "李", "female"),
    ("Richard", "Taylor", "male"),
    ("Susan", "Anderson", "female"),
]

NON_LATIN_LOCALES = ["zh_CN", "ja_JP", "ko_KR", "ru_RU", "el_GR", "ar_AA", "hi_IN"]
LATIN_LOCALES = ["en_US"] * 12 + ["es_MX", "es_MX", "de_DE", "fr_FR", "pl_PL", "it_IT", "vi_VN"]
FAMILY_SUFFIXES = [("Jr.", "Sr."), ("Jr", ""), ("II", ""), ("III", "II"), ("Jr.", "")]
KEYBOARD = {
    "a": "qsz",
    "b": "vn",
    "c": "xv",
    "d": "sf",
    "e": "wr",
    "f": "dg",
    "g": "fh",
    "h": "gj",
    "i": "uo",
    "j": "hk",
    "k": "jl",
    "l": "k",
    "m": "n",
    "n": "bm",
    "o": "ip",
    "p": "o",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "u": "yi",
    "v": "cb",
    "w": "qe",
    "y": "tu",
}


class Generator:
    def __init__(self, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for i, locale in enumerate(sorted(set(LATIN_LOCALES + NON_LATIN_LOCALES))):
            fake = Faker(locale)
            fake.seed_instance(seed + i)
            self.fakers[locale] = fake

    # Building blocks.

    def sex(self) -> str:
        return self.rng.choice(["female", "male"])

    def name(self, sex: str, locale: str | None = None) -> tuple[str, str]:
        fake = self.fakers[locale or self.rng.choice(LATIN_LOCALES)]
        given = fake.first_name_female() if sex == "female" else fake.first_name_male()
        return given, fake.last_name()

    def maybe_unknown(self, sex: str) -> str:
        """Referrals leave the sex unknown one time in five."""
        return sex if self.rng.random() < 0.8 else "unknown"

    def birth_date(self) -> date:
        return date(1925, 1, 1) + timedelta(days=self.rng.randrange(365 * 55))

    def phone(self) -> str:
        area = self.rng.choice(["617", "508", "781", "978", "413", "401", "603", "212", "312"])
        return f"+1{area}{self.rng.randrange(200, 1000)}{self.rng.randrange(10000):04d}"

    def middle(self, sex: str) -> str:
        if self.rng.random() < 0.4:
            return self.name(sex, "en_US")[0]
        return ""

    def person(self, locale: str | None = None, sex: str | None = None) -> Record:
        sex = sex or self.sex()
        given, family = self.name(sex, locale)
        phone = self.phone() if self.rng.random() < 0.85 else ""
        return Record(given, family, self.birth_date(), phone, self.middle(sex), sex)

    def referral_of(self, existing: Record, **changes: object) -> Record:
        """The same person as referred: no middle name, phone as the policy below says."""
        roll = self.rng.random()
        if roll < 0.4:
            phone = existing.phone
        elif roll < 0.75:
            phone = self.phone()
        else:
            phone = ""
        sex = self.maybe_unknown(existing.sex)
        referred = Record(
            existing.given_name, existing.family_name, existing.birth_date, phone, "", sex
        )
        return replace(referred, **changes)

    def typo(self, text: str) -> str:
        letters = [i for i, ch in enumerate(text) if ch.isalpha()]
        if len(letters) < 4:
            return text + text[-1]
        i = self.rng.choice(letters[1:-1])
        op = self.rng.choice(["sub", "del", "ins", "swap"])
        if op == "sub":
            lower = text[i].lower()
            options = KEYBOARD.get(lower, "aeiou")
            return text[:i] + self.rng.choice(options) + text[i + 1 :]
        if op == "del":
            return text[:i] + text[i + 1 :]
        if op == "ins":
            return text[:i] + text[i] + text[i:]
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]

    # Date-of-birth mistakes.

    def day_month_swapped(self, born: date) -> date | None:
        if born.day > 12 or born.day == born.month:
            return None
        return date(born.year, born.day, born.month)

    def year_transposed(self, born: date) -> date | None:
        y = f"{born.year}"
        if y[2] == y[3]:
            return None
        try:
            return born.replace(year=int(y[:2] + y[3] + y[2]))
        except ValueError:
            return None

    def one_day_off(self, born: date) -> date:
        return born + timedelta(days=self.rng.choice([-1, 1]))

    def one_digit(self, born: date) -> date | None:
        text = born.strftime("%Y%m%d")
        position = self.rng.choice([2, 3, 4, 5, 6, 7])
        digit = self.rng.choice([d for d in "0123456789" if d != text[position]])
        changed = text[:position] + digit + text[position + 1 :]
        try:
            return date(int(changed[:4]), int(changed[4:6]), int(changed[6:]))
        except ValueError:
            return None

    def dob_variant(self, born: date) -> tuple[date, str]:
        makers: list[tuple[str, Callable[[date], date | None]]] = [
            ("day/month", self.day_month_swapped),
            ("year transposed", self.year_transposed),
            ("one day", self.one_day_off),
            ("one digit", self.one_digit),
        ]
        for _ in range(20):
            label, make = self.rng.choice(makers)
            changed = make(born)
            if changed is not None and changed != born:
                return changed, label
        return self.one_day_off(born), "one day"

    def unrelated_date(self, born: date, min_days: int = 400) -> date:
        while True:
            other = self.birth_date()
            if abs((other - born).days) >= min_days and other.month != born.month:
                return other


def duplicates(gen: Generator) -> list[Pair]:
    rng = gen.rng
    pairs: list[Pair] = []

    def add(existing: Record, referred: Record, kind: str) -> None:
        pairs.append(Pair(existing, referred, True, kind))

    for _ in range(60):
        p = gen.person()
        add(p, gen.referral_of(p), "exact")

    formal_names = sorted(NICKNAMES)
    for i in range(140):
        formal = rng.choice(formal_names)
        sex, nicks = NICKNAMES[formal]
        p = replace(gen.person(sex=sex), given_name=formal)
        nick = rng.choice(nicks)
        if i % 4 == 3 and len(nicks) > 1:
            # Both records carry a nickname, different ones (Peggy / Maggie).
            p = replace(p, given_name=nick)
            nick = rng.choice([n for n in nicks if n != nick])
        elif i % 2:
            p, nick = replace(p, given_name=nick), formal
        add(p, gen.referral_of(p, given_name=nick), "nickname")

    for i in range(100):
        p = gen.person(locale=rng.choice(["es_MX", "de_DE", "fr_FR", "pl_PL", "vi_VN"]))
        accented_given, plain_given = rng.choice(ACCENTED_GIVEN)
        accented_family, plain_family = rng.choice(ACCENTED_FAMILY)
        which = i % 3
        if which == 0:
            p = replace(p, given_name=accented_given)
            changes = {"given_name": plain_given}
        elif which == 1:
            p = replace(p, family_name=accented_family)
            changes = {"family_name": plain_family}
        else:
            p = replace(p, given_name=accented_given, family_name=accented_family)
            changes = {"given_name": plain_given, "family_name": plain_family}
        if rng.random() < 0.5:
            p, referred = replace(p, **changes), gen.referral_of(p)
        else:
            referred = gen.referral_of(p, **changes)
        add(p, referred, "diacritics")

    for _ in range(100):
        full, arrivals = rng.choice(COMPOUND_FAMILY)
        p = replace(gen.person(), family_name=full)
        other = rng.choice(arrivals)
        if rng.random() < 0.5:
            p, other = replace(p, family_name=other), full
        add(p, gen.referral_of(p, family_name=other), "double family name")

    for i in range(140):
        p = gen.person()
        if i % 3 == 0:
            referred = gen.referral_of(p, given_name=gen.typo(p.given_name))
        elif i % 3 == 1:
            referred = gen.referral_of(p, family_name=gen.typo(p.family_name))
        else:
            referred = gen.referral_of(
                p, given_name=gen.typo(p.given_name), birth_date=gen.dob_variant(p.birth_date)[0]
            )
        add(p, referred, "typo")

    for i in range(90):
        p = gen.person(locale=rng.choice(["en_US", "zh_CN", "ko_KR", "vi_VN", "en_US"]))
        born = p.birth_date if i % 3 else gen.dob_variant(p.birth_date)[0]
        referred = gen.referral_of(
            p, given_name=p.family_name, family_name=p.given_name, birth_date=born
        )
        add(p, referred, "swapped names")

    made = 0
    while made < 90:
        p = gen.person()
        swapped = gen.day_month_swapped(p.birth_date)
        if swapped:
            add(p, gen.referral_of(p, birth_date=swapped), "DOB day/month swapped")
            made += 1
    made = 0
    while made < 70:
        p = gen.person()
        transposed = gen.year_transposed(p.birth_date)
        if transposed:
            add(p, gen.referral_of(p, birth_date=transposed), "DOB year digits transposed")
            made += 1
    for _ in range(70):
        p = gen.person()
        add(p, gen.referral_of(p, birth_date=gen.one_day_off(p.birth_date)), "DOB one day off")
    made = 0
    while made < 60:
        p = gen.person()
        digit = gen.one_digit(p.birth_date)
        if digit and digit != p.birth_date:
            add(p, gen.referral_of(p, birth_date=digit), "DOB one digit wrong")
            made += 1

    for i in range(90):
        if i % 2:
            a, b = rng.choice(SPELLINGS)
            p = replace(gen.person(), given_name=a)
            changes: dict[str, object] = {"given_name": b}
        else:
            a, b = rng.choice(FAMILY_SPELLINGS)
            p = replace(gen.person(), family_name=a)
            changes = {"family_name": b}
        if not p.phone:
            p = replace(p, phone=gen.phone())
        digits = p.phone[2:]
        spelt = rng.choice(
            [
                f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
                f"{digits[:3]}.{digits[3:6]}.{digits[6:]}",
                f"1-{digits[:3]}-{digits[3:6]}-{digits[6:]}",
                digits,
            ]
        )
        born = p.birth_date if i % 3 else gen.dob_variant(p.birth_date)[0]
        add(p, gen.referral_of(p, phone=spelt, birth_date=born, **changes), "same phone, spelling")

    for i in range(90):
        sex = gen.sex()
        p = gen.person(locale="en_US", sex=sex)
        middle = gen.name(sex, "en_US")[0]
        p = replace(p, middle_name=middle)
        style = i % 4
        if style == 0:  # the referral puts the middle name in the first-name field
            referred = gen.referral_of(p, given_name=f"{p.given_name} {middle}")
        elif style == 1:  # with a middle initial
            referred = gen.referral_of(p, given_name=f"{p.given_name} {middle[0]}.")
        elif style == 2:  # known by the middle name
            referred = gen.referral_of(p, given_name=middle)
        else:  # the chart has "Mary Ann" as a first name, the referral just "Mary"
            p = replace(p, given_name=f"{p.given_name} {middle}", middle_name="")
            referred = gen.referral_of(p, given_name=p.given_name.split()[0])
        add(p, referred, "middle name")

    for i in range(80):
        p = gen.person(locale=rng.choice(NON_LATIN_LOCALES))
        born = p.birth_date if i % 2 else gen.dob_variant(p.birth_date)[0]
        add(p, gen.referral_of(p, birth_date=born), "non-Latin script")

    for i in range(100):
        p = gen.person()
        step = i % 5
        if step == 0:
            formal = rng.choice(formal_names)
            sex, nicks = NICKNAMES[formal]
            p = replace(p, given_name=formal, sex=sex)
            referred = gen.referral_of(
                p, given_name=rng.choice(nicks), birth_date=gen.dob_variant(p.birth_date)[0]
            )
        elif step == 1:
            referred = gen.referral_of(
                p,
                given_name=p.family_name,
                family_name=gen.typo(p.given_name),
            )
        elif step == 2:
            accented, plain = rng.choice(ACCENTED_FAMILY)
            p = replace(p, family_name=accented)
            referred = gen.referral_of(
                p, family_name=plain, birth_date=gen.dob_variant(p.birth_date)[0]
            )
        elif step == 3:
            full, arrivals = rng.choice(COMPOUND_FAMILY)
            p = replace(p, family_name=full)
            referred = gen.referral_of(
                p,
                family_name=rng.choice(arrivals),
                given_name=gen.typo(p.given_name),
            )
        else:
            referred = gen.referral_of(
                p,
                family_name=gen.typo(p.family_name),
                birth_date=gen.dob_variant(p.birth_date)[0],
            )
        add(p, referred, "combined variations")

    for _ in range(30):
        p = gen.person(sex="female")
        new_family = gen.name("female")[1]
        phone = p.phone if rng.random() < 0.5 else gen.phone()
        add(p, gen.referral_of(p, family_name=new_family, phone=phone), "family name changed")

    for _ in range(25):
        p = replace(gen.person(), phone=gen.phone())
        add(
            p,
            gen.referral_of(p, phone=p.phone, birth_date=gen.unrelated_date(p.birth_date)),
            "DOB wrong, same name and phone",
        )
    return pairs


def non_duplicates(gen: Generator) -> list[Pair]:
    rng = gen.rng
    pairs: list[Pair] = []

    def add(existing: Record, referred: Record, kind: str) -> None:
        pairs.append(Pair(existing, referred, False, kind))

    def other_phone(phone: str) -> str:
        return gen.phone() if rng.random() < 0.85 else ""

    for _ in range(40):
        given, family, sex = rng.choice(COMMON_NAMES)
        a = replace(gen.person(sex=sex), given_name=given, family_name=family, phone=gen.phone())
        b = replace(gen.person(sex=sex), given_name=given, family_name=family, phone=gen.phone())
        add(a, replace(b, birth_date=a.birth_date, middle_name=""), "same name and DOB")

    for i in range(120):
        a = gen.person()
        if i % 3 == 0:
            name_a, name_b = rng.choice(NEAR_NAMES_OTHER_SEX)
            a = replace(a, given_name=name_a, sex="male", middle_name="")
            b_given, b_sex = name_b, "female"
        else:
            b_sex = a.sex if rng.random() < 0.5 else gen.sex()
            b_given = a.given_name
            while b_given == a.given_name:
                b_given = gen.name(b_sex, "en_US")[0]
        born = a.birth_date if rng.random() < 0.95 else gen.one_day_off(a.birth_date)
        phone = a.phone if rng.random() < 0.8 else other_phone(a.phone)
        b = Record(b_given, a.family_name, born, phone, "", gen.maybe_unknown(b_sex))
        add(a, b, "twins")

    for _ in range(120):
        a = gen.person()
        b_sex = gen.sex()
        b_given = a.given_name
        while b_given == a.given_name:
            b_given = gen.name(b_sex, "en_US")[0]
        born = a.birth_date + timedelta(days=rng.randrange(300, 365 * 12) * rng.choice([-1, 1]))
        phone = a.phone if rng.random() < 0.4 else other_phone(a.phone)
        b = Record(b_given, a.family_name, born, phone, "", gen.maybe_unknown(b_sex))
        add(a, b, "siblings")

    for _ in range(120):
        a = gen.person()
        b_sex = "male" if a.sex == "female" else "female"
        if rng.random() < 0.1:
            b_sex = a.sex
        b_given, b_family = gen.name(b_sex)
        family = a.family_name if rng.random() < 0.75 else b_family
        born = a.birth_date + timedelta(days=rng.randrange(0, 365 * 10) * rng.choice([-1, 1]))
        phone = a.phone or gen.phone()
        a = replace(a, phone=phone)
        b = Record(b_given, family, born, phone, "", gen.maybe_unknown(b_sex))
        add(a, b, "spouses sharing a phone")

    for i in range(80):
        father = gen.person(sex="male")
        son_suffix, father_suffix = rng.choice(FAMILY_SUFFIXES)
        if i % 10 < 3:
            son_suffix = father_suffix = ""
        father = replace(father, family_name=f"{father.family_name} {father_suffix}".strip())
        son_family = f"{father.family_name.removesuffix(father_suffix).strip()} {son_suffix}"
        born = father.birth_date + timedelta(days=rng.randrange(365 * 20, 365 * 40))
        phone = father.phone if rng.random() < 0.6 else other_phone(father.phone)
        son = Record(father.given_name, son_family.strip(), born, phone, "", "male")
        add(father, son, "father and son")

    for _ in range(120):
        given, family, sex = rng.choice(COMMON_NAMES)
        a = replace(gen.person(sex=sex), given_name=given, family_name=family)
        b = Record(given, family, gen.unrelated_date(a.birth_date), other_phone(a.phone), "", sex)
        add(a, b, "common name, other DOB")

    facility = [gen.phone() for _ in range(6)]
    for _ in range(80):
        phone = rng.choice(facility)
        a = replace(gen.person(), phone=phone)
        b = replace(gen.person(), phone=phone, middle_name="")
        add(a, b, "nursing-home phone")

    for i in range(100):
        locale = rng.choice(NON_LATIN_LOCALES) if i % 3 == 0 else None
        a = gen.person(locale=locale)
        b = replace(gen.person(locale=locale), birth_date=a.birth_date, middle_name="")
        b = replace(b, phone=other_phone(a.phone))
        add(a, b, "same DOB, other name")

    common_families = ["Smith", "Nguyen", "Kim", "Garcia", "Lee", "Johnson", "Patel", "Wang"]
    for _ in range(60):
        family = rng.choice(common_families)
        a = replace(gen.person(), family_name=family)
        b_sex = gen.sex()
        b_given = a.given_name
        while b_given == a.given_name:
            b_given = gen.name(b_sex, "en_US")[0]
        add(
            a,
            Record(b_given, family, a.birth_date, other_phone(a.phone), "", b_sex),
            "same family name and DOB",
        )

    for i in range(80):
        a = gen.person()
        if i % 2:
            a_given, b_given = rng.choice(SPELLINGS)
            a = replace(a, given_name=a_given)
            b = Record(b_given, a.family_name, gen.unrelated_date(a.birth_date))
        else:
            a_family, b_family = rng.choice(FAMILY_SPELLINGS)
            a = replace(a, family_name=a_family)
            b = Record(a.given_name, b_family, gen.unrelated_date(a.birth_date))
        add(a, replace(b, phone=other_phone(a.phone), sex=a.sex), "similar name, other DOB")

    for _ in range(80):
        a, b = gen.person(), replace(gen.person(), middle_name="")
        add(a, b, "unrelated")
    return pairs


def generate(seed: int = SEED) -> list[Pair]:
    gen = Generator(seed)
    return duplicates(gen) + non_duplicates(gen)

"""The word banks of the lesson corpus (`app.corpora.lesson`) and the numbers that shape it.

The banks are every opener, reason phrase, adverb and object of the `tense` documents, and every cuisine
and its foods, name and its gender, pronoun, habit, guess, "likes" and "link" phrase of the `cuisine` and
`passage` documents; the constants are the clause lengths (MAX_CLAUSE), the verb of each tense (VERB), the
mix of document kinds (KINDS, MIX), the split sizes (SPLIT_SIZES), the held-out fraction of each
combination universe (HELDOUT_FRACTION) and the lecture's combinations pinned to train (PINNED).

Data only: no imports, and no logic beyond the lookups derived from the banks (CUISINE_OF, FOODS, NAMES,
GENDER). `app.corpora.lesson` builds the documents from them and re-exports every name, so code reads them
as `lesson.PRESENT_OPENERS`, `lesson.CUISINES` and so on.
"""

PRESENT_OPENERS = (
    "Today", "These days", "This year", "Right now", "Nowadays",
    "At the moment", "This month", "Currently", "This week", "At present",
)  # fmt: skip
PAST_OPENERS = (
    "Last year", "Yesterday", "Last month", "In 2019", "Two years ago",
    "Back then", "Last week", "In 2015", "In 2008", "A decade ago",
)  # fmt: skip

# Reasons: shared by both tenses and drawn independently of the tense. Lengths 2..9 words, so that any
# clause length 0..25 can be built exactly (with the one-word adverbs below for the odd cases).
REASONS = (
    "due to my current job situation and family conditions",  # the lecture's (9 words)
    "because of the medical bills for my mother",
    "due to the high cost of living",
    "since my old car kept breaking down",
    "since the bank raised its rates",
    "because my landlord sold the building",
    "because of the rising prices",
    "after talking with my family",
    "after losing a big client",
    "due to the new baby",
    "with no savings left",
    "because of high rent",
    "without a steady income",
    "because of my studies",
    "after much thought",
    "given the circumstances",
    "for my children",
    "after everything",
    "without savings",
    "without help",
    "after reflection",
)
ADVERBS = ("unfortunately", "honestly", "sadly", "frankly")
OBJECTS = (
    "take a loan", "sell my car", "move to a smaller flat", "work two jobs", "borrow money from my parents",
    "cancel my holiday", "find a second job", "cut my expenses", "rent out a room", "sell my house",
    "ask for a raise", "postpone my studies", "open a savings account", "give up my gym membership",
)  # fmt: skip
MAX_CLAUSE = 25  # words in the reason clause: 0..MAX_CLAUSE
VERB = {"present": "need", "past": "had"}

CUISINES: dict[str, tuple[str, ...]] = {
    "Indian": ("samosa", "biryani", "dosa", "paneer tikka", "chana masala"),
    "Italian": ("pasta and cheese", "pastas and cheese", "pizza", "risotto", "lasagna", "pasta"),
    "Japanese": ("sushi", "ramen", "tempura", "miso soup", "udon"),
    "Mexican": ("tacos", "burritos", "enchiladas", "quesadillas", "guacamole"),
    "Chinese": ("dumplings", "fried rice", "chow mein", "spring rolls", "peking duck"),
    "French": ("croissants", "crepes", "ratatouille", "quiche", "baguettes"),
    "Thai": ("green curry", "tom yum", "som tam", "khao soi"),
}
CUISINE_OF = {food: cuisine for cuisine, foods in CUISINES.items() for food in foods}
FOODS = tuple(CUISINE_OF)

MALE_NAMES = (
    "Dhaval", "Bhavin", "Rahul", "Arjun", "Vikram", "Karan", "Marco", "Luca", "Kenji", "Hiroshi", "Carlos",
    "Diego", "Wei", "Jun", "Pierre", "Louis", "Somchai", "James", "David", "Omar", "Ali",
)  # fmt: skip
FEMALE_NAMES = (
    "Priya", "Anjali", "Neha", "Pooja", "Sofia", "Giulia", "Yuki", "Hana", "Maria", "Lucia", "Mei", "Lin",
    "Claire", "Amelie", "Emma", "Sarah", "Fatima", "Aisha", "Nisha", "Malee",
)  # fmt: skip
NAMES = MALE_NAMES + FEMALE_NAMES
GENDER = {**{n: "m" for n in MALE_NAMES}, **{n: "f" for n in FEMALE_NAMES}}
PRONOUN = {"m": ("he", "his", "His"), "f": ("she", "her", "Her")}  # subject, possessive, capitalised
SIBLING = {"m": "brother", "f": "sister"}

HABITS = ("almost everyday", "every day", "all the time", "whenever {he} can", "every week", "at every meal",
          "most days")  # fmt: skip
GUESSES = (
    "it shouldn't be hard to guess that", "it is easy to guess that", "so you can tell that",
    "so it is no surprise that", "it is not hard to see that", "and everyone knows that",
)  # fmt: skip
LIKES = ("however is a lover of", "however is a big fan of", "on the other hand loves", "however prefers")
LINKS = ("that means", "which means", "so", "and that means")

KINDS = ("tense", "cuisine", "passage")
MIX = {"tense": 0.5, "cuisine": 0.25, "passage": 0.25}
SPLIT_SIZES = {"train": 60_000, "valid": 2_000, "test": 2_000}
HELDOUT_FRACTION = 0.1  # of each combination universe, for valid and again (disjoint) for test

# The lecture's combinations stay in train.
PINNED = frozenset({
    ("opener+length", "Today", "9"),
    ("opener+length", "Last year", "9"),
    ("name+food", "Dhaval", "samosa"),
    ("name+food", "Bhavin", "pasta and cheese"),
    ("name+food", "Bhavin", "pastas and cheese"),
    ("cuisines", "Indian", "Italian"),
})  # fmt: skip

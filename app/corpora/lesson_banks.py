"""The word banks of the lesson corpus (`app.corpora.lesson`) and the numbers that shape it.

Tense documents: time openers (present or past), reason phrases, leads that put the opener later in the
sentence, subjects and objects. Cuisine documents: cuisines and their foods, names and their genders,
verbs of liking, habits, guesses and the endings before the cuisine. Filler: the everyday English words
of `english_words.txt` minus CUE_WORDS (words that would tell the tense or the food). Held out: the
openers and names of HELDOUT_OPENERS and HELDOUT_NAMES never occur in train (they are in the vocabulary).

Data only: no logic beyond lookups derived from the banks (CUISINE_OF, FOODS, NAMES, GENDER).
"""

PRESENT_OPENERS = (
    "Today", "These days", "This year", "Right now", "Nowadays", "At the moment", "This month", "Currently",
    "This week", "At present", "This morning", "Now", "Tonight", "This semester", "For now", "At this point",
    "Tomorrow", "Next week", "Soon", "In the future", "Lately",
)  # fmt: skip
PAST_OPENERS = (
    "Last year", "Yesterday", "Last month", "In 2019", "Two years ago", "Back then", "Last week", "In 2015",
    "In 2008", "A decade ago", "Last night", "Three days ago", "In the past", "Years ago", "Back in 2010",
    "Last semester", "Recently", "Earlier", "Once", "Previously", "Decades ago", "A century ago", "Months ago",
    "Weeks ago", "Last weekend", "Later that year",
)  # fmt: skip
# Openers no training document has (their words are known): the held-out-words test of tense.
HELDOUT_OPENERS = {"present": ("This summer", "At the minute", "This afternoon"),
                   "past": ("Last summer", "In 2012", "A week ago")}  # fmt: skip

# Reasons: shared by both tenses, drawn independently of the tense.
REASONS = (
    "due to my current job situation and family conditions",  # the lecture's (9 words)
    "because of the medical bills for my mother", "due to the high cost of living",
    "since my old car kept breaking down", "since the bank raised its rates", "because my landlord sold the building",
    "because of the rising prices", "after talking with my family", "after losing a big client", "due to the new baby",
    "with no savings left", "because of high rent", "without a steady income", "because of my studies",
    "after much thought", "given the circumstances", "for my children", "after everything", "without savings",
    "without help", "after reflection", "because the trains were late again", "since my brother lost his job",
    "because the school fees went up", "after a long talk with my parents", "because our house needs a new roof",
    "since my phone broke", "because the rent is too high", "after the storm damaged the garden",
    "because my sister is getting married", "with exams coming up", "because my bike was stolen",
)  # fmt: skip
ADVERBS = ("unfortunately", "honestly", "sadly", "frankly", "clearly", "well", "so", "anyway")
# Short phrases before the opener, so the cue is not the first word.
LEADS = ("To be honest", "As you know", "Well", "Sadly", "In short", "As I said", "Believe it or not", "Anyway",
         "My friend asked me why, and")  # fmt: skip
SUBJECTS = ("I", "we", "they", "my family and I", "my friends and I", "you")  # all take need/had
OBJECTS = (
    "take a loan", "sell my car", "move to a smaller flat", "work two jobs", "borrow money from my parents",
    "cancel my holiday", "find a second job", "cut my expenses", "rent out a room", "sell my house",
    "ask for a raise", "postpone my studies", "open a savings account", "give up my gym membership",
    "study for the exam", "walk to school", "leave early", "finish the project", "call the doctor",
    "wake up at six", "share a room", "fix the roof", "stay at home", "change schools",
)  # fmt: skip
VERB = {"present": "need", "past": "had"}
MAX_FILLER = {"tense": 80, "cuisine": 60}  # filler words between cue and prediction: 0..MAX_FILLER
SHORT_FILLER = 12  # half the documents draw their filler length from 0..SHORT_FILLER

CUISINES: dict[str, tuple[str, ...]] = {
    "Indian": ("samosa", "biryani", "dosa", "paneer tikka", "chana masala", "butter chicken", "naan"),
    "Italian": ("pasta and cheese", "pastas and cheese", "pizza", "risotto", "lasagna", "pasta", "spaghetti",
                "gelato"),
    "Japanese": ("sushi", "ramen", "tempura", "miso soup", "udon", "sashimi"),
    "Mexican": ("tacos", "burritos", "enchiladas", "quesadillas", "guacamole", "nachos"),
    "Chinese": ("dumplings", "fried rice", "chow mein", "spring rolls", "peking duck", "dim sum"),
    "French": ("croissants", "crepes", "ratatouille", "quiche", "baguettes", "croque monsieur"),
    "Thai": ("green curry", "tom yum", "som tam", "khao soi", "pad thai"),
}  # fmt: skip
CUISINE_OF = {food: cuisine for cuisine, foods in CUISINES.items() for food in foods}
FOODS = tuple(CUISINE_OF)

MALE_NAMES = (
    "Dhaval", "Bhavin", "Rahul", "Arjun", "Vikram", "Karan", "Marco", "Luca", "Kenji", "Hiroshi", "Carlos",
    "Diego", "Wei", "Jun", "Pierre", "Louis", "Somchai", "James", "David", "Omar", "Ali", "Ravi", "Tom", "Sam",
    "Ben", "Leo", "Max", "Noah", "Adam", "Daniel", "Ahmed", "Yusuf", "Mateo", "Kofi", "Ivan", "Felix",
)  # fmt: skip
FEMALE_NAMES = (
    "Priya", "Anjali", "Neha", "Pooja", "Sofia", "Giulia", "Yuki", "Hana", "Maria", "Lucia", "Mei", "Lin",
    "Claire", "Amelie", "Emma", "Sarah", "Fatima", "Aisha", "Nisha", "Malee", "Anna", "Lily", "Mia", "Zoe",
    "Grace", "Chloe", "Amira", "Elena", "Laura", "Nadia", "Julia", "Rosa", "Ines", "Amara", "Olivia", "Ella",
)  # fmt: skip
NAMES = MALE_NAMES + FEMALE_NAMES
GENDER = {**{n: "m" for n in MALE_NAMES}, **{n: "f" for n in FEMALE_NAMES}}
# Names no training document has: the held-out-words test of cuisine (the food, not the name, decides).
HELDOUT_NAMES = ("Ravi", "Felix", "Kofi", "Lily", "Amara", "Elena")
PRONOUN = {"m": ("he", "his", "His"), "f": ("she", "her", "Her")}  # subject, possessive, capitalised
SIBLING = {"m": "brother", "f": "sister"}

EATS = ("eats", "loves", "orders", "cooks", "enjoys", "always asks for", "can't stop eating", "is a fan of",
        "likes", "makes", "often has")  # fmt: skip
HABITS = ("almost everyday", "every day", "all the time", "whenever {he} can", "every week", "at every meal",
          "most days", "on weekends", "for lunch", "after school")  # fmt: skip
GUESSES = (
    "it shouldn't be hard to guess that", "it is easy to guess that", "so you can tell that",
    "so it is no surprise that", "it is not hard to see that", "and everyone knows that", "so", "which means",
    "and I think", "clearly",
)  # fmt: skip
# The words just before the cuisine ({his}/{he}: the person's pronoun).
ENDINGS = ("{his} favorite cuisine is", "{his} favourite cuisine is", "{his} favorite kind of food is",
           "the cuisine {he} loves most is", "{his} favourite food is")  # fmt: skip
LIKES = ("however is a lover of", "however is a big fan of", "on the other hand loves", "however prefers",
         "loves", "always orders", "eats")  # fmt: skip
LINKS = ("that means", "which means", "so", "and that means", "so clearly", "and I guess")

# Words a filler never has: time words (they would compete with the opener), the verbs and cuisines the
# lessons predict, and the words of the foods (they would compete with the food).
CUE_WORDS = frozenset(
    """today yesterday tomorrow tonight now nowadays currently present past last ago ago next recently
    soon later earlier then once previously formerly lately moment morning afternoon minute week weeks month
    months year years decade decades century semester summer night weekend days had need future
    cuisine food favorite favourite""".split()
)
KINDS = ("tense", "cuisine", "passage")
MIX = {"tense": 0.5, "cuisine": 0.25, "passage": 0.25}
SPLIT_SIZES = {"train": 80_000, "valid": 2_000, "test": 3_000}

# Everyday words the frequency list misses that a class uses (school, family, home, food); in the
# vocabulary and the fillers.
CLASSROOM_WORDS = tuple(
    """homework exam exams classroom classrooms essay essays lesson lessons maths math teacher teachers
    grandmother grandfather grandma grandpa granny cousin cousins aunt uncle mum mom dad parents nephew niece
    sandwich sandwiches vegetables fruit noodles curry spicy fried soup salad bread cakes biscuits cookies
    breakfast lunch dinner snack snacks chocolate rice chicken beef fish cheese eggs juice tea coffee
    guitar piano violin drums football basketball tennis cricket swim swimming laptop tablet phone headphones
    bike bus train trains homework borrow borrowed cancel cancelled canceled nervous presentation project
    documentary cartoon toys toy pencil pen notebook backpack uniform timetable playground canteen
    countryside village beach mountains forest garden kitchen bedroom bathroom practised practiced
    practise practice realise realised rained raining snows snowing sunny windy cloudy hungry thirsty tired bored
    """.split()
)

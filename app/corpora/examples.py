"""Example texts shown as one-click buttons for each bundled model, by training corpus."""

from app.corpora.lecture import EXAMPLES as LECTURE

# The lecture's tense sentence with a long clause (50 words between the opener and "I"), today and last
# year: both `lesson` and `lesson-rnn` carry the tense across it (the RNN holds that one bit in a saturated
# unit); neither the lecture's cuisine sentences, where the RNN guesses and the LSTM is right.
LONG_CLAUSE = (
    "due to my current job situation and family conditions, and because of the rent on our small flat, the long "
    "drive to work in my old car, the cost of food and school books for the whole family and the letters from "
    "the bank that never seem to stop coming"
)
LONG_PRESENT = f"Today, {LONG_CLAUSE}, I need to take a loan."
LONG_PAST = f"Last year, {LONG_CLAUSE}, I had to take a loan."

EXAMPLES: dict[str, tuple[str, ...]] = {
    "lesson": (
        *LECTURE,
        LONG_PRESENT,
        LONG_PAST,
        "Yesterday, because the trains were late again and again, I had to walk to school.",
        "Leo cooks fried rice for his family at least three times a week, so his favorite cuisine is Chinese.",
    ),
    "shakespeare": (
        "HAMLET. To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n",
        "ROMEO. But soft, what light through yonder window breaks?\nIt is the east, and Juliet is the sun.\n",
        "All the world's a stage,\nAnd all the men and women merely players;\n",
    ),
    "python": (
        'def greet(name):\n    """Say hello."""\n    if name:\n        return "Hello, " + name + "!"\n'
        "    return None\n",
        "for i, (key, value) in enumerate(sorted(items.items())):\n    print(f'{i}: {key} = {value!r}')\n",
        "class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):\n"
        "        self.items.append(item)\n",
    ),
}

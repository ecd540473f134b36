"""Example texts shown as one-click buttons for each bundled model, by training corpus."""

from app.corpora.lecture import EXAMPLES as LECTURE

EXAMPLES: dict[str, tuple[str, ...]] = {
    "lesson": (
        *LECTURE,
        "Yesterday, because of the rising prices, I had to sell my car.",
        "These days, after talking with my family, I need to find a second job.",
        "Priya eats sushi every day, it is easy to guess that her favorite cuisine is Japanese.",
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

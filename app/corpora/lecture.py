"""The sentences of the lecture the product grew from: its two lessons are the first demos."""

TENSE_PRESENT = "Today, due to my current job situation and family conditions, I need to take a loan."
TENSE_PAST = "Last year, due to my current job situation and family conditions, I had to take a loan."
CUISINE_ONE = (
    "Dhaval eats samosa almost everyday, it shouldn't be hard to guess that his favorite cuisine is Indian"
)
CUISINE_TWO = (
    "Dhaval eats samosa almost everyday, it shouldn't be hard to guess that his favorite cuisine is Indian. "
    "His brother Bhavin however is a lover of pasta and cheese that means Bhavin's favorite cuisine is Italian"
)

EXAMPLES = (TENSE_PRESENT, TENSE_PAST, CUISINE_ONE, CUISINE_TWO)

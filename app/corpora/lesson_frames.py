"""The sentence frames of the lesson corpus, and which split each belongs to.

A frame is a template: `{slot}` is filled from the banks (`app.corpora.lesson_banks`), `[...]` is left out
when a slot inside it is empty (no filler), and `{cue}` / `{target}` mark the word that decides the lesson
and the word to predict. Frames in "test" never occur in training (or validation) documents: they measure
whether a model learnt the lesson or the training sentences. The lecture's frames ("lecture") are train.

- tense (cue: the time opener, target: need/had after the subject);
- cuisine (cue: the food, target: the cuisine);
- second (a passage's second person: cue the second food, target the second cuisine; a passage is a
  cuisine frame, then a second frame).
"""

from __future__ import annotations

TENSE: dict[str, tuple[str, str]] = {  # id: (template, split)
    "lecture": ("{cue},[ {filler},] {subject} {target} to {obj}.", "train"),
    "no_commas": ("{cue}[ {filler}] {subject} {target} to {obj}.", "train"),
    "because": ("{cue},[ because {filler},] {subject} {target} to {obj}.", "train"),
    "lead": ("{lead}, {cue}[ {filler}], {subject} {target} to {obj}.", "train"),
    "lead_and": ("{lead} {cue},[ {filler} and] {subject} {target} to {obj}.", "train"),
    "adverb": ("{cue}, {adverb},[ {filler},] {subject} {target} to {obj}!", "train"),
    "two_sentences": ("{cue}, {adverb}.[ {filler}.] So {subject} {target} to {obj}.", "test"),
    "parents_said": ("{cue}, my parents said that[ {filler}] and so {subject} {target} to {obj}.", "test"),
    "realised": ("{cue} I realised that[ {filler}], so {subject} {target} to {obj}!", "test"),
}
CUISINE: dict[str, tuple[str, str]] = {
    "lecture": ("{name} eats {cue}[ {filler}], {guess} {ending} {target}.", "train"),
    "verb": ("{name} {eats} {cue}[ {filler}], {guess} {ending} {target}.", "train"),
    "two_sentences": ("{name} {eats} {cue}.[ {filler}.] {guess} {ending} {target}.", "train"),
    "food_first": ("{cue} is what {name} {eats}[ {filler}], so {ending} {target}.", "train"),
    "lead": ("{lead}, {name} {eats} {cue}[ {filler}], and {ending} {target}.", "train"),
    "fan": ("{name} has always been a fan of {cue}[ {filler}]; {guess} {ending} {target}.", "test"),
    "when_out": ("When {name} goes out, {he} {eats} {cue}[ {filler}], {guess} {ending} {target}.", "test"),
    "nothing_beats": ("If you ask {name}, nothing beats {cue}[ {filler}], so {ending} {target}.", "test"),
    "food_first_dash": ("{cue}[ {filler}] - that is what {name} wants every time, so {ending} {target}.", "test"),
}
SECOND: dict[str, tuple[str, str]] = {
    "lecture": ("{His} {sibling} {name2} {likes} {cue}[ {filler}] {link} {name2}'s favorite cuisine is {target}.",
                "train"),
    "but": ("But {name2} {likes} {cue}[ {filler}], {link} {ending2} {target}.", "train"),
    "apposition": ("{name2}, {his} {sibling}, {likes} {cue}[ {filler}], so {ending2} {target}.", "train"),
    "friend": ("{His} friend {name2} {likes} {cue}[ {filler}], {link} {ending2} {target}.", "test"),
    "different": ("{His} {sibling} {name2} is different:[ {filler},] {cue} is what {he2} loves, so {ending2} "
                  "{target}.", "test"),
    "whereas": ("Whereas {name2} {likes} {cue}[ {filler}], and {ending2} {target}.", "test"),
}
FRAMES = {"tense": TENSE, "cuisine": CUISINE, "second": SECOND}


def frames_of(kind: str, split: str) -> tuple[str, ...]:
    """Ids of the frames of `kind` ("tense", "cuisine", "second") in `split`."""
    return tuple(k for k, (_, s) in FRAMES[kind].items() if s == split)

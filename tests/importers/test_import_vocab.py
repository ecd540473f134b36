"""Vocabulary files for imports: JSON list, token→id map (Keras's word_index from 1), id→token map, text."""

import json

import pytest

from app.importers.errors import ImportRefused
from app.importers.vocab import make_tokenizer, read_vocabulary


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


def test_a_json_list_is_the_vocabulary_in_id_order(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "v.json", ["<unk>", "a", "b"]))
    tokenizer, _ = make_tokenizer(vocab, 3, "word")
    assert tokenizer.vocab == ("<unk>", "a", "b") and tokenizer.unk == "<unk>"


def test_keras_word_index_from_1_makes_id_0_the_unknown_token(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "w.json", {"the": 1, "cat": 2, "sat": 3}))
    assert vocab.tokens == (None, "the", "cat", "sat")
    tokenizer, notes = make_tokenizer(vocab, 4, "word")
    assert tokenizer.vocab == ("<unk>", "the", "cat", "sat") and tokenizer.unk_id == 0
    assert [t.id for t in tokenizer.tokenize("the dog sat")] == [1, 0, 3]
    assert any("id 0" in n for n in notes)


def test_char_maps_name_id_0_after_a_replacement_character_they_already_have(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "c.json", {"a": 1, "\ufffd": 2}))
    tokenizer, _ = make_tokenizer(vocab, 3, "char")
    assert tokenizer.vocab == ("<unk>", "a", "\ufffd") and tokenizer.unk_id == 0


def test_an_oov_token_named_with_unk_takes_unknown_tokens(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "w.json", {"<OOV>": 1, "the": 2}))
    tokenizer, _ = make_tokenizer(vocab, 3, "word", unk="<OOV>")
    assert tokenizer.vocab == ("<pad>", "<OOV>", "the")
    assert [t.id for t in tokenizer.tokenize("the end")] == [2, 1]


def test_a_map_longer_than_the_model_is_cut_as_num_words_does(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "w.json", {"a": 1, "b": 2, "c": 3, "d": 4}))
    tokenizer, notes = make_tokenizer(vocab, 3, "word")
    assert tokenizer.vocab == ("<unk>", "a", "b")
    assert any("dropped" in n for n in notes)


def test_an_id_to_token_map_reads_too(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "i.json", {"0": "x", "1": "y"}))
    assert vocab.tokens == ("x", "y")


def test_a_text_file_has_one_token_per_line_and_keeps_spaces(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "v.txt", "a\n \r\nb\n"))
    assert vocab.tokens == ("a", " ", "b")


@pytest.mark.parametrize(("name", "content", "message"), [
    ("v.txt", "a\n\nb\n", "line 2 is empty"),
    ("v.json", {"a": 1, "b": 3}, r"ids \[2\] have no token"),
    ("v.json", {"a": 1, "b": 1}, "share id 1"),
    ("v.json", [1, 2], "token strings"),
    ("v.json", "{not json", "not valid JSON"),
])
def test_broken_vocabularies_are_refused_with_a_reason(tmp_path, name, content, message):
    with pytest.raises(ImportRefused, match=message):
        read_vocabulary(write(tmp_path, name, content))


def test_a_vocabulary_of_the_wrong_size_is_refused(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "v.json", ["a", "b"]))
    with pytest.raises(ImportRefused, match="has 2 ids but the model has 3"):
        make_tokenizer(vocab, 3, "char")


def test_an_unk_not_in_a_full_vocabulary_is_refused(tmp_path):
    vocab = read_vocabulary(write(tmp_path, "v.json", ["a", "b"]))
    with pytest.raises(ImportRefused, match="--unk"):
        make_tokenizer(vocab, 2, "char", unk="?")

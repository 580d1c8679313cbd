"""Inline quotations and their speakers."""

from __future__ import annotations

import pytest

from crawler.extractors.quotes import find_quotes

LESCH = (
    '"I think Putin is there to reinforce the Russian position in Syria and with the person of '
    "Syrian President Bashar al-Assad, especially as Iran's position has been indelibly weakened, "
    'since Soleimani was essentially Iran in Syria," said David Lesch, an expert on Syria.'
)


@pytest.mark.parametrize(
    ("paragraph", "speaker"),
    [
        (LESCH, "David Lesch"),
        ("“We will not back down on this issue,” said David Lesch.", "David Lesch"),
        ("“We will not back down on this issue,” David Lesch said.", "David Lesch"),
        ("“We will not back down on this issue,” Lesch said on Tuesday.", "Lesch"),
        ("“We will not back down on this issue,” Lesch says.", "Lesch"),
        ("“We will not back down on this issue,” according to Kremlin spokesman Dmitry Peskov.",
         "Dmitry Peskov"),
        ("According to Maria Zakharova, “the West will not back down on this.”", "Maria Zakharova"),
        ("Sergei Lavrov told Reuters: “We will not back down on this issue.”", "Sergei Lavrov"),
        ("Russian President Vladimir Putin said: “We will not back down on this issue.”",
         "Vladimir Putin"),
        ("“The war is going badly for them,” said Bashar al-Assad in an interview.",
         "Bashar al-Assad"),
        ("“We will not back down on this issue,” wrote Anna Petrova, a columnist.",
         "Anna Petrova"),
        ("“We will not back down on this issue,” he said.", ""),
        ('The mayor said: "We are building three new schools this year."', ""),
    ],
)
def test_inline_quote_speaker(paragraph: str, speaker: str) -> None:
    quotes = find_quotes(["First paragraph.", paragraph])
    assert len(quotes) == 1
    assert quotes[0].speaker == speaker
    assert quotes[0].kind == "inline"
    assert quotes[0].paragraph == 1


def test_quote_text_loses_trailing_comma_only() -> None:
    quote = find_quotes([LESCH])[0]
    assert quote.text.startswith("I think Putin")
    assert quote.text.endswith("essentially Iran in Syria")
    assert find_quotes(['He said: "This is the end of it all."'])[0].text == (
        "This is the end of it all."
    )


@pytest.mark.parametrize(
    "paragraph",
    [
        'Putin and Assad discussed plans to "eliminate terrorism" in the Idlib region.',
        "The so-called “special operation” continued.",
        "No quotation marks at all in this sentence, said David Lesch.",
    ],
)
def test_short_or_absent_quotes_are_not_quotes(paragraph: str) -> None:
    assert find_quotes([paragraph]) == []


def test_several_quotes_in_one_paragraph() -> None:
    text = (
        "“The first quotation is right here,” said Anna Petrova. "
        "Then Boris Ivanov said: “The second one is over here.”"
    )
    assert [(q.text, q.speaker) for q in find_quotes([text])] == [
        ("The first quotation is right here", "Anna Petrova"),
        ("The second one is over here.", "Boris Ivanov"),
    ]


def test_unclosed_quote_runs_to_paragraph_end() -> None:
    quotes = find_quotes(["“This quote goes on into the next paragraph and", "more."])
    assert quotes[0].text == "This quote goes on into the next paragraph and"


def test_mixed_curly_and_straight_marks_still_pair() -> None:
    text = "\u201cWe will rebuild the bridge within a year,\" said Anna Petrova, the mayor."
    quotes = find_quotes([text])
    assert [(q.text, q.speaker) for q in quotes] == [
        ("We will rebuild the bridge within a year", "Anna Petrova")
    ]

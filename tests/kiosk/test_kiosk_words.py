"""The kiosk's own details, without a server: the priority box reads as empty until ticked, and the Spanish
speaks to the citizen with "vos", as the web pages do."""

from __future__ import annotations

import re

from textual.app import App, ComposeResult

from kiosk_client.i18n import MESSAGES
from kiosk_client.screens import TickBox

# usted forms the kiosk used to say, and the "su"/"sus" that go with them
USTED = re.compile(
    r"\b(usted|ustedes|su|sus|escriba|escanee|elija|retire|anote|acérquese|esté|revise|pídalo|abra|siga|"
    r"llegó temprano|puede)\b",
    re.IGNORECASE,
)


class OneBox(App[None]):
    def compose(self) -> ComposeResult:
        yield TickBox("Atención prioritaria", id="priority")


async def test_the_priority_box_is_empty_until_ticked() -> None:
    async with OneBox().run_test(size=(60, 10)) as pilot:
        box = pilot.app.query_one(TickBox)
        unticked = str(box.render())
        assert "X" not in unticked
        assert "✓" not in unticked
        assert unticked.startswith("▐ ▌")  # an empty box, then the label
        await pilot.click("#priority")
        assert box.value
        ticked = str(box.render())
        assert ticked.startswith("▐✓▌")
        await pilot.press("space")
        assert not box.value
        assert str(box.render()) == unticked


def test_the_kiosk_says_vos_like_the_web() -> None:
    spanish = {key: texts["es"] for key, texts in MESSAGES.items()}
    assert not {key: text for key, text in spanish.items() if USTED.search(text)}
    assert spanish["enter_code"].startswith("Escribí o escaneá")
    assert spanish["first_in_line"] == "Sos el próximo"
    assert "te van a llamar" in spanish["watch_screens"]

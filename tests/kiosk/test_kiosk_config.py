"""The kiosk's configuration: a TOML file, overridden by KIOSK_* variables; the command line."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from kiosk_client.config import load_config
from tests.support.api import Api
from tests.support.front_desk import front_desk
from tests.support.processes import ROOT, free_port


def test_the_environment_overrides_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text('token = "td_file"\noffice_id = "7"\nprinter = "tcp://10.0.0.5:9100"\nlanguage = "en"\n')
    monkeypatch.setenv("KIOSK_PRINTER", "file:///dev/usb/lp0")
    monkeypatch.delenv("KIOSK_TOKEN", raising=False)
    config = load_config(path)
    assert (config.token, config.office_id, config.language) == ("td_file", "7", "en")
    assert config.printer == "file:///dev/usb/lp0"
    assert load_config(path, language="es").language == "es"


def test_the_qr_code_opens_the_servers_own_ticket_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_TICKET_URL", raising=False)
    monkeypatch.delenv("KIOSK_SERVER_URL", raising=False)
    config = load_config(token="td_x", office_id="1", server_url="https://turnos.example/")
    assert config.ticket_url.format(ticket_id="42") == "https://turnos.example/ticket/42"
    chosen = load_config(token="td_x", office_id="1", ticket_url="https://elsewhere.example/t/{ticket_id}")
    assert chosen.ticket_url == "https://elsewhere.example/t/{ticket_id}"


def test_a_bad_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KIOSK_TOKEN", raising=False)
    monkeypatch.delenv("KIOSK_OFFICE_ID", raising=False)
    path = tmp_path / "kiosk.toml"
    path.write_text('token = "td_x"\noffice_id = "1"\nlanguage = "fr"\n')
    with pytest.raises(ValidationError, match="language"):
        load_config(path)
    path.write_text('token = "td_x"\noffice_id = "1"\nprinterr = "none"\n')
    with pytest.raises(ValidationError, match="printerr"):
        load_config(path)
    path.write_text('office_id = "1"\n')
    with pytest.raises(ValidationError, match="token"):
        load_config(path)


def kiosk_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk_client", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_command_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    helped = kiosk_command("--help", env=env)
    assert helped.returncode == 0
    assert "KIOSK_PRINTER" in helped.stdout
    assert "KIOSK_TOKEN" in helped.stdout
    missing = kiosk_command(env=env)
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [
        "kiosk_client: bad configuration: set KIOSK_TOKEN, KIOSK_OFFICE_ID (or token, office_id in --config)"
    ]
    # the same one line for --preview, not pydantic's report
    unset = kiosk_command("--preview", str(tmp_path / "x.png"), env=env)
    assert (unset.returncode, unset.stderr.splitlines()) == (2, missing.stderr.splitlines())
    bad_printer = kiosk_command(env=env | {"KIOSK_TOKEN": "td_x", "KIOSK_OFFICE_ID": "1", "KIOSK_PRINTER": "lpt1"})
    assert bad_printer.returncode == 2
    assert "printer URL" in bad_printer.stderr
    png, paper = tmp_path / "ticket.png", tmp_path / "paper.bin"
    nobody = f"http://127.0.0.1:{free_port()}"  # a printer is set up before the network may be
    previewed = kiosk_command(
        "--preview",
        str(png),
        env=env
        | {
            "KIOSK_TOKEN": "td_x",
            "KIOSK_OFFICE_ID": "1",
            "KIOSK_PRINTER": f"file://{paper}",
            "KIOSK_SERVER_URL": nobody,
        },
    )
    assert previewed.returncode == 0, previewed.stderr
    assert "server unreachable" in previewed.stdout
    assert png.read_bytes().startswith(b"\x89PNG")
    assert paper.read_bytes().endswith(b"\x1dV\x00")
    assert b"Sample procedure" not in paper.read_bytes()  # the kiosk speaks Spanish


@pytest.mark.slow
async def test_the_preview_prints_the_offices_name_procedure_and_local_time(
    api: Api, admin_token: str, one_server: str, tmp_path: Path
) -> None:
    front = await front_desk(api, admin_token, name="Oficina Norte", timezone="Asia/Kolkata")
    await api.service(admin_token, slug="dni", ticketPrefix="D", name="Renovacion de DNI")
    paper = tmp_path / "paper.bin"
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KIOSK_SERVER_URL": one_server,
        "KIOSK_TOKEN": front.kiosk,
        "KIOSK_OFFICE_ID": front.office_id,
        "KIOSK_PRINTER": f"file://{paper}",
    }
    before = datetime.now(ZoneInfo("Asia/Kolkata"))
    previewed = await asyncio.to_thread(kiosk_command, "--preview", str(tmp_path / "ticket.png"), env=env)
    after = datetime.now(ZoneInfo("Asia/Kolkata"))

    assert previewed.returncode == 0, previewed.stderr
    assert "unreachable" not in previewed.stdout
    printed = paper.read_bytes()
    assert b"Oficina Norte" in printed
    assert b"Renovacion de DNI" in printed
    assert b"D-001" in printed
    assert any(f"Emitido: {at:%d/%m/%Y %H:%M}".encode() in printed for at in (before, after))


@pytest.mark.slow
def test_a_kiosk_whose_token_the_server_refuses_does_not_start(one_server: str, tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "KIOSK_SERVER_URL": one_server,
        "KIOSK_TOKEN": "td_not-a-token-of-this-server",
        "KIOSK_OFFICE_ID": "1",
    }
    refused = kiosk_command(env=env)
    assert refused.returncode == 2
    assert "the server refused this kiosk" in refused.stderr

"""Tokens end to end: what `switchboard token` refuses, extreme `exp` claims at /ws, and the
ready-made tokens a first start prints once."""
import json
import os
import subprocess
import time

import requests

import jwt_helper
from conftest import BIN
from wsraw import RawWS

SECRET = "integration-secret-0123456789abcdef"
API_KEY = "integration-api-key-0123456789"
ENV = {"SWITCHBOARD_AUTH_SECRET": SECRET, "SWITCHBOARD_API_KEY": API_KEY}
TEN_YEARS = 315_360_000


def token_cmd(*args, env=None, cwd=None):
    base = {"PATH": "/usr/bin:/bin"}
    return subprocess.run([BIN, "token", *args], capture_output=True, text=True, env={**base, **(env or {})},
                          cwd=cwd, timeout=20)


def test_ttl_is_limited_to_ten_years_with_one_line(tmp_path):
    env = {"SWITCHBOARD_AUTH_SECRET": SECRET}
    ok = token_cmd("--sub", "x", "--role", "ops", "--topics", "*", "--ttl", str(TEN_YEARS), env=env)
    assert ok.returncode == 0, ok.stderr
    for ttl in [str(TEN_YEARS + 1), "99999999999999", "99999999999999999999999", "0", "-5", "soon"]:
        r = token_cmd("--sub", "x", "--role", "ops", "--topics", "*", "--ttl", ttl, env=env)
        assert r.returncode != 0, ttl
        assert r.stdout == "", ttl
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1 and "--ttl" in lines[0] and "315360000" in lines[0], (ttl, r.stderr)


def test_token_without_a_secret_refuses_and_creates_nothing(tmp_path):
    # A newcomer running the command outside the repo root: no ./data there.
    r = token_cmd("--sub", "x", "--role", "agent", "--topics", "inbox", cwd=tmp_path)
    assert r.returncode != 0 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert os.path.join(str(tmp_path), "data", "auth_secret") in lines[0]
    assert "--data-dir" in lines[0] and "SWITCHBOARD_AUTH_SECRET" in lines[0]
    assert os.listdir(tmp_path) == []
    # The same with SWITCHBOARD_DATA_DIR naming a directory that does not exist.
    missing = tmp_path / "nowhere"
    r = token_cmd("--sub", "x", "--role", "agent", "--topics", "inbox", env={"SWITCHBOARD_DATA_DIR": str(missing)})
    assert r.returncode != 0 and str(missing / "auth_secret") in r.stderr
    assert not missing.exists()


def test_token_from_the_servers_data_dir_is_accepted(server_factory, tmp_path):
    srv = server_factory(env={"SWITCHBOARD_API_KEY": API_KEY}).start()
    r = token_cmd("--sub", "alice", "--role", "agent", "--topics", "inbox", "--data-dir", srv.data_dir, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert RawWS(srv.port, "/ws?token=" + r.stdout.strip()).status == 101
    assert os.listdir(tmp_path) == []


def test_far_future_exp_keeps_the_server_up(server_factory):
    # Used to kill the server (Illegal instruction) in the expiry-timer arithmetic.
    srv = server_factory(env=ENV).start()
    for exp in [int(time.time()) + 99999999999999, 2**63 - 1, (2**63 - 1) // 1000 + 1]:
        tok = jwt_helper.token(SECRET, "ops", ["*"], exp=exp)
        ws = RawWS(srv.port, "/ws?token=" + tok)
        assert ws.status == 101, ws.head
        ws.send_text(json.dumps({"op": "subscribe", "id": 1, "topics": ["inbox"]}))
        assert json.loads(ws.recv_frame()[1])["op"] == "ack"
        r = requests.post(srv.base + "/api/publish", json={"topic": "inbox", "type": "t", "data": exp},
                          headers={"Authorization": "Bearer " + API_KEY})
        assert r.status_code == 202
        op, payload = ws.recv_frame()
        frame = json.loads(payload)
        assert frame["op"] == "batch" and frame["events"][0]["data"] == exp
        assert srv.proc.poll() is None
    assert requests.get(srv.base + "/health/live").status_code == 200


def test_ready_made_tokens_are_printed_once_on_the_start_that_makes_the_secret(server_factory):
    first = server_factory(env={"SWITCHBOARD_LOG_FORMAT": "json"}).start()
    out = first.logs_with("agent token", "ops token")
    token_lines = [l for l in out.splitlines() if "agent token" in l or "ops token" in l]
    assert len(token_lines) == 2, out[-2000:]
    # Plain lines on stdout, not log records (which would ship the tokens to the log store).
    for line in token_lines:
        assert not line.startswith("{"), line
    agent = [l for l in token_lines if "agent token" in l][0].split(": ")[-1].strip()
    assert RawWS(first.port, "/ws?token=" + agent).status == 101
    first.stop()
    second = server_factory(data_dir=first.data_dir, env={"SWITCHBOARD_LOG_FORMAT": "json"})
    os.rename(first.log_path, first.log_path + ".first")
    second.start()
    later = second.logs()
    assert "listening" in later
    assert "agent token" not in later and "ops token" not in later and agent not in later
    assert RawWS(second.port, "/ws?token=" + agent).status == 101  # same secret, still valid

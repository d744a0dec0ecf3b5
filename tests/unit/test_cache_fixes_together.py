"""The build-cache fixes (DO101-DO105) next to the other rules' fixes: never combined on text neither saw."""

from __future__ import annotations

import dockerfile
import pytest

from dockopt.config import Config
from dockopt.fix import fix_text

ALL = Config(select=("ALL",))


@pytest.mark.parametrize(
    "text",
    [
        # DO104 joins the pip RUN to the chown RUN while DO102/DO204 add a mount to the pip RUN
        "FROM python:3.11-slim\nWORKDIR /opt/s\nCOPY . /opt/s\nRUN chown -R 1000:1000 /opt/s\n"
        "RUN pip install -r requirements.txt\n",
        # DO104 would join, DO102 mounts the first RUN's cache, and the second RUN removes that directory
        "FROM python:3.11-slim\nRUN pip install -r requirements.txt\nRUN rm -rf /root/.cache/pip\n",
        # DO105 moves the update into the install RUN while DO102 adds the apt mounts to it
        "FROM python:3.11-slim\nRUN apt-get update\nRUN apt-get install -y --no-install-recommends jq\n",
    ],
    ids=["join-and-mount", "join-and-remove", "update-and-mount"],
)
def test_fixes_of_one_run_do_not_combine_blindly(text: str) -> None:
    fixed = fix_text(text, ALL).text
    runs = [c for c in dockerfile.parse_string(fixed) if c.cmd.upper() == "RUN"]
    for run in runs:
        body = " ".join(run.value)
        assert "&& --mount" not in body and not body.lstrip().startswith("--mount"), fixed
        # a mount point cannot be removed: no RUN may mount a cache and delete its directory
        mounts = [f.split("target=", 1)[1].split(",", 1)[0] for f in run.flags if "type=cache" in f]
        assert not any(f"rm -rf {target}" in body and f"rm -rf {target}/" not in body for target in mounts), fixed
    assert fix_text(fixed, ALL).text == fixed

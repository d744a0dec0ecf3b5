"""BuildKit plain-progress parsing, on logs recorded from real builds and one written to BuildKit's format.

DOCKER_20_10_REBUILD and DOCKER_20_10_FAILURE were recorded from Docker 20.10.24 (`DOCKER_BUILDKIT=1 docker
build --progress=plain`, which prints each vertex's digest too); BUILDX_INTERLEAVED follows the printer of
newer BuildKit (buildx): a "#0" preamble, vertices interleaved with their name line repeated, an output
line that itself starts with "ERROR", a canceled vertex, and the error summary at the end.
"""

from __future__ import annotations

from dockopt.engine import BuildResult, StepStatus, parse_progress

DOCKER_20_10_REBUILD = """\
#1 [internal] load build definition from Dockerfile.ok
#1 sha256:4169ba7783e2e7e8d7cf030f0c5eabe67f38297ed09c021dc81153d97706cda9
#1 transferring dockerfile: 34B 0.0s done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:f159de7b7b686c531c79740b68a58f8beba5fe3b9567c7f1a87cbab034bc2c5d
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/debian:bookworm-slim
#3 sha256:ab2e9382d71c421e0b71823fe92cec49d1864fbad12383606a966472994d5636
#3 DONE 0.0s

#4 [1/5] FROM docker.io/library/debian:bookworm-slim
#4 sha256:56bf5dcd38ee2f60f646b15b1b91e40b5e8375a457572f890edbccbd17190813
#4 DONE 0.0s

#7 [internal] load build context
#7 sha256:6d2552192c7c2c0b804debcd53ff6e5885c27ba2bb5bf40a0f490bb2df0768d7
#7 transferring context: 46B done
#7 DONE 0.0s

#5 [2/5] WORKDIR /app
#5 sha256:e65e552be5b7af6078603ad1f71e1a87e10b31cfb7de827ac6bf5e23fb3524d0
#5 CACHED

#6 [3/5] RUN echo preparing && sleep 1
#6 sha256:fb76f4a7713540aa86a7ec49418cac8fb103e1f10feb893bfefeaa13d21565fe
#6 CACHED

#8 [4/5] COPY data.txt .
#8 sha256:e168ff516dbf8842daadafa99fda5990a7d864b27d5c1f84b2078f310dd7aad7
#8 DONE 0.0s

#9 [5/5] RUN wc -c data.txt
#9 sha256:3f8abe0c05056599213e8cbb58afd4802d5d843a50297b1b571ab5a9a0cafef2
#9 0.158 11 data.txt
#9 DONE 0.2s

#10 exporting to image
#10 sha256:e8c613e07b0b7ff33893b694f7759a10d42e180f2b4dc349fb57dc6b71dcab00
#10 exporting layers 0.0s done
#10 writing image sha256:7921c8571f3eba0469dcd17f667c7c9c01d6528073d4e0444b5e62d1cf279878 done
#10 naming to docker.io/library/rec:ok done
#10 DONE 0.0s
"""

DOCKER_20_10_FAILURE = """\
#1 [internal] load build definition from Dockerfile
#1 sha256:e076fa5346cb9f66e599589121d24533359c4d4c0f78ebd6f039ee359112c17b
#1 transferring dockerfile: 251B done
#1 DONE 0.0s

#2 [internal] load .dockerignore
#2 sha256:187c899b92c2b8bc50fb61d2568360d3d012f43c3fe0d6a726dbe9c2717f68be
#2 transferring context: 2B done
#2 DONE 0.0s

#3 [internal] load metadata for docker.io/library/debian:bookworm-slim
#3 sha256:ab2e9382d71c421e0b71823fe92cec49d1864fbad12383606a966472994d5636
#3 DONE 0.0s

#4 [builder 1/2] FROM docker.io/library/debian:bookworm-slim
#4 sha256:56bf5dcd38ee2f60f646b15b1b91e40b5e8375a457572f890edbccbd17190813
#4 CACHED

#5 [internal] load build context
#5 sha256:2480b73cb424aa69409615330db41f43135c2096c3770d3d23f6cf2078f73ba4
#5 transferring context: 41B done
#5 DONE 0.0s

#6 [stage-1 2/4] COPY data.txt /data.txt
#6 sha256:4137eb4b9afed4c363ff5fd19ef7c2e76c17ef50234447e2df10803abbd79965
#6 DONE 0.0s

#7 [builder 2/2] RUN echo building && sleep 1 && echo built > /built.txt
#7 sha256:c7a35761d4ce63b76a4f22dc4511493fb5447f88b8127a68cfe3f060f8a90a0c
#7 0.178 building
#7 DONE 1.2s

#8 [stage-1 3/4] COPY --from=builder /built.txt /built.txt
#8 sha256:42842e914cf7873b996e83ad0c888593ecdcbe96c12a37a71219a4aaa58a74e6
#8 DONE 0.0s

#9 [stage-1 4/4] RUN echo step-one && false
#9 sha256:1187cf18abb0929f851e2890095590aa5820ff3f6022972f76e5cf4d9bd58754
#9 0.216 step-one
#9 ERROR: executor failed running [/bin/sh -c echo step-one && false]: exit code: 1
------
 > [stage-1 4/4] RUN echo step-one && false:
------
executor failed running [/bin/sh -c echo step-one && false]: exit code: 1
"""

BUILDX_INTERLEAVED = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 412B done
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/python:3.11-slim
#2 DONE 0.6s

#3 [internal] load .dockerignore
#3 transferring context: 2B done
#3 DONE 0.0s

#4 [builder 1/3] FROM docker.io/library/python:3.11-slim@sha256:3ac3b5ab53e4f5fd1ebae9e5e4fa1b44dd2c3be0cfdbfe1dc4e0e8e1a1b0d5a2
#4 DONE 0.0s

#5 [internal] load build context
#5 transferring context: 1.02kB done
#5 DONE 0.0s

#6 [builder 2/3] RUN --mount=type=cache,target=/root/.cache/pip pip wheel --wheel-dir /wheels six==1.16.0
#6 0.512 Collecting six==1.16.0

#7 [stage-1 2/3] COPY app.py .
#7 CACHED

#6 [builder 2/3] RUN --mount=type=cache,target=/root/.cache/pip pip wheel --wheel-dir /wheels six==1.16.0
#6 1.020 Saved /wheels/six-1.16.0-py2.py3-none-any.whl
#6 DONE 1.1s

#8 [linux/amd64 stage-1 3/3] RUN pip install --no-index /wheels/*
#8 0.401 ERROR: Could not find a version that satisfies the requirement /wheels/*
#8 ERROR: process "/bin/sh -c pip install --no-index /wheels/*" did not complete successfully: exit code: 1

#9 [builder 3/3] RUN sleep 30
#9 CANCELED
------
 > [linux/amd64 stage-1 3/3] RUN pip install --no-index /wheels/*:
0.401 ERROR: Could not find a version that satisfies the requirement /wheels/*
------
Dockerfile:9
--------------------
   7 |     FROM python:3.11-slim
   8 |     COPY app.py .
   9 | >>> RUN pip install --no-index /wheels/*
--------------------
ERROR: failed to solve: process "/bin/sh -c pip install --no-index /wheels/*" did not complete successfully: exit code: 1
"""


def test_docker_20_10_rebuild_steps_status_and_durations() -> None:
    steps = parse_progress(DOCKER_20_10_REBUILD)

    assert [s.vertex for s in steps] == [1, 2, 3, 4, 7, 5, 6, 8, 9, 10]  # in the order they appear
    by_instruction = {s.instruction: s for s in steps if s.instruction}
    assert list(by_instruction) == [
        "FROM docker.io/library/debian:bookworm-slim",
        "WORKDIR /app",
        "RUN echo preparing && sleep 1",
        "COPY data.txt .",
        "RUN wc -c data.txt",
    ]
    assert [by_instruction[i].cached for i in by_instruction] == [False, True, True, False, False]
    assert by_instruction["RUN echo preparing && sleep 1"].seconds is None  # BuildKit prints no time for a hit
    assert by_instruction["RUN wc -c data.txt"].seconds == 0.2
    assert by_instruction["RUN wc -c data.txt"].output == ("11 data.txt",)
    assert by_instruction["RUN wc -c data.txt"].stage is None
    internal = [s for s in steps if s.instruction is None]
    assert [s.name for s in internal][-1] == "exporting to image"
    assert internal[0].output == ("transferring dockerfile: 34B 0.0s done",)  # the digest lines are dropped
    assert all(s.status is StepStatus.DONE for s in internal)


def test_docker_20_10_failure_names_the_failing_step() -> None:
    steps = parse_progress(DOCKER_20_10_FAILURE)
    result = BuildResult("t", 1, 2.0, DOCKER_20_10_FAILURE, tuple(steps))

    failed = result.failed_step
    assert failed is not None
    assert failed.name == "[stage-1 4/4] RUN echo step-one && false"
    assert failed.stage == "stage-1"
    assert failed.instruction == "RUN echo step-one && false"
    assert failed.error == "executor failed running [/bin/sh -c echo step-one && false]: exit code: 1"
    assert failed.output == ("step-one",)
    assert failed.seconds is None
    stages = {s.stage for s in steps if s.instruction}
    assert stages == {"builder", "stage-1"}
    builder_run = next(s for s in steps if s.instruction == "RUN echo building && sleep 1 && echo built > /built.txt")
    assert (builder_run.status, builder_run.seconds) == (StepStatus.DONE, 1.2)
    assert not result.ok
    assert result.tail(1) == "executor failed running [/bin/sh -c echo step-one && false]: exit code: 1"


def test_buildx_interleaved_output_cancel_and_error() -> None:
    steps = parse_progress(BUILDX_INTERLEAVED)
    by_vertex = {s.vertex: s for s in steps}

    assert by_vertex[0].name == 'building with "default" instance using docker driver'
    assert by_vertex[0].status is StepStatus.RUNNING  # never finished: not a step at all
    wheel = by_vertex[6]
    assert wheel.status is StepStatus.DONE
    assert wheel.seconds == 1.1
    assert wheel.output == ("Collecting six==1.16.0", "Saved /wheels/six-1.16.0-py2.py3-none-any.whl")  # both blocks
    assert wheel.stage == "builder"
    assert by_vertex[7].cached
    failed = by_vertex[8]
    assert failed.status is StepStatus.ERROR
    assert failed.stage == "linux/amd64 stage-1"
    assert failed.instruction == "RUN pip install --no-index /wheels/*"
    assert failed.output == ("ERROR: Could not find a version that satisfies the requirement /wheels/*",)
    assert (
        failed.error
        == 'process "/bin/sh -c pip install --no-index /wheels/*" did not complete successfully: exit code: 1'
    )
    assert by_vertex[9].status is StepStatus.CANCELED
    assert by_vertex[4].instruction is not None
    assert by_vertex[4].instruction.startswith("FROM docker.io/library/python:3.11-slim@sha256:")
    assert len(steps) == 10  # the summary after "------" belongs to no step


def test_cut_short_and_empty_logs() -> None:
    assert parse_progress("") == []
    steps = parse_progress("#1 [1/2] FROM debian\n#1 DONE\n#2 [2/2] RUN make\n#2 0.1 compiling\n")
    assert [(s.status, s.seconds) for s in steps] == [(StepStatus.DONE, None), (StepStatus.RUNNING, None)]
    assert steps[1].output == ("compiling",)


def test_build_result_tail() -> None:
    result = BuildResult("t", 0, 1.0, "a\nb\nc\n", ())
    assert result.ok
    assert result.tail(2) == "b\nc"
    assert result.failed_step is None

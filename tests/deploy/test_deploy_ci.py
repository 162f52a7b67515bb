"""The two CI definitions run the same jobs with the same commands, so they cannot drift.

GitHub Actions and GitLab CI both exist (the guide has both). Per job: the commands a
GitHub `run:` step runs equal the GitLab `script:` lines (setup -- `uses:` steps, GitLab's
`before_script` -- is the runner's business), the images built are the same targets, and
the Helm deploy has the same arguments and release as scripts/render-k8s.py renders k8s/.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

import yaml
from deploy_support import RENDERER, ROOT

GITHUB = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
GITLAB = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
GITLAB_KEYWORDS = {"stages", "variables", "default", "include", "workflow"}
TEST_JOBS = ["test", "security", "image-test"]


def github_commands(job: str) -> list[str]:
    lines: list[str] = []
    for step in GITHUB["jobs"][job]["steps"]:
        text = step.get("run", "").replace("\\\n", " ")
        lines += [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    # Hosted runners are not root: the same command under sudo.
    return [re.sub(r"^sudo (--preserve-env=PATH )?", "", line) for line in lines]


def gitlab_commands(job: str) -> list[str]:
    return [" ".join(line.split()) for line in GITLAB[job]["script"]]


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    return {k: v for k, v in GITLAB.items() if k not in GITLAB_KEYWORDS}


def helm_args(command: str) -> tuple[list[str], list[str]]:
    """A helm command's arguments without --set values, and the keys it sets."""
    command = re.sub(r"\$\{\{\s*([^}]+?)\s*\}\}", r"<\1>", command)
    tokens = shlex.split(command)
    sets = [tokens[i + 1].split("=", 1)[0] for i, t in enumerate(tokens) if t == "--set"]
    rest = [t for i, t in enumerate(tokens) if t != "--set" and tokens[i - 1] != "--set"]
    return rest, sets


def test_both_define_the_same_jobs_in_the_same_order_of_stages() -> None:
    assert list(GITHUB["jobs"]) == list(gitlab_jobs())
    stages = {name: job["stage"] for name, job in gitlab_jobs().items()}
    assert stages == {**dict.fromkeys(TEST_JOBS, "test"), "build": "build", "deploy": "deploy"}
    assert GITHUB["jobs"]["build"]["needs"] == TEST_JOBS
    assert GITHUB["jobs"]["deploy"]["needs"] == "build"


def test_test_jobs_run_the_same_commands() -> None:
    for job in TEST_JOBS:
        assert github_commands(job) == gitlab_commands(job), job
    assert "./dev test" in github_commands("test")


def test_both_test_against_the_same_services_and_python() -> None:
    gh_services = {s["image"] for s in GITHUB["jobs"]["test"]["services"].values()}
    gl_services = {s["name"] for s in GITLAB["test"]["services"]}
    assert gh_services == gl_services
    python = GITHUB["env"]["PYTHON_VERSION"]
    for job in ("test", "security"):
        assert GITLAB[job]["image"].startswith(f"python:{python}."), job


def test_both_build_the_same_images_only_on_main_and_tag_them_with_the_commit() -> None:
    gh_steps = GITHUB["jobs"]["build"]["steps"]
    gh = [s["with"] for s in gh_steps if s.get("uses", "").startswith("docker/build-push")]
    gl = [line for line in gitlab_commands("build") if line.startswith("buildah bud")]
    assert [w["target"] for w in gh] == re.findall(r"--target (\w+)", " ".join(gl))
    assert all(w["push"] is True and "latest" not in w["tags"] for w in gh)
    assert all("$CI_COMMIT_SHORT_SHA" in line and "latest" not in line for line in gl)
    for job in ("build", "deploy"):
        assert "refs/heads/main" in GITHUB["jobs"][job]["if"], job
        assert GITLAB[job]["rules"] == [{"if": '$CI_COMMIT_BRANCH == "main"'}], job


def test_both_deploy_with_the_same_helm_command_as_k8s_is_rendered() -> None:
    (gh_command,) = github_commands("deploy")
    (gl_command,) = gitlab_commands("deploy")
    gh_args, gh_sets = helm_args(gh_command)
    gl_args, gl_sets = helm_args(gl_command)
    assert gh_args == gl_args
    assert (
        gh_sets
        == gl_sets
        == [
            "image.repository",
            "image.tag",
            "backup.image.repository",
            "backup.image.tag",
        ]
    )
    assert gh_args[:5] == ["helm", "upgrade", "--install", RENDERER.RELEASE, "helm/thehotpotspot"]
    assert gh_args[gh_args.index("--namespace") + 1] == RENDERER.NAMESPACE
    assert {"--wait", "--atomic"} <= set(gh_args)


def test_a_drift_is_noticed() -> None:
    """The comparison sees a command that one side runs and the other does not."""
    original = GITLAB["security"]["script"]
    GITLAB["security"]["script"] = [*original, "pip-audit --strict"]
    try:
        assert github_commands("security") != gitlab_commands("security")
    finally:
        GITLAB["security"]["script"] = original

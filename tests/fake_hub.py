"""A stand-in for huggingface_hub's `HfApi` (the `fake_hub` fixture, registered in tests/conftest.py): each
repository is a local directory (one per branch), so a test can check what was uploaded, in how many
commits, with which message, and load it back. No network in tests."""

from __future__ import annotations

import fnmatch
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import huggingface_hub
import pytest
from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

from albert import hub_push


@dataclass
class FakeHub:
    root: Path
    commits: list[dict] = field(default_factory=list)
    branches: set[tuple[str, str]] = field(default_factory=set)
    private: dict[str, bool | None] = field(default_factory=dict)  # repository -> `private` at creation
    token_needed: bool = False
    refusal: str | None = None  # the Hub's answer to every upload, e.g. "403 Forbidden: ..."

    def repo(self, repo_id: str, revision: str | None = None) -> Path:
        return self.root / repo_id / (revision or "main")


@pytest.fixture
def fake_hub(monkeypatch, tmp_path) -> FakeHub:
    hub = FakeHub(tmp_path / "hub")

    class FakeApi:
        def __init__(self, token=None):
            self.token = token

        def create_repo(self, repo_id, *, private=None, exist_ok=False):
            if hub.token_needed and self.token is None:
                raise LocalTokenNotFoundError("Token is required")
            full = repo_id if "/" in repo_id else f"me/{repo_id}"  # the Hub adds the user's namespace
            hub.private.setdefault(full, private)
            hub.repo(full).mkdir(parents=True, exist_ok=True)
            return huggingface_hub.RepoUrl(f"https://huggingface.co/{full}")

        def create_branch(self, repo_id, *, branch, exist_ok=False):
            hub.branches.add((repo_id, branch))

        def upload_folder(
            self, *, repo_id, folder_path, allow_patterns=None, delete_patterns=None, revision=None, **commit
        ):
            if hub.refusal is not None:
                raise HfHubHTTPError(hub.refusal)
            names = sorted(
                p.relative_to(folder_path).as_posix() for p in Path(folder_path).rglob("*") if p.is_file()
            )
            if allow_patterns is not None:
                names = [n for n in names if any(fnmatch.fnmatch(n, pat) for pat in allow_patterns)]
            target = hub.repo(repo_id, revision)
            for old in files_in(target) if target.is_dir() else []:  # the same commit deletes these
                if old not in names and any(fnmatch.fnmatch(old, pat) for pat in delete_patterns or []):
                    (target / old).unlink()
            for name in names:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(Path(folder_path) / name, target / name)
            hub.commits.append({"repo_id": repo_id, "files": names, "revision": revision, **commit})
            url = f"https://huggingface.co/{repo_id}/commit/{len(hub.commits)}"
            return huggingface_hub.CommitInfo(
                commit_url=url, commit_message="", commit_description="", oid="0"
            )

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    monkeypatch.setattr(hub_push, "hub_unreachable", lambda: None)
    return hub


def files_in(directory: Path) -> list[str]:
    return sorted(p.relative_to(directory).as_posix() for p in directory.rglob("*") if p.is_file())

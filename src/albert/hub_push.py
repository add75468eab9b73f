"""Upload what `save_pretrained` writes to a Hugging Face Hub repository, as transformers' `push_to_hub`.

One home for every class that saves (the models of the three frameworks, the tokenizers, the config, the
pipelines): `PushToHubMixin.push_to_hub` saves into a temporary directory and uploads it as one commit;
`save_pretrained(..., push_to_hub=True)` uploads the files that call wrote (`save_then_push`).
No model card is written (transformers writes a README.md template); an existing one is left alone.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from albert.hub import hub_unreachable

# A model push deletes the weight files of an earlier save that it does not upload (one file after shards,
# or fewer shards): transformers reads `model.safetensors` before an index, so a stale one would win.
WEIGHT_FILES = ("model.safetensors", "model-*-of-*.safetensors", "model.safetensors.index.json")
PUSH_OPTION_NAMES = ("repo_id", "commit_message", "commit_description", "private", "token", "revision",
                     "create_pr")  # fmt: skip


def push_folder(
    folder: Path,
    repo_id: str,
    *,
    what: str,
    files: list[str] | None = None,
    replaces: tuple[str, ...] = (),
    saved_in: Path | None = None,
    commit_message: str | None = None,
    commit_description: str | None = None,
    private: bool | None = None,
    token: str | bool | None = None,
    revision: str | None = None,
    create_pr: bool = False,
) -> Any:
    """Upload `folder` (or only its `files`, names relative to it) to `repo_id` in one commit, creating
    the repository, and the branch `revision`, when missing. The same commit deletes the repository's
    files that match `replaces` and are not uploaded (weights of an earlier save, sharded differently,
    which a loader could read instead). Returns huggingface_hub's CommitInfo."""
    check_repo_id(repo_id)
    no_network = hub_unreachable()
    if no_network:
        later = (
            f"The files are saved in {saved_in}: push them later with huggingface_hub.upload_folder"
            if saved_in is not None
            else f"Save the {what} with save_pretrained() and push it later"
        )
        raise OSError(
            f"cannot push to the Hugging Face Hub repository {repo_id!r}: {no_network}. {later} from a "
            "machine with network access."
        )
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, LocalTokenNotFoundError

    api = HfApi(token=token)
    try:
        repo_id = api.create_repo(repo_id, private=private, exist_ok=True).repo_id
        if revision is not None and not revision.startswith("refs/pr"):
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        return api.upload_folder(
            repo_id=repo_id,
            folder_path=folder,
            allow_patterns=files,
            delete_patterns=list(replaces) or None,
            commit_message=commit_message or f"Upload {what}",
            commit_description=commit_description,
            revision=revision,
            create_pr=create_pr,
        )
    except LocalTokenNotFoundError:
        raise OSError(
            f"pushing to {repo_id!r} needs a Hugging Face token: log in with `hf auth login` (or "
            "`huggingface-cli login`), set HF_TOKEN, or pass token=..."
        ) from None
    except HfHubHTTPError as e:  # 401 / 403 / 404 from the Hub: its message names the cause
        kept = f" The files are saved in {saved_in}." if saved_in is not None else ""
        raise OSError(f"the Hugging Face Hub refused the push to {repo_id!r}: {e}.{kept}") from e


def check_repo_id(repo_id: Any) -> None:
    if not isinstance(repo_id, str) or not repo_id.strip() or repo_id.count("/") > 1:
        raise ValueError(f"repo_id must be a Hub repository name such as 'me/my-albert', got {repo_id!r}")


def check_push_target(repo_id: Any, *, before: str) -> None:
    """Fail now, before `before` (e.g. "training"), where a push to `repo_id` at its end could not work:
    a malformed name, no network, no token. (The Hub may still refuse the push itself; what was saved
    stays saved then.)"""
    check_repo_id(repo_id)
    no_network = hub_unreachable()
    if no_network:
        raise OSError(
            f"cannot push to the Hugging Face Hub repository {repo_id!r} after {before}: {no_network}. "
            "Run without pushing and upload the output directory later from a machine with network access"
        )
    from huggingface_hub import get_token

    if get_token() is None:
        raise OSError(
            f"pushing to {repo_id!r} after {before} needs a Hugging Face token: log in with `hf auth "
            "login` (or `huggingface-cli login`) or set HF_TOKEN first"
        )


def push_run_directory(folder: Path, repo_id: str, *, what: str, private: bool | None = None) -> str:
    """Upload the files at the top of a run's output `folder` (the model, its tokenizer and the run's
    records; not `checkpoints/`) to `repo_id` in one commit; returns the commit's URL."""
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    info = push_folder(
        folder, repo_id, what=what, files=files, replaces=WEIGHT_FILES, saved_in=folder, private=private
    )
    return info.commit_url


def save_then_push(
    save: Callable[[], Any],
    directory: str | os.PathLike,
    options: dict[str, Any],
    *,
    push: bool,
    what: str,
    replaces: tuple[str, ...] = (),
) -> Any:
    """`save_pretrained(..., push_to_hub=push, **options)`: run `save` (which writes into `directory`);
    with `push`, upload the files it wrote or rewrote to `options["repo_id"]` (default: the directory's
    name, as transformers). `options`: `PUSH_OPTION_NAMES`. Returns what `save` returned."""
    unknown = set(options) - set(PUSH_OPTION_NAMES)
    if unknown:
        raise TypeError(
            f"save_pretrained got unknown argument(s) {sorted(unknown)}; "
            f"with push_to_hub=True it also reads {', '.join(PUSH_OPTION_NAMES)}"
        )
    if not push:
        if options:
            raise TypeError(f"{sorted(options)} are push options: pass push_to_hub=True as well")
        return save()
    folder = Path(directory)
    before = _stamps(folder)
    result = save()
    written = [name for name, stamp in _stamps(folder).items() if before.get(name) != stamp]
    options = dict(options)
    repo_id = options.pop("repo_id", None) or folder.resolve().name
    push_folder(
        folder, repo_id, what=what, files=sorted(written), replaces=replaces, saved_in=folder, **options
    )
    return result


def _stamps(folder: Path) -> dict[str, tuple[int, int, int]]:
    """File name (relative, "/"-separated) -> (inode, size, mtime in ns): what tells a file `save` wrote
    (atomic writes make a new inode) from one that was already there."""
    if not folder.is_dir():
        return {}
    out = {}
    for p in folder.rglob("*"):
        if p.is_file():
            st = p.stat()
            out[p.relative_to(folder).as_posix()] = (st.st_ino, st.st_size, st.st_mtime_ns)
    return out


class PushToHubMixin:
    """`push_to_hub(repo_id, ...)` for a class with `save_pretrained(directory, **kwargs)`."""

    hub_what: ClassVar[str] = "model"  # the default commit message is "Upload <hub_what>", as transformers
    hub_replaces: ClassVar[tuple[str, ...]] = ()  # files a push deletes when it does not upload them

    def push_to_hub(
        self,
        repo_id: str,
        *,
        commit_message: str | None = None,
        commit_description: str | None = None,
        private: bool | None = None,
        token: str | bool | None = None,
        revision: str | None = None,
        create_pr: bool = False,
        use_temp_dir: bool | None = None,
        tags: list[str] | None = None,
        **save_kwargs: Any,
    ) -> Any:
        """Save into a temporary directory and upload it to the Hub repository `repo_id` as one commit
        (the repository and the branch `revision` are created when missing; `create_pr` opens a pull
        request instead). `save_kwargs` go to `save_pretrained` (e.g. `max_shard_size`). Returns
        huggingface_hub's CommitInfo. `use_temp_dir` is accepted and ignored: a temporary directory
        is always used."""
        if tags:
            raise ValueError(
                f"tags={tags!r}: albert-lite uploads no model card to hold them; add them after the push "
                "with huggingface_hub.metadata_update(repo_id, {'tags': [...]})"
            )
        with tempfile.TemporaryDirectory(prefix="albert-push-") as tmp:
            self.save_pretrained(tmp, **save_kwargs)  # type: ignore[attr-defined]
            return push_folder(
                Path(tmp),
                repo_id,
                what=self.hub_what,
                replaces=self.hub_replaces,
                commit_message=commit_message,
                commit_description=commit_description,
                private=private,
                token=token,
                revision=revision,
                create_pr=create_pr,
            )

"""Grading with the published tests: the files a lab branch was published with.

A generated lab branch carries labs/published.json, the git blob id of every file the
grader grades with: kernel/tests/, kernel/debug/ktest.[ch] and grade/ (labs/labs.py
writes it). Before grading, grade.py compares the tree with it. If a student changed,
removed or added such a file, the grading runs in a copy of the tree, build/published/,
with the published files put back (read from git's object store) and the others left
out, and says which files it replaced. Without git, or without the objects, it can only
warn, and grades the tree as it is.

The manifest itself is read from the last commit the lab generator made on this branch
(author "Sprout labs"), so that editing the working tree's copy changes nothing; without
git history, from the working tree.
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

MANIFEST = "labs/published.json"
GENERATOR_EMAIL = "labs@sprout.invalid"
SCRATCH = Path("build") / "published"
CHECKED_ENV = "SPROUT_PUBLISHED_TREE"  # set in the copy's grader: do not check again


def is_published(path):
    """The files the grader grades with (labs/labs.py decides the same way)."""
    return (path.startswith(("kernel/tests/", "grade/"))
            or path in ("kernel/debug/ktest.c", "kernel/debug/ktest.h"))


def blob_id(data):
    """git hash-object of data."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _git(root, *args, data=False):
    try:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    return done.stdout if data else done.stdout.decode(errors="replace").strip()


def load_manifest(root):
    """({path: blob id}, where it came from), or (None, why there is none)."""
    commit = _git(root, "log", "-1", f"--author={GENERATOR_EMAIL}", "--format=%H", "HEAD")
    if commit:
        text = _git(root, "show", f"{commit}:{MANIFEST}", data=True)
        if text is not None:
            try:
                return json.loads(text)["files"], f"commit {commit[:12]}"
            except (ValueError, KeyError, TypeError) as e:
                return None, f"{MANIFEST} of commit {commit[:12]} is unreadable: {e}"
    path = Path(root) / MANIFEST
    if not path.exists():
        return None, f"no {MANIFEST} (the solution tree has none)"
    try:
        return json.loads(path.read_text())["files"], f"the working tree's {MANIFEST}"
    except (OSError, ValueError, KeyError, TypeError) as e:
        return None, f"{MANIFEST} is unreadable: {e}"


def tree_files(root):
    """The tree's files as relative paths: git's tracked and untracked-not-ignored files,
    or, without git, every file outside .git and build."""
    out = _git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", data=True)
    if out is not None:
        return sorted({p for p in out.decode(errors="replace").split("\0")
                       if p and (Path(root) / p).is_file()})
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if not (rel == "." and d in (".git", "build"))]
        found += [os.path.normpath(os.path.join(rel, f)) for f in filenames]
    return sorted(p.replace(os.sep, "/") for p in found)


def differences(root, manifest, files):
    """[(path, what)] of published files that differ: "changed", "removed", or "not
    published" (a file a student added among them)."""
    out = []
    for path, blob in sorted(manifest.items()):
        file = Path(root) / path
        if not file.is_file():
            out.append((path, "removed"))
        elif blob_id(file.read_bytes()) != blob:
            out.append((path, "changed"))
    out += [(p, "not published") for p in files if is_published(p) and p not in manifest]
    return out


def _sync(root, scratch, files, published):
    """Makes scratch a copy of root's files (build/ of the copy kept, so make is
    incremental), then writes the published blobs over it. A file whose content is
    already right keeps its time, so that make rebuilds only what changed."""
    wanted = {p for p in files if not is_published(p)} | set(published)
    for dirpath, _, filenames in os.walk(scratch):
        rel = os.path.relpath(dirpath, scratch).replace(os.sep, "/")
        if rel == "build" or rel.startswith("build/"):
            continue
        for f in filenames:
            path = f if rel == "." else f"{rel}/{f}"
            if path not in wanted:
                os.unlink(os.path.join(dirpath, f))
    for path in sorted(wanted):
        target = scratch / path
        data = published[path] if path in published else (Path(root) / path).read_bytes()
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if path in published:
            target.write_bytes(data)
        else:
            shutil.copy2(Path(root) / path, target)


def prepare(root, out):
    """Checks root against its manifest. Returns the tree to grade: root itself, or the
    copy with the published files restored; says on `out` what it found and did."""
    root = Path(root)
    if os.environ.get(CHECKED_ENV):
        return root
    manifest, source = load_manifest(root)
    if manifest is None:
        return root
    files = tree_files(root)
    changed = differences(root, manifest, files)
    if not changed:
        return root
    listing = ", ".join(f"{p} ({what})" for p, what in changed)
    published = {}
    for path, blob in manifest.items():
        data = _git(root, "cat-file", "blob", blob, data=True)
        if data is None or blob_id(data) != blob:
            print(f"grade.py: warning: these files differ from the published ones ({source}): "
                  f"{listing}. Without the published versions (no git history here) they "
                  "cannot be put back: grading the tree as it is, which an autograder will "
                  "not do.", file=out, flush=True)
            return root
        published[path] = data
    scratch = root / SCRATCH
    scratch.mkdir(parents=True, exist_ok=True)
    _sync(root, scratch, files, published)
    print(f"grade.py: these files differ from the published ones ({source}): {listing}. "
          f"Grading a copy of the tree, {SCRATCH}/, with the published versions put back "
          "and files that were not published left out; your changes to them do not count.",
          file=out, flush=True)
    return scratch


def run_in(tree, argv, state):
    """Runs tree's grade.py with argv (paths in it already absolute); returns its status.
    state: where the copy's grader records results for --rerun-failed."""
    env = dict(os.environ, **{CHECKED_ENV: "1", "SPROUT_GRADE_STATE": str(state)})
    return subprocess.run([sys.executable, str(Path(tree) / "grade" / "grade.py"), *argv],
                          cwd=tree, env=env).returncode

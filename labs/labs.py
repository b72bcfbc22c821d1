#!/usr/bin/env python3
"""Lab fences: check them, and turn the solution tree into one pair of branches per lab.

The main branch holds every lab's solution, fenced by marker comments. This tool checks
the fences (`--check`), prints one file the way a lab's student or solution branch sees
it (`transform`), and writes the branches lab/<n>-<name> and solution/<n>-<name> from
the committed HEAD with git plumbing, never touching the working tree, the index or the
current branch (`generate`, which `make labs` runs). The fence rules are in FENCE_RULES.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import namedtuple

CATALOG_PATH = "labs/labs.json"
CURRENT_PATH = "labs/current"
PUBLISHED_PATH = "labs/published.json"

# Files of the solution tree that no generated branch gets (path prefixes): the mutant
# catalogue holds pieces of the solutions, and it, its runner and tests, and the forger
# are of use only on the solution tree.
INSTRUCTOR_ONLY = ("labs/mutants", "labs/test_mutants.py", "labs/forge/")


def is_published(path):
    """True for the files the grader grades with as published, whatever a student's tree
    holds (grade/grade.py restores them): the in-kernel tests, the test harness and the
    grader."""
    return (path.startswith(("kernel/tests/", "grade/"))
            or path in ("kernel/debug/ktest.c", "kernel/debug/ktest.h"))


def published_manifest(entries):
    """labs/published.json for a branch whose files are `entries` (path -> (mode, type,
    object)): the git blob id of every published file."""
    files = {path: entry[2] for path, entry in sorted(entries.items())
             if entry[1] == "blob" and is_published(path)}
    doc = {"about": "The files the grader grades with, by git blob id (git hash-object); "
                    "grade/grade.py restores any that differ. Written by labs/labs.py "
                    "generate.",
           "files": files}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode()

FENCE_RULES = """\
A fence marker is a line made of indentation, the file type's comment leader, a space,
then 'LAB <name>: BEGIN', 'LAB <name>: STUB' or 'LAB <name>: END', and nothing else but
trailing blanks. The leader is '//' in .c .h .S .s .ld files and '#' in .py .mk .sh
.cfg files, Makefiles and .gdbinit files. BEGIN opens a block of the lab <name>, END
closes it, and an optional STUB in between splits the block into the solution (above)
and the stub (below). Each stub line is the leader, a space and the code a student
branch gets (the line's indentation is kept, the leader and the space are dropped); the
leader alone stands for an empty line. Blocks do not nest. Files under labs/ and
Markdown files are not scanned; only files tracked by git are.
"""

# Whatever the caller has in these would point our git commands at another repository
# or index than the one we are asked about.
_GIT_ENV_DROP = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_PREFIX",
                 "GIT_OBJECT_DIRECTORY", "GIT_NAMESPACE")

# CI has no git identity and no terminal, and the branches should not carry the name of
# whoever happened to run the generator.
IDENTITY = {
    "GIT_AUTHOR_NAME": "Sprout labs",
    "GIT_AUTHOR_EMAIL": "labs@sprout.invalid",
    "GIT_COMMITTER_NAME": "Sprout labs",
    "GIT_COMMITTER_EMAIL": "labs@sprout.invalid",
}

SLASH_SUFFIXES = (".c", ".h", ".S", ".s", ".ld")
HASH_SUFFIXES = (".py", ".mk", ".sh", ".cfg", ".gdbinit")
MAKEFILE_NAMES = ("Makefile", "makefile", "GNUmakefile")
# Files whose lab_missing() calls must name a handout that exists.
KERNEL_SOURCE_SUFFIXES = (".c", ".h", ".S", ".s")

MARKER_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<leader>//|#) LAB (?P<name>[^\s:]+): "
    r"(?P<kind>BEGIN|STUB|END)[ \t]*$")
# Anything a person could have meant as a marker; a line that matches this but not
# MARKER_RE is reported rather than silently shipped to students.
LOOSE_MARKER_RE = re.compile(
    r"^[ \t]*(?://+|#+|/\*+|;+)[ \t]*LAB\b.*\b(?:BEGIN|STUB|END)\b")
LAB_MISSING_RE = re.compile(
    r'\blab_missing\s*\(\s*"((?:[^"\\\n]|\\.)*)"\s*,\s*"((?:[^"\\\n]|\\.)*)"')
LAB_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class Problem(namedtuple("Problem", "path line message")):
    def __str__(self):
        return "%s:%d: %s" % (self.path, self.line, self.message)


class LabsError(Exception):
    """A failure that ends the command with a message rather than a traceback."""


# ---------------------------------------------------------------------------------
# The catalog


class Lab(namedtuple("Lab", "number name title handout")):
    @property
    def slug(self):
        return "%d-%s" % (self.number, self.name)

    @property
    def student_branch(self):
        return "lab/" + self.slug

    @property
    def solution_branch(self):
        return "solution/" + self.slug


def _line_of(text, needle):
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    return 1


def parse_catalog(data, path=CATALOG_PATH):
    """Returns (labs, problems) for the bytes of labs.json."""
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except UnicodeDecodeError as e:
        return [], [Problem(path, 1, "not UTF-8: %s" % e)]
    except ValueError as e:
        return [], [Problem(path, getattr(e, "lineno", 1), "not valid JSON: %s" % e)]
    if not isinstance(doc, dict) or not isinstance(doc.get("labs"), list):
        return [], [Problem(path, 1, 'expected an object {"labs": [...]}')]
    extra = sorted(set(doc) - {"labs"})
    problems = []
    if extra:
        problems.append(Problem(path, 1, "unknown top-level keys: %s" % ", ".join(extra)))
    labs = []
    seen = {}
    previous = None  # the number of the lab before
    fields = ("number", "name", "title", "handout")
    for index, entry in enumerate(doc["labs"]):
        where = "lab #%d" % (index + 1)
        if not isinstance(entry, dict):
            problems.append(Problem(path, 1, "%s: expected an object" % where))
            continue
        name = entry.get("name")
        line = _line_of(text, '"%s"' % name) if isinstance(name, str) else 1
        if isinstance(name, str):
            where = "lab %r" % name
        unknown = sorted(set(entry) - set(fields))
        if unknown:
            problems.append(Problem(path, line, "%s: unknown keys: %s" % (where, ", ".join(unknown))))
        missing = [f for f in fields if f not in entry]
        if missing:
            problems.append(Problem(path, line, "%s: missing %s" % (where, ", ".join(missing))))
            continue
        number, title, handout = entry["number"], entry["title"], entry["handout"]
        # Labs are numbered from 1 in catalog order. A number may be skipped: it is reserved
        # for a lab not in the catalog yet (lab 8 may come before lab 7 is written).
        # bool is an int in Python; "number": true is a typo, not lab 1.
        if not isinstance(number, int) or isinstance(number, bool) or \
                (number != 1 if previous is None else number <= previous):
            expected = "1" if previous is None else "a number above %d" % previous
            problems.append(Problem(path, line, "%s: number is %r, expected %s (labs are "
                                    "numbered from 1 up in catalog order; a number may be "
                                    "skipped)" % (where, number, expected)))
        elif isinstance(number, int):
            previous = number
        if not isinstance(name, str) or not LAB_NAME_RE.match(name):
            problems.append(Problem(path, line, "%s: name must be lowercase letters, digits and "
                                    "'_', starting with a letter" % where))
        elif name in seen:
            problems.append(Problem(path, line, "%s: name already used by lab %d" % (where, seen[name])))
        else:
            seen[name] = index + 1
        if not isinstance(title, str) or not title.strip():
            problems.append(Problem(path, line, "%s: title must be a non-empty string" % where))
        if (not isinstance(handout, str) or not handout.endswith(".md") or handout.startswith("/")
                or ".." in handout.split("/")):
            problems.append(Problem(path, line, "%s: handout must be a relative path to a .md file"
                                    % where))
        labs.append(Lab(number, name, title, handout))
    return (labs if not problems else []), problems


def find_lab(labs, spec):
    """The lab named by `spec`, a name or a number."""
    for lab in labs:
        if spec == lab.name or spec == str(lab.number):
            return lab
    raise LabsError("no lab %r in %s (labs: %s)"
                    % (spec, CATALOG_PATH, ", ".join(l.name for l in labs) or "none"))


def select_labs(labs, spec):
    """The labs of a comma-separated --labs value, in catalog order; all when spec is empty."""
    if not spec:
        return list(labs)
    wanted = {find_lab(labs, part.strip()).name for part in spec.split(",") if part.strip()}
    return [lab for lab in labs if lab.name in wanted]


# ---------------------------------------------------------------------------------
# Fences


def comment_leader(path):
    """The comment leader fences use in this file, or None for a type fences do not know."""
    name = path.rsplit("/", 1)[-1]
    if name in MAKEFILE_NAMES or name.endswith(".gdbinit"):
        return "#"
    suffix = os.path.splitext(name)[1]
    if suffix in SLASH_SUFFIXES:
        return "//"
    if suffix in HASH_SUFFIXES:
        return "#"
    return None


def is_scanned(path):
    # The lab tools and the docs show markers as examples; they are not lab code.
    return not path.startswith("labs/") and not path.lower().endswith(".md")


def split_lines(text):
    """Lines with their line ends, so that a transformed file keeps its own endings."""
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _body(line):
    body = line.rstrip("\n")
    if body.endswith("\r"):
        body = body[:-1]
    return body, line[len(body):]


class Block:
    def __init__(self, lab, begin):
        self.lab = lab
        self.begin = begin
        self.stub = None        # line of the STUB marker, if any
        self.end = None
        self.solution = []      # lines as written, with line ends
        self.stub_lines = []    # lines as the student gets them, with line ends


class ParsedFile:
    def __init__(self, path, leader):
        self.path = path
        self.leader = leader
        self.items = []         # plain lines (str) and Blocks, in file order
        self.blocks = []

    def stub_lab_at(self, line):
        """The lab whose stub holds `line`, or None."""
        for block in self.blocks:
            if block.stub is not None and block.stub < line < (block.end or block.stub + 1):
                return block.lab
        return None


def uncomment_stub(body, leader):
    """The student's version of one stub line (without line end), or None if malformed."""
    stripped = body.lstrip(" \t")
    indent = body[:len(body) - len(stripped)]
    if not stripped.startswith(leader):
        return None
    rest = stripped[len(leader):]
    if not rest.strip():
        return ""
    if not rest.startswith(" "):
        return None
    return indent + rest[1:]


def parse_fences(path, text, leader, lab_names):
    """Splits a file into plain lines and blocks; returns (ParsedFile, problems)."""
    parsed = ParsedFile(path, leader)
    problems = []
    block = None
    in_stub = False

    def problem(line, message):
        problems.append(Problem(path, line, message))

    def close(current):
        parsed.items.append(current)
        parsed.blocks.append(current)

    for number, line in enumerate(split_lines(text), 1):
        body, eol = _body(line)
        m = MARKER_RE.match(body)
        if m:
            name, kind = m.group("name"), m.group("kind")
            if m.group("leader") != leader:
                problem(number, "fence marker written with %r, but files of this type use %r"
                        % (m.group("leader"), leader))
            if name not in lab_names:
                problem(number, "unknown lab %r (%s lists: %s)"
                        % (name, CATALOG_PATH, ", ".join(sorted(lab_names)) or "none"))
            if kind == "BEGIN":
                if block is not None:
                    problem(number, "BEGIN of lab %s inside the block of lab %s opened at line %d "
                            "(fences do not nest)" % (name, block.lab, block.begin))
                    close(block)
                block = Block(name, number)
                in_stub = False
            elif kind == "STUB":
                if block is None:
                    problem(number, "STUB of lab %s outside any block" % name)
                elif name != block.lab:
                    problem(number, "STUB of lab %s inside the block of lab %s opened at line %d"
                            % (name, block.lab, block.begin))
                elif block.stub is not None:
                    problem(number, "second STUB in the block of lab %s (the first is at line %d)"
                            % (name, block.stub))
                else:
                    block.stub = number
                    in_stub = True
            else:
                if block is None:
                    problem(number, "END of lab %s without a BEGIN" % name)
                    continue
                if name != block.lab:
                    problem(number, "END of lab %s closes the block of lab %s opened at line %d"
                            % (name, block.lab, block.begin))
                block.end = number
                close(block)
                block = None
            continue
        malformed = LOOSE_MARKER_RE.match(body)
        if malformed:
            problem(number, "malformed fence marker: a marker line is exactly indentation, %r, "
                    "a space and 'LAB <name>: BEGIN|STUB|END'" % leader)
        if block is None:
            parsed.items.append(line)
        elif not in_stub:
            block.solution.append(line)
        else:
            converted = None if malformed else uncomment_stub(body, leader)
            if converted is None and not malformed:
                problem(number, "stub line of lab %s must be %r, a space and the code (or %r "
                        "alone for an empty line)" % (block.lab, leader, leader))
            block.stub_lines.append((body if converted is None else converted) + eol)
    if block is not None:
        problem(block.begin, "BEGIN of lab %s has no END" % block.lab)
        close(block)
    return parsed, problems


def render(parsed, solved):
    """The file with the solution of every lab in `solved` and the stubs of the others."""
    out = []
    for item in parsed.items:
        if isinstance(item, str):
            out.append(item)
        elif item.lab in solved:
            out.extend(item.solution)
        else:
            out.extend(item.stub_lines)
    return "".join(out)


def solved_labs(labs, lab, mode):
    """Names of the labs whose solutions a branch of `lab` carries."""
    if mode == "student":
        return {l.name for l in labs if l.number < lab.number}
    if mode == "solution":
        return {l.name for l in labs if l.number <= lab.number}
    raise LabsError("unknown mode %r (student or solution)" % mode)


def marker_lines(text):
    """Line numbers of every line that is, or looks like, a fence marker."""
    return [n for n, line in enumerate(split_lines(text), 1)
            if MARKER_RE.match(_body(line)[0]) or LOOSE_MARKER_RE.match(_body(line)[0])]


def decode(data):
    # surrogateescape so that any byte survives a round trip unchanged.
    return data.decode("utf-8", "surrogateescape")


def encode(text):
    return text.encode("utf-8", "surrogateescape")


# ---------------------------------------------------------------------------------
# Git


def git_env(extra=None):
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROP}
    # Never wait for a password or an editor: there may be no terminal.
    env["GIT_TERMINAL_PROMPT"] = "0"
    if extra:
        env.update(extra)
    return env


def git(repo, *args, input=None, env=None, check=True):
    """Runs git in `repo` and returns its stdout as bytes."""
    result = subprocess.run(["git", "-C", repo] + list(args), input=input,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env or git_env())
    if check and result.returncode != 0:
        raise LabsError("git %s failed: %s" % (" ".join(args),
                                               result.stderr.decode(errors="replace").strip()))
    return result.stdout


def git_text(repo, *args, **kw):
    return git(repo, *args, **kw).decode("utf-8", "surrogateescape").strip()


def rev_parse(repo, rev):
    """The object name of `rev`, or None if it does not exist."""
    out = git(repo, "rev-parse", "-q", "--verify", rev, check=False)
    return out.decode().strip() or None


def repo_toplevel(start):
    result = subprocess.run(["git", "-C", start, "rev-parse", "--show-toplevel"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=git_env())
    if result.returncode != 0:
        raise LabsError("%s is not inside a git repository" % os.path.abspath(start))
    return result.stdout.decode().strip()


def dirty(repo):
    """True if tracked files differ from HEAD (untracked files do not count)."""
    return bool(git(repo, "status", "--porcelain", "--untracked-files=no").strip())


class WorktreeSource:
    """The tracked files of a working tree, read from disk."""

    def __init__(self, repo):
        self.repo = repo
        out = git(repo, "ls-files", "-z", "--cached")
        self.paths = sorted({decode(p) for p in out.split(b"\0") if p})
        self._tracked = set(self.paths)

    def read(self, path):
        full = os.path.join(self.repo, path)
        if path not in self._tracked or os.path.islink(full) or not os.path.isfile(full):
            return None
        with open(full, "rb") as f:
            return f.read()

    def exists(self, path):
        full = os.path.join(self.repo, path)
        return path in self._tracked and os.path.isfile(full)


class CommitSource:
    """The files of one commit, read from the object store."""

    def __init__(self, repo, commit):
        self.repo = repo
        self.commit = commit
        self.entries = {}       # path -> (mode, type, object)
        out = git(repo, "ls-tree", "-r", "-z", "--full-tree", commit)
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, path = record.split(b"\t", 1)
            mode, kind, obj = meta.decode().split()
            self.entries[decode(path)] = (mode, kind, obj)
        self.paths = sorted(self.entries)
        self._blobs = self._read_regular_files()

    def _read_regular_files(self):
        wanted = [(p, e[2]) for p, e in self.entries.items()
                  if e[1] == "blob" and e[0] in ("100644", "100755")]
        if not wanted:
            return {}
        # One cat-file process for the whole tree instead of one per file.
        out = git(self.repo, "cat-file", "--batch",
                  input="".join(obj + "\n" for _, obj in wanted).encode())
        blobs = {}
        pos = 0
        for path, _ in wanted:
            header_end = out.index(b"\n", pos)
            size = int(out[pos:header_end].split()[2])
            start = header_end + 1
            blobs[path] = out[start:start + size]
            pos = start + size + 1
        return blobs

    def read(self, path):
        return self._blobs.get(path)

    def exists(self, path):
        return path in self.entries


# ---------------------------------------------------------------------------------
# Checking a whole tree


def load_catalog(source):
    data = source.read(CATALOG_PATH)
    if data is None:
        return [], [Problem(CATALOG_PATH, 1, "missing or not tracked by git (the lab catalog)")]
    return parse_catalog(data)


def check_source(source, labs):
    """Checks every fence in `source`; returns (problems, {path: ParsedFile with blocks})."""
    names = {lab.name for lab in labs}
    handouts = {lab.handout: lab.name for lab in labs}
    problems = []
    fenced = {}
    scanned = 0
    for path in source.paths:
        if not is_scanned(path):
            continue
        data = source.read(path)
        if data is None or b"\0" in data:
            continue
        text = decode(data)
        leader = comment_leader(path)
        scanned += 1
        if leader is None:
            for line in marker_lines(text):
                problems.append(Problem(path, line, "fence marker in a file of a type fences do "
                                        "not support (no known comment leader)"))
            continue
        parsed, found = parse_fences(path, text, leader, names)
        problems.extend(found)
        if parsed.blocks:
            fenced[path] = parsed
        if path.endswith(KERNEL_SOURCE_SUFFIXES):
            for m in LAB_MISSING_RE.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                handout = m.group(2)
                if not source.exists(handout):
                    problems.append(Problem(path, line, "lab_missing() names the handout %s, "
                                            "which is not in the tree" % handout))
                owner = parsed.stub_lab_at(line)
                other = handouts.get(handout)
                if owner and other and other != owner:
                    problems.append(Problem(path, line, "the stub of lab %s names the handout of "
                                            "lab %s" % (owner, other)))
    catalog_text = decode(source.read(CATALOG_PATH) or b"")
    for lab in labs:
        if not source.exists(lab.handout):
            problems.append(Problem(CATALOG_PATH, _line_of(catalog_text, lab.handout),
                                    "handout %s of lab %s is not in the tree"
                                    % (lab.handout, lab.name)))
    problems.sort(key=lambda p: (p.path, p.line))
    return problems, fenced, scanned


def summary(labs, fenced, scanned):
    parts = []
    for lab in labs:
        files = [p for p in fenced.values() if any(b.lab == lab.name for b in p.blocks)]
        blocks = sum(1 for p in files for b in p.blocks if b.lab == lab.name)
        parts.append("%s: %d block%s in %d file%s" % (lab.name, blocks, "" if blocks == 1 else "s",
                                                    len(files), "" if len(files) == 1 else "s"))
    return "fences ok: %d files scanned, %d with fences; %s" % (
        scanned, len(fenced), "; ".join(parts) or "no labs")


# ---------------------------------------------------------------------------------
# Building branches


class TreeBuilder:
    """Writes the trees of generated branches straight into the object store."""

    def __init__(self, repo, source, fenced, labs, scratch):
        self.repo = repo
        self.source = source
        self.fenced = fenced
        self.labs = labs
        self.scratch = scratch

    def trees(self, variants):
        """{(lab, mode): tree} for each (lab, mode) in variants."""
        contents = {}
        for lab, mode in variants:
            solved = solved_labs(self.labs, lab, mode)
            files = {path: encode(render(parsed, solved)) for path, parsed in self.fenced.items()}
            files[CURRENT_PATH] = (lab.name + "\n").encode()
            contents[lab, mode] = files
        blobs = self._hash_all({data for files in contents.values() for data in files.values()})
        trees = {}
        for key, files in contents.items():
            entries = {path: entry for path, entry in self.source.entries.items()
                       if not path.startswith(INSTRUCTOR_ONLY)}
            for path, data in files.items():
                mode = entries[path][0] if path in entries else "100644"
                entries[path] = (mode, "blob", blobs[data])
            trees[key] = entries
        manifests = {key: published_manifest(entries) for key, entries in trees.items()}
        manifest_blobs = self._hash_all(set(manifests.values()))
        result = {}
        for key, entries in trees.items():
            entries[PUBLISHED_PATH] = ("100644", "blob", manifest_blobs[manifests[key]])
            result[key] = self._write_tree(entries)
        return result

    def _hash_all(self, datas):
        # One hash-object for every blob: a git process per file would dominate the run.
        datas = sorted(datas)
        paths = []
        for number, data in enumerate(datas):
            path = os.path.join(self.scratch, "blob-%d" % number)
            with open(path, "wb") as f:
                f.write(data)
            paths.append(path)
        out = git_text(self.repo, "hash-object", "-w", "--no-filters", "--stdin-paths",
                       input="".join(p + "\n" for p in paths).encode())
        return dict(zip(datas, out.split()))

    def _write_tree(self, entries):
        # A private index file: the user's index stays as it was.
        index = os.path.join(self.scratch, "index")
        if os.path.exists(index):
            os.unlink(index)
        env = git_env({"GIT_INDEX_FILE": index})
        info = b"".join(("%s %s %s\t" % e).encode() + encode(p) + b"\0"
                        for p, e in sorted(entries.items()))
        git(self.repo, "update-index", "-z", "--index-info", input=info, env=env)
        return git_text(self.repo, "write-tree", env=env)


def branch_tips(repo):
    """{branch: (commit, tree)} for the branches the generator owns."""
    out = git_text(repo, "for-each-ref", "--format=%(objectname) %(tree) %(refname)",
                   "refs/heads/lab/", "refs/heads/solution/")
    tips = {}
    for line in out.splitlines():
        fields = line.split(" ", 2)
        if len(fields) == 3:
            tips[fields[2][len("refs/heads/"):]] = (fields[0], fields[1] or None)
        else:
            # A ref to a non-commit has no tree field.
            tips[fields[1][len("refs/heads/"):]] = (fields[0], None)
    return tips


def checked_out_branches(repo):
    out = git_text(repo, "worktree", "list", "--porcelain")
    return {line[len("branch refs/heads/"):] for line in out.splitlines()
            if line.startswith("branch refs/heads/")}


def foreign_commit(repo, tip):
    """A commit in tip's history that the generator did not make, or None."""
    out = git_text(repo, "log", "--format=%H %ce %P", tip)
    for line in out.splitlines():
        fields = line.split()
        if fields[1] != IDENTITY["GIT_COMMITTER_EMAIL"] or len(fields) > 3:
            return fields[0]
    return None


def generate(repo, lab_spec=None, dry_run=False, out=sys.stdout, err=sys.stderr):
    """Creates or updates the branches; returns the number of branches it had to skip."""
    head = rev_parse(repo, "HEAD^{commit}")
    if head is None:
        raise LabsError("no commit yet: branches are generated from the committed HEAD")
    if dirty(repo):
        print("labs.py: warning: the working tree has uncommitted changes; they are not in "
              "the generated branches (only HEAD %s is)" % head[:12], file=err)
    source = CommitSource(repo, head)
    if CURRENT_PATH in source.entries:
        raise LabsError("HEAD has %s, so it is a generated branch; generate from the solution "
                        "tree (main)" % CURRENT_PATH)
    labs, problems = load_catalog(source)
    if not problems:
        problems, fenced, _ = check_source(source, labs)
    if problems:
        for p in problems:
            print(p, file=err)
        raise LabsError("HEAD has %d fence problem%s; fix them first (python3 labs/labs.py "
                        "--check)" % (len(problems), "" if len(problems) == 1 else "s"))
    selected = select_labs(labs, lab_spec)
    variants = [(lab, mode) for lab in selected for mode in ("student", "solution")]
    short = git_text(repo, "rev-parse", "--short", head)
    with tempfile.TemporaryDirectory(prefix="sprout-labs-") as scratch:
        trees = TreeBuilder(repo, source, fenced, labs, scratch).trees(variants)
    tips = branch_tips(repo)
    busy = checked_out_branches(repo)
    zero = "0" * len(head)
    skipped = 0
    updates = []        # (branch, old tip or None, new commit)
    reports = []        # (branch, what happened), printed in catalog order at the end
    for lab, mode in variants:
        branch = lab.student_branch if mode == "student" else lab.solution_branch
        tree = trees[lab, mode]
        tip, tip_tree = tips.get(branch, (None, None))
        if tip and tip_tree == tree:
            reports.append((branch, "unchanged"))
            continue
        if branch in busy:
            print("%s: skipped: it is checked out in a worktree, and moving it would change "
                  "that worktree's files" % branch, file=err)
            skipped += 1
            continue
        if tip:
            stranger = foreign_commit(repo, tip)
            if stranger:
                print("%s: skipped: its history has commit %s, which the generator did not make; "
                      "extending it could publish that history, so delete or rename the branch"
                      % (branch, stranger[:12]), file=err)
                skipped += 1
                continue
        if dry_run:
            reports.append((branch, "would be %s" % ("updated" if tip else "created")))
            continue
        message = "Lab %d (%s): %s branch generated from %s\n" % (lab.number, lab.title, mode,
                                                                 short)
        parents = ["-p", tip] if tip else []
        commit = git_text(repo, "commit-tree", "--no-gpg-sign", tree, *parents,
                          input=message.encode(), env=git_env(IDENTITY))
        updates.append((branch, tip, commit))
        if tip:
            reports.append((branch, "updated (%s..%s)" % (tip[:7], commit[:7])))
        else:
            reports.append((branch, "created (%s)" % commit[:7]))
    if updates:
        # One transaction, and each old value makes it fail rather than lose a branch that
        # moved meanwhile.
        commands = "".join("update refs/heads/%s %s %s\n" % (branch, commit, tip or zero)
                           for branch, tip, commit in updates)
        git(repo, "update-ref", "-m", "labs.py generate from %s" % short, "--stdin",
            input=commands.encode(), env=git_env(IDENTITY))
    for branch, what in reports:
        print("%s: %s" % (branch, what), file=out)
    return skipped


# ---------------------------------------------------------------------------------
# Command line


def cmd_check(args):
    repo = repo_toplevel(args.repo)
    source = WorktreeSource(repo)
    labs, problems = load_catalog(source)
    fenced, scanned = {}, 0
    if not problems:
        problems, fenced, scanned = check_source(source, labs)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("%d fence problem%s" % (len(problems), "" if len(problems) == 1 else "s"),
              file=sys.stderr)
        return 1
    print(summary(labs, fenced, scanned))
    return 0


def cmd_transform(args):
    repo = repo_toplevel(args.repo)
    labs, problems = load_catalog(WorktreeSource(repo))
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    lab = find_lab(labs, args.lab)
    full = os.path.abspath(args.file)
    path = os.path.relpath(full, repo).replace(os.sep, "/")
    with open(full, "rb") as f:
        data = f.read()
    leader = comment_leader(path)
    if leader is None or not is_scanned(path) or b"\0" in data:
        print("labs.py: %s is not a fenced file type; printed as is" % path, file=sys.stderr)
        sys.stdout.buffer.write(data)
        return 0
    parsed, problems = parse_fences(path, decode(data), leader, {l.name for l in labs})
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 1
    sys.stdout.buffer.write(encode(render(parsed, solved_labs(labs, lab, args.mode))))
    return 0


def cmd_generate(args):
    skipped = generate(repo_toplevel(args.repo), args.labs, args.dry_run)
    return 1 if skipped else 0


def cmd_rules(args):
    print(FENCE_RULES, end="")
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    # `--check` is the spelling the Makefile and the docs use.
    argv = ["check" if a == "--check" else a for a in argv]
    parser = argparse.ArgumentParser(
        prog="labs.py", description="Check lab fences and generate the lab branches.",
        epilog="Run 'labs.py rules' for the fence syntax.")
    parser.add_argument("--repo", default=".", help="the repository (default: the current one)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("check", help="check every fence in the tracked files of the working tree")
    p = sub.add_parser("generate", help="create or update lab/<n>-<name> and solution/<n>-<name> "
                       "from the committed HEAD")
    p.add_argument("--labs", help="only these labs (comma-separated names or numbers)")
    p.add_argument("--dry-run", action="store_true", help="say what would change, move no branch")
    p = sub.add_parser("transform", help="print one file as a lab's branch would have it")
    p.add_argument("--lab", required=True, help="lab name or number")
    p.add_argument("--mode", required=True, choices=("student", "solution"))
    p.add_argument("file")
    sub.add_parser("rules", help="print the fence syntax")
    args = parser.parse_args(argv)
    commands = {"check": cmd_check, "generate": cmd_generate, "transform": cmd_transform,
                "rules": cmd_rules}
    if args.command not in commands:
        parser.print_help(sys.stderr)
        return 2
    try:
        return commands[args.command](args)
    except LabsError as e:
        print("labs.py: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""Tests of user/ that need no kernel.

    python3 -m unittest discover -s user -p 'test_*.py'     (or: make -f user/user.mk usertest)

Cross-built (riscv64-unknown-elf-gcc, through user/user.mk): every program links, each
ELF is one the kernel's loader accepts (user/README.md), the system-call stubs carry
the numbers of kernel/abi/syscall.h, and a program written in the classic style
compiles with only its #include lines changed.

Host-built (cc, with ASan and UBSan): the library (printf, malloc, strings, gets), the
shell's parser, and the programs that need nothing but files and processes (sh, echo,
cat, grep, wc, mkdir, rm, ln, true), running on the host's system calls through
user/hosttest/host_sys.c.

USER_BUILD names the build directory (default: build), as for user.mk.
"""

import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
USER = ROOT / "user"
BUILD = ROOT / os.environ.get("USER_BUILD", "build")
CROSS = os.environ.get("CROSS", "riscv64-unknown-elf-")
HOSTCC = os.environ.get("HOSTCC", "cc")
PAGE = 4096

HAVE_CROSS = shutil.which(CROSS + "gcc") is not None
HAVE_HOST = shutil.which(HOSTCC) is not None and shutil.which("objcopy") is not None


def run(cmd, **kw):
    """Runs cmd in the repository root; fails the calling test with its output."""
    r = subprocess.run(cmd, cwd=kw.pop("cwd", ROOT), capture_output=True, text=True, **kw)
    if r.returncode != 0 and kw.get("check", True) is not False:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {r.returncode}:\n"
                             f"{r.stdout}{r.stderr}")
    return r


def memlayout():
    """USER_BASE and USER_TOP from kernel/abi/memlayout.h."""
    text = (ROOT / "kernel/abi/memlayout.h").read_text()
    return tuple(int(re.search(rf"#define {n}\s+(0x[0-9a-fA-F]+)", text).group(1), 16)
                 for n in ("USER_BASE", "USER_TOP"))


def syscall_list():
    """(name, number) of each call, as the C preprocessor expands SYSCALLS."""
    probe = '#include "abi/syscall.h"\n#define P(n, num, r, a) @@n num@@\nSYSCALLS(P)\n'
    out = subprocess.run([HOSTCC if HAVE_HOST else CROSS + "gcc", "-E", "-P", "-ffreestanding",
                          "-Ikernel", "-x", "c", "-"], input=probe, cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [(m.group(1), int(m.group(2))) for m in re.finditer(r"@@(\w+) (\d+)@@", out)]


# ---------------------------------------------------------------- cross-built programs

_cross_vars = None


def cross_build():
    """Builds every program with user.mk once; returns user.mk's variables."""
    global _cross_vars
    if _cross_vars is None:
        make = ["make", "-s", "-f", "user/user.mk", f"BUILD={BUILD}", f"CROSS={CROSS}"]
        run(make + ["userbuild"])
        out = run(make + ["uservars"]).stdout
        _cross_vars = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return _cross_vars


def readelf(path):
    """(header fields, LOAD segments as dicts) of an ELF file."""
    out = run([CROSS + "readelf", "-hlW", str(path)]).stdout
    header = dict(re.findall(r"^\s+([A-Za-z ]+?):\s+(.*?)\s*$", out, re.M))
    loads = []
    for m in re.finditer(r"^\s+(\w+)\s+(0x[0-9a-f]+) (0x[0-9a-f]+) (0x[0-9a-f]+) "
                         r"(0x[0-9a-f]+) (0x[0-9a-f]+) ([RWE ]{3}) (0x[0-9a-f]+)$", out, re.M):
        kind, off, vaddr, _, filesz, memsz, flags, align = m.groups()
        loads.append(dict(type=kind, offset=int(off, 16), vaddr=int(vaddr, 16),
                          filesz=int(filesz, 16), memsz=int(memsz, 16), flags=flags.replace(" ", ""),
                          align=int(align, 16)))
    return header, loads


@unittest.skipUnless(HAVE_CROSS, f"needs {CROSS}gcc")
class CrossBuild(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.vars = cross_build()
        cls.progs = [ROOT / p for p in cls.vars["USER_PROGS"].split()]

    def test_every_program_is_built(self):
        names = self.vars["USER_NAMES"].split()
        for want in ["init", "sh", "ls", "cat", "echo", "grep", "wc", "mkdir", "rm", "ln",
                     "kill", "usertests", "fuzz", "bench"]:
            self.assertIn(want, names)
        self.assertEqual([p.name for p in self.progs], ["_" + n for n in names])
        for p in self.progs:
            self.assertTrue(p.is_file(), p)

    def test_elf_segments_are_what_the_loader_accepts(self):
        base, top = memlayout()
        for prog in self.progs:
            with self.subTest(prog=prog.name):
                header, segments = readelf(prog)
                self.assertEqual(header["Class"], "ELF64")
                self.assertEqual(header["Type"].split()[0], "EXEC")
                self.assertEqual(header["Machine"], "RISC-V")
                self.assertEqual({s["type"] for s in segments}, {"LOAD"},
                                 "only loadable segments")
                self.assertEqual([s["flags"] for s in segments], ["RE", "R", "RW"])
                end = base
                for s in segments:
                    self.assertEqual(s["vaddr"] % PAGE, 0, f"{s} starts mid-page")
                    self.assertEqual(s["offset"] % PAGE, 0, f"{s} at an unaligned offset")
                    self.assertLessEqual(s["filesz"], s["memsz"], s)
                    self.assertGreater(s["memsz"], 0, f"{s} is empty")
                    self.assertGreaterEqual(s["vaddr"], end, f"{s} overlaps the one before")
                    end = -(-(s["vaddr"] + s["memsz"]) // PAGE) * PAGE
                    self.assertLessEqual(end, top, f"{s} ends past USER_TOP")
                entry = int(header["Entry point address"], 16)
                text = segments[0]
                self.assertTrue(text["vaddr"] <= entry < text["vaddr"] + text["filesz"],
                                f"entry {entry:#x} outside the text segment")
                self.assertEqual(entry, base, "_start is the first thing in the text")
                syms = run([CROSS + "nm", str(prog)]).stdout
                self.assertRegex(syms, rf"(?m)^0*{entry:x} T _start$")

    def test_stubs_carry_the_numbers_of_the_abi_header(self):
        calls = syscall_list()
        self.assertEqual(len(calls), len(set(n for _, n in calls)), "numbers repeat")
        self.assertEqual(sorted(n for _, n in calls), list(range(1, len(calls) + 1)),
                         "numbers run from 1 without gaps")
        classic = {"fork", "exit", "wait", "pipe", "read", "write", "close", "kill", "exec",
                   "open", "mknod", "unlink", "fstat", "link", "mkdir", "chdir", "dup",
                   "getpid", "sbrk", "sleep", "uptime"}
        self.assertLessEqual(classic, {name for name, _ in calls})

        generated = (BUILD / "user/usys.s").read_text()
        self.assertIn("Generated from", generated.splitlines()[0])
        stub_lines = [l for l in generated.splitlines() if l.startswith(".globl")]
        self.assertEqual(len(stub_lines), len(calls), "one line per stub")

        dump = run([CROSS + "objdump", "-d", str(BUILD / "user/usys.o")]).stdout
        stubs = {}
        for m in re.finditer(r"<(\w+)>:\n((?:\s+[0-9a-f]+:.*\n?)+)", dump):
            stubs[m.group(1)] = [l.split("\t", 2)[-1].strip() for l in m.group(2).splitlines()]
        self.assertEqual(set(stubs), {name for name, _ in calls})
        for name, number in calls:
            self.assertEqual([re.sub(r"\s+", " ", i) for i in stubs[name]],
                             [f"li a7,{number}", "ecall", "ret"], name)

    def test_the_linker_script_has_user_base(self):
        base, _ = memlayout()
        script = (BUILD / "user/user.ld").read_text()
        self.assertRegex(script, rf"\. = {base:#x};")
        self.assertNotRegex(script, r"\b0x[0-9a-fA-F]+[uUlL]")

    def test_a_classic_program_compiles_with_its_includes_changed(self):
        # Written in the style of the classic teaching interface; only the four
        # #include lines differ from what such a program would say.
        source = textwrap.dedent("""\
            #include "types.h"
            #include "abi/stat.h"
            #include "user.h"
            #include "abi/fcntl.h"

            char buf[512];

            void
            copy(int fd)
            {
              int n;
              while((n = read(fd, buf, sizeof(buf))) > 0)
                write(1, buf, n);
            }

            int
            main(int argc, char *argv[])
            {
              int p[2], pid, xstatus;
              struct stat st;
              uint sz = 0;
              uint64 addr = (uint64) sbrk(0);
              char *mem;

              if(argc < 2){
                fprintf(2, "usage: classic files...\\n");
                exit(1);
              }
              pipe(p);
              pid = fork();
              if(pid == 0){
                close(p[0]);
                write(p[1], "x", 1);
                exit(0);
              }
              close(p[1]);
              wait(&xstatus);
              for(int i = 1; i < argc; i++){
                int fd = open(argv[i], O_RDONLY);
                if(fd < 0 || fstat(fd, &st) < 0){
                  printf("classic: cannot open %s\\n", argv[i]);
                  continue;
                }
                if(st.type == T_DIR)
                  printf("%s is a directory\\n", argv[i]);
                sz += st.size;
                copy(fd);
                close(fd);
              }
              mem = malloc(sz + 1);
              memset(mem, 0, sz + 1);
              strcpy(mem, "done");
              printf("%s %d %p %d %d\\n", mem, sz, (void*)addr, getpid(), uptime());
              free(mem);
              if(stat("/", &st) < 0 || mkdir("d") < 0 || chdir("d") < 0 || link("a", "b") < 0 ||
                 unlink("b") < 0 || mknod("c", 1, 0) < 0 || dup(0) < 0 || kill(pid) < 0 ||
                 sleep(1) < 0 || atoi("1") != 1 || strlen(gets(buf, 10)) > 10 ||
                 strchr(buf, 'x') || strcmp(buf, "y") == 0 || memcmp(buf, buf, 1) ||
                 memmove(buf, buf + 1, 2) == 0 || memcpy(buf, buf, 1) == 0)
                exec("echo", argv);
              exit(0);
            }
            """)
        v = cross_build()
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "classic.c", Path(tmp) / "_classic"
            src.write_text(source)
            run([v["USER_CC"], *v["USER_CFLAGS"].split(), "-c", str(src), "-o",
                 str(src.with_suffix(".o"))])
            run([v["USER_CC"], *v["USER_LDFLAGS"].split(), "-o", str(out), v["USER_START"],
                 str(src.with_suffix(".o")), v["USER_LIB"], "-lgcc"])
            header, _ = readelf(out)
            self.assertEqual(int(header["Entry point address"], 16), memlayout()[0])


# ---------------------------------------------------------------- host-built programs

HOST_OUT = BUILD / "user-host"
HOST_CFLAGS = ["-std=gnu11", "-g", "-O1", "-ffreestanding", "-fno-builtin",
               "-fno-stack-protector", "-fno-tree-loop-distribute-patterns", "-fno-common",
               "-Wall", "-Wextra", "-Werror", "-Iuser", "-Ikernel",
               "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
               "-fno-omit-frame-pointer"]
HOST_LIB = ["ulib.c", "printf.c", "umalloc.c"]
HOST_PROGRAMS = {
    "libtest": ["hosttest/libtest.c", "sh_parse.c"],
    "sh": ["sh.c", "sh_parse.c"],
    "echo": ["echo.c"], "cat": ["cat.c"], "grep": ["grep.c"], "wc": ["wc.c"],
    "mkdir": ["mkdir.c"], "rm": ["rm.c"], "ln": ["ln.c"], "true": ["true.c"],
}

# A few printf cases written out, then many generated and checked against Python's %,
# which agrees with C for these conversions except where the generator leaves out.
PRINTF_CASES = [
    ("%d", "-2147483647 - 1", "-2147483648"),
    ("%ld", "9223372036854775807L", "9223372036854775807"),
    ("%ld", "-9223372036854775807L - 1", "-9223372036854775808"),
    ("%lld", "-1LL", "-1"),
    ("%u", "4294967295U", "4294967295"),
    ("%lu", "18446744073709551615UL", "18446744073709551615"),
    ("%lx", "0xdeadbeefcafeUL", "deadbeefcafe"),
    ("%016lx", "0x1234UL", "0000000000001234"),
    ("%zu", "(unsigned long)12345", "12345"),
    ("%hhd", "300", "44"),
    ("%hd", "70000", "4464"),
    ("%hhu", "255", "255"),
    ("%#o", "8", "010"),
    ("%#x", "0", "0"),
    ("%.0d", "0", ""),
    ("%08.3d", "5", "     005"),
    ("%*d|", "-6, 42", "42    |"),
    ("%.*d", "4, 7", "0007"),
    ("%.*s|", "-1, \"abc\"", "abc|"),
    ("%s", "(char *)0", "(null)"),
    ("%.2s", "\"hello\"", "he"),
    ("%p", "(void *)0x100000000UL", "0x100000000"),
    ("%p", "(void *)0", "0x0"),
    ("%c", "'A'", "A"),
    ("%3c|", "'A'", "  A|"),
    ("%-3c|", "'A'", "A  |"),
    ("%%", "", "%"),
    ("100%% done", "", "100% done"),
    ("%d %s %c %x", "1, \"two\", '3', 4", "1 two 3 4"),
    ("", "", ""),
    ("%q|%5k|%", "", "%q|%5k|%"),  # not conversions: printed as written
]


def generated_printf_cases():
    ints = [0, 1, -1, 42, -42, 2147483647, -2147483647]
    for conv in "diuxXo":
        for flags in ["", "-", "0", "+", " ", "#", "-+", "0 "]:
            for width in ["", "1", "6", "12"]:
                for prec in ["", ".0", ".3"]:
                    if "#" in flags and conv not in "xX":
                        continue
                    if (("+" in flags or " " in flags) and conv not in "di"):
                        continue
                    if "0" in flags and prec:
                        continue  # C ignores '0' with a precision, Python does not
                    fmt = f"%{flags}{width}{prec}{conv}"
                    for v in ints:
                        if conv in "uxXo" and v < 0:
                            continue
                        if prec == ".0" and v == 0:
                            continue  # C prints no digits, Python prints 0
                        if "#" in flags and v == 0:
                            continue  # C has no 0x for zero, Python does
                        yield fmt, str(v), (fmt % v).replace("0o", "0")
    for s in ["", "a", "hello"]:
        for spec in ["%s", "%8s", "%-8s", "%.3s", "%8.3s", "%-8.3s", "%.0s"]:
            yield spec + "|", f'"{s}"', (spec % s) + "|"


_host_built = False


def host_build():
    """Builds the host programs once, into $USER_BUILD/user-host."""
    global _host_built
    if _host_built:
        return
    HOST_OUT.mkdir(parents=True, exist_ok=True)
    def c_string(text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    with open(HOST_OUT / "printf_cases.h", "w") as f:
        f.write("/* Written by user/test_user.py. */\n")
        for fmt, args, expected in PRINTF_CASES:
            f.write(f"CASE({c_string(expected)}, {c_string(fmt)}, {args or '0'});\n")
        # The generated cases take one int or one string: tables, looped over by
        # libtest.c, compile much faster than a CASE each.
        ints = [c for c in generated_printf_cases() if not c[1].startswith('"')]
        strs = [c for c in generated_printf_cases() if c[1].startswith('"')]
        f.write("#define INT_CASES \\\n")
        f.write("".join(f"\t{{ {c_string(e)}, {c_string(fmt)}, {a} }}, \\\n" for fmt, a, e in ints))
        f.write("\n#define STRING_CASES \\\n")
        f.write("".join(f"\t{{ {c_string(e)}, {c_string(fmt)}, {a} }}, \\\n" for fmt, a, e in strs))
        f.write("\n")

    def compile_renamed(src):
        obj = HOST_OUT / (src.replace("/", "_") + ".o")
        run([HOSTCC, *HOST_CFLAGS, f"-I{HOST_OUT}", "-c", f"user/{src}", "-o", str(obj)])
        # Every global name the user code defines or calls becomes hu_<name>; the
        # sanitizers' __ names stay.
        names = set(re.findall(r"^\s*(?:[0-9a-f]+\s+)?[A-Za-z]\s+([A-Za-z]\w*)$",
                               run(["nm", "-g", str(obj)]).stdout, re.M))
        mapping = HOST_OUT / (obj.name + ".map")
        mapping.write_text("".join(f"{n} hu_{n}\n" for n in sorted(names)))
        run(["objcopy", f"--redefine-syms={mapping}", str(obj)])
        return str(obj)

    lib = [compile_renamed(s) for s in HOST_LIB]
    shim = HOST_OUT / "host_sys.o"
    run([HOSTCC, "-std=gnu11", "-g", "-O1", "-Wall", "-Wextra", "-Werror",
         "-fsanitize=address,undefined", "-c", "user/hosttest/host_sys.c", "-o", str(shim)])
    for name, srcs in HOST_PROGRAMS.items():
        objs = [compile_renamed(s) for s in srcs]
        run([HOSTCC, "-fsanitize=address,undefined", "-o", str(HOST_OUT / name), *objs, *lib,
             str(shim)])
    _host_built = True


def host(prog, *args, stdin="", env=None, cwd=None, status=0):
    """Runs a host-built program; checks its exit status; returns (stdout, stderr)."""
    e = dict(os.environ, USER_HOST_BIN=str(HOST_OUT), ASAN_OPTIONS="detect_leaks=0")
    e.update(env or {})
    r = subprocess.run([str(HOST_OUT / prog), *args], input=stdin, capture_output=True,
                       text=True, env=e, cwd=cwd or ROOT, timeout=60)
    if status is not None and r.returncode != status:
        raise AssertionError(f"{prog} {' '.join(args)} exited {r.returncode}, not {status}:\n"
                             f"{r.stdout}{r.stderr}")
    return r.stdout, r.stderr


@unittest.skipUnless(HAVE_HOST, f"needs {HOSTCC} and objcopy")
class HostLibrary(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        host_build()

    def check_ok(self, what, **kw):
        out, _ = host("libtest", what, **kw)
        self.assertEqual(out.splitlines()[-1:], ["ok"], out)

    def test_printf_formats(self):
        self.check_ok("printf")

    def test_printf_and_fprintf_write_in_few_writes(self):
        out, _ = host("libtest", "output")
        self.assertIn("a line of 5 words\n<" + "z" * 1000 + ">\n", out)
        self.assertTrue(out.endswith("ok\n"), out)

    def test_strings(self):
        self.check_ok("strings")

    def test_malloc_reuses_merges_and_survives_a_random_workload(self):
        self.check_ok("malloc")

    def test_malloc_returns_0_when_sbrk_refuses(self):
        out, _ = host("libtest", "malloc-limit", env={"USER_HOST_HEAP": "200000"})
        blocks = int(re.search(r"(\d+) blocks", out).group(1))
        self.assertTrue(150 <= blocks <= 200, out)
        self.assertTrue(out.endswith("ok\n"), out)

    def test_free_twice_or_of_a_stranger_exits_1(self):
        for what in ["free-twice", "free-bogus"]:
            with self.subTest(what):
                _, err = host("libtest", what, status=1)
                self.assertRegex(err, r"^free: .* 0x[0-9a-f]+\n$")

    def test_gets_stops_at_newlines_and_the_buffer_size(self):
        out, _ = host("libtest", "gets", stdin="ab\ncdefghijkl\n\nx")
        self.assertEqual(out, "[ab\n][cdefghi][jkl\n][\n][x]\n")


PARSE_CASES = [
    ("", "(empty)"),
    ("   \t ", "(empty)"),
    ("ls", "[ls]"),
    ("echo hello world\\n", "[echo,hello,world]"),
    ("cat < in > out", "[cat]<in>out"),
    ("<in cat>out", "[cat]<in>out"),
    ("cat<in>out", "[cat]<in>out"),
    ("grep x < in | wc > out", "[grep,x]<in | [wc]>out"),
    ("a | b | c", "[a] | [b] | [c]"),
    ("a ; b", "[a] ; [b]"),
    ("a; b;", "[a] ; [b]"),
    ("a & b", "[a] & ; [b]"),
    ("a | b &", "[a] | [b] &"),
    ("a&b&", "[a] & ; [b] &"),
    ("echo 'a b' \"c|d\" e'f'g ''", "[echo,a b,c|d,efg,]"),
    ("echo '>'", "[echo,>]"),
    ("|", "error: syntax error near '|'"),
    ("| a", "error: syntax error near '|'"),
    ("a |", "error: missing command after '|'"),
    ("a | ; b", "error: syntax error near ';'"),
    ("a || b", "error: syntax error near '|'"),
    ("; a", "error: syntax error near ';'"),
    ("a ;; b", "error: syntax error near ';'"),
    ("&", "error: syntax error near '&'"),
    ("a & ; b", "error: syntax error near ';'"),
    ("a >", "error: missing file name after '>'"),
    ("a <", "error: missing file name after '<'"),
    ("a > | b", "error: missing file name after '>'"),
    ("a >> b", "error: missing file name after '>'"),
    ("a < x < y", "error: more than one '<'"),
    ("a > x > y", "error: more than one '>'"),
    ("> out", "error: missing command"),
    ("< in | b", "error: missing command"),
    ("echo 'open", "error: unterminated quote"),
    ("echo \"open", "error: unterminated quote"),
    (" ".join(["w"] * 32), "[" + ",".join(["w"] * 32) + "]"),
    (" ".join(["w"] * 33), "error: too many arguments"),
    (" | ".join(["c"] * 16), " | ".join(["[c]"] * 16)),
    (" | ".join(["c"] * 17), "error: too many commands"),
    ("x" * 511, "[" + "x" * 511 + "]"),
    ("x" * 512, "error: line too long"),
    ("a;" * 200, "error: too many commands"),
]


@unittest.skipUnless(HAVE_HOST, f"needs {HOSTCC} and objcopy")
class HostParser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        host_build()

    def test_parser_output(self):
        # Each line of input gives one line of output; an empty line ends the input, so
        # empty cases go through as a lone "\n" escape... which is blank, not empty.
        stdin = "".join((text or " ") + "\n" for text, _ in PARSE_CASES)
        out, _ = host("libtest", "parse", stdin=stdin)
        got = out.splitlines()
        self.assertEqual(len(got), len(PARSE_CASES), out)
        for (text, want), line in zip(PARSE_CASES, got):
            with self.subTest(text=text[:60]):
                self.assertEqual(line, want)


@unittest.skipUnless(HAVE_HOST, f"needs {HOSTCC} and objcopy")
class HostPrograms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        host_build()

    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, self.tmp)

    def sh(self, script, status=0):
        return host("sh", stdin=script, cwd=self.tmp, status=status)

    def test_echo(self):
        self.assertEqual(host("echo")[0], "\n")
        self.assertEqual(host("echo", "a", "b c", "")[0], "a b c \n")
        long = ["x" * 300] * 10
        self.assertEqual(host("echo", *long)[0], " ".join(long) + "\n")

    def test_cat(self):
        (self.tmp / "f").write_bytes(bytes(range(256)) * 100)
        r = subprocess.run([str(HOST_OUT / "cat"), "f", "f"], cwd=self.tmp, capture_output=True)
        self.assertEqual(r.stdout, bytes(range(256)) * 200)
        self.assertEqual(host("cat", stdin="from stdin\n")[0], "from stdin\n")
        out, err = host("cat", "nosuch", cwd=self.tmp, status=1)
        self.assertEqual(err, "cat: nosuch: cannot open\n")

    def test_grep(self):
        text = "apple\nbanana\ncherry\n\nabc]x\nend without newline"
        (self.tmp / "t").write_text(text)
        cases = [
            ("an", "banana"), ("^a", "apple\nabc]x"), ("e$", "apple\nend without newline"),
            ("^$", ""),
            ("a.a", "banana"), ("ch*e", "cherry"), ("p+l", "apple"), ("bx?c", "abc]x"),
            ("[bc]h?e", "cherry"), ("[^a-z]", "abc]x\nend without newline"),
            ("[]]", "abc]x"), ("\\.", None), ("newline$", "end without newline"),
            ("^.*$", text), ("(", None), ("a*a*a*a*a*a*a*a*b", "banana\nabc]x"),
        ]
        for pattern, want in cases:
            with self.subTest(pattern=pattern):
                out, _ = host("grep", pattern, "t", cwd=self.tmp, status=0 if want is not None else 1)
                self.assertEqual(out, want + "\n" if want is not None else "")
        out, _ = host("grep", "a", "t", "t", cwd=self.tmp)
        self.assertTrue(out.startswith("t:apple\nt:banana\n"), out)
        self.assertEqual(host("grep", "[x", status=2)[1], "grep: [x: bad pattern\n")
        (self.tmp / "long").write_text("y" * 10000 + "Q\nQ\n")
        out, _ = host("grep", "Q", "long", cwd=self.tmp)
        self.assertEqual(out.splitlines()[-1], "Q")
        self.assertEqual(host("grep", "na", stdin="banana\nkiwi\n")[0], "banana\n")

    def test_wc(self):
        (self.tmp / "a").write_text("one two\nthree\n")
        (self.tmp / "b").write_text("  four\t five  ")
        out, _ = host("wc", "a", "b", cwd=self.tmp)
        self.assertEqual(out.split("\n")[:3], ["      2       3      14 a",
                                               "      0       2      14 b",
                                               "      2       5      28 total"])
        self.assertEqual(host("wc", stdin="x y\n")[0], "      1       2       4\n")

    def test_mkdir_ln_rm(self):
        host("mkdir", "d", "e", cwd=self.tmp)
        self.assertTrue((self.tmp / "d").is_dir() and (self.tmp / "e").is_dir())
        _, err = host("mkdir", "d", cwd=self.tmp, status=1)
        self.assertEqual(err, "mkdir: d: cannot create\n")
        (self.tmp / "f").write_text("x")
        host("ln", "f", "g", cwd=self.tmp)
        self.assertEqual((self.tmp / "g").read_text(), "x")
        host("rm", "f", "e", cwd=self.tmp)
        self.assertFalse((self.tmp / "f").exists() or (self.tmp / "e").exists())
        self.assertEqual(host("rm", "f", cwd=self.tmp, status=1)[1], "rm: f: cannot remove\n")
        self.assertIn("usage", host("ln", "x", status=1)[1])

    def test_sh_pipes_and_redirections(self):
        out, err = self.sh("echo hello | cat\n"
                           "echo one two > f ; cat < f | wc\n"
                           "cat f f | grep one | wc > g\n"
                           "cat g\n")
        self.assertEqual(err, "")
        self.assertEqual(out, "hello\n      1       2       8\n      2       4      16\n")

    def test_sh_errors(self):
        out, err = self.sh("nosuch arg\n"
                           "/also/nosuch\n"
                           "echo a |\n"
                           "cat < missing\n"
                           "echo 'unclosed\n"
                           "echo still here\n")
        self.assertEqual(out, "still here\n")
        self.assertEqual(err, "sh: nosuch: not found\n"
                              "sh: /also/nosuch: not found\n"
                              "sh: missing command after '|'\n"
                              "sh: missing: cannot open\n"
                              "sh: unterminated quote\n")

    def test_sh_cd_and_exit(self):
        (self.tmp / "sub").mkdir()
        out, err = self.sh("cd sub\necho here > f\ncd nosuch\ncd\nexit 3\necho not reached\n",
                           status=3)
        self.assertEqual((self.tmp / "sub/f").read_text(), "here\n")
        self.assertEqual(err, "sh: cd: nosuch: no such directory\n")

    def test_sh_background_jobs(self):
        out, err = self.sh("echo first > f &\n"
                           "cat f\n")  # may run before or after the job; both are fine
        self.assertRegex(out, r"^\[\d+\]\n")
        self.assertEqual(err, "")
        for _ in range(100):
            if (self.tmp / "f").exists() and (self.tmp / "f").read_text():
                break
            subprocess.run(["sleep", "0.05"])
        self.assertEqual((self.tmp / "f").read_text(), "first\n")

    def test_sh_line_too_long_and_scripts(self):
        (self.tmp / "script").write_text("echo from script\n" + "x" * 600 + "\necho after\n")
        out, err = host("sh", "script", cwd=self.tmp)
        self.assertEqual(out, "from script\nafter\n")
        self.assertEqual(err, "sh: line too long\n")
        self.assertEqual(host("sh", "-c", "echo a; echo b", cwd=self.tmp)[0], "a\nb\n")

    def test_host_shim_repeats_the_abi_numbers(self):
        shim = (USER / "hosttest/host_sys.c").read_text()
        fcntl = (ROOT / "kernel/abi/fcntl.h").read_text()
        fs = (ROOT / "kernel/abi/fs_format.h").read_text()

        def value(text, name):
            return int(re.search(rf"#define {name}\s+(0x[0-9a-fA-F]+|\d+)", text).group(1), 0)
        self.assertEqual(value(shim, "SPROUT_O_CREATE"), value(fcntl, "O_CREATE"))
        self.assertEqual(value(shim, "SPROUT_O_TRUNC"), value(fcntl, "O_TRUNC"))
        for t in ["T_DIR", "T_FILE", "T_DEVICE"]:
            self.assertEqual(value(shim, "SPROUT_" + t), value(fs, t))
        self.assertEqual([value(fcntl, n) for n in ["O_RDONLY", "O_WRONLY", "O_RDWR"]],
                         [0, 1, 2])


if __name__ == "__main__":
    unittest.main()
